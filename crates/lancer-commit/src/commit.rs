//! The commit protocol: a transaction becomes version N+1 exactly once.
//!
//! ```text
//!            ┌──────────────────────────────────────────────────────────────┐
//!            ▼                                                              │
//!   find latest version L ──► for v in read_version+1 ..= L:                │
//!            │                  transaction of v is mine?  ─► done (v)      │
//!            │                  conflict matrix: Rebuild   ─► Rebuild       │
//!            │                                   Conflict  ─► Conflict      │
//!            ▼                                                              │
//!   write _transactions/{read_version}-{uuid}.txn (first attempt)           │
//!            ▼                                                              │
//!   build manifest L+1 on manifest L (lancer-table)                         │
//!            ▼                                                              │
//!   put _versions/<L+1> if absent ──► created ─► write hint ─► done (L+1)   │
//!            │ already exists / transient error                             │
//!            └──────────── jittered exponential backoff ────────────────────┘
//! ```
//!
//! Why it never loses or duplicates a commit:
//! - a version exists iff its manifest exists, and the manifest is created with an atomic
//!   create-if-absent (`PutMode::Create`), so exactly one writer wins each version;
//! - the transaction file is written before the manifest, so every version names a
//!   transaction other committers can check against;
//! - every attempt starts by reading the transactions committed since the read version, so
//!   a commit whose put succeeded but whose reply was lost (or a coordinator re-running the
//!   same commit after a crash, with the same transaction id) finds its own version and
//!   returns it instead of committing again;
//! - a rebase only happens where the conflict matrix says the two changes commute; the new
//!   manifest is always rebuilt from the latest one, so rebased appends get fresh ids.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lancer_table::conflict::{self, Verdict};
use lancer_table::naming::{ManifestNaming, TRANSACTIONS_DIR};
use lancer_table::{
    CommitInfo, Manifest, Operation, OperationKind, Transaction, next_manifest, proto,
};
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};

use crate::error::{CommitError, Result};
use crate::versions::DatasetStore;

/// How hard a commit tries before giving up.
#[derive(Clone, Debug)]
pub struct CommitOptions {
    max_retries: u32,
    timeout: Duration,
    backoff_base: Duration,
    backoff_max: Duration,
    write_hint: bool,
    search_earlier_runs: bool,
}

impl Default for CommitOptions {
    fn default() -> Self {
        CommitOptions {
            max_retries: 20,
            timeout: Duration::from_secs(30 * 60),
            backoff_base: Duration::from_millis(1),
            backoff_max: Duration::from_secs(2),
            write_hint: true,
            search_earlier_runs: true,
        }
    }
}

impl CommitOptions {
    /// Attempts after the first before giving up with
    /// [`CommitError::RetriesExhausted`] (default 20, as pylance).
    pub fn with_max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Total time before giving up (default 30 minutes, as pylance).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// First backoff step (default 1 ms; doubles per attempt, with full jitter).
    pub fn with_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_max = max.max(base);
        self
    }

    /// Whether the transaction's id may belong to an earlier run built on another read
    /// version (default yes). Such a run is found from its `.txn` file, at the cost of one
    /// listing of `_transactions/` per commit; turn it off only for an id made fresh for this
    /// commit, which cannot have run before.
    pub fn with_earlier_run_search(mut self, search: bool) -> Self {
        self.search_earlier_runs = search;
        self
    }

    /// Whether to update `_versions/latest_version_hint.json` after a commit (default yes).
    pub fn with_version_hint(mut self, write: bool) -> Self {
        self.write_hint = write;
        self
    }
}

/// A successful commit.
#[derive(Clone, Debug)]
pub struct Committed {
    /// The version created.
    pub version: u64,
    /// Its manifest.
    pub manifest: Arc<Manifest>,
    /// Attempts it took.
    pub attempts: u32,
    /// The version already existed from an earlier run of the same transaction (a lost
    /// reply or a re-run after a crash); nothing new was written.
    pub already_committed: bool,
}

fn now() -> proto::Timestamp {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    proto::Timestamp {
        seconds: elapsed.as_secs() as i64,
        nanos: elapsed.subsec_nanos() as i32,
    }
}

/// A random duration in `[0, cap)`: "full jitter", so racing committers spread out.
fn jitter(cap: Duration) -> Duration {
    let random = RandomState::new().hash_one(Instant::now());
    let nanos = cap.as_nanos().max(1) as u64;
    Duration::from_nanos(random % nanos)
}

/// How one attempt ended, when it did not fail.
enum Outcome {
    /// The transaction is (or already was) a version.
    Committed(Committed),
    /// Another writer created the version this attempt wanted: try again on top of it.
    LostRace,
}

/// Whether a failed attempt may be tried again: a storage error that may pass (a timeout, a
/// dropped connection, a throttled request) rather than one that will not (no permission,
/// an unsupported operation). An attempt that failed this way may even have committed: the
/// next one finds out from the transactions. Every other error ends the commit.
fn is_transient(error: &CommitError) -> bool {
    use object_store::Error as E;
    match error {
        CommitError::Io(io) => !matches!(
            io,
            E::PermissionDenied { .. }
                | E::Unauthenticated { .. }
                | E::NotSupported { .. }
                | E::NotImplemented { .. }
                | E::InvalidPath { .. }
                | E::UnknownConfigurationKey { .. }
        ),
        _ => false,
    }
}

/// A commit in progress: the state its attempts share.
struct Attempts<'a> {
    store: &'a DatasetStore,
    transaction: &'a Transaction,
    /// The encoded transaction.
    bytes: Vec<u8>,
    /// Attempts started so far.
    number: u32,
    /// Whether `_transactions/` holds this transaction's file (written once).
    transaction_written: bool,
    /// The latest version the first attempt saw (`None` inside: no dataset yet).
    seen_at_start: Option<Option<u64>>,
    search_earlier_runs: bool,
}

impl DatasetStore {
    /// Commits `transaction` as the next version. See the module docs for the protocol.
    ///
    /// `transaction.read_version` is the version the change was built on; 0 is accepted
    /// only to create a dataset with an Overwrite. Re-running a commit with the same
    /// transaction (same UUID) after a crash or a lost reply returns the version it created
    /// rather than committing twice.
    pub async fn commit(
        &self,
        transaction: &Transaction,
        options: &CommitOptions,
    ) -> Result<Committed> {
        if transaction.read_version == 0 && transaction.operation.kind() != OperationKind::Overwrite
        {
            return Err(CommitError::Invalid(lancer_table::Error::InvalidOperation {
                operation: transaction.operation.kind().name(),
                message: "read_version 0 only creates a dataset (with an Overwrite); pass the version the change was built on".into(),
            }));
        }
        lancer_table::naming::check_transaction_uuid(&transaction.uuid)
            .map_err(|why| invalid(transaction, why))?;
        let mut attempts = Attempts {
            store: self,
            transaction,
            bytes: transaction.encode()?,
            number: 0,
            transaction_written: false,
            seen_at_start: None,
            search_earlier_runs: options.search_earlier_runs,
        };
        let start = Instant::now();
        let mut last_error = None;
        loop {
            attempts.number += 1;
            match attempts.run().await {
                Ok(Outcome::Committed(committed)) => {
                    if options.write_hint && !committed.already_committed {
                        self.write_hint(committed.version).await;
                    }
                    return Ok(committed);
                }
                Ok(Outcome::LostRace) => {}
                Err(error) if is_transient(&error) => last_error = Some(error.to_string()),
                Err(error) => return Err(error),
            }
            let elapsed = start.elapsed();
            if attempts.number > options.max_retries || elapsed >= options.timeout {
                return Err(CommitError::RetriesExhausted {
                    attempts: attempts.number,
                    elapsed_ms: elapsed.as_millis() as u64,
                    last_error,
                });
            }
            let exponent = (attempts.number - 1).min(20);
            let cap = options
                .backoff_base
                .saturating_mul(1 << exponent)
                .min(options.backoff_max);
            tokio::time::sleep(jitter(cap).min(options.timeout.saturating_sub(elapsed))).await;
        }
    }
}

impl Attempts<'_> {
    /// One attempt: find the latest version, check what was committed since the read
    /// version (our own commit, or a conflict), build the next manifest on the latest and
    /// create it if absent.
    async fn run(&mut self) -> Result<Outcome> {
        let (store, transaction) = (self.store, self.transaction);
        store.check_create_if_absent().await?;
        let latest = store.latest_version().await?;
        let seen_at_start = *self.seen_at_start.get_or_insert(latest);
        if self.number == 1
            && self.search_earlier_runs
            && let Some(latest) = latest
            && let Some(earlier) = store.earlier_run(transaction).await?
            && let Some(committed) = store
                .find_own_version(transaction, earlier, latest, self.number)
                .await?
        {
            return Ok(Outcome::Committed(committed));
        }
        let base = match latest {
            None if transaction.read_version != 0 => {
                return Err(invalid(
                    transaction,
                    format!(
                        "read_version is {}, but the dataset has no versions",
                        transaction.read_version
                    ),
                ));
            }
            None => None,
            Some(latest) => {
                if let Some(committed) = self.check_newer(latest, seen_at_start).await? {
                    return Ok(Outcome::Committed(committed));
                }
                Some(store.manifest(latest).await?)
            }
        };
        // Build the next manifest before writing anything, so an invalid transaction (a
        // Merge missing fragments, mixed file versions, ...) leaves no trace.
        let version = base.as_ref().map_or(1, |m| m.version + 1);
        let restored = match &transaction.operation {
            Operation::Restore { version } => Some((*store.manifest(*version).await?).clone()),
            _ => None,
        };
        let info = CommitInfo {
            version,
            timestamp: now(),
            restored,
        };
        let next = next_manifest(base.as_deref(), transaction, info)?;
        if !self.transaction_written {
            let path = store.path(&format!("{TRANSACTIONS_DIR}/{}", transaction.file_name()));
            store
                .object_store()
                .put(&path, PutPayload::from(self.bytes.clone()))
                .await?;
            self.transaction_written = true;
        }
        self.create(version, next).await
    }

    /// Reads the transactions committed after the read version up to `latest`: ours means
    /// the commit already happened (returned); another decides by the conflict matrix.
    async fn check_newer(
        &self,
        latest: u64,
        seen_at_start: Option<u64>,
    ) -> Result<Option<Committed>> {
        let (store, transaction) = (self.store, self.transaction);
        let read_version = transaction.read_version;
        if read_version > latest {
            return Err(invalid(
                transaction,
                format!("read_version {read_version} is newer than the latest version {latest}"),
            ));
        }
        for version in read_version + 1..=latest {
            let theirs = match store.transaction(version).await {
                Ok(theirs) => theirs,
                // A cleanup removed versions after the read version: the commit cannot be
                // checked against what they did, so it must be built again on the latest.
                Err(CommitError::Io(object_store::Error::NotFound { .. })) => {
                    return Err(CommitError::Rebuild {
                        mine: transaction.operation.kind(),
                        theirs: OperationKind::Unknown,
                        version,
                        read_version,
                        reason: format!(
                            "the transaction of version {version} is gone (a cleanup removed it), so this commit cannot be checked against it"
                        ),
                    });
                }
                Err(e) => return Err(e),
            };
            if theirs.uuid == transaction.uuid {
                return Ok(Some(Committed {
                    version,
                    manifest: store.manifest(version).await?,
                    attempts: self.number,
                    already_committed: true,
                }));
            }
            if read_version == 0 && seen_at_start.is_some() {
                return Err(invalid(
                    transaction,
                    format!(
                        "read_version 0 only creates a dataset, and this one exists (latest version {latest}); \
                         pass the version the change was built on"
                    ),
                ));
            }
            let (mine, theirs_kind) = (transaction.operation.kind(), theirs.operation.kind());
            match conflict::check(&transaction.operation, &theirs.operation, version) {
                Verdict::Compatible => {}
                Verdict::Rebuild(reason) => {
                    return Err(CommitError::Rebuild {
                        mine,
                        theirs: theirs_kind,
                        version,
                        read_version,
                        reason,
                    });
                }
                Verdict::Conflict(reason) => {
                    return Err(CommitError::Conflict {
                        mine,
                        theirs: theirs_kind,
                        version,
                        read_version,
                        reason,
                    });
                }
            }
        }
        Ok(None)
    }

    /// Creates manifest `version` if no one has: the step where exactly one writer wins.
    async fn create(&self, version: u64, next: Manifest) -> Result<Outcome> {
        let store = self.store;
        let naming = store.naming().await?.unwrap_or(ManifestNaming::V2);
        let path = store.path(&naming.path(version));
        let options = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match store
            .object_store()
            .put_opts(&path, PutPayload::from(next.encode()), options)
            .await
        {
            Ok(_) => {
                store.saw_version(version);
                let manifest = Arc::new(next);
                store.cache_manifest(manifest.clone());
                Ok(Outcome::Committed(Committed {
                    version,
                    manifest,
                    attempts: self.number,
                    already_committed: false,
                }))
            }
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. },
            ) => Ok(Outcome::LostRace),
            Err(
                e @ (object_store::Error::NotImplemented { .. }
                | object_store::Error::NotSupported { .. }),
            ) => Err(CommitError::UnsafeStore(format!(
                "{} cannot create an object only if it is absent ({e}); committing there could silently lose versions",
                store.object_store()
            ))),
            // Any other failure: the put may or may not have happened, and `is_transient`
            // decides whether to look again (the next attempt finds our transaction if so).
            Err(e) => Err(CommitError::Io(e)),
        }
    }
}

impl DatasetStore {
    /// The lowest read version under which a transaction with this id wrote its `.txn`
    /// file before, if that is lower than this run's read version: a coordinator re-running
    /// a commit may name a newer read version than the first run did, and the version the
    /// first run created would then lie before the range the protocol looks at.
    async fn earlier_run(&self, transaction: &Transaction) -> Result<Option<u64>> {
        use futures::TryStreamExt;
        let suffix = format!("-{}.txn", transaction.uuid);
        let prefix = self.path(TRANSACTIONS_DIR);
        let mut listing = self.object_store().list(Some(&prefix));
        let mut earliest: Option<u64> = None;
        while let Some(meta) = listing.try_next().await? {
            let Some(read_version) = meta
                .location
                .filename()
                .and_then(|name| name.strip_suffix(suffix.as_str()))
                .and_then(|number| number.parse::<u64>().ok())
            else {
                continue;
            };
            earliest = Some(earliest.map_or(read_version, |e: u64| e.min(read_version)));
        }
        Ok(earliest.filter(|e| *e < transaction.read_version))
    }

    /// Looks for the version an earlier run of `transaction` (built on `earlier`) created
    /// among versions `earlier + 1 ..= min(latest, read_version)`; the rest of the range is
    /// searched by the protocol itself. Versions whose transaction cannot be read are not
    /// this run's (it always writes one).
    async fn find_own_version(
        &self,
        transaction: &Transaction,
        earlier: u64,
        latest: u64,
        attempt: u32,
    ) -> Result<Option<Committed>> {
        for version in earlier + 1..=latest.min(transaction.read_version) {
            match self.transaction(version).await {
                Ok(theirs) if theirs.uuid == transaction.uuid => {
                    return Ok(Some(Committed {
                        version,
                        manifest: self.manifest(version).await?,
                        attempts: attempt,
                        already_committed: true,
                    }));
                }
                Ok(_) | Err(CommitError::Corrupt(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// Checks, once per handle, that the store really refuses to create an object twice: a
    /// probe object is created, then created again, which must fail. Stores that ignore the
    /// condition (S3 without conditional puts, S3 look-alikes ignoring `If-None-Match`)
    /// would let two committers both "win" a version; they are refused here.
    async fn check_create_if_absent(&self) -> Result<()> {
        use std::sync::atomic::Ordering;
        if self.probed.load(Ordering::Acquire) {
            return Ok(());
        }
        if let Some(key) = &self.probe_key
            && probed_stores().lock().expect("probe memo").contains(key)
        {
            self.probed.store(true, Ordering::Release);
            return Ok(());
        }
        let name = format!(
            "{}/.lancer-create-if-absent-probe-{}",
            lancer_table::naming::VERSIONS_DIR,
            lancer_table::naming::new_transaction_uuid()
        );
        let probe = self.path(&name);
        let create = || PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        let unsafe_store = |why: String| {
            CommitError::UnsafeStore(format!(
                "{} {why}; two committers could then both create the same version",
                self.object_store()
            ))
        };
        match self
            .object_store()
            .put_opts(&probe, PutPayload::from_static(b"probe"), create())
            .await
        {
            Ok(_) => {}
            Err(
                e @ (object_store::Error::NotImplemented { .. }
                | object_store::Error::NotSupported { .. }),
            ) => {
                return Err(unsafe_store(format!(
                    "cannot create an object only if it is absent ({e})"
                )));
            }
            Err(e) => return Err(e.into()),
        }
        let second = self
            .object_store()
            .put_opts(&probe, PutPayload::from_static(b"probe"), create())
            .await;
        // The probe is removed whatever happened (a missing object counts as removed).
        let _ = self.object_store().delete(&probe).await;
        match second {
            Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => {
                self.probed.store(true, Ordering::Release);
                if let Some(key) = &self.probe_key {
                    probed_stores().lock().expect("probe memo").insert(key.clone());
                }
                Ok(())
            }
            Ok(_) => Err(unsafe_store(
                "accepted a second create-if-absent of the same object (it ignores the condition; for S3, configure conditional puts)".to_string(),
            )),
            Err(e) => Err(e.into()),
        }
    }
}

/// Stores (by [`DatasetStore::open`]'s key) that passed the create-if-absent probe in this
/// process. Only passes are remembered: a store that failed is probed again, so a fixed
/// configuration is noticed.
fn probed_stores() -> &'static std::sync::Mutex<std::collections::HashSet<String>> {
    static PROBED: std::sync::OnceLock<std::sync::Mutex<std::collections::HashSet<String>>> =
        std::sync::OnceLock::new();
    PROBED.get_or_init(Default::default)
}

fn invalid(transaction: &Transaction, message: String) -> CommitError {
    CommitError::Invalid(lancer_table::Error::InvalidOperation {
        operation: transaction.operation.kind().name(),
        message,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_storage_errors_that_may_pass_are_retried() {
        let store_error = |e: object_store::Error| CommitError::Io(e);
        let generic = object_store::Error::Generic {
            store: "S3",
            source: "connection reset".into(),
        };
        assert!(is_transient(&store_error(generic)));
        let denied = object_store::Error::PermissionDenied {
            path: "x".into(),
            source: "no".into(),
        };
        assert!(!is_transient(&store_error(denied)));
        assert!(!is_transient(&CommitError::Corrupt("bad".into())));
        assert!(!is_transient(&CommitError::UnsafeStore("no create".into())));
        let exhausted = CommitError::RetriesExhausted {
            attempts: 1,
            elapsed_ms: 0,
            last_error: None,
        };
        assert!(!is_transient(&exhausted));
    }

    use std::sync::atomic::Ordering;

    use object_store::memory::InMemory;
    use object_store::path::Path;

    use super::*;
    use crate::StoreOptions;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn handles_opened_from_the_same_uri_share_a_passed_probe() {
        let dir = tempfile::tempdir().unwrap();
        let uri = dir.path().join("ds");
        let uri = uri.to_str().unwrap();
        block_on(async {
            let first = DatasetStore::open(uri, &StoreOptions::default()).unwrap();
            let second = DatasetStore::open(uri, &StoreOptions::default()).unwrap();
            let key = first.probe_key.clone().unwrap();
            assert_eq!(second.probe_key.as_ref(), Some(&key));
            first.check_create_if_absent().await.unwrap();
            assert!(probed_stores().lock().unwrap().contains(&key));
            // The second handle takes the verdict without touching the store: with the
            // dataset directory replaced by a file, a probe of its own would fail.
            std::fs::remove_dir_all(uri).unwrap();
            std::fs::write(uri, b"not a directory").unwrap();
            second.check_create_if_absent().await.unwrap();
            assert!(second.probed.load(Ordering::Acquire));
            // Other options are another configuration, probed on their own.
            let other = DatasetStore::open(uri, &StoreOptions::default().with("k", "v")).unwrap();
            assert_ne!(other.probe_key.as_ref(), Some(&key));
            assert!(other.check_create_if_absent().await.is_err());
        });
    }

    #[test]
    fn stores_given_by_hand_are_probed_per_handle() {
        let store = DatasetStore::new(Arc::new(InMemory::new()), Path::from("ds"));
        assert!(store.probe_key.is_none());
        block_on(store.check_create_if_absent()).unwrap();
        assert!(store.probed.load(Ordering::Acquire));
    }
}
