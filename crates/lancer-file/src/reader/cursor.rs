//! Reading a range of values of one field, page by page: what every file version shares.
//!
//! A [`FieldCursor`] is the cursor of one top-level field, built by its file version's
//! module: [`v2_0`](super::v2_0) mirrors the field's type over one column per field, and
//! [`structural`](super::structural) reads 2.1/2.2 leaf columns and joins them. Both read
//! their columns through a [`ColumnCursor`], which keeps the buffers of the page it read
//! last (so a sequential scan fetches every page once) and prefetches the next.

use std::ops::Range;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use bytes::Bytes;
use futures::future::BoxFuture;
use object_store::ObjectStore;
use object_store::path::Path;

use super::{structural, v2_0};
use crate::error::{Error, Result, corrupt};
use crate::format::{ColumnInfo, PageInfo};

/// Where pages come from.
#[derive(Clone)]
pub(crate) struct PageIo {
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) path: Path,
}

impl PageIo {
    /// Byte ranges of a page's buffers (relative to each buffer), in one request.
    pub(super) async fn fetch_ranges(
        &self,
        page: &PageInfo,
        ranges: lancer_encoding::BufferRanges,
    ) -> Result<Vec<Bytes>> {
        let mut absolute = Vec::with_capacity(ranges.len());
        for (buffer, range) in &ranges {
            let whole = page
                .buffers
                .get(*buffer)
                .ok_or_else(|| corrupt(format!("the page has no buffer {buffer}")))?;
            if range.end > whole.end - whole.start {
                return Err(corrupt(format!(
                    "bytes {range:?} of a {}-byte buffer",
                    whole.end - whole.start
                )));
            }
            absolute.push(whole.start + range.start..whole.start + range.end);
        }
        self.fetch_absolute(&absolute).await
    }

    /// Every buffer of a page.
    pub(super) async fn fetch(&self, page: &PageInfo) -> Result<Arc<Vec<Bytes>>> {
        Ok(Arc::new(self.fetch_absolute(&page.buffers).await?))
    }

    /// Byte ranges of the file in one request, empty ones without asking, each checked to
    /// be whole.
    async fn fetch_absolute(&self, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let wanted: Vec<Range<u64>> = ranges.iter().filter(|r| !r.is_empty()).cloned().collect();
        let mut fetched = if wanted.is_empty() {
            Vec::new()
        } else {
            self.store.get_ranges(&self.path, &wanted).await?
        }
        .into_iter();
        let mut out = Vec::with_capacity(ranges.len());
        for range in ranges {
            if range.is_empty() {
                out.push(Bytes::new());
                continue;
            }
            let bytes = fetched
                .next()
                .ok_or_else(|| corrupt("store returned too few ranges"))?;
            if bytes.len() as u64 != range.end - range.start {
                return Err(corrupt(format!(
                    "buffer {range:?} is cut short: the file ends before it ({} of {} bytes)",
                    bytes.len(),
                    range.end - range.start
                )));
            }
            out.push(bytes);
        }
        Ok(out)
    }
}

type Fetch = tokio::task::JoinHandle<Result<Arc<Vec<Bytes>>>>;

/// Reads pages of one column.
pub(crate) struct ColumnCursor {
    pub(super) column: usize,
    pub(super) path: String,
    pub(super) info: Arc<ColumnInfo>,
    /// First value of each page, plus the total at the end.
    pub(super) starts: Vec<u64>,
    loaded: Option<(usize, Arc<Vec<Bytes>>)>,
    /// The next page, already being fetched while the current one is decoded.
    prefetch: Option<(usize, Fetch)>,
    /// Values past this are never read, so pages past it are not prefetched.
    pub(super) limit: u64,
}

impl Drop for ColumnCursor {
    fn drop(&mut self) {
        if let Some((_, fetch)) = self.prefetch.take() {
            fetch.abort();
        }
    }
}

impl ColumnCursor {
    /// The cursor of column `column` of a file of `version` (`path` names its field in
    /// errors), checking that its pages hold the `expected` values its parent needs.
    pub(super) fn new(
        version: &str,
        column: usize,
        path: String,
        info: Arc<ColumnInfo>,
        expected: u64,
    ) -> Result<Self> {
        if let Some(why) = &info.unsupported {
            return Err(Error::UnsupportedVersion {
                version: version.to_string(),
                reason: format!("column `{path}` uses {why}, which lancer cannot decode"),
            });
        }
        let mut starts = Vec::with_capacity(info.pages.len() + 1);
        let mut total = 0u64;
        for page in &info.pages {
            starts.push(total);
            total = total
                .checked_add(page.num_values)
                .ok_or_else(|| corrupt(format!("column `{path}` page lengths overflow")))?;
        }
        starts.push(total);
        if total != expected {
            return Err(corrupt(format!(
                "column `{path}` (column {column}) holds {total} values, its parent needs {expected}"
            )));
        }
        Ok(ColumnCursor {
            column,
            path,
            info,
            starts,
            loaded: None,
            prefetch: None,
            limit: u64::MAX,
        })
    }

    pub(super) fn total(&self) -> u64 {
        *self.starts.last().unwrap_or(&0)
    }

    /// Pages overlapping `range`, each with the local range inside it.
    pub(super) fn pages_for(&self, range: &Range<u64>) -> Vec<(usize, Range<usize>)> {
        let first = self
            .starts
            .partition_point(|&s| s <= range.start)
            .saturating_sub(1);
        let mut out = Vec::new();
        for page in first..self.info.pages.len() {
            let (start, end) = (self.starts[page], self.starts[page + 1]);
            if start >= range.end {
                break;
            }
            if end <= range.start || start == end {
                continue;
            }
            let local =
                (range.start.max(start) - start) as usize..(range.end.min(end) - start) as usize;
            out.push((page, local));
        }
        out
    }

    /// The buffers of page `page`, from the page kept or prefetched, else fetched. With
    /// `prefetch_next`, the next page starts to load (inside a tokio runtime) so its IO
    /// overlaps with decoding this one.
    pub(super) async fn buffers(
        &mut self,
        io: &PageIo,
        page: usize,
        prefetch_next: bool,
    ) -> Result<Arc<Vec<Bytes>>> {
        if let Some((loaded, buffers)) = &self.loaded
            && *loaded == page
        {
            return Ok(buffers.clone());
        }
        let buffers = match self.prefetch.take() {
            Some((next, fetch)) if next == page => match fetch.await {
                Ok(result) => result?,
                Err(_) => io.fetch(&self.info.pages[page]).await?,
            },
            other => {
                if let Some((_, fetch)) = other {
                    fetch.abort();
                }
                io.fetch(&self.info.pages[page]).await?
            }
        };
        self.loaded = Some((page, buffers.clone()));
        // Sequential reads want the next page next.
        let next = page + 1;
        if prefetch_next
            && next < self.info.pages.len()
            && self.starts[next] < self.limit
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let (io, info) = (io.clone(), self.info.clone());
            let fetch = runtime.spawn(async move { io.fetch(&info.pages[next]).await });
            self.prefetch = Some((next, fetch));
        }
        Ok(buffers)
    }

    /// Drops the kept buffers (their page is decoded and kept in another form).
    pub(super) fn release(&mut self) {
        self.loaded = None;
    }

    pub(super) fn column_error(&self, source: lancer_encoding::Error) -> Error {
        Error::Column {
            column: self.path.clone(),
            source,
        }
    }
}

/// A large page a scan goes through is read about this many bytes at a time, the next
/// segment fetched while one decodes, not whole: the reads then reuse memory the allocator
/// has rather than a fresh page-sized allocation the kernel must zero page by page, and the
/// first batch comes before the whole page is read. (1 MiB made one-column scans faster and
/// every-column scans 15% slower.)
pub(super) const SEGMENT_BYTES: u64 = 2 * 1024 * 1024;

/// The rows of a segment of `page`, for reads of `step` rows: about [`SEGMENT_BYTES`] of
/// the page's bytes, in whole reads (a read straddling two segments would start a segment
/// of its own, fetching bytes again and wasting the one fetched ahead).
pub(super) fn segment_rows(page: &PageInfo, step: u64) -> u64 {
    let rows = page.num_values as u128 * SEGMENT_BYTES as u128 / page.bytes().max(1) as u128;
    let step = step.max(1);
    (rows as u64).div_ceil(step).saturating_mul(step).max(1)
}

/// What a cursor fetches ahead for the next segment of a page: rows `rows` of page `page`.
pub(super) struct Ahead<T> {
    page: usize,
    rows: Range<u64>,
    task: tokio::task::JoinHandle<Result<T>>,
}

impl<T: Send + 'static> Ahead<T> {
    /// Starts fetching (inside a tokio runtime; None outside one).
    pub(super) fn spawn(
        page: usize,
        rows: Range<u64>,
        fetch: impl std::future::Future<Output = Result<T>> + Send + 'static,
    ) -> Option<Self> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        Some(Ahead {
            page,
            rows,
            task: runtime.spawn(fetch),
        })
    }

    /// The segment in `slot` when it is the one a read of `wanted` of page `page` starts
    /// (its rows, and its bytes unless the fetch died); anything else there is dropped.
    pub(super) async fn claim(
        slot: &mut Option<Self>,
        page: usize,
        wanted: &Range<u64>,
    ) -> Result<Option<(Range<u64>, Option<T>)>> {
        match slot.take() {
            Some(mut ahead)
                if ahead.page == page
                    && ahead.rows.start == wanted.start
                    && wanted.end <= ahead.rows.end =>
            {
                let rows = std::mem::replace(&mut ahead.rows, 0..0);
                let fetched = match (&mut ahead.task).await {
                    Ok(fetched) => Some(fetched?),
                    Err(_) => None,
                };
                Ok(Some((rows, fetched)))
            }
            _ => Ok(None),
        }
    }
}

impl<T> Drop for Ahead<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(super) fn concat(parts: Vec<ArrayRef>, data_type: &DataType) -> Result<ArrayRef> {
    match parts.len() {
        0 => Ok(arrow_array::new_empty_array(data_type)),
        1 => Ok(parts.into_iter().next().expect("one part")),
        _ => {
            let refs: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
            Ok(arrow_select::concat::concat(&refs)
                .map_err(|e| corrupt(format!("cannot join pages: {e}")))?)
        }
    }
}

/// Reads one top-level field of a file, as its file version lays it out.
pub(crate) enum FieldCursor {
    /// A 2.0 field: one column per field of its tree.
    V2_0(v2_0::FieldCursor),
    /// A 2.1/2.2 field: one column per leaf.
    Structural(structural::FieldCursor),
}

impl FieldCursor {
    /// Reads values `range` of the field.
    pub(crate) fn read<'a>(
        &'a mut self,
        io: &'a PageIo,
        range: Range<u64>,
    ) -> BoxFuture<'a, Result<ArrayRef>> {
        match self {
            FieldCursor::V2_0(cursor) => cursor.read(io, range),
            FieldCursor::Structural(cursor) => cursor.read(io, range),
        }
    }

    /// Declares that only values `window` of the field are read, so its columns do not
    /// prefetch pages past it (and 2.1/2.2 pages it covers partly are read by range).
    pub(crate) fn set_window(&mut self, window: Range<u64>) {
        match self {
            FieldCursor::V2_0(cursor) => cursor.set_window(window),
            FieldCursor::Structural(cursor) => cursor.set_window(window),
        }
    }

    /// The column index of the field's first column.
    pub(crate) fn first_column(&self) -> usize {
        match self {
            FieldCursor::V2_0(cursor) => cursor.first_column(),
            FieldCursor::Structural(cursor) => cursor.first_column(),
        }
    }
}
