//! The worker side of a distributed write: data files under the dataset's `data/`,
//! described by fragments that a coordinator commits later.

pub(crate) mod conform;

use std::sync::Arc;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{Schema, SchemaRef};
use lancer_commit::{DatasetStore, StoreOptions};
use lancer_file::{FileVersion, FileWriter, FileWriterOptions, LanceSchema};
use lancer_table::naming::{DATA_DIR, new_data_file_name, new_job_data_file_name};
use lancer_table::{DataFile, Fragment, Manifest, ManifestHead};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::error::{Error, Result};
use conform::{check_conformable, conform_batch, storable_schema};

/// What a write reports as it goes (see [`WriteParams::with_progress`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum WriteEvent<'a> {
    /// A new data file (and with it a new fragment) is about to be written.
    FileStarted {
        /// The file's name under the dataset's `data/`.
        path: &'a str,
    },
    /// A data file is complete: the fragment describing it.
    FileWritten(&'a Fragment),
}

/// Called for each [`WriteEvent`]; an error stops the write, which then removes the files it
/// wrote and returns that error.
pub type WriteProgress = Arc<dyn Fn(WriteEvent<'_>) -> Result<()> + Send + Sync>;

/// How workers write fragments.
#[derive(Clone)]
pub struct WriteParams {
    max_rows_per_file: usize,
    max_bytes_per_file: u64,
    page_bytes: usize,
    storage_options: StoreOptions,
    must_exist: bool,
    new_schema: bool,
    data_storage_version: FileVersion,
    progress: Option<WriteProgress>,
    job: Option<String>,
}

impl std::fmt::Debug for WriteParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteParams")
            .field("max_rows_per_file", &self.max_rows_per_file)
            .field("max_bytes_per_file", &self.max_bytes_per_file)
            .field("page_bytes", &self.page_bytes)
            .field("storage_options", &self.storage_options)
            .field("must_exist", &self.must_exist)
            .field("new_schema", &self.new_schema)
            .field("data_storage_version", &self.data_storage_version)
            .field("progress", &self.progress.as_ref().map(|_| "..."))
            .field("job", &self.job)
            .finish()
    }
}

impl Default for WriteParams {
    fn default() -> Self {
        WriteParams {
            max_rows_per_file: 1024 * 1024,
            max_bytes_per_file: 90 * 1024 * 1024 * 1024,
            page_bytes: FileWriterOptions::default().page_bytes(),
            storage_options: StoreOptions::default(),
            must_exist: false,
            new_schema: false,
            data_storage_version: FileVersion::V2_2,
            progress: None,
            job: None,
        }
    }
}

impl WriteParams {
    /// Start a new file (and fragment) after this many rows (default 1,048,576, as pylance).
    /// 0 is refused by [`write_fragments`].
    pub fn with_max_rows_per_file(mut self, rows: usize) -> Self {
        self.max_rows_per_file = rows;
        self
    }

    /// Start a new file once a file reaches about this many bytes (default 90 GiB). 0 is
    /// refused by [`write_fragments`].
    pub fn with_max_bytes_per_file(mut self, bytes: u64) -> Self {
        self.max_bytes_per_file = bytes;
        self
    }

    /// Bytes a column buffers before writing a page (default 8 MiB).
    pub fn with_page_bytes(mut self, bytes: usize) -> Self {
        self.page_bytes = bytes.max(1);
        self
    }

    /// Options for the object store.
    pub fn with_storage_options(mut self, options: StoreOptions) -> Self {
        self.storage_options = options;
        self
    }

    /// Refuse to write if the dataset does not exist yet (by default fragments may be
    /// written for a dataset the coordinator will create).
    pub fn with_must_exist(mut self, must_exist: bool) -> Self {
        self.must_exist = must_exist;
        self
    }

    /// Write for an Overwrite: the input's schema (with fresh field ids) becomes the
    /// dataset's, whatever schema the dataset has now. By default an existing dataset's
    /// schema is used and the input must match it.
    pub fn with_new_schema(mut self, new_schema: bool) -> Self {
        self.new_schema = new_schema;
        self
    }

    /// The data file version of a dataset the fragments will create: 2.2 by default (as
    /// pylance 14), or 2.1 or 2.0. Fragments for an existing dataset are always written in
    /// that dataset's version, so a dataset never mixes versions.
    pub fn with_data_storage_version(mut self, version: FileVersion) -> Self {
        self.data_storage_version = version;
        self
    }

    /// Calls `progress` as each data file is started and finished (pylance's
    /// `FragmentWriteProgress`), so a worker can record what it has written before it
    /// returns.
    pub fn with_progress(mut self, progress: WriteProgress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Names every data file with the job's tag (1 to 64 lowercase letters and digits),
    /// so [`Dataset::abort_job`](crate::Dataset::abort_job) finds a failed job's files by
    /// name alone, including those of workers that died before returning their fragments.
    pub fn with_job(mut self, job: impl Into<String>) -> Self {
        self.job = Some(job.into());
        self
    }

    /// The version given by [`with_data_storage_version`](Self::with_data_storage_version).
    pub fn data_storage_version(&self) -> FileVersion {
        self.data_storage_version
    }
}

/// Parses a data storage version as pylance names them: `2.0`, `2.1`, `2.2`, `stable` (2.2,
/// pylance 14's default) or `legacy` (refused: lancer does not write the v1 format).
pub fn parse_data_storage_version(name: &str) -> Result<FileVersion> {
    match name.trim().to_ascii_lowercase().as_str() {
        "2.0" => Ok(FileVersion::V2_0),
        "2.1" => Ok(FileVersion::V2_1),
        "2.2" | "stable" => Ok(FileVersion::V2_2),
        "legacy" | "0.1" => Err(Error::unsupported(
            "lancer does not write the legacy (v1) Lance file format",
        )),
        "next" | "2.3" => Err(Error::unsupported(format!(
            "data storage version `{name}` is unstable in pylance 14; lancer writes 2.0, 2.1 and 2.2"
        ))),
        other => Err(Error::invalid_input(format!(
            "unknown data storage version `{other}` (expected 2.0, 2.1, 2.2 or stable)"
        ))),
    }
}

/// What a worker writes against: the dataset's schema and file version, or a new one.
pub(crate) struct Target {
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) root: Path,
    /// The dataset's directory, when it is on the local disk.
    pub(crate) local_dir: Option<std::path::PathBuf>,
    pub(crate) schema: LanceSchema,
    pub(crate) arrow: SchemaRef,
    /// The data file version to write.
    pub(crate) version: FileVersion,
}

/// The data file version new files of an existing dataset must have (its own), refusing
/// datasets lancer cannot write into.
pub(crate) fn check_writable(manifest: &Manifest) -> Result<FileVersion> {
    check_head_writable(&ManifestHead::from(manifest))
}

/// [`check_writable`] from a manifest's head (what workers read).
fn check_head_writable(head: &ManifestHead) -> Result<FileVersion> {
    lancer_table::features::check_writable_flags(
        head.reader_feature_flags,
        head.writer_feature_flags,
    )?;
    let Some(format) = head.data_format.as_ref() else {
        // No recorded version: a dataset lancer or pylance created without files yet.
        return Ok(FileVersion::V2_0);
    };
    match format.file_version() {
        Some(version @ (FileVersion::V2_0 | FileVersion::V2_1 | FileVersion::V2_2)) => Ok(version),
        _ => Err(Error::unsupported(format!(
            "the dataset stores its data as Lance file version {}, and lancer writes 2.0, 2.1 and \
             2.2 files (adding files of another version would mix versions, which pylance only \
             accepts behind a sticky feature flag)",
            format.version
        ))),
    }
}

/// Writes `batches` (of `dataset`'s own columns) as new data files of `dataset`, in its file
/// version and with its field ids, returning one fragment per file (ids 0 until a commit).
/// The files are removed again if anything fails.
pub(crate) async fn write_batches(
    dataset: &crate::dataset::Dataset,
    mut batches: futures::stream::BoxStream<'static, Result<RecordBatch>>,
    params: &WriteParams,
) -> Result<Vec<Fragment>> {
    use futures::StreamExt;
    if let Some(job) = &params.job {
        lancer_table::naming::check_job_tag(job).map_err(Error::invalid_input)?;
    }
    let version = check_writable(dataset.manifest())?;
    let target = Target {
        store: dataset.object_store().clone(),
        root: dataset.store.root().clone(),
        local_dir: lancer_commit::local_dir(dataset.uri()),
        schema: dataset.manifest().schema.clone(),
        arrow: dataset.manifest().schema.to_arrow_ref()?,
        version,
    };
    let mut files = FileRoller::new(&target, params);
    let written = async {
        while let Some(batch) = batches.next().await {
            files.write(&conform_batch(&batch?, &target.arrow)?).await?;
        }
        Ok(())
    }
    .await;
    match written {
        Ok(()) => files.finish().await,
        Err(e) => Err(files.abandon(e).await),
    }
}

/// Writes the rows of `reader` as new data files of the dataset at `uri`, without
/// committing, and returns one fragment per file (ids 0 until the coordinator commits).
///
/// If the dataset exists its schema (with its field ids) is used: the input's columns must
/// match it by name and type (their order may differ). Otherwise, or with
/// [`WriteParams::with_new_schema`] (fragments for an Overwrite), the input's schema is the
/// schema of the dataset the coordinator will create.
pub async fn write_fragments(
    uri: &str,
    reader: impl RecordBatchReader,
    params: &WriteParams,
) -> Result<Vec<Fragment>> {
    if let Some(job) = &params.job {
        lancer_table::naming::check_job_tag(job).map_err(Error::invalid_input)?;
    }
    if params.max_rows_per_file == 0 || params.max_bytes_per_file == 0 {
        // A limit of nothing cannot be met; silently writing one row per file instead
        // would make millions of fragments.
        return Err(Error::invalid_input(
            "max_rows_per_file and max_bytes_per_file must be at least 1",
        ));
    }
    let dataset = DatasetStore::open(uri, &params.storage_options)?;
    let (store, root) = (dataset.object_store().clone(), dataset.root().clone());
    let input = reader.schema();
    if input.fields().is_empty() {
        return Err(Error::invalid_input(
            "the input has no columns (its rows would hold nothing)",
        ));
    }
    // The head only: a worker needs the schema and the file version, not the fragment
    // list that makes up nearly all of a large dataset's manifest.
    let target = match dataset.latest_head().await? {
        Some(manifest) if params.new_schema => {
            let version = check_head_writable(&manifest)?;
            new_target(store, root, uri, &input, version)?
        }
        Some(manifest) => {
            let version = check_head_writable(&manifest)?;
            let arrow = manifest.schema.to_arrow_ref()?;
            check_conformable(&input, &arrow)?;
            Target {
                store,
                root,
                local_dir: lancer_commit::local_dir(uri),
                schema: manifest.schema.clone(),
                arrow,
                version,
            }
        }
        None if params.must_exist => {
            return Err(Error::not_found(format!(
                "{} is not a Lance dataset and must_exist was set",
                lancer_commit::store::redact(uri)
            )));
        }
        None => new_target(store, root, uri, &input, params.data_storage_version)?,
    };
    let mut files = FileRoller::new(&target, params);
    let written = async {
        let mut seen = 0usize;
        for batch in reader {
            let batch = batch?;
            let rows = batch.num_rows();
            // Where in the input: a batch's row numbers start at 0.
            let conformed = conform_batch(&batch, &target.arrow)
                .map_err(|e| e.note(format_args!("(in input rows {seen}..{})", seen + rows)))?;
            files.write(&conformed).await?;
            seen += rows;
        }
        Ok(())
    }
    .await;
    match written {
        Ok(()) => files.finish().await,
        // Nothing references the files yet: a failed write leaves none behind.
        Err(e) => Err(files.abandon(e).await),
    }
}

/// Writing for a dataset whose schema will be the input's.
fn new_target(
    store: Arc<dyn ObjectStore>,
    root: Path,
    uri: &str,
    input: &Schema,
    version: FileVersion,
) -> Result<Target> {
    if !matches!(
        version,
        FileVersion::V2_0 | FileVersion::V2_1 | FileVersion::V2_2
    ) {
        return Err(Error::unsupported(format!(
            "lancer writes data storage versions 2.0, 2.1 and 2.2, not {version}"
        )));
    }
    let schema = LanceSchema::from_arrow(&storable_schema(input)?)?;
    let arrow = schema.to_arrow_ref()?;
    Ok(Target {
        store,
        root,
        local_dir: lancer_commit::local_dir(uri),
        schema,
        arrow,
        version,
    })
}

/// A writer for the new data file `data/<name>` of the dataset at `root`: straight to disk
/// for a local dataset (see [`FileWriter::create_local`]), through the store otherwise.
pub(crate) fn data_file_writer(
    store: &Arc<dyn ObjectStore>,
    root: &Path,
    local_dir: Option<&std::path::Path>,
    name: &str,
    schema: LanceSchema,
    options: FileWriterOptions,
) -> Result<FileWriter> {
    Ok(match local_dir {
        Some(dir) => FileWriter::create_local(dir.join(DATA_DIR).join(name), schema, options)?,
        None => FileWriter::try_new(
            store.clone(),
            root.clone().join(DATA_DIR).join(name),
            schema,
            options,
        )?,
    })
}

/// Writes batches into files of at most `max_rows_per_file` rows (and about
/// `max_bytes_per_file` bytes), one fragment per file.
pub(crate) struct FileRoller<'a> {
    target: &'a Target,
    params: &'a WriteParams,
    current: Option<(FileWriter, String)>,
    fragments: Vec<Fragment>,
}

impl<'a> FileRoller<'a> {
    pub(crate) fn new(target: &'a Target, params: &'a WriteParams) -> Self {
        FileRoller {
            target,
            params,
            current: None,
            fragments: Vec::new(),
        }
    }

    pub(crate) async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let mut offset = 0;
        while offset < batch.num_rows() {
            if self.current.is_none() {
                let name = match &self.params.job {
                    Some(job) => new_job_data_file_name(job),
                    None => new_data_file_name(),
                };
                if let Some(progress) = &self.params.progress {
                    progress(WriteEvent::FileStarted { path: &name })?;
                }
                let options = FileWriterOptions::default()
                    .with_page_bytes(self.params.page_bytes)
                    .with_version(self.target.version);
                let writer = data_file_writer(
                    &self.target.store,
                    &self.target.root,
                    self.target.local_dir.as_deref(),
                    &name,
                    self.target.schema.clone(),
                    options,
                )?;
                self.current = Some((writer, name));
            }
            let (writer, _) = self.current.as_mut().expect("opened above");
            let room = self.params.max_rows_per_file - writer.num_rows() as usize;
            let take = room.min(batch.num_rows() - offset);
            writer.write_batch(&batch.slice(offset, take)).await?;
            offset += take;
            if writer.num_rows() as usize >= self.params.max_rows_per_file
                || writer.bytes_written() >= self.params.max_bytes_per_file
            {
                self.close().await?;
            }
        }
        Ok(())
    }

    async fn close(&mut self) -> Result<()> {
        let Some((writer, name)) = self.current.take() else {
            return Ok(());
        };
        if writer.num_rows() == 0 {
            return Ok(writer.abort().await?);
        }
        let written = writer.finish().await?;
        let (fields, columns) = written.data_file_fields();
        let file = DataFile::new(name, fields, columns, written.version, written.size_bytes);
        self.fragments.push(Fragment::new(file, written.num_rows));
        if let Some(progress) = &self.params.progress {
            progress(WriteEvent::FileWritten(
                self.fragments.last().expect("pushed above"),
            ))?;
        }
        Ok(())
    }

    /// Removes every file written so far after `error`, which is returned (with the files
    /// that could not be removed: orphans for cleanup to find).
    pub(crate) async fn abandon(mut self, error: Error) -> Error {
        let mut left = Vec::new();
        if let Some((writer, name)) = self.current.take()
            && writer.abort().await.is_err()
        {
            left.push(name);
        }
        for fragment in std::mem::take(&mut self.fragments) {
            for file in fragment.files {
                let path = self
                    .target
                    .root
                    .clone()
                    .join(DATA_DIR)
                    .join(file.path.as_str());
                match self.target.store.delete(&path).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(_) => left.push(file.path),
                }
            }
        }
        if left.is_empty() {
            error
        } else {
            Error::invalid_input(format!(
                "{error}; the data files {left:?} it wrote could not be removed"
            ))
        }
    }

    pub(crate) async fn finish(mut self) -> Result<Vec<Fragment>> {
        self.close().await?;
        Ok(self.fragments)
    }
}
