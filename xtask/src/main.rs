//! `cargo xtask`: the project's maintenance commands.
//!
//! * `cargo xtask test` — everything CI runs, on a fresh machine: installs the pylance oracle
//!   (a virtualenv under `target/oracle`), runs every workspace test with the oracle required,
//!   then a short fuzz run.
//! * `cargo xtask fuzz [--seconds N] [TARGET...]` — builds the `fuzz/` targets with
//!   libFuzzer coverage instrumentation (stable toolchain, no cargo-fuzz needed) and runs each.
//! * `cargo xtask bench [--criterion]` — benchmarks (see `benches/`).
//! * `cargo xtask release [--dry-run] [--fast]` — everything before publishing (see
//!   `release.rs`); it never publishes.
//! * `cargo xtask tidy` — the workspace's shape: crate layering, the front ends standing on
//!   the facade, lean pure crates, no module import cycles (also the first step of `test`).
//!
//! Only the standard library is used so the tool itself builds in seconds.

mod fuzz;
mod oracle;
mod release;
mod servers;
mod tidy;
mod wheel;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("tidy") => tidy::run(),
        Some("release") => release::run_release(&args[1..]),
        Some("oracle") => oracle::ensure().map(|python| println!("{}", python.display())),
        Some("servers") => servers::start().map(|servers| {
            for (key, value) in &servers.env {
                println!("export {key}={value}");
            }
            eprintln!("xtask: servers running; press Ctrl-C to stop them");
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo xtask <command>

commands:
  test [--fuzz-seconds N]          every test, with the pylance oracle and local S3 (moto) and
                                   Azure (Azurite) servers, then a short fuzz run
  tidy                             check the crate layering, the front ends' dependencies, the
                                   pure crates' trees and module cycles
  servers                          start the test servers and print their environment (Ctrl-C stops)
  fuzz [--seconds N] [TARGET...]   run the fuzz targets (default 60 s each)
  bench [--quick] [--rows N] [--reps N]
                                   lancer vs pylance on the reference table (write, scan,
                                   memory, commits); report in target/bench/
  bench --criterion                criterion micro-benchmarks
  oracle                           install the pylance oracle and print its python path
  release [--dry-run] [--fast] [--allow-dirty] [--version X.Y.Z]
                                   check metadata and changelog, bump the version, MSRV and
                                   semver checks, publish dry run, build target/dist/
                                   (binary, completions, man pages, wheel, SHA256SUMS) and
                                   check them (seed in a fresh venv, lancer demo); never
                                   publishes";

/// The workspace root.
/// `python` arguments that install packages quietly.
pub(crate) const PIP_INSTALL: &[&str] = &[
    "-m",
    "pip",
    "install",
    "--quiet",
    "--disable-pip-version-check",
];

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is a workspace member")
        .to_path_buf()
}

/// Runs a command, failing with its description if it does not succeed.
pub(crate) fn run(command: &mut Command) -> Result<(), String> {
    let description = format!("{command:?}");
    eprintln!("xtask: running {description}");
    let status = command
        .status()
        .map_err(|e| format!("cannot start {description}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{description} failed ({status})"))
    }
}

/// What `command` printed on stdout; its stderr in the error when it fails.
pub(crate) fn output(command: &mut Command) -> Result<String, String> {
    let out = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub(crate) fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn flag_value(args: &[String], flag: &str) -> Result<Option<u64>, String> {
    match args.iter().position(|a| a == flag) {
        None => Ok(None),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .map(Some)
            .ok_or_else(|| format!("{flag} needs a number")),
    }
}

fn test(args: &[String]) -> Result<(), String> {
    let fuzz_seconds = flag_value(args, "--fuzz-seconds")?.unwrap_or(10);
    tidy::run()?;
    let python = oracle::ensure()?;
    // Stopped when this function returns, whether the tests passed or not.
    let servers = servers::start()?;
    let full_run = |command: &mut Command| {
        command
            .current_dir(root())
            .env("LANCER_FULL_TEST", "1")
            .env("LANCER_ORACLE_PYTHON", &python)
            // The Python package's build (pyo3) configures itself for this interpreter, as
            // maturin's build below does, so the two share one build.
            .env("PYO3_PYTHON", &python)
            .envs(servers.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    };
    let mut tests = cargo();
    tests.args(["test", "--workspace", "--all-targets"]);
    full_run(&mut tests);
    run(&mut tests)?;
    let mut doc = cargo();
    doc.args(["test", "--workspace", "--doc"]);
    full_run(&mut doc);
    run(&mut doc)?;
    // Examples are documentation: they must run, not just build.
    let scratch = root().join("target/xtask-examples");
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    // Built for the whole workspace, the examples share the test build's features (a
    // `cargo run -p` would rebuild the Arrow crates with another feature set).
    run(cargo()
        .current_dir(root())
        .args(["build", "--workspace", "--examples"]))?;
    let examples = root().join("target/debug/examples");
    run(Command::new(examples.join("roundtrip"))
        .current_dir(root())
        .arg(scratch.join("roundtrip.lance")))?;
    let dataset = scratch.join("dist_write");
    if dataset.exists() {
        std::fs::remove_dir_all(&dataset)
            .map_err(|e| format!("cannot clear {}: {e}", dataset.display()))?;
    }
    run(Command::new(examples.join("distributed_write"))
        .current_dir(root())
        .arg(&dataset))?;
    python_package(&python, &servers.env)?;
    // The benchmark harness itself, on a small table in the test profile: it must keep
    // working (both sides, every case, the report), but its timings here mean nothing.
    let bench_dir = root().join("target/xtask-bench");
    run(cargo()
        .current_dir(root())
        .args(["run", "-p", "lancer-benches", "--bin", "bench", "--"])
        .args(["--quick", "--rows", "20000", "--dir"])
        .arg(&bench_dir)
        .arg("--python")
        .arg(&python))?;
    // Releasing must keep working: metadata, changelog and packaging (no verify builds).
    release::run_release(&[
        "--dry-run".to_string(),
        "--fast".to_string(),
        "--allow-dirty".to_string(),
    ])?;
    if fuzz_seconds > 0 {
        fuzz::run(&["--seconds".to_string(), fuzz_seconds.to_string()])?;
    }
    eprintln!("xtask: all tests passed");
    Ok(())
}

/// Builds the Python package's wheel (in the test profile, to reuse this run's build),
/// installs it into the test virtualenv, runs its pytest suite (which fails when it collects
/// no test) and the Ray example, then installs the same wheel into a virtualenv of its own
/// and runs the seed page there.
fn python_package(python: &Path, servers: &[(String, String)]) -> Result<(), String> {
    let bin = python
        .parent()
        .ok_or_else(|| format!("{} has no parent directory", python.display()))?;
    let path = match std::env::var_os("PATH") {
        Some(path) => {
            let mut dirs = vec![bin.to_path_buf()];
            dirs.extend(std::env::split_paths(&path));
            std::env::join_paths(dirs).map_err(|e| format!("cannot extend PATH: {e}"))?
        }
        None => bin.as_os_str().to_owned(),
    };
    let wheel = wheel::build(python, "dev", &root().join("target/xtask-wheel"))?;
    run(Command::new(python)
        .args(PIP_INSTALL)
        .args(["--no-deps", "--force-reinstall"])
        .arg(&wheel))?;
    run(Command::new(python)
        .current_dir(root())
        .env("PATH", &path)
        .env("LANCER_FULL_TEST", "1")
        .envs(servers.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "crates/lancer-python/tests",
        ]))?;
    // The Ray example is documentation too: a local Ray (two CPUs) runs it end to end.
    let dataset = root().join("target/xtask-examples/ray_example");
    if dataset.exists() {
        std::fs::remove_dir_all(&dataset)
            .map_err(|e| format!("cannot clear {}: {e}", dataset.display()))?;
    }
    run(Command::new(python)
        .current_dir(root())
        .env("PATH", &path)
        .env("RAY_USAGE_STATS_ENABLED", "0")
        .arg("crates/lancer-python/examples/ray_distributed_write.py")
        .arg(&dataset))?;
    wheel::check_in_fresh_venv(python, &wheel)
}

fn bench(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "--criterion") {
        return run(cargo().current_dir(root()).args([
            "bench",
            "-p",
            "lancer-benches",
            "--benches",
        ]));
    }
    let python = oracle::ensure()?;
    // The S3 server for the cleanup case (stopped when this returns).
    let servers = servers::start()?;
    let mut bench = cargo();
    bench
        .current_dir(root())
        .envs(servers.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args([
            "run",
            "--release",
            "-p",
            "lancer-benches",
            "--bin",
            "bench",
            "--",
        ])
        .args(passthrough(args, &["--quick"], &["--rows", "--reps"])?)
        .arg("--python")
        .arg(&python);
    run(&mut bench)
}

/// The switches and numeric flags of `args` that are passed on to a benchmark program.
fn passthrough(
    args: &[String],
    switches: &[&str],
    numbers: &[&str],
) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for switch in switches {
        if args.iter().any(|a| a == switch) {
            out.push(switch.to_string());
        }
    }
    for flag in numbers {
        if let Some(value) = flag_value(args, flag)? {
            out.extend([flag.to_string(), value.to_string()]);
        }
    }
    Ok(out)
}
