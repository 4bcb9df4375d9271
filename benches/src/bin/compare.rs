//! lancer and pylance side by side on the reference table: write and scan throughput, peak
//! memory of the writer. Every measurement runs in its own process (so peak RSS is the
//! process's own), alternating lancer and pylance, and reports medians and ratios.
//!
//! usage: compare [--rows N] [--reps N] [--dir DIR] [--python PYTHON]
//!        compare write-lancer INPUT.arrow OUTPUT.lance   (one measurement, JSON on stdout)
//!        compare scan-lancer FILE.lance [COLUMN]         (one measurement, JSON on stdout)

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use futures::TryStreamExt;

// The allocator a lancer binary ships with: it reuses freed memory instead of returning it to
// the OS, so per-batch buffers do not page-fault afresh (pyarrow, on pylance's side, does the
// same with its own pool).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use lancer_benches::reference;
use lancer_file::{
    FileReader, FileWriter, FileWriterOptions, LanceSchema, Projection, ReadOptions,
};
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;

fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn store_for(path: &Path) -> (Arc<LocalFileSystem>, StorePath) {
    let dir = path.parent().unwrap();
    let store = Arc::new(LocalFileSystem::new_with_prefix(dir).unwrap());
    (
        store,
        StorePath::from(path.file_name().unwrap().to_str().unwrap()),
    )
}

fn write_lancer(input: &Path, output: &Path) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let reader = arrow_ipc::reader::FileReader::try_new(File::open(input).unwrap(), None).unwrap();
    let schema = LanceSchema::from_arrow(&reader.schema()).unwrap();
    let (store, path) = store_for(output);
    let start = Instant::now();
    let rows = runtime.block_on(async {
        let mut writer =
            FileWriter::try_new(store, path, schema, FileWriterOptions::default()).unwrap();
        for batch in reader {
            writer.write_batch(&batch.unwrap()).await.unwrap();
        }
        writer.finish().await.unwrap().num_rows
    });
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{{\"seconds\": {seconds}, \"rows\": {rows}, \"peak_rss_bytes\": {}}}",
        peak_rss_bytes()
    );
}

fn scan_lancer(file: &Path, column: Option<&str>) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (store, path) = store_for(file);
    let start = Instant::now();
    let rows = runtime.block_on(async {
        let reader = FileReader::open(store, &path).await.unwrap();
        let projection = column.map_or(Projection::All, |c| Projection::Names(vec![c.to_string()]));
        let options = ReadOptions::default().with_projection(projection);
        // Batches are counted and dropped as they come, as a consumer streaming them would.
        let mut stream = reader.read_stream(options).unwrap();
        let mut rows = 0;
        while let Some(batch) = stream.try_next().await.unwrap() {
            rows += batch.num_rows();
        }
        rows
    });
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{{\"seconds\": {seconds}, \"rows\": {rows}, \"peak_rss_bytes\": {}}}",
        peak_rss_bytes()
    );
}

/// A dataset with one fragment (written by lancer), and fragment JSON for `count` more
/// fragments over the same data file, for the commit benchmarks.
fn commit_setup(dir: &Path, count: usize) -> PathBuf {
    use lancer_table::{Fragment, Operation, Transaction};
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fragments_path = dir.with_extension("fragments.json");
    runtime.block_on(async {
        let (store, root) =
            lancer_commit::open_store(dir.to_str().unwrap(), &Default::default()).unwrap();
        let schema = LanceSchema::from_arrow(&reference::schema()).unwrap();
        let name = lancer_table::naming::new_data_file_name();
        let path = root.clone().join("data").join(name.as_str());
        let mut writer = FileWriter::try_new(
            store.clone(),
            path,
            schema.clone(),
            FileWriterOptions::default(),
        )
        .unwrap();
        writer.write_batch(&reference::batch(0, 100)).await.unwrap();
        let written = writer.finish().await.unwrap();
        let fields = schema.field_ids();
        let columns = (0..fields.len() as i32).collect();
        let file =
            lancer_table::DataFile::new(name, fields, columns, written.version, written.size_bytes);
        let fragment = Fragment::new(file, written.num_rows);
        let dataset = lancer_commit::DatasetStore::new(store, root);
        let create = Transaction::new(
            0,
            Operation::Overwrite {
                fragments: vec![fragment.clone()],
                schema,
                config_upsert: Default::default(),
            },
        );
        dataset.commit(&create, &Default::default()).await.unwrap();
        let texts: Vec<String> = (0..count).map(|_| fragment.to_json()).collect();
        std::fs::write(
            &fragments_path,
            format!(
                "[{}]",
                texts
                    .iter()
                    .map(|t| format!("{t:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .unwrap();
    });
    fragments_path
}

fn commit_lancer(dataset: &Path, fragments: &Path) {
    use lancer_table::{Operation, Transaction};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let text = std::fs::read_to_string(fragments).unwrap();
    let fragments = lancer_table::fragments_from_json(&text).unwrap();
    let count = fragments.len();
    let (store, root) =
        lancer_commit::open_store(dataset.to_str().unwrap(), &Default::default()).unwrap();
    let start = Instant::now();
    runtime.block_on(async {
        let dataset = lancer_commit::DatasetStore::new(store, root);
        let read = dataset.latest_version().await.unwrap().unwrap();
        let append = Transaction::new(read, Operation::Append { fragments });
        dataset.commit(&append, &Default::default()).await.unwrap();
    });
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{{\"seconds\": {seconds}, \"rows\": {count}, \"peak_rss_bytes\": {}}}",
        peak_rss_bytes()
    );
}

fn concurrent_lancer(dataset: &Path, threads: usize, commits: usize, fragments: &Path) {
    use lancer_table::{Operation, Transaction};
    let text = std::fs::read_to_string(fragments).unwrap();
    let fragment = lancer_table::fragments_from_json(&text).unwrap().remove(0);
    let start = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (fragment, dataset) = (fragment.clone(), dataset.to_path_buf());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    let (store, root) =
                        lancer_commit::open_store(dataset.to_str().unwrap(), &Default::default())
                            .unwrap();
                    let dataset = lancer_commit::DatasetStore::new(store, root);
                    let mut landed = 0;
                    for _ in 0..commits {
                        let read = dataset.latest_version().await.unwrap().unwrap();
                        let append = Transaction::new(
                            read,
                            Operation::Append {
                                fragments: vec![fragment.clone()],
                            },
                        );
                        if dataset.commit(&append, &Default::default()).await.is_ok() {
                            landed += 1;
                        }
                    }
                    landed
                })
            })
        })
        .collect();
    let landed: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{{\"seconds\": {seconds}, \"rows\": {landed}, \"peak_rss_bytes\": {}}}",
        peak_rss_bytes()
    );
}

struct Measurement {
    seconds: f64,
    rows: u64,
    peak_rss_bytes: u64,
}

fn measure(command: &mut Command) -> Measurement {
    let output = command.output().expect("benchmark process starts");
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().last().unwrap_or_default();
    let field = |name: &str| -> f64 {
        let at = line
            .find(&format!("\"{name}\": "))
            .unwrap_or_else(|| panic!("no {name} in `{line}`"));
        let rest = &line[at + name.len() + 4..];
        rest[..rest.find([',', '}']).unwrap()]
            .trim()
            .parse()
            .unwrap()
    };
    Measurement {
        seconds: field("seconds"),
        rows: field("rows") as u64,
        peak_rss_bytes: field("peak_rss_bytes") as u64,
    }
}

fn median(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (
        values[values.len() / 2],
        values[0],
        values[values.len() - 1],
    )
}

fn arg(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Plain sequential write (from a buffer of the full size, as a writer's input would be) and
/// read of `bytes` bytes in 8 MiB chunks: the physical limits every figure is compared with.
fn raw_limits(dir: &Path, bytes: usize) -> (f64, f64) {
    use std::io::{Read, Write};
    let data: Vec<u8> = (0..bytes).map(|i| (i * 7 + 3) as u8).collect();
    let path = dir.join("raw.bin");
    let _ = std::fs::remove_file(&path);
    let start = Instant::now();
    let mut file = File::create(&path).unwrap();
    for chunk in data.chunks(8 << 20) {
        file.write_all(chunk).unwrap();
    }
    drop(file);
    let write = bytes as f64 / start.elapsed().as_secs_f64() / 1e6;
    let start = Instant::now();
    let mut file = File::open(&path).unwrap();
    let mut buffer = vec![0u8; 8 << 20];
    while file.read(&mut buffer).unwrap() > 0 {}
    let read = bytes as f64 / start.elapsed().as_secs_f64() / 1e6;
    std::fs::remove_file(&path).unwrap();
    (write, read)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("write-lancer") => return write_lancer(Path::new(&args[1]), Path::new(&args[2])),
        Some("scan-lancer") => {
            return scan_lancer(Path::new(&args[1]), args.get(2).map(String::as_str));
        }
        Some("commit-lancer") => return commit_lancer(Path::new(&args[1]), Path::new(&args[2])),
        Some("concurrent-lancer") => {
            let (threads, commits) = (args[2].parse().unwrap(), args[3].parse().unwrap());
            return concurrent_lancer(Path::new(&args[1]), threads, commits, Path::new(&args[4]));
        }
        // A misspelt measurement must not fall through to a whole benchmark run (which
        // would spawn itself again).
        Some(other) if !other.starts_with("--") => panic!("unknown measurement `{other}`"),
        _ => {}
    }
    let rows: usize = arg(&args, "--rows").map_or(1_000_000, |v| v.parse().unwrap());
    let reps: usize = arg(&args, "--reps").map_or(3, |v| v.parse().unwrap());
    let dir = PathBuf::from(arg(&args, "--dir").unwrap_or_else(|| "target/bench".to_string()));
    let python =
        arg(&args, "--python").unwrap_or_else(|| "target/oracle/venv/bin/python".to_string());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pylance_bench.py");
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.canonicalize().unwrap();

    let input = dir.join(format!("reference-{rows}.arrow"));
    let mut arrow_bytes = 0;
    if !input.exists() {
        let tmp = dir.join("reference.arrow.tmp");
        let mut writer = arrow_ipc::writer::FileWriter::try_new(
            File::create(&tmp).unwrap(),
            &reference::schema(),
        )
        .unwrap();
        for batch in reference::batches(rows, 65_536) {
            writer.write(&batch).unwrap();
        }
        writer.finish().unwrap();
        std::fs::rename(&tmp, &input).unwrap();
    }
    for batch in arrow_ipc::reader::FileReader::try_new(File::open(&input).unwrap(), None).unwrap()
    {
        // The slice sizes, not the capacity of the IPC body every column of a batch shares.
        arrow_bytes += batch
            .unwrap()
            .columns()
            .iter()
            .map(|c| c.to_data().get_slice_memory_size().unwrap())
            .sum::<usize>();
    }
    let me = std::env::current_exe().unwrap();
    let lancer_file = dir.join("lancer.lance");
    let pylance_file = dir.join("pylance.lance");
    let mut results: Vec<(String, Vec<Measurement>, Vec<Measurement>)> = Vec::new();
    // One untimed round first: the first writes of a run touch fresh memory and disk blocks
    // and are much slower than the rest, whichever side goes first.
    measure(
        Command::new(&me)
            .arg("write-lancer")
            .arg(&input)
            .arg(&lancer_file),
    );
    measure(
        Command::new(&python)
            .arg(&script)
            .args(["write"])
            .arg(&input)
            .arg(&pylance_file)
            .arg("2.0"),
    );
    let mut raw = Vec::new();
    let mut run = |name: &str,
                   lancer: &mut dyn FnMut() -> Measurement,
                   pylance: &mut dyn FnMut() -> Measurement| {
        let (mut l, mut p) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            l.push(lancer());
            p.push(pylance());
        }
        results.push((name.to_string(), l, p));
    };
    // Each write starts with its output deleted, as a fresh data file is (replacing an
    // existing file would make the new one compete with the old one's cached pages).
    run(
        "write (v2.0)",
        &mut || {
            let _ = std::fs::remove_file(&lancer_file);
            measure(
                Command::new(&me)
                    .arg("write-lancer")
                    .arg(&input)
                    .arg(&lancer_file),
            )
        },
        &mut || {
            let _ = std::fs::remove_file(&pylance_file);
            measure(
                Command::new(&python)
                    .arg(&script)
                    .args(["write"])
                    .arg(&input)
                    .arg(&pylance_file)
                    .arg("2.0"),
            )
        },
    );
    run(
        "scan (all columns)",
        &mut || measure(Command::new(&me).arg("scan-lancer").arg(&lancer_file)),
        &mut || {
            measure(
                Command::new(&python)
                    .arg(&script)
                    .arg("scan")
                    .arg(&pylance_file),
            )
        },
    );
    run(
        "scan (vector column)",
        &mut || {
            measure(
                Command::new(&me)
                    .arg("scan-lancer")
                    .arg(&lancer_file)
                    .arg("vector"),
            )
        },
        &mut || {
            measure(
                Command::new(&python)
                    .arg(&script)
                    .arg("scan")
                    .arg(&pylance_file)
                    .arg("vector"),
            )
        },
    );
    let mut commits: Vec<(String, Vec<Measurement>, Vec<Measurement>)> = Vec::new();
    let commit_dir = dir.join("commit");
    let (mut l, mut p) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let fragments = commit_setup(&commit_dir, 1000);
        l.push(measure(
            Command::new(&me)
                .arg("commit-lancer")
                .arg(&commit_dir)
                .arg(&fragments),
        ));
        let fragments = commit_setup(&commit_dir, 1000);
        p.push(measure(
            Command::new(&python)
                .arg(&script)
                .arg("commit")
                .arg(&commit_dir)
                .arg(&fragments),
        ));
    }
    commits.push((
        "commit latency, Append of 1,000 fragments (ms)".into(),
        l,
        p,
    ));
    let (threads, per_thread) = (
        16,
        arg(&args, "--commits").map_or(if rows < 200_000 { 3 } else { 10 }, |v| v.parse().unwrap()),
    );
    let (mut l, mut p) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let fragments = commit_setup(&commit_dir, 1);
        l.push(measure(
            Command::new(&me)
                .arg("concurrent-lancer")
                .arg(&commit_dir)
                .args([threads.to_string(), per_thread.to_string()])
                .arg(&fragments),
        ));
        let fragments = commit_setup(&commit_dir, 1);
        p.push(measure(
            Command::new(&python)
                .arg(&script)
                .arg("concurrent")
                .arg(&commit_dir)
                .args([threads.to_string(), per_thread.to_string()])
                .arg(&fragments),
        ));
    }
    commits.push((
        format!("{threads} concurrent appenders x {per_thread} commits (commits/s)"),
        l,
        p,
    ));
    for _ in 0..reps {
        raw.push(raw_limits(
            &dir,
            std::fs::metadata(&lancer_file).unwrap().len() as usize,
        ));
    }
    let (raw_write, _, _) = median(raw.iter().map(|r| r.0).collect());
    let (raw_read, _, _) = median(raw.iter().map(|r| r.1).collect());
    let mb = arrow_bytes as f64 / 1e6;
    println!(
        "reference table: {rows} rows, {mb:.0} MB in Arrow; {reps} repetitions, median (min-max)"
    );
    println!(
        "{:<22} {:>22} {:>22} {:>8}",
        "case", "lancer MB/s", "pylance MB/s", "ratio"
    );
    for (name, lancer, pylance) in &results {
        let (lm, llo, lhi) = median(lancer.iter().map(|m| mb / m.seconds).collect());
        let (pm, plo, phi) = median(pylance.iter().map(|m| mb / m.seconds).collect());
        println!(
            "{name:<22} {lm:>8.0} ({llo:>5.0}-{lhi:>5.0}) {pm:>8.0} ({plo:>5.0}-{phi:>5.0}) {:>7.2}x",
            lm / pm
        );
    }
    println!(
        "raw file IO of the same byte count: write {raw_write:.0} MB/s, read {raw_read:.0} MB/s"
    );
    let (lancer_rss, _, _) = median(
        results[0]
            .1
            .iter()
            .map(|m| m.peak_rss_bytes as f64 / 1e6)
            .collect(),
    );
    let (pylance_rss, _, _) = median(
        results[0]
            .2
            .iter()
            .map(|m| m.peak_rss_bytes as f64 / 1e6)
            .collect(),
    );
    println!(
        "peak RSS while writing: lancer {lancer_rss:.0} MB, pylance {pylance_rss:.0} MB ({:.2}x)",
        lancer_rss / pylance_rss
    );
    for (name, lancer, pylance) in &commits {
        if name.contains("(ms)") {
            let (lm, llo, lhi) = median(lancer.iter().map(|m| m.seconds * 1e3).collect());
            let (pm, plo, phi) = median(pylance.iter().map(|m| m.seconds * 1e3).collect());
            println!(
                "{name:<60} lancer {lm:.1} ({llo:.1}-{lhi:.1}), pylance {pm:.1} ({plo:.1}-{phi:.1}): lancer {:.2}x faster",
                pm / lm
            );
        } else {
            let rate = |m: &Measurement| m.rows as f64 / m.seconds;
            let (lm, llo, lhi) = median(lancer.iter().map(rate).collect());
            let (pm, plo, phi) = median(pylance.iter().map(rate).collect());
            let expected = (threads * per_thread) as u64;
            let lost_l: u64 = lancer.iter().map(|m| expected - m.rows).sum();
            let lost_p: u64 = pylance.iter().map(|m| expected - m.rows).sum();
            println!(
                "{name:<60} lancer {lm:.0} ({llo:.0}-{lhi:.0}), pylance {pm:.0} ({plo:.0}-{phi:.0}): lancer {:.2}x; commits lost: lancer {lost_l}, pylance {lost_p}",
                lm / pm
            );
        }
    }
    let lancer_size = std::fs::metadata(&lancer_file).unwrap().len() as f64 / 1e6;
    let pylance_size = std::fs::metadata(&pylance_file).unwrap().len() as f64 / 1e6;
    println!("file size: lancer {lancer_size:.0} MB, pylance {pylance_size:.0} MB");
}
