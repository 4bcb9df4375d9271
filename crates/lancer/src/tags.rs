//! Tags: names for versions, kept as pylance keeps them (`_refs/tags/<name>.json`, with
//! the version, the manifest's size and camel-cased timestamps), so a tag made by either
//! is seen by the other, and cleanup never removes a tagged version.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use futures::TryStreamExt;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde_json::{Value, json};

use crate::dataset::Dataset;
use crate::error::{Error, ErrorKind, Result};

/// Where pylance keeps tags, one `<name>.json` each.
pub(crate) const TAGS_DIR: &str = "_refs/tags";
/// Longest tag name accepted (it becomes an object name).
const MAX_TAG_LEN: usize = 255;

/// What a tag says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagInfo {
    /// The tagged version.
    pub version: u64,
    /// Bytes of that version's manifest.
    pub manifest_size: u64,
    /// When the tag was made (RFC 3339, as written).
    pub created_at: Option<String>,
    /// When the tag was last moved (RFC 3339, as written).
    pub updated_at: Option<String>,
}

impl Dataset {
    /// Every tag of the dataset, by name.
    pub async fn tags(&self) -> Result<BTreeMap<String, TagInfo>> {
        let store = self.store.object_store();
        let listed: Vec<_> = store
            .list(Some(&self.store.path(TAGS_DIR)))
            .try_collect()
            .await?;
        let mut tags = BTreeMap::new();
        for object in listed {
            let Some(name) = object
                .location
                .filename()
                .and_then(|file| file.strip_suffix(".json"))
            else {
                continue;
            };
            let name = name.to_string();
            let info = self.read_tag(&name).await?;
            tags.insert(name, info);
        }
        Ok(tags)
    }

    /// The version tag `name` points at.
    pub async fn tag_version(&self, name: &str) -> Result<u64> {
        check_tag_name(name)?;
        Ok(self.read_tag(name).await?.version)
    }

    /// The version tag `name` points at, opened.
    pub async fn checkout_tag(&self, name: &str) -> Result<Dataset> {
        let version = self.tag_version(name).await?;
        self.checkout_version(version).await
    }

    /// Makes tag `name` point at `version`; a tag of that name must not exist (two
    /// writers creating it at once: one wins, the other gets an error).
    pub async fn create_tag(&self, name: &str, version: u64) -> Result<()> {
        check_tag_name(name)?;
        let manifest_size = self.manifest_size(version).await?;
        let now = rfc3339(SystemTime::now());
        let body = json!({
            "branch": null,
            "version": version,
            "createdAt": now,
            "updatedAt": now,
            "manifestSize": manifest_size,
            "metadata": {},
        });
        let options = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match self
            .store
            .object_store()
            .put_opts(&self.tag_path(name), payload(&body), options)
            .await
        {
            Ok(_) => Ok(()),
            Err(object_store::Error::AlreadyExists { .. }) => {
                Err(Error::invalid_input(format!("tag `{name}` already exists")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Moves the existing tag `name` to `version`.
    pub async fn update_tag(&self, name: &str, version: u64) -> Result<()> {
        check_tag_name(name)?;
        let mut body = self.read_tag_json(name).await?;
        let manifest_size = self.manifest_size(version).await?;
        let fields = body
            .as_object_mut()
            .expect("read_tag_json checks for an object");
        fields.insert("version".into(), json!(version));
        fields.insert("manifestSize".into(), json!(manifest_size));
        fields.insert("updatedAt".into(), json!(rfc3339(SystemTime::now())));
        self.store
            .object_store()
            .put(&self.tag_path(name), payload(&body))
            .await?;
        Ok(())
    }

    /// Removes tag `name` (which must exist).
    pub async fn delete_tag(&self, name: &str) -> Result<()> {
        check_tag_name(name)?;
        self.read_tag_json(name).await?;
        match self.store.object_store().delete(&self.tag_path(name)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn tag_path(&self, name: &str) -> object_store::path::Path {
        self.store.path(&format!("{TAGS_DIR}/{name}.json"))
    }

    async fn manifest_size(&self, version: u64) -> Result<u64> {
        self.versions()
            .await?
            .into_iter()
            .find(|v| v.version == version)
            .map(|v| v.size)
            .ok_or_else(|| Error::not_found(format!("version {version} does not exist")))
    }

    async fn read_tag_json(&self, name: &str) -> Result<Value> {
        let bytes = match self.store.object_store().get(&self.tag_path(name)).await {
            Ok(found) => found.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(Error::not_found(format!("tag `{name}` does not exist")));
            }
            Err(e) => return Err(e.into()),
        };
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(value @ Value::Object(_)) => Ok(value),
            _ => Err(Error::new(
                ErrorKind::Corrupt,
                format!("tag `{name}` is not a JSON object"),
            )),
        }
    }

    async fn read_tag(&self, name: &str) -> Result<TagInfo> {
        let body = self.read_tag_json(name).await?;
        let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_string);
        let version = tagged_version(&body).ok_or_else(|| {
            Error::new(
                ErrorKind::Corrupt,
                format!("tag `{name}` does not name a version"),
            )
        })?;
        Ok(TagInfo {
            version,
            manifest_size: body
                .get("manifestSize")
                .and_then(Value::as_u64)
                .unwrap_or(0),
            created_at: text("createdAt"),
            updated_at: text("updatedAt"),
        })
    }
}

/// The version a tag's JSON names.
pub(crate) fn tagged_version(body: &Value) -> Option<u64> {
    body.get("version").and_then(Value::as_u64)
}

fn payload(body: &Value) -> PutPayload {
    PutPayload::from(serde_json::to_vec_pretty(body).expect("a JSON value serialises"))
}

/// Tag names as pylance accepts them: letters, digits, `.`, `-` and `_`, not starting with
/// a dot (so never `.` or `..`), not ending in `.lock`.
fn check_tag_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= MAX_TAG_LEN
        && !name.starts_with('.')
        && !name.ends_with(".lock")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if valid {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "tag name {name:?} is invalid: use letters, digits, '.', '-' and '_' (not first '.')"
        )))
    }
}

/// `time` as RFC 3339 in UTC with nanoseconds (`2026-12-06T23:14:15.409260529Z`).
fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs();
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_date(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        since.subsec_nanos()
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's civil algorithm).
fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(19_723), (2024, 1, 1));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
        let at = UNIX_EPOCH + Duration::new(1_733_526_855, 409_260_529);
        assert_eq!(rfc3339(at), "2024-12-06T23:14:15.409260529Z");
    }

    #[test]
    fn tag_names() {
        for good in ["t1", "v1.0", "release_2-a"] {
            assert!(check_tag_name(good).is_ok(), "{good}");
        }
        for bad in [
            "", ".", "..", "a/b", "../x", "a b", "x.lock", ".hidden", "é",
        ] {
            assert!(check_tag_name(bad).is_err(), "{bad}");
        }
    }
}
