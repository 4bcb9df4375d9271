//! Reading the input files workers are given and writing the files `scan` produces, chosen
//! by extension (`--format` to override).

use std::fs::File;
use std::io::{BufReader, Seek};
use std::path::Path;
use std::sync::Arc;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, SchemaRef};

use crate::error::CliError;

/// A supported file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Apache Parquet (`.parquet`, `.pq`).
    Parquet,
    /// Comma-separated values with a header row (`.csv`).
    Csv,
    /// JSON lines, one object per row (`.jsonl`, `.ndjson`, `.json`).
    Jsonl,
    /// Arrow IPC file or stream (`.arrow`, `.arrows`, `.ipc`, `.feather`).
    Arrow,
}

impl Format {
    /// The format a file name implies.
    pub fn of(path: &Path) -> Result<Format, CliError> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("parquet" | "pq") => Ok(Format::Parquet),
            Some("csv") => Ok(Format::Csv),
            Some("jsonl" | "ndjson" | "json") => Ok(Format::Jsonl),
            Some("arrow" | "arrows" | "ipc" | "feather") => Ok(Format::Arrow),
            _ => Err(CliError::usage(format!(
                "cannot tell the format of `{}` from its extension (.parquet, .csv, .jsonl, .arrow); pass --format",
                path.display()
            ))),
        }
    }
}

/// Batches of an input file.
pub type Batches = Box<dyn RecordBatchReader + Send>;

const BATCH_ROWS: usize = 65_536;
/// Rows read to infer the schema of CSV input (a later value of another type is an error,
/// with its line).
const INFER_ROWS: usize = 10_000;

/// Opens an input file as a stream of batches.
pub fn open_input(path: &Path, format: Option<Format>) -> Result<Batches, CliError> {
    let format = match format {
        Some(format) => format,
        None => Format::of(path)?,
    };
    let open = || File::open(path).map_err(|e| CliError::input(path, e.to_string()));
    let bad = |e: ArrowError| CliError::input(path, format!("not a valid {format:?} file: {e}"));
    Ok(match format {
        Format::Parquet => {
            let builder =
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(open()?)
                    .map_err(|e| CliError::input(path, format!("not a valid Parquet file: {e}")))?;
            Box::new(
                builder
                    .with_batch_size(BATCH_ROWS)
                    .build()
                    .map_err(|e| CliError::input(path, e.to_string()))?,
            )
        }
        Format::Csv => {
            let mut file = open()?;
            let (schema, _) = arrow_csv::reader::Format::default()
                .with_header(true)
                .infer_schema(&mut file, Some(INFER_ROWS))
                .map_err(bad)?;
            file.rewind()
                .map_err(|e| CliError::input(path, e.to_string()))?;
            Box::new(
                arrow_csv::ReaderBuilder::new(Arc::new(schema))
                    .with_header(true)
                    .with_batch_size(BATCH_ROWS)
                    .build(file)
                    .map_err(bad)?,
            )
        }
        Format::Jsonl => {
            let mut reader = BufReader::new(open()?);
            // The whole file: JSON decoding would cut a late 1.5 to an integer column's 1,
            // or drop a key the first rows did not have, without an error.
            let (schema, _) =
                arrow_json::reader::infer_json_schema(&mut reader, None).map_err(bad)?;
            reader
                .rewind()
                .map_err(|e| CliError::input(path, e.to_string()))?;
            Box::new(
                arrow_json::ReaderBuilder::new(Arc::new(schema))
                    .with_strict_mode(true)
                    .with_batch_size(BATCH_ROWS)
                    .build(reader)
                    .map_err(bad)?,
            )
        }
        Format::Arrow => match arrow_ipc::reader::FileReader::try_new(open()?, None) {
            Ok(reader) => Box::new(reader),
            // Not the file format: try the stream format.
            Err(_) => Box::new(
                arrow_ipc::reader::StreamReader::try_new(BufReader::new(open()?), None)
                    .map_err(bad)?,
            ),
        },
    })
}

/// Something that accepts batches and is finished at the end.
pub trait BatchSink {
    /// Writes a batch.
    fn write(&mut self, batch: &RecordBatch) -> Result<(), CliError>;
    /// Completes the file.
    fn finish(self: Box<Self>) -> Result<(), CliError>;
}

struct ParquetSink(parquet::arrow::ArrowWriter<File>);
struct CsvSink(arrow_csv::Writer<File>);
struct JsonSink(arrow_json::LineDelimitedWriter<File>);
struct ArrowSink(arrow_ipc::writer::FileWriter<File>);

fn output_error(e: impl std::fmt::Display) -> CliError {
    CliError::general(format!("cannot write the output: {e}"))
}

impl BatchSink for ParquetSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), CliError> {
        self.0.write(batch).map_err(output_error)
    }
    fn finish(self: Box<Self>) -> Result<(), CliError> {
        self.0.close().map(|_| ()).map_err(output_error)
    }
}

impl BatchSink for CsvSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), CliError> {
        self.0.write(batch).map_err(output_error)
    }
    fn finish(self: Box<Self>) -> Result<(), CliError> {
        Ok(())
    }
}

impl BatchSink for JsonSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), CliError> {
        self.0.write(batch).map_err(output_error)
    }
    fn finish(mut self: Box<Self>) -> Result<(), CliError> {
        self.0.finish().map_err(output_error)
    }
}

impl BatchSink for ArrowSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), CliError> {
        self.0.write(batch).map_err(output_error)
    }
    fn finish(mut self: Box<Self>) -> Result<(), CliError> {
        self.0.finish().map_err(output_error)
    }
}

/// A file of `format` at `path` for batches of `schema`.
pub fn create_output(path: &Path, schema: &SchemaRef) -> Result<Box<dyn BatchSink>, CliError> {
    let format = Format::of(path)?;
    let file = File::create(path)
        .map_err(|e| CliError::general(format!("cannot create {}: {e}", path.display())))?;
    Ok(match format {
        Format::Parquet => Box::new(ParquetSink(
            parquet::arrow::ArrowWriter::try_new(file, schema.clone(), None)
                .map_err(output_error)?,
        )),
        Format::Csv => Box::new(CsvSink(
            arrow_csv::WriterBuilder::new()
                .with_header(true)
                .build(file),
        )),
        Format::Jsonl => Box::new(JsonSink(arrow_json::LineDelimitedWriter::new(file))),
        Format::Arrow => Box::new(ArrowSink(
            arrow_ipc::writer::FileWriter::try_new(file, schema).map_err(output_error)?,
        )),
    })
}
