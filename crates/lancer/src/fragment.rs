//! A fragment of a dataset version, and adding columns to it without rewriting its data.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, UInt64Array};
use arrow_row::{RowConverter, SortField};
use arrow_schema::{ArrowError, Schema};
use futures::StreamExt;
use lancer_file::{FileWriter, FileWriterOptions, LanceSchema};
use lancer_table::naming::{DATA_DIR, new_data_file_name};
use lancer_table::{DataFile, Fragment, add_fields};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::scan::fragment_stream;
use crate::write::check_writable;

/// A fragment of a dataset version.
#[derive(Clone, Debug)]
pub struct DatasetFragment {
    dataset: Dataset,
    fragment: Fragment,
}

impl DatasetFragment {
    pub(crate) fn new(dataset: Dataset, fragment: Fragment) -> Self {
        DatasetFragment { dataset, fragment }
    }

    /// The fragment's id.
    pub fn id(&self) -> u64 {
        self.fragment.id
    }

    /// The fragment's metadata (what `to_json` prints).
    pub fn metadata(&self) -> &Fragment {
        &self.fragment
    }

    /// Rows visible (deleted rows excluded), when known.
    pub fn count_rows(&self) -> Option<u64> {
        self.fragment.num_rows()
    }

    /// The fragment's rows (deleted ones removed), as a scan restricted to it.
    pub fn scan(&self) -> crate::Scanner {
        self.dataset.scan().with_fragments(&[self.fragment.id])
    }

    /// Adds columns computed from existing ones, without rewriting existing data: the
    /// columns `read_columns` are read batch by batch (every physical row, deleted ones
    /// included, so the new file lines up with the old ones), `compute` returns the new
    /// columns for each batch, and they are written as one new data file of the fragment.
    ///
    /// Returns the fragment with the new file and the dataset's new schema, for a Merge
    /// commit listing every fragment. New field ids depend only on the dataset version and
    /// the new columns, so workers adding the same columns from the same version agree.
    pub async fn merge_columns<F>(
        &self,
        mut compute: F,
        read_columns: &[&str],
    ) -> Result<(Fragment, LanceSchema)>
    where
        F: FnMut(RecordBatch) -> std::result::Result<RecordBatch, ArrowError>,
    {
        check_writable(&self.dataset.manifest)?;
        let lance_fields: Vec<_> = read_columns
            .iter()
            .map(|name| {
                self.dataset.schema().field(name).cloned().ok_or_else(|| {
                    Error::InvalidInput(format!("the dataset has no column `{name}`"))
                })
            })
            .collect::<Result<_>>()?;
        let arrow = Arc::new(Schema::new(
            lance_fields
                .iter()
                .map(|f| f.to_arrow())
                .collect::<lancer_file::Result<Vec<_>>>()?,
        ));
        let mut input = fragment_stream(
            self.dataset.clone(),
            self.fragment.clone(),
            arrow.clone(),
            Arc::new(lance_fields),
            8192,
            false,
        );
        let mut writer: Option<(FileWriter, String, LanceSchema)> = None;
        let mut first = true;
        loop {
            let batch = match input.next().await {
                Some(batch) => batch?,
                // An empty fragment still needs the new columns' schema: ask with no rows.
                None if first => RecordBatch::new_empty(arrow.clone()),
                None => break,
            };
            let rows = batch.num_rows();
            let computed = compute(batch)?;
            if computed.num_rows() != rows {
                return Err(Error::InvalidInput(format!(
                    "the merge function returned {} rows for a batch of {rows}",
                    computed.num_rows()
                )));
            }
            if writer.is_none() {
                let schema = add_fields(
                    &self.dataset.manifest,
                    computed
                        .schema()
                        .fields()
                        .iter()
                        .map(|f| f.as_ref().clone())
                        .collect::<Vec<_>>()
                        .as_slice(),
                )?;
                let new_ids: Vec<i32> = computed
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| schema.field(f.name()).expect("just added").id)
                    .collect();
                let file_schema = schema.project_ids(&new_ids);
                let name = new_data_file_name();
                let path = self.dataset.store.path(&format!("{DATA_DIR}/{name}"));
                let file = FileWriter::try_new(
                    self.dataset.object_store().clone(),
                    path,
                    file_schema,
                    FileWriterOptions::default(),
                )?;
                writer = Some((file, name, schema));
            }
            let (file, _, _) = writer.as_mut().expect("created above");
            if rows > 0 {
                let aligned = RecordBatch::try_new(
                    file.schema().to_arrow_ref()?,
                    computed.columns().to_vec(),
                )?;
                file.write_batch(&aligned).await?;
            }
            if first && rows == 0 && input.next().await.is_none() {
                break;
            }
            first = false;
        }
        let (file, name, schema) = writer.expect("the merge function ran at least once");
        let written = file.finish().await?;
        if let Some(rows) = self.fragment.physical_rows {
            if written.num_rows != rows {
                return Err(Error::InvalidInput(format!(
                    "fragment {} has {rows} rows but {} were computed",
                    self.fragment.id, written.num_rows
                )));
            }
        }
        let fields = written.schema.field_ids();
        let columns = (0..fields.len() as i32).collect();
        let mut fragment = self.fragment.clone();
        fragment.files.push(DataFile::new(
            name,
            fields,
            columns,
            written.version,
            written.size_bytes,
        ));
        fragment.physical_rows = Some(written.num_rows);
        Ok((fragment, schema))
    }

    /// Adds the columns of `table` (all but `on`), matching its rows to the fragment's by
    /// the key column `on`. Fragment rows without a match get nulls; a key that appears
    /// twice in `table` is refused.
    pub async fn merge(&self, table: &RecordBatch, on: &str) -> Result<(Fragment, LanceSchema)> {
        let key_index = table
            .schema()
            .index_of(on)
            .map_err(|_| Error::InvalidInput(format!("the table has no key column `{on}`")))?;
        let key_type = self
            .dataset
            .schema()
            .field(on)
            .ok_or_else(|| Error::InvalidInput(format!("the dataset has no key column `{on}`")))?
            .data_type()?;
        let table_key = arrow_cast_to(table.column(key_index), &key_type)?;
        let converter = RowConverter::new(vec![SortField::new(key_type.clone())])?;
        let keys = converter.convert_columns(&[table_key])?;
        let mut index: HashMap<Vec<u8>, u64> = HashMap::with_capacity(keys.num_rows());
        for (row, key) in keys.iter().enumerate() {
            if table.column(key_index).is_null(row) {
                continue;
            }
            if index.insert(key.as_ref().to_vec(), row as u64).is_some() {
                return Err(Error::InvalidInput(format!(
                    "key column `{on}` has a value twice (row {row})"
                )));
            }
        }
        let new_columns: Vec<usize> = (0..table.num_columns())
            .filter(|i| *i != key_index)
            .collect();
        let new_table = table.project(&new_columns)?;
        self.merge_columns(
            |batch| {
                let rows = converter.convert_columns(batch.columns())?;
                let indices: UInt64Array = rows
                    .iter()
                    .map(|key| index.get(key.as_ref()).copied())
                    .collect();
                let columns: Vec<ArrayRef> = new_table
                    .columns()
                    .iter()
                    .map(|column| arrow_select::take::take(column.as_ref(), &indices, None))
                    .collect::<std::result::Result<_, _>>()?;
                RecordBatch::try_new(new_table.schema(), columns)
            },
            &[on],
        )
        .await
    }
}

fn arrow_cast_to(array: &ArrayRef, data_type: &arrow_schema::DataType) -> Result<ArrayRef> {
    if array.data_type() == data_type {
        return Ok(array.clone());
    }
    Err(Error::InvalidInput(format!(
        "the table's key column has type {}, the dataset's {data_type}",
        array.data_type()
    )))
}
