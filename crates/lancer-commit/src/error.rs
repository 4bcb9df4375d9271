use lancer_table::OperationKind;

/// Result alias for commits.
pub type Result<T, E = CommitError> = std::result::Result<T, E>;

/// How a commit failed. Each variant asks the caller for a different reaction, which is why
/// the CLI maps them to distinct exit codes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommitError {
    /// Another commit made mine impossible (e.g. an Append after an Overwrite): the work
    /// must be redone from the newer version (re-run the workers).
    #[error(
        "commit conflict: {reason} (my {mine} was built on version {read_version}; {theirs} was committed as version {version})"
    )]
    Conflict {
        /// My operation.
        mine: OperationKind,
        /// The operation committed before mine.
        theirs: OperationKind,
        /// The version it created.
        version: u64,
        /// The version mine was built on.
        read_version: u64,
        /// Why they cannot both happen.
        reason: String,
    },
    /// My transaction is stale and must be rebuilt from the newer version (e.g. a Merge
    /// after an Append must list the new fragments too); the data files can be reused.
    #[error(
        "commit must be rebuilt: {reason} (my {mine} was built on version {read_version}; {theirs} was committed as version {version})"
    )]
    Rebuild {
        /// My operation.
        mine: OperationKind,
        /// The operation committed before mine.
        theirs: OperationKind,
        /// The version it created.
        version: u64,
        /// The version mine was built on.
        read_version: u64,
        /// Why.
        reason: String,
    },
    /// Other writers kept winning: the contention budget is spent. Re-running the same
    /// commit (same transaction id) is safe.
    #[error("commit gave up after {attempts} attempts over {elapsed_ms} ms of contention{}", last_error.as_ref().map(|e| format!(" (last error: {e})")).unwrap_or_default())]
    RetriesExhausted {
        /// Attempts made.
        attempts: u32,
        /// Time spent.
        elapsed_ms: u64,
        /// The last transient error seen, if the attempts failed on errors rather than races.
        last_error: Option<String>,
    },
    /// The transaction cannot apply to the dataset (invalid fragments, a Merge that omits
    /// fragments, unsupported features, ...). Nothing was committed.
    #[error("invalid commit: {0}")]
    Invalid(#[source] lancer_table::Error),
    /// The store cannot do what a safe commit needs (atomic create-if-absent).
    #[error("unsafe object store: {0}")]
    UnsafeStore(String),
    /// Manifest, transaction or listing content that cannot be decoded.
    #[error("corrupt dataset: {0}")]
    Corrupt(String),
    /// A dataset URI that cannot be opened.
    #[error("invalid dataset URI: {0}")]
    InvalidUri(String),
    /// Reading or writing storage failed.
    #[error("storage: {0}")]
    Io(#[from] object_store::Error),
}

impl CommitError {
    pub(crate) fn corrupt(message: impl Into<String>) -> Self {
        CommitError::Corrupt(message.into())
    }
}

impl From<lancer_table::Error> for CommitError {
    fn from(e: lancer_table::Error) -> Self {
        match e {
            lancer_table::Error::Corrupt(message) => CommitError::Corrupt(message),
            other => CommitError::Invalid(other),
        }
    }
}
