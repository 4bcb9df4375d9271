//! `lancer compact` as a scheduler runs it: a plan written once, each task executed by its
//! own process, one commit; the all-in-one `lancer compact URI`; and a worker killed in the
//! middle of a task, which changes no version.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::*;
use lancer_testkit::oracle;

/// A dataset of `fragments` fragments of `rows` rows each (ids from 0), one worker process
/// per fragment, one commit.
fn dataset(dir: &Path, fragments: i64, rows: i64) -> String {
    let uri = dir.join("ds").to_str().unwrap().to_string();
    let mut files = Vec::new();
    for f in 0..fragments {
        let input = dir.join(format!("in{f}.csv"));
        write_csv(&input, f * rows..(f + 1) * rows);
        let out = dir.join(format!("f{f}.json"));
        ok(&[
            &"write-fragments",
            &uri,
            &input,
            &"--output",
            &out,
            &"--quiet",
        ]);
        files.push(out);
    }
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![
        &"commit",
        &uri,
        &"--operation",
        &"overwrite",
        &"--read-version",
        &"0",
    ];
    for f in &files {
        args.push(f);
    }
    assert_eq!(ok(&args), "1");
    uri
}

fn pylance(python: &Path, script: &str, uri: &str) -> serde_json::Value {
    let output = Command::new(python)
        .args(["-c", script, uri])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_str(stdout(&output).lines().last().unwrap()).unwrap()
}

const READ: &str = "import json, sys, lance\nds = lance.dataset(sys.argv[1])\n\
                    print(json.dumps({'version': ds.version, 'ids': sorted(ds.to_table(columns=['id'])['id'].to_pylist())}))";

#[test]
fn plan_then_one_process_per_task_then_commit() {
    let Some(python) = oracle::python("plan_then_one_process_per_task_then_commit") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let uri = dataset(dir.path(), 200, 10);
    // pylance deletes every seventh row.
    pylance(
        &python,
        "import sys, lance\nlance.dataset(sys.argv[1]).delete('id % 7 = 0')\nprint(1)",
        &uri,
    );
    let expected: Vec<i64> = (0..2000).filter(|i| i % 7 != 0).collect();

    let plan = dir.path().join("plan.json");
    let tasks: usize = ok(&[
        &"compact",
        &"plan",
        &uri,
        &"--target-rows-per-fragment",
        &"400",
        &"--output",
        &plan,
    ])
    .parse()
    .unwrap();
    assert!(tasks >= 3, "{tasks} tasks");
    // Every task in its own process, all at once.
    let workers: Vec<_> = (0..tasks)
        .map(|k| {
            let out = dir.path().join(format!("result{k}.json"));
            let child = Command::new(env!("CARGO_BIN_EXE_lancer"))
                .args(["compact", "execute", &uri, "--plan"])
                .arg(&plan)
                .args(["--task", &k.to_string(), "--output"])
                .arg(&out)
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (child, out)
        })
        .collect();
    let mut results = Vec::new();
    for (child, out) in workers {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        results.push(out);
    }
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> =
        vec![&"compact", &"commit", &uri, &"--plan", &plan];
    for r in &results {
        args.push(r);
    }
    assert_eq!(ok(&args), "3");
    // Running the same commit again changes nothing.
    assert_eq!(ok(&args), "3");
    let show: serde_json::Value = serde_json::from_str(&ok(&[&"show", &uri, &"--json"])).unwrap();
    let fragments = show["fragments"].as_array().unwrap().len();
    assert!(
        fragments <= 2 * tasks,
        "{fragments} fragments from {tasks} tasks"
    );
    assert!(ok(&[&"validate", &uri]).contains("all present"));
    let seen = pylance(&python, READ, &uri);
    assert_eq!(seen["version"], 3);
    assert_eq!(seen["ids"], serde_json::json!(expected));
    // pylance appends after lancer's rewrite; then the all-in-one command compacts the
    // small fragments left.
    pylance(
        &python,
        "import sys, lance, pyarrow as pa\nds = lance.dataset(sys.argv[1])\n\
         lance.write_dataset(pa.table({'id': pa.array([9000, 9001], pa.int64()), 'name': ['x', 'y']}).cast(ds.schema), sys.argv[1], mode='append')\nprint(1)",
        &uri,
    );
    let version: u64 = ok(&[&"compact", &uri, &"--target-rows-per-fragment", &"100000"])
        .parse()
        .unwrap();
    assert_eq!(version, 5);
    let show: serde_json::Value = serde_json::from_str(&ok(&[&"show", &uri, &"--json"])).unwrap();
    assert_eq!(show["fragments"].as_array().unwrap().len(), 1);
    let seen = pylance(&python, READ, &uri);
    let mut all = expected.clone();
    all.extend([9000, 9001]);
    assert_eq!(seen["ids"], serde_json::json!(all));
}

#[test]
fn a_worker_killed_midway_changes_no_version() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dataset(dir.path(), 8, 100_000);
    let plan = dir.path().join("plan.json");
    let tasks = ok(&[
        &"compact",
        &"plan",
        &uri,
        &"--target-rows-per-fragment",
        &"1000000",
        &"--output",
        &plan,
    ]);
    assert_eq!(tasks, "1");
    let before = std::fs::read_dir(Path::new(&uri).join("_versions"))
        .unwrap()
        .count();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lancer"))
        .args(["compact", "execute", &uri, "--plan"])
        .arg(&plan)
        .args(["--task", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    child.kill().unwrap();
    child.wait().unwrap();
    let after = std::fs::read_dir(Path::new(&uri).join("_versions"))
        .unwrap()
        .count();
    assert_eq!(before, after, "a killed worker commits nothing");
    assert!(ok(&[&"validate", &uri]).contains("all present"));
    let show: serde_json::Value = serde_json::from_str(&ok(&[&"show", &uri, &"--json"])).unwrap();
    assert_eq!(show["version"], 1);
    assert_eq!(show["rows"], 800_000);
    // Another worker runs the task again; its result commits.
    let result = dir.path().join("r.json");
    ok(&[
        &"compact",
        &"execute",
        &uri,
        &"--plan",
        &plan,
        &"--task",
        &"0",
        &"--output",
        &result,
    ]);
    assert_eq!(
        ok(&[&"compact", &"commit", &uri, &"--plan", &plan, &result]),
        "2"
    );
}

#[test]
fn bad_plans_and_results_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let uri = dataset(dir.path(), 4, 10);
    let plan = dir.path().join("plan.json");
    ok(&[&"compact", &"plan", &uri, &"--output", &plan]);
    fails(
        &[
            &"compact", &"execute", &uri, &"--plan", &plan, &"--task", &"7",
        ],
        2,
        "the plan has 1 tasks",
    );
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{\"format\": \"something else\"}").unwrap();
    fails(
        &[&"compact", &"commit", &uri, &"--plan", &plan, &junk],
        1,
        "lancer-compaction-result",
    );
    fails(
        &[
            &"compact",
            &"plan",
            &uri,
            &"--materialize-deletions-threshold",
            &"2",
        ],
        1,
        "between 0 and 1",
    );
}
