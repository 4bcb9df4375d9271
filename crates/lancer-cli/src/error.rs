//! Exit codes and the one-line errors the CLI prints.

use std::path::Path;

use lancer::CommitError;

/// Exit code: success.
pub const OK: u8 = 0;
/// Exit code: an error (cause on stderr).
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
pub const RETRY: u8 = 5;

/// The exit codes, as `--help` shows them.
pub const EXIT_CODES: &str = "Exit codes:
  0  success
  1  error (the cause is printed on stderr)
  2  usage error
  3  commit conflict: re-run the workers on the new version
  4  commit must be rebuilt from the new version (the data files can be reused)
  5  commit contention budget spent: re-run the same commit (same --transaction-id)";

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
        let code = match &e {
            lancer::Error::Commit(CommitError::Conflict { .. }) => CONFLICT,
            lancer::Error::Commit(CommitError::Rebuild { .. }) => REBUILD,
            lancer::Error::Commit(CommitError::RetriesExhausted { .. }) => RETRY,
            _ => ERROR,
        };
        CliError {
            code,
            message: e.to_string(),
        }
    }
}

impl From<lancer_commit::CommitError> for CliError {
    fn from(e: lancer_commit::CommitError) -> Self {
        lancer::Error::Commit(e).into()
    }
}

impl From<lancer_table::Error> for CliError {
    fn from(e: lancer_table::Error) -> Self {
        CliError::general(e.to_string())
    }
}

impl From<lancer_file::Error> for CliError {
    fn from(e: lancer_file::Error) -> Self {
        CliError::general(e.to_string())
    }
}

impl From<arrow_schema::ArrowError> for CliError {
    fn from(e: arrow_schema::ArrowError) -> Self {
        CliError::general(e.to_string())
    }
}
