//! Adding columns whose values come from a stream: one value per visible row of the
//! version, fragments in order (pylance's `add_columns` given a reader). Deleted rows get
//! nulls in the new files, which must line up with the fragment's physical rows.

use std::collections::HashSet;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, RecordBatchReader, UInt64Array};
use arrow_schema::{Field, Schema, SchemaRef};
use futures::stream;
use lancer_table::{Fragment, Operation};

use crate::commit::CommitParams;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::fragment::DatasetFragment;
use crate::read::deletion::deleted_rows;

/// Physical rows lined up at a time.
const CHUNK_ROWS: u64 = 8192;

impl Dataset {
    /// A new version with the columns of `reader` added: its rows are the values of the
    /// version's visible rows in scan order (fragment by fragment; deleted rows are not
    /// counted, and read as null in the new columns). The reader must hold exactly as many
    /// rows as the version; each fragment gets one new data file; one Merge commits them.
    /// If anything fails, the files written are removed.
    pub async fn add_columns_from_reader<R>(
        &self,
        reader: R,
        params: &CommitParams,
    ) -> Result<Dataset>
    where
        R: RecordBatchReader,
    {
        let has_deletions = self
            .manifest
            .fragments
            .iter()
            .any(|f| f.deletion_file.is_some());
        let schema = new_columns_schema(&reader.schema(), has_deletions);
        let mut rows = Puller::new(reader, schema.clone());
        let mut merged: Vec<(DatasetFragment, Fragment)> = Vec::new();
        let mut new_schema = None;
        let outcome = async {
            for fragment in self.get_fragments() {
                let lined_up = self.line_up(&fragment, &mut rows).await?;
                let (written, schema_after) = fragment
                    .merge_batches(schema.clone(), stream::iter(lined_up.into_iter().map(Ok)))
                    .await?;
                merged.push((fragment, written));
                new_schema = Some(schema_after);
            }
            rows.expect_end()?;
            let schema_after = new_schema.ok_or_else(|| {
                Error::invalid_input("the dataset has no fragment to add columns to")
            })?;
            let fragments = merged.iter().map(|(_, f)| f.clone()).collect();
            let operation = Operation::merge(fragments, schema_after, self.schema());
            Dataset::commit(self.uri(), operation, self.version(), params).await
        }
        .await;
        if outcome.is_err() {
            for (fragment, written) in &merged {
                let _ = fragment.discard_merge(written).await;
            }
        }
        outcome
    }

    /// The new columns for one fragment, as batches over its physical rows: values from
    /// `rows` at visible rows, nulls at deleted ones.
    async fn line_up<R: RecordBatchReader>(
        &self,
        fragment: &DatasetFragment,
        rows: &mut Puller<R>,
    ) -> Result<Vec<RecordBatch>> {
        let metadata = fragment.metadata();
        let physical = metadata.physical_rows.ok_or_else(|| {
            Error::unsupported(format!(
                "fragment {} does not record its row count",
                metadata.id
            ))
        })?;
        let deleted: HashSet<u32> = deleted_rows(&self.store, metadata).await?;
        let mut batches = Vec::new();
        let mut start = 0u64;
        while start < physical {
            let end = (start + CHUNK_ROWS).min(physical);
            let mut next = 0u64;
            let positions: UInt64Array = (start..end)
                .map(|row| {
                    (!deleted.contains(&(row as u32))).then(|| {
                        next += 1;
                        next - 1
                    })
                })
                .collect();
            let values = rows.pull(next as usize)?;
            let columns = values
                .columns()
                .iter()
                .map(|column| arrow_select::take::take(column.as_ref(), &positions, None))
                .collect::<std::result::Result<Vec<ArrayRef>, _>>()?;
            batches.push(RecordBatch::try_new(rows.schema.clone(), columns)?);
            start = end;
        }
        Ok(batches)
    }
}

/// The reader's schema, every field nullable when deleted rows will hold nulls.
fn new_columns_schema(schema: &SchemaRef, nulls_for_deleted: bool) -> SchemaRef {
    if !nulls_for_deleted {
        return schema.clone();
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// Rows taken from a reader in exact counts, across its batch boundaries.
struct Puller<R> {
    reader: R,
    schema: SchemaRef,
    held: Option<RecordBatch>,
}

impl<R: RecordBatchReader> Puller<R> {
    fn new(reader: R, schema: SchemaRef) -> Self {
        Puller {
            reader,
            schema,
            held: None,
        }
    }

    /// The next `count` rows as one batch; fewer left is an error.
    fn pull(&mut self, count: usize) -> Result<RecordBatch> {
        let mut parts = Vec::new();
        let mut missing = count;
        while missing > 0 {
            let batch = match self.held.take() {
                Some(batch) => batch,
                None => match self.reader.next() {
                    Some(batch) => batch?,
                    None => {
                        return Err(Error::invalid_input(
                            "the new columns end before the dataset's rows do",
                        ));
                    }
                },
            };
            let take = missing.min(batch.num_rows());
            if take < batch.num_rows() {
                self.held = Some(batch.slice(take, batch.num_rows() - take));
            }
            parts.push(batch.slice(0, take));
            missing -= take;
        }
        let batch = arrow_select::concat::concat_batches(&self.reader.schema(), &parts)?;
        // Lined up with the (possibly nullable) schema of the new columns.
        Ok(RecordBatch::try_new(
            self.schema.clone(),
            batch.columns().to_vec(),
        )?)
    }

    /// Errors when the reader holds rows beyond the dataset's.
    fn expect_end(&mut self) -> Result<()> {
        let extra = match self.held.take() {
            Some(batch) => batch.num_rows() > 0,
            None => loop {
                match self.reader.next() {
                    Some(batch) => {
                        if batch?.num_rows() > 0 {
                            break true;
                        }
                    }
                    None => break false,
                }
            },
        };
        if extra {
            return Err(Error::invalid_input(
                "the new columns hold more rows than the dataset",
            ));
        }
        Ok(())
    }
}
