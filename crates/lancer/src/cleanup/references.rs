//! What versions reference: data files, deletion files, transaction files, index
//! directories; and which versions tags name.

use std::collections::HashSet;

use futures::TryStreamExt;
use lancer_commit::DatasetStore;
use lancer_table::Manifest;
use object_store::ObjectStoreExt;

use crate::error::{Error, ErrorKind, Result};

/// Files named relative to their folder (`data/`, `_deletions/`, `_transactions/`), index
/// directories by UUID.
#[derive(Default)]
pub(super) struct References {
    data: HashSet<String>,
    deletions: HashSet<String>,
    transactions: HashSet<String>,
    indices: HashSet<String>,
}

impl References {
    /// Adds everything `manifest` references.
    pub(super) fn add(&mut self, manifest: &Manifest) -> Result<()> {
        for fragment in manifest.fragments.iter() {
            for file in &fragment.files {
                self.data.insert(file.path.clone());
            }
            if let Some(deletion) = &fragment.deletion_file {
                let path = deletion.path(fragment.id);
                let name = path.strip_prefix("_deletions/").unwrap_or(&path);
                self.deletions.insert(name.to_string());
            }
        }
        if !manifest.transaction_file.is_empty() {
            self.transactions.insert(manifest.transaction_file.clone());
        }
        for index in manifest.indices()? {
            let uuid = index.uuid.as_ref().ok_or_else(|| {
                Error::new(
                    ErrorKind::Corrupt,
                    format!(
                        "version {}: index `{}` has no UUID",
                        manifest.version, index.name
                    ),
                )
            })?;
            let uuid = uuid::Uuid::from_slice(&uuid.uuid).map_err(|e| {
                Error::new(
                    ErrorKind::Corrupt,
                    format!("version {}: index `{}`: {e}", manifest.version, index.name),
                )
            })?;
            self.indices.insert(uuid.hyphenated().to_string());
        }
        Ok(())
    }

    pub(super) fn has_data(&self, relative: &str) -> bool {
        self.data.contains(relative)
    }

    pub(super) fn has_deletion(&self, relative: &str) -> bool {
        self.deletions.contains(relative)
    }

    pub(super) fn has_transaction(&self, relative: &str) -> bool {
        self.transactions.contains(relative)
    }

    pub(super) fn has_index(&self, uuid: &str) -> bool {
        self.indices.contains(uuid)
    }
}

/// The versions pylance's tags name. A tag that cannot be read stops the cleanup: its
/// version might otherwise be removed.
pub(super) async fn tagged_versions(store: &DatasetStore) -> Result<HashSet<u64>> {
    let prefix = store.path(crate::tags::TAGS_DIR);
    let tags: Vec<_> = store
        .object_store()
        .list(Some(&prefix))
        .try_collect()
        .await?;
    let mut versions = HashSet::new();
    for tag in tags {
        if !tag.location.as_ref().ends_with(".json") {
            continue;
        }
        let bytes = store
            .object_store()
            .get(&tag.location)
            .await?
            .bytes()
            .await?;
        let version = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|value| crate::tags::tagged_version(&value))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Corrupt,
                    format!("tag {} does not name a version", tag.location),
                )
            })?;
        versions.insert(version);
    }
    Ok(versions)
}
