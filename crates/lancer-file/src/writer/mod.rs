//! Streaming writer of Lance files of version 2.0 (the default), 2.1 and 2.2.
//!
//! Each column keeps a queue of Arrow slices; when a queue holds about a page's worth of data
//! (8 MiB by default) it becomes a page. In 2.0 every field has a column; in 2.1 and 2.2
//! every leaf has one, and its queue holds the field's rows pruned to that leaf. Pages that become ready together are encoded in
//! parallel with rayon and written in order, each buffer 64-byte aligned. Memory stays
//! bounded by one queued page per column plus the pages being encoded; the file streams to
//! storage through a multipart upload once it outgrows one upload chunk.

mod layout;
mod queue;
mod sink;
mod structural;
mod v2_0;

use std::sync::Arc;

use arrow_array::RecordBatch;
use bytes::Bytes;
use lancer_encoding::StructuralVersion;
use lancer_encoding::proto::{COLUMN_ENCODING_TYPE_URL, ColumnEncoding, column_encoding};
use object_store::ObjectStore;
use object_store::path::Path;
use prost::Message;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::format::{
    FOOTER_LEN, FileVersion, Footer, PADDING_BYTE, PAGE_ALIGNMENT, direct_encoding,
};
use crate::proto;
use crate::schema::LanceSchema;
use layout::{ColumnLayout, Page};
use queue::Job;
use sink::{LocalSink, Sink, StoreSink};

static PADDING: [u8; PAGE_ALIGNMENT as usize] = [PADDING_BYTE; PAGE_ALIGNMENT as usize];

/// Options of a [`FileWriter`].
#[derive(Clone, Debug)]
pub struct FileWriterOptions {
    page_bytes: usize,
    upload_chunk_bytes: usize,
    max_concurrent_uploads: usize,
    version: FileVersion,
}

impl Default for FileWriterOptions {
    fn default() -> Self {
        FileWriterOptions {
            page_bytes: 8 * 1024 * 1024,
            upload_chunk_bytes: 8 * 1024 * 1024,
            max_concurrent_uploads: 4,
            version: FileVersion::V2_0,
        }
    }
}

impl FileWriterOptions {
    /// The file format version to write: 2.0 (the default), 2.1 or 2.2 (pylance 14's
    /// default). [`FileWriter::try_new`] refuses other versions.
    pub fn with_version(mut self, version: FileVersion) -> Self {
        self.version = version;
        self
    }

    /// The file format version written.
    pub fn version(&self) -> FileVersion {
        self.version
    }

    /// Bytes of data a column buffers before it is written as a page (default 8 MiB, as
    /// pylance). Arrays larger than this are split into several pages.
    pub fn with_page_bytes(mut self, bytes: usize) -> Self {
        self.page_bytes = bytes.max(1);
        self
    }

    /// Size of the parts of a multipart upload, and the size from which a file is uploaded
    /// in parts rather than with one put (default 8 MiB; S3 needs at least 5 MiB). Memory held
    /// for uploads is at most this times [`with_max_concurrent_uploads`](Self::with_max_concurrent_uploads).
    pub fn with_upload_chunk_bytes(mut self, bytes: usize) -> Self {
        self.upload_chunk_bytes = bytes.max(1);
        self
    }

    /// Parts uploaded concurrently (default 4).
    pub fn with_max_concurrent_uploads(mut self, n: usize) -> Self {
        self.max_concurrent_uploads = n.max(1);
        self
    }

    /// The page size in bytes.
    pub fn page_bytes(&self) -> usize {
        self.page_bytes
    }
}

/// What [`FileWriter::finish`] reports about the file it wrote.
#[derive(Clone, Debug)]
pub struct WrittenFile {
    /// Where the file is.
    pub path: Path,
    /// Number of rows.
    pub num_rows: u64,
    /// Size of the file in bytes.
    pub size_bytes: u64,
    /// The schema written into the file, with its field ids.
    pub schema: LanceSchema,
    /// The file format version.
    pub version: FileVersion,
    /// Number of columns in the file.
    pub num_columns: usize,
}

impl WrittenFile {
    /// What a manifest's `DataFile` records of this file: the ids of the fields with a
    /// column (every field in 2.0, the leaves from 2.1 on) and their column indices.
    pub fn data_file_fields(&self) -> (Vec<i32>, Vec<i32>) {
        let fields = self.schema.column_field_ids(self.version);
        let columns = (0..fields.len() as i32).collect();
        (fields, columns)
    }
}

/// Writes one Lance file from a stream of record batches.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use std::sync::Arc;
/// use arrow_array::{Int32Array, RecordBatch, StringArray};
/// use arrow_schema::{DataType, Field, Schema};
/// use lancer_file::{FileReader, FileWriter, FileWriterOptions, LanceSchema, ReadOptions};
/// use object_store::{memory::InMemory, path::Path};
///
/// let arrow = Arc::new(Schema::new(vec![
///     Field::new("a", DataType::Int32, true),
///     Field::new("b", DataType::Utf8, true),
/// ]));
/// let batch = RecordBatch::try_new(arrow.clone(), vec![
///     Arc::new(Int32Array::from(vec![1, 2, 3])),
///     Arc::new(StringArray::from(vec!["x", "y", "z"])),
/// ]).unwrap();
///
/// let store = Arc::new(InMemory::new());
/// let path = Path::from("data/example.lance");
/// let schema = LanceSchema::from_arrow(&arrow).unwrap(); // field ids 0 and 1
/// let mut writer = FileWriter::try_new(store.clone(), path.clone(), schema, FileWriterOptions::default()).unwrap();
/// writer.write_batch(&batch).await.unwrap();
/// let written = writer.finish().await.unwrap();
/// assert_eq!(written.num_rows, 3);
///
/// let reader = FileReader::open(store, &path).await.unwrap();
/// let back = reader.read_all(ReadOptions::default()).await.unwrap();
/// assert_eq!(back, batch);
/// # });
/// ```
pub struct FileWriter {
    path: Path,
    sink: Option<Sink>,
    schema: LanceSchema,
    /// Top-level fields, as batches must hold them.
    num_fields: usize,
    /// The file version's columns.
    layout: Box<dyn ColumnLayout>,
    /// Per column: the pages written, and the rows (or values) they hold.
    pages: Vec<Vec<proto::column_metadata::Page>>,
    rows_in_pages: Vec<u64>,
    position: u64,
    num_rows: u64,
    options: FileWriterOptions,
}

impl FileWriter {
    /// Prepares a writer for `path`. `schema` carries the field ids to record (the dataset's
    /// ids; a file written for a Merge holds only the new fields). Nothing is written to the
    /// store before the first page fills.
    pub fn try_new(
        store: Arc<dyn ObjectStore>,
        path: Path,
        schema: LanceSchema,
        options: FileWriterOptions,
    ) -> Result<Self> {
        let layout = layout_of(&schema, options.version)?;
        let sink = Sink::Store(StoreSink::new(
            store,
            path.clone(),
            options.upload_chunk_bytes,
            options.max_concurrent_uploads,
        ));
        Ok(FileWriter::with_sink(path, sink, schema, layout, options))
    }

    /// Prepares a writer for a file on the local disk, written directly rather than through
    /// an object store: chunks go to disk as they come instead of waiting in upload parts,
    /// which keeps the caller's batches alive for less time (a smaller peak of memory). The
    /// file appears at `path` only when [`finish`](Self::finish) succeeds; until then it is
    /// `<path>.lancer-partial`, which [`abort`](Self::abort) removes.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use arrow_array::{Int64Array, RecordBatch};
    /// use arrow_schema::{DataType, Field, Schema};
    /// use lancer_file::{FileReader, FileWriter, FileWriterOptions, LanceSchema, ReadOptions};
    /// use object_store::{local::LocalFileSystem, path::Path};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let arrow = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
    /// let batch = RecordBatch::try_new(arrow.clone(), vec![Arc::new(Int64Array::from(vec![7, 8]))]).unwrap();
    /// let schema = LanceSchema::from_arrow(&arrow).unwrap();
    /// let path = dir.path().join("data/x.lance");
    /// let mut writer = FileWriter::create_local(&path, schema, FileWriterOptions::default()).unwrap();
    /// writer.write_batch(&batch).await.unwrap();
    /// writer.finish().await.unwrap();
    ///
    /// let reader = FileReader::open(Arc::new(LocalFileSystem::new()), &Path::from_absolute_path(&path).unwrap()).await.unwrap();
    /// assert_eq!(reader.read_all(ReadOptions::default()).await.unwrap(), batch);
    /// # });
    /// ```
    pub fn create_local(
        path: impl AsRef<std::path::Path>,
        schema: LanceSchema,
        options: FileWriterOptions,
    ) -> Result<Self> {
        let absolute = std::path::absolute(path.as_ref())?;
        let store_path = Path::from_absolute_path(&absolute)
            .map_err(|e| Error::InvalidInput(format!("`{}`: {e}", absolute.display())))?;
        let layout = layout_of(&schema, options.version)?;
        let sink = LocalSink::create(absolute).map_err(|e| e.in_file(&store_path))?;
        Ok(FileWriter::with_sink(
            store_path,
            Sink::Local(sink),
            schema,
            layout,
            options,
        ))
    }

    fn with_sink(
        path: Path,
        sink: Sink,
        schema: LanceSchema,
        layout: Box<dyn ColumnLayout>,
        options: FileWriterOptions,
    ) -> Self {
        let columns = layout.num_columns();
        FileWriter {
            path,
            sink: Some(sink),
            num_fields: schema.fields.len(),
            schema,
            layout,
            pages: vec![Vec::new(); columns],
            rows_in_pages: vec![0; columns],
            position: 0,
            num_rows: 0,
            options,
        }
    }

    /// The schema being written.
    pub fn schema(&self) -> &LanceSchema {
        &self.schema
    }

    /// Rows written so far.
    pub fn num_rows(&self) -> u64 {
        self.num_rows
    }

    /// Bytes handed to storage so far (pages written; queued data not included).
    pub fn bytes_written(&self) -> u64 {
        self.position
    }

    /// Adds a batch. Its columns must match the schema's fields in order and type. A batch
    /// that breaks a rule of the format (nulls in a non-nullable field, null structs) is
    /// refused before anything of it is queued.
    pub async fn write_batch(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_columns() != self.num_fields {
            return Err(Error::InvalidInput(format!(
                "batch has {} columns, the file schema has {}",
                batch.num_columns(),
                self.num_fields
            )));
        }
        let mut jobs = Vec::new();
        self.layout
            .queue(batch, self.options.page_bytes, &mut jobs)?;
        self.num_rows += batch.num_rows() as u64;
        self.run(jobs).await
    }

    /// Flushes everything, writes the metadata and footer, and completes the upload.
    pub async fn finish(mut self) -> Result<WrittenFile> {
        let jobs = self.layout.drain();
        self.run(jobs).await?;
        if self.num_rows > 0 {
            let has_pages: Vec<bool> = self.pages.iter().map(|p| !p.is_empty()).collect();
            for (column, page) in self.layout.closing_pages(&has_pages)? {
                self.write_page(column, page).await?;
            }
        }
        let descriptor = proto::FileDescriptor {
            schema: Some(self.schema.to_proto()),
            length: self.num_rows,
        }
        .encode_to_vec();
        let descriptor_position = self.position;
        let descriptor_len = descriptor.len() as u64;
        self.put(Bytes::from(descriptor)).await?;

        let column_meta_start = self.position;
        let column_encoding = direct_encoding(
            COLUMN_ENCODING_TYPE_URL,
            &ColumnEncoding {
                kind: Some(column_encoding::Kind::Values(Default::default())),
            },
        );
        let num_columns = self.pages.len();
        let mut table = Vec::with_capacity(16 * num_columns);
        let mut metadata = Vec::new();
        for pages in &mut self.pages {
            let bytes = proto::ColumnMetadata {
                encoding: Some(column_encoding.clone()),
                pages: std::mem::take(pages),
                buffer_offsets: Vec::new(),
                buffer_sizes: Vec::new(),
            }
            .encode_to_vec();
            table.extend_from_slice(&(column_meta_start + metadata.len() as u64).to_le_bytes());
            table.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            metadata.extend_from_slice(&bytes);
        }
        self.put(Bytes::from(metadata)).await?;
        let cmo_table_start = self.position;
        self.put(Bytes::from(table)).await?;
        let gbo_table_start = self.position;
        let mut global = Vec::with_capacity(16);
        global.extend_from_slice(&descriptor_position.to_le_bytes());
        global.extend_from_slice(&descriptor_len.to_le_bytes());
        self.put(Bytes::from(global)).await?;
        let (major, minor) = self.options.version.footer_numbers();
        let footer = Footer {
            column_meta_start,
            cmo_table_start,
            gbo_table_start,
            num_global_buffers: 1,
            num_columns: num_columns as u32,
            major,
            minor,
        };
        self.put(Bytes::copy_from_slice(&footer.to_bytes())).await?;
        debug_assert_eq!(self.position, gbo_table_start + 16 + FOOTER_LEN);
        let sink = self
            .sink
            .take()
            .ok_or_else(|| Error::InvalidInput("writer already failed".into()))?;
        sink.finish().await.map_err(|e| e.in_file(&self.path))?;
        Ok(WrittenFile {
            path: self.path.clone(),
            num_rows: self.num_rows,
            size_bytes: self.position,
            schema: self.schema.clone(),
            version: self.options.version,
            num_columns,
        })
    }

    /// Gives up: a multipart upload in progress is aborted and nothing is left at the path.
    pub async fn abort(mut self) -> Result<()> {
        match self.sink.take() {
            Some(sink) => sink.abort().await,
            None => Ok(()),
        }
    }

    async fn run(&mut self, jobs: Vec<Job>) -> Result<()> {
        // Encode a bounded group of pages at a time so a huge batch does not hold all of its
        // encoded pages at once.
        let pool = encoding_pool();
        let group = 2 * pool.map_or(1, |p| p.current_num_threads().max(1));
        let mut jobs = jobs.into_iter().peekable();
        while jobs.peek().is_some() {
            let batch: Vec<Job> = jobs.by_ref().take(group).collect();
            let layout = &*self.layout;
            let encode_job = |job: &Job| layout.encode(job);
            let pages: Vec<Result<Vec<Page>>> = match pool {
                Some(pool) => pool.install(|| batch.par_iter().map(encode_job).collect()),
                // No threads to be had: encode on this one.
                None => batch.iter().map(encode_job).collect(),
            };
            for (job, pages) in batch.iter().zip(pages) {
                for page in pages? {
                    self.write_page(job.column, page).await?;
                }
            }
        }
        Ok(())
    }

    async fn write_page(&mut self, column: usize, page: Page) -> Result<()> {
        let (offsets, sizes) = self.write_buffers(page.buffers).await?;
        let priority = if self.layout.pages_record_first_row() {
            self.rows_in_pages[column]
        } else {
            0
        };
        self.rows_in_pages[column] += page.length;
        self.pages[column].push(proto::column_metadata::Page {
            buffer_offsets: offsets,
            buffer_sizes: sizes,
            length: page.length,
            encoding: Some(page.encoding),
            priority,
        });
        Ok(())
    }

    /// Writes a page's buffers, each 64-byte aligned; returns their offsets and sizes.
    async fn write_buffers(
        &mut self,
        buffers: Vec<lancer_encoding::PageBuffer>,
    ) -> Result<(Vec<u64>, Vec<u64>)> {
        let mut offsets = Vec::with_capacity(buffers.len());
        let mut sizes = Vec::with_capacity(buffers.len());
        for buffer in buffers {
            offsets.push(self.position);
            sizes.push(buffer.len() as u64);
            for chunk in buffer.into_chunks() {
                self.put(chunk).await?;
            }
            let misalignment = self.position % PAGE_ALIGNMENT;
            if misalignment != 0 {
                let pad = (PAGE_ALIGNMENT - misalignment) as usize;
                self.put(Bytes::from_static(&PADDING[..pad])).await?;
            }
        }
        Ok((offsets, sizes))
    }

    async fn put(&mut self, chunk: Bytes) -> Result<()> {
        let len = chunk.len() as u64;
        let sink = self
            .sink
            .as_mut()
            .ok_or_else(|| Error::InvalidInput("writer already failed".into()))?;
        if let Err(e) = sink.write(chunk).await {
            // A failed upload cannot be resumed; drop it so later calls fail fast.
            if let Some(sink) = self.sink.take() {
                let _ = sink.abort().await;
            }
            return Err(e.in_file(&self.path));
        }
        self.position += len;
        Ok(())
    }
}

/// Checks that every field can be written in `version` and lays out the file's columns.
fn layout_of(schema: &LanceSchema, version: FileVersion) -> Result<Box<dyn ColumnLayout>> {
    schema.validate()?;
    let arrow = schema.to_arrow()?;
    let fields = arrow.fields();
    Ok(match version {
        FileVersion::V2_0 => Box::new(v2_0::Layout::new(fields)?),
        FileVersion::V2_1 => Box::new(structural::Layout::new(fields, StructuralVersion::V2_1)?),
        FileVersion::V2_2 => Box::new(structural::Layout::new(fields, StructuralVersion::V2_2)?),
        other => {
            return Err(Error::UnsupportedVersion {
                version: other.to_string(),
                reason: "lancer writes file versions 2.0, 2.1 and 2.2".to_string(),
            });
        }
    })
}

/// The threads that encode pages. Not rayon's global pool: a process forked from one that
/// used it (Python's multiprocessing on Linux) inherits the pool but not its threads, and
/// would wait on them forever. Each process builds its own pool on first use, and leaks the
/// copy it inherited.
fn encoding_pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::Mutex<Option<(u32, Option<&'static rayon::ThreadPool>)>> =
        std::sync::Mutex::new(None);
    let pid = std::process::id();
    let mut slot = POOL.lock().unwrap_or_else(|e| e.into_inner());
    match *slot {
        Some((owner, pool)) if owner == pid => pool,
        _ => {
            let pool = rayon::ThreadPoolBuilder::new()
                .thread_name(|i| format!("lancer-encode-{i}"))
                .build()
                .ok()
                .map(|pool| &*Box::leak(Box::new(pool)));
            *slot = Some((pid, pool));
            pool
        }
    }
}
