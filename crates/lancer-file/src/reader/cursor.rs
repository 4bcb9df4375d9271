//! Cursors that read a range of values of one field, page by page.
//!
//! A field's cursor mirrors its type: a values column reads pages directly, a struct reads
//! its children, a list reads its offsets and then the items those offsets span. Each
//! column cursor keeps the buffers of the page it read last, so a sequential scan fetches
//! every page once.

use std::ops::Range;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field};
use bytes::Bytes;
use futures::future::{BoxFuture, FutureExt, try_join_all};
use lancer_encoding::{ListSlice, PageSource};
use object_store::ObjectStore;
use object_store::path::Path;

use crate::error::{Error, Result, corrupt};
use crate::format::{ColumnInfo, PageEncoding, PageInfo};

/// Where pages come from.
#[derive(Clone)]
pub(crate) struct PageIo {
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) path: Path,
}

impl PageIo {
    /// Byte ranges of a page's buffers (relative to each buffer), in one request.
    async fn fetch_ranges(
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
    async fn fetch(&self, page: &PageInfo) -> Result<Arc<Vec<Bytes>>> {
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

/// Reads values of one column.
pub(crate) struct ColumnCursor {
    column: usize,
    path: String,
    info: Arc<ColumnInfo>,
    /// First value of each page, plus the total at the end.
    starts: Vec<u64>,
    loaded: Option<(usize, Arc<Vec<Bytes>>)>,
    /// The last 2.1/2.2 page decoded, with the first page row the array holds (pages are
    /// decoded whole, or for the part the read's window covers, then sliced).
    decoded: Option<(usize, u64, ArrayRef)>,
    /// The next page, already being fetched while the current one is decoded.
    prefetch: Option<(usize, Fetch)>,
    /// Values past this are never read, so pages past it are not prefetched.
    limit: u64,
    /// Values before this are never read either (2.1/2.2 pages only partly inside
    /// `start..limit` are read by range).
    start: u64,
}

/// A 2.1/2.2 page the read's window covers only partly is read by range (its chunks or rows
/// alone) when it is at least this large; smaller pages cost less in one whole read.
const RANGED_READ_MIN_BYTES: u64 = 256 * 1024;

/// A full-zip page of fixed-width rows at least this large (pylance writes 32 MiB vector
/// pages) is read batch by batch, each batch's rows alone: a whole read would need a fresh
/// allocation the size of the page, whose memory the kernel must zero every time, while
/// batch-sized reads reuse the allocator's memory (and hold less of it).
const STREAMED_PAGE_MIN_BYTES: u64 = 16 * 1024 * 1024;

impl Drop for ColumnCursor {
    fn drop(&mut self) {
        if let Some((_, fetch)) = self.prefetch.take() {
            fetch.abort();
        }
    }
}

impl ColumnCursor {
    fn new(column: usize, path: String, info: Arc<ColumnInfo>, expected: u64) -> Result<Self> {
        if let Some(why) = &info.unsupported {
            return Err(Error::UnsupportedVersion {
                version: "2.0".to_string(),
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
            decoded: None,
            prefetch: None,
            limit: u64::MAX,
            start: 0,
        })
    }

    fn total(&self) -> u64 {
        *self.starts.last().unwrap_or(&0)
    }

    /// Pages overlapping `range`, each with the local range inside it.
    fn pages_for(&self, range: &Range<u64>) -> Vec<(usize, Range<usize>)> {
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

    async fn buffers(&mut self, io: &PageIo, page: usize) -> Result<Arc<Vec<Bytes>>> {
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
        // Sequential reads want the next page next: start fetching it now so its IO overlaps
        // with decoding this one (only inside a tokio runtime).
        let next = page + 1;
        if next < self.info.pages.len()
            && self.starts[next] < self.limit
            && !self.read_by_range(next)
            && !self.streamed(next)
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let (io, info) = (io.clone(), self.info.clone());
            let fetch = runtime.spawn(async move { io.fetch(&info.pages[next]).await });
            self.prefetch = Some((next, fetch));
        }
        Ok(buffers)
    }

    fn source<'a>(&'a self, page: usize, buffers: &'a [Bytes]) -> Result<PageSource<'a>> {
        let info = &self.info.pages[page];
        match &info.encoding {
            PageEncoding::V2_0(encoding) => Ok(PageSource {
                encoding,
                buffers,
                num_values: info.num_values,
            }),
            PageEncoding::Structural(_) => Err(corrupt(format!(
                "column `{}` page {page} is a 2.1/2.2 page in a 2.0 file",
                self.path
            ))),
            PageEncoding::Other(name) => Err(Error::UnsupportedVersion {
                version: "2.0".to_string(),
                reason: format!("column `{}` page {page} is encoded as `{name}`", self.path),
            }),
        }
    }

    fn column_error(&self, source: lancer_encoding::Error) -> Error {
        Error::Column {
            column: self.path.clone(),
            source,
        }
    }

    async fn read_values(
        &mut self,
        io: &PageIo,
        range: Range<u64>,
        data_type: &DataType,
    ) -> Result<ArrayRef> {
        let mut parts = Vec::new();
        for (page, local) in self.pages_for(&range) {
            let buffers = self.buffers(io, page).await?;
            let source = self.source(page, &buffers)?;
            let array = lancer_encoding::decode_values(source, local, data_type)
                .map_err(|e| self.column_error(e))?;
            parts.push(array);
        }
        concat(parts, data_type)
    }

    /// Whether 2.1/2.2 page `page` is read by range: it is large and the window covers it
    /// only partly.
    fn read_by_range(&self, page: usize) -> bool {
        let (first, end) = (self.starts[page], self.starts[page + 1]);
        let inside = self.start <= first && end <= self.limit;
        let bytes: u64 = self.info.pages[page]
            .buffers
            .iter()
            .map(|b| b.end - b.start)
            .fold(0u64, u64::saturating_add);
        !inside
            && bytes >= RANGED_READ_MIN_BYTES
            && matches!(self.info.pages[page].encoding, PageEncoding::Structural(_))
    }

    /// Whether page `page` is a large full-zip page of fixed-width rows, read batch by batch.
    fn streamed(&self, page: usize) -> bool {
        let info = &self.info.pages[page];
        let bytes = info
            .buffers
            .iter()
            .map(|b| b.end - b.start)
            .fold(0u64, u64::saturating_add);
        bytes >= STREAMED_PAGE_MIN_BYTES
            && info.buffers.len() == 1
            && match &info.encoding {
                PageEncoding::Structural(layout) => {
                    lancer_encoding::structural_page_is_fixed_full_zip(layout)
                }
                _ => false,
            }
    }

    /// Rows `range` of a 2.1/2.2 column, as its single-leaf type.
    async fn read_structural(
        &mut self,
        io: &PageIo,
        range: Range<u64>,
        data_type: &DataType,
    ) -> Result<ArrayRef> {
        let mut parts = Vec::new();
        for (page, local) in self.pages_for(&range) {
            if self.streamed(page) {
                let rows = local.start as u64..local.end as u64;
                if let Some(array) = self.read_page_rows(io, page, rows, data_type).await? {
                    parts.push(array);
                    continue;
                }
            }
            let (first, array) = match &self.decoded {
                Some((decoded, first, array)) if *decoded == page => (*first, array.clone()),
                _ => self.decode_structural(io, page, data_type).await?,
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
        let first = self.starts[page];
        let rows = self.start.max(first) - first..self.limit.min(self.starts[page + 1]) - first;
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
        let info = &self.info.pages[page];
        let PageEncoding::Structural(layout) = &info.encoding else {
            return Ok(None);
        };
        let sizes: Vec<u64> = info.buffers.iter().map(|b| b.end - b.start).collect();
        let column = |source| self.column_error(source);
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
            .fetch_ranges(info, read.data_ranges(&index).map_err(column)?)
            .await?;
        let array = read.decode(&data, data_type).map_err(column)?;
        Ok(Some(array))
    }

    /// Decodes 2.1/2.2 page `page` (whole, or the rows the window covers) and keeps it for
    /// the next reads; returns the first page row decoded and the rows.
    async fn decode_structural(
        &mut self,
        io: &PageIo,
        page: usize,
        data_type: &DataType,
    ) -> Result<(u64, ArrayRef)> {
        if self.read_by_range(page)
            && let Some((first, array)) = self.read_rows(io, page, data_type).await?
        {
            self.decoded = Some((page, first, array.clone()));
            return Ok((first, array));
        }
        let buffers = self.buffers(io, page).await?;
        let info = &self.info.pages[page];
        let PageEncoding::Structural(layout) = &info.encoding else {
            return Err(corrupt(format!(
                "column `{}` page {page} is not a 2.1/2.2 page",
                self.path
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
        // A whole page is real CPU work: off the async threads, so the columns of a file
        // decode in parallel.
        let decoded = match tokio::runtime::Handle::try_current() {
            Ok(runtime) => runtime
                .spawn_blocking(decode)
                .await
                .map_err(|e| corrupt(format!("page decoding stopped: {e}")))?,
            Err(_) => decode(),
        };
        let array = decoded.map_err(|e| self.column_error(e))?;
        // The page is decoded: its raw buffers are no longer needed.
        self.loaded = None;
        self.decoded = Some((page, 0, array.clone()));
        Ok((0, array))
    }

    /// Absolute item offsets (and validity) of lists `range`.
    async fn read_lists(
        &mut self,
        io: &PageIo,
        range: Range<u64>,
        item_bases: &[u64],
    ) -> Result<ListSlice> {
        let mut offsets = vec![];
        let mut validity: Vec<bool> = Vec::new();
        let mut any_null = false;
        for (page, local) in self.pages_for(&range) {
            let buffers = self.buffers(io, page).await?;
            let source = self.source(page, &buffers)?;
            let slice = lancer_encoding::decode_list_offsets(source, local.clone())
                .map_err(|e| self.column_error(e))?;
            let base = item_bases[page];
            if offsets.is_empty() {
                offsets.push(base + slice.offsets[0]);
            }
            offsets.extend(slice.offsets[1..].iter().map(|o| base + o));
            match &slice.validity {
                Some(v) => {
                    any_null = true;
                    validity.extend(v.iter());
                }
                None => validity.extend(std::iter::repeat_n(true, local.len())),
            }
        }
        if offsets.is_empty() {
            offsets.push(0);
        }
        Ok(ListSlice {
            offsets,
            validity: any_null.then(|| NullBuffer::from(validity)),
        })
    }
}

fn concat(parts: Vec<ArrayRef>, data_type: &DataType) -> Result<ArrayRef> {
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

/// Reads one field, mirroring its type.
pub(crate) enum FieldCursor {
    Values {
        column: ColumnCursor,
        data_type: DataType,
    },
    /// A field of a 2.1/2.2 file: one column per leaf, each read as its single-leaf type.
    Structural {
        leaves: Vec<(ColumnCursor, DataType)>,
        data_type: DataType,
    },
    Struct {
        field: Field,
        header: ColumnCursor,
        children: Vec<FieldCursor>,
    },
    List {
        data_type: DataType,
        offsets: ColumnCursor,
        item_bases: Vec<u64>,
        item: Box<FieldCursor>,
    },
}

impl FieldCursor {
    /// Builds the cursor of a top-level field of a 2.1/2.2 file, whose leaves' columns
    /// start at `first`.
    pub(crate) fn structural(
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
            .map(|(i, leaf_type)| {
                let column = first + i;
                let info = columns.get(column).cloned().ok_or_else(|| {
                    corrupt(format!(
                        "field `{}` needs column {column}, the file has {}",
                        field.name(),
                        columns.len()
                    ))
                })?;
                let cursor = ColumnCursor::new(column, field.name().clone(), info, expected)?;
                Ok((cursor, leaf_type))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(FieldCursor::Structural {
            leaves,
            data_type: field.data_type().clone(),
        })
    }

    /// Builds the cursor of `field`, whose first column is `*next_column`, checking that each
    /// column holds exactly as many values as its parent requires (`expected`).
    pub(crate) fn new(
        field: &Field,
        path: String,
        columns: &[Arc<ColumnInfo>],
        next_column: &mut usize,
        expected: u64,
    ) -> Result<Self> {
        let index = *next_column;
        let info = columns.get(index).cloned().ok_or_else(|| {
            corrupt(format!(
                "field `{path}` needs column {index}, the file has {}",
                columns.len()
            ))
        })?;
        *next_column += 1;
        match field.data_type() {
            DataType::Struct(children) => {
                let header = ColumnCursor::new(index, path.clone(), info, expected)?;
                let children = children
                    .iter()
                    .map(|child| {
                        FieldCursor::new(
                            child,
                            format!("{path}.{}", child.name()),
                            columns,
                            next_column,
                            expected,
                        )
                    })
                    .collect::<Result<_>>()?;
                Ok(FieldCursor::Struct {
                    field: field.clone(),
                    header,
                    children,
                })
            }
            DataType::List(item) | DataType::LargeList(item) => {
                let mut item_bases = Vec::with_capacity(info.pages.len() + 1);
                let mut items = 0u64;
                for page in &info.pages {
                    item_bases.push(items);
                    let page_items = match &page.encoding {
                        PageEncoding::V2_0(encoding) => lancer_encoding::list_page_items(encoding)
                            .map_err(|source| Error::Column {
                                column: path.clone(),
                                source,
                            })?,
                        PageEncoding::Other(name) => {
                            return Err(corrupt(format!(
                                "list column `{path}` has a `{name}` page"
                            )));
                        }
                        PageEncoding::Structural(_) => {
                            return Err(corrupt(format!(
                                "list column `{path}` has a 2.1/2.2 page in a 2.0 file"
                            )));
                        }
                    };
                    items = items
                        .checked_add(page_items)
                        .ok_or_else(|| corrupt("list item counts overflow"))?;
                }
                item_bases.push(items);
                let offsets = ColumnCursor::new(index, path.clone(), info, expected)?;
                let item = FieldCursor::new(
                    item,
                    format!("{path}.{}", item.name()),
                    columns,
                    next_column,
                    items,
                )?;
                Ok(FieldCursor::List {
                    data_type: field.data_type().clone(),
                    offsets,
                    item_bases,
                    item: Box::new(item),
                })
            }
            data_type => Ok(FieldCursor::Values {
                column: ColumnCursor::new(index, path, info, expected)?,
                data_type: data_type.clone(),
            }),
        }
    }

    /// Reads values `range` of this field.
    pub(crate) fn read<'a>(
        &'a mut self,
        io: &'a PageIo,
        range: Range<u64>,
    ) -> BoxFuture<'a, Result<ArrayRef>> {
        async move {
            match self {
                FieldCursor::Values { column, data_type } => {
                    column.read_values(io, range, data_type).await
                }
                FieldCursor::Structural { leaves, data_type } => {
                    let parts = try_join_all(
                        leaves
                            .iter_mut()
                            .map(|(column, leaf)| column.read_structural(io, range.clone(), leaf)),
                    )
                    .await?;
                    let path = leaves
                        .first()
                        .map(|(c, _)| c.path.clone())
                        .unwrap_or_default();
                    lancer_encoding::join_leaves(data_type, parts).map_err(|source| Error::Column {
                        column: path,
                        source,
                    })
                }
                FieldCursor::Struct {
                    field,
                    header,
                    children,
                } => {
                    debug_assert!(range.end <= header.total());
                    let len = (range.end - range.start) as usize;
                    let arrays =
                        try_join_all(children.iter_mut().map(|c| c.read(io, range.clone())))
                            .await?;
                    let DataType::Struct(fields) = field.data_type() else {
                        unreachable!("struct cursor")
                    };
                    lancer_encoding::assemble_struct(fields, arrays, len).map_err(|source| {
                        Error::Column {
                            column: header.path.clone(),
                            source,
                        }
                    })
                }
                FieldCursor::List {
                    data_type,
                    offsets,
                    item_bases,
                    item,
                } => {
                    let slice = offsets.read_lists(io, range, item_bases).await?;
                    let first = slice.offsets[0];
                    let last = *slice.offsets.last().unwrap_or(&first);
                    let items = item.read(io, first..last).await?;
                    lancer_encoding::assemble_list(data_type, slice, items).map_err(|source| {
                        Error::Column {
                            column: offsets.path.clone(),
                            source,
                        }
                    })
                }
            }
        }
        .boxed()
    }

    /// Declares that only values `window` of this (top-level) field are read, so its
    /// columns do not prefetch pages past it, and read 2.1/2.2 pages it covers only partly
    /// by range.
    pub(crate) fn set_window(&mut self, window: Range<u64>) {
        let limit = window.end;
        match self {
            FieldCursor::Values { column, .. } => column.limit = limit,
            FieldCursor::Structural { leaves, .. } => {
                for (column, _) in leaves {
                    column.limit = limit;
                    column.start = window.start;
                }
            }
            FieldCursor::Struct {
                header, children, ..
            } => {
                header.limit = limit;
                for child in children {
                    child.set_window(0..limit);
                }
            }
            FieldCursor::List { offsets, .. } => offsets.limit = limit,
        }
    }

    /// The column index of the field's first column.
    pub(crate) fn first_column(&self) -> usize {
        match self {
            FieldCursor::Values { column, .. } => column.column,
            FieldCursor::Structural { leaves, .. } => leaves.first().map_or(0, |(c, _)| c.column),
            FieldCursor::Struct { header, .. } => header.column,
            FieldCursor::List { offsets, .. } => offsets.column,
        }
    }
}
