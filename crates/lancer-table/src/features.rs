//! Feature flags: what a reader or writer must understand to touch a version safely.
//!
//! lancer's policy: set no flag unless the content needs it; refuse to read or write a
//! dataset carrying a flag it does not implement, naming the flag.

use crate::error::{Error, Result};
use crate::manifest::Manifest;

/// Some fragment has a deletion file (reader and writer).
pub const DELETION_FILES: u64 = 1;
/// Stable row ids (reader and writer).
pub const STABLE_ROW_IDS: u64 = 2;
/// Deprecated "v2 format" bit; ignored.
pub const V2_FORMAT_DEPRECATED: u64 = 4;
/// Table config present (writer only).
pub const TABLE_CONFIG: u64 = 8;
/// Base paths (reader and writer).
pub const BASE_PATHS: u64 = 16;
/// Transaction files disabled (writer only).
pub const TRANSACTION_FILE_DISABLED: u64 = 32;
/// Data overlay files (unstable).
pub const DATA_OVERLAYS: u64 = 64;
/// Covering index metadata.
pub const COVERING_INDEX: u64 = 128;
/// Data files of different v2 minor versions.
pub const MIXED_FILE_VERSIONS: u64 = 256;
/// Stable, non-reusable field ids.
pub const STABLE_FIELD_IDS: u64 = 512;
/// Tagged fragment-reuse index history.
pub const FRAGMENT_REUSE_HISTORY: u64 = 1024;

/// Flags lancer can read datasets with.
pub const READABLE: u64 = DELETION_FILES
    | V2_FORMAT_DEPRECATED
    | TABLE_CONFIG
    | TRANSACTION_FILE_DISABLED
    | COVERING_INDEX;
/// Flags lancer can write datasets with.
pub const WRITABLE: u64 = READABLE;

/// The name of a flag bit.
pub fn name(flag: u64) -> &'static str {
    match flag {
        DELETION_FILES => "deletion files",
        STABLE_ROW_IDS => "stable row ids",
        V2_FORMAT_DEPRECATED => "v2 format (deprecated)",
        TABLE_CONFIG => "table config",
        BASE_PATHS => "base paths",
        TRANSACTION_FILE_DISABLED => "transaction files disabled",
        DATA_OVERLAYS => "data overlay files",
        COVERING_INDEX => "covering index metadata",
        MIXED_FILE_VERSIONS => "mixed data file versions",
        STABLE_FIELD_IDS => "stable field ids",
        FRAGMENT_REUSE_HISTORY => "fragment reuse history",
        _ => "unknown feature",
    }
}

fn first_unsupported(flags: u64, supported: u64) -> Option<u64> {
    let unsupported = flags & !supported;
    (unsupported != 0).then(|| 1 << unsupported.trailing_zeros())
}

/// Refuses a version lancer cannot read.
pub fn check_readable(manifest: &Manifest) -> Result<()> {
    check_readable_flags(manifest.reader_feature_flags)
}

/// Refuses a version lancer cannot commit on top of.
pub fn check_writable(manifest: &Manifest) -> Result<()> {
    check_writable_flags(manifest.reader_feature_flags, manifest.writer_feature_flags)
}

/// Refuses reader feature flags lancer does not implement.
pub fn check_readable_flags(reader_flags: u64) -> Result<()> {
    match first_unsupported(reader_flags, READABLE) {
        Some(flag) => Err(Error::UnsupportedFeature {
            flag,
            name: name(flag),
            action: "read",
        }),
        None => Ok(()),
    }
}

/// Refuses reader or writer feature flags lancer does not implement.
pub fn check_writable_flags(reader_flags: u64, writer_flags: u64) -> Result<()> {
    check_readable_flags(reader_flags)?;
    match first_unsupported(writer_flags, WRITABLE) {
        Some(flag) => Err(Error::UnsupportedFeature {
            flag,
            name: name(flag),
            action: "write",
        }),
        None => Ok(()),
    }
}

/// The flags a manifest's content needs: `(reader, writer)`.
pub fn required(manifest: &Manifest) -> Result<(u64, u64)> {
    let mut reader = 0;
    let mut writer = 0;
    if manifest.fragments.iter().any(|f| f.deletion_file.is_some()) {
        reader |= DELETION_FILES;
        writer |= DELETION_FILES;
    }
    if !manifest.config.is_empty() {
        writer |= TABLE_CONFIG;
    }
    if manifest
        .indices()?
        .iter()
        .any(|index| !index.covering_fields.is_empty())
    {
        reader |= COVERING_INDEX;
        writer |= COVERING_INDEX;
    }
    Ok((reader, writer))
}
