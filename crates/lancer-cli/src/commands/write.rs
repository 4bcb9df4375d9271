//! `lancer write-fragments`.

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, SchemaRef};

use crate::error::CliError;
use crate::io::{Format, open_input};
use crate::{Context, emit, progress};

#[derive(clap::Args)]
pub struct Args {
    /// The dataset (local path, file://, s3://, az://, gs://).
    uri: String,
    /// Input files (Parquet, CSV, JSON lines, Arrow IPC; chosen by extension). All must have
    /// the same columns.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Input format, instead of guessing from the extension.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Start a new file (and fragment) after this many rows.
    #[arg(long, value_name = "N", value_parser = at_least_one::<usize>)]
    max_rows_per_file: Option<usize>,
    /// Start a new file once a file reaches this many bytes.
    #[arg(long, value_name = "N", value_parser = at_least_one::<u64>)]
    max_bytes_per_file: Option<u64>,
    /// Lance file format version of the files when the fragments create the dataset: 2.2
    /// (the default, also `stable`, as pylance 14), 2.1 or 2.0. Fragments for an existing
    /// dataset always take its version.
    #[arg(long, value_name = "VERSION")]
    data_storage_version: Option<String>,
    /// Name every data file with this job tag (lowercase letters and digits, e.g. the
    /// scheduler's job id), so `lancer abort URI --job TAG` removes a failed job's files,
    /// even those of workers that died before printing their fragments.
    #[arg(long, value_name = "TAG")]
    job: Option<String>,
    /// Write the fragment JSON to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// All inputs as one reader, checking they share a schema.
struct Chained {
    schema: SchemaRef,
    current: Option<crate::io::Batches>,
    rest: std::vec::IntoIter<(PathBuf, crate::io::Batches)>,
    bar: indicatif::ProgressBar,
}

impl Iterator for Chained {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(reader) = &mut self.current {
                match reader.next() {
                    Some(Ok(batch)) => {
                        self.bar.inc(batch.num_rows() as u64);
                        return Some(Ok(batch));
                    }
                    Some(Err(e)) => return Some(Err(e)),
                    None => self.current = None,
                }
            }
            let (_, next) = self.rest.next()?;
            self.current = Some(next);
        }
    }
}

impl RecordBatchReader for Chained {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

pub async fn run(args: Args, context: &Context) -> Result<(), CliError> {
    let version = args
        .data_storage_version
        .as_deref()
        .map(|name| {
            lancer::parse_data_storage_version(name).map_err(|e| CliError::usage(e.to_string()))
        })
        .transpose()?;
    let mut readers = Vec::new();
    for path in &args.inputs {
        readers.push((path.clone(), open_input(path, args.format)?));
    }
    // Inputs may come from different writers (Parquet's `element` lists, Arrow's `item`,
    // view types): each must fit the first, and every batch is brought to the dataset's
    // schema by `write_fragments`.
    let schema = Arc::new(lancer::storable_schema(&readers[0].1.schema())?);
    for (path, reader) in &readers[1..] {
        if let Err(e) = lancer::check_conformable(&reader.schema(), &schema) {
            return Err(CliError::input(
                path,
                format!(
                    "has columns {} that do not fit those of {} ({}): {e}",
                    describe(&reader.schema()),
                    args.inputs[0].display(),
                    describe(&schema)
                ),
            ));
        }
    }
    let bar = progress::rows(context.quiet, "written");
    let mut rest = readers.into_iter();
    let first = rest.next().map(|(_, r)| r);
    let reader = Chained {
        schema,
        current: first,
        rest,
        bar: bar.clone(),
    };
    let mut params =
        lancer::WriteParams::default().with_storage_options(context.storage_options.clone());
    if let Some(rows) = args.max_rows_per_file {
        params = params.with_max_rows_per_file(rows);
    }
    if let Some(bytes) = args.max_bytes_per_file {
        params = params.with_max_bytes_per_file(bytes);
    }
    if let Some(version) = version {
        params = params.with_data_storage_version(version);
    }
    if let Some(job) = &args.job {
        params = params.with_job(job.clone());
    }
    let fragments = lancer::write_fragments(&args.uri, reader, &params).await?;
    bar.finish_and_clear();
    emit(args.output.as_ref(), &lancer::fragments_to_json(&fragments))
}

fn describe(schema: &SchemaRef) -> String {
    let fields: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| format!("{}: {}", f.name(), f.data_type()))
        .collect();
    format!("[{}]", fields.join(", "))
}

fn at_least_one<T: std::str::FromStr + PartialEq + From<u8>>(text: &str) -> Result<T, String> {
    match text.parse::<T>() {
        Ok(n) if n == T::from(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a whole number")),
    }
}
