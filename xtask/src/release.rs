//! `cargo xtask release [--dry-run] [--fast] [--allow-dirty] [--version X.Y.Z]`.
//!
//! Checks what a release needs (a clean tree, every published crate's metadata, this
//! version's changelog section), bumps the shared version, runs the MSRV and semver checks
//! where they can run, builds a downstream crate on the table and file layers alone, runs
//! `cargo publish --workspace --dry-run` (packages in dependency order, verify builds unless
//! `--fast`) and (unless `--fast`) builds the `lancer` binary with shell completions and man
//! pages and the Python wheel into `target/dist/` with SHA-256 sums, then checks them where
//! they land: the wheel in a virtualenv of its own runs the seed page, the binary runs
//! `lancer demo`. It never publishes: it ends by printing the commands that would.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{cargo, output, root, run};

/// The crates a release publishes, each after the crates it depends on.
pub(crate) const PUBLISHED: [&str; 6] = [
    "lancer-encoding",
    "lancer-file",
    "lancer-table",
    "lancer-commit",
    "lancer",
    "lancer-cli",
];

/// Keys every published crate's `[package]` must set (directly or from the workspace).
const REQUIRED_KEYS: [&str; 8] = [
    "description",
    "license",
    "repository",
    "rust-version",
    "readme",
    "keywords",
    "categories",
    "include",
];

struct Options {
    dry_run: bool,
    fast: bool,
    allow_dirty: bool,
    version: Option<String>,
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        dry_run: false,
        fast: false,
        allow_dirty: false,
        version: None,
    };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--dry-run" => options.dry_run = true,
            "--fast" => options.fast = true,
            "--allow-dirty" => options.allow_dirty = true,
            "--version" => {
                let version = rest.next().ok_or("--version needs X.Y.Z")?;
                options.version = Some(version.clone());
            }
            other => return Err(format!("release: unknown argument `{other}`")),
        }
    }
    Ok(options)
}

pub(crate) fn run_release(args: &[String]) -> Result<(), String> {
    let options = options(args)?;
    let root = root();
    if !options.allow_dirty {
        let status = output(
            Command::new("git")
                .current_dir(&root)
                .args(["status", "--porcelain"]),
        )?;
        if !status.trim().is_empty() {
            return Err(format!(
                "the tree has uncommitted changes (commit them, or pass --allow-dirty):\n{status}"
            ));
        }
    }
    let workspace = read(&root.join("Cargo.toml"))?;
    let current = workspace_value(&workspace, "version")
        .ok_or("Cargo.toml has no [workspace.package] version")?;
    let version = options.version.clone().unwrap_or_else(|| current.clone());
    if !is_version(&version) {
        return Err(format!("`{version}` is not a version (X.Y.Z)"));
    }
    let mut problems = Vec::new();
    for name in PUBLISHED {
        let dir = root.join("crates").join(name);
        let manifest = read(&dir.join("Cargo.toml"))?;
        problems.extend(
            manifest_problems(&manifest, &dir)
                .into_iter()
                .map(|p| format!("{name}: {p}")),
        );
    }
    if !problems.is_empty() {
        return Err(format!(
            "crate metadata is incomplete:\n  {}",
            problems.join("\n  ")
        ));
    }
    let changelog = read(&root.join("CHANGELOG.md"))?;
    if !changelog_has(&changelog, &version) {
        return Err(format!(
            "CHANGELOG.md has no section for {version} (a `## [{version}] - date` heading)"
        ));
    }
    eprintln!("xtask: release {version}: metadata and changelog in order");
    if version != current {
        if options.dry_run {
            eprintln!(
                "xtask: would bump {current} -> {version} in Cargo.toml (every crate and the Python package share it); packaging {current}"
            );
        } else {
            std::fs::write(
                root.join("Cargo.toml"),
                bump(&workspace, &current, &version),
            )
            .map_err(|e| format!("cannot write Cargo.toml: {e}"))?;
            eprintln!("xtask: bumped {current} -> {version}");
        }
    }
    // The published crates' docs, broken intra-doc links included, build without a warning.
    let mut doc = cargo();
    doc.current_dir(&root)
        .env("RUSTDOCFLAGS", "-D warnings")
        .args(["doc", "--no-deps"]);
    for name in PUBLISHED {
        doc.args(["-p", name]);
    }
    run(&mut doc)?;
    if options.fast {
        eprintln!("xtask: fast: the MSRV and semver checks and the dist builds are skipped");
    } else {
        msrv_check(&root, &workspace)?;
        semver_check(&root)?;
    }
    downstream_check(&root)?;
    // Packages every published crate in dependency order (each against the packages of the
    // ones before it) and runs the registry's checks, stopping before the upload.
    let mut publish = cargo();
    publish
        .current_dir(&root)
        .args(["publish", "--workspace", "--dry-run"]);
    if options.fast {
        publish.arg("--no-verify");
    } else {
        // Verify builds compile each package against the packages before it, taken from a
        // local registry; cargo treats registry crates as immutable, so a package of the
        // same version from an earlier run (its extracted sources, its compiled library)
        // would be used as is. Both are removed first; the builds get a target directory
        // of their own so that only the published crates are rebuilt there.
        clear_extracted_packages(&current)?;
        let verify_target = root.join("target/xtask-publish");
        let mut clean = cargo();
        clean
            .current_dir(&root)
            .arg("clean")
            .arg("--target-dir")
            .arg(&verify_target);
        for name in PUBLISHED {
            clean.args(["-p", name]);
        }
        run(&mut clean)?;
        publish.arg("--target-dir").arg(&verify_target);
    }
    if options.allow_dirty {
        publish.arg("--allow-dirty");
    }
    run(&mut publish)?;
    if !options.fast {
        dist(&root)?;
    }
    let shown = if version != current && options.dry_run {
        &current
    } else {
        &version
    };
    eprintln!("xtask: ready; nothing has left this machine. To publish {shown}:");
    eprintln!("  cargo publish --workspace");
    eprintln!("  python -m twine upload target/dist/*.whl");
    eprintln!("  git tag v{shown} && git push origin v{shown}");
    Ok(())
}

/// Verify builds take each crate's dependencies from a local registry of the packages just
/// made, which cargo extracts under `$CARGO_HOME/registry/src/-<hash>/`. A registry's
/// versions never change, so cargo reuses a `<crate>-<version>` directory an earlier run
/// extracted. Those copies of the published crates are removed (only in the folders of
/// that unnamed local registry).
fn clear_extracted_packages(version: &str) -> Result<(), String> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")));
    let Some(sources) = home.map(|home| home.join("registry/src")) else {
        return Ok(());
    };
    let Ok(registries) = std::fs::read_dir(&sources) else {
        return Ok(());
    };
    for registry in registries.filter_map(|entry| entry.ok()) {
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        for name in PUBLISHED {
            let stale = registry.path().join(format!("{name}-{version}"));
            if stale.exists() {
                std::fs::remove_dir_all(&stale)
                    .map_err(|e| format!("cannot remove {}: {e}", stale.display()))?;
            }
        }
    }
    Ok(())
}

/// Builds the `lancer` binary (release, stripped) with its shell completions and the abi3
/// wheel into `target/dist/`, then writes `SHA256SUMS` over them.
fn dist(root: &Path) -> Result<(), String> {
    let dist = root.join("target/dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist)
            .map_err(|e| format!("cannot clear {}: {e}", dist.display()))?;
    }
    std::fs::create_dir_all(dist.join("completions"))
        .map_err(|e| format!("cannot create {}: {e}", dist.display()))?;
    run(cargo()
        .current_dir(root)
        .env("CARGO_PROFILE_RELEASE_STRIP", "symbols")
        .args(["build", "--release", "-p", "lancer-cli"]))?;
    let binary = dist.join("lancer");
    std::fs::copy(root.join("target/release/lancer"), &binary)
        .map_err(|e| format!("cannot copy the binary: {e}"))?;
    run(Command::new(&binary).arg("man").arg(dist.join("man")))?;
    for shell in ["bash", "zsh", "fish"] {
        let script = output(Command::new(&binary).args(["completions", shell]))?;
        std::fs::write(
            dist.join("completions").join(format!("lancer.{shell}")),
            script,
        )
        .map_err(|e| format!("cannot write completions: {e}"))?;
    }
    let python = crate::oracle::ensure()?;
    let built = crate::wheel::build(&python, "release", &root.join("target/xtask-dist-wheel"))?;
    let wheel = dist.join(built.file_name().expect("a wheel file"));
    std::fs::rename(&built, &wheel).map_err(|e| format!("cannot move the wheel: {e}"))?;
    // What ships must work where it lands: the wheel in a virtualenv of its own runs the seed
    // page, and the binary runs the demo (worker processes of itself, one commit).
    crate::wheel::check_in_fresh_venv(&python, &wheel)?;
    let demo = root.join("target/xtask-dist-demo");
    if demo.exists() {
        std::fs::remove_dir_all(&demo)
            .map_err(|e| format!("cannot clear {}: {e}", demo.display()))?;
    }
    run(Command::new(&binary).arg("demo").arg(&demo))?;
    // Sums over the top-level artifacts (binary, wheel); completions and man pages ship
    // inside them or beside them, generated by the binary itself.
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dist)
        .map_err(|e| format!("cannot list {}: {e}", dist.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    let mut sums = Command::new("sha256sum");
    sums.current_dir(&dist);
    for file in &files {
        sums.arg(file.file_name().expect("a file"));
    }
    let listed = output(&mut sums)?;
    std::fs::write(dist.join("SHA256SUMS"), listed)
        .map_err(|e| format!("cannot write SHA256SUMS: {e}"))?;
    eprintln!("xtask: dist in {}", dist.display());
    Ok(())
}

/// A crate outside the workspace that depends on lancer-table alone and on lancer-file
/// with its default features off builds: those layers stand on their own for downstream
/// projects (a catalog service, an engine reading files).
fn downstream_check(root: &Path) -> Result<(), String> {
    let dir = root.join("target/xtask-downstream");
    std::fs::create_dir_all(dir.join("src"))
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let crates = root.join("crates");
    let manifest = format!(
        r#"[package]
name = "downstream"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
lancer-table = {{ path = {table:?} }}
lancer-file = {{ path = {file:?}, default-features = false }}

[workspace]
"#,
        table = crates.join("lancer-table"),
        file = crates.join("lancer-file"),
    );
    let code = r##"//! Uses the table and file layers without the rest of lancer.
fn main() {
    let fragment = lancer_table::Fragment::from_json(r#"{"id": 0, "files": []}"#);
    let schema = lancer_file::LanceSchema::default();
    println!("{} {}", fragment.is_ok(), schema.fields.len());
}
"##;
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text)
            .map_err(|e| format!("cannot write the downstream crate: {e}"))
    };
    write("Cargo.toml", &manifest)?;
    write("src/main.rs", code)?;
    // Its own target directory would rebuild the world; the workspace's shares the deps.
    run(cargo()
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", root.join("target"))
        .args(["check", "--quiet"]))
}

fn msrv_check(root: &Path, workspace: &str) -> Result<(), String> {
    let msrv = workspace_value(workspace, "rust-version").ok_or("no rust-version")?;
    let installed = output(Command::new("rustup").args(["toolchain", "list"])).unwrap_or_default();
    if !installed.lines().any(|line| line.starts_with(&msrv)) {
        // From the registry, the smallest profile: the check needs rustc and cargo only.
        let install = run(Command::new("rustup").args([
            "toolchain",
            "install",
            &msrv,
            "--profile",
            "minimal",
        ]));
        if let Err(reason) = install {
            eprintln!("xtask: MSRV check skipped: toolchain {msrv} cannot be installed: {reason}");
            return Ok(());
        }
    }
    let mut check = Command::new("cargo");
    check.current_dir(root).arg(format!("+{msrv}")).arg("check");
    for name in PUBLISHED {
        check.args(["-p", name]);
    }
    run(&mut check)
}

fn semver_check(root: &Path) -> Result<(), String> {
    let tags = output(
        Command::new("git")
            .current_dir(root)
            .args(["tag", "--list", "v*"]),
    )?;
    let Some(previous) = tags
        .lines()
        .filter(|t| is_version(&t[1..]))
        .max_by_key(|t| version_key(&t[1..]))
    else {
        eprintln!("xtask: semver check skipped: no earlier release (no v* tag)");
        return Ok(());
    };
    if Command::new("cargo")
        .args(["semver-checks", "--version"])
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        eprintln!(
            "xtask: semver check skipped: cargo-semver-checks is not installed (cargo install cargo-semver-checks)"
        );
        return Ok(());
    }
    let mut check = Command::new("cargo");
    check
        .current_dir(root)
        .args(["semver-checks", "--baseline-rev", previous]);
    for name in PUBLISHED {
        check.args(["-p", name]);
    }
    run(&mut check)
}

/// What a published crate's manifest lacks (`dir` holds it, for the README).
pub(crate) fn manifest_problems(manifest: &str, dir: &Path) -> Vec<String> {
    let package = section(manifest, "package");
    let mut problems = Vec::new();
    for key in REQUIRED_KEYS {
        if key_value(&package, key).is_none() {
            problems.push(format!("[package] has no `{key}`"));
        }
    }
    if let Some(readme) = key_value(&package, "readme") {
        let file = readme.trim_matches('"');
        if !file.is_empty() && !dir.join(file).is_file() {
            problems.push(format!("the readme `{file}` does not exist"));
        }
    }
    if key_value(&package, "keywords").is_some_and(|k| k.matches('"').count() / 2 > 5) {
        problems.push("more than 5 keywords (crates.io takes 5)".to_string());
    }
    if key_value(&package, "publish").is_some_and(|v| v == "false") {
        problems.push("`publish = false` on a crate the release publishes".to_string());
    }
    problems
}

/// Whether the changelog has a section for `version`.
pub(crate) fn changelog_has(changelog: &str, version: &str) -> bool {
    let heading = format!("## [{version}]");
    changelog
        .lines()
        .any(|line| line.trim_start().starts_with(&heading))
}

/// The root manifest with the shared version (and the workspace's own dependency entries)
/// moved from `old` to `new`.
pub(crate) fn bump(manifest: &str, old: &str, new: &str) -> String {
    let mut in_workspace = false;
    manifest
        .lines()
        .map(|line| {
            let trimmed = line.trim();
            if trimmed.starts_with('[') {
                in_workspace =
                    trimmed == "[workspace.package]" || trimmed == "[workspace.dependencies]";
            }
            let ours = trimmed.starts_with("version") || trimmed.starts_with("lancer");
            if in_workspace && ours {
                line.replace(
                    &format!("version = \"{old}\""),
                    &format!("version = \"{new}\""),
                )
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The lines of `[name]` (up to the next table).
fn section(manifest: &str, name: &str) -> Vec<String> {
    let header = format!("[{name}]");
    manifest
        .lines()
        .skip_while(|line| line.trim() != header)
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with('['))
        .map(str::to_string)
        .collect()
}

/// The value of `key` (`key = v` or `key.workspace = true`) in a section's lines.
fn key_value(lines: &[String], key: &str) -> Option<String> {
    lines.iter().find_map(|line| {
        let (left, right) = line.split_once('=')?;
        let left = left.trim();
        (left == key || left == format!("{key}.workspace")).then(|| right.trim().to_string())
    })
}

fn workspace_value(manifest: &str, key: &str) -> Option<String> {
    key_value(&section(manifest, "workspace.package"), key).map(|v| v.trim_matches('"').to_string())
}

fn is_version(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

fn version_key(text: &str) -> Vec<u64> {
    text.split('.').filter_map(|p| p.parse().ok()).collect()
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"[package]
name = "lancer-x"
description = "x"
version.workspace = true
license.workspace = true
repository.workspace = true
rust-version.workspace = true
readme = "README.md"
keywords = ["a", "b"]
categories = ["encoding"]
include = ["src/**/*.rs"]

[dependencies]
description = "not the package's"
"#;

    #[test]
    fn manifests_missing_metadata_are_named() {
        let dir = std::env::temp_dir().join(format!("xtask-release-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("README.md"), "# x\n").unwrap();
        assert!(
            manifest_problems(GOOD, &dir).is_empty(),
            "{:?}",
            manifest_problems(GOOD, &dir)
        );
        let bad = GOOD.replace("description = \"x\"\n", "").replace(
            "keywords = [\"a\", \"b\"]",
            "keywords = [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]",
        );
        let problems = manifest_problems(&bad, &dir);
        assert!(
            problems.iter().any(|p| p.contains("`description`")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("5 keywords")),
            "{problems:?}"
        );
        let gone = manifest_problems(GOOD, &dir.join("elsewhere"));
        assert!(
            gone.iter().any(|p| p.contains("does not exist")),
            "{gone:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_changelog_must_name_the_version() {
        let changelog = "# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-12-07\n";
        assert!(changelog_has(changelog, "0.1.0"));
        assert!(!changelog_has(changelog, "0.2.0"));
        assert!(!changelog_has(changelog, "0.1"));
    }

    #[test]
    fn bumps_move_every_shared_version() {
        let manifest = "[workspace.package]\nversion = \"0.1.0\"\n\n[workspace.dependencies]\nlancer-file = { path = \"crates/lancer-file\", version = \"0.1.0\" }\nother = { version = \"0.1.0\" }\n";
        let bumped = bump(manifest, "0.1.0", "0.2.0");
        assert!(bumped.contains("version = \"0.2.0\"\n"), "{bumped}");
        assert!(
            bumped.contains("lancer-file = { path = \"crates/lancer-file\", version = \"0.2.0\" }"),
            "{bumped}"
        );
        assert!(
            bumped.contains("other = { version = \"0.1.0\" }"),
            "{bumped}"
        );
        assert!(is_version("1.20.3") && !is_version("1.2") && !is_version("1.2.x"));
    }
}
