//! A fragment of a dataset version, and adding columns to it without rewriting its data.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, UInt64Array};
use arrow_row::{RowConverter, SortField};
use arrow_schema::{ArrowError, Schema, SchemaRef};
use futures::StreamExt;
use futures::stream::BoxStream;
use lancer_file::{FileVersion, FileWriter, FileWriterOptions, LanceSchema};
use lancer_table::naming::new_data_file_name;
use lancer_table::{DataFile, Fragment, add_fields};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::read::fragment_stream;
use crate::write::check_writable;

/// Rows per batch when reading a fragment's columns to add new ones.
const READ_BATCH_ROWS: usize = 8192;

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

    /// Removes the data files a merge of this fragment wrote (those of `merged` that no
    /// fragment of this version lists), when its result is not going to be committed.
    /// Files of the version are never touched, whatever `merged` says.
    pub async fn discard_merge(&self, merged: &Fragment) -> Result<()> {
        use object_store::ObjectStoreExt;
        let in_use: std::collections::HashSet<&str> = self
            .dataset
            .manifest
            .fragments
            .iter()
            .flat_map(|f| &f.files)
            .map(|f| f.path.as_str())
            .collect();
        for file in &merged.files {
            if in_use.contains(file.path.as_str()) {
                continue;
            }
            lancer_table::check_relative_path(&file.path).map_err(|why| {
                Error::in_data_file(self.fragment.id.to_string(), file.path.clone(), why)
            })?;
            match self
                .dataset
                .object_store()
                .delete(&self.dataset.data_path(&file.path))
                .await
            {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Rows visible (deleted rows excluded), when known.
    pub fn count_rows(&self) -> Option<u64> {
        self.fragment.num_rows()
    }

    /// The rows at `offsets` among this fragment's visible rows, in the order given, with
    /// `columns` (every column when None).
    pub async fn take(&self, offsets: &[u64], columns: Option<&[String]>) -> Result<RecordBatch> {
        let dataset = &self.dataset;
        let index = dataset
            .manifest
            .fragments
            .iter()
            .position(|f| f.id == self.id())
            .ok_or_else(|| Error::not_found(format!("no fragment {}", self.id())))?;
        let rows = dataset.visible_rows(self.metadata()).await?;
        let mut wanted = Vec::with_capacity(offsets.len());
        for &offset in offsets {
            if offset >= rows {
                return Err(Error::invalid_input(format!(
                    "row offset {offset} is past the end of fragment {} ({rows} rows)",
                    self.id()
                )));
            }
            wanted.push((index, offset));
        }
        dataset.take_from(&wanted, columns).await
    }

    /// The fragment's rows (deleted ones removed), as a scan restricted to it.
    pub fn scan(&self) -> crate::read::Scanner {
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
        compute: F,
        read_columns: &[&str],
    ) -> Result<(Fragment, LanceSchema)>
    where
        F: FnMut(RecordBatch) -> std::result::Result<RecordBatch, ArrowError>,
    {
        self.merge_columns_in_batches(compute, read_columns, READ_BATCH_ROWS)
            .await
    }

    /// [`merge_columns`](Self::merge_columns), handing `compute` batches of at most
    /// `batch_size` rows (which bounds what it holds in memory). 0 is refused.
    pub async fn merge_columns_in_batches<F>(
        &self,
        mut compute: F,
        read_columns: &[&str],
        batch_size: usize,
    ) -> Result<(Fragment, LanceSchema)>
    where
        F: FnMut(RecordBatch) -> std::result::Result<RecordBatch, ArrowError>,
    {
        if batch_size == 0 {
            return Err(Error::invalid_input("batch_size must be at least 1"));
        }
        let version = check_writable(&self.dataset.manifest)?;
        let arrow = self.read_schema(read_columns)?;
        let mut input = self.read_rows_in_batches(read_columns, batch_size)?;
        let mut output: Option<NewColumns> = None;
        let written = async {
            while let Some(batch) = input.next().await {
                let batch = batch?;
                let rows = batch.num_rows();
                let computed = compute(batch)?;
                if computed.num_rows() != rows {
                    return Err(Error::invalid_input(format!(
                        "the merge function returned {} rows for a batch of {rows}",
                        computed.num_rows()
                    )));
                }
                if output.is_none() {
                    output = Some(self.new_columns(computed.schema(), version).await?);
                }
                output
                    .as_mut()
                    .expect("created above")
                    .write(&computed)
                    .await?;
            }
            Ok(())
        }
        .await;
        if let Err(e) = written {
            return Err(match output {
                Some(output) => output.abandon(e).await,
                None => e,
            });
        }
        let output = match output {
            Some(output) => output,
            // An empty fragment still needs the new columns' schema: ask with no rows.
            None => {
                self.new_columns(compute(RecordBatch::new_empty(arrow))?.schema(), version)
                    .await?
            }
        };
        output.finish(&self.fragment).await
    }

    /// Adds columns given as batches lined up with the fragment's rows: the batches
    /// together must hold exactly one row per physical row of the fragment, in order (deleted
    /// rows included). `schema` is the new columns' schema (needed when there are no rows).
    pub async fn merge_batches<S>(
        &self,
        schema: SchemaRef,
        mut batches: S,
    ) -> Result<(Fragment, LanceSchema)>
    where
        S: futures::Stream<Item = Result<RecordBatch>> + Unpin,
    {
        let version = check_writable(&self.dataset.manifest)?;
        let mut output = self.new_columns(schema, version).await?;
        let written = async {
            while let Some(batch) = batches.next().await {
                output.write(&batch?).await?;
            }
            Ok(())
        }
        .await;
        match written {
            Ok(()) => output.finish(&self.fragment).await,
            Err(e) => Err(output.abandon(e).await),
        }
    }

    fn read_schema(&self, read_columns: &[&str]) -> Result<SchemaRef> {
        let fields = read_columns
            .iter()
            .map(|name| {
                self.dataset
                    .schema()
                    .field(name)
                    .ok_or_else(|| {
                        Error::invalid_input(format!("the dataset has no column `{name}`"))
                    })?
                    .to_arrow()
                    .map_err(Error::from)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Arc::new(Schema::new(fields)))
    }

    /// Every physical row of `columns` (deleted rows included, so new columns line up).
    pub fn read_all_rows(
        &self,
        columns: &[&str],
    ) -> Result<BoxStream<'static, Result<RecordBatch>>> {
        self.read_rows_in_batches(columns, READ_BATCH_ROWS)
    }

    fn read_rows_in_batches(
        &self,
        columns: &[&str],
        batch_size: usize,
    ) -> Result<BoxStream<'static, Result<RecordBatch>>> {
        let arrow = self.read_schema(columns)?;
        let lance_fields = columns
            .iter()
            .map(|name| {
                self.dataset
                    .schema()
                    .field(name)
                    .cloned()
                    .expect("checked by read_schema")
            })
            .collect();
        Ok(fragment_stream(
            self.dataset.clone(),
            self.fragment.clone(),
            arrow,
            Arc::new(lance_fields),
            batch_size,
            false,
        ))
    }

    /// A new data file for columns of `schema`, with ids continuing the dataset's.
    /// `version` is the dataset's data file version (from `check_writable`), so the new
    /// file does not mix versions into it.
    async fn new_columns(&self, schema: SchemaRef, version: FileVersion) -> Result<NewColumns> {
        // View types are kept as their plain types, as for a new dataset.
        let schema = crate::write::conform::storable_schema(&schema)?;
        let fields: Vec<_> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
        if fields.is_empty() {
            return Err(Error::invalid_input("the new columns have no fields"));
        }
        let dataset_schema = add_fields(&self.dataset.manifest, &fields)?;
        let new_ids: Vec<i32> = fields
            .iter()
            .map(|f| dataset_schema.field(f.name()).expect("just added").id)
            .collect();
        let file_schema = dataset_schema.project_ids(&new_ids);
        let arrow = file_schema.to_arrow_ref()?;
        let name = new_data_file_name();
        let writer = crate::write::data_file_writer(
            self.dataset.object_store(),
            self.dataset.store.root(),
            lancer_commit::local_dir(self.dataset.uri()).as_deref(),
            &name,
            file_schema,
            FileWriterOptions::default().with_version(version),
        )?;
        Ok(NewColumns {
            writer,
            name,
            dataset_schema,
            arrow,
            limit: self.fragment.physical_rows,
            fragment_id: self.fragment.id,
        })
    }

    /// Adds the columns of `table` (all but `on`), matching its rows to the fragment's by
    /// the key column `on`. Fragment rows without a match get nulls; a key that appears
    /// twice in `table` is refused.
    pub async fn merge(&self, table: &RecordBatch, on: &str) -> Result<(Fragment, LanceSchema)> {
        let key_index = table
            .schema()
            .index_of(on)
            .map_err(|_| Error::invalid_input(format!("the table has no key column `{on}`")))?;
        let key_type = self
            .dataset
            .schema()
            .field(on)
            .ok_or_else(|| Error::invalid_input(format!("the dataset has no key column `{on}`")))?
            .data_type()?;
        let key_field = arrow_schema::Field::new(on, key_type.clone(), true);
        let table_key = crate::write::conform::conform_column(table.column(key_index), &key_field)?;
        let converter = RowConverter::new(vec![SortField::new(key_type.clone())])?;
        let keys = converter.convert_columns(&[table_key])?;
        let mut index: HashMap<Vec<u8>, u64> = HashMap::with_capacity(keys.num_rows());
        for (row, key) in keys.iter().enumerate() {
            if table.column(key_index).is_null(row) {
                continue;
            }
            if index.insert(key.as_ref().to_vec(), row as u64).is_some() {
                return Err(Error::invalid_input(format!(
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

/// The file the new columns of a fragment go to.
struct NewColumns {
    writer: FileWriter,
    name: String,
    dataset_schema: LanceSchema,
    arrow: SchemaRef,
    /// The fragment's rows: more new rows than this is an error as soon as it happens, so
    /// a source that never ends cannot fill the disk.
    limit: Option<u64>,
    fragment_id: u64,
}

impl NewColumns {
    async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if let Some(limit) = self.limit
            && self.writer.num_rows() + batch.num_rows() as u64 > limit
        {
            return Err(Error::invalid_input(format!(
                "more than {limit} rows of new columns were given for fragment {}, which has {limit}",
                self.fragment_id
            )));
        }
        if batch.num_columns() != self.arrow.fields().len() {
            return Err(Error::invalid_input(format!(
                "a batch of new columns has {} columns, the first had {}",
                batch.num_columns(),
                self.arrow.fields().len()
            )));
        }
        // Later batches may differ from the first as inputs do (views, child names).
        let aligned = crate::write::conform::conform_batch(batch, &self.arrow)?;
        Ok(self.writer.write_batch(&aligned).await?)
    }

    /// Removes the partial file after `error`, which is returned (a failure to remove is
    /// added to it: the file is then an orphan for cleanup to find).
    async fn abandon(self, error: Error) -> Error {
        match self.writer.abort().await {
            Ok(()) => error,
            Err(e) => Error::invalid_input(format!(
                "{error}; the partial data file `{}` could not be removed: {e}",
                self.name
            )),
        }
    }

    async fn finish(self, fragment: &Fragment) -> Result<(Fragment, LanceSchema)> {
        let rows = self.writer.num_rows();
        if let Some(expected) = fragment.physical_rows
            && rows != expected
        {
            self.writer.abort().await?;
            return Err(Error::invalid_input(format!(
                "fragment {} has {expected} rows but {rows} rows of new columns were given",
                fragment.id
            )));
        }
        let written = self.writer.finish().await?;
        let (fields, columns) = written.data_file_fields();
        let mut fragment = fragment.clone();
        fragment.files.push(DataFile::new(
            self.name,
            fields,
            columns,
            written.version,
            written.size_bytes,
        ));
        fragment.physical_rows = Some(written.num_rows);
        Ok((fragment, self.dataset_schema))
    }
}

impl Dataset {
    /// The fragments of this version, in order.
    pub fn get_fragments(&self) -> Vec<DatasetFragment> {
        self.manifest
            .fragments
            .iter()
            .map(|f| DatasetFragment::new(self.clone(), f.clone()))
            .collect()
    }

    /// The fragment with id `id`.
    pub fn get_fragment(&self, id: u64) -> Option<DatasetFragment> {
        self.manifest
            .fragments
            .iter()
            .find(|f| f.id == id)
            .map(|f| DatasetFragment::new(self.clone(), f.clone()))
    }
}
