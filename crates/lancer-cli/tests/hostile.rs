//! The coordinator and workers of the CLI against hostile input: hand-edited fragment JSON,
//! stale merges, re-runs, files pylance and pyarrow write, value functions that never end,
//! and secrets in malformed arguments. Every refusal names what is wrong and leaves the
//! dataset byte for byte as it was.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use arrow_array::{Int64Array, RecordBatch, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema};
use common::*;
use lancer_testkit::{files, oracle};
use serde_json::Value;

/// Every file of the dataset with its bytes.
fn snapshot(uri: &str) -> BTreeMap<String, Vec<u8>> {
    files::snapshot(Path::new(uri), &[])
}

/// A two-fragment dataset (ids 0..5 and 5..8) and the directory holding it.
fn dataset(dir: &Path) -> String {
    let uri = dir.join("ds").to_str().unwrap().to_string();
    let (a, b) = (dir.join("a.csv"), dir.join("b.csv"));
    write_csv(&a, 0..5);
    write_csv(&b, 5..8);
    let (fa, fb) = (dir.join("a.json"), dir.join("b.json"));
    ok(&[&"write-fragments", &uri, &a, &"--output", &fa]);
    ok(&[&"write-fragments", &uri, &b, &"--output", &fb]);
    ok(&[
        &"commit",
        &uri,
        &"--operation",
        &"overwrite",
        &"--read-version",
        &"0",
        &fa,
        &fb,
    ]);
    uri
}

fn fragments(path: &Path) -> Vec<Value> {
    match serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap() {
        Value::Array(items) => items,
        one => vec![one],
    }
}

fn save(dir: &Path, name: &str, fragments: &[Value]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string(fragments).unwrap()).unwrap();
    path
}

/// `lancer commit` of `file` is refused (exit `code`, message with every needle), and the
/// dataset did not change at all.
fn commit_refused(
    uri: &str,
    operation: &str,
    read_version: u64,
    file: &Path,
    code: i32,
    needles: &[&str],
) {
    let before = snapshot(uri);
    let version = read_version.to_string();
    let message = fails(
        &[
            &"commit",
            &uri,
            &"--operation",
            &operation,
            &"--read-version",
            &version,
            &file,
        ],
        code,
        needles[0],
    );
    files::assert_mentions(&message, needles);
    assert!(
        before == snapshot(uri),
        "refused, yet the dataset changed: {message}"
    );
}

#[test]
fn hand_edited_fragments_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dataset(dir.path());
    let c = dir.path().join("c.csv");
    write_csv(&c, 8..10);
    let fc = dir.path().join("c.json");
    ok(&[&"write-fragments", &uri, &c, &"--output", &fc]);
    let good = fragments(&fc).remove(0);
    let path = good["files"][0]["path"].as_str().unwrap().to_string();
    let edit = |change: &dyn Fn(&mut Value)| {
        let mut f = good.clone();
        change(&mut f);
        f
    };
    // The same fragment twice, its file in two fragments, 20,000 copies.
    let twice = save(dir.path(), "twice.json", &[good.clone(), good.clone()]);
    commit_refused(
        &uri,
        "append",
        1,
        &twice,
        1,
        &["listed by two fragments", &path],
    );
    let copies = save(dir.path(), "copies.json", &vec![good.clone(); 20_000]);
    commit_refused(&uri, "append", 1, &copies, 1, &["listed by two fragments"]);
    // A fragment whose file is already in the dataset.
    let a = fragments(&dir.path().join("a.json")).remove(0);
    let old = a["files"][0]["path"].as_str().unwrap().to_string();
    let existing = save(dir.path(), "existing.json", &[a]);
    commit_refused(
        &uri,
        "append",
        1,
        &existing,
        1,
        &["already in fragment 0", &old],
    );
    // Column indices that are not the file's.
    for bad in [
        serde_json::json!([1, 0]),
        serde_json::json!([0, 0]),
        serde_json::json!([5, 6]),
        serde_json::json!([-1, -1]),
    ] {
        let f = edit(&|f| f["files"][0]["column_indices"] = bad.clone());
        let file = save(dir.path(), "columns.json", &[f]);
        commit_refused(&uri, "append", 1, &file, 1, &[&path, "column"]);
    }
    // A path with a subdirectory, also with the file really there.
    std::fs::create_dir_all(Path::new(&uri).join("data/sub")).unwrap();
    std::fs::copy(
        Path::new(&uri).join("data").join(&path),
        Path::new(&uri).join("data/sub/x.lance"),
    )
    .unwrap();
    let f = edit(&|f| f["files"][0]["path"] = "sub/x.lance".into());
    let file = save(dir.path(), "sub.json", &[f]);
    commit_refused(
        &uri,
        "append",
        1,
        &file,
        1,
        &["sub/x.lance", "subdirectory"],
    );
    std::fs::remove_dir_all(Path::new(&uri).join("data/sub")).unwrap();
    // A deletion file on a new fragment, and one that does not exist.
    let f = edit(
        &|f| f["deletion_file"] = serde_json::json!({"read_version": 1, "id": 5, "num_deleted_rows": 1, "file_type": "array"}),
    );
    let file = save(dir.path(), "deletion.json", &[f]);
    commit_refused(&uri, "append", 1, &file, 1, &["deletion_file"]);
    // The last fragment id.
    let f = edit(&|f| f["id"] = 4294967295u64.into());
    let file = save(dir.path(), "id.json", &[f]);
    commit_refused(&uri, "append", 1, &file, 1, &["4294967295"]);
    // A merge whose fragment lists only its new file (its old columns would read as null).
    let me = env!("CARGO_BIN_EXE_lancer");
    let mut merged = Vec::new();
    for fragment in ["0", "1"] {
        let text = ok(&[
            &"merge-columns",
            &uri,
            &"--fragment",
            &fragment,
            &"--read-columns",
            &"name",
            &"--exec",
            &format!("'{me}' demo-value-function"),
        ]);
        merged.push(serde_json::from_str::<Value>(&text).unwrap());
    }
    let mut only_new = merged.clone();
    let files = only_new[0]["files"].as_array_mut().unwrap();
    files.remove(0);
    let file = save(dir.path(), "merge.json", &only_new);
    commit_refused(
        &uri,
        "merge",
        1,
        &file,
        1,
        &["fragment 0", "drops data file"],
    );
    // Or swaps its old file for another fragment's.
    let mut swapped = merged.clone();
    swapped[0]["files"][0] = merged[1]["files"][0].clone();
    let file = save(dir.path(), "swapped.json", &swapped);
    commit_refused(&uri, "merge", 1, &file, 1, &["fragment 0"]);
    // Nothing of all that was committed.
    assert_eq!(ok(&[&"versions", &uri]).lines().count(), 1);
}

#[test]
fn a_stale_merge_cannot_bring_back_rows_pylance_deleted() {
    let Some(python) = oracle::python("a_stale_merge_cannot_bring_back_rows_pylance_deleted")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let uri = dataset(dir.path());
    let me = env!("CARGO_BIN_EXE_lancer");
    let mut merged = Vec::new();
    for fragment in ["0", "1"] {
        let text = ok(&[
            &"merge-columns",
            &uri,
            &"--fragment",
            &fragment,
            &"--read-columns",
            &"name",
            &"--exec",
            &format!("'{me}' demo-value-function"),
        ]);
        merged.push(serde_json::from_str::<Value>(&text).unwrap());
    }
    let file = save(dir.path(), "merged.json", &merged);
    // pylance deletes rows of fragment 0 (version 2), with a deletion file it compressed.
    let delete = "import lance, sys\nlance.dataset(sys.argv[1]).delete('id < 3')\n";
    let status = Command::new(&python)
        .args(["-c", delete, &uri])
        .status()
        .unwrap();
    assert!(status.success());
    commit_refused(
        &uri,
        "merge",
        2,
        &file,
        1,
        &["fragment 0", "deletion_file", "_deletions/0-1-"],
    );
    // Named honestly, the read version tells it to rebuild (exit code 4).
    commit_refused(&uri, "merge", 1, &file, 4, &["Delete"]);
    assert!(ok(&[&"validate", &uri]).contains("version 2"));
    // lancer reads pylance's deletion file: 5 rows remain.
    let shown = ok(&[&"show", &uri]);
    assert!(shown.contains("rows         5"), "{shown}");
}

#[test]
fn a_rerun_with_the_same_transaction_id_commits_once() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dataset(dir.path());
    let c = dir.path().join("c.csv");
    write_csv(&c, 8..10);
    let fc = dir.path().join("c.json");
    ok(&[&"write-fragments", &uri, &c, &"--output", &fc]);
    let id = "3b0d4c52-9f7e-4d3a-8c11-2f6e5a7b9c01";
    let commit = |read_version: &str| {
        ok(&[
            &"commit",
            &uri,
            &"--operation",
            &"append",
            &"--read-version",
            &read_version,
            &"--transaction-id",
            &id,
            &fc,
        ])
    };
    assert_eq!(commit("1"), "2");
    assert_eq!(commit("2"), "2");
    assert_eq!(commit("1"), "2");
    assert_eq!(ok(&[&"versions", &uri]).lines().count(), 2);
}

#[test]
fn workers_refuse_nameless_and_repeated_columns() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("ds").to_str().unwrap().to_string();
    for (header, needle) in [("a,a", "two columns named `a`"), ("a,", "without a name")] {
        let csv = dir.path().join("dup.csv");
        std::fs::write(&csv, format!("{header}\n1,2\n")).unwrap();
        fails(&[&"write-fragments", &uri, &csv], 1, needle);
    }
    let column = Arc::new(Int64Array::from(vec![1, 2]));
    let schema = Arc::new(Schema::new(vec![
        Field::new("a", DataType::Int64, true),
        Field::new("a", DataType::Int64, true),
    ]));
    let batch = RecordBatch::try_new(schema, vec![column.clone(), column]).unwrap();
    let parquet = dir.path().join("dup.parquet");
    write_parquet(&parquet, &batch);
    fails(
        &[&"write-fragments", &uri, &parquet],
        1,
        "two columns named `a`",
    );
    assert!(!Path::new(&uri).join("data").exists() || snapshot(&uri).is_empty());
    fails(
        &[
            &"write-fragments",
            &uri,
            &parquet,
            &"--max-rows-per-file",
            &"0",
        ],
        2,
        "at least 1",
    );
}

#[test]
fn feather_files_and_time_zones_from_pyarrow() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("ds").to_str().unwrap().to_string();
    // Timestamps with a named zone, written by arrow-rs; scan prints and exports them.
    let times = TimestampMicrosecondArray::from(vec![0, 86_400_000_000]).with_timezone("UTC");
    let batch = RecordBatch::try_from_iter([("t", Arc::new(times) as _)]).unwrap();
    let parquet = dir.path().join("t.parquet");
    write_parquet(&parquet, &batch);
    let f = dir.path().join("t.json");
    ok(&[&"write-fragments", &uri, &parquet, &"--output", &f]);
    ok(&[
        &"commit",
        &uri,
        &"--operation",
        &"overwrite",
        &"--read-version",
        &"0",
        &f,
    ]);
    let printed = ok(&[&"scan", &uri]);
    assert!(printed.contains("1970-01-02T00:00:00Z"), "{printed}");
    let csv = dir.path().join("out.csv");
    ok(&[&"scan", &uri, &"--output", &csv]);
    assert!(
        std::fs::read_to_string(&csv)
            .unwrap()
            .contains("1970-01-02")
    );
    let Some(python) = oracle::python("feather_files_and_time_zones_from_pyarrow (Feather part)")
    else {
        return;
    };
    // Feather as pyarrow writes it: lz4 by default, zstd on request.
    for compression in ["lz4", "zstd"] {
        let path = dir.path().join(format!("{compression}.feather"));
        let script = "import sys, pyarrow as pa, pyarrow.feather as f\n\
                      f.write_feather(pa.table({'id': list(range(1000)), 'name': ['n%d' % i for i in range(1000)]}), sys.argv[1], compression=sys.argv[2])\n";
        let status = Command::new(&python)
            .args(["-c", script, path.to_str().unwrap(), compression])
            .status()
            .unwrap();
        assert!(status.success());
        let target = dir.path().join(format!("ds-{compression}"));
        let text = ok(&[&"write-fragments", &target, &path]);
        assert!(text.contains("\"physical_rows\": 1000"), "{text}");
    }
    // A broken Feather file: the error names it.
    let broken = dir.path().join("broken.feather");
    let mut bytes = std::fs::read(dir.path().join("lz4.feather")).unwrap();
    let middle = bytes.len() / 2;
    bytes.truncate(middle);
    std::fs::write(&broken, bytes).unwrap();
    fails(
        &[&"write-fragments", &dir.path().join("ds-broken"), &broken],
        1,
        "broken.feather",
    );
}

#[test]
fn value_functions_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dataset(dir.path());
    let before = snapshot(&uri);
    let merge = |command: &str, extra: &[&str]| {
        let mut args: Vec<String> = [
            "merge-columns",
            &uri,
            "--fragment",
            "0",
            "--read-columns",
            "name",
            "--exec",
            command,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&dyn AsRef<std::ffi::OsStr>> = args.iter().map(|a| a as _).collect();
        lancer(&refs)
    };
    let me = env!("CARGO_BIN_EXE_lancer");
    // Its stderr explains a failure.
    let output = merge(
        "cat > /dev/null; echo 'model failed: out of memory' >&2; exit 1",
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("model failed: out of memory"),
        "{}",
        stderr(&output)
    );
    // Never reads, never writes, never exits: stopped by --timeout.
    let output = merge("sleep 600", &["--timeout", "1"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("did not finish within"),
        "{}",
        stderr(&output)
    );
    // Closes its output without writing anything, then lingers.
    let output = merge("exec >&-; sleep 600", &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("produced no output")
            || stderr(&output).contains("not an Arrow IPC stream"),
        "{}",
        stderr(&output)
    );
    // Writes a complete answer, then never exits.
    let output = merge(
        &format!("'{me}' demo-value-function; exec >&-; sleep 600"),
        &["--timeout", "2"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("did not finish within"),
        "{}",
        stderr(&output)
    );
    // More rows than the fragment has: stopped at the first one too many.
    let output = merge(
        &format!("'{me}' demo-value-function; '{me}' demo-value-function"),
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    if let Some(python) = oracle::python("value_functions_are_bounded (endless writer)") {
        let endless = format!(
            "'{}' -c \"import sys, pyarrow as pa\nw = pa.ipc.new_stream(sys.stdout.buffer, pa.schema([('x', pa.int64())]))\nb = pa.record_batch([pa.array(range(100000), pa.int64())], names=['x'])\nwhile True: w.write_batch(b)\"",
            python.display()
        );
        let output = merge(&endless, &[]);
        assert_eq!(output.status.code(), Some(1));
        assert!(
            stderr(&output).contains("more than 5 rows"),
            "{}",
            stderr(&output)
        );
    }
    // None of them left a file behind.
    assert!(
        before == snapshot(&uri),
        "a failed value function left files behind"
    );
}

#[test]
fn secrets_in_malformed_arguments_stay_hidden() {
    let secret = "SUPERSECRET-1a2b3c";
    let cases: Vec<Vec<String>> = vec![
        vec![
            "show".into(),
            "ds".into(),
            "--storage-option".into(),
            format!("aws_secret_access_key:{secret}"),
        ],
        vec![
            "show".into(),
            "ds".into(),
            "--storage-option".into(),
            "aws_secret_access_key".into(),
            secret.into(),
        ],
        vec![
            "show".into(),
            "ds".into(),
            "--storage-option".into(),
            format!("={secret}"),
        ],
        vec![
            "show".into(),
            "ds".into(),
            format!("--storage-option=aws_secret_access_key:{secret}"),
        ],
        vec!["show".into(), format!("s3://AKIDEXAMPLE:{secret}@bucket/x")],
        vec![
            "show".into(),
            "s3://bucket/x".into(),
            "--storage-option".into(),
            format!("aws_secret_access_key:{secret}=x"),
        ],
    ];
    for args in cases {
        let output = Command::new(env!("CARGO_BIN_EXE_lancer"))
            .args(&args)
            .output()
            .unwrap();
        let all = format!("{}{}", stdout(&output), stderr(&output));
        assert_ne!(output.status.code(), Some(0), "{args:?}: {all}");
        assert!(!all.contains(secret), "{args:?} leaked: {all}");
        assert!(!all.is_empty(), "{args:?}: no message at all");
    }
}
