//! Reading 2.0 files: a field's cursor mirrors its type (a values column reads pages
//! directly, a struct reads its children, a list its offsets and then the items they span).

use std::ops::Range;
use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field};
use bytes::Bytes;
use futures::future::{BoxFuture, FutureExt, try_join_all};
use lancer_encoding::{ListSlice, PageSource};

use super::cursor::{ColumnCursor, PageIo, concat};
use crate::error::{Error, Result, corrupt};
use crate::format::{ColumnInfo, PageEncoding};

/// A large page of plain values is read about this many bytes at a time as a scan goes
/// through it (the next segment fetched while one decodes), not whole: the read then
/// reuses memory the allocator has rather than a fresh page-sized allocation the kernel
/// must zero, and the first batch comes before the whole page is read.
const SEGMENT_BYTES: u64 = 2 * 1024 * 1024;

/// The segment of a page of plain values a cursor holds, and the next one being fetched.
#[derive(Default)]
pub(crate) struct Segments {
    current: Option<Segment>,
    next: Option<(usize, Range<u64>, tokio::task::JoinHandle<Result<Bytes>>)>,
}

impl Drop for Segments {
    fn drop(&mut self) {
        if let Some((_, _, fetch)) = self.next.take() {
            fetch.abort();
        }
    }
}

/// Page values `rows` of page `page`: the bytes of its values buffer holding them.
struct Segment {
    page: usize,
    rows: Range<u64>,
    bytes: Bytes,
}

/// Reads one field of a 2.0 file, mirroring its type.
pub(crate) enum FieldCursor {
    Values {
        column: ColumnCursor,
        data_type: DataType,
        segments: Segments,
    },
    Struct {
        fields: arrow_schema::Fields,
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

/// The 2.0 reads of a column's pages.
impl ColumnCursor {
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

    async fn read_values(
        &mut self,
        io: &PageIo,
        range: Range<u64>,
        data_type: &DataType,
        segments: &mut Segments,
    ) -> Result<ArrayRef> {
        let mut parts = Vec::new();
        for (page, local) in self.pages_for(&range) {
            if let Some(array) = self
                .read_segment(io, page, local.clone(), data_type, segments)
                .await?
            {
                parts.push(array);
                continue;
            }
            // A next page read by segments is not prefetched whole.
            let prefetch = !self.segmented(page + 1);
            let buffers = self.buffers(io, page, prefetch).await?;
            let source = self.source(page, &buffers)?;
            let array = lancer_encoding::decode_values(source, local, data_type)
                .map_err(|e| self.column_error(e))?;
            parts.push(array);
        }
        concat(parts, data_type)
    }

    /// Whether page `page` exists and is a large page of plain fixed-width values, read by
    /// segments.
    fn segmented(&self, page: usize) -> bool {
        let Some(info) = self.info.pages.get(page) else {
            return false;
        };
        let PageEncoding::V2_0(encoding) = &info.encoding else {
            return false;
        };
        let bytes = info
            .buffers
            .iter()
            .map(|b| b.end - b.start)
            .fold(0u64, u64::saturating_add);
        bytes >= 2 * SEGMENT_BYTES
            && matches!(
                lancer_encoding::flat_value_bytes(encoding, 0..1),
                Some((buffer, one)) if buffer < info.buffers.len() && one.end > one.start
            )
    }

    /// Values `local` of page `page` when it is a large page of plain fixed-width values:
    /// read a segment of [`SEGMENT_BYTES`] at a time (the next one fetched ahead), not
    /// whole. None for other pages.
    async fn read_segment(
        &mut self,
        io: &PageIo,
        page: usize,
        local: Range<usize>,
        data_type: &DataType,
        segments: &mut Segments,
    ) -> Result<Option<ArrayRef>> {
        let info = self.info.clone();
        let page_info = &info.pages[page];
        let PageEncoding::V2_0(encoding) = &page_info.encoding else {
            return Ok(None);
        };
        if !self.segmented(page) {
            return Ok(None);
        }
        let Some((buffer, one)) = lancer_encoding::flat_value_bytes(encoding, 0..1) else {
            return Ok(None);
        };
        let width = one.end - one.start;
        let values = page_info.num_values;
        let wanted = local.start as u64..local.end as u64;
        let held = matches!(
            &segments.current,
            Some(segment) if segment.page == page
                && segment.rows.start <= wanted.start
                && wanted.end <= segment.rows.end
        );
        if !held {
            // Whole reads per segment, so a read never straddles two.
            let step = (wanted.end - wanted.start).max(1);
            let per_segment = (SEGMENT_BYTES / width).div_ceil(step).saturating_mul(step);
            let rows = wanted.start..wanted.end.max(wanted.start + per_segment).min(values);
            let bytes = match segments.next.take() {
                Some((next_page, next_rows, fetch)) if next_page == page && next_rows == rows => {
                    match fetch.await {
                        Ok(fetched) => fetched?,
                        Err(_) => self.fetch_values(io, page, buffer, encoding, &rows).await?,
                    }
                }
                other => {
                    if let Some((_, _, fetch)) = other {
                        fetch.abort();
                    }
                    self.fetch_values(io, page, buffer, encoding, &rows).await?
                }
            };
            let end = rows.end;
            segments.current = Some(Segment { page, rows, bytes });
            let next = end..end.saturating_add(per_segment).min(values);
            if !next.is_empty()
                && end < self.limit.saturating_sub(self.starts[page])
                && let Ok(runtime) = tokio::runtime::Handle::try_current()
                && let Some((_, byte_range)) = lancer_encoding::flat_value_bytes(
                    encoding,
                    next.start as usize..next.end as usize,
                )
            {
                let (io, info) = (io.clone(), info.clone());
                let fetch = runtime.spawn(async move {
                    let mut fetched = io
                        .fetch_ranges(&info.pages[page], vec![(buffer, byte_range)])
                        .await?;
                    fetched
                        .pop()
                        .ok_or_else(|| corrupt("no bytes for a segment"))
                });
                segments.next = Some((page, next, fetch));
            }
        }
        let segment = segments.current.as_ref().expect("a segment held or read");
        let mut buffers = vec![Bytes::new(); buffer + 1];
        buffers[buffer] = segment.bytes.clone();
        let source = PageSource {
            encoding,
            buffers: &buffers,
            num_values: segment.rows.end - segment.rows.start,
        };
        let first = segment.rows.start;
        let array = lancer_encoding::decode_values(
            source,
            (wanted.start - first) as usize..(wanted.end - first) as usize,
            data_type,
        )
        .map_err(|e| self.column_error(e))?;
        Ok(Some(array))
    }

    async fn fetch_values(
        &self,
        io: &PageIo,
        page: usize,
        buffer: usize,
        encoding: &lancer_encoding::proto::ArrayEncoding,
        rows: &Range<u64>,
    ) -> Result<Bytes> {
        let (_, byte_range) =
            lancer_encoding::flat_value_bytes(encoding, rows.start as usize..rows.end as usize)
                .ok_or_else(|| corrupt("a segment of values out of range"))?;
        let mut fetched = io
            .fetch_ranges(&self.info.pages[page], vec![(buffer, byte_range)])
            .await?;
        fetched
            .pop()
            .ok_or_else(|| corrupt("no bytes for a segment"))
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
            let buffers = self.buffers(io, page, true).await?;
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

impl FieldCursor {
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
                let header = ColumnCursor::new("2.0", index, path.clone(), info, expected)?;
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
                    fields: children_fields(field),
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
                let offsets = ColumnCursor::new("2.0", index, path.clone(), info, expected)?;
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
                column: ColumnCursor::new("2.0", index, path, info, expected)?,
                data_type: data_type.clone(),
                segments: Segments::default(),
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
                FieldCursor::Values {
                    column,
                    data_type,
                    segments,
                } => column.read_values(io, range, data_type, segments).await,
                FieldCursor::Struct {
                    fields,
                    header,
                    children,
                } => {
                    debug_assert!(range.end <= header.total());
                    let len = (range.end - range.start) as usize;
                    let arrays =
                        try_join_all(children.iter_mut().map(|c| c.read(io, range.clone())))
                            .await?;
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

    /// Declares that only values `window` of this field are read, so its columns do not
    /// prefetch pages past it.
    pub(crate) fn set_window(&mut self, window: Range<u64>) {
        let limit = window.end;
        match self {
            FieldCursor::Values { column, .. } => column.limit = limit,
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
            FieldCursor::Struct { header, .. } => header.column,
            FieldCursor::List { offsets, .. } => offsets.column,
        }
    }
}

/// The children of a struct field.
fn children_fields(field: &Field) -> arrow_schema::Fields {
    match field.data_type() {
        DataType::Struct(children) => children.clone(),
        _ => arrow_schema::Fields::empty(),
    }
}
