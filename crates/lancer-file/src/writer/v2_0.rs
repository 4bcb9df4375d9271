//! Columns of a 2.0 file: every field has one (a struct a header column, a list an offsets
//! column), and a batch reaches them shredded (`lancer_encoding::shred`).

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Fields};
use lancer_encoding::proto::ARRAY_ENCODING_TYPE_URL;
use lancer_encoding::{ColumnKind, ColumnSlice, EncodedPage};

use super::layout::{ColumnLayout, Page};
use super::queue::{ColumnQueue, Job};
use crate::error::{Error, Result};
use crate::format::direct_encoding;

struct Column {
    kind: ColumnKind,
    /// Arrow type of the values (for [`ColumnKind::Values`] columns).
    data_type: DataType,
    /// Dotted path, for errors.
    path: String,
    queue: ColumnQueue,
    /// Rows a struct header column has seen (its one page is written at the end).
    header_values: u64,
}

/// The 2.0 layout of a file's fields.
pub(super) struct Layout {
    fields: Fields,
    columns: Vec<Column>,
}

impl Layout {
    /// Checks every field can be written to a 2.0 file and lays out its columns.
    pub(super) fn new(fields: &Fields) -> Result<Layout> {
        let mut columns = Vec::new();
        for field in fields {
            lancer_encoding::check_writable(field).map_err(|source| Error::Column {
                column: field.name().clone(),
                source,
            })?;
            add_columns(field.name(), field.data_type(), &mut columns);
        }
        Ok(Layout {
            fields: fields.clone(),
            columns,
        })
    }

    fn encode_column(&self, column: usize, arrays: &[ArrayRef]) -> Result<Page> {
        let column = &self.columns[column];
        let page = match column.kind {
            ColumnKind::Values => lancer_encoding::encode_values(&column.data_type, arrays),
            ColumnKind::ListOffsets => lancer_encoding::encode_list_offsets(arrays),
            ColumnKind::StructHeader => Ok(lancer_encoding::encode_struct_header(0)),
        };
        page.map(as_page).map_err(|source| Error::Column {
            column: column.path.clone(),
            source,
        })
    }
}

fn as_page(page: EncodedPage) -> Page {
    Page {
        buffers: page.buffers,
        length: page.num_values,
        encoding: direct_encoding(ARRAY_ENCODING_TYPE_URL, &page.encoding),
    }
}

fn add_columns(path: &str, data_type: &DataType, out: &mut Vec<Column>) {
    let column = |kind, data_type: &DataType| Column {
        kind,
        data_type: data_type.clone(),
        path: path.to_string(),
        queue: ColumnQueue::default(),
        header_values: 0,
    };
    match data_type {
        DataType::Struct(children) => {
            out.push(column(ColumnKind::StructHeader, data_type));
            for child in children {
                add_columns(&format!("{path}.{}", child.name()), child.data_type(), out);
            }
        }
        DataType::List(item) | DataType::LargeList(item) => {
            out.push(column(ColumnKind::ListOffsets, data_type));
            add_columns(&format!("{path}.{}", item.name()), item.data_type(), out);
        }
        _ => out.push(column(ColumnKind::Values, data_type)),
    }
}

/// Roughly the encoded bytes of `array` in a column of `kind`.
fn estimate(kind: ColumnKind, array: &ArrayRef) -> usize {
    match kind {
        ColumnKind::ListOffsets => 8 * array.len(),
        _ => ColumnSlice::Values(array.clone()).encoded_bytes_estimate(),
    }
}

impl ColumnLayout for Layout {
    fn num_columns(&self) -> usize {
        self.columns.len()
    }

    fn queue(&mut self, batch: &RecordBatch, page_bytes: usize, jobs: &mut Vec<Job>) -> Result<()> {
        let mut slices = Vec::with_capacity(self.columns.len());
        for (field, column) in self.fields.iter().zip(batch.columns()) {
            lancer_encoding::shred(field, column, &mut slices).map_err(|source| Error::Column {
                column: field.name().clone(),
                source,
            })?;
        }
        debug_assert_eq!(slices.len(), self.columns.len());
        for (index, slice) in slices.into_iter().enumerate() {
            let column = &mut self.columns[index];
            let bytes = slice.encoded_bytes_estimate();
            let array = match slice {
                ColumnSlice::StructHeader(n) => {
                    column.header_values += n as u64;
                    continue;
                }
                ColumnSlice::Values(a) | ColumnSlice::ListOffsets(a) => a,
            };
            let kind = column.kind;
            column.queue.push(
                index,
                array,
                bytes,
                |piece| estimate(kind, piece),
                page_bytes,
                jobs,
            );
        }
        Ok(())
    }

    fn drain(&mut self) -> Vec<Job> {
        self.columns
            .iter_mut()
            .enumerate()
            .filter_map(|(index, column)| column.queue.take(index))
            .collect()
    }

    fn encode(&self, job: &Job) -> Result<Vec<Page>> {
        Ok(vec![self.encode_column(job.column, &job.arrays)?])
    }

    fn closing_pages(&self, has_pages: &[bool]) -> Result<Vec<(usize, Page)>> {
        // Every column gets at least one page, and a struct header exactly one: pylance's
        // reader expects both.
        let mut pages = Vec::new();
        for (index, column) in self.columns.iter().enumerate() {
            match column.kind {
                ColumnKind::StructHeader => pages.push((
                    index,
                    as_page(lancer_encoding::encode_struct_header(column.header_values)),
                )),
                _ if !has_pages[index] => pages.push((index, self.encode_column(index, &[])?)),
                _ => {}
            }
        }
        Ok(pages)
    }

    fn pages_record_first_row(&self) -> bool {
        false
    }
}
