/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything the table model can refuse.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Manifest, transaction or hint bytes that cannot be decoded.
    #[error("corrupt table metadata: {0}")]
    Corrupt(String),
    /// A fragment description (from JSON or a transaction) that breaks a rule.
    #[error("fragment {fragment}: {field}: {message}")]
    InvalidFragment {
        /// Which fragment (its id, or its position for fragments without an id yet).
        fragment: String,
        /// The offending field, e.g. `files[0].path`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Fragment JSON that does not parse.
    #[error("fragment JSON: {0}")]
    Json(String),
    /// An operation that cannot apply to the version it is applied to.
    #[error("{operation}: {message}")]
    InvalidOperation {
        /// The operation's name.
        operation: &'static str,
        /// Why it cannot apply.
        message: String,
    },
    /// The dataset uses a feature lancer does not support.
    #[error("the dataset uses feature flag {flag} ({name}), which lancer cannot {action}")]
    UnsupportedFeature {
        /// The flag bit.
        flag: u64,
        /// Its name.
        name: &'static str,
        /// `read` or `write`.
        action: &'static str,
    },
    /// A schema problem.
    #[error(transparent)]
    Schema(#[from] lancer_file::Error),
}

impl Error {
    pub(crate) fn corrupt(message: impl Into<String>) -> Error {
        Error::Corrupt(message.into())
    }

    pub(crate) fn fragment(
        fragment: impl ToString,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Error {
        Error::InvalidFragment {
            fragment: fragment.to_string(),
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn operation(operation: &'static str, message: impl Into<String>) -> Error {
        Error::InvalidOperation {
            operation,
            message: message.into(),
        }
    }
}

impl From<prost::DecodeError> for Error {
    fn from(e: prost::DecodeError) -> Self {
        Error::Corrupt(format!("bad protobuf: {e}"))
    }
}
