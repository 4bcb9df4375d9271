//! What differs between file versions when writing: how fields map to columns, how a
//! batch's data reaches each column's queue, and how a column's arrays become pages.
//! [`FileWriter`](super::FileWriter) owns one [`ColumnLayout`] and does the rest (the
//! sink, buffer alignment, column metadata, the footer) the same for every version.

use arrow_array::RecordBatch;
use lancer_encoding::PageBuffer;

use super::queue::Job;
use crate::error::Result;
use crate::proto;

/// A page ready for the file: its buffers, and what its column metadata says of it.
pub(super) struct Page {
    pub(super) buffers: Vec<PageBuffer>,
    /// Values (2.0) or rows (2.1/2.2) it holds.
    pub(super) length: u64,
    pub(super) encoding: proto::Encoding,
}

/// How one file version lays its columns out and encodes their pages.
pub(super) trait ColumnLayout: Send + Sync {
    /// Columns in the file.
    fn num_columns(&self) -> usize;

    /// Queues a batch's data in the columns, refusing data the format cannot hold before
    /// anything of it is queued; columns that filled a page come back as jobs.
    fn queue(&mut self, batch: &RecordBatch, page_bytes: usize, jobs: &mut Vec<Job>) -> Result<()>;

    /// Jobs for everything still queued.
    fn drain(&mut self) -> Vec<Job>;

    /// One job's arrays as pages (called on the encoding pool, several jobs at once).
    fn encode(&self, job: &Job) -> Result<Vec<Page>>;

    /// Pages the format needs once every row is in, for a file with rows: `has_pages[c]`
    /// says whether column `c` has any yet.
    fn closing_pages(&self, has_pages: &[bool]) -> Result<Vec<(usize, Page)>>;

    /// Whether a page records the column's rows before it as its priority (2.1/2.2: pylance
    /// reads pages in that order).
    fn pages_record_first_row(&self) -> bool;
}
