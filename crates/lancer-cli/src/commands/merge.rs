//! `lancer merge-columns`: the worker side of adding columns.
//!
//! The new columns come from an input file (matched by a key column, or by position), or
//! from any program: `--exec CMD` streams the fragment's `--read-columns` to the program's
//! stdin as Arrow IPC and reads the new columns from its stdout as Arrow IPC, writing and
//! reading at the same time so a large fragment cannot deadlock the pipes.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use arrow_array::RecordBatch;
use futures::StreamExt;
use lancer::{Dataset, OpenParams};

use crate::error::CliError;
use crate::io::{Format, open_input};
use crate::{Context, emit};

#[derive(clap::Args)]
pub struct Args {
    /// The dataset.
    uri: String,
    /// The fragment to add columns to.
    #[arg(long, value_name = "ID")]
    fragment: u64,
    /// The version to work on (default: the latest).
    #[arg(long, value_name = "N")]
    read_version: Option<u64>,
    /// Match the input's rows to the fragment's by this key column (otherwise the input must
    /// have exactly the fragment's rows, in order).
    #[arg(long, value_name = "KEY", conflicts_with = "exec")]
    on: Option<String>,
    /// Write the fragment JSON to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The new columns: a Parquet, CSV, JSON lines or Arrow IPC file.
    #[arg(required_unless_present = "exec", conflicts_with = "exec")]
    input: Option<PathBuf>,
    /// Input format, instead of guessing from the extension.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Compute the new columns with this shell command (Arrow IPC stream in, out).
    #[arg(long, value_name = "CMD", requires = "read_columns")]
    exec: Option<String>,
    /// Columns the command reads, comma-separated.
    #[arg(long, value_name = "a,b", value_delimiter = ',')]
    read_columns: Vec<String>,
}

pub async fn run(args: Args, context: &Context) -> Result<(), CliError> {
    let mut open = OpenParams::default().with_storage_options(context.storage_options.clone());
    if let Some(version) = args.read_version {
        open = open.with_version(version);
    }
    let dataset = Dataset::open_with(&args.uri, &open).await?;
    let fragment = dataset.get_fragment(args.fragment).ok_or_else(|| {
        CliError::general(format!(
            "version {} has no fragment {} (it has {:?})",
            dataset.version(),
            args.fragment,
            dataset
                .get_fragments()
                .iter()
                .map(|f| f.id())
                .collect::<Vec<_>>()
        ))
    })?;
    let (merged, _schema) = match (&args.exec, &args.input) {
        (Some(command), _) => {
            let columns: Vec<&str> = args.read_columns.iter().map(String::as_str).collect();
            exec(&fragment, command, &columns).await?
        }
        (None, Some(path)) => {
            let reader = open_input(path, args.format)?;
            match &args.on {
                Some(key) => {
                    let schema = reader.schema();
                    let batches: Vec<RecordBatch> = reader
                        .collect::<Result<_, _>>()
                        .map_err(|e| CliError::input(path, e))?;
                    let table = arrow_select::concat::concat_batches(&schema, &batches)?;
                    fragment.merge(&table, key).await?
                }
                None => {
                    let schema = reader.schema();
                    let batches =
                        futures::stream::iter(reader.map(|b| b.map_err(lancer::Error::from)));
                    fragment.merge_batches(schema, batches).await?
                }
            }
        }
        (None, None) => unreachable!("clap requires an input or --exec"),
    };
    emit(args.output.as_ref(), &merged.to_json())
}

/// Runs `command` as the value function: the fragment's rows go to its stdin, the new
/// columns come from its stdout, both as Arrow IPC streams, concurrently.
async fn exec(
    fragment: &lancer::DatasetFragment,
    command: &str,
    columns: &[&str],
) -> Result<(lancer::Fragment, lancer::LanceSchema), CliError> {
    let mut input = fragment.read_all_rows(columns)?;
    let mut child = Command::new("sh")
        .args(["-c", command])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| CliError::general(format!("cannot run `{command}`: {e}")))?;
    let stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");

    // Rows to the program: the async scan hands batches to a thread that writes the pipe.
    let (to_writer, from_scan) = std::sync::mpsc::sync_channel::<RecordBatch>(2);
    let first = input.next().await.transpose()?;
    let read_schema = match &first {
        Some(batch) => batch.schema(),
        None => fragment.scan().project(columns).schema()?,
    };
    let writer = std::thread::spawn(move || -> Result<(), String> {
        let mut ipc = arrow_ipc::writer::StreamWriter::try_new(stdin, &read_schema)
            .map_err(|e| e.to_string())?;
        for batch in from_scan {
            // A program that stops reading early closes the pipe: not an error here; its exit
            // status and output decide.
            if ipc.write(&batch).is_err() {
                return Ok(());
            }
        }
        let _ = ipc.finish();
        Ok(())
    });
    let feeder = async move {
        if let Some(batch) = first
            && to_writer.send(batch).is_err()
        {
            return Ok(());
        }
        while let Some(batch) = input.next().await {
            if to_writer.send(batch?).is_err() {
                break;
            }
        }
        Ok::<(), lancer::Error>(())
    };

    // New columns from the program: a thread reads the pipe and hands batches over.
    let (to_merge, mut from_reader) =
        tokio::sync::mpsc::channel::<Result<RecordBatch, lancer::Error>>(2);
    let (schema_tx, schema_rx) = tokio::sync::oneshot::channel();
    let reader = std::thread::spawn(move || {
        let ipc =
            match arrow_ipc::reader::StreamReader::try_new(std::io::BufReader::new(stdout), None) {
                Ok(ipc) => ipc,
                Err(e) => {
                    let _ =
                        schema_tx.send(Err(format!("its output is not an Arrow IPC stream: {e}")));
                    return;
                }
            };
        let _ = schema_tx.send(Ok(ipc.schema()));
        for batch in ipc {
            let item = batch.map_err(|e| {
                lancer::Error::InvalidInput(format!("its output is not valid Arrow IPC: {e}"))
            });
            if to_merge.blocking_send(item).is_err() {
                break;
            }
        }
    });
    let merging = async {
        let schema = match schema_rx.await {
            Ok(Ok(schema)) => schema,
            Ok(Err(e)) => return Err(lancer::Error::InvalidInput(e)),
            Err(_) => return Err(lancer::Error::InvalidInput("it produced no output".into())),
        };
        let batches = futures::stream::poll_fn(move |cx| from_reader.poll_recv(cx));
        fragment.merge_batches(schema, batches).await
    };
    let (fed, merged) = futures::future::join(feeder, merging).await;
    let status = child
        .wait()
        .map_err(|e| CliError::general(format!("`{command}`: {e}")))?;
    let _ = writer.join();
    let _ = reader.join();
    if !status.success() {
        return Err(CliError::general(format!(
            "`{command}` failed ({status}); nothing was committed for fragment {}",
            fragment.id()
        )));
    }
    fed?;
    merged.map_err(|e| CliError::general(format!("`{command}`: {e}")))
}
