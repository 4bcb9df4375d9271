//! Names of the objects that make up a dataset: manifests (two naming schemes), transaction
//! files, data files, and the version hint.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Directory of manifests, relative to the dataset root.
pub const VERSIONS_DIR: &str = "_versions";
/// Directory of transaction files.
pub const TRANSACTIONS_DIR: &str = "_transactions";
/// Directory of data files.
pub const DATA_DIR: &str = "data";
/// Name of the version hint inside [`VERSIONS_DIR`].
pub const VERSION_HINT_FILE: &str = "latest_version_hint.json";

const MANIFEST_SUFFIX: &str = ".manifest";
/// V2 names are 20 zero-padded digits plus `.manifest`.
const V2_NAME_LEN: usize = 20 + MANIFEST_SUFFIX.len();

/// How manifest files are named. A dataset uses one scheme; mixing them is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ManifestNaming {
    /// `{version}.manifest`.
    V1,
    /// `{u64::MAX - version:020}.manifest`: newest first in a lexicographic listing. The
    /// default for new datasets (as in pylance 14).
    V2,
}

impl ManifestNaming {
    /// The manifest file name of `version`.
    pub fn file_name(self, version: u64) -> String {
        match self {
            ManifestNaming::V1 => format!("{version}{MANIFEST_SUFFIX}"),
            ManifestNaming::V2 => format!("{:020}{MANIFEST_SUFFIX}", u64::MAX - version),
        }
    }

    /// The manifest path of `version`, relative to the dataset root.
    pub fn path(self, version: u64) -> String {
        format!("{VERSIONS_DIR}/{}", self.file_name(version))
    }
}

/// Parses a file name found in `_versions/`. Returns `None` for anything that is not a
/// manifest of the main branch (the hint, staging files, detached versions).
pub fn parse_manifest_name(name: &str) -> Option<(u64, ManifestNaming)> {
    let digits = name.strip_suffix(MANIFEST_SUFFIX)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: u64 = digits.parse().ok()?;
    if name.len() == V2_NAME_LEN {
        let version = u64::MAX - number;
        (version > 0).then_some((version, ManifestNaming::V2))
    } else {
        // V1 names are unpadded; a leading zero is not something any writer produces.
        (number > 0 && !digits.starts_with('0')).then_some((number, ManifestNaming::V1))
    }
}

/// The transaction file name of a commit attempt (relative to `_transactions/`).
pub fn transaction_file_name(read_version: u64, uuid: &str) -> String {
    format!("{read_version}-{uuid}.txn")
}

/// A new, unique data file name (relative to `data/`), in pylance's layout: the first 24
/// bits of a random UUID as binary digits (spreading keys over object-store partitions)
/// followed by the remaining 13 bytes in hex.
pub fn new_data_file_name() -> String {
    let uuid = uuid::Uuid::new_v4();
    let bytes = uuid.as_bytes();
    let mut name = String::with_capacity(56);
    for byte in &bytes[..3] {
        name.push_str(&format!("{byte:08b}"));
    }
    for byte in &bytes[3..] {
        name.push_str(&format!("{byte:02x}"));
    }
    name.push_str(".lance");
    name
}

/// Marks the job tag in a data file name (see [`new_job_data_file_name`]).
const JOB_MARK: &str = "_job_";
/// Longest job tag accepted.
const MAX_JOB_TAG_LEN: usize = 64;

/// A new data file name that carries `job`'s tag: `<new_data_file_name stem>_job_<tag>.lance`.
/// Every file a job writes is then findable by its name alone (to remove a failed job's
/// files, even those of workers that died before returning their fragments). `job` must
/// pass [`check_job_tag`].
pub fn new_job_data_file_name(job: &str) -> String {
    let name = new_data_file_name();
    let stem = name
        .strip_suffix(".lance")
        .expect("new_data_file_name ends in .lance");
    format!("{stem}{JOB_MARK}{job}.lance")
}

/// The job tag a data file name carries, if any.
pub fn data_file_job(name: &str) -> Option<&str> {
    let stem = name.strip_suffix(".lance")?;
    let (_, job) = stem.rsplit_once(JOB_MARK)?;
    check_job_tag(job).ok().map(|()| job)
}

/// Checks a job tag given from outside: 1 to 64 lowercase letters and digits (it becomes
/// part of file names).
pub fn check_job_tag(job: &str) -> std::result::Result<(), String> {
    let valid = !job.is_empty()
        && job.len() <= MAX_JOB_TAG_LEN
        && job
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(format!(
            "job tag `{job}` must be 1 to {MAX_JOB_TAG_LEN} lowercase letters and digits"
        ))
    }
}

/// Checks a transaction id given from outside: a hyphenated UUID, since it becomes part of
/// the `.txn` file name (anything else could name a file elsewhere, or collide).
pub fn check_transaction_uuid(id: &str) -> std::result::Result<(), String> {
    match uuid::Uuid::try_parse(id) {
        Ok(parsed) if parsed.hyphenated().to_string() == id.to_ascii_lowercase() => Ok(()),
        _ => Err(format!(
            "transaction id `{}` is not a hyphenated UUID (8-4-4-4-12 hex digits)",
            id.chars().take(64).collect::<String>()
        )),
    }
}

/// A new transaction UUID, hyphenated lowercase.
pub fn new_transaction_uuid() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

#[derive(Serialize, Deserialize)]
struct Hint {
    version: u64,
}

/// `_versions/latest_version_hint.json`: `{"version":N}`, advisory only.
pub fn encode_version_hint(version: u64) -> String {
    serde_json::to_string(&Hint { version }).expect("a hint always serializes")
}

/// Reads a version hint. A hint is only advice: callers verify it.
pub fn decode_version_hint(bytes: &[u8]) -> Result<u64> {
    if bytes.len() > 1024 {
        return Err(Error::corrupt("version hint longer than 1 KiB"));
    }
    let hint: Hint =
        serde_json::from_slice(bytes).map_err(|e| Error::corrupt(format!("version hint: {e}")))?;
    Ok(hint.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_naming_schemes_match_pylance() {
        assert_eq!(ManifestNaming::V1.file_name(1), "1.manifest");
        assert_eq!(
            ManifestNaming::V2.file_name(1),
            "18446744073709551614.manifest"
        );
        assert_eq!(
            ManifestNaming::V2.file_name(2),
            "18446744073709551613.manifest"
        );
        // (A V1 name of 20 digits would read as V2, as in pylance; versions never get there.)
        for naming in [ManifestNaming::V1, ManifestNaming::V2] {
            for version in [1, 9, 10, 123_456, 10_000_000_000_000_000_000 - 1] {
                assert_eq!(
                    parse_manifest_name(&naming.file_name(version)),
                    Some((version, naming))
                );
            }
        }
        // The newest V2 manifest sorts first.
        assert!(ManifestNaming::V2.file_name(10) < ManifestNaming::V2.file_name(9));
    }

    #[test]
    fn other_names_are_not_manifests() {
        for name in [
            "latest_version_hint.json",
            "d9223372036854775809.manifest",
            ".manifest",
            "x.manifest",
            "1.manifest.tmp",
            "0.manifest",
            "01.manifest",
            "18446744073709551615.manifest",
            "-1.manifest",
            "99999999999999999999999.manifest",
        ] {
            assert_eq!(parse_manifest_name(name), None, "{name}");
        }
    }

    #[test]
    fn data_file_names_look_like_pylance_ones() {
        let name = new_data_file_name();
        assert_eq!(name.len(), 56);
        assert!(name[..24].bytes().all(|b| b == b'0' || b == b'1'), "{name}");
        assert!(
            name[24..50].bytes().all(|b| b.is_ascii_hexdigit()),
            "{name}"
        );
        assert_eq!(&name[30..31], "4", "UUID v4 version nibble");
        assert_ne!(name, new_data_file_name());
    }

    #[test]
    fn hints() {
        assert_eq!(encode_version_hint(1), r#"{"version":1}"#);
        assert_eq!(decode_version_hint(br#"{"version":12}"#).unwrap(), 12);
        assert!(decode_version_hint(b"garbage").is_err());
    }

    #[test]
    fn job_tags_are_found_in_names() {
        let name = new_job_data_file_name("abc123");
        assert!(name.ends_with("_job_abc123.lance"), "{name}");
        assert_eq!(data_file_job(&name), Some("abc123"));
        assert_eq!(data_file_job(&new_data_file_name()), None);
        assert_eq!(data_file_job("x_job_UPPER.lance"), None);
        assert_eq!(data_file_job("x_job_.lance"), None);
        for bad in ["", "a/b", "../x", "A", "a-b", &"x".repeat(65)] {
            assert!(check_job_tag(bad).is_err(), "{bad}");
        }
    }
}
