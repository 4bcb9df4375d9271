//! Exit codes and the one-line errors the CLI prints.

use std::path::Path;

use lancer::ErrorKind;

/// Exit code: success.
pub const OK: u8 = 0;
/// Exit code: invalid input, or any error without a code of its own (cause on stderr).
pub const ERROR: u8 = 1;
/// Exit code: a usage error.
pub const USAGE: u8 = 2;
/// Exit code: the commit conflicts with one committed since its read version; re-run the
/// workers on the new version.
pub const CONFLICT: u8 = 3;
/// Exit code: the commit must be rebuilt from the new version (its data files can be
/// reused, e.g. re-run merge-columns' commit with the new fragment list).
pub const REBUILD: u8 = 4;
/// Exit code: other writers kept winning; re-run the same commit (same --transaction-id).
pub const RETRIES_EXHAUSTED: u8 = 5;
/// Exit code: no dataset (or version, or file) where the command looked.
pub const NOT_FOUND: u8 = 6;
/// Exit code: something lancer does not do (a feature flag, file version, type, store).
pub const UNSUPPORTED: u8 = 7;
/// Exit code: stored bytes that cannot be decoded.
pub const CORRUPT: u8 = 8;
/// Exit code: the object store failed; often worth retrying later.
pub const STORAGE: u8 = 9;

/// The exit code of each kind of error: the one table.
pub fn exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Conflict => CONFLICT,
        ErrorKind::Rebuild => REBUILD,
        ErrorKind::RetriesExhausted => RETRIES_EXHAUSTED,
        ErrorKind::NotFound => NOT_FOUND,
        ErrorKind::Unsupported => UNSUPPORTED,
        ErrorKind::Corrupt => CORRUPT,
        ErrorKind::Storage => STORAGE,
        _ => ERROR,
    }
}

/// The exit codes, as `--help` shows them.
pub const EXIT_CODES: &str = "Exit codes:
  0  success
  1  invalid input or other error (the cause is printed on stderr)
  2  usage error
  3  commit conflict: re-run the workers on the new version
  4  commit must be rebuilt from the new version (the data files can be reused)
  5  commit retries exhausted: re-run the same commit (same --transaction-id)
  6  not found: no dataset, version or file there
  7  unsupported by lancer (feature flag, file version, type, store)
  8  corrupt dataset or file
  9  storage error (often transient: retry later)";

/// An error with the exit code a scheduler acts on.
#[derive(Debug)]
pub struct CliError {
    /// Exit code.
    pub code: u8,
    /// One-line cause.
    pub message: String,
}

impl CliError {
    pub fn general(message: impl Into<String>) -> Self {
        CliError {
            code: ERROR,
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: USAGE,
            message: message.into(),
        }
    }

    pub fn input(path: &Path, message: impl std::fmt::Display) -> Self {
        CliError::general(format!("{}: {message}", path.display()))
    }
}

impl From<lancer::Error> for CliError {
    fn from(e: lancer::Error) -> Self {
        CliError {
            code: exit_code(e.kind()),
            message: e.to_string(),
        }
    }
}

impl From<arrow_schema::ArrowError> for CliError {
    fn from(e: arrow_schema::ArrowError) -> Self {
        CliError::general(e.to_string())
    }
}
