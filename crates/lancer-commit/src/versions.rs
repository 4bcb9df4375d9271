//! The versions of a dataset on an object store: listing them, finding the latest, reading
//! manifests and transactions.
//!
//! Manifests and transactions never change once written, so they are cached by version.
//! The latest version is found from the hint (`_versions/latest_version_hint.json`) by
//! probing upward, and from a full listing when the hint is missing or wrong: the listing
//! is the truth, the hint only saves work.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Listings of `_versions/` tried before a dataset known to have versions is taken to
/// have none.
const LISTING_ATTEMPTS: u64 = 5;

use bytes::Bytes;
use futures::TryStreamExt;
use lancer_table::naming::{
    self, ManifestNaming, TRANSACTIONS_DIR, VERSION_HINT_FILE, VERSIONS_DIR,
};
use lancer_table::{Manifest, ManifestHead, Transaction};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::error::{CommitError, Result};

/// Decoded manifests kept per store handle (each may be large).
const MANIFEST_CACHE: usize = 16;
/// Decoded transactions kept per store handle.
const TRANSACTION_CACHE: usize = 4096;

/// One committed version as a listing shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionEntry {
    /// The version number.
    pub version: u64,
    /// Its manifest's path.
    pub path: Path,
    /// Manifest size in bytes.
    pub size: u64,
    /// When the manifest object was written (store time).
    pub last_modified: std::time::SystemTime,
}

/// A dataset's versions on an object store.
#[derive(Debug)]
pub struct DatasetStore {
    store: Arc<dyn ObjectStore>,
    root: Path,
    naming: Mutex<Option<ManifestNaming>>,
    manifests: Mutex<BTreeMap<u64, Arc<Manifest>>>,
    transactions: Mutex<HashMap<u64, Arc<Transaction>>>,
    /// The newest version this handle has seen exist. Versions are never removed, so the
    /// latest version is found by probing upward from here without re-reading the hint.
    known_latest: AtomicU64,
    /// Whether this handle has checked that the store refuses a second create-if-absent.
    pub(crate) probed: std::sync::atomic::AtomicBool,
    /// For a store built from a URI: what identifies its configuration, so a verdict of
    /// the create-if-absent probe is shared by every handle on the same store in this
    /// process (see [`DatasetStore::open`]).
    pub(crate) probe_key: Option<String>,
}

impl DatasetStore {
    /// The dataset at `root` inside `store` (it need not exist yet).
    pub fn new(store: Arc<dyn ObjectStore>, root: Path) -> Self {
        DatasetStore {
            store,
            root,
            naming: Mutex::new(None),
            manifests: Mutex::new(BTreeMap::new()),
            transactions: Mutex::new(HashMap::new()),
            known_latest: AtomicU64::new(0),
            probed: std::sync::atomic::AtomicBool::new(false),
            probe_key: None,
        }
    }

    /// The dataset a URI names, on a store built from the URI and `options` (see
    /// [`open_store`](crate::open_store)).
    ///
    /// Unlike [`DatasetStore::new`], handles opened this way share the result of the check
    /// that the store honours create-if-absent with every other handle on the same store
    /// and options in this process: a coordinator committing many times pays for the check
    /// (two puts and a delete; round trips on a cloud store) once, not per commit.
    pub fn open(uri: &str, options: &crate::StoreOptions) -> Result<DatasetStore> {
        let (store, root) = crate::open_store(uri, options)?;
        let key = format!("{store}|{:016x}", options.fingerprint());
        Ok(DatasetStore {
            probe_key: Some(key),
            ..DatasetStore::new(store, root)
        })
    }

    /// The object store.
    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// The dataset root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `root/<relative>`, for a relative path made of `/`-separated parts.
    pub fn path(&self, relative: &str) -> Path {
        let mut path = self.root.clone();
        for part in relative.split('/').filter(|p| !p.is_empty()) {
            path = path.join(part);
        }
        path
    }

    /// Every committed version, oldest first, from a listing of `_versions/`. Refuses a
    /// directory that mixes manifest naming schemes.
    pub async fn list_versions(&self) -> Result<Vec<VersionEntry>> {
        let prefix = self.path(VERSIONS_DIR);
        let objects: Vec<_> = self.store.list(Some(&prefix)).try_collect().await?;
        let mut found: Option<ManifestNaming> = None;
        let mut entries = Vec::new();
        for meta in objects {
            let Some(name) = meta.location.filename() else {
                continue;
            };
            // Only direct children of _versions/ are manifests of the main branch.
            if meta.location.prefix_match(&prefix).map(|rest| rest.count()) != Some(1) {
                continue;
            }
            let Some((version, scheme)) = naming::parse_manifest_name(name) else {
                continue;
            };
            match found {
                Some(existing) if existing != scheme => {
                    return Err(CommitError::corrupt(format!(
                        "{prefix} mixes manifest naming schemes ({existing:?} and {scheme:?}); pylance refuses such datasets too"
                    )));
                }
                _ => found = Some(scheme),
            }
            entries.push(VersionEntry {
                version,
                path: meta.location,
                size: meta.size,
                last_modified: meta.last_modified.into(),
            });
        }
        entries.sort_by_key(|e| e.version);
        if let Some(pair) = entries.windows(2).find(|w| w[0].version == w[1].version) {
            return Err(CommitError::corrupt(format!(
                "version {} has two manifests",
                pair[0].version
            )));
        }
        if let Some(scheme) = found {
            *self.naming.lock().expect("naming lock") = Some(scheme);
        }
        Ok(entries)
    }

    /// The dataset's manifest naming scheme (`None` for a dataset with no version yet).
    pub async fn naming(&self) -> Result<Option<ManifestNaming>> {
        if let Some(naming) = *self.naming.lock().expect("naming lock") {
            return Ok(Some(naming));
        }
        // The version hint names a version; the scheme its manifest is stored under is the
        // dataset's. A listing costs a request per thousand versions on a cloud store (and
        // a stat per version on a local disk), so it is kept for when the hint is missing,
        // stale beyond repair, or wrong.
        let hinted = self.read_hint().await.filter(|&hint| hint > 0);
        if let Some(hint) = hinted {
            for naming in [ManifestNaming::V2, ManifestNaming::V1] {
                if self.exists(naming, hint).await? {
                    *self.naming.lock().expect("naming lock") = Some(naming);
                    self.saw_version(hint);
                    return Ok(Some(naming));
                }
            }
        }
        // A hint means versions were committed; an empty listing then raced a cleanup.
        let attempts = if hinted.is_some() {
            LISTING_ATTEMPTS
        } else {
            1
        };
        for attempt in 0..attempts {
            self.list_versions().await?;
            if let Some(naming) = *self.naming.lock().expect("naming lock") {
                return Ok(Some(naming));
            }
            if attempt + 1 < attempts {
                tokio::time::sleep(std::time::Duration::from_millis(20 * (attempt + 1))).await;
            }
        }
        Ok(None)
    }

    async fn exists(&self, naming: ManifestNaming, version: u64) -> Result<bool> {
        match self.store.head(&self.path(&naming.path(version))).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn read_hint(&self) -> Option<u64> {
        let bytes = self
            .store
            .get(&self.path(&format!("{VERSIONS_DIR}/{VERSION_HINT_FILE}")))
            .await
            .ok()?
            .bytes()
            .await
            .ok()?;
        naming::decode_version_hint(&bytes).ok()
    }

    /// The latest committed version (`None` if the dataset has none), at least `floor`
    /// when the caller already knows a version exists.
    pub async fn latest_version(&self) -> Result<Option<u64>> {
        let Some(naming) = self.naming().await? else {
            return Ok(None);
        };
        let known = self.known_latest.load(Ordering::Acquire);
        let start = if known > 0 {
            known
        } else {
            match self.read_hint().await {
                Some(hint) if hint > 0 && self.exists(naming, hint).await? => hint,
                // No usable hint: the listing decides.
                _ => match self.listed_latest().await? {
                    Some(version) => version,
                    None => return Ok(None),
                },
            }
        };
        let mut latest = start;
        while self.exists(naming, latest + 1).await? {
            latest += 1;
        }
        self.saw_version(latest);
        Ok(Some(latest))
    }

    /// The newest version a listing shows. A dataset whose manifests were seen (its naming
    /// is known) always keeps its latest one, so an empty listing is a listing that raced
    /// deletions (a cleanup removing old manifests while a directory is walked): it is
    /// asked again before concluding there is no version.
    async fn listed_latest(&self) -> Result<Option<u64>> {
        for attempt in 0..LISTING_ATTEMPTS {
            if let Some(entry) = self.list_versions().await?.last() {
                return Ok(Some(entry.version));
            }
            tokio::time::sleep(std::time::Duration::from_millis(20 * (attempt + 1))).await;
        }
        Ok(None)
    }

    /// Records that `version` exists.
    pub(crate) fn saw_version(&self, version: u64) {
        self.known_latest.fetch_max(version, Ordering::AcqRel);
    }

    /// The manifest of `version`.
    pub async fn manifest(&self, version: u64) -> Result<Arc<Manifest>> {
        if let Some(manifest) = self.manifests.lock().expect("cache lock").get(&version) {
            return Ok(manifest.clone());
        }
        let manifest = Arc::new(
            self.read_version(version, Manifest::decode, |m| m.version)
                .await?,
        );
        self.cache_manifest(manifest.clone());
        Ok(manifest)
    }

    /// Reads the manifest file of `version`, decodes it with `decode` and checks that it
    /// says it is that version.
    async fn read_version<T>(
        &self,
        version: u64,
        decode: impl Fn(&[u8]) -> lancer_table::Result<T>,
        version_of: impl Fn(&T) -> u64,
    ) -> Result<T> {
        let naming = self.naming().await?.ok_or_else(|| {
            CommitError::corrupt(format!("no version {version}: the dataset has no versions"))
        })?;
        let path = self.path(&naming.path(version));
        let decoded = self.read_decoded(&path, decode).await?;
        if version_of(&decoded) != version {
            return Err(CommitError::corrupt(format!(
                "{path} says it is version {}, its name says {version}",
                version_of(&decoded)
            )));
        }
        Ok(decoded)
    }

    /// Reads the manifest file at `path` and decodes it with `decode`.
    async fn read_decoded<T>(
        &self,
        path: &Path,
        decode: impl Fn(&[u8]) -> lancer_table::Result<T>,
    ) -> Result<T> {
        // A torn read (short or garbled bytes) is retried once before the manifest is
        // declared corrupt: manifests never change once written.
        let mut last = None;
        for _ in 0..2 {
            let bytes = self.store.get(path).await?.bytes().await?;
            match decode(&bytes) {
                Ok(decoded) => return Ok(decoded),
                Err(e) => last = Some(e),
            }
        }
        Err(CommitError::corrupt(format!(
            "{path}: {}",
            last.expect("two attempts")
        )))
    }

    pub(crate) fn cache_manifest(&self, manifest: Arc<Manifest>) {
        let mut cache = self.manifests.lock().expect("cache lock");
        cache.insert(manifest.version, manifest);
        while cache.len() > MANIFEST_CACHE {
            cache.pop_first();
        }
    }

    /// The latest manifest, if any.
    pub async fn latest_manifest(&self) -> Result<Option<Arc<Manifest>>> {
        self.latest_with(|version| self.manifest(version)).await
    }

    /// The latest version's manifest without its fragment list (see [`ManifestHead`]), if
    /// the dataset has a version: what a worker writing new files needs, decoded in time
    /// that does not grow with the fragments' count beyond reading the file. A cached
    /// manifest is used when there is one.
    pub async fn latest_head(&self) -> Result<Option<ManifestHead>> {
        self.latest_with(|version| async move {
            if let Some(manifest) = self.manifests.lock().expect("cache lock").get(&version) {
                return Ok(ManifestHead::from(manifest.as_ref()));
            }
            self.read_version(version, ManifestHead::decode, |head| head.version)
                .await
        })
        .await
    }

    /// `read` of the latest version, if any. A version found latest that is gone when read
    /// (a newer one landed and a cleanup removed it meanwhile) is looked for again.
    async fn latest_with<T, F>(&self, read: impl Fn(u64) -> F) -> Result<Option<T>>
    where
        F: std::future::Future<Output = Result<T>>,
    {
        let mut attempts = 0;
        loop {
            let Some(version) = self.latest_version().await? else {
                return Ok(None);
            };
            match read(version).await {
                Err(CommitError::Io(object_store::Error::NotFound { .. })) if attempts < 5 => {
                    attempts += 1;
                }
                other => return other.map(Some),
            }
        }
    }

    /// The transaction that created `version`: the manifest's inline copy, else its
    /// `.txn` file. A version without either cannot be checked for conflicts.
    pub async fn transaction(&self, version: u64) -> Result<Arc<Transaction>> {
        if let Some(transaction) = self.transactions.lock().expect("cache lock").get(&version) {
            return Ok(transaction.clone());
        }
        let manifest = self.manifest(version).await?;
        let bytes = match &manifest.inline_transaction {
            Some(bytes) => Bytes::from(bytes.clone()),
            None if !manifest.transaction_file.is_empty() => {
                lancer_table::check_relative_path(&manifest.transaction_file).map_err(|why| {
                    CommitError::corrupt(format!("version {version}: transaction file {why}"))
                })?;
                let path = self.path(&format!("{TRANSACTIONS_DIR}/{}", manifest.transaction_file));
                self.store.get(&path).await?.bytes().await?
            }
            None => {
                return Err(CommitError::corrupt(format!(
                    "version {version} has no transaction, so concurrent commits cannot be checked against it"
                )));
            }
        };
        let transaction = Arc::new(
            Transaction::decode(&bytes)
                .map_err(|e| CommitError::corrupt(format!("version {version}: {e}")))?,
        );
        let mut cache = self.transactions.lock().expect("cache lock");
        if cache.len() >= TRANSACTION_CACHE {
            cache.clear();
        }
        cache.insert(version, transaction.clone());
        Ok(transaction)
    }

    /// Writes the version hint (best effort: a failure only costs a later listing).
    pub(crate) async fn write_hint(&self, version: u64) {
        let path = self.path(&format!("{VERSIONS_DIR}/{VERSION_HINT_FILE}"));
        let _ = self
            .store
            .put(
                &path,
                PutPayload::from(naming::encode_version_hint(version)),
            )
            .await;
    }
}
