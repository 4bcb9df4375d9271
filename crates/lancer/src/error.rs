//! The one error users of the facade see.
//!
//! Every failure from below (a commit's verdict, a table rule, a data file, the object
//! store, Arrow) arrives here with its message intact and the lower error kept as the
//! [`source`](std::error::Error::source); what a caller decides on is [`Error::kind`], one
//! flat list. The CLI's exit codes and the Python package's exception classes are each one
//! table over it.

use std::fmt;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is: what the caller should do about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No dataset at the URI, or not the version or file asked for.
    NotFound,
    /// The caller's input cannot be used (bad fragments, data of another schema, a bad
    /// URI or option, an operation the dataset's version does not allow). Nothing changed.
    InvalidInput,
    /// A commit conflicts with one committed since its read version: redo the work (re-run
    /// the workers) on the newer version.
    Conflict,
    /// A commit must be rebuilt from the newer version; its data files can be reused.
    Rebuild,
    /// Other committers kept winning until the retry budget was spent: re-run the same
    /// commit (same transaction id).
    RetriesExhausted,
    /// Something lancer does not do: a feature flag, file version, type or store it cannot
    /// handle safely.
    Unsupported,
    /// Stored bytes (a manifest, transaction, data or deletion file) cannot be decoded.
    Corrupt,
    /// The object store failed (network, permissions, a store that is down): often worth
    /// retrying later.
    Storage,
}

impl ErrorKind {
    /// The kind's name, as the CLI and the Python package spell it.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "NotFound",
            ErrorKind::InvalidInput => "InvalidInput",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::Rebuild => "Rebuild",
            ErrorKind::RetriesExhausted => "RetriesExhausted",
            ErrorKind::Unsupported => "Unsupported",
            ErrorKind::Corrupt => "Corrupt",
            ErrorKind::Storage => "Storage",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything the dataset API can fail with: a [`kind`](Error::kind), a message with its
/// context, and the lower error it came from, if any.
pub struct Error {
    kind: ErrorKind,
    message: String,
    file: Option<FileRef>,
    source: Option<Source>,
}

/// The data file a problem is in, for problems found checking worker output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileRef {
    pub(crate) fragment: String,
    pub(crate) file: String,
}

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            file: None,
            source: None,
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the kind's prefix.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn invalid_input(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidInput, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::NotFound, message)
    }

    pub(crate) fn unsupported(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Unsupported, message)
    }

    /// Worker output that does not match what it claims (a missing file, another size or
    /// schema...), in data file `file` of fragment `fragment`.
    pub(crate) fn in_data_file(
        fragment: impl Into<String>,
        file: impl Into<String>,
        message: impl Into<String>,
    ) -> Error {
        Error {
            file: Some(FileRef {
                fragment: fragment.into(),
                file: file.into(),
            }),
            ..Error::invalid_input(message)
        }
    }

    /// The data file the problem is in, when it is a problem of worker output.
    pub(crate) fn data_file(&self) -> Option<&FileRef> {
        self.file.as_ref()
    }

    /// The same error with `note` after its message.
    pub(crate) fn note(mut self, note: impl fmt::Display) -> Error {
        self.message = format!("{} {note}", self.message);
        self
    }

    fn from_source(
        kind: ErrorKind,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        Error {
            kind,
            message: source.to_string(),
            file: None,
            source: Some(Box::new(source)),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(at) = &self.file {
            return write!(
                f,
                "fragment {}, file `{}`: {}",
                at.fragment, at.file, self.message
            );
        }
        // Errors made here say what they are; those from below carry their own words.
        match (self.kind, self.source.is_some()) {
            (ErrorKind::InvalidInput, false) => write!(f, "invalid input: {}", self.message),
            (ErrorKind::Unsupported, false) => write!(f, "not supported: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Error");
        debug
            .field("kind", &self.kind)
            .field("message", &self.message);
        if let Some(at) = &self.file {
            debug
                .field("fragment", &at.fragment)
                .field("file", &at.file);
        }
        if let Some(source) = &self.source {
            debug.field("source", source);
        }
        debug.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

fn store_kind(error: &object_store::Error) -> ErrorKind {
    match error {
        object_store::Error::NotFound { .. } => ErrorKind::NotFound,
        object_store::Error::NotSupported { .. } | object_store::Error::NotImplemented { .. } => {
            ErrorKind::Unsupported
        }
        _ => ErrorKind::Storage,
    }
}

fn encoding_kind(error: &lancer_encoding::Error) -> ErrorKind {
    use lancer_encoding::Error as E;
    match error {
        E::UnsupportedType { .. } | E::UnsupportedEncoding { .. } => ErrorKind::Unsupported,
        E::InvalidData { .. } => ErrorKind::InvalidInput,
        _ => ErrorKind::Corrupt,
    }
}

fn file_kind(error: &lancer_file::Error) -> ErrorKind {
    use lancer_file::Error as E;
    match error.root() {
        E::NotLance(_) | E::Corrupt(_) => ErrorKind::Corrupt,
        E::UnsupportedVersion { .. } => ErrorKind::Unsupported,
        E::Schema(_) | E::InvalidInput(_) => ErrorKind::InvalidInput,
        E::Column { source, .. } => encoding_kind(source),
        E::Store(store) => store_kind(store),
        E::Io(io) if io.kind() == std::io::ErrorKind::NotFound => ErrorKind::NotFound,
        E::Io(_) => ErrorKind::Storage,
        _ => ErrorKind::Corrupt,
    }
}

fn table_kind(error: &lancer_table::Error) -> ErrorKind {
    use lancer_table::Error as E;
    match error {
        E::Corrupt(_) => ErrorKind::Corrupt,
        E::UnsupportedFeature { .. } => ErrorKind::Unsupported,
        E::Schema(file) => file_kind(file),
        _ => ErrorKind::InvalidInput,
    }
}

fn commit_kind(error: &lancer_commit::CommitError) -> ErrorKind {
    use lancer_commit::CommitError as E;
    match error {
        E::Conflict { .. } => ErrorKind::Conflict,
        E::Rebuild { .. } => ErrorKind::Rebuild,
        E::RetriesExhausted { .. } => ErrorKind::RetriesExhausted,
        E::Invalid(table) => match table_kind(table) {
            // A table rule refusing the commit is about the caller's input, whatever the
            // rule's own wording.
            ErrorKind::Corrupt => ErrorKind::Corrupt,
            ErrorKind::Unsupported => ErrorKind::Unsupported,
            _ => ErrorKind::InvalidInput,
        },
        E::UnsafeStore(_) => ErrorKind::Unsupported,
        E::Corrupt(_) => ErrorKind::Corrupt,
        E::InvalidUri(_) => ErrorKind::InvalidInput,
        E::Io(store) => store_kind(store),
        _ => ErrorKind::Storage,
    }
}

impl From<lancer_commit::CommitError> for Error {
    fn from(error: lancer_commit::CommitError) -> Error {
        Error::from_source(commit_kind(&error), error)
    }
}

impl From<lancer_table::Error> for Error {
    fn from(error: lancer_table::Error) -> Error {
        Error::from_source(table_kind(&error), error)
    }
}

impl From<lancer_file::Error> for Error {
    fn from(error: lancer_file::Error) -> Error {
        Error::from_source(file_kind(&error), error)
    }
}

impl From<object_store::Error> for Error {
    fn from(error: object_store::Error) -> Error {
        let kind = store_kind(&error);
        Error {
            message: format!("storage: {error}"),
            ..Error::from_source(kind, error)
        }
    }
}

impl From<arrow_schema::ArrowError> for Error {
    fn from(error: arrow_schema::ArrowError) -> Error {
        use arrow_schema::ArrowError as E;
        let kind = match &error {
            E::IoError(..) => ErrorKind::Storage,
            E::NotYetImplemented(_) => ErrorKind::Unsupported,
            // Arrow errors reach the facade from the caller's data and value functions.
            _ => ErrorKind::InvalidInput,
        };
        Error::from_source(kind, error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_every_layer() {
        let conflict = lancer_commit::CommitError::RetriesExhausted {
            attempts: 3,
            elapsed_ms: 10,
            last_error: None,
        };
        let error = Error::from(conflict);
        assert_eq!(error.kind(), ErrorKind::RetriesExhausted);
        assert!(std::error::Error::source(&error).is_some());
        assert!(error.to_string().starts_with("commit gave up"), "{error}");

        let missing = Error::from(object_store::Error::NotFound {
            path: "x".into(),
            source: "gone".into(),
        });
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        let file = lancer_file::Error::Corrupt("bad footer".into()).in_file("data/a.lance");
        assert_eq!(Error::from(file).kind(), ErrorKind::Corrupt);
        let table = lancer_table::Error::Corrupt("bad manifest".into());
        assert_eq!(Error::from(table).kind(), ErrorKind::Corrupt);
        let here = Error::in_data_file("3", "a.lance", "missing");
        assert_eq!(here.kind(), ErrorKind::InvalidInput);
        assert_eq!(here.to_string(), "fragment 3, file `a.lance`: missing");
        assert_eq!(
            Error::invalid_input("no")
                .note("(in input rows 0..3)")
                .to_string(),
            "invalid input: no (in input rows 0..3)"
        );
    }
}
