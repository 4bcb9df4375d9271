//! The `lancer` binary as users run it: the seed flow through the CLI (checked with pylance),
//! every bad input a new user tries, exit codes, secrets, and the demo.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use arrow_array::{Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use common::*;
use lancer_testkit::oracle;

fn docs_example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/examples")
        .join(name)
}

#[test]
fn the_seed_flow_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("people").to_str().unwrap().to_string();
    let (csv, parquet, jsonl, arrow) = (
        dir.path().join("w1.csv"),
        dir.path().join("w2.parquet"),
        dir.path().join("w3.jsonl"),
        dir.path().join("w4.arrow"),
    );
    write_csv(&csv, 0..3);
    write_parquet(&parquet, &people(3..6));
    // Workers: any input format, JSON on stdout or in a file.
    let json1 = ok(&[&"write-fragments", &uri, &csv]);
    assert!(
        json1.starts_with("[{\"id\": 0, \"files\": [{\"fields\": [0, 1]"),
        "{json1}"
    );
    let f1 = dir.path().join("f1.json");
    std::fs::write(&f1, &json1).unwrap();
    let f2 = dir.path().join("f2.json");
    ok(&[&"write-fragments", &uri, &parquet, &"--output", &f2]);
    // Coordinator: schema from the files, version number on the last line.
    assert_eq!(
        ok(&[
            &"commit",
            &uri,
            &"--operation",
            &"overwrite",
            &"--read-version",
            &"0",
            &f1,
            &f2
        ]),
        "1"
    );
    // Append from stdin.
    write_jsonl(&jsonl, 6..8);
    let json3 = ok(&[&"write-fragments", &uri, &jsonl]);
    let mut commit = Command::new(env!("CARGO_BIN_EXE_lancer"))
        .args([
            "commit",
            &uri,
            "--operation",
            "append",
            "--read-version",
            "1",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    commit
        .stdin
        .take()
        .unwrap()
        .write_all(json3.as_bytes())
        .unwrap();
    let output = commit.wait_with_output().unwrap();
    assert_eq!(stdout(&output), "2");
    // Merge: by position from a file for fragment 0, by key for fragment 1, and with a
    // value function (the docs' Python example) for fragment 2.
    let show: serde_json::Value = serde_json::from_str(&ok(&[&"show", &uri, &"--json"])).unwrap();
    assert_eq!(show["rows"], 8);
    assert_eq!(show["fragments"].as_array().unwrap().len(), 3);
    let lengths = |ids: std::ops::Range<i64>| {
        let names = people(ids.clone());
        let lengths: Vec<i64> = names
            .column(1)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap()
            .iter()
            .map(|n| n.unwrap().len() as i64)
            .collect();
        RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("id", DataType::Int64, true),
                Field::new("name_len", DataType::Int64, true),
            ])),
            vec![
                Arc::new(Int64Array::from_iter_values(ids.rev())),
                Arc::new(Int64Array::from_iter_values(lengths.into_iter().rev())),
            ],
        )
        .unwrap()
    };
    let by_key = dir.path().join("keyed.arrow");
    write_arrow(&by_key, &lengths(3..6));
    let positional = dir.path().join("positional.arrow");
    let in_order = lengths(0..3);
    let reordered = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new(
            "name_len",
            DataType::Int64,
            true,
        )])),
        vec![Arc::new(Int64Array::from(vec![5, 3, 7]))],
    )
    .unwrap();
    let _ = in_order;
    write_arrow(&positional, &reordered);
    let m0 = dir.path().join("m0.json");
    ok(&[
        &"merge-columns",
        &uri,
        &"--fragment",
        &"0",
        &positional,
        &"--output",
        &m0,
    ]);
    let m1 = dir.path().join("m1.json");
    ok(&[
        &"merge-columns",
        &uri,
        &"--fragment",
        &"1",
        &"--on",
        &"id",
        &by_key,
        &"--output",
        &m1,
    ]);
    let mut merges = vec![m0.clone(), m1.clone()];
    if let Some(python) = oracle::python("the_seed_flow_through_the_cli (--exec with Python)") {
        // The value function must produce the same column type as the others: int64 here.
        let script = dir.path().join("name_len64.py");
        std::fs::write(
            &script,
            std::fs::read_to_string(docs_example("name_len.py"))
                .unwrap()
                .replace("pa.int32()", "pa.int64()")
                .replace(
                    "pc.utf8_length(batch[\"name\"])",
                    "pc.cast(pc.utf8_length(batch[\"name\"]), pa.int64())",
                ),
        )
        .unwrap();
        let m2 = dir.path().join("m2.json");
        let command = format!("'{}' '{}'", python.display(), script.display());
        ok(&[
            &"merge-columns",
            &uri,
            &"--fragment",
            &"2",
            &"--read-columns",
            &"name",
            &"--exec",
            &command,
            &"--output",
            &m2,
        ]);
        merges.push(m2);
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![
            &"commit",
            &uri,
            &"--operation",
            &"merge",
            &"--read-version",
            &"2",
        ];
        for m in &merges {
            args.push(m);
        }
        assert_eq!(ok(&args), "3");
        let seen = pylance_rows(&python, &uri, 3);
        assert_eq!(
            seen["columns"],
            serde_json::json!(["id", "name", "name_len"])
        );
        let rows = seen["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 8);
        for row in rows {
            assert_eq!(
                row["name_len"].as_i64().unwrap(),
                row["name"].as_str().unwrap().len() as i64,
                "{row}"
            );
        }
        assert_eq!(
            pylance_rows(&python, &uri, 1)["rows"]
                .as_array()
                .unwrap()
                .len(),
            6
        );
    } else {
        // Without the oracle a merge missing fragment 2 is refused, naming it.
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![
            &"commit",
            &uri,
            &"--operation",
            &"merge",
            &"--read-version",
            &"2",
        ];
        for m in &merges {
            args.push(m);
        }
        fails(&args, 1, "missing fragment ids [2]");
    }
    // Reading back: table, projection, limit, files.
    let table = ok(&[&"scan", &uri, &"--columns", &"name", &"--limit", &"2"]);
    assert!(
        table.contains("| alice") && table.contains("| bob") && !table.contains("charlie"),
        "{table}"
    );
    let out = dir.path().join("out.csv");
    ok(&[&"scan", &uri, &"--output", &out]);
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 9);
    let versions: serde_json::Value =
        serde_json::from_str(&ok(&[&"versions", &uri, &"--json"])).unwrap();
    assert!(versions.as_array().unwrap().len() >= 2);
    assert!(ok(&[&"validate", &uri]).contains("all present"));
    // Arrow IPC input too (on a fresh dataset: this one has gained a column since).
    let arrow_in = dir.path().join("w4in.arrow");
    write_arrow(&arrow_in, &people(100..101));
    let fresh = dir.path().join("fresh").to_str().unwrap().to_string();
    ok(&[&"write-fragments", &fresh, &arrow_in, &"--output", &arrow]);
    assert!(
        std::fs::read_to_string(&arrow)
            .unwrap()
            .contains("\"physical_rows\": 1")
    );
    // Appending rows without the new column is refused, naming it.
    fails(
        &[&"write-fragments", &uri, &arrow_in],
        1,
        "no column `name_len`",
    );
}

#[test]
fn bad_inputs_give_clear_messages_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("ds").to_str().unwrap().to_string();
    let csv = dir.path().join("a.csv");
    write_csv(&csv, 0..3);
    let good = dir.path().join("good.json");
    ok(&[&"write-fragments", &uri, &csv, &"--output", &good]);
    ok(&[
        &"commit",
        &uri,
        &"--operation",
        &"overwrite",
        &"--read-version",
        &"0",
        &good,
    ]);
    let snapshot = || {
        let mut names: Vec<String> = walk(&dir.path().join("ds"));
        names.sort();
        names
    };
    let before = snapshot();
    fails(
        &[&"write-fragments", &uri, &dir.path().join("missing.csv")],
        1,
        "missing.csv",
    );
    fails(
        &[&"write-fragments", &uri, &dir.path().join("data.xlsx")],
        2,
        "cannot tell the format",
    );
    let other = dir.path().join("other.jsonl");
    std::fs::write(&other, "{\"x\": 1.5}\n").unwrap();
    fails(
        &[&"write-fragments", &uri, &other],
        1,
        "the input has no column `id`",
    );
    fails(&[&"write-fragments", &uri, &csv, &other], 1, "has columns");
    let corrupt = dir.path().join("corrupt.json");
    std::fs::write(&corrupt, "[{\"id\": 0, \"files\": [{\"path\": \"../x.lance\", \"fields\": [0, 1]}], \"physical_rows\": 3}]").unwrap();
    fails(
        &[
            &"commit",
            &uri,
            &"--operation",
            &"append",
            &"--read-version",
            &"1",
            &corrupt,
        ],
        1,
        "files[0].path",
    );
    std::fs::write(&corrupt, "[{\"id\": 0,").unwrap();
    fails(
        &[
            &"commit",
            &uri,
            &"--operation",
            &"append",
            &"--read-version",
            &"1",
            &corrupt,
        ],
        1,
        "fragment JSON",
    );
    fails(
        &[&"merge-columns", &uri, &"--fragment", &"42", &csv],
        1,
        "has no fragment 42",
    );
    fails(
        &[&"show", &dir.path().join("nothing_here")],
        6,
        "is not a Lance dataset",
    );
    fails(&[&"scan", &dir.path()], 6, "is not a Lance dataset");
    fails(
        &[
            &"commit",
            &uri,
            &"--operation",
            &"append",
            &"--read-version",
            &"1",
            &"--transaction-id",
            &"nope",
            &good,
        ],
        2,
        "not a UUID",
    );
    fails(
        &[
            &"commit",
            &uri,
            &"--operation",
            &"sideways",
            &"--read-version",
            &"1",
            &good,
        ],
        2,
        "invalid value",
    );
    assert_eq!(snapshot(), before, "failed commands left storage unchanged");

    // Workers that wrote different schemas.
    let a = dir.path().join("fresh_a.json");
    let b = dir.path().join("fresh_b.json");
    let fresh = dir.path().join("fresh").to_str().unwrap().to_string();
    ok(&[&"write-fragments", &fresh, &csv, &"--output", &a]);
    let floats = dir.path().join("floats.jsonl");
    std::fs::write(&floats, "{\"id\": 1.5, \"name\": \"x\"}\n").unwrap();
    ok(&[&"write-fragments", &fresh, &floats, &"--output", &b]);
    fails(
        &[
            &"commit",
            &fresh,
            &"--operation",
            &"overwrite",
            &"--read-version",
            &"0",
            &a,
            &b,
        ],
        1,
        "the workers wrote different schemas",
    );
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}

#[test]
fn commit_outcomes_have_their_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("ds").to_str().unwrap().to_string();
    let csv = dir.path().join("a.csv");
    write_csv(&csv, 0..3);
    let f = dir.path().join("f.json");
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
    // Conflict (3): an append built on version 1 after an overwrite.
    let g = dir.path().join("g.json");
    ok(&[&"write-fragments", &uri, &csv, &"--output", &g]);
    ok(&[
        &"commit",
        &uri,
        &"--operation",
        &"overwrite",
        &"--read-version",
        &"1",
        &g,
    ]);
    let h = dir.path().join("h.json");
    ok(&[&"write-fragments", &uri, &csv, &"--output", &h]);
    fails(
        &[
            &"commit",
            &uri,
            &"--operation",
            &"append",
            &"--read-version",
            &"1",
            &h,
        ],
        3,
        "commit conflict",
    );
    // Rebuild (4): a merge built on version 2 after an append.
    let merged = dir.path().join("m.json");
    let extra = dir.path().join("extra.jsonl");
    let names: String = ["alice", "bob", "charlie"]
        .iter()
        .map(|n| format!("{{\"name_len\": {}}}\n", n.len()))
        .collect();
    std::fs::write(&extra, names).unwrap();
    let id = serde_json::from_str::<serde_json::Value>(&ok(&[&"show", &uri, &"--json"])).unwrap()["fragments"][0]["id"].as_u64().unwrap().to_string();
    ok(&[
        &"merge-columns",
        &uri,
        &"--fragment",
        &id,
        &extra,
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
    fails(
        &[
            &"commit",
            &uri,
            &"--operation",
            &"merge",
            &"--read-version",
            &"2",
            &merged,
        ],
        4,
        "must be rebuilt",
    );
    // Re-run (5): something holds the next version's name, so every attempt loses.
    let show: serde_json::Value = serde_json::from_str(&ok(&[&"show", &uri, &"--json"])).unwrap();
    let next = show["version"].as_u64().unwrap() + 1;
    let blocker = dir
        .path()
        .join("ds/_versions")
        .join(format!("{:020}.manifest", u64::MAX - next));
    std::fs::create_dir_all(&blocker).unwrap();
    // Fresh worker output: the files of `g` are already in the dataset.
    let k = dir.path().join("k.json");
    ok(&[&"write-fragments", &uri, &csv, &"--output", &k]);
    fails(
        &[
            &"commit",
            &uri,
            &"--operation",
            &"append",
            &"--read-version",
            &next.saturating_sub(1).to_string(),
            &"--max-retries",
            &"2",
            &k,
        ],
        5,
        "gave up",
    );
    // The same commit with the same transaction id after a lost reply: one version.
    std::fs::remove_dir(&blocker).unwrap();
    let id = "123e4567-e89b-42d3-a456-426614174000";
    let read = (next - 1).to_string();
    let first = ok(&[
        &"commit",
        &uri,
        &"--operation",
        &"append",
        &"--read-version",
        &read,
        &"--transaction-id",
        &id,
        &f,
    ]);
    let again = ok(&[
        &"commit",
        &uri,
        &"--operation",
        &"append",
        &"--read-version",
        &read,
        &"--transaction-id",
        &id,
        &f,
    ]);
    assert_eq!(
        first, again,
        "re-running a commit with the same transaction id does not commit twice"
    );
}

#[test]
fn secrets_never_appear_in_output() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "SUPERSECRET-9f8e7d";
    let path = dir.path().join(secret).join("ds");
    let output = Command::new(env!("CARGO_BIN_EXE_lancer"))
        .args(["show"])
        .arg(&path)
        .args([
            "--storage-option",
            &format!("aws_secret_access_key={secret}"),
        ])
        .env("AZURE_STORAGE_SAS_TOKEN", secret)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(6), "not found");
    let all = format!("{}{}", stdout(&output), stderr(&output));
    assert!(all.contains("is not a Lance dataset"), "{all}");
    assert!(!all.contains(secret), "a secret leaked: {all}");
    // An object-store error (from the S3 test server) quoting the request: still no secret.
    if let Some(s3) = lancer_testkit::servers::s3("secrets_never_appear_in_output (S3 part)") {
        let mut args: Vec<String> = vec![
            "show".into(),
            format!("s3://no-such-bucket-{secret}/ds?sig={secret}"),
        ];
        for (key, value) in &s3.options {
            let value = if key == "aws_secret_access_key" {
                secret.to_string()
            } else {
                value.clone()
            };
            args.extend(["--storage-option".to_string(), format!("{key}={value}")]);
        }
        let output = Command::new(env!("CARGO_BIN_EXE_lancer"))
            .args(&args)
            .output()
            .unwrap();
        let all = format!("{}{}", stdout(&output), stderr(&output));
        assert_ne!(output.status.code(), Some(0), "{all}");
        assert!(!all.contains(secret), "a secret leaked: {all}");
    }
}

#[test]
fn the_demo_runs() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("demo");
    let text = ok(&[&"demo", &"--workers", &"3", &"--rows", &"9", &target]);
    assert!(text.contains("version 3: 4 fragments, 12 rows"), "{text}");
    assert!(text.contains("name_len"));
    fails(&[&"demo", &target], 2, "not empty");
    if let Some(python) = oracle::python("the_demo_runs (pylance check)") {
        let seen = pylance_rows(&python, target.join("dataset").to_str().unwrap(), 3);
        assert_eq!(seen["rows"].as_array().unwrap().len(), 12);
    }
}

#[test]
fn help_completions_and_usage_errors() {
    let help = ok(&[&"--help"]);
    assert!(help.contains("Exit codes") && help.contains("write-fragments"));
    assert!(ok(&[&"completions", &"bash"]).contains("lancer"));
    fails(&[&"commit"], 2, "required");
    let man = tempfile::tempdir().unwrap();
    let pages = man.path().join("man1");
    ok(&[&"man", &pages]);
    let commit = std::fs::read_to_string(pages.join("lancer-commit.1")).unwrap();
    assert!(
        commit.contains(".TH lancer-commit 1") && commit.contains("read\\-version"),
        "{commit}"
    );
    assert!(
        std::fs::read_to_string(pages.join("lancer.1"))
            .unwrap()
            .contains("write\\-fragments")
    );
    assert!(
        !pages.join("lancer-demo-value-function.1").exists(),
        "hidden commands get no page"
    );
}

#[test]
fn value_functions_that_misbehave_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("ds").to_str().unwrap().to_string();
    let csv = dir.path().join("a.csv");
    write_csv(&csv, 0..5);
    let f = dir.path().join("f.json");
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
    let merge = |command: &str| -> Vec<Box<dyn AsRef<std::ffi::OsStr>>> {
        vec![
            Box::new("merge-columns"),
            Box::new(uri.clone()),
            Box::new("--fragment"),
            Box::new("0"),
            Box::new("--read-columns"),
            Box::new("name"),
            Box::new("--exec"),
            Box::new(command.to_string()),
        ]
    };
    let run = |args: Vec<Box<dyn AsRef<std::ffi::OsStr>>>| {
        let refs: Vec<&dyn AsRef<std::ffi::OsStr>> = args
            .iter()
            .map(|a| a.as_ref() as &dyn AsRef<std::ffi::OsStr>)
            .collect();
        lancer(&refs)
    };
    let output = run(merge("cat > /dev/null; exit 3"));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("not an Arrow IPC stream") || stderr(&output).contains("failed"),
        "{}",
        stderr(&output)
    );
    let output = run(merge("cat > /dev/null; echo garbage"));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("not an Arrow IPC stream"),
        "{}",
        stderr(&output)
    );
    // A value function returning too few rows (the demo's, fed one row less).
    let me = env!("CARGO_BIN_EXE_lancer");
    let script = dir.path().join("short.sh");
    std::fs::write(&script, format!("'{me}' demo-value-function | head -c 0\n")).unwrap();
    let output = run(merge(&format!("sh '{}'", script.display())));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    // And the real one works: 5 rows in, 5 rows out.
    let good = run(merge(&format!("'{me}' demo-value-function")));
    assert!(good.status.success(), "{}", stderr(&good));
    assert!(stdout(&good).contains("\"physical_rows\": 5"));
    // New columns given by position must match the fragment's row count.
    let short = dir.path().join("short.arrow");
    let four = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, true)])),
        vec![Arc::new(Int64Array::from(vec![1, 2, 3, 4]))],
    )
    .unwrap();
    write_arrow(&short, &four);
    fails(
        &[&"merge-columns", &uri, &"--fragment", &"0", &short],
        1,
        "has 5 rows but 4 rows of new columns were given",
    );
    // Nothing was committed by any of them.
    assert_eq!(ok(&[&"versions", &uri]).lines().count(), 1);
}

#[test]
fn scan_reads_a_dataset_made_with_pylance_defaults() {
    let Some(python) = oracle::python("scan_reads_a_dataset_made_with_pylance_defaults") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let uri = dir.path().join("pylance_default");
    let expected = dir.path().join("expected.arrow");
    // pylance's default settings (file format 2.2), three fragments, the usual column kinds.
    let script = "import sys, numpy as np, pyarrow as pa, pyarrow.ipc as ipc, lance\n\
        n = 30000\n\
        t = pa.table({'id': pa.array(np.arange(n)), 'x': pa.array(np.random.default_rng(1).random(n)),\n\
        'name': pa.array([None if i % 17 == 0 else f'name {i}' for i in range(n)]),\n\
        'kind': pa.array([['a', 'b', 'c'][i % 3] for i in range(n)]),\n\
        'v': pa.FixedSizeListArray.from_arrays(pa.array(np.random.default_rng(2).random(n * 8).astype(np.float32)), 8)})\n\
        ds = lance.write_dataset(t, sys.argv[1], max_rows_per_file=10000)\n\
        assert ds.data_storage_version == '2.2' and len(ds.get_fragments()) == 3\n\
        with ipc.new_file(sys.argv[2], t.schema) as f: f.write_table(ds.to_table())\n";
    let output = Command::new(&python)
        .args(["-c", script])
        .arg(&uri)
        .arg(&expected)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out = dir.path().join("out.arrow");
    ok(&[&"scan", &uri, &"--output", &out]);
    let read = |path: &Path| {
        let file = std::fs::File::open(path).unwrap();
        let reader = arrow_ipc::reader::FileReader::try_new(file, None).unwrap();
        let schema = reader.schema();
        let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
        arrow_select::concat::concat_batches(&schema, &batches).unwrap()
    };
    let (got, want) = (read(&out), read(&expected));
    assert_eq!(got.num_rows(), 30000);
    assert_eq!(got.columns(), want.columns());
    let table = ok(&[&"scan", &uri, &"--columns", &"name", &"--limit", &"3"]);
    assert!(
        table.contains("name 1") && table.contains("name 2"),
        "{table}"
    );
    // A lancer worker appends to it (its files take the dataset's 2.2), and pylance reads
    // the new rows.
    let extra = dir.path().join("extra.arrow");
    let first = want.slice(0, 5);
    write_arrow(&extra, &first);
    let json = ok(&[&"write-fragments", &uri, &extra]);
    assert!(json.contains("\"file_minor_version\": 2"), "{json}");
    let fragments = dir.path().join("extra.json");
    std::fs::write(&fragments, &json).unwrap();
    let uri_text = uri.to_str().unwrap();
    assert_eq!(
        ok(&[
            &"commit",
            &uri,
            &"--operation",
            &"append",
            &"--read-version",
            &"1",
            &fragments
        ]),
        "2"
    );
    let seen = pylance_rows(&python, uri_text, 2);
    let rows = seen["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 30005);
    assert_eq!(rows[30000], rows[0]);
    // A new dataset in 2.2, as asked.
    let made = dir.path().join("made22");
    let json = ok(&[
        &"write-fragments",
        &made,
        &extra,
        &"--data-storage-version",
        &"2.2",
    ]);
    std::fs::write(&fragments, &json).unwrap();
    ok(&[
        &"commit",
        &made,
        &"--operation",
        &"overwrite",
        &"--read-version",
        &"0",
        &fragments,
    ]);
    let seen = pylance_rows(&python, made.to_str().unwrap(), 1);
    assert_eq!(seen["rows"].as_array().unwrap().len(), 5);
    fails(
        &[
            &"write-fragments",
            &dir.path().join("never"),
            &extra,
            &"--data-storage-version",
            &"9",
        ],
        2,
        "unknown data storage version",
    );
}
