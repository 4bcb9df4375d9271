//! Real object stores: one conformance suite for every store lancer commits to (local
//! filesystem, memory, S3 through moto, Azure through Azurite), then lancer's own suites on
//! the two servers: reading only the bytes needed, the seed flow, concurrent appenders.

mod common;

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow_array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, RecordBatchIterator, StringArray,
};
use arrow_schema::{DataType, Field, Schema};
use async_trait::async_trait;
use bytes::Bytes;
use common::*;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use lancer::{
    CommitOptions, CommitParams, Dataset, Fragment, LanceSchema, OpenParams, Operation,
    StoreOptions, WriteParams, write_fragments,
};
use lancer_file::{FileReader, FileWriter, FileWriterOptions, Projection, ReadOptions};
use lancer_testkit::servers::{self, Endpoint};
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    ObjectStoreExt, PutMode, PutMultipartOptions, PutOptions, PutPayload, PutResult,
    WriteMultipart,
};

fn options(endpoint: &Endpoint) -> StoreOptions {
    endpoint
        .options
        .iter()
        .fold(StoreOptions::default(), |o, (k, v)| o.with(k, v))
}

/// A store under test: its name, the store, a fresh root inside it, and the server it
/// talks to (for stores reached over the network).
type StoreUnderTest = (String, Arc<dyn ObjectStore>, Path, Option<Endpoint>);

/// Every store the suite runs against.
fn stores(test: &str) -> Vec<StoreUnderTest> {
    let dir = tempfile::tempdir().unwrap().keep();
    let (local, root) =
        lancer_commit::open_store(dir.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let mut out: Vec<StoreUnderTest> = vec![
        ("local".into(), local, root, None),
        (
            "memory".into(),
            Arc::new(object_store::memory::InMemory::new()),
            Path::from("conformance"),
            None,
        ),
    ];
    for endpoint in servers::all(test) {
        let (store, root) =
            lancer_commit::open_store(&endpoint.uri("conformance"), &options(&endpoint)).unwrap();
        out.push((format!("{:?}", endpoint.kind), store, root, Some(endpoint)));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_conformance() {
    for (name, store, root, _) in stores("store_conformance") {
        let path = |p: &str| {
            p.split('/')
                .fold(root.clone(), |path, part| path.join(part))
        };
        // put / get / range / head
        store
            .put(&path("a/x.bin"), PutPayload::from_static(b"hello world"))
            .await
            .unwrap();
        let got = store
            .get(&path("a/x.bin"))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(got.as_ref(), b"hello world", "{name}: get");
        assert_eq!(
            store
                .get_range(&path("a/x.bin"), 6..11)
                .await
                .unwrap()
                .as_ref(),
            b"world",
            "{name}: range"
        );
        let ranges = store
            .get_ranges(&path("a/x.bin"), &[0..5, 6..11])
            .await
            .unwrap();
        assert_eq!(
            ranges,
            vec![Bytes::from_static(b"hello"), Bytes::from_static(b"world")],
            "{name}: ranges"
        );
        assert_eq!(
            store.head(&path("a/x.bin")).await.unwrap().size,
            11,
            "{name}: head"
        );
        // list
        store
            .put(&path("a/y.bin"), PutPayload::from_static(b"y"))
            .await
            .unwrap();
        store
            .put(&path("b/z.bin"), PutPayload::from_static(b"z"))
            .await
            .unwrap();
        let mut listed: Vec<String> = store
            .list(Some(&path("a")))
            .map_ok(|m| m.location.to_string())
            .try_collect()
            .await
            .unwrap();
        listed.sort();
        assert_eq!(
            listed,
            vec![path("a/x.bin").to_string(), path("a/y.bin").to_string()],
            "{name}: list"
        );
        // delete (a missing object deletes too, as S3 does)
        store.delete(&path("a/y.bin")).await.unwrap();
        assert!(
            matches!(
                store.head(&path("a/y.bin")).await,
                Err(object_store::Error::NotFound { .. })
            ),
            "{name}: delete"
        );
        match store.delete(&path("never/was.bin")).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => panic!("{name}: deleting a missing object: {e}"),
        }
        // multipart: two parts of 5 MiB and a tail
        let upload = store.put_multipart(&path("big.bin")).await.unwrap();
        let mut writer = WriteMultipart::new_with_chunk_size(upload, 5 * 1024 * 1024);
        let data: Vec<u8> = (0..11 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
        writer.write(&data);
        writer.finish().await.unwrap();
        let back = store
            .get(&path("big.bin"))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(back.as_ref() == data.as_slice(), "{name}: multipart");
        // create-if-absent: 16 racers, exactly one winner
        let target = path("race.bin");
        let racers: Vec<_> = (0..16)
            .map(|i| {
                let (store, target) = (store.clone(), target.clone());
                tokio::spawn(async move {
                    let options = PutOptions {
                        mode: PutMode::Create,
                        ..Default::default()
                    };
                    store
                        .put_opts(&target, PutPayload::from(format!("racer {i}")), options)
                        .await
                })
            })
            .collect();
        let mut winners = 0;
        for racer in racers {
            match racer.await.unwrap() {
                Ok(_) => winners += 1,
                Err(
                    object_store::Error::AlreadyExists { .. }
                    | object_store::Error::Precondition { .. },
                ) => {}
                Err(e) => panic!("{name}: a racer failed unexpectedly: {e}"),
            }
        }
        assert_eq!(winners, 1, "{name}: exactly one create-if-absent wins");
        eprintln!("store conformance: {name} ok");
    }
}

/// Counts the bytes a store hands back.
#[derive(Debug)]
struct Counting {
    inner: Arc<dyn ObjectStore>,
    bytes: AtomicU64,
}

impl std::fmt::Display for Counting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Counting({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for Counting {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }
    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }
    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        // The bytes actually received (a server's reported range can be wider).
        let result = self.inner.get_opts(location, options).await?;
        let (meta, range, attributes) = (
            result.meta.clone(),
            result.range.clone(),
            result.attributes.clone(),
        );
        let bytes = result.bytes().await?;
        self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        let payload = object_store::GetResultPayload::Stream(
            futures::stream::once(async move { Ok(bytes) }).boxed(),
        );
        Ok(GetResult {
            payload,
            meta,
            range,
            attributes,
            extensions: Default::default(),
        })
    }
    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<Bytes>> {
        let out = self.inner.get_ranges(location, ranges).await?;
        self.bytes
            .fetch_add(out.iter().map(|b| b.len() as u64).sum(), Ordering::Relaxed);
        if std::env::var_os("LANCER_DEBUG_RANGES").is_some() {
            eprintln!("get_ranges {location} {ranges:?}");
        }
        Ok(out)
    }
    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }
    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }
    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }
    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_read_only_the_bytes_they_need_on_servers() {
    let rows = 200_000;
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("value", DataType::Float64, false),
        Field::new("text", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from_iter_values(0..rows)) as ArrayRef,
            Arc::new(Float64Array::from_iter_values(
                (0..rows).map(|i| i as f64 / 3.0),
            )),
            Arc::new(StringArray::from_iter_values(
                (0..rows).map(|i| format!("text number {i}")),
            )),
        ],
    )
    .unwrap();
    for endpoint in servers::all("files_read_only_the_bytes_they_need_on_servers") {
        let (store, root) =
            lancer_commit::open_store(&endpoint.uri("file"), &options(&endpoint)).unwrap();
        let path = root.clone().join("f.lance");
        let options = FileWriterOptions::default()
            .with_page_bytes(64 * 1024)
            .with_upload_chunk_bytes(5 * 1024 * 1024);
        let mut writer = FileWriter::try_new(
            store.clone(),
            path.clone(),
            LanceSchema::from_arrow(&schema).unwrap(),
            options,
        )
        .unwrap();
        writer.write_batch(&batch).await.unwrap();
        let size = writer.finish().await.unwrap().size_bytes;
        assert!(size > 5 * 1024 * 1024, "big enough to go up in parts");
        let counting = Arc::new(Counting {
            inner: store,
            bytes: AtomicU64::new(0),
        });
        let reader = FileReader::open(counting.clone(), &path).await.unwrap();
        let all = reader.read_all(ReadOptions::default()).await.unwrap();
        assert_eq!(all, batch, "{:?}: whole file", endpoint.kind);
        let whole = counting.bytes.swap(0, Ordering::Relaxed);
        let id_only = reader
            .read_all(ReadOptions::default().with_projection(Projection::Names(vec!["id".into()])))
            .await
            .unwrap();
        assert_eq!(id_only.column(0), batch.column(0));
        let projected = counting.bytes.swap(0, Ordering::Relaxed);
        let few = reader
            .read_all(ReadOptions::default().with_rows(150_000..150_010))
            .await
            .unwrap();
        assert_eq!(few, batch.slice(150_000, 10));
        let ranged = counting.bytes.swap(0, Ordering::Relaxed);
        eprintln!(
            "{:?}: file {size} B; read all {whole} B, one column {projected} B, ten rows {ranged} B",
            endpoint.kind
        );
        assert!(
            projected < size / 3,
            "{:?}: projection read {projected} of {size} bytes",
            endpoint.kind
        );
        assert!(
            ranged < 1024 * 1024,
            "{:?}: ten rows read {ranged} bytes",
            endpoint.kind
        );
    }
}

/// Ten rows of a 2.2 file with pylance's large pages (8 MiB) fetch only the chunks and the
/// zipped rows that hold them, in memory and on the test servers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_of_2_2_files_read_only_their_chunks() {
    let rows = 200_000;
    let batch = vector_batch(rows);
    let mut stores: Vec<(String, Arc<dyn ObjectStore>, Path)> = vec![(
        "memory".into(),
        Arc::new(object_store::memory::InMemory::new()),
        Path::from("mem"),
    )];
    for endpoint in servers::all("rows_of_2_2_files_read_only_their_chunks") {
        let (store, root) =
            lancer_commit::open_store(&endpoint.uri("file22"), &options(&endpoint)).unwrap();
        stores.push((format!("{:?}", endpoint.kind), store, root));
    }
    for (name, store, root) in stores {
        let counting = Arc::new(Counting {
            inner: store,
            bytes: AtomicU64::new(0),
        });
        let path = root.join("f22.lance");
        let options = FileWriterOptions::default()
            .with_version(lancer::FileVersion::V2_2)
            .with_upload_chunk_bytes(5 * 1024 * 1024);
        let mut writer = FileWriter::try_new(
            counting.clone(),
            path.clone(),
            LanceSchema::from_arrow(&batch.schema()).unwrap(),
            options,
        )
        .unwrap();
        writer.write_batch(&batch).await.unwrap();
        let size = writer.finish().await.unwrap().size_bytes;
        let reader = FileReader::open(counting.clone(), &path).await.unwrap();
        assert!(
            reader.metadata().columns.iter().all(|c| c.pages.len() <= 8),
            "{name}: large pages"
        );
        counting.bytes.swap(0, Ordering::Relaxed);
        let few = reader
            .read_all(ReadOptions::default().with_rows(150_000..150_010))
            .await
            .unwrap();
        assert_eq!(few, batch.slice(150_000, 10), "{name}");
        let ranged = counting.bytes.swap(0, Ordering::Relaxed);
        let all = reader.read_all(ReadOptions::default()).await.unwrap();
        assert_eq!(all, batch, "{name}");
        eprintln!("{name}: 2.2 file {size} B; ten rows {ranged} B");
        assert!(
            ranged < 512 * 1024,
            "{name}: ten rows of a 2.2 file read {ranged} of {size} bytes"
        );
    }
}

/// Ids, text, 64-dimension vectors, lists and structs of `rows` rows (large pages).
fn vector_batch(rows: usize) -> RecordBatch {
    let item = Arc::new(Field::new("item", DataType::Float32, true));
    let vectors = arrow_array::FixedSizeListArray::try_new(
        item,
        64,
        Arc::new(arrow_array::Float32Array::from_iter_values(
            (0..rows * 64).map(|i| i as f32),
        )),
        None,
    )
    .unwrap();
    let lists = arrow_array::ListArray::from_iter_primitive::<arrow_array::types::Int64Type, _, _>(
        (0..rows as i64).map(|r| Some((0..r % 5).map(move |i| Some(r + i)))),
    );
    let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(0..rows as i64));
    let text: ArrayRef = Arc::new(StringArray::from_iter_values(
        (0..rows).map(|i| format!("text number {i}")),
    ));
    let point = arrow_schema::Fields::from(vec![
        Field::new("x", DataType::Int64, true),
        Field::new("t", DataType::Utf8, true),
    ]);
    let structs = arrow_array::StructArray::try_new(
        point,
        vec![ids.clone(), text.clone()],
        Some((0..rows).map(|i| i % 3 != 0).collect::<Vec<_>>().into()),
    )
    .unwrap();
    let columns: Vec<ArrayRef> = vec![
        ids,
        text,
        Arc::new(vectors),
        Arc::new(lists),
        Arc::new(structs),
    ];
    let fields: Vec<Field> = ["id", "text", "v", "l", "s"]
        .iter()
        .zip(&columns)
        .map(|(name, c)| Field::new(*name, c.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_flow_on_servers() {
    for endpoint in servers::all("the_seed_flow_on_servers") {
        let uri = endpoint.uri("seed");
        let store = options(&endpoint);
        let write = WriteParams::default().with_storage_options(store.clone());
        let commit = CommitParams::default().with_storage_options(store.clone());
        let worker = |a: &'static [i32], b: &'static [&'static str]| {
            let (uri, write) = (uri.clone(), write.clone());
            async move {
                let reader = RecordBatchIterator::new([Ok(seed_batch(a, b))], seed_schema());
                write_fragments(&uri, reader, &write).await.unwrap()
            }
        };
        let (w1, w2) = futures::future::join(
            worker(&[1, 2, 3], &["x", "y", "z"]),
            worker(&[4, 5, 6], &["u", "v", "w"]),
        )
        .await;
        let fragments: Vec<Fragment> = w1
            .iter()
            .chain(&w2)
            .map(|f| Fragment::from_json(&f.to_json()).unwrap())
            .collect();
        let schema = LanceSchema::from_arrow(&seed_schema()).unwrap();
        Dataset::commit(&uri, Operation::overwrite(fragments, schema), 0, &commit)
            .await
            .unwrap();
        let w3 = worker(&[7, 8], &["seven", "eight"]).await;
        Dataset::commit(&uri, Operation::append(w3), 1, &commit)
            .await
            .unwrap();
        let open = OpenParams::default().with_storage_options(store.clone());
        let dataset = Dataset::open_with(&uri, &open).await.unwrap();
        let mut merged = Vec::new();
        let mut new_schema = None;
        for fragment in dataset.get_fragments() {
            let (f, s) = fragment.merge_columns(b_len, &["b"]).await.unwrap();
            merged.push(f);
            new_schema = Some(s);
        }
        Dataset::commit(
            &uri,
            Operation::merge(merged, new_schema.unwrap(), dataset.schema()),
            2,
            &commit,
        )
        .await
        .unwrap();
        for (version, columns, expected) in seed_expectation() {
            let dataset = Dataset::open_with(&uri, &open.clone().with_version(version))
                .await
                .unwrap();
            let batch = dataset.scan().to_batch().await.unwrap();
            let names: Vec<String> = batch
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            assert_eq!(names, columns, "{:?} version {version}", endpoint.kind);
            assert_eq!(
                serde_json::Value::Array(rows(&batch)),
                expected,
                "{:?} version {version}",
                endpoint.kind
            );
        }
        // Compaction of the three fragments on the server: one fragment, the same rows.
        let latest = Dataset::open_with(&uri, &open).await.unwrap();
        let before = rows(&latest.scan().to_batch().await.unwrap());
        let plan = latest
            .plan_compaction(&lancer::CompactionOptions::default())
            .await
            .unwrap();
        assert_eq!(plan.num_tasks(), 1, "{:?}", endpoint.kind);
        let result = plan.tasks()[0].execute(&latest).await.unwrap();
        let compacted = Dataset::commit_compaction(&uri, &plan, &[result], &commit)
            .await
            .unwrap()
            .dataset;
        assert_eq!(compacted.version(), 4);
        assert_eq!(compacted.get_fragments().len(), 1);
        let after = rows(&compacted.scan().to_batch().await.unwrap());
        assert_eq!(after, before, "{:?}", endpoint.kind);
        assert!(compacted.check_files().await.unwrap().problems.is_empty());
        // A failed job's orphan, aborted; then a cleanup of every old version (no writer
        // runs, so no grace period): the six data files of versions 1-3 (three written, three
        // added by the merge) go in bulk deletes.
        let orphan = {
            let reader =
                RecordBatchIterator::new([Ok(seed_batch(&[9], &["orphan"]))], seed_schema());
            let params = write.clone().with_new_schema(true);
            write_fragments(&uri, reader, &params).await.unwrap()
        };
        let aborted = Dataset::abort(&uri, &orphan, &store).await.unwrap();
        assert_eq!(aborted.removed.len(), 1, "{:?}", endpoint.kind);
        let options = lancer::CleanupOptions::default()
            .with_older_than(std::time::Duration::ZERO)
            .with_grace(std::time::Duration::ZERO);
        let report = Dataset::cleanup(&uri, &options, &store).await.unwrap();
        assert_eq!(
            report.removed_versions,
            vec![1, 2, 3],
            "{:?}",
            endpoint.kind
        );
        assert_eq!(report.data_files_removed, 6, "{report:?}");
        assert_eq!(report.failed_deletes, 0);
        let cleaned = Dataset::open_with(&uri, &open).await.unwrap();
        assert_eq!(cleaned.versions().await.unwrap().len(), 1);
        assert_eq!(rows(&cleaned.scan().to_batch().await.unwrap()), before);
        assert!(cleaned.check_files().await.unwrap().problems.is_empty());
        eprintln!("seed flow on {:?}: ok", endpoint.kind);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_appenders_on_servers() {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        % 1_000_000;
    for endpoint in servers::all("sixteen_concurrent_appenders_on_servers") {
        eprintln!("concurrent appenders on {:?}: seed {seed}", endpoint.kind);
        let uri = endpoint.uri("appenders");
        let store = options(&endpoint);
        let patient = CommitParams::default()
            .with_storage_options(store.clone())
            .with_commit_options(CommitOptions::default().with_max_retries(200));
        let first = write_fragments(
            &uri,
            RecordBatchIterator::new([Ok(seed_batch(&[0], &["zero"]))], seed_schema()),
            &WriteParams::default().with_storage_options(store.clone()),
        )
        .await
        .unwrap();
        let schema = LanceSchema::from_arrow(&seed_schema()).unwrap();
        Dataset::commit(&uri, Operation::overwrite(first, schema), 0, &patient)
            .await
            .unwrap();
        let tasks: Vec<_> = (0..16)
            .map(|t| {
                let (uri, store, patient) = (uri.clone(), store.clone(), patient.clone());
                tokio::spawn(async move {
                    // Each committer appends a different number of rows, chosen from the seed.
                    let rows = 1 + ((seed + t) % 4) as i32;
                    let a: Vec<i32> = (0..rows).map(|r| 1000 * (t as i32 + 1) + r).collect();
                    let b: Vec<&str> = a.iter().map(|_| "row").collect();
                    let batch = seed_batch(&a, &b);
                    let fragments = write_fragments(
                        &uri,
                        RecordBatchIterator::new([Ok(batch)], seed_schema()),
                        &WriteParams::default().with_storage_options(store.clone()),
                    )
                    .await
                    .unwrap();
                    let open = OpenParams::default().with_storage_options(store);
                    let read = Dataset::open_with(&uri, &open).await.unwrap().version();
                    Dataset::commit(&uri, Operation::append(fragments), read, &patient)
                        .await
                        .unwrap();
                    a
                })
            })
            .collect();
        let mut expected: BTreeSet<i32> = BTreeSet::from([0]);
        for task in tasks {
            expected.extend(task.await.unwrap());
        }
        let dataset = Dataset::open_with(&uri, &OpenParams::default().with_storage_options(store))
            .await
            .unwrap();
        assert_eq!(
            dataset.version(),
            17,
            "{:?}: every append is a version",
            endpoint.kind
        );
        let batch = dataset.scan().to_batch().await.unwrap();
        let got: BTreeSet<i32> = rows(&batch)
            .iter()
            .map(|r| r["a"].as_i64().unwrap() as i32)
            .collect();
        assert_eq!(
            got, expected,
            "{:?}: nothing lost or doubled (seed {seed})",
            endpoint.kind
        );
        assert_eq!(
            batch.num_rows(),
            expected.len(),
            "{:?}: no row doubled (seed {seed})",
            endpoint.kind
        );
    }
}
