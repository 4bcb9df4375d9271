//! The pylance oracle.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Environment variable `cargo xtask test` sets: every interop and server test must run.
pub const FULL_RUN_ENV: &str = "LANCER_FULL_TEST";
/// Environment variable naming the oracle's Python interpreter.
pub const PYTHON_ENV: &str = "LANCER_ORACLE_PYTHON";

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crate lives in crates/")
        .to_path_buf()
}

/// Whether this is a full run (`cargo xtask test`).
pub fn full_run() -> bool {
    std::env::var_os(FULL_RUN_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

/// The oracle's Python, if one is available: `$LANCER_ORACLE_PYTHON`, else the virtualenv
/// `cargo xtask test` creates under `target/oracle`.
///
/// Returns `None` (after printing why) when it is missing and this is not a full run; panics
/// when it is missing in a full run, so a full run can never pass without the oracle.
pub fn python(test: &str) -> Option<PathBuf> {
    let candidate = std::env::var_os(PYTHON_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/oracle/venv/bin/python"));
    if candidate.exists() {
        return Some(candidate);
    }
    if full_run() {
        panic!(
            "{test}: the pylance oracle is required in a full run but {} does not exist",
            candidate.display()
        );
    }
    eprintln!(
        "NOT RUN: {test} needs the pylance 14.0.2 oracle ({} is missing); `cargo xtask test` installs it",
        candidate.display()
    );
    None
}

/// Runs an oracle script with arguments and returns its output, panicking with the script's
/// stdout and stderr if it fails.
pub fn run_script(python: &Path, script: &Path, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut command = Command::new(python);
    command.arg(script);
    for arg in args {
        command.arg(arg);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    if !output.status.success() {
        panic!(
            "{} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    output
}
