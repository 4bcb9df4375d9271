//! Columns of a 2.1/2.2 file: one per leaf, each queueing its field's rows pruned to that
//! leaf (`lancer_encoding::leaf_array`), encoded as structural pages.

use arrow_array::RecordBatch;
use arrow_schema::{Field, Fields};
use lancer_encoding::StructuralVersion;
use lancer_encoding::proto21::PAGE_LAYOUT_TYPE_URL;

use super::layout::{ColumnLayout, Page};
use super::queue::{ColumnQueue, Job};
use crate::error::{Error, Result};
use crate::format::direct_encoding;

/// Leaf `leaf` of top-level field `field`, whose rows are queued as `single` (the field
/// pruned to the leaf).
struct LeafColumn {
    field: usize,
    leaf: usize,
    single: Field,
    queue: ColumnQueue,
}

/// The 2.1/2.2 layout of a file's fields.
pub(super) struct Layout {
    fields: Fields,
    columns: Vec<LeafColumn>,
    version: StructuralVersion,
}

impl Layout {
    /// Checks every field can be written in `version` and lays out its leaf columns.
    pub(super) fn new(fields: &Fields, version: StructuralVersion) -> Result<Layout> {
        let maps = matches!(version, StructuralVersion::V2_2);
        let mut columns = Vec::new();
        for (index, field) in fields.iter().enumerate() {
            lancer_encoding::check_structural_writable(field, maps).map_err(|source| {
                Error::Column {
                    column: field.name().clone(),
                    source,
                }
            })?;
            for (leaf, single) in lancer_encoding::leaf_types(field.data_type())
                .into_iter()
                .enumerate()
            {
                columns.push(LeafColumn {
                    field: index,
                    leaf,
                    single: field.as_ref().clone().with_data_type(single),
                    queue: ColumnQueue::default(),
                });
            }
        }
        Ok(Layout {
            fields: fields.clone(),
            columns,
            version,
        })
    }
}

impl ColumnLayout for Layout {
    fn num_columns(&self) -> usize {
        self.columns.len()
    }

    fn queue(&mut self, batch: &RecordBatch, page_bytes: usize, jobs: &mut Vec<Job>) -> Result<()> {
        // Every leaf is pruned before any is queued, so a refused batch leaves nothing.
        let mut pruned = Vec::with_capacity(self.columns.len());
        for column in &self.columns {
            let field = &self.fields[column.field];
            let array = batch.column(column.field);
            if array.data_type() != field.data_type() {
                return Err(Error::InvalidInput(format!(
                    "column `{}` has type {} in the batch, {} in the file schema",
                    field.name(),
                    array.data_type(),
                    field.data_type()
                )));
            }
            let single = lancer_encoding::leaf_array(array, column.leaf).map_err(|source| {
                Error::Column {
                    column: field.name().clone(),
                    source,
                }
            })?;
            pruned.push(single);
        }
        for (index, array) in pruned.into_iter().enumerate() {
            let bytes = lancer_encoding::structural_bytes_estimate(&array);
            self.columns[index].queue.push(
                index,
                array,
                bytes,
                lancer_encoding::structural_bytes_estimate,
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
        let column = &self.columns[job.column];
        let pages =
            lancer_encoding::encode_structural_pages(&column.single, 0, &job.arrays, self.version)
                .map_err(|source| Error::Column {
                    column: self.fields[column.field].name().clone(),
                    source,
                })?;
        Ok(pages
            .into_iter()
            .map(|page| Page {
                buffers: page.buffers,
                length: page.num_rows,
                encoding: direct_encoding(PAGE_LAYOUT_TYPE_URL, &page.layout),
            })
            .collect())
    }

    fn closing_pages(&self, _has_pages: &[bool]) -> Result<Vec<(usize, Page)>> {
        Ok(Vec::new())
    }

    fn pages_record_first_row(&self) -> bool {
        true
    }
}
