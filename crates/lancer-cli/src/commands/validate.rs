//! Validation: `lancer validate`.

use super::read::open;
use crate::Context;
use crate::error::CliError;

#[derive(clap::Args)]
pub struct ValidateArgs {
    /// The dataset.
    uri: String,
    /// The version (default: the latest).
    #[arg(long, value_name = "N")]
    version: Option<u64>,
}

pub async fn validate(args: ValidateArgs, context: &Context) -> Result<(), CliError> {
    let dataset = open(&args.uri, args.version, context).await?;
    let check = dataset.check_files().await?;
    let (files, problems) = (check.files, check.problems);
    for problem in &problems {
        println!("{problem}");
    }
    if problems.is_empty() {
        println!(
            "version {}: {files} data and deletion files, all present and readable, matching the manifest",
            dataset.version()
        );
        Ok(())
    } else {
        Err(CliError::general(format!(
            "version {}: {} of {files} data and deletion files have problems",
            dataset.version(),
            problems.len()
        )))
    }
}
