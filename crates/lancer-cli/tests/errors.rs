//! Every kind of error the facade has, provoked through the `lancer` command: each has its
//! exit code (the table in `src/error.rs`), one line on stderr, and nothing on stdout.

mod common;

use std::path::Path;

use common::*;
use lancer_testkit::oracle;

/// A dataset (version 1) from one CSV and a second worker's fragments waiting in `g.json`.
fn dataset(dir: &Path) -> String {
    let uri = dir.join("ds").to_str().unwrap().to_string();
    let csv = dir.join("a.csv");
    write_csv(&csv, 0..3);
    let f = dir.join("f.json");
    ok(&[&"write-fragments", &uri, &csv, &"--output", &f]);
    ok(&[
        &"commit",
        &uri,
        &"--operation",
        &"overwrite",
        &"--read-version",
        &"0",
        &f,
    ]);
    uri
}

fn commit(uri: &str, operation: &str, read: &str, file: &Path) -> Vec<String> {
    vec![
        "commit".into(),
        uri.into(),
        "--operation".into(),
        operation.into(),
        "--read-version".into(),
        read.into(),
        file.to_str().unwrap().into(),
    ]
}

fn run(args: &[String], code: i32, needle: &str) -> String {
    let refs: Vec<&dyn AsRef<std::ffi::OsStr>> = args
        .iter()
        .map(|a| a as &dyn AsRef<std::ffi::OsStr>)
        .collect();
    let output = lancer(&refs);
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
    assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
    fails(&refs, code, needle)
}

#[test]
fn every_error_kind_has_its_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dataset(dir.path());
    let csv = dir.path().join("b.csv");
    write_csv(&csv, 3..6);
    let worker = |name: &str| {
        let out = dir.path().join(name);
        ok(&[&"write-fragments", &uri, &csv, &"--output", &out]);
        out
    };

    // InvalidInput (1): a URI of no store lancer knows.
    run(
        &["show".into(), "ftp://host/ds".into()],
        1,
        "unsupported scheme",
    );
    // NotFound (6).
    let missing = dir.path().join("nothing-here");
    run(
        &["show".into(), missing.to_str().unwrap().into()],
        6,
        "is not a Lance dataset",
    );
    // Conflict (3): an Append built on version 1 after an Overwrite made version 2.
    let (g, h) = (worker("g.json"), worker("h.json"));
    ok(&[
        &"commit",
        &uri,
        &"--operation",
        &"overwrite",
        &"--read-version",
        &"1",
        &g,
    ]);
    run(&commit(&uri, "append", "1", &h), 3, "commit conflict");
    // Rebuild (4): a Merge built on version 2 after an Append made version 3.
    let lengths = dir.path().join("len.jsonl");
    std::fs::write(&lengths, "{\"n\": 1}\n{\"n\": 2}\n{\"n\": 3}\n").unwrap();
    let show: serde_json::Value = serde_json::from_str(&ok(&[&"show", &uri, &"--json"])).unwrap();
    let id = show["fragments"][0]["id"].to_string();
    let merged = dir.path().join("m.json");
    ok(&[
        &"merge-columns",
        &uri,
        &"--fragment",
        &id,
        &lengths,
        &"--output",
        &merged,
    ]);
    ok(&[
        &"commit",
        &uri,
        &"--operation",
        &"append",
        &"--read-version",
        &"2",
        &h,
    ]);
    run(&commit(&uri, "merge", "2", &merged), 4, "must be rebuilt");
    // RetriesExhausted (5): something holds the next version's name, so every attempt loses.
    let blocker = Path::new(&uri)
        .join("_versions")
        .join(format!("{:020}.manifest", u64::MAX - 4));
    std::fs::create_dir_all(&blocker).unwrap();
    let mut args = commit(&uri, "append", "3", &worker("k.json"));
    args.extend(["--max-retries".into(), "1".into()]);
    run(&args, 5, "gave up");
    std::fs::remove_dir(&blocker).unwrap();
    // Corrupt (8): a manifest that is not one.
    let corrupt = dir.path().join("corrupt");
    copy_tree(Path::new(&uri), &corrupt);
    for entry in std::fs::read_dir(corrupt.join("_versions")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "manifest") {
            std::fs::write(&path, b"not a manifest at all").unwrap();
        }
    }
    run(
        &["show".into(), corrupt.to_str().unwrap().into()],
        8,
        "corrupt",
    );
    // Storage (9): an S3 endpoint nothing listens on, without retries.
    let unreachable: Vec<String> = [
        "show",
        "s3://bucket/ds",
        "--storage-option",
        "aws_endpoint=http://127.0.0.1:9",
        "--storage-option",
        "aws_allow_http=true",
        "--storage-option",
        "aws_region=us-east-1",
        "--storage-option",
        "aws_access_key_id=test",
        "--storage-option",
        "aws_secret_access_key=test",
        "--storage-option",
        "client_max_retries=0",
    ]
    .map(String::from)
    .to_vec();
    run(&unreachable, 9, "storage");
}

#[test]
fn an_unsupported_feature_flag_has_its_exit_code() {
    let Some(python) = oracle::python("an_unsupported_feature_flag_has_its_exit_code") else {
        return;
    };
    // Unsupported (7): pylance's stable row ids, a feature lancer does not implement.
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("stable").to_str().unwrap().to_string();
    let script = "import sys, lance, pyarrow as pa\n\
                  lance.write_dataset(pa.table({'a': [1]}), sys.argv[1], enable_stable_row_ids=True)\n";
    let status = std::process::Command::new(&python)
        .args(["-c", script, &uri])
        .status()
        .unwrap();
    assert!(status.success());
    run(&["show".into(), uri], 7, "stable row ids");
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
