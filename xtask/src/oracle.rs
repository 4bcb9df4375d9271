//! The test virtualenv under `target/oracle`: pinned pylance (the oracle lancer is checked
//! against), pyarrow, and what the Python package is built and tested with.

use std::path::PathBuf;
use std::process::Command;

use crate::{PIP_INSTALL, root, run};

/// Pinned packages. pylance 14.0.2 is the reference implementation lancer is checked against;
/// maturin builds the lancer Python package into the same virtualenv, where pytest runs its
/// tests (pandas for the seed's `to_pandas()`, Ray for the Ray example); Polars and DuckDB
/// write the input files users have (`crates/lancer-testkit/scripts/inputs.py`).
pub(crate) const PACKAGES: &[&str] = &[
    "pylance==14.0.2",
    "pyarrow==26.0.1",
    "pandas==3.1.1",
    "pytest==9.2.0",
    "maturin==1.16.0",
    "ray==2.60.0",
    "polars==2.1.0",
    "duckdb==2.0.1",
];

/// Creates the virtualenv if needed and returns its python. Fails (never skips) when it cannot
/// be installed.
pub(crate) fn ensure() -> Result<PathBuf, String> {
    let venv = root().join("target/oracle/venv");
    let python = venv.join("bin/python");
    let stamp = venv.join("lancer-oracle.txt");
    let wanted = PACKAGES.join("\n");
    if python.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        return Ok(python);
    }
    let base = std::env::var("LANCER_BASE_PYTHON").unwrap_or_else(|_| "python3".to_string());
    run(Command::new(&base)
        .args(["-m", "venv", "--clear"])
        .arg(&venv))
    .map_err(|e| format!("cannot create the oracle virtualenv with {base}: {e}"))?;
    run(Command::new(&python).args(PIP_INSTALL).args(PACKAGES))
        .map_err(|e| format!("cannot install the pylance oracle: {e}"))?;
    run(Command::new(&python).args([
        "-c",
        "import lance, pyarrow; assert lance.__version__ == '14.0.2', lance.__version__",
    ]))
    .map_err(|e| format!("the pylance oracle does not import: {e}"))?;
    std::fs::write(&stamp, wanted).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(python)
}
