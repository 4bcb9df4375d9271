//! Cleaning up: old versions removed, then every file no kept version references; and
//! aborting a failed job's files.
//!
//! The order keeps the dataset readable at every instant: the manifests of removed versions
//! go first (so no version ever points at a missing file), then the files only they, or no
//! version at all, referenced. A file no version references may belong to a write still in
//! flight (a worker's files before their commit, a commit's transaction file before its
//! manifest), so it is removed only once it is older than the grace period, unless a removed
//! version referenced it (then it is known to be done with).

mod abort;
mod references;

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use futures::{StreamExt, TryStreamExt};
use lancer_commit::{DatasetStore, StoreOptions};
use lancer_table::naming::{DATA_DIR, TRANSACTIONS_DIR};
use object_store::ObjectMeta;
use object_store::path::Path;

use crate::error::{Error, Result};
use references::{References, tagged_versions};

pub use abort::AbortReport;

/// Objects deleted in one request (S3 takes up to 1,000 keys per bulk delete).
const DELETE_CHUNK: usize = 1000;
/// Chunks being deleted at once.
const DELETE_CHUNKS_AT_ONCE: usize = 4;

/// Called with the number of objects removed so far.
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// What a cleanup removes (pylance's `cleanup_old_versions` arguments).
#[derive(Clone)]
pub struct CleanupOptions {
    older_than: Option<Duration>,
    retain_versions: Option<u64>,
    grace: Duration,
    dry_run: bool,
    error_if_tagged_old_versions: bool,
    progress: Option<Progress>,
}

impl Default for CleanupOptions {
    fn default() -> Self {
        CleanupOptions {
            older_than: None,
            retain_versions: None,
            grace: Duration::from_secs(7 * 24 * 3600),
            dry_run: false,
            error_if_tagged_old_versions: false,
            progress: None,
        }
    }
}

impl fmt::Debug for CleanupOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CleanupOptions")
            .field("older_than", &self.older_than)
            .field("retain_versions", &self.retain_versions)
            .field("grace", &self.grace)
            .field("dry_run", &self.dry_run)
            .field(
                "error_if_tagged_old_versions",
                &self.error_if_tagged_old_versions,
            )
            .finish()
    }
}

impl CleanupOptions {
    /// Remove versions older than this (by their manifest's time). Without this and
    /// without [`with_retain_versions`](Self::with_retain_versions), 14 days, as pylance.
    pub fn with_older_than(mut self, age: Duration) -> Self {
        self.older_than = Some(age);
        self
    }

    /// Keep the newest `versions` versions (the latest included). With
    /// [`with_older_than`](Self::with_older_than) too, a version goes only when both say so.
    pub fn with_retain_versions(mut self, versions: u64) -> Self {
        self.retain_versions = Some(versions);
        self
    }

    /// Files no version references are removed only once older than this (default 7
    /// days): a write in flight may be about to commit them. Zero is pylance's
    /// `delete_unverified`, safe only while no one writes to the dataset.
    pub fn with_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Only report what would be removed.
    pub fn with_dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Refuse, removing nothing, when a tagged version matches the policy (pylance's
    /// default in Python); otherwise tagged versions are kept silently.
    pub fn with_error_if_tagged_old_versions(mut self, error: bool) -> Self {
        self.error_if_tagged_old_versions = error;
        self
    }

    /// Reports progress (objects removed so far) as deletions complete.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }
}

/// What a cleanup removed (or, in a dry run, would remove).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CleanupReport {
    /// Versions whose manifests were removed.
    pub removed_versions: Vec<u64>,
    /// Bytes of the files removed (manifests included).
    pub bytes_removed: u64,
    /// Data files removed.
    pub data_files_removed: u64,
    /// Deletion files removed.
    pub deletion_files_removed: u64,
    /// Transaction files removed.
    pub transaction_files_removed: u64,
    /// Files of index directories removed.
    pub index_files_removed: u64,
    /// Files no version references that were kept because they are younger than the grace
    /// period.
    pub young_files_kept: u64,
    /// Deletions the store refused (the files stay; a re-run tries again).
    pub failed_deletes: u64,
    /// Whether nothing was removed (a dry run).
    pub dry_run: bool,
}

/// The kinds of files a cleanup removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Manifest,
    Data,
    Deletion,
    Transaction,
    Index,
}

/// Counters shared by the concurrent deletions.
#[derive(Default)]
struct Tally {
    bytes: AtomicU64,
    data: AtomicU64,
    deletion: AtomicU64,
    transaction: AtomicU64,
    index: AtomicU64,
    young: AtomicU64,
    failed: AtomicU64,
    done: AtomicU64,
}

impl Tally {
    fn removed(&self, kind: Kind, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        let counter = match kind {
            Kind::Manifest => return,
            Kind::Data => &self.data,
            Kind::Deletion => &self.deletion,
            Kind::Transaction => &self.transaction,
            Kind::Index => &self.index,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The versions a policy removes: neither the latest nor a tagged one.
fn removed_versions(
    versions: &[(u64, SystemTime)],
    latest: u64,
    tagged: &HashSet<u64>,
    options: &CleanupOptions,
    now: SystemTime,
) -> Result<Vec<u64>> {
    let older_than = match (options.older_than, options.retain_versions) {
        (None, None) => Some(Duration::from_secs(14 * 24 * 3600)),
        (age, _) => age,
    };
    let oldest_kept = options
        .retain_versions
        .map(|keep| latest.saturating_sub(keep.max(1)) + 1);
    let mut removed = Vec::new();
    let mut tagged_matches = Vec::new();
    for (version, time) in versions {
        if *version >= latest {
            continue;
        }
        let old_enough = older_than
            .is_none_or(|age| now.duration_since(*time).is_ok_and(|elapsed| elapsed > age));
        let outside_window = oldest_kept.is_none_or(|first| *version < first);
        if !(old_enough && outside_window) {
            continue;
        }
        if tagged.contains(version) {
            tagged_matches.push(*version);
        } else {
            removed.push(*version);
        }
    }
    if options.error_if_tagged_old_versions && !tagged_matches.is_empty() {
        return Err(Error::invalid_input(format!(
            "versions {tagged_matches:?} are tagged and would be cleaned up; delete their tags first, or keep tagged versions without an error"
        )));
    }
    Ok(removed)
}

impl crate::dataset::Dataset {
    /// Cleans up the dataset at `uri`: removes the versions `options` selects (never the
    /// latest, never a tagged one), then every data, deletion, transaction and index file no
    /// kept version references: those a removed version referenced at once, others once
    /// older than the grace period. Deletions go out concurrently, in bulk where the store
    /// can; listings are streamed. A cleanup killed at any point leaves a dataset that opens,
    /// and running it again finishes the job.
    pub async fn cleanup(
        uri: &str,
        options: &CleanupOptions,
        storage_options: &StoreOptions,
    ) -> Result<CleanupReport> {
        let store = DatasetStore::open(uri, storage_options)?;
        let listed = store.list_versions().await?;
        let Some(latest) = listed.last().map(|v| v.version) else {
            return Err(Error::not_found(format!(
                "{} is not a Lance dataset (no manifest in its _versions/ directory)",
                lancer_commit::store::redact(uri)
            )));
        };
        let tagged = tagged_versions(&store).await?;
        let mut times = Vec::with_capacity(listed.len());
        for entry in &listed {
            // The manifest's own time, as pylance judges age; the object's as a fallback.
            let manifest = store.manifest(entry.version).await?;
            let time = manifest
                .timestamp
                .as_ref()
                .and_then(|t| {
                    let secs = u64::try_from(t.seconds).ok()?;
                    let nanos = u32::try_from(t.nanos).ok()?;
                    SystemTime::UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
                })
                .unwrap_or(entry.last_modified);
            times.push((entry.version, time));
        }
        let now = SystemTime::now();
        let removed = removed_versions(&times, latest, &tagged, options, now)?;
        let removed_set: HashSet<u64> = removed.iter().copied().collect();
        let kept: Vec<u64> = listed
            .iter()
            .map(|v| v.version)
            .filter(|v| !removed_set.contains(v))
            .collect();
        let mut keep = References::default();
        let mut verified = References::default();
        for version in &kept {
            keep.add(&*store.manifest(*version).await?)?;
        }
        for version in &removed {
            verified.add(&*store.manifest(*version).await?)?;
        }
        let tally = Arc::new(Tally::default());
        // The manifests of removed versions go first: from then on no version points at
        // the files below.
        let manifests: Vec<(Path, u64, Kind)> = listed
            .iter()
            .filter(|v| removed_set.contains(&v.version))
            .map(|v| (v.path.clone(), v.size, Kind::Manifest))
            .collect();
        delete_all(&store, manifests, &tally, options).await?;
        // Versions committed meanwhile are kept, with everything they reference.
        for entry in store.list_versions().await? {
            if entry.version > latest {
                keep.add(&*store.manifest(entry.version).await?)?;
            }
        }
        let young_before = now
            .checked_sub(options.grace)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let decide = |meta: &ObjectMeta, relative: &str, kind: Kind| -> Option<(Path, u64, Kind)> {
            let (kept, known_done) = match kind {
                Kind::Data => (keep.has_data(relative), verified.has_data(relative)),
                Kind::Deletion => (keep.has_deletion(relative), verified.has_deletion(relative)),
                Kind::Transaction => (
                    keep.has_transaction(relative),
                    verified.has_transaction(relative),
                ),
                Kind::Index => {
                    let uuid = relative.split('/').next().unwrap_or("");
                    (keep.has_index(uuid), verified.has_index(uuid))
                }
                Kind::Manifest => (true, false),
            };
            if kept {
                return None;
            }
            let modified: SystemTime = meta.last_modified.into();
            if known_done || modified < young_before {
                Some((meta.location.clone(), meta.size, kind))
            } else {
                tally.young.fetch_add(1, Ordering::Relaxed);
                None
            }
        };
        for (folder, kind) in [
            (DATA_DIR, Kind::Data),
            ("_deletions", Kind::Deletion),
            (TRANSACTIONS_DIR, Kind::Transaction),
            ("_indices", Kind::Index),
        ] {
            sweep(&store, folder, kind, &decide, &tally, options).await?;
        }
        let count = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Ok(CleanupReport {
            removed_versions: removed,
            bytes_removed: count(&tally.bytes),
            data_files_removed: count(&tally.data),
            deletion_files_removed: count(&tally.deletion),
            transaction_files_removed: count(&tally.transaction),
            index_files_removed: count(&tally.index),
            young_files_kept: count(&tally.young),
            failed_deletes: count(&tally.failed),
            dry_run: options.dry_run,
        })
    }
}

/// Lists `folder` of the dataset (streamed) and deletes what `decide` picks, in chunks.
async fn sweep<F>(
    store: &DatasetStore,
    folder: &str,
    kind: Kind,
    decide: &F,
    tally: &Arc<Tally>,
    options: &CleanupOptions,
) -> Result<()>
where
    F: Fn(&ObjectMeta, &str, Kind) -> Option<(Path, u64, Kind)>,
{
    let prefix = store.path(folder);
    let picked = store
        .object_store()
        .list(Some(&prefix))
        .map_err(Error::from)
        .try_filter_map(|meta| {
            let relative = meta
                .location
                .prefix_match(&prefix)
                .map(|parts| {
                    parts
                        .map(|p| p.as_ref().to_string())
                        .collect::<Vec<_>>()
                        .join("/")
                })
                .unwrap_or_default();
            let choice = if relative.is_empty() {
                None
            } else {
                decide(&meta, &relative, kind)
            };
            futures::future::ready(Ok(choice))
        });
    picked
        .try_chunks(DELETE_CHUNK)
        .map_err(|e| e.1)
        .map_ok(|chunk| delete_all(store, chunk, tally, options))
        .try_buffer_unordered(DELETE_CHUNKS_AT_ONCE)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// Deletes `objects` (in one bulk request where the store has them), counting what went.
async fn delete_all(
    store: &DatasetStore,
    objects: Vec<(Path, u64, Kind)>,
    tally: &Arc<Tally>,
    options: &CleanupOptions,
) -> Result<()> {
    if objects.is_empty() {
        return Ok(());
    }
    if options.dry_run {
        for (_, bytes, kind) in &objects {
            tally.removed(*kind, *bytes);
        }
        return Ok(());
    }
    let sizes: std::collections::HashMap<Path, (u64, Kind)> = objects
        .iter()
        .map(|(path, bytes, kind)| (path.clone(), (*bytes, *kind)))
        .collect();
    let paths = futures::stream::iter(objects.into_iter().map(|(path, _, _)| Ok(path))).boxed();
    let mut results = store.object_store().delete_stream(paths);
    let mut failed = sizes.len() as u64;
    while let Some(result) = results.next().await {
        match result {
            Ok(path) => {
                if let Some((bytes, kind)) = sizes.get(&path) {
                    tally.removed(*kind, *bytes);
                    failed -= 1;
                }
            }
            // Gone already (another cleanup, an abort): nothing to count, nothing failed.
            Err(object_store::Error::NotFound { .. }) => failed = failed.saturating_sub(1),
            Err(_) => {}
        }
    }
    tally.failed.fetch_add(failed, Ordering::Relaxed);
    let done = tally.done.fetch_add(sizes.len() as u64, Ordering::Relaxed) + sizes.len() as u64;
    if let Some(progress) = &options.progress {
        progress(done);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days_ago(days: u64, now: SystemTime) -> SystemTime {
        now - Duration::from_secs(days * 24 * 3600)
    }

    #[test]
    fn policies_never_remove_the_latest_or_a_tagged_version() {
        let now = SystemTime::now();
        let versions: Vec<(u64, SystemTime)> =
            (1..=6).map(|v| (v, days_ago(30 - v * 4, now))).collect();
        let none = HashSet::new();
        // Default: older than 14 days (versions 1..=4 are 26, 22, 18, 14(.0) days old).
        let removed =
            removed_versions(&versions, 6, &none, &CleanupOptions::default(), now).unwrap();
        assert_eq!(removed, vec![1, 2, 3]);
        let zero = CleanupOptions::default().with_older_than(Duration::ZERO);
        assert_eq!(
            removed_versions(&versions, 6, &none, &zero, now).unwrap(),
            vec![1, 2, 3, 4, 5]
        );
        let keep3 = CleanupOptions::default().with_retain_versions(3);
        assert_eq!(
            removed_versions(&versions, 6, &none, &keep3, now).unwrap(),
            vec![1, 2, 3]
        );
        let both = keep3
            .clone()
            .with_older_than(Duration::from_secs(20 * 24 * 3600));
        assert_eq!(
            removed_versions(&versions, 6, &none, &both, now).unwrap(),
            vec![1, 2]
        );
        let tagged: HashSet<u64> = [2].into();
        assert_eq!(
            removed_versions(&versions, 6, &tagged, &zero, now).unwrap(),
            vec![1, 3, 4, 5]
        );
        let strict = zero.with_error_if_tagged_old_versions(true);
        assert!(removed_versions(&versions, 6, &tagged, &strict, now).is_err());
    }
}
