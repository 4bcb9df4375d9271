//! Building and running the fuzz targets in `fuzz/` (a cargo-fuzz layout).
//!
//! The targets are built with the same coverage instrumentation cargo-fuzz uses, minus the
//! address sanitizer (which needs a nightly compiler; lancer forbids `unsafe`, so the
//! sanitizer would add little). That keeps the fuzz run on the stable toolchain.

use std::path::Path;
use std::process::Command;

use crate::{cargo, flag_value, root};

const RUSTFLAGS: &str = "-Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares \
    --cfg fuzzing -Cdebug-assertions -Coverflow-checks";

fn targets(fuzz_dir: &Path) -> Result<Vec<String>, String> {
    let dir = fuzz_dir.join("fuzz_targets");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|entry| {
            entry
                .ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".rs")
                .map(str::to_string)
        })
        .collect();
    names.sort();
    Ok(names)
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let seconds = flag_value(args, "--seconds")?.unwrap_or(60);
    let fuzz_dir = root().join("fuzz");
    let mut wanted: Vec<String> = Vec::new();
    let mut skip = false;
    for arg in args {
        if skip {
            skip = false;
        } else if arg == "--seconds" {
            skip = true;
        } else {
            wanted.push(arg.clone());
        }
    }
    let all = targets(&fuzz_dir)?;
    let chosen: Vec<String> = if wanted.is_empty() {
        all.clone()
    } else {
        wanted
    };
    for name in &chosen {
        if !all.contains(name) {
            return Err(format!(
                "no fuzz target `{name}` (have: {})",
                all.join(", ")
            ));
        }
    }
    let target_dir = root().join("target/fuzz");
    // An explicit --target keeps RUSTFLAGS away from build scripts and proc macros, which
    // must not be instrumented.
    let host = host_triple()?;
    crate::run(
        cargo()
            .current_dir(&fuzz_dir)
            .args([
                "build",
                "--release",
                "--bins",
                "--target",
                &host,
                "--target-dir",
            ])
            .arg(&target_dir)
            .env("RUSTFLAGS", RUSTFLAGS),
    )?;
    for name in &chosen {
        let corpus = target_dir.join("corpus").join(name);
        std::fs::create_dir_all(&corpus)
            .map_err(|e| format!("cannot create {}: {e}", corpus.display()))?;
        let artifacts = target_dir.join("artifacts").join(name);
        std::fs::create_dir_all(&artifacts)
            .map_err(|e| format!("cannot create {}: {e}", artifacts.display()))?;
        let mut command = Command::new(target_dir.join(&host).join("release").join(name));
        command
            .arg(format!("-max_total_time={seconds}"))
            .arg("-rss_limit_mb=2048")
            .arg("-malloc_limit_mb=1024")
            .arg("-timeout=10")
            .arg(format!("-artifact_prefix={}/", artifacts.display()))
            .arg(&corpus);
        crate::run(&mut command).map_err(|e| {
            format!(
                "fuzz target {name} found a failure (see {}): {e}",
                artifacts.display()
            )
        })?;
    }
    eprintln!(
        "xtask: {} fuzz targets ran {seconds} s each without a failure",
        chosen.len()
    );
    Ok(())
}

fn host_triple() -> Result<String, String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc)
        .arg("-vV")
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: ").map(str::to_string))
        .ok_or_else(|| "rustc -vV did not name the host".to_string())
}
