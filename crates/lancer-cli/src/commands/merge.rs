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
    /// Stop the command (and everything it started) after this many seconds; nothing is
    /// kept of its output. Without it the command may run as long as it needs.
    #[arg(long, value_name = "SECONDS", requires = "exec")]
    timeout: Option<f64>,
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
            let timeout = match args.timeout {
                None => None,
                Some(seconds) if seconds.is_finite() && seconds > 0.0 => {
                    Some(std::time::Duration::from_secs_f64(seconds.min(1e9)))
                }
                Some(seconds) => {
                    return Err(CliError::usage(format!(
                        "--timeout {seconds}: give a number of seconds above 0"
                    )));
                }
            };
            exec(&fragment, command, &columns, timeout).await?
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
/// columns come from its stdout, both as Arrow IPC streams, concurrently. Whatever goes
/// wrong (a failed command, too many rows, a timeout), the partial data file is removed and
/// the command's own stderr is part of the error.
async fn exec(
    fragment: &lancer::DatasetFragment,
    command: &str,
    columns: &[&str],
    timeout: Option<std::time::Duration>,
) -> Result<(lancer::Fragment, lancer::LanceSchema), CliError> {
    use std::os::unix::process::CommandExt;
    let mut input = fragment.read_all_rows(columns)?;
    let mut child = Command::new("sh")
        .args(["-c", command])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout stops what it started too.
        .process_group(0)
        .spawn()
        .map_err(|e| CliError::general(format!("cannot run `{command}`: {e}")))?;
    let group = child.id();
    let stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let errors = std::thread::spawn(move || tail_of(stderr));
    let watchdog = Watchdog::start(group, timeout);

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
                lancer::Error::new(
                    lancer::ErrorKind::InvalidInput,
                    format!("its output is not valid Arrow IPC: {e}"),
                )
            });
            if to_merge.blocking_send(item).is_err() {
                break;
            }
        }
    });
    let merging = async {
        let schema = match schema_rx.await {
            Ok(Ok(schema)) => schema,
            Ok(Err(e)) => return Err(lancer::Error::new(lancer::ErrorKind::InvalidInput, e)),
            Err(_) => {
                return Err(lancer::Error::new(
                    lancer::ErrorKind::InvalidInput,
                    "it produced no output",
                ));
            }
        };
        let batches = futures::stream::poll_fn(move |cx| from_reader.poll_recv(cx));
        fragment.merge_batches(schema, batches).await
    };
    let (fed, merged) = futures::future::join(feeder, merging).await;
    if merged.is_err() {
        // The output is refused (too many rows, not Arrow IPC, ...): stop the program
        // rather than wait for it to finish.
        watchdog.stop_now();
    } else {
        // Its output is complete; a program that then does not exit is stopped after a
        // grace period (or its timeout, if sooner).
        watchdog.stop_after(EXIT_GRACE);
    }
    let status = child
        .wait()
        .map_err(|e| CliError::general(format!("`{command}`: {e}")))?;
    let stopped = watchdog.finish();
    let killed = stopped.is_some();
    let _ = writer.join();
    let _ = reader.join();
    let stderr = errors.join().unwrap_or_default();
    let said = if stderr.trim().is_empty() {
        String::new()
    } else {
        format!("; its stderr ends with:\n{}", stderr.trim_end())
    };
    let failure = |what: String| {
        CliError::general(format!(
            "`{command}` {what}; nothing was kept for fragment {}{said}",
            fragment.id()
        ))
    };
    // A failed merge removed its partial file itself; a merge that succeeded before its
    // program failed leaves a complete file, removed here.
    let discard = || async {
        if let Ok((updated, _)) = &merged {
            let _ = fragment.discard_merge(updated).await;
        }
    };
    if let (Some(limit), Some(Stop::Timeout)) = (timeout, stopped) {
        discard().await;
        return Err(failure(format!("did not finish within {limit:?}")));
    }
    if !status.success() && !killed {
        discard().await;
        return Err(failure(format!("failed ({status})")));
    }
    let merged = merged.map_err(|e| failure(format!("gave unusable output: {e}")))?;
    if killed {
        let _ = fragment.discard_merge(&merged.0).await;
        return Err(failure(format!(
            "closed its output but did not exit within {EXIT_GRACE:?}"
        )));
    }
    fed?;
    Ok(merged)
}

/// How long a value function may live after its output is complete.
const EXIT_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// The last 16 KiB of what the program wrote on stderr.
fn tail_of(mut stderr: impl std::io::Read) -> String {
    const KEEP: usize = 16 * 1024;
    let mut tail: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match stderr.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                tail.extend_from_slice(&chunk[..n]);
                if tail.len() > 2 * KEEP {
                    tail.drain(..tail.len() - KEEP);
                }
            }
        }
    }
    let start = tail.len().saturating_sub(KEEP);
    crate::secrets::redact(&String::from_utf8_lossy(&tail[start..]))
}

/// Kills the program's process group at a deadline, from a thread of its own (the pipes
/// may be blocked in threads that cannot be cancelled).
struct Watchdog {
    deadline: std::sync::mpsc::Sender<Option<std::time::Duration>>,
    thread: std::thread::JoinHandle<Option<Stop>>,
}

/// Why the watchdog stopped the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    /// Its `--timeout` ran out.
    Timeout,
    /// Asked to: its output was refused, or it did not exit after closing it.
    Asked,
}

impl Watchdog {
    fn start(group: u32, timeout: Option<std::time::Duration>) -> Watchdog {
        let (deadline, changes) = std::sync::mpsc::channel::<Option<std::time::Duration>>();
        let started = std::time::Instant::now();
        let thread = std::thread::spawn(move || {
            let limit = timeout.map(|t| started + t);
            let mut at = limit;
            loop {
                let wait = at.map(|at| at.saturating_duration_since(std::time::Instant::now()));
                let change = match wait {
                    Some(wait) => changes.recv_timeout(wait),
                    None => changes
                        .recv()
                        .map_err(|_| std::sync::mpsc::RecvTimeoutError::Disconnected),
                };
                match change {
                    // A new, earlier deadline (relative to now).
                    Ok(Some(after)) => {
                        let new = std::time::Instant::now() + after;
                        at = Some(at.map_or(new, |at| at.min(new)));
                    }
                    // The program exited: nothing to stop.
                    Ok(None) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                        return None;
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        kill_group(group);
                        let now = std::time::Instant::now();
                        return Some(if limit.is_some_and(|l| now >= l) {
                            Stop::Timeout
                        } else {
                            Stop::Asked
                        });
                    }
                }
            }
        });
        Watchdog { deadline, thread }
    }

    fn stop_now(&self) {
        let _ = self.deadline.send(Some(std::time::Duration::ZERO));
    }

    fn stop_after(&self, grace: std::time::Duration) {
        let _ = self.deadline.send(Some(grace));
    }

    /// After the program exited: whether (and why) it was stopped.
    fn finish(self) -> Option<Stop> {
        let _ = self.deadline.send(None);
        self.thread.join().unwrap_or(None)
    }
}

/// SIGKILL to the whole process group (`kill -KILL -- -PGID`), without unsafe code.
fn kill_group(group: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}
