//! Reading 2.1/2.2 files: a field has one column per leaf, each read as its single-leaf
//! type and joined (`lancer_encoding::join_leaves`); pages are decoded whole on a blocking
//! thread, or, when large and only partly inside the read, just for the rows asked; large
//! mini-block pages a scan goes through are read and decoded a segment at a time, the next
//! segment's bytes loading while one decodes.

use std::ops::Range;
use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_schema::{DataType, Field};
use bytes::Bytes;
use futures::future::{BoxFuture, FutureExt, try_join_all};

use super::cursor::{Ahead, ColumnCursor, PageIo, SEGMENT_BYTES, concat, segment_rows};
use crate::error::{Error, Result, corrupt};
use crate::format::{ColumnInfo, PageEncoding};

/// A 2.1/2.2 page the read's window covers only partly is read by range (its chunks or rows
/// alone) when it is at least this large; smaller pages cost less in one whole read.
const RANGED_READ_MIN_BYTES: u64 = 256 * 1024;

/// A full-zip page of fixed-width rows at least this large (pylance writes 32 MiB vector
/// pages) is read batch by batch, each batch's rows alone: a whole read would need a fresh
/// allocation the size of the page, whose memory the kernel must zero every time, while
/// batch-sized reads reuse the allocator's memory (and hold less of it).
const STREAMED_PAGE_MIN_BYTES: u64 = 16 * 1024 * 1024;

/// Pages smaller than this are decoded on the reading task rather than a blocking thread.
const INLINE_DECODE_MAX_BYTES: u64 = 256 * 1024;

/// One leaf column of a 2.1/2.2 field.
struct LeafCursor {
    column: ColumnCursor,
    /// The leaf's single-leaf type.
    data_type: DataType,
    /// The last page decoded, with the first page row the array holds (pages are decoded
    /// whole, or for the part the read's window covers, then sliced).
    decoded: Option<(usize, u64, ArrayRef)>,
    /// Values before this are never read (pages only partly inside `start..limit` are read
    /// by range).
    start: u64,
    /// The chunk index of the page read a segment at a time.
    segment_index: Option<(usize, Vec<Bytes>)>,
    /// The next segment's bytes, being fetched.
    ahead: Option<Ahead<Vec<Bytes>>>,
}

/// Reads one field of a 2.1/2.2 file.
pub(crate) struct FieldCursor {
    leaves: Vec<LeafCursor>,
    data_type: DataType,
}

impl FieldCursor {
    /// The cursor of top-level field `field`, whose leaves' columns start at `first`.
    pub(crate) fn new(
        field: &Field,
        columns: &[Arc<ColumnInfo>],
        first: usize,
        expected: u64,
    ) -> Result<Self> {
        if !lancer_encoding::structural_type_supported(field.data_type()) {
            return Err(Error::UnsupportedVersion {
                version: "2.1/2.2".to_string(),
                reason: format!(
                    "column `{}` has type {}, which lancer does not read from 2.1/2.2 files \
                     (project other columns to read them)",
                    field.name(),
                    field.data_type()
                ),
            });
        }
        let leaves = lancer_encoding::leaf_types(field.data_type())
            .into_iter()
            .enumerate()
            .map(|(i, data_type)| {
                let column = first + i;
                let info = columns.get(column).cloned().ok_or_else(|| {
                    corrupt(format!(
                        "field `{}` needs column {column}, the file has {}",
                        field.name(),
                        columns.len()
                    ))
                })?;
                Ok(LeafCursor {
                    column: ColumnCursor::new(
                        "2.1/2.2",
                        column,
                        field.name().clone(),
                        info,
                        expected,
                    )?,
                    data_type,
                    decoded: None,
                    start: 0,
                    segment_index: None,
                    ahead: None,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(FieldCursor {
            leaves,
            data_type: field.data_type().clone(),
        })
    }

    /// Reads rows `range` of the field.
    pub(crate) fn read<'a>(
        &'a mut self,
        io: &'a PageIo,
        range: Range<u64>,
    ) -> BoxFuture<'a, Result<ArrayRef>> {
        async move {
            let parts = try_join_all(
                self.leaves
                    .iter_mut()
                    .map(|leaf| leaf.read(io, range.clone())),
            )
            .await?;
            let path = self
                .leaves
                .first()
                .map(|leaf| leaf.column.path.clone())
                .unwrap_or_default();
            lancer_encoding::join_leaves(&self.data_type, parts).map_err(|source| Error::Column {
                column: path,
                source,
            })
        }
        .boxed()
    }

    /// Declares that only rows `window` are read: pages past it are not prefetched, pages
    /// it covers partly are read by range.
    pub(crate) fn set_window(&mut self, window: Range<u64>) {
        for leaf in &mut self.leaves {
            leaf.column.limit = window.end;
            leaf.start = window.start;
        }
    }

    /// The column index of the field's first leaf.
    pub(crate) fn first_column(&self) -> usize {
        self.leaves.first().map_or(0, |leaf| leaf.column.column)
    }
}

impl LeafCursor {
    /// Whether page `page` is worth prefetching: not read by range, nor batch by batch.
    fn prefetches(&self, page: usize) -> bool {
        page < self.column.info.pages.len()
            && !self.read_by_range(page)
            && !self.streamed(page)
            && !self.segmented(page)
    }

    /// Whether 2.1/2.2 page `page` is read by range: it is large and the window covers it
    /// only partly.
    fn read_by_range(&self, page: usize) -> bool {
        let (first, end) = (self.column.starts[page], self.column.starts[page + 1]);
        let inside = self.start <= first && end <= self.column.limit;
        let bytes = self.column.info.pages[page].bytes();
        !inside
            && bytes >= RANGED_READ_MIN_BYTES
            && matches!(
                self.column.info.pages[page].encoding,
                PageEncoding::Structural(_)
            )
    }

    /// Whether page `page` is a large full-zip page of fixed-width rows, read batch by batch.
    fn streamed(&self, page: usize) -> bool {
        let info = &self.column.info.pages[page];
        info.bytes() >= STREAMED_PAGE_MIN_BYTES
            && info.buffers.len() == 1
            && match &info.encoding {
                PageEncoding::Structural(layout) => {
                    lancer_encoding::structural_page_is_fixed_full_zip(layout)
                }
                _ => false,
            }
    }

    /// Rows `range` of the leaf, as its single-leaf type.
    async fn read(&mut self, io: &PageIo, range: Range<u64>) -> Result<ArrayRef> {
        let data_type = &self.data_type.clone();
        let mut parts = Vec::new();
        for (page, local) in self.column.pages_for(&range) {
            if self.streamed(page) {
                let rows = local.start as u64..local.end as u64;
                if let Some(array) = self.read_page_rows(io, page, rows, data_type).await? {
                    parts.push(array);
                    continue;
                }
            }
            let wanted = local.start as u64..local.end as u64;
            let (first, array) = match &self.decoded {
                Some((decoded, first, array))
                    if *decoded == page
                        && *first <= wanted.start
                        && wanted.end <= first + array.len() as u64 =>
                {
                    (*first, array.clone())
                }
                _ => self.decode_structural(io, page, wanted, data_type).await?,
            };
            let start = (local.start as u64)
                .checked_sub(first)
                .filter(|s| s + local.len() as u64 <= array.len() as u64)
                .ok_or_else(|| corrupt("a page read for other rows than asked"))?;
            parts.push(array.slice(start as usize, local.len()));
        }
        concat(parts, data_type)
    }

    /// The page rows of 2.1/2.2 page `page` the window covers, read by range: the bytes
    /// locating them, then the bytes holding them. None when the page is read whole.
    async fn read_rows(
        &self,
        io: &PageIo,
        page: usize,
        data_type: &DataType,
    ) -> Result<Option<(u64, ArrayRef)>> {
        let first = self.column.starts[page];
        let rows = self.start.max(first) - first
            ..self.column.limit.min(self.column.starts[page + 1]) - first;
        let start = rows.start;
        Ok(self
            .read_page_rows(io, page, rows, data_type)
            .await?
            .map(|array| (start, array)))
    }

    /// Page rows `rows` of 2.1/2.2 page `page`, read by range; None when the page cannot be.
    async fn read_page_rows(
        &self,
        io: &PageIo,
        page: usize,
        rows: Range<u64>,
        data_type: &DataType,
    ) -> Result<Option<ArrayRef>> {
        let info = &self.column.info.pages[page];
        let PageEncoding::Structural(layout) = &info.encoding else {
            return Ok(None);
        };
        let sizes = info.buffer_sizes();
        let column = |source| self.column.column_error(source);
        let Some(mut read) =
            lancer_encoding::RowRange::new(layout, &sizes, info.num_values, rows.clone())
                .map_err(column)?
        else {
            return Ok(None);
        };
        let index = io
            .fetch_ranges(info, read.index_ranges().map_err(column)?)
            .await?;
        let data = io
            .fetch_ranges(info, read.data_ranges(&index).map_err(&column)?)
            .await?;
        let array = read.decode(&data, data_type).map_err(column)?;
        Ok(Some(array))
    }

    /// Whether page `page` is read a segment at a time: a large 2.1/2.2 page (mini-block
    /// pages without a dictionary qualify; [`Self::read_segment`] decides).
    fn segmented(&self, page: usize) -> bool {
        let info = &self.column.info.pages[page];
        info.bytes() >= 2 * SEGMENT_BYTES && matches!(info.encoding, PageEncoding::Structural(_))
    }

    /// The rows of large mini-block page `page` from `wanted.start` on, a segment of them
    /// (at least `wanted`), read and decoded alone; None when the page is read whole. The
    /// page's chunk index is read once, and the next segment's bytes are fetched while this
    /// one decodes.
    async fn read_segment(
        &mut self,
        io: &PageIo,
        page: usize,
        wanted: Range<u64>,
        data_type: &DataType,
    ) -> Result<Option<(u64, ArrayRef)>> {
        let info = self.column.info.clone();
        let info = &info.pages[page];
        let PageEncoding::Structural(layout) = &info.encoding else {
            return Ok(None);
        };
        let sizes = info.buffer_sizes();
        let per_segment = segment_rows(info, wanted.end - wanted.start);
        let ahead = Ahead::claim(&mut self.ahead, page, &wanted).await?;
        let rows = match &ahead {
            Some((rows, _)) => rows.clone(),
            None => wanted.start..wanted.start.saturating_add(per_segment).max(wanted.end),
        };
        let rows = rows.start..rows.end.min(info.num_values);
        let column = |e| self.column.column_error(e);
        let Some(mut read) =
            lancer_encoding::RowRange::new(layout, &sizes, info.num_values, rows.clone())
                .map_err(column)?
        else {
            return Ok(None);
        };
        if !read.is_plain_mini_block() {
            return Ok(None);
        }
        let index = match &self.segment_index {
            Some((indexed, index)) if *indexed == page => index.clone(),
            _ => {
                let index = io
                    .fetch_ranges(info, read.index_ranges().map_err(column)?)
                    .await?;
                self.segment_index = Some((page, index.clone()));
                index
            }
        };
        let ranges = read.data_ranges(&index).map_err(column)?;
        let data = match ahead {
            Some((_, Some(data))) => data,
            _ => io.fetch_ranges(info, ranges).await?,
        };
        // Sequential reads want the next segment next: its bytes load while this decodes.
        let next = rows.end..rows.end.saturating_add(per_segment).min(info.num_values);
        if !next.is_empty()
            && self.column.starts[page] + next.start < self.column.limit
            && let Some(mut plan) =
                lancer_encoding::RowRange::new(layout, &sizes, info.num_values, next.clone())
                    .map_err(column)?
        {
            let ranges = plan.data_ranges(&index).map_err(column)?;
            let (io, pages) = (io.clone(), self.column.info.clone());
            self.ahead = Ahead::spawn(page, next, async move {
                io.fetch_ranges(&pages.pages[page], ranges).await
            });
        }
        let data_type = data_type.clone();
        let decode = move || read.decode(&data, &data_type);
        // As for whole pages: the columns of a file decode their segments in parallel.
        let decoded = match tokio::runtime::Handle::try_current() {
            Ok(runtime) => runtime
                .spawn_blocking(decode)
                .await
                .map_err(|e| corrupt(format!("page decoding stopped: {e}")))?,
            Err(_) => decode(),
        };
        let array = decoded.map_err(column)?;
        if rows.end == info.num_values {
            self.segment_index = None;
        }
        Ok(Some((wanted.start, array)))
    }

    /// Decodes 2.1/2.2 page `page` (whole, the rows the window covers, or a segment from
    /// `wanted` on) and keeps it for the next reads; returns the first page row decoded and
    /// the rows.
    async fn decode_structural(
        &mut self,
        io: &PageIo,
        page: usize,
        wanted: Range<u64>,
        data_type: &DataType,
    ) -> Result<(u64, ArrayRef)> {
        if self.read_by_range(page)
            && let Some((first, array)) = self.read_rows(io, page, data_type).await?
        {
            self.decoded = Some((page, first, array.clone()));
            return Ok((first, array));
        }
        if self.segmented(page)
            && let Some((first, array)) = self.read_segment(io, page, wanted, data_type).await?
        {
            self.decoded = Some((page, first, array.clone()));
            return Ok((first, array));
        }
        let prefetch = self.prefetches(page + 1);
        let buffers = self.column.buffers(io, page, prefetch).await?;
        let info = &self.column.info.pages[page];
        let PageEncoding::Structural(layout) = &info.encoding else {
            return Err(corrupt(format!(
                "column `{}` page {page} is not a 2.1/2.2 page",
                self.column.path
            )));
        };
        let (layout, rows, data_type) = (layout.clone(), info.num_values, data_type.clone());
        let decode = move || {
            let source = lancer_encoding::StructuralPage {
                layout: &layout,
                buffers: &buffers,
                num_rows: rows,
            };
            lancer_encoding::decode_structural_page(source, &data_type)
        };
        // A large page is real CPU work: off the async threads, so the columns of a file
        // decode in parallel. A small one costs less to decode here than to hand over.
        let bytes = info.bytes();
        let decoded = match tokio::runtime::Handle::try_current() {
            Ok(runtime) if bytes >= INLINE_DECODE_MAX_BYTES => runtime
                .spawn_blocking(decode)
                .await
                .map_err(|e| corrupt(format!("page decoding stopped: {e}")))?,
            _ => decode(),
        };
        let array = decoded.map_err(|e| self.column.column_error(e))?;
        // The page is decoded: its raw buffers are no longer needed.
        self.column.release();
        self.decoded = Some((page, 0, array.clone()));
        Ok((0, array))
    }
}
