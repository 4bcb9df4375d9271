//! The lancer side of each case: one measurement in this process, printed as JSON.

use std::fs::File;
use std::path::Path;
use std::time::Instant;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, SchemaRef};
use futures::TryStreamExt;
use lancer::{
    CommitParams, Dataset, Operation, WriteParams, fragments_from_json, fragments_to_json,
};
use lancer_benches::measure::{Measurement, cpu_seconds, now, peak_rss_bytes, read_bytes};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Every `parts`-th batch of an Arrow IPC file, starting at `part`; `index` counts the
/// batches handed out.
struct Part {
    reader: arrow_ipc::reader::FileReader<File>,
    index: usize,
    part: usize,
    parts: usize,
}

impl Iterator for Part {
    type Item = Result<RecordBatch, ArrowError>;
    fn next(&mut self) -> Option<Self::Item> {
        // Jump straight to this part's next batch: the others are never read (as on
        // pylance's side, which asks for its batches by index).
        let index = self.index * self.parts + self.part;
        if index >= self.reader.num_batches() {
            return None;
        }
        self.index += 1;
        if let Err(e) = self.reader.set_index(index) {
            return Some(Err(e));
        }
        self.reader.next()
    }
}

impl RecordBatchReader for Part {
    fn schema(&self) -> SchemaRef {
        self.reader.schema()
    }
}

fn report(seconds: f64, rows: u64, read: u64, cpu: f64, start: f64) {
    let m = Measurement {
        seconds,
        rows,
        peak_rss_bytes: peak_rss_bytes(),
        read_bytes: read,
        cpu_seconds: cpu,
        start,
        end: start + seconds,
    };
    println!("{}", m.to_json());
}

/// `write INPUT URI PART PARTS OUT [VERSION]`: write_fragments of a part of the input (in
/// file version VERSION, 2.0 by default); the fragments' JSON goes to OUT.
pub fn write(args: &[String]) {
    let params = match args.get(5) {
        Some(version) => WriteParams::default().with_data_storage_version(
            lancer::parse_data_storage_version(version).expect("a data storage version"),
        ),
        None => WriteParams::default(),
    };
    let (input, uri, part, parts, out) = (
        &args[0],
        &args[1],
        args[2].parse().unwrap(),
        args[3].parse().unwrap(),
        &args[4],
    );
    let reader = arrow_ipc::reader::FileReader::try_new(File::open(input).expect("input"), None)
        .expect("IPC");
    let reader = Part {
        reader,
        index: 0,
        part,
        parts,
    };
    let runtime = runtime();
    let (start, clock, cpu) = (now(), Instant::now(), cpu_seconds());
    let fragments = runtime
        .block_on(lancer::write_fragments(uri, reader, &params))
        .expect("write");
    let (seconds, cpu) = (clock.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    let rows = fragments.iter().filter_map(|f| f.physical_rows).sum();
    std::fs::write(out, fragments_to_json(&fragments)).expect("fragment JSON");
    report(seconds, rows, 0, cpu, start);
}

/// `overwrite URI [--schema-of DATASET] FRAGMENTS...`: commits the fragments as a new
/// dataset (setup, untimed). The schema comes from the fragments' files, or from DATASET
/// when the files live elsewhere (the commit cases reuse one written table's fragments).
pub fn overwrite(args: &[String]) {
    let uri = &args[0];
    let (schema_of, paths) = match args.get(1).map(String::as_str) {
        Some("--schema-of") => (Some(&args[2]), &args[3..]),
        _ => (None, &args[1..]),
    };
    let mut fragments = Vec::new();
    for path in paths {
        fragments.extend(
            fragments_from_json(&std::fs::read_to_string(path).expect("fragments")).expect("JSON"),
        );
    }
    runtime().block_on(async {
        let schema = match schema_of {
            Some(dataset) => Dataset::open(dataset).await.expect("open").schema().clone(),
            None => lancer::schema_from_files(uri, &fragments, &Default::default())
                .await
                .expect("schema"),
        };
        let params = CommitParams::default().with_validation(false);
        Dataset::commit(uri, Operation::overwrite(fragments, schema), 0, &params)
            .await
            .expect("commit");
    });
    println!("{}", Measurement::default().to_json());
}

/// `scan URI [COLUMN]`: reads everything (or one column), batches dropped as they come.
pub fn scan(args: &[String]) {
    let uri = &args[0];
    let runtime = runtime();
    let (start, clock, before, cpu) = (now(), Instant::now(), read_bytes(), cpu_seconds());
    let rows = runtime.block_on(async {
        let dataset = Dataset::open(uri).await.expect("open");
        let mut scanner = dataset.scan();
        if let Some(column) = args.get(1) {
            scanner = scanner.project(&[column]);
        }
        let mut stream = scanner.try_into_stream().expect("scan");
        let mut rows = 0;
        while let Some(batch) = stream.try_next().await.expect("batch") {
            rows += batch.num_rows() as u64;
        }
        rows
    });
    report(
        clock.elapsed().as_secs_f64(),
        rows,
        read_bytes() - before,
        cpu_seconds() - cpu,
        start,
    );
}

/// `sizes URI`: the bytes each top-level column takes in the dataset's data files (page
/// buffers), and all of the files; printed as JSON (not a timing).
pub fn sizes(args: &[String]) {
    let uri = &args[0];
    let (columns, files) = runtime().block_on(async {
        let dataset = Dataset::open(uri).await.expect("open");
        let mut columns: Vec<(String, u64)> = Vec::new();
        let mut files = 0u64;
        for fragment in dataset.get_fragments() {
            for file in &fragment.metadata().files {
                // The benchmark's datasets are local directories.
                let local = std::path::Path::new(uri).join("data").join(&file.path);
                let path = object_store::path::Path::from_filesystem_path(&local).expect("path");
                let store = std::sync::Arc::new(object_store::local::LocalFileSystem::new());
                let reader = lancer_file::FileReader::open(store, &path)
                    .await
                    .expect("data file");
                files += file.file_size_bytes.unwrap_or(0);
                for (name, bytes) in lancer_benches::sizes::field_bytes(&reader) {
                    match columns.iter_mut().find(|(seen, _)| *seen == name) {
                        Some((_, total)) => *total += bytes,
                        None => columns.push((name, bytes)),
                    }
                }
            }
        }
        (columns, files)
    });
    let columns: serde_json::Map<String, serde_json::Value> = columns
        .into_iter()
        .map(|(name, bytes)| (name, bytes.into()))
        .collect();
    println!(
        "{}",
        serde_json::json!({ "columns": columns, "files": files })
    );
}

/// `commit URI FRAGMENTS`: one Append of every fragment in the file.
pub fn commit(args: &[String]) {
    let (uri, path) = (&args[0], &args[1]);
    let fragments =
        fragments_from_json(&std::fs::read_to_string(path).expect("fragments")).expect("JSON");
    let count = fragments.len() as u64;
    let runtime = runtime();
    // As on pylance's side, finding the version to build on is not part of the commit.
    let read = runtime
        .block_on(Dataset::open(uri))
        .expect("open")
        .version();
    let (start, clock) = (now(), Instant::now());
    runtime.block_on(async {
        let params = CommitParams::default().with_validation(false);
        Dataset::commit(uri, Operation::append(fragments), read, &params)
            .await
            .expect("commit");
    });
    report(clock.elapsed().as_secs_f64(), count, 0, 0.0, start);
}

/// `concurrent URI THREADS COMMITS FRAGMENTS`: THREADS threads each commit COMMITS
/// one-fragment Appends (thread t's c-th commit takes fragment t * COMMITS + c of the
/// file); rows = commits that landed.
pub fn concurrent(args: &[String]) {
    let (uri, threads, commits, path) = (
        args[0].clone(),
        args[1].parse::<usize>().unwrap(),
        args[2].parse::<usize>().unwrap(),
        &args[3],
    );
    let fragments =
        fragments_from_json(&std::fs::read_to_string(path).expect("fragments")).expect("JSON");
    assert!(
        fragments.len() >= threads * commits,
        "one fragment per commit"
    );
    let (start, clock) = (now(), Instant::now());
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let uri = uri.clone();
            let mine = fragments[t * commits..(t + 1) * commits].to_vec();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async {
                    let mut landed = 0;
                    for fragment in mine {
                        let Ok(dataset) = Dataset::open(&uri).await else {
                            continue;
                        };
                        let params = CommitParams::default().with_validation(false);
                        if Dataset::commit(
                            &uri,
                            Operation::append(vec![fragment]),
                            dataset.version(),
                            &params,
                        )
                        .await
                        .is_ok()
                        {
                            landed += 1;
                        }
                    }
                    landed
                })
            })
        })
        .collect();
    let landed: u64 = workers.into_iter().map(|w| w.join().expect("worker")).sum();
    report(clock.elapsed().as_secs_f64(), landed, 0, 0.0, start);
}

/// `count URI`: rows = the number of fragments in the latest version (setup, untimed).
pub fn count(args: &[String]) {
    let fragments = runtime().block_on(async {
        Dataset::open(&args[0])
            .await
            .expect("open")
            .manifest()
            .fragments
            .len()
    });
    println!(
        "{}",
        Measurement {
            rows: fragments as u64,
            ..Measurement::default()
        }
        .to_json()
    );
}

/// `grow URI FRAGMENTS`: appends every fragment of the file in one commit (setup for the
/// large-manifest case, untimed).
pub fn grow(args: &[String]) {
    let (uri, path) = (&args[0], &args[1]);
    let fragments =
        fragments_from_json(&std::fs::read_to_string(path).expect("fragments")).expect("JSON");
    runtime().block_on(async {
        let dataset = Dataset::open(uri).await.expect("open");
        let params = CommitParams::default().with_validation(false);
        Dataset::commit(
            uri,
            Operation::append(fragments),
            dataset.version(),
            &params,
        )
        .await
        .expect("grow");
    });
    println!("{}", Measurement::default().to_json());
}

/// Plain sequential write (from a buffer of the full size) and read of `bytes` bytes in
/// 8 MiB chunks: the physical limits the figures are compared with. Returns MB/s.
pub fn raw_limits(dir: &Path, bytes: usize) -> (f64, f64) {
    use std::io::{Read, Write};
    let data: Vec<u8> = (0..bytes).map(|i| (i * 7 + 3) as u8).collect();
    let path = dir.join("raw.bin");
    let _ = std::fs::remove_file(&path);
    let clock = Instant::now();
    let mut file = File::create(&path).expect("raw file");
    for chunk in data.chunks(8 << 20) {
        file.write_all(chunk).expect("raw write");
    }
    drop(file);
    let write = bytes as f64 / clock.elapsed().as_secs_f64() / 1e6;
    let clock = Instant::now();
    let mut file = File::open(&path).expect("raw file");
    let mut buffer = vec![0u8; 8 << 20];
    while file.read(&mut buffer).expect("raw read") > 0 {}
    let read = bytes as f64 / clock.elapsed().as_secs_f64() / 1e6;
    let _ = std::fs::remove_file(&path);
    (write, read)
}

/// `small-files INPUT URI ROWS`: the input as a 2.2 dataset of ROWS-row fragments (setup,
/// untimed).
pub fn small_files(args: &[String]) {
    let (input, uri, rows) = (&args[0], &args[1], args[2].parse::<usize>().expect("rows"));
    runtime().block_on(async {
        let reader =
            arrow_ipc::reader::FileReader::try_new(File::open(input).expect("input"), None)
                .expect("IPC");
        let schema = lancer::LanceSchema::from_arrow(&reader.schema()).expect("schema");
        let params = WriteParams::default().with_max_rows_per_file(rows);
        let fragments = lancer::write_fragments(uri, reader, &params)
            .await
            .expect("write");
        Dataset::commit(
            uri,
            Operation::overwrite(fragments, schema),
            0,
            &CommitParams::default(),
        )
        .await
        .expect("commit");
    });
    println!("{}", Measurement::default().to_json());
}

/// `compact URI TARGET_ROWS`: plan, every task at once on this machine, one commit.
pub fn compact(args: &[String]) {
    use futures::StreamExt;
    let (uri, target) = (&args[0], args[1].parse::<u64>().expect("rows"));
    let runtime = runtime();
    let (start, clock, cpu) = (now(), Instant::now(), cpu_seconds());
    let rows = runtime.block_on(async {
        let dataset = Dataset::open(uri).await.expect("open");
        let options = lancer::CompactionOptions::default().with_target_rows_per_fragment(target);
        let plan = dataset.plan_compaction(&options).await.expect("plan");
        let parallelism = std::thread::available_parallelism().map_or(2, usize::from);
        let results: Vec<lancer::RewriteResult> = futures::stream::iter(plan.tasks())
            .map(|task| task.execute(&dataset))
            .buffer_unordered(parallelism)
            .map(|r| r.expect("task"))
            .collect()
            .await;
        let committed = Dataset::commit_compaction(uri, &plan, &results, &CommitParams::default())
            .await
            .expect("commit");
        committed.dataset.count_rows().expect("rows")
    });
    report(
        clock.elapsed().as_secs_f64(),
        rows,
        0,
        cpu_seconds() - cpu,
        start,
    );
}

fn store_options(pairs: &[String]) -> lancer::StoreOptions {
    pairs
        .iter()
        .fold(lancer::StoreOptions::default(), |options, pair| {
            let (key, value) = pair.split_once('=').expect("KEY=VALUE");
            options.with(key, value)
        })
}

/// `orphans URI COUNT [KEY=VALUE...]`: a one-version dataset and COUNT small files under
/// `data/` that no version references (setup, untimed).
pub fn orphans(args: &[String]) {
    use futures::StreamExt;
    use object_store::ObjectStoreExt;
    let (uri, count) = (&args[0], args[1].parse::<usize>().expect("count"));
    let options = store_options(&args[2..]);
    runtime().block_on(async {
        let schema =
            std::sync::Arc::new(arrow_schema::Schema::new(vec![arrow_schema::Field::new(
                "a",
                arrow_schema::DataType::Int64,
                true,
            )]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![std::sync::Arc::new(arrow_array::Int64Array::from(vec![
                1, 2, 3,
            ]))],
        )
        .expect("batch");
        let reader = arrow_array::RecordBatchIterator::new([Ok(batch)], schema.clone());
        let write = WriteParams::default().with_storage_options(options.clone());
        let fragments = lancer::write_fragments(uri, reader, &write)
            .await
            .expect("write");
        let commit = CommitParams::default().with_storage_options(options.clone());
        let lance_schema = lancer::LanceSchema::from_arrow(&schema).expect("schema");
        Dataset::commit(
            uri,
            Operation::overwrite(fragments, lance_schema),
            0,
            &commit,
        )
        .await
        .expect("commit");
        let (store, root) = lancer_commit::open_store(uri, &options).expect("store");
        futures::stream::iter(0..count)
            .map(|i| {
                let (store, path) = (
                    store.clone(),
                    root.clone()
                        .join("data")
                        .join(format!("orphan-{i:07}.lance")),
                );
                async move {
                    store
                        .put(&path, object_store::PutPayload::from_static(b"orphan"))
                        .await
                }
            })
            .buffer_unordered(64)
            .for_each(|r| async move {
                r.expect("put");
            })
            .await;
    });
    println!("{}", Measurement::default().to_json());
}

/// `cleanup URI [KEY=VALUE...]`: removes every unreferenced file at once (no grace
/// period, as pylance's `delete_unverified`); rows = files removed.
pub fn cleanup(args: &[String]) {
    let uri = &args[0];
    let options = store_options(&args[1..]);
    let runtime = runtime();
    let (start, clock, cpu) = (now(), Instant::now(), cpu_seconds());
    let removed = runtime.block_on(async {
        let cleanup = lancer::CleanupOptions::default()
            .with_older_than(std::time::Duration::ZERO)
            .with_grace(std::time::Duration::ZERO);
        Dataset::cleanup(uri, &cleanup, &options)
            .await
            .expect("cleanup")
    });
    report(
        clock.elapsed().as_secs_f64(),
        removed.data_files_removed,
        0,
        cpu_seconds() - cpu,
        start,
    );
}
