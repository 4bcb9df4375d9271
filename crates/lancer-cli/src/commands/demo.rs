//! `lancer demo`: the distributed-write guide end to end, with worker processes of this
//! same binary doing what slurm tasks or Kubernetes pods would do.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

use crate::Context;
use crate::error::CliError;

#[derive(clap::Args)]
pub struct Args {
    /// Worker processes.
    #[arg(long, default_value_t = 4, value_name = "N")]
    workers: usize,
    /// Rows written by the first round of workers.
    #[arg(long, default_value_t = 12, value_name = "N")]
    rows: usize,
    /// Directory for the demo (must not exist, or be empty).
    #[arg(default_value = "lancer-demo")]
    dir: PathBuf,
}

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, true),
        Field::new("score", DataType::Float64, true),
    ]))
}

const NAMES: &[&str] = &[
    "alice", "bob", "charlie", "craig", "dave", "eve", "frank", "grace", "heidi", "ivan",
];

fn input(path: &Path, ids: std::ops::Range<i64>) -> Result<(), CliError> {
    let names: Vec<&str> = ids
        .clone()
        .map(|i| NAMES[i as usize % NAMES.len()])
        .collect();
    let scores: Vec<f64> = ids.clone().map(|i| (i * 37 % 100) as f64 / 10.0).collect();
    let batch = RecordBatch::try_new(
        schema(),
        vec![
            Arc::new(Int64Array::from_iter_values(ids)),
            Arc::new(StringArray::from(names)),
            Arc::new(Float64Array::from(scores)),
        ],
    )?;
    let file = std::fs::File::create(path).map_err(|e| CliError::input(path, e))?;
    let mut writer = arrow_ipc::writer::FileWriter::try_new(file, &schema())?;
    writer.write(&batch)?;
    writer.finish()?;
    Ok(())
}

/// Runs `lancer ARGS` as a separate process and returns its stdout.
fn lancer(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Result<std::process::Child, CliError> {
    let me = std::env::current_exe()
        .map_err(|e| CliError::general(format!("cannot find this program: {e}")))?;
    let mut command = Command::new(me);
    for arg in args {
        command.arg(arg);
    }
    command.arg("--quiet").stdout(std::process::Stdio::piped());
    command
        .spawn()
        .map_err(|e| CliError::general(format!("cannot start a worker: {e}")))
}

fn wait(child: std::process::Child, what: &str) -> Result<String, CliError> {
    let output = child
        .wait_with_output()
        .map_err(|e| CliError::general(format!("{what}: {e}")))?;
    if !output.status.success() {
        return Err(CliError::general(format!(
            "{what} failed ({})",
            output.status
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn step(title: &str) {
    println!("\n== {title}");
}

pub async fn run(args: Args, context: &Context) -> Result<(), CliError> {
    if args.workers == 0 || args.rows == 0 {
        return Err(CliError::usage("--workers and --rows must be at least 1"));
    }
    let dir = &args.dir;
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(CliError::usage(format!(
            "{} exists and is not empty; pick a new directory",
            dir.display()
        )));
    }
    for sub in ["inputs", "fragments"] {
        std::fs::create_dir_all(dir.join(sub)).map_err(|e| CliError::input(dir, e))?;
    }
    let dataset = dir.join("dataset");
    let uri = dataset
        .to_str()
        .ok_or_else(|| CliError::usage("the directory must be valid UTF-8"))?
        .to_string();

    step(&format!(
        "Write new data: {} worker processes write fragments of a dataset that does not exist yet",
        args.workers
    ));
    let per_worker = args.rows.div_ceil(args.workers);
    let mut workers = Vec::new();
    for k in 0..args.workers {
        let start = (k * per_worker).min(args.rows) as i64;
        let end = ((k + 1) * per_worker).min(args.rows) as i64;
        let path = dir.join(format!("inputs/worker-{k}.arrow"));
        input(&path, start..end)?;
        let output = dir.join(format!("fragments/worker-{k}.json"));
        println!(
            "$ lancer write-fragments {uri} {} --output {}",
            path.display(),
            output.display()
        );
        workers.push((
            k,
            output.clone(),
            lancer(&[&"write-fragments", &uri, &path, &"--output", &output])?,
        ));
    }
    let mut fragment_files = Vec::new();
    for (k, output, child) in workers {
        wait(child, &format!("worker {k}"))?;
        println!(
            "worker {k}: {}",
            std::fs::read_to_string(&output).unwrap_or_default().trim()
        );
        fragment_files.push(output);
    }

    step("Commit: one coordinator collects every worker's fragments and creates version 1");
    println!(
        "$ lancer commit {uri} --operation overwrite --read-version 0 fragments/worker-*.json"
    );
    let mut commit: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![
        &"commit",
        &uri,
        &"--operation",
        &"overwrite",
        &"--read-version",
        &"0",
    ];
    for file in &fragment_files {
        commit.push(file);
    }
    println!("version {}", wait(lancer(&commit)?, "commit")?);
    show(&uri, context).await?;

    step("Append data: another worker, then an Append on the version read");
    let extra = dir.join("inputs/extra.arrow");
    let rows = args.rows as i64;
    input(&extra, rows..rows + 3)?;
    let extra_json = dir.join("fragments/extra.json");
    wait(
        lancer(&[&"write-fragments", &uri, &extra, &"--output", &extra_json])?,
        "extra worker",
    )?;
    println!(
        "$ lancer commit {uri} --operation append --read-version 1 {}",
        extra_json.display()
    );
    println!(
        "version {}",
        wait(
            lancer(&[
                &"commit",
                &uri,
                &"--operation",
                &"append",
                &"--read-version",
                &"1",
                &extra_json
            ])?,
            "commit"
        )?
    );

    step(
        "Add new columns: a worker per fragment computes name_len with a value function, one Merge commits",
    );
    let opened = lancer::Dataset::open_with(
        &uri,
        &lancer::OpenParams::default().with_storage_options(context.storage_options.clone()),
    )
    .await?;
    let me = std::env::current_exe().map_err(|e| CliError::general(e.to_string()))?;
    let value_function = format!("'{}' demo-value-function", me.display());
    let mut mergers = Vec::new();
    for fragment in opened.get_fragments() {
        let output = dir.join(format!("fragments/merge-{}.json", fragment.id()));
        let id = fragment.id().to_string();
        println!(
            "$ lancer merge-columns {uri} --fragment {id} --read-columns name --exec <value function> --output {}",
            output.display()
        );
        mergers.push((
            output.clone(),
            lancer(&[
                &"merge-columns",
                &uri,
                &"--fragment",
                &id,
                &"--read-version",
                &"2",
                &"--read-columns",
                &"name",
                &"--exec",
                &value_function,
                &"--output",
                &output,
            ])?,
        ));
    }
    let mut merge_files = Vec::new();
    for (output, child) in mergers {
        wait(child, "merge worker")?;
        merge_files.push(output);
    }
    let mut commit: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![
        &"commit",
        &uri,
        &"--operation",
        &"merge",
        &"--read-version",
        &"2",
    ];
    for file in &merge_files {
        commit.push(file);
    }
    println!("$ lancer commit {uri} --operation merge --read-version 2 fragments/merge-*.json");
    println!("version {}", wait(lancer(&commit)?, "merge commit")?);

    step("Read back");
    show(&uri, context).await?;
    println!("\nThe dataset is at {uri}; pylance reads it with lance.dataset(\"{uri}\").");
    Ok(())
}

async fn show(uri: &str, context: &Context) -> Result<(), CliError> {
    let dataset = lancer::Dataset::open_with(
        uri,
        &lancer::OpenParams::default().with_storage_options(context.storage_options.clone()),
    )
    .await?;
    let table = dataset.scan().to_batch().await?;
    println!(
        "version {}: {} fragments, {} rows",
        dataset.version(),
        dataset.get_fragments().len(),
        table.num_rows()
    );
    println!("{}", arrow_cast::pretty::pretty_format_batches(&[table])?);
    Ok(())
}

/// Reads batches with a `name` column from stdin (Arrow IPC) and writes `name_len` to
/// stdout (Arrow IPC): what a user's script would do.
pub fn value_function() -> Result<(), CliError> {
    let reader =
        arrow_ipc::reader::StreamReader::try_new(std::io::BufReader::new(std::io::stdin()), None)?;
    let out_schema = Arc::new(Schema::new(vec![Field::new(
        "name_len",
        DataType::Int32,
        true,
    )]));
    let mut writer = arrow_ipc::writer::StreamWriter::try_new(std::io::stdout(), &out_schema)?;
    for batch in reader {
        let batch = batch?;
        let names = batch.column(0).as_string::<i32>();
        let lengths: Int32Array = names
            .iter()
            .map(|n| n.map(|n| n.chars().count() as i32))
            .collect();
        writer.write(&RecordBatch::try_new(
            out_schema.clone(),
            vec![Arc::new(lengths)],
        )?)?;
    }
    writer.finish()?;
    Ok(())
}
