//! Datasets as directories on disk: byte-for-byte snapshots (to show a refused commit
//! changed nothing) and copies (one fresh dataset per test case).

use std::collections::BTreeMap;
use std::path::Path;

/// Every file below `dir` (or only below its subdirectories `only`, when given) with its
/// bytes, keyed by its path relative to `dir`.
pub fn snapshot(dir: &Path, only: &[&str]) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&entry.path(), &format!("{name}/"), out);
            } else {
                out.insert(name, std::fs::read(entry.path()).unwrap_or_default());
            }
        }
    }
    let mut out = BTreeMap::new();
    if only.is_empty() {
        walk(dir, "", &mut out);
    }
    for sub in only {
        walk(&dir.join(sub), &format!("{sub}/"), &mut out);
    }
    out
}

/// Copies the directory tree `from` to `to` (files and directories; links are copied as
/// the files they name).
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Panics unless `message` mentions every one of `needles`.
pub fn assert_mentions(message: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            message.contains(needle),
            "expected `{needle}` in: {message}"
        );
    }
}
