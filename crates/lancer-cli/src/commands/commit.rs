//! `lancer commit`.

use std::io::Read;
use std::path::PathBuf;

use lancer::{CommitParams, Dataset, Fragment, OpenParams, Operation};

use crate::error::CliError;
use crate::{Context, emit};

#[derive(Clone, Copy, clap::ValueEnum)]
enum Kind {
    /// Replace the dataset (or create it, with --read-version 0).
    Overwrite,
    /// Add the fragments.
    Append,
    /// Add columns: the fragments are every fragment of the read version with new files.
    Merge,
}

#[derive(clap::Args)]
pub struct Args {
    /// The dataset.
    uri: String,
    /// What the commit does.
    #[arg(long, value_enum)]
    operation: Kind,
    /// The version the workers' work is based on (0 creates the dataset).
    #[arg(long, value_name = "N")]
    read_version: u64,
    /// A UUID identifying this commit; re-running with the same id after a crash or a lost
    /// reply never commits twice.
    #[arg(long, value_name = "UUID")]
    transaction_id: Option<String>,
    /// Files each holding a JSON array of fragments or one fragment object; `-` reads stdin.
    #[arg(required = true, value_name = "FRAGMENTS_FILE")]
    fragments: Vec<PathBuf>,
    /// Skip checking the data files before committing.
    #[arg(long)]
    no_validate: bool,
    /// Give up after this many attempts lost to other writers.
    #[arg(long, value_name = "N", default_value_t = 20)]
    max_retries: u32,
}

fn check_uuid(id: &str) -> Result<(), CliError> {
    let shape = id.len() == 36
        && id.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    if shape {
        Ok(())
    } else {
        Err(CliError::usage(format!(
            "--transaction-id `{id}` is not a UUID (8-4-4-4-12 hex digits)"
        )))
    }
}

pub fn read_fragments(paths: &[PathBuf]) -> Result<Vec<Fragment>, CliError> {
    let mut fragments = Vec::new();
    for path in paths {
        let text = if path.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| CliError::general(format!("cannot read stdin: {e}")))?;
            text
        } else {
            std::fs::read_to_string(path).map_err(|e| CliError::input(path, e.to_string()))?
        };
        fragments.extend(lancer::fragments_from_json(&text).map_err(|e| CliError::input(path, e))?);
    }
    Ok(fragments)
}

pub async fn run(args: Args, context: &Context) -> Result<(), CliError> {
    if let Some(id) = &args.transaction_id {
        check_uuid(id)?;
    }
    let fragments = read_fragments(&args.fragments)?;
    let operation = match args.operation {
        Kind::Overwrite => {
            let schema =
                lancer::schema_from_files(&args.uri, &fragments, &context.storage_options).await?;
            Operation::overwrite(fragments, schema)
        }
        Kind::Append => Operation::append(fragments),
        Kind::Merge => {
            let open = OpenParams::default()
                .with_version(args.read_version)
                .with_storage_options(context.storage_options.clone());
            let dataset = Dataset::open_with(&args.uri, &open).await?;
            let schema = lancer::merged_schema(&dataset, &fragments).await?;
            Operation::merge(fragments, schema, dataset.schema())
        }
    };
    let mut params = CommitParams::default()
        .with_storage_options(context.storage_options.clone())
        .with_validation(!args.no_validate)
        .with_commit_options(lancer::CommitOptions::default().with_max_retries(args.max_retries));
    if let Some(id) = args.transaction_id {
        params = params.with_transaction_id(id);
    }
    let dataset = Dataset::commit(&args.uri, operation, args.read_version, &params).await?;
    emit(None, &dataset.version().to_string())
}
