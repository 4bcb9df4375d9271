//! Reading a dataset: fragments in order (several at once), each assembled from its data
//! files, with deleted rows removed.

use std::collections::HashSet;
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, RecordBatch, RecordBatchOptions, new_null_array};
use arrow_schema::{Schema, SchemaRef};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use lancer_file::{FileReader, LanceField, Projection, ReadOptions};
use lancer_table::Fragment;

use super::deletion::deleted_rows;
use crate::dataset::Dataset;
use crate::error::{Error, Result};

/// Batches kept ready per fragment being read ahead.
const READ_AHEAD_BATCHES: usize = 2;

/// A scan of a dataset version.
#[derive(Clone, Debug)]
pub struct Scanner {
    dataset: Dataset,
    columns: Option<Vec<String>>,
    limit: Option<u64>,
    batch_size: usize,
    fragments: Option<Vec<u64>>,
    parallelism: usize,
}

impl Scanner {
    pub(crate) fn new(dataset: Dataset) -> Self {
        Scanner {
            dataset,
            columns: None,
            limit: None,
            batch_size: 8192,
            fragments: None,
            parallelism: 4,
        }
    }

    /// Reads only these top-level columns, in this order.
    pub fn project<S: AsRef<str>>(mut self, columns: &[S]) -> Self {
        self.columns = Some(columns.iter().map(|c| c.as_ref().to_string()).collect());
        self
    }

    /// Stops after this many rows.
    pub fn limit(mut self, rows: u64) -> Self {
        self.limit = Some(rows);
        self
    }

    /// Rows per batch (default 8192; batches never span fragments, so some are shorter).
    pub fn batch_size(mut self, rows: usize) -> Self {
        self.batch_size = rows.max(1);
        self
    }

    /// Reads only these fragments (in dataset order).
    pub fn with_fragments(mut self, ids: &[u64]) -> Self {
        self.fragments = Some(ids.to_vec());
        self
    }

    /// Fragments read at the same time (default 4).
    pub fn parallelism(mut self, fragments: usize) -> Self {
        self.parallelism = fragments.max(1);
        self
    }

    /// The Arrow schema of the batches.
    pub fn schema(&self) -> Result<SchemaRef> {
        Ok(Arc::new(
            projected_schema(&self.dataset, self.columns.as_deref())?.0,
        ))
    }

    /// The rows as a stream of batches, fragment after fragment.
    pub fn try_into_stream(self) -> Result<BoxStream<'static, Result<RecordBatch>>> {
        let (schema, fields) = projected_schema(&self.dataset, self.columns.as_deref())?;
        let schema = Arc::new(schema);
        let fragments: Vec<Fragment> = match &self.fragments {
            None => self.dataset.manifest.fragments.clone(),
            Some(ids) => {
                for id in ids {
                    if self.dataset.fragment_metadata(*id).is_none() {
                        return Err(Error::not_found(format!(
                            "version {} has no fragment {id}",
                            self.dataset.version()
                        )));
                    }
                }
                self.dataset
                    .manifest
                    .fragments
                    .iter()
                    .filter(|f| ids.contains(&f.id))
                    .cloned()
                    .collect()
            }
        };
        let (dataset, batch_size) = (self.dataset.clone(), self.batch_size);
        let fields = Arc::new(fields);
        let per_fragment = stream::iter(fragments)
            .map(move |fragment| {
                let (dataset, schema, fields) = (dataset.clone(), schema.clone(), fields.clone());
                read_ahead(fragment_stream(
                    dataset, fragment, schema, fields, batch_size, true,
                ))
            })
            .buffered(self.parallelism)
            .flatten();
        Ok(match self.limit {
            None => per_fragment.boxed(),
            Some(limit) => {
                let mut left = limit;
                per_fragment
                    .try_take_while(move |_| futures::future::ready(Ok(left > 0)))
                    .map_ok(move |batch| {
                        let keep = (batch.num_rows() as u64).min(left);
                        left -= keep;
                        batch.slice(0, keep as usize)
                    })
                    .boxed()
            }
        })
    }

    /// All rows in one batch.
    pub async fn to_batch(self) -> Result<RecordBatch> {
        let schema = self.schema()?;
        let batches: Vec<RecordBatch> = self.try_into_stream()?.try_collect().await?;
        Ok(arrow_select::concat::concat_batches(&schema, &batches)?)
    }
}

/// Starts reading a fragment in the background (inside a tokio runtime), keeping a few
/// batches ready, so several fragments are read at once while the output stays in order.
async fn read_ahead(
    stream: BoxStream<'static, Result<RecordBatch>>,
) -> BoxStream<'static, Result<RecordBatch>> {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return stream;
    };
    let (sender, mut receiver) = tokio::sync::mpsc::channel(READ_AHEAD_BATCHES);
    runtime.spawn(async move {
        let mut stream = stream;
        while let Some(item) = stream.next().await {
            if sender.send(item).await.is_err() {
                break;
            }
        }
    });
    stream::poll_fn(move |cx| receiver.poll_recv(cx)).boxed()
}

fn projected_schema(
    dataset: &Dataset,
    columns: Option<&[String]>,
) -> Result<(Schema, Vec<LanceField>)> {
    let schema = dataset.schema();
    let fields: Vec<LanceField> = match columns {
        None => schema.fields.clone(),
        Some(names) => names
            .iter()
            .map(|name| {
                schema.field(name).cloned().ok_or_else(|| {
                    Error::invalid_input(format!("the dataset has no column `{name}`"))
                })
            })
            .collect::<Result<_>>()?,
    };
    let arrow = fields
        .iter()
        .map(LanceField::to_arrow)
        .collect::<lancer_file::Result<Vec<_>>>()?;
    let metadata = dataset.arrow_schema()?.metadata().clone();
    Ok((Schema::new_with_metadata(arrow, metadata), fields))
}

/// The rows of one fragment, `fields` assembled from the files that hold them (columns no
/// file holds read as nulls), without the deleted rows when `skip_deleted`.
pub(crate) fn fragment_stream(
    dataset: Dataset,
    fragment: Fragment,
    schema: SchemaRef,
    fields: Arc<Vec<LanceField>>,
    batch_size: usize,
    skip_deleted: bool,
) -> BoxStream<'static, Result<RecordBatch>> {
    let setup = async move {
        // Which file holds each projected field. Files of version 2.1 and later list only
        // the ids of leaf fields (a list or struct has no column of its own), so a file
        // holds a field if it lists the field or any field below it.
        let mut groups: Vec<(usize, Vec<(usize, i32)>)> = Vec::new();
        for (position, field) in fields.iter().enumerate() {
            let ids: Vec<i32> = field.walk().iter().map(|f| f.id).collect();
            if let Some(f) = fragment
                .files
                .iter()
                .position(|file| file.fields.iter().any(|id| ids.contains(id)))
            {
                match groups.iter_mut().find(|(file, _)| *file == f) {
                    Some((_, list)) => list.push((position, field.id)),
                    None => groups.push((f, vec![(position, field.id)])),
                }
            }
        }
        let mut streams = Vec::with_capacity(groups.len());
        for (file_index, members) in &groups {
            let file = &fragment.files[*file_index];
            let path = dataset.data_path(&file.path);
            let reader = match file.file_size_bytes {
                Some(size) => {
                    FileReader::open_with_size(dataset.object_store().clone(), &path, size).await?
                }
                None => FileReader::open(dataset.object_store().clone(), &path).await?,
            };
            let ids = members.iter().map(|(_, id)| *id).collect();
            let mut options = ReadOptions::default()
                .with_projection(Projection::FieldIds(ids))
                .with_batch_size(batch_size);
            // The manifest's row count is the fragment's, as Lance readers take it: a file
            // holding more rows shows only the first ones, one holding fewer is an error.
            if let Some(rows) = fragment.physical_rows {
                if rows > reader.num_rows() {
                    return Err(Error::in_data_file(
                        fragment.id.to_string(),
                        file.path.clone(),
                        format!(
                            "the manifest says {rows} rows, the data file has {}",
                            reader.num_rows()
                        ),
                    ));
                }
                if rows < reader.num_rows() {
                    options = options.with_rows(0..rows);
                }
            }
            streams.push(reader.read_stream(options)?);
        }
        let deleted = if skip_deleted {
            deleted_rows(&dataset.store, &fragment).await?
        } else {
            HashSet::new()
        };
        let rows = fragment.physical_rows.unwrap_or_default();
        let state = Assembly {
            streams,
            groups,
            schema,
            offset: 0,
            deleted,
            fragment_rows: rows,
        };
        Ok::<_, Error>(stream::try_unfold(state, |mut state| async move {
            state.next().await.map(|b| b.map(|b| (b, state)))
        }))
    };
    stream::once(setup).try_flatten().boxed()
}

struct Assembly {
    streams: Vec<BoxStream<'static, lancer_file::Result<RecordBatch>>>,
    groups: Vec<(usize, Vec<(usize, i32)>)>,
    schema: SchemaRef,
    offset: u64,
    deleted: HashSet<u32>,
    fragment_rows: u64,
}

impl Assembly {
    async fn next(&mut self) -> Result<Option<RecordBatch>> {
        loop {
            let mut columns: Vec<Option<ArrayRef>> = vec![None; self.schema.fields().len()];
            let mut rows = None;
            for (stream, (_, members)) in self.streams.iter_mut().zip(&self.groups) {
                match stream.next().await.transpose()? {
                    None => {
                        if rows.is_some() {
                            return Err(Error::unsupported(
                                "the files of a fragment hold different numbers of rows",
                            ));
                        }
                    }
                    Some(batch) => {
                        if rows.is_some_and(|r| r != batch.num_rows()) {
                            return Err(Error::unsupported(
                                "the files of a fragment hold different numbers of rows",
                            ));
                        }
                        rows = Some(batch.num_rows());
                        for ((position, _), column) in members.iter().zip(batch.columns()) {
                            columns[*position] = Some(column.clone());
                        }
                    }
                }
            }
            let rows = match rows {
                Some(rows) => rows,
                // A fragment with no file for any projected column: its row count decides.
                None if self.streams.is_empty() && self.offset < self.fragment_rows => {
                    (self.fragment_rows - self.offset).min(8192) as usize
                }
                None => return Ok(None),
            };
            let columns: Vec<ArrayRef> = columns
                .into_iter()
                .zip(self.schema.fields())
                .map(|(column, field)| {
                    column.unwrap_or_else(|| new_null_array(field.data_type(), rows))
                })
                .collect();
            let batch = RecordBatch::try_new_with_options(
                self.schema.clone(),
                columns,
                &RecordBatchOptions::new().with_row_count(Some(rows)),
            )?;
            let start = self.offset;
            self.offset += rows as u64;
            if self.deleted.is_empty() {
                return Ok(Some(batch));
            }
            let keep: BooleanArray = (0..rows)
                .map(|i| Some(!self.deleted.contains(&((start + i as u64) as u32))))
                .collect();
            let filtered = arrow_select::filter::filter_record_batch(&batch, &keep)?;
            if filtered.num_rows() > 0 {
                return Ok(Some(filtered));
            }
        }
    }
}
