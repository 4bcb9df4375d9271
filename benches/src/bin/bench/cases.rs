//! The cases: what is measured, how each side is run, and what it is compared with.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use lancer_benches::measure::Measurement;
use lancer_benches::reference;

/// How a run is configured.
pub struct Config {
    pub rows: usize,
    pub reps: usize,
    pub quick: bool,
    pub dir: PathBuf,
    pub python: PathBuf,
}

/// Which way is better for a case's figure.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

/// One case's measurements.
pub struct CaseResult {
    pub name: String,
    pub unit: &'static str,
    pub better: Better,
    /// The target for lancer / pylance (as a ratio of the figures).
    pub target: Option<f64>,
    pub lancer: Vec<f64>,
    pub pylance: Vec<f64>,
    /// pylance writing its default file version (2.2), where it applies.
    pub pylance_v22: Vec<f64>,
    /// Bytes read from storage by each side (median), where counted.
    pub read_bytes: Option<(u64, u64)>,
    /// The physical limit the figure is compared with (same unit), if any.
    pub limit: Option<f64>,
    /// Commits lost (reported as landed but missing from the dataset) or duplicated, by
    /// each side, for the concurrency case.
    pub lost: Option<(u64, u64)>,
    /// Commits that gave up (and said so to their caller), by each side.
    pub gave_up: Option<(u64, u64)>,
}

impl CaseResult {
    /// A case with lancer's and pylance's figures and nothing else.
    pub fn new(
        name: impl Into<String>,
        unit: &'static str,
        better: Better,
        target: Option<f64>,
        lancer: Vec<f64>,
        pylance: Vec<f64>,
    ) -> Self {
        CaseResult {
            name: name.into(),
            unit,
            better,
            target,
            lancer,
            pylance,
            pylance_v22: Vec::new(),
            read_bytes: None,
            limit: None,
            lost: None,
            gave_up: None,
        }
    }
}

/// Bytes of one column in the 2.2 datasets each side wrote of the reference table.
pub struct ColumnSize {
    pub column: String,
    pub lancer: u64,
    pub pylance: u64,
}

/// Everything a run produced.
pub struct Results {
    pub cases: Vec<CaseResult>,
    /// Per column of the reference table, 2.2 files of both sides.
    pub sizes: Vec<ColumnSize>,
    pub arrow_mb: f64,
    pub raw_write_mbps: f64,
    pub raw_read_mbps: f64,
}

fn spawn(program: &Path, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Child {
    let mut command = Command::new(program);
    for arg in args {
        command.arg(arg);
    }
    command
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
}

fn finish(child: Child, what: &str) -> Measurement {
    let output = child.wait_with_output().expect("measured process");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{text}",
        output.status
    );
    Measurement::parse(&text).unwrap_or_else(|| panic!("{what} printed no measurement:\n{text}"))
}

/// One side of the comparison: lancer's `bench measure ...` or the pylance script.
#[derive(Clone)]
struct Side {
    program: PathBuf,
    prefix: Vec<String>,
}

impl Side {
    /// `lancer` or `pylance`.
    fn name(&self) -> &'static str {
        if self.prefix.iter().any(|p| p.ends_with(".py")) {
            "pylance"
        } else {
            "lancer"
        }
    }

    fn start(&self, case: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Child {
        let mut all: Vec<&dyn AsRef<std::ffi::OsStr>> = self
            .prefix
            .iter()
            .map(|p| p as &dyn AsRef<std::ffi::OsStr>)
            .collect();
        all.push(&case);
        all.extend_from_slice(args);
        spawn(&self.program, &all)
    }

    fn run(&self, case: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Measurement {
        finish(self.start(case, args), case)
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    sorted[sorted.len() / 2]
}

/// Removes what a previous repetition left at `dir`, and lets the file system finish
/// freeing it before anything is timed.
fn fresh(dir: &Path) -> String {
    if std::fs::remove_dir_all(dir).is_ok() {
        settle();
    }
    dir.to_str().expect("UTF-8 path").to_string()
}

/// Writes the reference table once (both sides read this same file).
fn reference_input(config: &Config) -> (PathBuf, f64) {
    let path = config.dir.join(format!("reference-{}.arrow", config.rows));
    if !path.exists() {
        let tmp = config.dir.join("reference.arrow.tmp");
        let mut writer = arrow_ipc::writer::FileWriter::try_new(
            File::create(&tmp).expect("input"),
            &reference::schema(),
        )
        .expect("IPC");
        for batch in reference::batches(config.rows, 65_536) {
            writer.write(&batch).expect("IPC write");
        }
        writer.finish().expect("IPC finish");
        std::fs::rename(&tmp, &path).expect("rename");
    }
    let mut bytes = 0;
    for batch in arrow_ipc::reader::FileReader::try_new(File::open(&path).expect("input"), None)
        .expect("IPC")
    {
        // The slices' own bytes, not the IPC body every column of a batch shares.
        bytes += batch
            .expect("batch")
            .columns()
            .iter()
            .map(|c| c.to_data().get_slice_memory_size().expect("size"))
            .sum::<usize>();
    }
    (path, bytes as f64 / 1e6)
}

/// Flushes dirty pages left by earlier cases, so that no measurement pays for (or is
/// throttled by) the writeback of another's files.
fn settle() {
    let _ = Command::new("sync").status();
}

/// Runs `f(rep)` for lancer and pylance alternately, `reps` times each.
fn alternate<T>(
    reps: usize,
    mut lancer: impl FnMut(usize) -> T,
    mut pylance: impl FnMut(usize) -> T,
) -> (Vec<T>, Vec<T>) {
    let (mut l, mut p) = (Vec::new(), Vec::new());
    for rep in 0..reps {
        settle();
        l.push(lancer(rep));
        settle();
        p.push(pylance(rep));
    }
    (l, p)
}

pub fn run(config: &Config) -> Results {
    std::fs::create_dir_all(&config.dir).expect("bench directory");
    let dir = config.dir.canonicalize().expect("bench directory");
    let (input, arrow_mb) = reference_input(config);
    let lancer = Side {
        program: std::env::current_exe().expect("this program"),
        prefix: vec!["measure".into()],
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pylance_bench.py");
    let pylance = Side {
        program: config.python.clone(),
        prefix: vec![script.to_str().expect("path").to_string()],
    };
    let mut cases = Vec::new();
    let throughput =
        |ms: &[Measurement]| ms.iter().map(|m| arrow_mb / m.seconds).collect::<Vec<_>>();

    // An untimed round first: a run's first writes touch fresh memory and disk blocks.
    let warm = dir.join("warm");
    lancer.run(
        "write",
        &[
            &input,
            &fresh(&warm),
            &"0",
            &"1",
            &dir.join("warm.json"),
            &"2.0",
        ],
    );
    pylance.run(
        "write",
        &[
            &input,
            &fresh(&warm),
            &"2.0",
            &"0",
            &"1",
            &dir.join("warm.json"),
        ],
    );

    // 1. write_fragments, one process (v2.0 both; pylance's 2.2 alongside).
    let (ld, pd) = (dir.join("lancer-ds"), dir.join("pylance-ds"));
    let (lj, pj) = (
        dir.join("lancer-fragments.json"),
        dir.join("pylance-fragments.json"),
    );
    let (lw, pw) = alternate(
        config.reps,
        |_| lancer.run("write", &[&input, &fresh(&ld), &"0", &"1", &lj, &"2.0"]),
        |_| pylance.run("write", &[&input, &fresh(&pd), &"2.0", &"0", &"1", &pj]),
    );
    // The same in file version 2.2 (pylance's default), lancer and pylance alternating.
    let (l22d, l22j) = (dir.join("lancer-22"), dir.join("l22.json"));
    let (lw22, p22) = alternate(
        config.reps,
        |_| lancer.run("write", &[&input, &fresh(&l22d), &"0", &"1", &l22j, &"2.2"]),
        |_| {
            pylance.run(
                "write",
                &[
                    &input,
                    &fresh(&dir.join("pylance-22")),
                    &"2.2",
                    &"0",
                    &"1",
                    &dir.join("p22.json"),
                ],
            )
        },
    );
    cases.push(CaseResult {
        pylance_v22: throughput(&p22),
        ..CaseResult::new(
            "write_fragments, 1 process",
            "MB/s",
            Better::Higher,
            Some(2.5),
            throughput(&lw),
            throughput(&pw),
        )
    });
    cases.push(CaseResult {
        pylance_v22: p22.iter().map(|m| m.peak_rss_bytes as f64 / 1e6).collect(),
        ..CaseResult::new(
            "peak RSS while writing",
            "MB",
            Better::Lower,
            Some(0.5),
            lw.iter().map(|m| m.peak_rss_bytes as f64 / 1e6).collect(),
            pw.iter().map(|m| m.peak_rss_bytes as f64 / 1e6).collect(),
        )
    });
    // Wall time on a shared machine swings with the kernel's page cache; the CPU the
    // writer itself used is steadier, and says how much room it leaves to other work.
    let cpu = |ms: &[Measurement]| ms.iter().map(|m| m.cpu_seconds).collect::<Vec<_>>();
    cases.push(CaseResult {
        pylance_v22: cpu(&p22),
        ..CaseResult::new(
            "CPU time while writing (user + system)",
            "CPU s",
            Better::Lower,
            None,
            cpu(&lw),
            cpu(&pw),
        )
    });
    cases.push(CaseResult::new(
        "write_fragments, 1 process, file version 2.2 both",
        "MB/s",
        Better::Higher,
        None,
        throughput(&lw22),
        throughput(&p22),
    ));
    cases.push(CaseResult::new(
        "peak RSS while writing 2.2",
        "MB",
        Better::Lower,
        None,
        lw22.iter().map(|m| m.peak_rss_bytes as f64 / 1e6).collect(),
        p22.iter().map(|m| m.peak_rss_bytes as f64 / 1e6).collect(),
    ));
    cases.push(CaseResult::new(
        "CPU time while writing 2.2 (user + system)",
        "CPU s",
        Better::Lower,
        None,
        cpu(&lw22),
        cpu(&p22),
    ));
    // The written fragments become datasets to scan.
    lancer.run("overwrite", &[&ld, &lj]);
    lancer.run("overwrite", &[&l22d, &l22j]);
    pylance.run("overwrite", &[&pd, &input, &pj]);
    pylance.run(
        "overwrite",
        &[&dir.join("pylance-22"), &input, &dir.join("p22.json")],
    );

    // 2. the same input split over 4 worker processes writing at once, in the version both
    // write by default (2.2).
    let workers = 4;
    let parallel = |side: &Side, target: &Path, pylance_args: bool| -> Measurement {
        let uri = fresh(target);
        let children: Vec<Child> = (0..workers)
            .map(|k| {
                let (part, parts, out) = (
                    k.to_string(),
                    workers.to_string(),
                    dir.join(format!("part-{k}.json")),
                );
                if pylance_args {
                    side.start("write", &[&input, &uri, &"2.2", &part, &parts, &out])
                } else {
                    side.start("write", &[&input, &uri, &part, &parts, &out, &"2.2"])
                }
            })
            .collect();
        let parts: Vec<Measurement> = children
            .into_iter()
            .map(|c| finish(c, "parallel write"))
            .collect();
        let start = parts.iter().map(|m| m.start).fold(f64::MAX, f64::min);
        let end = parts.iter().map(|m| m.end).fold(0.0, f64::max);
        Measurement {
            seconds: end - start,
            rows: parts.iter().map(|m| m.rows).sum(),
            ..Measurement::default()
        }
    };
    let (l4, p4) = alternate(
        config.reps,
        |_| parallel(&lancer, &dir.join("lancer-4"), false),
        |_| parallel(&pylance, &dir.join("pylance-4"), true),
    );
    cases.push(CaseResult::new(
        format!("write_fragments, {workers} processes at once, file version 2.2 both"),
        "MB/s",
        Better::Higher,
        None,
        throughput(&l4),
        throughput(&p4),
    ));

    // 3. scans: everything, one scalar column, the vector column.
    for (name, column) in [
        ("scan, all columns", None),
        ("scan, one scalar column (value)", Some("value")),
        ("scan, vector column", Some("vector")),
    ] {
        let scan = |side: &Side, uri: &Path| match column {
            None => side.run("scan", &[&uri]),
            Some(c) => side.run("scan", &[&uri, &c]),
        };
        let (ls, ps) = alternate(config.reps, |_| scan(&lancer, &ld), |_| scan(&pylance, &pd));
        let p22 = if column.is_none() {
            (0..config.reps)
                .map(|_| {
                    settle();
                    scan(&pylance, &dir.join("pylance-22"))
                })
                .collect()
        } else {
            Vec::new()
        };
        let bytes = |ms: &[Measurement]| {
            median(&ms.iter().map(|m| m.read_bytes as f64).collect::<Vec<_>>()) as u64
        };
        let megabytes = match column {
            None => arrow_mb,
            Some(c) => arrow_mb * reference::column_share(c),
        };
        let rate =
            |ms: &[Measurement]| ms.iter().map(|m| megabytes / m.seconds).collect::<Vec<_>>();
        cases.push(CaseResult {
            pylance_v22: rate(&p22),
            read_bytes: Some((bytes(&ls), bytes(&ps))),
            ..CaseResult::new(
                name,
                "MB/s",
                Better::Higher,
                Some(2.0),
                rate(&ls),
                rate(&ps),
            )
        });
        if column.is_none() {
            cases.push(CaseResult::new(
                "CPU time of the full scan (user + system)",
                "CPU s",
                Better::Lower,
                None,
                cpu(&ls),
                cpu(&ps),
            ));
        }
    }

    // 4. files in pylance's default format (2.2): the size of each side's files, column by
    // column; each side scanning its own; both sides scanning the dataset pylance wrote.
    let sizes_of = |uri: &Path| -> serde_json::Value {
        let output = Command::new(std::env::current_exe().expect("this program"))
            .args(["measure", "sizes"])
            .arg(uri)
            .output()
            .expect("sizes");
        assert!(output.status.success(), "sizes of {}", uri.display());
        serde_json::from_slice(&output.stdout).expect("sizes JSON")
    };
    let (ours, theirs) = (sizes_of(&l22d), sizes_of(&dir.join("pylance-22")));
    let sizes: Vec<ColumnSize> = reference::schema()
        .fields()
        .iter()
        .map(|f| ColumnSize {
            column: f.name().clone(),
            lancer: ours["columns"][f.name()].as_u64().unwrap_or(0),
            pylance: theirs["columns"][f.name()].as_u64().unwrap_or(0),
        })
        .collect();
    let megabytes = |v: &serde_json::Value| v["files"].as_u64().unwrap_or(0) as f64 / 1e6;
    cases.push(CaseResult::new(
        "dataset size, file version 2.2 both",
        "MB",
        Better::Lower,
        None,
        vec![megabytes(&ours)],
        vec![megabytes(&theirs)],
    ));
    let (lo, po) = alternate(
        config.reps,
        |_| lancer.run("scan", &[&l22d]),
        |_| pylance.run("scan", &[&dir.join("pylance-22")]),
    );
    cases.push(CaseResult::new(
        "scan of 2.2 datasets, each side its own, all columns",
        "MB/s",
        Better::Higher,
        None,
        throughput(&lo),
        throughput(&po),
    ));
    // Both sides on pylance's files.
    let v22 = dir.join("pylance-22");
    let (l22, p22) = alternate(
        config.reps,
        |_| lancer.run("scan", &[&v22]),
        |_| pylance.run("scan", &[&v22]),
    );
    let rate = |ms: &[Measurement]| ms.iter().map(|m| arrow_mb / m.seconds).collect::<Vec<_>>();
    cases.push(CaseResult::new(
        "scan of pylance's 2.2 dataset, all columns",
        "MB/s",
        Better::Higher,
        Some(2.0),
        rate(&l22),
        rate(&p22),
    ));

    // 5. commit latency: an Append of 1,000 fragments.
    let commit_dir = dir.join("commit");
    // Fragments to commit: copies of one written fragment under distinct file names (a
    // version lists each data file once; the files need not exist, validation is off on
    // both sides).
    let text = std::fs::read_to_string(&lj).expect("fragments");
    let copies = |tag: &str, n: usize| -> PathBuf {
        let path = dir.join(format!("commit-{tag}-{n}.json"));
        std::fs::write(&path, renamed_copies(&text, tag, n)).expect("fragments");
        path
    };
    let setup = |fragments: usize| -> (PathBuf, PathBuf) {
        let uri = fresh(&commit_dir);
        lancer.run("overwrite", &[&uri, &"--schema-of", &ld, &lj]);
        (commit_dir.clone(), copies("new", fragments))
    };
    let (lc, pc) = alternate(
        config.reps,
        |_| {
            let (uri, many) = setup(1000);
            lancer.run("commit", &[&uri, &many])
        },
        |_| {
            let (uri, many) = setup(1000);
            pylance.run("commit", &[&uri, &many])
        },
    );
    let ms = |v: &[Measurement]| v.iter().map(|m| m.seconds * 1e3).collect::<Vec<_>>();
    cases.push(CaseResult::new(
        "commit latency, Append of 1,000 fragments",
        "ms",
        Better::Lower,
        Some(0.5),
        ms(&lc),
        ms(&pc),
    ));

    // 6. commits per second, 16 concurrent appenders.
    let (threads, commits) = (16, if config.quick { 3 } else { 10 });
    // Each run: how many commits said they landed, and how many fragments the dataset
    // gained (counted by lancer for both sides; it starts with one).
    let concurrent = |side: &Side| -> (Measurement, u64) {
        let (uri, one) = setup(threads * commits);
        let m = side.run(
            "concurrent",
            &[&uri, &threads.to_string(), &commits.to_string(), &one],
        );
        let fragments = lancer.run("count", &[&uri]).rows;
        (m, fragments - 1)
    };
    let (lq, pq) = alternate(
        config.reps,
        |_| concurrent(&lancer),
        |_| concurrent(&pylance),
    );
    let expected = (threads * commits) as u64;
    let lost = |v: &[(Measurement, u64)]| {
        v.iter()
            .map(|(m, gained)| m.rows.abs_diff(*gained))
            .sum::<u64>()
    };
    let gave_up = |v: &[(Measurement, u64)]| v.iter().map(|(m, _)| expected - m.rows).sum::<u64>();
    let rate = |v: &[(Measurement, u64)]| {
        v.iter()
            .map(|(m, _)| m.rows as f64 / m.seconds)
            .collect::<Vec<_>>()
    };
    cases.push(CaseResult {
        lost: Some((lost(&lq), lost(&pq))),
        gave_up: Some((gave_up(&lq), gave_up(&pq))),
        ..CaseResult::new(
            format!("commits/s, {threads} concurrent appenders x {commits}"),
            "commits/s",
            Better::Higher,
            Some(2.0),
            rate(&lq),
            rate(&pq),
        )
    });

    // 7. a 1-fragment Append on datasets of 10k and 100k fragments.
    if !config.quick {
        for size in [10_000usize, 100_000] {
            let grown = |_| -> (PathBuf, PathBuf) {
                let (uri, one) = setup(1);
                lancer.run("grow", &[&uri, &copies("grow", size)]);
                (uri, one)
            };
            let (lg, pg) = alternate(
                config.reps,
                |rep| {
                    let (uri, one) = grown(rep);
                    lancer.run("commit", &[&uri, &one])
                },
                |rep| {
                    let (uri, one) = grown(rep);
                    pylance.run("commit", &[&uri, &one])
                },
            );
            cases.push(CaseResult::new(
                format!("commit latency, 1-fragment Append at {size} fragments"),
                "ms",
                Better::Lower,
                Some(0.2),
                ms(&lg),
                ms(&pg),
            ));
            // A worker writing one small file (a thousandth of the input's batches) into
            // that dataset: its open must not grow with the fragment count.
            let out = dir.join("worker-write.json");
            let (lw, pw) = alternate(
                config.reps,
                |rep| {
                    let (uri, _) = grown(rep);
                    lancer.run("write", &[&input, &uri, &"0", &"1000", &out, &"2.0"])
                },
                |rep| {
                    let (uri, _) = grown(rep);
                    pylance.run("write", &[&input, &uri, &"2.0", &"0", &"1000", &out])
                },
            );
            cases.push(CaseResult::new(
                format!("worker write of one small file at {size} fragments"),
                "ms",
                Better::Lower,
                Some(0.2),
                ms(&lw),
                ms(&pw),
            ));
        }
    }

    // 8. compaction: the reference table as fragments of 1,000 rows (2.2), compacted into
    // fragments of 1,048,576; each repetition works on a fresh copy of the same dataset.
    let source = dir.join("compact-source");
    if !source.join("_versions").exists() {
        let _ = std::fs::remove_dir_all(&source);
        lancer.run("small-files", &[&input, &source, &"1000"]);
    }
    let run_dir = dir.join("compact-run");
    let copy = || -> String {
        let target = fresh(&run_dir);
        copy_tree(&source, &run_dir);
        settle();
        target
    };
    let (lk, pk) = alternate(
        config.reps,
        |_| lancer.run("compact", &[&copy(), &"1048576"]),
        |_| pylance.run("compact", &[&copy(), &"1048576"]),
    );
    let fragments = config.rows.div_ceil(1000);
    cases.push(CaseResult::new(
        format!("compaction of {fragments} fragments of 1,000 rows"),
        "s",
        Better::Lower,
        Some(0.5),
        lk.iter().map(|m| m.seconds).collect(),
        pk.iter().map(|m| m.seconds).collect(),
    ));
    cases.push(CaseResult::new(
        "peak RSS while compacting",
        "MB",
        Better::Lower,
        Some(0.5),
        lk.iter().map(|m| m.peak_rss_bytes as f64 / 1e6).collect(),
        pk.iter().map(|m| m.peak_rss_bytes as f64 / 1e6).collect(),
    ));

    // 9. cleanup of files no version references (a failed job's leftovers), on the local
    // disk and on the S3 server (moto) when `cargo xtask bench` started one.
    let mut stores: Vec<(String, String, Vec<String>, usize)> = vec![(
        "local disk".into(),
        dir.join("cleanup-local")
            .to_str()
            .expect("UTF-8")
            .to_string(),
        Vec::new(),
        if config.quick { 2_000 } else { 100_000 },
    )];
    if std::env::var_os("LANCER_S3_ENDPOINT").is_some()
        && let Some(endpoint) = lancer_testkit::servers::s3("bench cleanup")
    {
        let options = endpoint
            .options
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        stores.push((
            "S3 (moto)".into(),
            endpoint.uri("bench-cleanup"),
            options,
            if config.quick { 500 } else { 20_000 },
        ));
    }
    for (store, uri, options, files) in stores {
        let count = files.to_string();
        let prepare = |side: &Side, rep: usize| -> Measurement {
            let uri = format!("{uri}-{rep}-{}", side.name());
            if !uri.contains("://") {
                // A local dataset left by an earlier run.
                fresh(Path::new(&uri));
            }
            let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&uri, &count];
            for option in &options {
                args.push(option);
            }
            lancer.run("orphans", &args);
            settle();
            let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&uri];
            for option in &options {
                args.push(option);
            }
            side.run("cleanup", &args)
        };
        let (lc, pc) = alternate(
            config.reps,
            |rep| prepare(&lancer, rep),
            |rep| prepare(&pylance, rep),
        );
        for (m, side) in lc
            .iter()
            .map(|m| (m, "lancer"))
            .chain(pc.iter().map(|m| (m, "pylance")))
        {
            assert_eq!(
                m.rows, files as u64,
                "{side} removed {} of {files} files on {store}",
                m.rows
            );
        }
        cases.push(CaseResult::new(
            format!("cleanup of {files} unreferenced files, {store}"),
            "s",
            Better::Lower,
            Some(if store == "local disk" { 1.0 } else { 0.2 }),
            lc.iter().map(|m| m.seconds).collect(),
            pc.iter().map(|m| m.seconds).collect(),
        ));
    }

    // Physical limits, measured in the same run on the same byte count.
    let bytes = std::fs::metadata(&input).expect("input").len() as usize;
    let limits: Vec<(f64, f64)> = (0..config.reps.max(2))
        .map(|_| {
            settle();
            crate::lancer_side::raw_limits(&dir, bytes)
        })
        .collect();
    let raw_write_mbps = median(&limits.iter().map(|l| l.0).collect::<Vec<_>>());
    let raw_read_mbps = median(&limits.iter().map(|l| l.1).collect::<Vec<_>>());
    for case in &mut cases {
        if case.unit == "MB/s" {
            case.limit = Some(if case.name.starts_with("write") {
                raw_write_mbps
            } else {
                raw_read_mbps
            });
        }
    }
    Results {
        cases,
        sizes,
        arrow_mb,
        raw_write_mbps,
        raw_read_mbps,
    }
}

/// `n` copies of the first fragment of a JSON array, as a JSON array, the i-th naming its
/// data file `{tag}-{i}-{name}`.
fn renamed_copies(text: &str, tag: &str, n: usize) -> String {
    let first = lancer::fragments_from_json(text)
        .expect("fragment JSON")
        .remove(0);
    let copies: Vec<String> = (0..n)
        .map(|i| {
            let mut copy = first.clone();
            for file in &mut copy.files {
                file.path = format!("{tag}-{i:07}-{}", file.path);
            }
            copy.to_json()
        })
        .collect();
    format!("[{}]", copies.join(", "))
}

/// Copies a directory tree (a dataset) file by file.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("directory");
    for entry in std::fs::read_dir(from).expect("source") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}
