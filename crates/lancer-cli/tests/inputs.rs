//! `lancer write-fragments` and `merge-columns` on inputs as users have them: Parquet and
//! Arrow IPC from pyarrow, Polars and DuckDB, each creating a dataset pylance then reads as
//! the input's rows; the seed flow with a vector column read from Parquet, appended to from
//! the other writers, with a value function answering in view types.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use lancer_testkit::inputs::{self, assert_pylance_reads, find};
use lancer_testkit::oracle;

fn commit(uri: &str, operation: &str, read_version: u64, fragments: &[&Path]) -> String {
    let read = read_version.to_string();
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![
        &"commit",
        &uri,
        &"--operation",
        &operation,
        &"--read-version",
        &read,
    ];
    for f in fragments {
        args.push(f);
    }
    ok(&args)
}

fn data_files(uri: &str) -> BTreeSet<String> {
    std::fs::read_dir(Path::new(uri).join("data"))
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_writers_files_through_the_cli() {
    let Some(python) = oracle::python("every_writers_files_through_the_cli") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let files = inputs::make(&python, &dir.path().join("inputs"));
    for input in &files {
        let uri = dir.path().join(format!("ds-{}", input.label()));
        let uri = uri.to_str().unwrap();
        let fragments = dir.path().join(format!("{}.json", input.label()));
        ok(&[
            &"write-fragments",
            &uri,
            &input.path,
            &"--output",
            &fragments,
        ]);
        assert_eq!(commit(uri, "overwrite", 0, &[&fragments]), "1");
        assert_pylance_reads(&python, uri, &[input]);
        assert!(ok(&[&"validate", &uri]).contains("all present"));
    }
}

#[test]
fn the_seed_flow_with_vectors_from_parquet() {
    let Some(python) = oracle::python("the_seed_flow_with_vectors_from_parquet") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let files = inputs::make(&python, &dir.path().join("inputs"));
    let uri = dir.path().join("vectors");
    let uri = uri.to_str().unwrap();
    // Two workers read pyarrow's Parquet (a `fixed_size_list<element: float>[4]` vector,
    // lists of `element`), the coordinator creates the dataset from both.
    let parquet = find(&files, "pyarrow", "parquet", "common");
    let (w1, w2) = (dir.path().join("w1.json"), dir.path().join("w2.json"));
    ok(&[&"write-fragments", &uri, &parquet.path, &"--output", &w1]);
    ok(&[&"write-fragments", &uri, &parquet.path, &"--output", &w2]);
    assert_eq!(commit(uri, "overwrite", 0, &[&w1, &w2]), "1");
    // Appends from Polars (views, large lists) and DuckDB (vectors as plain lists), and one
    // worker given Arrow IPC and Parquet at once.
    let appends = [
        vec![find(&files, "polars", "arrow", "common")],
        vec![find(&files, "duckdb", "parquet", "common")],
        vec![
            find(&files, "pyarrow", "arrow", "common"),
            find(&files, "polars", "parquet", "common"),
        ],
    ];
    let mut read_in_order = vec![parquet, parquet];
    for (i, inputs) in appends.iter().enumerate() {
        let out = dir.path().join(format!("a{i}.json"));
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"write-fragments", &uri];
        for input in inputs {
            args.push(&input.path);
        }
        args.push(&"--output");
        args.push(&out);
        ok(&args);
        let version = (i + 1) as u64;
        assert_eq!(
            commit(uri, "append", version, &[&out]),
            (version + 1).to_string()
        );
        read_in_order.extend(inputs.iter().copied());
    }
    assert_pylance_reads(&python, uri, &read_in_order);

    // A value function answering with a `string_view` column and a list of `element`s.
    let script = dir.path().join("labels.py");
    std::fs::write(
        &script,
        r##"import sys
import pyarrow as pa

out = pa.schema([("label", pa.string_view()), ("twice", pa.list_(pa.field("element", pa.int64())))])
with pa.ipc.open_stream(sys.stdin.buffer) as reader, pa.ipc.new_stream(sys.stdout.buffer, out) as writer:
    for batch in reader:
        ids = batch["id"].to_pylist()
        writer.write_batch(pa.record_batch([
            pa.array([f"#{i}" for i in ids], pa.string_view()),
            pa.array([[i, i] for i in ids], out.field("twice").type),
        ], schema=out))
"##,
    )
    .unwrap();
    let command = format!("'{}' '{}'", python.display(), script.display());
    let show: serde_json::Value = serde_json::from_str(&ok(&[&"show", &uri, &"--json"])).unwrap();
    let version = show["version"].as_u64().unwrap();
    let mut merges = Vec::new();
    for fragment in show["fragments"].as_array().unwrap() {
        let id = fragment["id"].as_u64().unwrap().to_string();
        let out = dir.path().join(format!("m{id}.json"));
        ok(&[
            &"merge-columns",
            &uri,
            &"--fragment",
            &id,
            &"--read-columns",
            &"id",
            &"--exec",
            &command,
            &"--output",
            &out,
        ]);
        merges.push(out);
    }
    let merges: Vec<&Path> = merges.iter().map(|m| m.as_path()).collect();
    assert_eq!(
        commit(uri, "merge", version, &merges),
        (version + 1).to_string()
    );
    let script = "import json, sys, lance\nds = lance.dataset(sys.argv[1])\n\
                  print(json.dumps([ds.version, ds.to_table(columns=['id', 'label', 'twice', 'vec']).to_pylist()]))\n";
    let output = std::process::Command::new(&python)
        .args(["-c", script, uri])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let seen: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(seen[0].as_u64(), Some(version + 1));
    let rows = seen[1].as_array().unwrap();
    assert_eq!(rows.len(), 7 * read_in_order.len());
    for row in rows {
        let id = row["id"].as_i64().unwrap();
        assert_eq!(row["label"], serde_json::json!(format!("#{id}")), "{row}");
        assert_eq!(row["twice"], serde_json::json!([id, id]), "{row}");
        assert_eq!(row["vec"].as_array().map(Vec::len), Some(4), "{row}");
    }
}

#[test]
fn other_types_are_refused_and_nothing_is_written() {
    let Some(python) = oracle::python("other_types_are_refused_and_nothing_is_written") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let files = inputs::make(&python, &dir.path().join("inputs"));
    // A dataset from DuckDB's common rows: `vec` is a plain list there, `id` not nullable.
    let uri = dir.path().join("ds");
    let uri = uri.to_str().unwrap();
    let created = dir.path().join("c.json");
    let duckdb = find(&files, "duckdb", "parquet", "common");
    ok(&[
        &"write-fragments",
        &uri,
        &duckdb.path,
        &"--output",
        &created,
    ]);
    commit(uri, "overwrite", 0, &[&created]);
    let before = data_files(uri);
    // Polars' full table has other columns; pyarrow's a different `id`... each refusal names
    // the column.
    let cases = [
        (find(&files, "polars", "parquet", "full"), "column"),
        (find(&files, "pyarrow", "arrow", "full"), "column"),
    ];
    for (input, needle) in cases {
        fails(&[&"write-fragments", &uri, &input.path], 1, needle);
        assert_eq!(data_files(uri), before, "{}", input.label());
    }
    // A CSV whose `id` holds text.
    let csv = dir.path().join("text_ids.csv");
    std::fs::write(&csv, "id,name\nx,y\n").unwrap();
    let message = fails(&[&"write-fragments", &uri, &csv], 1, "column `id`");
    assert!(
        message.contains("Utf8") && message.contains("Int64"),
        "{message}"
    );
    assert_eq!(data_files(uri), before);
}

#[test]
fn json_lines_are_typed_by_every_row() {
    // A float and a new key after the first 10,000 rows: neither cut nor dropped.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("late.jsonl");
    let mut text: String = (0..10_000).map(|i| format!("{{\"a\": {i}}}\n")).collect();
    text.push_str("{\"a\": 12345.75, \"b\": \"late\"}\n");
    std::fs::write(&input, text).unwrap();
    let uri = dir.path().join("ds");
    let uri = uri.to_str().unwrap();
    let fragments = dir.path().join("f.json");
    ok(&[&"write-fragments", &uri, &input, &"--output", &fragments]);
    commit(uri, "overwrite", 0, &[&fragments]);
    let out = dir.path().join("out.csv");
    ok(&[&"scan", &uri, &"--output", &out]);
    let csv = std::fs::read_to_string(&out).unwrap();
    assert_eq!(csv.lines().next(), Some("a,b"), "{}", &csv[..40]);
    assert_eq!(csv.lines().last(), Some("12345.75,late"));
}

#[test]
fn dotted_column_names_are_refused() {
    // pylance cannot read a dataset whose column is named `a.b` (it takes it for a path).
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("dotted.csv");
    std::fs::write(&input, "a.b,c\n1,2\n").unwrap();
    let uri = dir.path().join("ds");
    let uri = uri.to_str().unwrap();
    fails(
        &[&"write-fragments", &uri, &input],
        1,
        "column `a.b` has a `.`",
    );
    assert!(data_files(uri).is_empty());
}
