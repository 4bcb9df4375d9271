use arrow_schema::{ArrowError, DataType};

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while encoding or decoding a page.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The column's Arrow type cannot be stored in the file version being written.
    #[error("column `{column}` has type {data_type}, which lancer cannot store: {reason}")]
    UnsupportedType {
        /// Dotted path of the column.
        column: String,
        /// The offending type.
        data_type: DataType,
        /// Why, and what to do instead.
        reason: String,
    },
    /// The data cannot be written as given (nulls in a non-nullable field, null structs, ...).
    #[error("column `{column}`: {message}")]
    InvalidData {
        /// Dotted path of the column.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// The page uses an encoding this decoder does not implement.
    #[error("unsupported page encoding {encoding} for {data_type}: {reason}")]
    UnsupportedEncoding {
        /// Name of the encoding.
        encoding: &'static str,
        /// Type being decoded.
        data_type: DataType,
        /// Detail.
        reason: String,
    },
    /// The page's encoding or buffers are inconsistent.
    #[error("corrupt page: {0}")]
    Corrupt(String),
    /// An Arrow operation failed (typically validation of decoded data).
    #[error("invalid decoded data: {0}")]
    Arrow(#[from] ArrowError),
}

pub(crate) fn corrupt(message: impl Into<String>) -> Error {
    Error::Corrupt(message.into())
}
