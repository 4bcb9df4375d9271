//! Running the `lancer` binary in tests, and input files as users have them.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use arrow_array::{Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

pub fn lancer(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lancer"));
    for arg in args {
        command.arg(arg);
    }
    command.output().expect("lancer runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).trim().to_string()
}

/// Runs lancer and requires success, returning stdout.
pub fn ok(args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    let output = lancer(args);
    assert!(
        output.status.success(),
        "lancer failed ({}): {}",
        output.status,
        stderr(&output)
    );
    stdout(&output)
}

/// Runs lancer and requires `code` and a message mentioning `needle`.
pub fn fails(args: &[&dyn AsRef<std::ffi::OsStr>], code: i32, needle: &str) -> String {
    let output = lancer(args);
    let message = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(code),
        "expected exit {code}: {message}"
    );
    assert!(
        message.contains(needle),
        "expected `{needle}` in: {message}"
    );
    assert!(
        !message.contains("panicked") && !message.contains("RUST_BACKTRACE"),
        "{message}"
    );
    message
}

pub fn people(ids: std::ops::Range<i64>) -> RecordBatch {
    let names = ["alice", "bob", "charlie", "craig", "dave", "eve", "frank"];
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from_iter_values(ids.clone())),
            Arc::new(StringArray::from_iter_values(
                ids.map(|i| names[i as usize % names.len()]),
            )),
        ],
    )
    .unwrap()
}

pub fn write_csv(path: &Path, ids: std::ops::Range<i64>) {
    let names = ["alice", "bob", "charlie", "craig", "dave", "eve", "frank"];
    let mut text = String::from("id,name\n");
    for i in ids {
        text.push_str(&format!("{i},{}\n", names[i as usize % names.len()]));
    }
    std::fs::write(path, text).unwrap();
}

pub fn write_jsonl(path: &Path, ids: std::ops::Range<i64>) {
    let names = ["alice", "bob", "charlie", "craig", "dave", "eve", "frank"];
    let text: String = ids
        .map(|i| {
            format!(
                "{{\"id\": {i}, \"name\": \"{}\"}}\n",
                names[i as usize % names.len()]
            )
        })
        .collect();
    std::fs::write(path, text).unwrap();
}

pub fn write_arrow(path: &Path, batch: &RecordBatch) {
    let mut writer = arrow_ipc::writer::FileWriter::try_new(
        std::fs::File::create(path).unwrap(),
        &batch.schema(),
    )
    .unwrap();
    writer.write(batch).unwrap();
    writer.finish().unwrap();
}

pub fn write_parquet(path: &Path, batch: &RecordBatch) {
    let mut writer = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(path).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

pub fn pylance_rows(python: &Path, uri: &str, version: u64) -> serde_json::Value {
    let script = "import json, sys, lance\nds = lance.dataset(sys.argv[1], version=int(sys.argv[2]))\n\
                  print(json.dumps({'columns': ds.schema.names, 'rows': ds.to_table().to_pylist()}))\n";
    let output = Command::new(python)
        .args(["-c", script, uri, &version.to_string()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}
