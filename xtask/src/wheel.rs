//! The Python package as users get it: a wheel, installed into a virtualenv that holds only
//! the wheel and its declared dependencies, where the seed page's blocks run.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{PIP_INSTALL, root, run};

/// Builds the abi3 wheel with maturin into `out` (emptied first) and returns its path.
/// `profile` is a cargo profile: `dev` in tests (it shares their build), `release` for dist.
pub(crate) fn build(python: &Path, profile: &str, out: &Path) -> Result<PathBuf, String> {
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(|e| format!("cannot clear {}: {e}", out.display()))?;
    }
    let mut build = Command::new(python);
    build
        .current_dir(root())
        // The extension's pyo3 build configures itself for this interpreter, as the test
        // build does, so the two share compiled dependencies.
        .env("PYO3_PYTHON", python)
        .args(["-m", "maturin", "build", "--profile", profile])
        .args(["-m", "crates/lancer-python/Cargo.toml", "--out"])
        .arg(out);
    if profile == "release" {
        build.arg("--strip");
    }
    run(&mut build)?;
    let wheels: Vec<PathBuf> = std::fs::read_dir(out)
        .map_err(|e| format!("cannot list {}: {e}", out.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|x| x == "whl"))
        .collect();
    match wheels.as_slice() {
        [wheel] => Ok(wheel.clone()),
        other => Err(format!(
            "maturin left {} wheels in {} (expected one)",
            other.len(),
            out.display()
        )),
    }
}

/// Installs `wheel` with its `test` extra into a new virtualenv (pylance absent, versions
/// pinned to the oracle's so the check is repeatable) and runs the seed page's blocks there.
/// `python` is the oracle's interpreter; the new virtualenv shares its base Python.
pub(crate) fn check_in_fresh_venv(python: &Path, wheel: &Path) -> Result<(), String> {
    let venv = root().join("target/xtask-wheel-venv");
    run(Command::new(python)
        .args(["-m", "venv", "--clear"])
        .arg(&venv))?;
    let fresh = venv.join("bin/python");
    let constraints = venv.join("constraints.txt");
    std::fs::write(&constraints, crate::oracle::PACKAGES.join("\n"))
        .map_err(|e| format!("cannot write {}: {e}", constraints.display()))?;
    let mut requirement = wheel.as_os_str().to_owned();
    requirement.push("[test]");
    run(Command::new(&fresh)
        .args(PIP_INSTALL)
        .arg("--constraint")
        .arg(&constraints)
        .arg(requirement))?;
    // The package must come from the wheel, and pylance must be absent: anything else would
    // let the check pass on what the virtualenv was not meant to hold.
    run(Command::new(&fresh).current_dir(&venv).args([
        "-c",
        "import importlib.util, sys, lancer\n\
         assert lancer.__file__.startswith(sys.prefix), lancer.__file__\n\
         assert importlib.util.find_spec('lance') is None, 'pylance is installed'",
    ]))?;
    run(Command::new(&fresh)
        .current_dir(root())
        .env("LANCER_WITHOUT_PYLANCE", "1")
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg("crates/lancer-python/tests/test_seed.py"))
}
