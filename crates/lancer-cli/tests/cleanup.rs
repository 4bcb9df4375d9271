//! `lancer cleanup` and `lancer abort` as a scheduler runs them: orphans of a failed job
//! kept within the grace period and removed after it or by abort, committed files never
//! touched, and cleanups killed at random points that leave a dataset which opens and a
//! re-run that finishes.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::*;

fn versions(uri: &str) -> usize {
    let list: serde_json::Value =
        serde_json::from_str(&ok(&[&"versions", &uri, &"--json"])).unwrap();
    list.as_array().unwrap().len()
}

fn data_files(uri: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(Path::new(uri).join("data"))
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A dataset of `overwrites` versions, each an Overwrite of one small file.
fn overwritten(dir: &Path, overwrites: usize) -> String {
    let uri = dir.join("ds").to_str().unwrap().to_string();
    for v in 0..overwrites {
        let csv = dir.join(format!("v{v}.csv"));
        write_csv(&csv, (v as i64) * 10..(v as i64) * 10 + 10);
        let out = dir.join(format!("v{v}.json"));
        ok(&[
            &"write-fragments",
            &uri,
            &csv,
            &"--output",
            &out,
            &"--quiet",
        ]);
        let read = v.to_string();
        ok(&[
            &"commit",
            &uri,
            &"--operation",
            &"overwrite",
            &"--read-version",
            &read,
            &out,
        ]);
    }
    uri
}

#[test]
fn orphans_of_a_failed_job_wait_for_the_grace_period_or_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    let uri = overwritten(dir.path(), 1);
    // A failed job: two workers wrote, nobody committed.
    let csv = dir.path().join("more.csv");
    write_csv(&csv, 100..110);
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    ok(&[&"write-fragments", &uri, &csv, &"--output", &a]);
    ok(&[&"write-fragments", &uri, &csv, &"--output", &b]);
    assert_eq!(data_files(&uri).len(), 3);
    let report: serde_json::Value =
        serde_json::from_str(&ok(&[&"cleanup", &uri, &"--json"])).unwrap();
    assert_eq!(report["young_files_kept"], 2, "{report}");
    assert_eq!(data_files(&uri).len(), 3);
    // The first job's file is eight days old by its clock: a cleanup takes it.
    let fragment: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&a).unwrap()).unwrap();
    let old = Path::new(&uri)
        .join("data")
        .join(fragment[0]["files"][0]["path"].as_str().unwrap());
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(8 * 24 * 3600))
        .unwrap();
    let dry = ok(&[&"cleanup", &uri, &"--dry-run"]);
    assert!(
        dry.contains("would remove 0 versions") && dry.contains("1 data files"),
        "{dry}"
    );
    assert!(old.exists());
    let report: serde_json::Value =
        serde_json::from_str(&ok(&[&"cleanup", &uri, &"--json"])).unwrap();
    assert_eq!(report["data_files_removed"], 1, "{report}");
    assert!(!old.exists());
    // The second by abort; again, it finds it gone.
    let out = ok(&[&"abort", &uri, &b]);
    assert!(out.starts_with("removed data/"), "{out}");
    assert!(ok(&[&"abort", &uri, &b]).starts_with("already gone"));
    assert_eq!(data_files(&uri).len(), 1);
    // The committed fragments cannot be aborted: nothing removed, the reason, exit 1.
    let committed = dir.path().join("v0.json");
    fails(
        &[&"abort", &uri, &committed],
        1,
        "committed versions reference",
    );
    assert_eq!(data_files(&uri).len(), 1);
    assert!(ok(&[&"validate", &uri]).contains("all present"));
    // A path out of the dataset is refused like a commit refuses it.
    let evil = dir.path().join("evil.json");
    std::fs::write(
        &evil,
        std::fs::read_to_string(&committed)
            .unwrap()
            .replacen("\"path\": \"", "\"path\": \"../", 1),
    )
    .unwrap();
    fails(&[&"abort", &uri, &evil], 1, "..");
}

#[test]
fn cleanup_removes_old_versions_and_only_their_files() {
    let dir = tempfile::tempdir().unwrap();
    let uri = overwritten(dir.path(), 5);
    assert_eq!(versions(&uri), 5);
    assert_eq!(data_files(&uri).len(), 5);
    // Recent versions are kept by the default age of 14 days.
    let report: serde_json::Value =
        serde_json::from_str(&ok(&[&"cleanup", &uri, &"--json"])).unwrap();
    assert_eq!(report["removed_versions"], serde_json::json!([]));
    let report: serde_json::Value = serde_json::from_str(&ok(&[
        &"cleanup",
        &uri,
        &"--retain-versions",
        &"2",
        &"--json",
    ]))
    .unwrap();
    assert_eq!(report["removed_versions"], serde_json::json!([1, 2, 3]));
    assert_eq!(report["data_files_removed"], 3);
    assert_eq!(versions(&uri), 2);
    assert_eq!(data_files(&uri).len(), 2);
    assert!(ok(&[&"validate", &uri]).contains("all present"));
    let show: serde_json::Value = serde_json::from_str(&ok(&[&"show", &uri, &"--json"])).unwrap();
    assert_eq!(show["version"], 5);
    fails(&[&"cleanup", &uri, &"--older-than", &"soon"], 2, "soon");
}

/// A small random number generator (the seed is printed, so a failure can be replayed).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn cleanups_killed_anywhere_leave_a_dataset_that_opens() {
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("kill points seed: {seed}");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let template = overwritten(dir.path(), 30);
    let args = ["cleanup", "--older-than", "0s", "--grace", "0s", "--quiet"];
    // How long a whole cleanup takes, to pick kill points within it.
    let timing = dir.path().join("timing");
    copy_tree(Path::new(&template), &timing);
    let start = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_lancer"))
        .args([args[0], timing.to_str().unwrap()])
        .args(&args[1..])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let whole = start.elapsed().as_micros() as u64;
    let expected = data_files(timing.to_str().unwrap());
    assert_eq!(expected.len(), 1);
    for run in 0..32 {
        let uri = dir.path().join(format!("run{run}"));
        copy_tree(Path::new(&template), &uri);
        let uri = uri.to_str().unwrap().to_string();
        let delay = Duration::from_micros(rng.below(whole + whole / 4));
        let mut child = Command::new(env!("CARGO_BIN_EXE_lancer"))
            .args([args[0], &uri])
            .args(&args[1..])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        child.wait().unwrap();
        // Whatever was removed, the latest version opens and every file it needs is there.
        let show: serde_json::Value =
            serde_json::from_str(&ok(&[&"show", &uri, &"--json"])).unwrap();
        assert_eq!(
            show["version"], 30,
            "run {run} (seed {seed}, delay {delay:?})"
        );
        assert!(
            ok(&[&"validate", &uri]).contains("all present"),
            "run {run} (seed {seed})"
        );
        // Every version still listed opens too.
        let listed: serde_json::Value =
            serde_json::from_str(&ok(&[&"versions", &uri, &"--json"])).unwrap();
        for v in listed.as_array().unwrap() {
            let version = v["version"].to_string();
            ok(&[&"show", &uri, &"--version", &version]);
        }
        // A re-run finishes the job.
        ok(&[&"cleanup", &uri, &"--older-than", &"0s", &"--grace", &"0s"]);
        assert_eq!(versions(&uri), 1, "run {run} (seed {seed})");
        assert_eq!(data_files(&uri), expected, "run {run} (seed {seed})");
    }
}

#[test]
fn cleanup_processes_racing_worker_and_coordinator_processes_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let uri = overwritten(dir.path(), 1);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let cleaner = {
        let (uri, stop) = (uri.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut runs = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                ok(&[&"cleanup", &uri, &"--older-than", &"0s", &"--quiet"]);
                runs += 1;
            }
            runs
        })
    };
    // Two writer processes at a time, each appending ten batches: write, read the latest
    // version, commit on it.
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (uri, dir) = (uri.clone(), dir.path().to_path_buf());
            std::thread::spawn(move || {
                for i in 0..10i64 {
                    let start = 1000 * (w + 1) + 10 * i;
                    let csv = dir.join(format!("w{w}-{i}.csv"));
                    write_csv(&csv, start..start + 10);
                    let out = dir.join(format!("w{w}-{i}.json"));
                    ok(&[
                        &"write-fragments",
                        &uri,
                        &csv,
                        &"--output",
                        &out,
                        &"--quiet",
                    ]);
                    // A cleanup may remove the version read before the commit lands: the
                    // commit then asks to be rebuilt (exit 4), and is, on the latest.
                    loop {
                        let show: serde_json::Value =
                            serde_json::from_str(&ok(&[&"show", &uri, &"--json"])).unwrap();
                        let read = show["version"].to_string();
                        let output = lancer(&[
                            &"commit",
                            &uri,
                            &"--operation",
                            &"append",
                            &"--read-version",
                            &read,
                            &out,
                        ]);
                        match output.status.code() {
                            Some(0) => break,
                            Some(4) => continue,
                            other => panic!("commit exit {other:?}: {}", stderr(&output)),
                        }
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(cleaner.join().unwrap() > 0);
    let show: serde_json::Value = serde_json::from_str(&ok(&[&"show", &uri, &"--json"])).unwrap();
    assert_eq!(show["rows"], 10 + 2 * 10 * 10);
    assert!(ok(&[&"validate", &uri]).contains("all present"));
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&[&"versions", &uri, &"--json"])).unwrap();
    for v in listed.as_array().unwrap() {
        let version = v["version"].to_string();
        ok(&[&"scan", &uri, &"--version", &version, &"--limit", &"1"]);
    }
}

#[test]
fn a_job_tag_finds_files_no_worker_reported() {
    let dir = tempfile::tempdir().unwrap();
    let uri = overwritten(dir.path(), 1);
    let csv = dir.path().join("more.csv");
    write_csv(&csv, 100..110);
    // Two workers of job 4711 wrote; neither reported its fragments (their output is lost).
    for _ in 0..2 {
        ok(&[
            &"write-fragments",
            &uri,
            &csv,
            &"--job",
            &"slurm4711",
            &"--max-rows-per-file",
            &"5",
            &"--quiet",
        ]);
    }
    // Another job's file stays.
    ok(&[
        &"write-fragments",
        &uri,
        &csv,
        &"--job",
        &"slurm4712",
        &"--quiet",
    ]);
    assert_eq!(data_files(&uri).len(), 6);
    let out = ok(&[&"abort", &uri, &"--job", &"slurm4711"]);
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with("removed data/"))
            .count(),
        4,
        "{out}"
    );
    let left = data_files(&uri);
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(
        left.iter()
            .any(|name| name.ends_with("_job_slurm4712.lance")),
        "{left:?}"
    );
    assert_eq!(ok(&[&"abort", &uri, &"--job", &"slurm4711"]), "");
    fails(&[&"abort", &uri, &"--job", &"../x"], 1, "job tag");
    fails(
        &[&"write-fragments", &uri, &csv, &"--job", &"Bad/Tag"],
        1,
        "job tag",
    );
    assert!(ok(&[&"validate", &uri]).contains("all present"));
}
