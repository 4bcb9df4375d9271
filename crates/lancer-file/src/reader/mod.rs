//! Reading Lance files: one tail read for the metadata, then only the pages of the requested
//! columns and rows, as a stream of record batches.

mod cursor;
mod structural;
mod v2_0;

use std::ops::Range;
use std::sync::Arc;

use arrow_array::{RecordBatch, RecordBatchOptions};
use arrow_schema::{Schema, SchemaRef};
use futures::future::try_join_all;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};

use crate::error::{Error, Result};
use crate::format::{ColumnInfo, FileMetadata, FileVersion, MetadataParse, parse_metadata};
use crate::schema::LanceSchema;
use cursor::{FieldCursor, PageIo};

/// Bytes read from the end of a file when opening it; usually the whole metadata.
const TAIL_READ: u64 = 64 * 1024;
/// A file claiming more metadata than this is refused rather than read.
const MAX_METADATA_BYTES: u64 = 1 << 30;

/// Which top-level fields to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Projection {
    /// Every field, in schema order.
    All,
    /// These fields, by name, in this order.
    Names(Vec<String>),
    /// The top-level fields with these field ids, in this order.
    FieldIds(Vec<i32>),
}

/// What to read from a file.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    projection: Projection,
    rows: Option<Range<u64>>,
    batch_size: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            projection: Projection::All,
            rows: None,
            batch_size: 8192,
        }
    }
}

impl ReadOptions {
    /// Reads only these columns.
    pub fn with_projection(mut self, projection: Projection) -> Self {
        self.projection = projection;
        self
    }

    /// Reads only these rows.
    pub fn with_rows(mut self, rows: Range<u64>) -> Self {
        self.rows = Some(rows);
        self
    }

    /// The projection.
    pub fn projection(&self) -> &Projection {
        &self.projection
    }

    /// Rows per batch (default 8192).
    pub fn with_batch_size(mut self, rows: usize) -> Self {
        self.batch_size = rows.max(1);
        self
    }
}

struct ScanState {
    cursors: Vec<FieldCursor>,
    io: PageIo,
    schema: SchemaRef,
    ranges: Box<dyn Iterator<Item = Range<u64>> + Send>,
}

/// The last [`TAIL_READ`] bytes of a file and its size, in one request: a bounded range when
/// the size is known, else a suffix range (falling back to a HEAD first on stores that do not
/// serve suffix ranges, such as Azure).
async fn read_tail(
    store: &Arc<dyn ObjectStore>,
    path: &Path,
    size: Option<u64>,
) -> Result<(u64, bytes::Bytes)> {
    let ranged = |range| GetOptions {
        range: Some(range),
        ..Default::default()
    };
    let size = match size {
        Some(size) => size,
        None => match store
            .get_opts(path, ranged(GetRange::Suffix(TAIL_READ)))
            .await
        {
            Ok(result) => {
                let size = result.meta.size;
                return Ok((size, result.bytes().await?));
            }
            Err(object_store::Error::NotSupported { .. }) => store.head(path).await?.size,
            Err(e) => return Err(e.into()),
        },
    };
    if size == 0 {
        return Ok((0, bytes::Bytes::new()));
    }
    let result = store
        .get_opts(
            path,
            ranged(GetRange::Bounded(size.saturating_sub(TAIL_READ)..size)),
        )
        .await?;
    let actual = result.meta.size;
    Ok((actual, result.bytes().await?))
}

/// An open Lance file.
#[derive(Clone)]
pub struct FileReader {
    io: PageIo,
    metadata: Arc<FileMetadata>,
    columns: Arc<Vec<Arc<ColumnInfo>>>,
}

impl std::fmt::Debug for FileReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileReader")
            .field("path", &self.io.path)
            .field("version", &self.metadata.version)
            .field("num_rows", &self.metadata.num_rows)
            .finish()
    }
}

impl FileReader {
    /// Opens a file with a single read of its tail (a second only for very large metadata).
    pub async fn open(store: Arc<dyn ObjectStore>, path: &Path) -> Result<Self> {
        Self::open_inner(store, path, None)
            .await
            .map_err(|e| e.in_file(path))
    }

    /// Opens a file whose size is already known (e.g. from a manifest); the size read from
    /// storage must agree.
    pub async fn open_with_size(
        store: Arc<dyn ObjectStore>,
        path: &Path,
        size: u64,
    ) -> Result<Self> {
        Self::open_inner(store, path, Some(size))
            .await
            .map_err(|e| e.in_file(path))
    }

    async fn open_inner(
        store: Arc<dyn ObjectStore>,
        path: &Path,
        expected_size: Option<u64>,
    ) -> Result<Self> {
        let (file_size, mut tail) = read_tail(&store, path, expected_size).await?;
        if let Some(expected) = expected_size
            && expected != file_size
        {
            return Err(Error::Corrupt(format!(
                "the file has {file_size} bytes, {expected} were expected"
            )));
        }
        let metadata = loop {
            match parse_metadata(&tail, file_size)? {
                MetadataParse::Parsed(metadata) => break metadata,
                MetadataParse::NeedFrom(position) => {
                    let tail_start = file_size - tail.len() as u64;
                    if position >= tail_start {
                        return Err(Error::Corrupt(
                            "metadata parser asked for bytes it had".into(),
                        ));
                    }
                    if file_size - position > MAX_METADATA_BYTES {
                        return Err(Error::Corrupt(format!(
                            "metadata claims {} bytes, more than the {MAX_METADATA_BYTES} accepted",
                            file_size - position
                        )));
                    }
                    tail = store.get_range(path, position..file_size).await?;
                }
            }
        };
        let columns = metadata.columns.iter().cloned().map(Arc::new).collect();
        Ok(FileReader {
            io: PageIo {
                store,
                path: path.clone(),
            },
            metadata: Arc::from(metadata),
            columns: Arc::new(columns),
        })
    }

    /// Everything learned from the file's tail.
    pub fn metadata(&self) -> &FileMetadata {
        &self.metadata
    }

    /// The embedded schema, with field ids.
    pub fn schema(&self) -> &LanceSchema {
        &self.metadata.schema
    }

    /// Number of rows.
    pub fn num_rows(&self) -> u64 {
        self.metadata.num_rows
    }

    /// File format version.
    pub fn version(&self) -> FileVersion {
        self.metadata.version
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.io.path
    }

    /// The Arrow schema of what `projection` reads.
    pub fn projected_schema(&self, projection: &Projection) -> Result<SchemaRef> {
        let (schema, _) = self.plan(projection)?;
        Ok(schema)
    }

    /// Top-level fields to read, with the index of their first column.
    fn plan(&self, projection: &Projection) -> Result<(SchemaRef, Vec<usize>)> {
        let arrow = self.metadata.schema.to_arrow()?;
        let mut first_columns = Vec::with_capacity(arrow.fields().len());
        let mut next = 0;
        for field in arrow.fields() {
            first_columns.push(next);
            next += match self.metadata.version {
                FileVersion::V2_0 => lancer_encoding::column_count(field.data_type()),
                _ => lancer_encoding::leaf_count(field.data_type()),
            };
        }
        if self.metadata.version == FileVersion::V2_0 && next > self.columns.len() {
            return Err(Error::Corrupt(format!(
                "the schema needs {next} columns, the file has {}",
                self.columns.len()
            )));
        }
        let indices: Vec<usize> = match projection {
            Projection::All => (0..arrow.fields().len()).collect(),
            Projection::Names(names) => names
                .iter()
                .map(|name| {
                    arrow.index_of(name).map_err(|_| {
                        Error::InvalidInput(format!("the file has no column `{name}`"))
                    })
                })
                .collect::<Result<_>>()?,
            Projection::FieldIds(ids) => ids
                .iter()
                .map(|id| {
                    self.metadata
                        .schema
                        .fields
                        .iter()
                        .position(|f| f.id == *id)
                        .ok_or_else(|| {
                            Error::InvalidInput(format!(
                                "the file has no top-level field with id {id}"
                            ))
                        })
                })
                .collect::<Result<_>>()?,
        };
        let fields: Vec<_> = indices.iter().map(|&i| arrow.field(i).clone()).collect();
        let schema = Arc::new(Schema::new_with_metadata(fields, arrow.metadata().clone()));
        Ok((schema, indices.iter().map(|&i| first_columns[i]).collect()))
    }

    /// Reads the requested columns and rows as a stream of batches.
    pub fn read_stream(
        &self,
        options: ReadOptions,
    ) -> Result<BoxStream<'static, Result<RecordBatch>>> {
        self.read_stream_inner(options)
            .map_err(|e| e.in_file(&self.io.path))
    }

    fn read_stream_inner(
        &self,
        options: ReadOptions,
    ) -> Result<BoxStream<'static, Result<RecordBatch>>> {
        let structural = matches!(self.metadata.version, FileVersion::V2_1 | FileVersion::V2_2);
        if self.metadata.version != FileVersion::V2_0 && !structural {
            return Err(Error::UnsupportedVersion {
                version: self.metadata.version.to_string(),
                reason: format!(
                    "file version {} pages not supported (lancer decodes 2.0, 2.1 and 2.2 \
                     pages; schema, rows and version of this file can still be read)",
                    self.metadata.version
                ),
            });
        }
        let (schema, first_columns) = self.plan(&options.projection)?;
        let num_rows = self.metadata.num_rows;
        let rows = options.rows.clone().unwrap_or(0..num_rows);
        if rows.start > rows.end || rows.end > num_rows {
            return Err(Error::InvalidInput(format!(
                "rows {}..{} requested from a file of {num_rows} rows",
                rows.start, rows.end
            )));
        }
        let mut cursors = Vec::with_capacity(first_columns.len());
        for (field, first) in schema.fields().iter().zip(first_columns) {
            let mut cursor = if structural {
                FieldCursor::Structural(structural::FieldCursor::new(
                    field,
                    &self.columns,
                    first,
                    num_rows,
                )?)
            } else {
                let mut next = first;
                FieldCursor::V2_0(v2_0::FieldCursor::new(
                    field,
                    field.name().clone(),
                    &self.columns,
                    &mut next,
                    num_rows,
                )?)
            };
            debug_assert_eq!(cursor.first_column(), first);
            cursor.set_window(rows.clone());
            cursors.push(cursor);
        }
        let path = self.io.path.clone();
        let batch = options.batch_size as u64;
        let ranges = (rows.start..rows.end)
            .step_by(options.batch_size)
            .map(move |start| start..(start + batch).min(rows.end));
        let state = ScanState {
            cursors,
            io: self.io.clone(),
            schema,
            ranges: Box::new(ranges),
        };
        // The cursors move through the stream with its state, so batches come out in order and
        // each page is fetched once.
        let stream = stream::try_unfold(state, |mut state| async move {
            let Some(range) = state.ranges.next() else {
                return Ok(None);
            };
            let len = (range.end - range.start) as usize;
            let io = &state.io;
            let arrays =
                try_join_all(state.cursors.iter_mut().map(|c| c.read(io, range.clone()))).await?;
            let options = RecordBatchOptions::new().with_row_count(Some(len));
            let batch = RecordBatch::try_new_with_options(state.schema.clone(), arrays, &options)
                .map_err(|e| {
                Error::Corrupt(format!("decoded columns do not form a batch: {e}"))
            })?;
            Ok(Some((batch, state)))
        })
        .map_err(move |e: Error| e.in_file(&path));
        Ok(stream.boxed())
    }

    /// Reads the requested columns and rows into one batch.
    pub async fn read_all(&self, options: ReadOptions) -> Result<RecordBatch> {
        let schema = self
            .projected_schema(&options.projection)
            .map_err(|e| e.in_file(&self.io.path))?;
        let batches: Vec<RecordBatch> = self.read_stream(options)?.try_collect().await?;
        arrow_select::concat::concat_batches(&schema, &batches)
            .map_err(|e| Error::Corrupt(format!("cannot join batches: {e}")).in_file(&self.io.path))
    }
}
