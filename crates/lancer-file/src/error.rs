/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong reading or writing a Lance data file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a Lance file at all.
    #[error("not a Lance file: {0}")]
    NotLance(String),
    /// A Lance file of a version this crate cannot handle.
    #[error("unsupported Lance file version {version}: {reason}")]
    UnsupportedVersion {
        /// The version as `major.minor` of the file format (e.g. `2.1`), or the raw footer
        /// numbers for unknown versions.
        version: String,
        /// What is and is not supported.
        reason: String,
    },
    /// The file's metadata is inconsistent or points outside the file.
    #[error("corrupt Lance file: {0}")]
    Corrupt(String),
    /// A schema problem (unknown logical type, bad field tree, type with no Lance form).
    #[error("schema: {0}")]
    Schema(String),
    /// Encoding or decoding the pages of a column failed.
    #[cfg(feature = "pages")]
    #[error("column `{column}`: {source}")]
    Column {
        /// Dotted path of the column.
        column: String,
        /// What went wrong.
        #[source]
        source: lancer_encoding::Error,
    },
    /// The caller passed something unusable (a batch of another schema, a bad projection...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The object store failed.
    #[cfg(feature = "store")]
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    /// Reading or writing a local file failed.
    #[cfg(feature = "store")]
    #[error("local file: {0}")]
    Io(#[from] std::io::Error),
    /// The same error, with the file it happened in.
    #[error("{path}: {source}")]
    InFile {
        /// The file.
        path: String,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// Attaches the file's path (once).
    pub fn in_file(self, path: impl std::fmt::Display) -> Error {
        match self {
            already @ Error::InFile { .. } => already,
            other => Error::InFile {
                path: path.to_string(),
                source: Box::new(other),
            },
        }
    }

    /// A schema error, prefixed with the field it concerns.
    pub(crate) fn in_field(self, field: impl std::fmt::Display) -> Error {
        match self {
            Error::Schema(message) => Error::Schema(format!("field {field}: {message}")),
            other => other,
        }
    }

    /// The error without the file context.
    pub fn root(&self) -> &Error {
        match self {
            Error::InFile { source, .. } => source.root(),
            other => other,
        }
    }
}

#[cfg(feature = "pages")]
pub(crate) fn corrupt(message: impl Into<String>) -> Error {
    Error::Corrupt(message.into())
}

impl From<prost::DecodeError> for Error {
    fn from(e: prost::DecodeError) -> Self {
        Error::Corrupt(format!("bad protobuf: {e}"))
    }
}
