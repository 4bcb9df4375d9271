//! What a scan returns, as pylance names it: top-level columns, nested fields by their
//! dotted path (`s.x`, returned as a column named `s.x`), and the row id / row address
//! columns `_rowid` and `_rowaddr`.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, RecordBatchOptions, StructArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use lancer_file::LanceField;

use crate::dataset::Dataset;
use crate::error::{Error, Result};

/// The row id column. Without stable row ids (which lancer does not write) a row's id is
/// its address, as in pylance.
pub const ROW_ID: &str = "_rowid";
/// The row address column: the fragment id in the high 32 bits, the row's position in the
/// fragment's files (deleted rows counted) in the low 32.
pub const ROW_ADDRESS: &str = "_rowaddr";

/// One output column.
#[derive(Clone, Debug)]
enum Output {
    /// A field read from the files: which of the read fields, then the path of struct
    /// children below it (empty for the field itself).
    Field { read: usize, path: Vec<String> },
    /// The row address, also given as the row id.
    Address,
}

/// A scan's projection: what is read and how the output is made from it.
#[derive(Clone, Debug)]
pub(crate) struct ScanProjection {
    /// Top-level fields read from the data files, in order of first use.
    pub(crate) read_fields: Vec<LanceField>,
    /// The schema of the batches as read: the read fields, then `_rowaddr` when wanted.
    pub(crate) read_schema: SchemaRef,
    /// Whether the read batches carry the row address as a last column.
    pub(crate) addresses: bool,
    outputs: Vec<Output>,
    output_schema: SchemaRef,
}

impl ScanProjection {
    /// The projection of `columns` (every top-level column when None), with `_rowid` and
    /// `_rowaddr` added at the end when asked for and not already named.
    pub(crate) fn new(
        dataset: &Dataset,
        columns: Option<&[String]>,
        row_id: bool,
        row_address: bool,
    ) -> Result<ScanProjection> {
        let schema = dataset.schema();
        let mut names: Vec<String> = match columns {
            Some(names) => names.to_vec(),
            None => schema.fields.iter().map(|f| f.name.clone()).collect(),
        };
        for (wanted, name) in [(row_id, ROW_ID), (row_address, ROW_ADDRESS)] {
            if wanted && !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
        let mut read_fields: Vec<LanceField> = Vec::new();
        let mut outputs = Vec::with_capacity(names.len());
        let mut output_fields = Vec::with_capacity(names.len());
        for name in &names {
            if name == ROW_ID || name == ROW_ADDRESS {
                outputs.push(Output::Address);
                output_fields.push(Field::new(name, DataType::UInt64, false));
                continue;
            }
            let (top, path) = resolve(dataset, name)?;
            let read = match read_fields.iter().position(|f| f.id == top.id) {
                Some(index) => index,
                None => {
                    read_fields.push(top.clone());
                    read_fields.len() - 1
                }
            };
            let mut field = top.to_arrow()?;
            for child in &path {
                field = struct_child(&field, child)
                    .ok_or_else(|| no_column(name))?
                    .with_nullable(true);
            }
            output_fields.push(field.with_name(name.clone()));
            outputs.push(Output::Field { read, path });
        }
        let addresses = outputs.iter().any(|o| matches!(o, Output::Address));
        let metadata = dataset.arrow_schema()?.metadata().clone();
        let mut read_arrow = read_fields
            .iter()
            .map(LanceField::to_arrow)
            .collect::<lancer_file::Result<Vec<_>>>()?;
        if addresses {
            read_arrow.push(Field::new(ROW_ADDRESS, DataType::UInt64, false));
        }
        Ok(ScanProjection {
            read_fields,
            read_schema: Arc::new(Schema::new_with_metadata(read_arrow, metadata.clone())),
            addresses,
            outputs,
            output_schema: Arc::new(Schema::new_with_metadata(output_fields, metadata)),
        })
    }

    /// The schema of the scan's batches.
    pub(crate) fn output_schema(&self) -> SchemaRef {
        self.output_schema.clone()
    }

    /// Whether output batches are the read batches as they are.
    pub(crate) fn is_identity(&self) -> bool {
        !self.addresses
            && self.outputs.len() == self.read_fields.len()
            && self.outputs.iter().enumerate().all(
                |(i, o)| matches!(o, Output::Field { read, path } if *read == i && path.is_empty()),
            )
    }

    /// The output batch made from a read batch.
    pub(crate) fn apply(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        if self.is_identity() {
            return Ok(batch.clone());
        }
        let columns = self
            .outputs
            .iter()
            .map(|output| match output {
                Output::Address => Ok(batch.column(batch.num_columns() - 1).clone()),
                Output::Field { read, path } => {
                    let mut column = batch.column(*read).clone();
                    for child in path {
                        column = child_column(&column, child)?;
                    }
                    Ok(column)
                }
            })
            .collect::<Result<Vec<ArrayRef>>>()?;
        Ok(RecordBatch::try_new_with_options(
            self.output_schema.clone(),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
        )?)
    }
}

/// The top-level field a column name refers to, and the struct path below it.
fn resolve<'a>(dataset: &'a Dataset, name: &str) -> Result<(&'a LanceField, Vec<String>)> {
    let schema = dataset.schema();
    if let Some(field) = schema.field(name) {
        return Ok((field, Vec::new()));
    }
    // Top-level names never hold a dot (lancer and pylance refuse them), so the first
    // segment names the top-level field.
    let mut parts = name.split('.');
    let top = parts.next().and_then(|first| schema.field(first));
    match top {
        Some(field) if name.contains('.') => Ok((field, parts.map(str::to_string).collect())),
        _ => Err(no_column(name)),
    }
}

fn no_column(name: &str) -> Error {
    Error::invalid_input(format!("the dataset has no column `{name}`"))
}

fn struct_child(field: &Field, name: &str) -> Option<Field> {
    match field.data_type() {
        DataType::Struct(children) => children
            .iter()
            .find(|c| c.name() == name)
            .map(|c| c.as_ref().clone()),
        _ => None,
    }
}

/// A struct column's child, with the struct's own nulls applied (a null struct has null
/// children, whatever its child arrays hold).
fn child_column(column: &ArrayRef, name: &str) -> Result<ArrayRef> {
    let parent = column
        .as_any()
        .downcast_ref::<StructArray>()
        .ok_or_else(|| no_column(name))?;
    let child = parent
        .column_by_name(name)
        .ok_or_else(|| no_column(name))?
        .clone();
    let Some(nulls) = parent.nulls() else {
        return Ok(child);
    };
    let merged = arrow_buffer::NullBuffer::union(Some(nulls), child.nulls());
    let data = child.to_data().into_builder().nulls(merged).build()?;
    Ok(arrow_array::make_array(data))
}
