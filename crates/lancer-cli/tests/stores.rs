//! The CLI's seed flow on S3 (moto) and Azure (Azurite), configured by `--storage-option`s
//! and, separately, by the standard environment variables alone.

use std::process::{Command, Output};

use lancer_testkit::servers::{self, Endpoint};

fn lancer(args: &[String], env: &[(String, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lancer"));
    command.args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("lancer runs")
}

fn flow(endpoint: &Endpoint, dir: &std::path::Path, by_env: bool) {
    let uri = endpoint.uri(if by_env { "cli-env" } else { "cli-options" });
    let (options, env): (Vec<String>, Vec<(String, String)>) = if by_env {
        (Vec::new(), endpoint.env.clone())
    } else {
        (
            endpoint
                .options
                .iter()
                .flat_map(|(k, v)| ["--storage-option".to_string(), format!("{k}={v}")])
                .collect(),
            Vec::new(),
        )
    };
    let run = |args: &[&str]| -> String {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend(options.iter().cloned());
        let output = lancer(&all, &env);
        let context = format!(
            "{:?} ({}): lancer {}",
            endpoint.kind,
            if by_env { "env" } else { "options" },
            args.join(" ")
        );
        assert!(
            output.status.success(),
            "{context}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    };
    let csv = |name: &str, rows: &[(i64, &str)]| {
        let path = dir.join(name);
        let text: String = std::iter::once("id,name\n".to_string())
            .chain(rows.iter().map(|(i, n)| format!("{i},{n}\n")))
            .collect();
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let (w1, w2) = (
        csv("w1.csv", &[(1, "alice"), (2, "bob")]),
        csv("w2.csv", &[(3, "charlie")]),
    );
    let (f1, f2) = (dir.join("f1.json"), dir.join("f2.json"));
    let (f1, f2) = (f1.to_str().unwrap(), f2.to_str().unwrap());
    run(&["write-fragments", &uri, &w1, "--output", f1]);
    run(&["write-fragments", &uri, &w2, "--output", f2]);
    assert_eq!(
        run(&[
            "commit",
            &uri,
            "--operation",
            "overwrite",
            "--read-version",
            "0",
            f1,
            f2
        ]),
        "1"
    );
    let w3 = csv("w3.csv", &[(4, "dave")]);
    let f3 = dir.join("f3.json");
    let f3 = f3.to_str().unwrap();
    run(&["write-fragments", &uri, &w3, "--output", f3]);
    assert_eq!(
        run(&[
            "commit",
            &uri,
            "--operation",
            "append",
            "--read-version",
            "1",
            f3
        ]),
        "2"
    );
    let me = env!("CARGO_BIN_EXE_lancer");
    let value_function = format!("'{me}' demo-value-function");
    let mut merged = Vec::new();
    for id in 0..3 {
        let out = dir.join(format!("m{id}.json"));
        run(&[
            "merge-columns",
            &uri,
            "--fragment",
            &id.to_string(),
            "--read-columns",
            "name",
            "--exec",
            &value_function,
            "--output",
            out.to_str().unwrap(),
        ]);
        merged.push(out.to_str().unwrap().to_string());
    }
    let mut commit = vec![
        "commit",
        &uri,
        "--operation",
        "merge",
        "--read-version",
        "2",
    ];
    commit.extend(merged.iter().map(String::as_str));
    assert_eq!(run(&commit), "3");
    let table = run(&["scan", &uri]);
    assert!(table.contains("| 3  | charlie | 7        |"), "{table}");
    let show: serde_json::Value = serde_json::from_str(&run(&["show", &uri, "--json"])).unwrap();
    assert_eq!(show["rows"], 4);
    assert!(run(&["validate", &uri]).contains("all present"));
}

#[test]
fn the_seed_flow_through_the_cli_on_servers() {
    for endpoint in servers::all("the_seed_flow_through_the_cli_on_servers") {
        for by_env in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            flow(&endpoint, dir.path(), by_env);
            eprintln!(
                "CLI seed flow on {:?} configured by {}: ok",
                endpoint.kind,
                if by_env { "environment" } else { "options" }
            );
        }
    }
}

#[test]
fn unknown_storage_options_are_refused() {
    let Some(endpoint) = servers::s3("unknown_storage_options_are_refused") else {
        return;
    };
    let uri = endpoint.uri("typo");
    let output = lancer(
        &[
            "show".into(),
            uri,
            "--storage-option".into(),
            "aws_endpiont=http://x".into(),
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("unknown S3 storage option `aws_endpiont`")
    );
}
