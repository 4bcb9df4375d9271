//! Committing: a coordinator's operation, checked against the files it names, becomes the
//! next version through lancer-commit's protocol.

mod infer;

use std::sync::Arc;

use lancer_commit::{CommitOptions, DatasetStore, StoreOptions};
use lancer_table::{Operation, Transaction};

use crate::dataset::Dataset;
use crate::error::Result;
use crate::validate;

pub use infer::{merged_schema, schema_from_files};

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
    pub(crate) fn storage_options(&self) -> &StoreOptions {
        &self.storage_options
    }

    pub(crate) fn has_transaction_id(&self) -> bool {
        self.transaction_id.is_some()
    }

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

impl Dataset {
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
}
