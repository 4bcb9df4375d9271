//! A dataset at one version: the handle every capability works on (opening it, and what
//! its manifest says). Reading, writing, committing, validation and the work on single
//! fragments are each in their own module, which add their methods to [`Dataset`]; this
//! module depends on none of them.

use std::sync::Arc;

use arrow_schema::SchemaRef;
use lancer_commit::{DatasetStore, StoreOptions, VersionEntry};
use lancer_file::LanceSchema;
use lancer_table::{Fragment, Manifest};
use object_store::ObjectStore;
use object_store::path::Path;

use crate::error::{Error, Result};

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

/// One version of a Lance dataset.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub(crate) store: Arc<DatasetStore>,
    pub(crate) manifest: Arc<Manifest>,
    pub(crate) uri: String,
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
