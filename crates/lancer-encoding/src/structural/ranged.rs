//! Reading some rows of a 2.1/2.2 page without reading all of it.
//!
//! A [`RowRange`] plans the read in two steps, each a set of byte ranges of the page's
//! buffers for the caller to fetch: first what locates the rows (a mini-block page's chunk
//! words, dictionary and repetition index; two entries of a full-zip page's row index), then
//! the bytes holding them (a run of chunks; a span of zipped rows). The rows are then
//! decoded by the whole-page decoder from a page cut down to those bytes.
//!
//! In a mini-block page with lists a row may run over several chunks; the cut page starts at
//! a chunk where a row starts and ends after the chunk where the last wanted row ends, and
//! the rows outside the range are sliced off after decoding.

use std::ops::Range;

use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use bytes::Bytes;

use super::bits::read_uint;
use super::{Cut, decode_layout, parse_layout};
use crate::error::{Result, corrupt};
use crate::proto21::page_layout::Layout;
use crate::proto21::{FullZipLayout, MiniBlockLayout, full_zip_layout};

/// Byte ranges of a page's buffers: (buffer index, range relative to the buffer's start).
pub type BufferRanges = Vec<(usize, Range<u64>)>;

/// A read of rows `rows` of one 2.1/2.2 page.
#[derive(Debug)]
pub struct RowRange {
    layout: Layout,
    sizes: Vec<u64>,
    num_rows: u64,
    rows: Range<u64>,
    plan: Option<Plan>,
}

/// What the second step settled: which bytes to fetch and how they make a page.
#[derive(Debug)]
enum Plan {
    MiniBlock {
        /// Chunks `chunks` of the page, their words and bytes.
        chunks: Range<usize>,
        data: Range<u64>,
        words: Vec<u8>,
        /// Value slots in those chunks.
        items: u64,
        /// Rows starting in those chunks, and the page row the first one is.
        rows: u64,
        first_row: u64,
        /// The first chunk begins inside a row.
        preamble: bool,
        index: Option<Bytes>,
        dictionary: Option<Bytes>,
    },
    FullZip {
        data: Range<u64>,
    },
}

impl RowRange {
    /// Plans reading `rows` of a page with layout `layout` (the `PageLayout` bytes), buffers
    /// of `buffer_sizes` bytes and `num_rows` rows. None when the page is better read whole:
    /// constant pages (small by nature), blob pages, and list pages without a one-level
    /// repetition index.
    pub fn new(
        layout: &[u8],
        buffer_sizes: &[u64],
        num_rows: u64,
        rows: Range<u64>,
    ) -> Result<Option<RowRange>> {
        if rows.start > rows.end || rows.end > num_rows {
            return Err(corrupt(format!(
                "rows {rows:?} of a page of {num_rows} rows"
            )));
        }
        let layout = parse_layout(layout)?;
        let ranged = match &layout {
            Layout::MiniBlock(mini) => {
                mini.repetition_index_depth == mini.rep_compression.is_some() as u32
            }
            Layout::FullZip(_) => true,
            _ => false,
        };
        if !ranged {
            return Ok(None);
        }
        Ok(Some(RowRange {
            layout,
            sizes: buffer_sizes.to_vec(),
            num_rows,
            rows,
            plan: None,
        }))
    }

    /// Whether the rows come from a mini-block page without a dictionary: reading such a
    /// page's rows a slice at a time costs no more than reading them all at once (with a
    /// dictionary, every slice would decode the dictionary again).
    pub fn is_plain_mini_block(&self) -> bool {
        matches!(&self.layout, Layout::MiniBlock(mini) if mini.dictionary.is_none())
    }

    fn size(&self, buffer: usize) -> Result<u64> {
        self.sizes
            .get(buffer)
            .copied()
            .ok_or_else(|| corrupt(format!("the page has no buffer {buffer}")))
    }

    /// Step one: the bytes that locate the rows.
    pub fn index_ranges(&self) -> Result<BufferRanges> {
        match &self.layout {
            Layout::MiniBlock(mini) => {
                let mut ranges = vec![(0, 0..self.size(0)?)];
                if let Some(buffer) = dictionary_buffer(mini) {
                    ranges.push((buffer, 0..self.size(buffer)?));
                }
                if let Some(buffer) = index_buffer(mini) {
                    ranges.push((buffer, 0..self.size(buffer)?));
                }
                Ok(ranges)
            }
            Layout::FullZip(zip) => match row_index(zip, &self.sizes, self.num_rows)? {
                None => Ok(Vec::new()),
                Some(width) => {
                    // Bounds were checked with the index's size by `row_index`.
                    let entry = |row: u64| (1, row * width..(row + 1) * width);
                    Ok(vec![entry(self.rows.start), entry(self.rows.end)])
                }
            },
            _ => unreachable!("refused by new"),
        }
    }

    /// Step two: given the bytes of step one (in its order), the bytes holding the rows.
    pub fn data_ranges(&mut self, index: &[Bytes]) -> Result<BufferRanges> {
        let plan = match &self.layout {
            Layout::MiniBlock(mini) => self.plan_mini_block(mini, index)?,
            Layout::FullZip(zip) => self.plan_full_zip(zip, index)?,
            _ => unreachable!("refused by new"),
        };
        let ranges = match &plan {
            Plan::MiniBlock { data, .. } => vec![(1, data.clone())],
            Plan::FullZip { data } => vec![(0, data.clone())],
        };
        self.plan = Some(plan);
        Ok(ranges)
    }

    fn plan_mini_block(&self, mini: &MiniBlockLayout, index: &[Bytes]) -> Result<Plan> {
        let mut fetched = index.iter();
        let meta = fetched
            .next()
            .ok_or_else(|| corrupt("the chunk words were not given"))?;
        let dictionary = dictionary_buffer(mini).and_then(|_| fetched.next().cloned());
        let rep_index = index_buffer(mini).and_then(|_| fetched.next().cloned());
        let word = if mini.has_large_chunk { 4 } else { 2 };
        if meta.len() % word != 0 {
            return Err(corrupt("chunk metadata is not a whole number of words"));
        }
        let count = meta.len() / word;
        // Each chunk's byte range and value slots.
        let mut spans = Vec::with_capacity(count);
        let (mut at, mut seen) = (0u64, 0u64);
        for i in 0..count {
            let w = read_uint(meta, i * word, word)?;
            let size = ((w >> 4) + 1) * 8;
            let items = if i + 1 == count {
                mini.num_items
                    .checked_sub(seen)
                    .ok_or_else(|| corrupt("chunks hold more items than the page"))?
            } else {
                1u64 << (w & 0xF)
            };
            spans.push((at..at + size, items));
            at += size;
            seen += items;
        }
        if at > self.size(1)? {
            return Err(corrupt("the chunks run past their buffer"));
        }
        // Rows ending in each chunk and whether a row runs on past it.
        let rows_of: Vec<(u64, bool)> = match &rep_index {
            None => spans.iter().map(|(_, items)| (*items, false)).collect(),
            Some(index) => {
                if index.len() != 16 * count {
                    return Err(corrupt(format!(
                        "a repetition index of {} bytes for {count} chunks",
                        index.len()
                    )));
                }
                (0..count)
                    .map(|i| {
                        Ok((
                            read_uint(index, 16 * i, 8)?,
                            read_uint(index, 16 * i + 8, 8)? > 0,
                        ))
                    })
                    .collect::<Result<_>>()?
            }
        };
        let total = rows_of
            .iter()
            .try_fold(0u64, |sum, (ended, _)| sum.checked_add(*ended))
            .ok_or_else(|| corrupt("the repetition index's row counts overflow"))?;
        if total != self.num_rows {
            return Err(corrupt(format!(
                "the chunks end {total} rows, the page has {}",
                self.num_rows
            )));
        }
        // Rows ended before each chunk boundary, and rows begun before it (a row left open
        // by the chunk before a boundary has begun but not ended).
        let mut ended_before = Vec::with_capacity(count + 1);
        let mut running = 0u64;
        for (ended, _) in &rows_of {
            ended_before.push(running);
            running += ended;
        }
        ended_before.push(running);
        let open_at = |boundary: usize| boundary > 0 && rows_of[boundary - 1].1;
        let begun_before = |boundary: usize| ended_before[boundary] + open_at(boundary) as u64;
        // The chunk where a row ends: the last whose rows-ended-before count is at most it.
        let ends_in = |row: u64| ended_before.partition_point(|before| *before <= row) - 1;
        let chunks = if self.rows.is_empty() {
            0..0
        } else {
            // The chunk where the first row begins: the last boundary before which fewer
            // rows than it have begun.
            let begun: Vec<u64> = (0..=count).map(begun_before).collect();
            let start = begun.partition_point(|before| *before <= self.rows.start) - 1;
            start..ends_in(self.rows.end - 1) + 1
        };
        let data = match (
            chunks.is_empty(),
            spans.get(chunks.start),
            chunks.end.checked_sub(1).and_then(|e| spans.get(e)),
        ) {
            (false, Some(a), Some(b)) => a.0.start..b.0.end,
            _ => 0..0,
        };
        Ok(Plan::MiniBlock {
            words: meta[chunks.start * word..chunks.end * word].to_vec(),
            items: spans[chunks.clone()].iter().map(|(_, items)| items).sum(),
            rows: begun_before(chunks.end) - begun_before(chunks.start),
            first_row: begun_before(chunks.start),
            preamble: !chunks.is_empty() && open_at(chunks.start),
            data,
            index: rep_index.map(|index| index.slice(16 * chunks.start..16 * chunks.end)),
            chunks,
            dictionary,
        })
    }

    fn plan_full_zip(&self, zip: &FullZipLayout, index: &[Bytes]) -> Result<Plan> {
        let data = match row_index(zip, &self.sizes, self.num_rows)? {
            None => {
                let stride = fixed_stride(zip)?;
                let at = |row: u64| {
                    row.checked_mul(stride)
                        .ok_or_else(|| corrupt("full-zip row offsets overflow"))
                };
                at(self.rows.start)?..at(self.rows.end)?
            }
            Some(width) => {
                let entry = |i: usize| -> Result<u64> {
                    let bytes = index
                        .get(i)
                        .ok_or_else(|| corrupt("the row index entries were not given"))?;
                    read_uint(bytes, 0, width as usize)
                };
                let (start, end) = (entry(0)?, entry(1)?);
                if start > end {
                    return Err(corrupt("full-zip row offsets go backwards"));
                }
                start..end
            }
        };
        if data.end > self.size(0)? {
            return Err(corrupt("full-zip rows run past their buffer"));
        }
        Ok(Plan::FullZip { data })
    }

    /// Step three: given the bytes of step two, the rows as an array of `data_type` (the
    /// column's single-leaf type).
    pub fn decode(&self, data: &[Bytes], data_type: &DataType) -> Result<ArrayRef> {
        let plan = self
            .plan
            .as_ref()
            .ok_or_else(|| corrupt("data_ranges was not called"))?;
        let fetched = data
            .first()
            .cloned()
            .ok_or_else(|| corrupt("the rows' bytes were not given"))?;
        let wanted = self.rows.end - self.rows.start;
        match (plan, &self.layout) {
            (
                Plan::MiniBlock {
                    words,
                    items,
                    rows,
                    first_row,
                    index,
                    dictionary,
                    chunks,
                    preamble,
                    ..
                },
                Layout::MiniBlock(mini),
            ) => {
                if chunks.is_empty() {
                    return Ok(arrow_array::new_empty_array(data_type));
                }
                let layout = Layout::MiniBlock(MiniBlockLayout {
                    num_items: *items,
                    ..mini.clone()
                });
                let mut buffers = vec![Bytes::from(words.clone()), fetched];
                if let Some(dictionary) = dictionary {
                    buffers.push(dictionary.clone());
                }
                if let Some(index) = index {
                    buffers.push(index.clone());
                }
                let cut = Cut::Chunks {
                    preamble: *preamble,
                };
                let array = decode_layout(&layout, &buffers, *rows, data_type, cut)?;
                let skip = (self.rows.start - first_row) as usize;
                check_rows(&array, skip + wanted as usize)?;
                Ok(array.slice(skip, wanted as usize))
            }
            (Plan::FullZip { .. }, Layout::FullZip(_)) => {
                let array =
                    decode_layout(&self.layout, &[fetched], wanted, data_type, Cut::ZippedRows)?;
                check_rows(&array, wanted as usize)?;
                Ok(array)
            }
            _ => Err(corrupt("the plan does not fit the layout")),
        }
    }
}

/// Whether a page (its `PageLayout` bytes) is a full-zip page of fixed-width values without
/// repetition, whose rows are found by arithmetic alone (no index to read first).
pub fn structural_page_is_fixed_full_zip(layout: &[u8]) -> bool {
    matches!(
        parse_layout(layout),
        Ok(Layout::FullZip(FullZipLayout {
            bits_rep: 0,
            details: Some(full_zip_layout::Details::BitsPerValue(_)),
            ..
        }))
    )
}

fn check_rows(array: &ArrayRef, at_least: usize) -> Result<()> {
    if array.len() < at_least {
        return Err(corrupt(format!(
            "a ranged read decoded {} rows, {at_least} were needed",
            array.len()
        )));
    }
    Ok(())
}

fn dictionary_buffer(mini: &MiniBlockLayout) -> Option<usize> {
    mini.dictionary.is_some().then_some(2)
}

fn index_buffer(mini: &MiniBlockLayout) -> Option<usize> {
    (mini.repetition_index_depth > 0).then_some(if mini.dictionary.is_some() { 3 } else { 2 })
}

/// The width of a full-zip page's row index entries, when it has one (buffer 1).
fn row_index(zip: &FullZipLayout, sizes: &[u64], num_rows: u64) -> Result<Option<u64>> {
    match sizes.get(1) {
        None => {
            if zip.bits_rep > 0
                || matches!(
                    zip.details,
                    Some(full_zip_layout::Details::BitsPerOffset(_))
                )
            {
                return Err(corrupt("a full-zip page that needs a row index has none"));
            }
            Ok(None)
        }
        Some(size) => {
            let entries = num_rows
                .checked_add(1)
                .ok_or_else(|| corrupt("a page of too many rows"))?;
            let width = size / entries;
            if width * entries != *size || !matches!(width, 1 | 2 | 4 | 8) {
                return Err(corrupt(format!(
                    "a row index of {size} bytes for {num_rows} rows"
                )));
            }
            Ok(Some(width))
        }
    }
}

/// Bytes per row of a fixed-width full-zip page without repetition: control word and value.
fn fixed_stride(zip: &FullZipLayout) -> Result<u64> {
    let Some(full_zip_layout::Details::BitsPerValue(bits)) = zip.details else {
        return Err(corrupt(
            "a variable-width full-zip page without a row index",
        ));
    };
    let control = match zip.bits_rep as u64 + zip.bits_def as u64 {
        0 => 0,
        1..=8 => 1,
        9..=16 => 2,
        17..=32 => 4,
        other => return Err(corrupt(format!("{other}-bit control words"))),
    };
    if bits == 0 || bits % 8 != 0 {
        return Err(corrupt(format!("full-zip values of {bits} bits")));
    }
    Ok(control + bits as u64 / 8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structural::encode::{StructuralVersion, encode_structural_pages};
    use arrow_array::types::Int64Type;
    use arrow_array::{FixedSizeListArray, Float32Array, ListArray};
    use arrow_schema::Field;
    use prost::Message;
    use std::sync::Arc;

    /// Reads `rows` of `page` through a RowRange, returning the array and the bytes fetched.
    fn read(
        page: &crate::StructuralEncodedPage,
        rows: Range<u64>,
        data_type: &DataType,
    ) -> (ArrayRef, u64) {
        let layout = page.layout.encode_to_vec();
        let buffers: Vec<Bytes> = page.buffers.iter().map(|b| b.to_contiguous()).collect();
        let sizes: Vec<u64> = buffers.iter().map(|b| b.len() as u64).collect();
        let mut read = RowRange::new(&layout, &sizes, page.num_rows, rows)
            .unwrap()
            .expect("ranged");
        let mut fetched = 0;
        let mut fetch = |ranges: BufferRanges| -> Vec<Bytes> {
            ranges
                .into_iter()
                .map(|(b, r)| {
                    fetched += r.end - r.start;
                    buffers[b].slice(r.start as usize..r.end as usize)
                })
                .collect()
        };
        let index = fetch(read.index_ranges().unwrap());
        let data = fetch(read.data_ranges(&index).unwrap());
        (read.decode(&data, data_type).unwrap(), fetched)
    }

    #[test]
    fn rows_spanning_chunks_are_read_from_their_chunks_only() {
        // 300 rows of 0..3000 items each: many rows run over several 1024-value chunks.
        let lists = ListArray::from_iter_primitive::<Int64Type, _, _>(
            (0..300)
                .map(|r| Some((0..(r * 37 % 3000)).map(move |i| Some((r * 10_000 + i) as i64)))),
        );
        let field = Field::new("l", lists.data_type().clone(), true);
        let array: ArrayRef = Arc::new(lists);
        let pages = encode_structural_pages(
            &field,
            0,
            std::slice::from_ref(&array),
            StructuralVersion::V2_2,
        )
        .unwrap();
        assert_eq!(pages.len(), 1);
        let total: u64 = pages[0].buffers.iter().map(|b| b.len() as u64).sum();
        for rows in [0..1, 7..9, 150..151, 298..300, 0..300, 5..5] {
            let (got, fetched) = read(&pages[0], rows.clone(), field.data_type());
            let want = array.slice(rows.start as usize, (rows.end - rows.start) as usize);
            assert_eq!(got.to_data(), want.to_data(), "rows {rows:?}");
            if rows.end - rows.start <= 2 && !rows.is_empty() {
                assert!(
                    fetched * 10 < total,
                    "rows {rows:?}: {fetched} of {total} bytes"
                );
            }
        }
    }

    #[test]
    fn full_zip_rows_are_read_alone() {
        let values = Float32Array::from_iter_values((0..128 * 500).map(|i| i as f32));
        let item = Arc::new(Field::new("item", DataType::Float32, true));
        let vectors = FixedSizeListArray::try_new(
            item,
            128,
            Arc::new(values),
            Some(arrow_buffer::NullBuffer::from_iter(
                (0..500).map(|i| i % 7 != 0),
            )),
        )
        .unwrap();
        let field = Field::new("v", vectors.data_type().clone(), true);
        let array: ArrayRef = Arc::new(vectors);
        for version in [StructuralVersion::V2_1, StructuralVersion::V2_2] {
            let pages =
                encode_structural_pages(&field, 0, std::slice::from_ref(&array), version).unwrap();
            let (got, fetched) = read(&pages[0], 100..103, field.data_type());
            assert_eq!(got.to_data(), array.slice(100, 3).to_data());
            // Three rows of 512 bytes, their validity and control words.
            assert!(fetched < 3 * 600, "{fetched} bytes for three vectors");
        }
    }
}
