//! Input files as users have them (Parquet and Arrow IPC from pyarrow, Polars and DuckDB),
//! made by `scripts/inputs.py` with the oracle's Python, and pylance's verdict on a
//! dataset built from them.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::oracle::{run_script, workspace_root};

/// One input file.
#[derive(Clone, Debug)]
pub struct InputFile {
    /// `pyarrow`, `polars` or `duckdb`.
    pub writer: String,
    /// `parquet` or `arrow` (IPC file, Feather included).
    pub format: String,
    /// `common` (the same rows and columns from every writer) or `full` (the writer's own
    /// types).
    pub table: String,
    /// Where it is.
    pub path: PathBuf,
}

impl InputFile {
    /// A short label: `polars-common.parquet`.
    pub fn label(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

fn script() -> PathBuf {
    workspace_root().join("crates/lancer-testkit/scripts/inputs.py")
}

/// Writes every input file into `dir`.
pub fn make(python: &Path, dir: &Path) -> Vec<InputFile> {
    let output = run_script(python, &script(), &[&dir]);
    let text = String::from_utf8_lossy(&output.stdout);
    let files: Value = serde_json::from_str(text.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("inputs.py: {e}: {text}"));
    files
        .as_array()
        .expect("a list")
        .iter()
        .map(|f| InputFile {
            writer: f["writer"].as_str().unwrap().to_string(),
            format: f["format"].as_str().unwrap().to_string(),
            table: f["table"].as_str().unwrap().to_string(),
            path: PathBuf::from(f["path"].as_str().unwrap()),
        })
        .collect()
}

/// The input that `writer` wrote in `format` of `table`.
pub fn find<'a>(files: &'a [InputFile], writer: &str, format: &str, table: &str) -> &'a InputFile {
    files
        .iter()
        .find(|f| f.writer == writer && f.format == format && f.table == table)
        .unwrap_or_else(|| panic!("no {writer} {format} file of the {table} table"))
}

/// Asserts that pylance reads the dataset at `uri` as the rows of `inputs`, in order (read
/// by pyarrow), column by column.
pub fn assert_pylance_reads(python: &Path, uri: &str, inputs: &[&InputFile]) {
    let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"compare", &uri];
    for input in inputs {
        args.push(&input.path);
    }
    let output = run_script(python, &script(), &args);
    let text = String::from_utf8_lossy(&output.stdout);
    let verdict: Value = serde_json::from_str(text.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("inputs.py compare: {e}: {text}"));
    let labels: Vec<String> = inputs.iter().map(|i| i.label()).collect();
    assert_eq!(
        verdict["ok"],
        Value::Bool(true),
        "pylance reads {uri} (from {labels:?}) differently: {:#}",
        verdict["problems"]
    );
}
