//! Lance data file format versions, as footers and manifests record them.

use crate::error::{Error, Result};

/// A Lance v2 data file format version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileVersion {
    /// 2.0: the version lancer reads and writes.
    V2_0,
    /// 2.1 (structural pages).
    V2_1,
    /// 2.2 (pylance 14's default).
    V2_2,
    /// 2.3 (unstable in pylance 14).
    V2_3,
}

impl FileVersion {
    /// Interprets the footer's version numbers.
    pub fn from_footer(major: u16, minor: u16) -> Result<Self> {
        match (major, minor) {
            (0, 3) | (2, 0) => Ok(FileVersion::V2_0),
            (2, 1) => Ok(FileVersion::V2_1),
            (2, 2) => Ok(FileVersion::V2_2),
            (2, 3) => Ok(FileVersion::V2_3),
            (0, 0..=2) => Err(Error::UnsupportedVersion {
                version: format!("{major}.{minor} (legacy v1)"),
                reason: "legacy (v1) Lance files are not supported".to_string(),
            }),
            _ => Err(Error::UnsupportedVersion {
                version: format!("{major}.{minor}"),
                reason: "unknown Lance file version".to_string(),
            }),
        }
    }

    /// The version numbers written in the footer (2.0 files say 0.3, as pylance writes).
    pub fn footer_numbers(self) -> (u16, u16) {
        match self {
            FileVersion::V2_0 => (0, 3),
            FileVersion::V2_1 => (2, 1),
            FileVersion::V2_2 => (2, 2),
            FileVersion::V2_3 => (2, 3),
        }
    }

    /// The `(file_major_version, file_minor_version)` a manifest records for this version.
    pub fn manifest_numbers(self) -> (u32, u32) {
        match self {
            FileVersion::V2_0 => (2, 0),
            FileVersion::V2_1 => (2, 1),
            FileVersion::V2_2 => (2, 2),
            FileVersion::V2_3 => (2, 3),
        }
    }

    /// Interprets a manifest's `(file_major_version, file_minor_version)`.
    pub fn from_manifest_numbers(major: u32, minor: u32) -> Option<Self> {
        match (major, minor) {
            (2, 0) => Some(FileVersion::V2_0),
            (2, 1) => Some(FileVersion::V2_1),
            (2, 2) => Some(FileVersion::V2_2),
            (2, 3) => Some(FileVersion::V2_3),
            _ => None,
        }
    }

    /// `"2.0"`, `"2.1"`, ...: the dataset-level data storage version string.
    pub fn as_str(self) -> &'static str {
        match self {
            FileVersion::V2_0 => "2.0",
            FileVersion::V2_1 => "2.1",
            FileVersion::V2_2 => "2.2",
            FileVersion::V2_3 => "2.3",
        }
    }
}

impl std::fmt::Display for FileVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
