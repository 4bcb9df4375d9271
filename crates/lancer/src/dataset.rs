//! A dataset at one version: opening, reading its metadata, committing new versions.

use std::sync::Arc;

use arrow_schema::SchemaRef;
use lancer_commit::{CommitOptions, DatasetStore, StoreOptions, VersionEntry};
use lancer_file::LanceSchema;
use lancer_table::{Fragment, Manifest, Operation, Transaction};
use object_store::ObjectStore;
use object_store::path::Path;

use crate::error::{Error, Result};
use crate::fragment::DatasetFragment;
use crate::scan::Scanner;
use crate::validate;

/// How to open a dataset.
#[derive(Clone, Debug, Default)]
pub struct OpenParams {
    version: Option<u64>,
    storage_options: StoreOptions,
}

impl OpenParams {
    /// Open this version instead of the latest.
    pub fn with_version(mut self, version: u64) -> Self {
        self.version = Some(version);
        self
    }

    /// Options for the object store (credentials, region, endpoint, ...).
    pub fn with_storage_options(mut self, options: StoreOptions) -> Self {
        self.storage_options = options;
        self
    }
}

/// How to commit.
#[derive(Clone, Debug)]
pub struct CommitParams {
    commit: CommitOptions,
    storage_options: StoreOptions,
    validate: bool,
    transaction_id: Option<String>,
}

impl Default for CommitParams {
    fn default() -> Self {
        CommitParams {
            commit: CommitOptions::default(),
            storage_options: StoreOptions::default(),
            validate: true,
            transaction_id: None,
        }
    }
}

impl CommitParams {
    /// Retry budget, timeout and backoff of the commit protocol.
    pub fn with_commit_options(mut self, options: CommitOptions) -> Self {
        self.commit = options;
        self
    }

    /// Options for the object store.
    pub fn with_storage_options(mut self, options: StoreOptions) -> Self {
        self.storage_options = options;
        self
    }

    /// Skip checking the data files named by the fragments (existence, size, schema, row
    /// counts) before committing. On by default; turn it off only for fragments already
    /// validated.
    pub fn with_validation(mut self, validate: bool) -> Self {
        self.validate = validate;
        self
    }

    /// The transaction's id (a UUID). A commit re-run with the same id after a crash or a
    /// lost reply returns the version the first run created instead of committing twice,
    /// whatever read version the re-run names.
    pub fn with_transaction_id(mut self, id: impl Into<String>) -> Self {
        self.transaction_id = Some(id.into());
        self
    }
}

/// One version of a Lance dataset.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub(crate) store: Arc<DatasetStore>,
    pub(crate) manifest: Arc<Manifest>,
    uri: String,
}

/// A version as a listing shows it.
pub type VersionInfo = VersionEntry;

impl Dataset {
    /// Opens the latest version of the dataset at `uri` (a local path, `file://`, `s3://`,
    /// `az://` or `gs://` URI).
    pub async fn open(uri: &str) -> Result<Dataset> {
        Dataset::open_with(uri, &OpenParams::default()).await
    }

    /// Opens a dataset with options (a version, storage options).
    pub async fn open_with(uri: &str, params: &OpenParams) -> Result<Dataset> {
        let store = Arc::new(DatasetStore::open(uri, &params.storage_options)?);
        let manifest = match params.version {
            Some(version) => match store.latest_version().await? {
                Some(latest) if version >= 1 && version <= latest => {
                    store.manifest(version).await?
                }
                Some(latest) => {
                    return Err(Error::not_found(format!(
                        "{uri} has versions 1 to {latest}, not {version}"
                    )));
                }
                None => return Err(not_a_dataset(uri)),
            },
            None => store
                .latest_manifest()
                .await?
                .ok_or_else(|| not_a_dataset(uri))?,
        };
        lancer_table::features::check_readable(&manifest)?;
        Ok(Dataset {
            store,
            manifest,
            uri: uri.to_string(),
        })
    }

    /// Commits `operation`, built on `read_version`, to the dataset at `uri` and returns the
    /// new version. `read_version = 0` creates the dataset (with an Overwrite).
    ///
    /// By default every data file the operation adds is checked first: it exists, its size
    /// and row count match the fragment, and the schema embedded in it matches the
    /// operation. Fragment row counts left unknown by workers are filled in from the files.
    pub async fn commit(
        uri: &str,
        operation: Operation,
        read_version: u64,
        params: &CommitParams,
    ) -> Result<Dataset> {
        let store = Arc::new(DatasetStore::open(uri, &params.storage_options)?);
        let mut transaction = Transaction::new(read_version, operation);
        if let Some(id) = &params.transaction_id {
            transaction.uuid = id.clone();
        }
        if params.validate {
            let local_root = lancer_commit::local_dir(uri);
            validate::validate(&store, &mut transaction, local_root.as_deref()).await?;
        }
        // A fresh id cannot have been committed under another read version; one the caller
        // gives may have been (a coordinator re-running its commit), and is searched for.
        let options = params
            .commit
            .clone()
            .with_earlier_run_search(params.transaction_id.is_some());
        let committed = store.commit(&transaction, &options).await?;
        Ok(Dataset {
            store,
            manifest: committed.manifest,
            uri: uri.to_string(),
        })
    }

    /// The dataset at another version.
    pub async fn checkout_version(&self, version: u64) -> Result<Dataset> {
        let latest = self.latest_version().await?;
        if version == 0 || version > latest {
            return Err(Error::not_found(format!(
                "{} has versions 1 to {latest}, not {version}",
                self.uri
            )));
        }
        let manifest = self.store.manifest(version).await?;
        lancer_table::features::check_readable(&manifest)?;
        Ok(Dataset {
            store: self.store.clone(),
            manifest,
            uri: self.uri.clone(),
        })
    }

    /// Opens every data and deletion file of this version and checks it against the
    /// manifest (existence, size, footer, row count, the columns each file is said to hold,
    /// every deleted row). Problems are listed, not raised: the caller decides what a
    /// broken file means.
    pub async fn check_files(&self) -> Result<validate::FileCheck> {
        let local_root = lancer_commit::local_dir(&self.uri);
        validate::check_version(&self.store, &self.manifest, local_root.as_deref()).await
    }

    /// The URI the dataset was opened with.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// This version's number.
    pub fn version(&self) -> u64 {
        self.manifest.version
    }

    /// The newest version now committed.
    pub async fn latest_version(&self) -> Result<u64> {
        Ok(self.store.latest_version().await?.unwrap_or(0))
    }

    /// Every committed version, oldest first.
    pub async fn versions(&self) -> Result<Vec<VersionInfo>> {
        Ok(self.store.list_versions().await?)
    }

    /// The schema, with field ids.
    pub fn schema(&self) -> &LanceSchema {
        &self.manifest.schema
    }

    /// The Arrow schema.
    pub fn arrow_schema(&self) -> Result<SchemaRef> {
        Ok(self.manifest.schema.to_arrow_ref()?)
    }

    /// The manifest of this version.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Rows visible in this version (deleted rows excluded).
    pub fn count_rows(&self) -> Result<u64> {
        self.manifest.num_rows().ok_or_else(|| {
            Error::unsupported(
                "a fragment of this version does not record its row count".to_string(),
            )
        })
    }

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

    /// A scan of this version (all columns, all fragments unless narrowed).
    pub fn scan(&self) -> Scanner {
        Scanner::new(self.clone())
    }

    pub(crate) fn object_store(&self) -> &Arc<dyn ObjectStore> {
        self.store.object_store()
    }

    pub(crate) fn data_path(&self, file: &str) -> Path {
        self.store
            .path(&format!("{}/{file}", lancer_table::naming::DATA_DIR))
    }

    pub(crate) fn fragment_metadata(&self, id: u64) -> Option<&Fragment> {
        self.manifest.fragments.iter().find(|f| f.id == id)
    }
}

fn not_a_dataset(uri: &str) -> Error {
    Error::not_found(format!(
        "{} is not a Lance dataset (no manifest in its _versions/ directory)",
        lancer_commit::store::redact(uri)
    ))
}
