//! An object store wrapper that injects the failures a commit must survive: errors before
//! a put, errors after a put succeeded (a lost reply), slow puts, failing listings, and
//! torn reads. Faults only hit `_versions/` and `_transactions/`, where the protocol works.

use std::fmt;
use std::ops::Range;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use lancer_testkit::random::Rng;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, GetResultPayload, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

/// Probabilities (0..=1) of each fault.
#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    pub fail_before_put: f64,
    pub fail_after_put: f64,
    pub slow_put: Option<Duration>,
    pub fail_list: f64,
    pub torn_read: f64,
}

pub struct FaultyStore<S> {
    inner: S,
    faults: Faults,
    rng: Mutex<Rng>,
    pub injected: Mutex<Vec<&'static str>>,
}

impl<S: ObjectStore> FaultyStore<S> {
    pub fn new(inner: S, faults: Faults, seed: u64) -> Self {
        FaultyStore {
            inner,
            faults,
            rng: Mutex::new(Rng::new(seed)),
            injected: Mutex::new(Vec::new()),
        }
    }

    fn roll(&self, p: f64, what: &'static str) -> bool {
        let hit = self.rng.lock().unwrap().chance(p);
        if hit {
            self.injected.lock().unwrap().push(what);
        }
        hit
    }
}

fn targeted(path: &Path) -> bool {
    let text = path.as_ref();
    text.contains("_versions/") || text.contains("_transactions/")
}

fn injected(what: &'static str) -> object_store::Error {
    object_store::Error::Generic {
        store: "faulty",
        source: format!("injected fault: {what}").into(),
    }
}

impl<S: ObjectStore> fmt::Display for FaultyStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FaultyStore({})", self.inner)
    }
}

impl<S: ObjectStore> fmt::Debug for FaultyStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FaultyStore({:?})", self.inner)
    }
}

#[async_trait]
impl<S: ObjectStore> ObjectStore for FaultyStore<S> {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        if targeted(location) {
            if let Some(delay) = self.faults.slow_put {
                tokio::time::sleep(delay).await;
            }
            if self.roll(self.faults.fail_before_put, "error before put") {
                return Err(injected("error before put"));
            }
            let result = self.inner.put_opts(location, payload, opts).await?;
            if self.roll(self.faults.fail_after_put, "lost acknowledgement") {
                return Err(injected("lost acknowledgement"));
            }
            return Ok(result);
        }
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        let result = self.inner.get_opts(location, options).await?;
        if targeted(location) && self.roll(self.faults.torn_read, "torn read") {
            // Hand back only the first half of the bytes, as a broken connection would.
            let meta = result.meta.clone();
            let range = result.range.clone();
            let attributes = result.attributes.clone();
            let bytes = result.bytes().await?;
            let torn = bytes.slice(0..bytes.len() / 2);
            let stream =
                futures::stream::once(async move { Ok::<Bytes, object_store::Error>(torn) })
                    .boxed();
            return Ok(GetResult {
                payload: GetResultPayload::Stream(stream),
                meta,
                range: Range {
                    start: range.start,
                    end: range.end,
                },
                attributes,
                extensions: Default::default(),
            });
        }
        Ok(result)
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        if prefix.is_some_and(targeted_prefix)
            && self.roll(self.faults.fail_list, "failing listing")
        {
            return futures::stream::once(async { Err(injected("failing listing")) }).boxed();
        }
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

fn targeted_prefix(prefix: &Path) -> bool {
    prefix.as_ref().ends_with("_versions")
}

/// A store like plain S3 without conditional puts configured: `PutMode::Create` is not
/// implemented.
#[derive(Debug)]
pub struct NoConditionalPut<S>(pub S);

impl<S: ObjectStore> fmt::Display for NoConditionalPut<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoConditionalPut({})", self.0)
    }
}

#[async_trait]
impl<S: ObjectStore> ObjectStore for NoConditionalPut<S> {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        if matches!(opts.mode, object_store::PutMode::Create) {
            return Err(object_store::Error::NotImplemented {
                operation: "PutMode::Create".into(),
                implementer: "this test store".into(),
            });
        }
        self.0.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.0.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.0.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.0.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.0.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.0.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.0.copy_opts(from, to, options).await
    }
}

/// A store like an S3 look-alike that ignores `If-None-Match`: a create-if-absent always
/// succeeds, overwriting.
#[derive(Debug)]
pub struct IgnoresCondition<S>(pub S);

impl<S: ObjectStore> fmt::Display for IgnoresCondition<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IgnoresCondition({})", self.0)
    }
}

#[async_trait]
impl<S: ObjectStore> ObjectStore for IgnoresCondition<S> {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        mut opts: PutOptions,
    ) -> Result<PutResult> {
        opts.mode = object_store::PutMode::Overwrite;
        self.0.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        self.0.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.0.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.0.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.0.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.0.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.0.copy_opts(from, to, options).await
    }
}
