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

use super::cursor::{Ahead, ColumnCursor, PageIo, SEGMENT_BYTES, concat, segment_rows};
use crate::error::{Error, Result, corrupt};
use crate::format::{ColumnInfo, PageEncoding};

/// The segment of a page of plain values a cursor holds, and the next one being fetched.
#[derive(Default)]
pub(crate) struct Segments {
    /// Page, its values held, and the bytes of its values buffer holding them.
    current: Option<(usize, Range<u64>, Bytes)>,
    ahead: Option<Ahead<Bytes>>,
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
            let prefetch = self.segmented(page + 1).is_none();
            let buffers = self.buffers(io, page, prefetch).await?;
            let source = self.source(page, &buffers)?;
            let array = lancer_encoding::decode_values(source, local, data_type)
                .map_err(|e| self.column_error(e))?;
            parts.push(array);
        }
        concat(parts, data_type)
    }

    /// Whether page `page` exists and is a large page of plain fixed-width values, read by
    /// segments; then, the page buffer holding the values.
    fn segmented(&self, page: usize) -> Option<usize> {
        let info = self.info.pages.get(page)?;
        let PageEncoding::V2_0(encoding) = &info.encoding else {
            return None;
        };
        match lancer_encoding::flat_value_bytes(encoding, 0..1) {
            Some((buffer, one))
                if info.bytes() >= 2 * SEGMENT_BYTES
                    && buffer < info.buffers.len()
                    && one.end > one.start =>
            {
                Some(buffer)
            }
            _ => None,
        }
    }

    /// Values `local` of page `page` when it is a large page of plain fixed-width values,
    /// read a segment at a time (the next one fetched ahead), not whole. None for other
    /// pages.
    async fn read_segment(
        &mut self,
        io: &PageIo,
        page: usize,
        local: Range<usize>,
        data_type: &DataType,
        segments: &mut Segments,
    ) -> Result<Option<ArrayRef>> {
        let Some(buffer) = self.segmented(page) else {
            return Ok(None);
        };
        let info = self.info.clone();
        let PageEncoding::V2_0(encoding) = &info.pages[page].encoding else {
            return Ok(None);
        };
        let values = info.pages[page].num_values;
        let wanted = local.start as u64..local.end as u64;
        let held = matches!(
            &segments.current,
            Some((held_page, rows, _)) if *held_page == page
                && rows.start <= wanted.start
                && wanted.end <= rows.end
        );
        if !held {
            let per_segment = segment_rows(&info.pages[page], wanted.end - wanted.start);
            let (rows, fetched) = match Ahead::claim(&mut segments.ahead, page, &wanted).await? {
                Some((rows, fetched)) => (rows, fetched),
                None => (
                    wanted.start..wanted.start.saturating_add(per_segment).max(wanted.end),
                    None,
                ),
            };
            let rows = rows.start..rows.end.min(values);
            let bytes = match fetched {
                Some(bytes) => bytes,
                None => fetch_values(io.clone(), info.clone(), page, buffer, rows.clone()).await?,
            };
            let next = rows.end..rows.end.saturating_add(per_segment).min(values);
            if !next.is_empty() && self.starts[page] + next.start < self.limit {
                let fetch = fetch_values(io.clone(), info.clone(), page, buffer, next.clone());
                segments.ahead = Ahead::spawn(page, next, fetch);
            }
            segments.current = Some((page, rows, bytes));
        }
        let (_, rows, bytes) = segments.current.as_ref().expect("a segment held or read");
        let mut buffers = vec![Bytes::new(); buffer + 1];
        buffers[buffer] = bytes.clone();
        let source = PageSource {
            encoding,
            buffers: &buffers,
            num_values: rows.end - rows.start,
        };
        let array = lancer_encoding::decode_values(
            source,
            (wanted.start - rows.start) as usize..(wanted.end - rows.start) as usize,
            data_type,
        )
        .map_err(|e| self.column_error(e))?;
        Ok(Some(array))
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

/// The bytes of values `rows` of page `page`'s plain values, in buffer `buffer`.
async fn fetch_values(
    io: PageIo,
    info: Arc<ColumnInfo>,
    page: usize,
    buffer: usize,
    rows: Range<u64>,
) -> Result<Bytes> {
    let page = &info.pages[page];
    let PageEncoding::V2_0(encoding) = &page.encoding else {
        return Err(corrupt("a segment of a page that is not a 2.0 page"));
    };
    let (_, bytes) =
        lancer_encoding::flat_value_bytes(encoding, rows.start as usize..rows.end as usize)
            .ok_or_else(|| corrupt("a segment of values out of range"))?;
    io.fetch_ranges(page, vec![(buffer, bytes)])
        .await?
        .pop()
        .ok_or_else(|| corrupt("no bytes for a segment"))
}
