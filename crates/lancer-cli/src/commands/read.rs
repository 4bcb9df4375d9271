//! Reading: `lancer scan`, `show`, `versions`.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use futures::TryStreamExt;
use lancer::{Dataset, OpenParams};
use serde_json::json;

use crate::error::CliError;
use crate::io::create_output;
use crate::{Context, emit};

pub(crate) async fn open(
    uri: &str,
    version: Option<u64>,
    context: &Context,
) -> Result<Dataset, CliError> {
    let mut params = OpenParams::default().with_storage_options(context.storage_options.clone());
    if let Some(version) = version {
        params = params.with_version(version);
    }
    Ok(Dataset::open_with(uri, &params).await?)
}

#[derive(clap::Args)]
pub struct ScanArgs {
    /// The dataset.
    uri: String,
    /// The version (default: the latest).
    #[arg(long, value_name = "N")]
    version: Option<u64>,
    /// Columns to read, comma-separated (default: all).
    #[arg(long, value_name = "a,b", value_delimiter = ',')]
    columns: Vec<String>,
    /// Stop after this many rows.
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
    /// Write the rows to FILE (.parquet, .csv, .jsonl or .arrow) instead of printing a table.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub async fn scan(args: ScanArgs, context: &Context) -> Result<(), CliError> {
    let dataset = open(&args.uri, args.version, context).await?;
    let mut scanner = dataset.scan();
    if !args.columns.is_empty() {
        scanner = scanner.project(&args.columns);
    }
    if let Some(limit) = args.limit {
        scanner = scanner.limit(limit);
    }
    let schema = scanner.schema()?;
    let mut stream = scanner.try_into_stream()?;
    match &args.output {
        Some(path) => {
            let mut sink = create_output(path, &schema)?;
            while let Some(batch) = stream.try_next().await? {
                sink.write(&batch)?;
            }
            sink.finish()
        }
        None => {
            // One table per batch keeps memory bounded on large datasets.
            let mut printed = false;
            while let Some(batch) = stream.try_next().await? {
                if batch.num_rows() > 0 || !printed {
                    println!("{}", arrow_cast::pretty::pretty_format_batches(&[batch])?);
                    printed = true;
                }
            }
            if !printed {
                println!(
                    "{}",
                    arrow_cast::pretty::pretty_format_batches(&[
                        arrow_array::RecordBatch::new_empty(schema)
                    ])?
                );
            }
            Ok(())
        }
    }
}

#[derive(clap::Args)]
pub struct ShowArgs {
    /// The dataset.
    uri: String,
    /// The version (default: the latest).
    #[arg(long, value_name = "N")]
    version: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub async fn show(args: ShowArgs, context: &Context) -> Result<(), CliError> {
    let dataset = open(&args.uri, args.version, context).await?;
    let manifest = dataset.manifest();
    let fields: Vec<_> = manifest
        .schema
        .walk()
        .iter()
        .map(
            |f| json!({"name": f.name, "id": f.id, "type": f.logical_type, "nullable": f.nullable}),
        )
        .collect();
    let fragments: Vec<_> = manifest
        .fragments
        .iter()
        .map(|f| {
            json!({
                "id": f.id,
                "physical_rows": f.physical_rows,
                "rows": f.num_rows(),
                "deleted_rows": f.deletion_file.and_then(|d| d.num_deleted_rows),
                "files": f.files.iter().map(|d| json!({
                    "path": d.path, "fields": d.fields, "bytes": d.file_size_bytes,
                    "version": format!("{}.{}", d.file_major_version, d.file_minor_version),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let bytes: u64 = manifest
        .fragments
        .iter()
        .flat_map(|f| &f.files)
        .filter_map(|d| d.file_size_bytes)
        .sum();
    let format = manifest.data_format.as_ref().map(|f| f.version.clone());
    if args.json {
        let summary = json!({
            "version": manifest.version,
            "rows": manifest.num_rows(),
            "data_format": format,
            "bytes": bytes,
            "schema": fields,
            "fragments": fragments,
            "writer": manifest.writer_version.as_ref().map(|w| format!("{} {}", w.library, w.version)),
        });
        return emit(None, &serde_json::to_string_pretty(&summary).expect("JSON"));
    }
    println!("version      {}", manifest.version);
    println!(
        "rows         {}",
        manifest
            .num_rows()
            .map_or("unknown".into(), |n| n.to_string())
    );
    println!(
        "data format  lance {}",
        format.unwrap_or_else(|| "unknown".into())
    );
    println!("fragments    {}", manifest.fragments.len());
    println!("data bytes   {bytes}");
    if let Some(writer) = &manifest.writer_version {
        println!("written by   {} {}", writer.library, writer.version);
    }
    println!("schema");
    for field in manifest.schema.walk() {
        let depth = depth(&manifest.schema, field.id);
        println!(
            "  {}{}: {}{} (id {})",
            "  ".repeat(depth),
            field.name,
            field.logical_type,
            if field.nullable { "" } else { " not null" },
            field.id
        );
    }
    println!("fragments");
    for fragment in manifest.fragments.iter() {
        let rows = fragment.num_rows().map_or("?".into(), |n| n.to_string());
        println!("  {:>6}  {rows} rows", fragment.id);
        for file in &fragment.files {
            println!(
                "          data/{}  fields {:?}  {} bytes",
                file.path,
                file.fields,
                file.file_size_bytes.map_or("?".into(), |n| n.to_string())
            );
        }
    }
    Ok(())
}

fn depth(schema: &lancer::LanceSchema, id: i32) -> usize {
    fn find(fields: &[lancer::LanceField], id: i32, depth: usize) -> Option<usize> {
        for field in fields {
            if field.id == id {
                return Some(depth);
            }
            if let Some(d) = find(&field.children, id, depth + 1) {
                return Some(d);
            }
        }
        None
    }
    find(&schema.fields, id, 0).unwrap_or(0)
}

#[derive(clap::Args)]
pub struct VersionsArgs {
    /// The dataset.
    uri: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `2026-11-25T13:45:00Z` for a time since the epoch (UTC, no leap seconds).
fn iso8601(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub async fn versions(args: VersionsArgs, context: &Context) -> Result<(), CliError> {
    let dataset = open(&args.uri, None, context).await?;
    let versions = dataset.versions().await?;
    if args.json {
        let list: Vec<_> = versions
            .iter()
            .map(|v| json!({"version": v.version, "timestamp": iso8601(v.last_modified), "manifest_bytes": v.size}))
            .collect();
        return emit(None, &serde_json::to_string(&list).expect("JSON"));
    }
    for v in versions {
        println!(
            "{:>8}  {}  {} bytes",
            v.version,
            iso8601(v.last_modified),
            v.size
        );
    }
    Ok(())
}
