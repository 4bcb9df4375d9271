//! Reading a dataset: fragments in order (several at once), each assembled from its data
//! files, with deleted rows removed.

use std::collections::HashSet;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, BooleanArray, RecordBatch, RecordBatchOptions, UInt64Array, make_array,
    new_null_array,
};
use arrow_data::ArrayData;
use arrow_schema::{DataType, SchemaRef};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use lancer_file::{FileReader, LanceField, Projection, ReadOptions};
use lancer_table::Fragment;

use super::deletion::deleted_rows;
use super::projection::ScanProjection;
use crate::dataset::Dataset;
use crate::error::{Error, Result};

/// Batches kept ready per fragment being read ahead.
const READ_AHEAD_BATCHES: usize = 2;

/// A scan of a dataset version.
#[derive(Clone, Debug)]
pub struct Scanner {
    dataset: Dataset,
    columns: Option<Vec<String>>,
    limit: Option<u64>,
    batch_size: usize,
    fragments: Option<Vec<u64>>,
    parallelism: usize,
    row_id: bool,
    row_address: bool,
}

impl Scanner {
    pub(crate) fn new(dataset: Dataset) -> Self {
        Scanner {
            dataset,
            columns: None,
            limit: None,
            batch_size: 8192,
            fragments: None,
            parallelism: 4,
            row_id: false,
            row_address: false,
        }
    }

    /// Adds a `_rowid` column (UInt64) after the projected ones. Without stable row ids,
    /// which lancer does not write, a row's id is its address, as in pylance.
    pub fn with_row_id(mut self, row_id: bool) -> Self {
        self.row_id = row_id;
        self
    }

    /// Adds a `_rowaddr` column (UInt64: the fragment id in the high 32 bits, the row's
    /// position in the fragment, deleted rows counted, in the low 32) after the projected
    /// ones and `_rowid`.
    pub fn with_row_address(mut self, row_address: bool) -> Self {
        self.row_address = row_address;
        self
    }

    /// Reads only these columns, in this order: top-level columns by name, fields inside
    /// structs by their dotted path (`s.x`, returned as a column named `s.x`), and the
    /// row id and row address as `_rowid` and `_rowaddr`.
    pub fn project<S: AsRef<str>>(mut self, columns: &[S]) -> Self {
        self.columns = Some(columns.iter().map(|c| c.as_ref().to_string()).collect());
        self
    }

    /// Stops after this many rows.
    pub fn limit(mut self, rows: u64) -> Self {
        self.limit = Some(rows);
        self
    }

    /// Rows per batch (default 8192; batches never span fragments, so some are shorter).
    pub fn batch_size(mut self, rows: usize) -> Self {
        self.batch_size = rows.max(1);
        self
    }

    /// Reads only these fragments (in dataset order).
    pub fn with_fragments(mut self, ids: &[u64]) -> Self {
        self.fragments = Some(ids.to_vec());
        self
    }

    /// Fragments read at the same time (default 4).
    pub fn parallelism(mut self, fragments: usize) -> Self {
        self.parallelism = fragments.max(1);
        self
    }

    /// The Arrow schema of the batches.
    pub fn schema(&self) -> Result<SchemaRef> {
        Ok(self.projection()?.output_schema())
    }

    fn projection(&self) -> Result<ScanProjection> {
        ScanProjection::new(
            &self.dataset,
            self.columns.as_deref(),
            self.row_id,
            self.row_address,
        )
    }

    /// The rows as a stream of batches, fragment after fragment.
    pub fn try_into_stream(self) -> Result<BoxStream<'static, Result<RecordBatch>>> {
        let projection = Arc::new(self.projection()?);
        // Shared with the manifest for a full scan: fragments are cloned one at a time as
        // the scan reaches them, not all up front.
        let fragments: Arc<Vec<Fragment>> = match &self.fragments {
            None => Arc::clone(&self.dataset.manifest.fragments),
            Some(ids) => {
                for id in ids {
                    if self.dataset.fragment_metadata(*id).is_none() {
                        return Err(Error::not_found(format!(
                            "version {} has no fragment {id}",
                            self.dataset.version()
                        )));
                    }
                }
                self.dataset
                    .manifest
                    .fragments
                    .iter()
                    .filter(|f| ids.contains(&f.id))
                    .cloned()
                    .collect::<Vec<_>>()
                    .into()
            }
        };
        let (dataset, batch_size) = (self.dataset.clone(), self.batch_size);
        let fields = Arc::new(projection.read_fields.clone());
        let read_schema = projection.read_schema.clone();
        let addresses = projection.addresses;
        let per_fragment = stream::iter(0..fragments.len())
            .map(move |index| {
                let fragment = fragments[index].clone();
                let (dataset, schema, fields) =
                    (dataset.clone(), read_schema.clone(), fields.clone());
                let read = FragmentRead {
                    batch_size,
                    skip_deleted: true,
                    addresses,
                };
                read_ahead(fragment_stream_with(
                    dataset, fragment, schema, fields, read,
                ))
            })
            .buffered(self.parallelism)
            .flatten();
        let shaped = if projection.is_identity() {
            per_fragment.boxed()
        } else {
            per_fragment
                .map(move |batch| batch.and_then(|batch| projection.apply(&batch)))
                .boxed()
        };
        Ok(match self.limit {
            None => shaped,
            Some(limit) => {
                let mut left = limit;
                shaped
                    .try_take_while(move |_| futures::future::ready(Ok(left > 0)))
                    .map_ok(move |batch| {
                        let keep = (batch.num_rows() as u64).min(left);
                        left -= keep;
                        batch.slice(0, keep as usize)
                    })
                    .boxed()
            }
        })
    }

    /// All rows in one batch.
    pub async fn to_batch(self) -> Result<RecordBatch> {
        let schema = self.schema()?;
        let batches: Vec<RecordBatch> = self.try_into_stream()?.try_collect().await?;
        Ok(arrow_select::concat::concat_batches(&schema, &batches)?)
    }
}

/// Starts reading a fragment in the background (inside a tokio runtime), keeping a few
/// batches ready, so several fragments are read at once while the output stays in order.
async fn read_ahead(
    stream: BoxStream<'static, Result<RecordBatch>>,
) -> BoxStream<'static, Result<RecordBatch>> {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return stream;
    };
    let (sender, mut receiver) = tokio::sync::mpsc::channel(READ_AHEAD_BATCHES);
    runtime.spawn(async move {
        let mut stream = stream;
        while let Some(item) = stream.next().await {
            if sender.send(item).await.is_err() {
                break;
            }
        }
    });
    stream::poll_fn(move |cx| receiver.poll_recv(cx)).boxed()
}

/// The rows of one fragment, `fields` assembled from the files that hold them (columns no
/// file holds read as nulls), without the deleted rows when `skip_deleted`.
pub(crate) fn fragment_stream(
    dataset: Dataset,
    fragment: Fragment,
    schema: SchemaRef,
    fields: Arc<Vec<LanceField>>,
    batch_size: usize,
    skip_deleted: bool,
) -> BoxStream<'static, Result<RecordBatch>> {
    let read = FragmentRead {
        batch_size,
        skip_deleted,
        addresses: false,
    };
    fragment_stream_with(dataset, fragment, schema, fields, read)
}

/// How a fragment is read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FragmentRead {
    pub(crate) batch_size: usize,
    pub(crate) skip_deleted: bool,
    /// Fill the last column of `schema` with the rows' addresses.
    pub(crate) addresses: bool,
}

/// [`fragment_stream`], with the row addresses as the schema's last column when
/// `read.addresses`.
pub(crate) fn fragment_stream_with(
    dataset: Dataset,
    fragment: Fragment,
    schema: SchemaRef,
    fields: Arc<Vec<LanceField>>,
    read: FragmentRead,
) -> BoxStream<'static, Result<RecordBatch>> {
    let FragmentRead {
        batch_size,
        skip_deleted,
        addresses,
    } = read;
    let setup = async move {
        // Which file holds each projected field. Files of version 2.1 and later list only
        // the ids of leaf fields (a list or struct has no column of its own), so a file
        // holds a field if it lists the field or any field below it.
        let mut groups: Vec<(usize, Vec<(usize, i32)>)> = Vec::new();
        for (position, field) in fields.iter().enumerate() {
            let ids: Vec<i32> = field.walk().iter().map(|f| f.id).collect();
            if let Some(f) = fragment
                .files
                .iter()
                .position(|file| file.fields.iter().any(|id| ids.contains(id)))
            {
                match groups.iter_mut().find(|(file, _)| *file == f) {
                    Some((_, list)) => list.push((position, field.id)),
                    None => groups.push((f, vec![(position, field.id)])),
                }
            }
        }
        let mut streams = Vec::with_capacity(groups.len());
        for (file_index, members) in &groups {
            let file = &fragment.files[*file_index];
            let path = dataset.data_path(&file.path);
            let reader = match file.file_size_bytes {
                Some(size) => {
                    FileReader::open_with_size(dataset.object_store().clone(), &path, size).await?
                }
                None => FileReader::open(dataset.object_store().clone(), &path).await?,
            };
            let ids = members.iter().map(|(_, id)| *id).collect();
            let mut options = ReadOptions::default()
                .with_projection(Projection::FieldIds(ids))
                .with_batch_size(batch_size);
            // The manifest's row count is the fragment's, as Lance readers take it: a file
            // holding more rows shows only the first ones, one holding fewer is an error.
            if let Some(rows) = fragment.physical_rows {
                if rows > reader.num_rows() {
                    return Err(Error::in_data_file(
                        fragment.id.to_string(),
                        file.path.clone(),
                        format!(
                            "the manifest says {rows} rows, the data file has {}",
                            reader.num_rows()
                        ),
                    ));
                }
                if rows < reader.num_rows() {
                    options = options.with_rows(0..rows);
                }
            }
            streams.push(reader.read_stream(options)?);
        }
        let deleted = if skip_deleted {
            deleted_rows(&dataset.store, &fragment).await?
        } else {
            HashSet::new()
        };
        let rows = fragment.physical_rows.unwrap_or_default();
        let state = Assembly {
            streams,
            groups,
            schema,
            offset: 0,
            deleted,
            fragment_rows: rows,
            addresses: addresses.then_some(fragment.id),
        };
        let filtered = !state.deleted.is_empty();
        let assembled = stream::try_unfold(state, |mut state| async move {
            state.next().await.map(|b| b.map(|b| (b, state)))
        })
        .boxed();
        // Deleted rows leave short batches; callers asked for `batch_size` rows (pylance
        // hands out full batches too).
        Ok::<_, Error>(if filtered {
            rechunk(assembled, batch_size)
        } else {
            assembled
        })
    };
    stream::once(setup).try_flatten().boxed()
}

/// `column` with the type the dataset's schema gives it. A file keeps the names (and
/// nullability) of nested fields as they were when it was written; a column renamed or made
/// nullable since has the same values under another type.
fn relabel(column: &ArrayRef, wanted: &DataType) -> Result<ArrayRef> {
    if column.data_type() == wanted {
        return Ok(column.clone());
    }
    Ok(make_array(relabel_data(column.to_data(), wanted)?))
}

fn relabel_data(data: ArrayData, wanted: &DataType) -> Result<ArrayData> {
    if data.data_type() == wanted {
        return Ok(data);
    }
    let child_types: Vec<&DataType> = match wanted {
        DataType::Struct(fields) => fields.iter().map(|f| f.data_type()).collect(),
        DataType::List(field)
        | DataType::LargeList(field)
        | DataType::FixedSizeList(field, _)
        | DataType::Map(field, _) => vec![field.data_type()],
        _ => Vec::new(),
    };
    if child_types.len() != data.child_data().len() {
        return Err(Error::new(
            crate::ErrorKind::Corrupt,
            format!(
                "a data file holds {} where the schema says {wanted}",
                data.data_type()
            ),
        ));
    }
    let children = data
        .child_data()
        .iter()
        .zip(child_types)
        .map(|(child, wanted)| relabel_data(child.clone(), wanted))
        .collect::<Result<Vec<_>>>()?;
    Ok(data
        .into_builder()
        .data_type(wanted.clone())
        .child_data(children)
        .build()?)
}

/// `input` in batches of exactly `rows` rows, but the last.
fn rechunk(
    input: BoxStream<'static, Result<RecordBatch>>,
    rows: usize,
) -> BoxStream<'static, Result<RecordBatch>> {
    struct Chunks {
        input: BoxStream<'static, Result<RecordBatch>>,
        held: Vec<RecordBatch>,
        held_rows: usize,
        ended: bool,
    }
    let state = Chunks {
        input,
        held: Vec::new(),
        held_rows: 0,
        ended: false,
    };
    stream::try_unfold(state, move |mut state| async move {
        while !state.ended && state.held_rows < rows {
            match state.input.next().await.transpose()? {
                Some(batch) if batch.num_rows() == 0 => {}
                Some(batch) => {
                    state.held_rows += batch.num_rows();
                    state.held.push(batch);
                }
                None => state.ended = true,
            }
        }
        if state.held.is_empty() {
            return Ok(None);
        }
        let schema = state.held[0].schema();
        let all = if state.held.len() == 1 {
            state.held.pop().expect("one batch")
        } else {
            arrow_select::concat::concat_batches(&schema, &std::mem::take(&mut state.held))?
        };
        state.held.clear();
        let out = all.slice(0, rows.min(all.num_rows()));
        let rest = all.num_rows() - out.num_rows();
        state.held_rows = rest;
        if rest > 0 {
            state.held.push(all.slice(out.num_rows(), rest));
        }
        Ok(Some((out, state)))
    })
    .boxed()
}

struct Assembly {
    streams: Vec<BoxStream<'static, lancer_file::Result<RecordBatch>>>,
    groups: Vec<(usize, Vec<(usize, i32)>)>,
    schema: SchemaRef,
    offset: u64,
    deleted: HashSet<u32>,
    fragment_rows: u64,
    /// The fragment id, when the last column holds the row addresses.
    addresses: Option<u64>,
}

impl Assembly {
    async fn next(&mut self) -> Result<Option<RecordBatch>> {
        loop {
            let mut columns: Vec<Option<ArrayRef>> = vec![None; self.schema.fields().len()];
            let mut rows = None;
            for (stream, (_, members)) in self.streams.iter_mut().zip(&self.groups) {
                match stream.next().await.transpose()? {
                    None => {
                        if rows.is_some() {
                            return Err(Error::unsupported(
                                "the files of a fragment hold different numbers of rows",
                            ));
                        }
                    }
                    Some(batch) => {
                        if rows.is_some_and(|r| r != batch.num_rows()) {
                            return Err(Error::unsupported(
                                "the files of a fragment hold different numbers of rows",
                            ));
                        }
                        rows = Some(batch.num_rows());
                        for ((position, _), column) in members.iter().zip(batch.columns()) {
                            let wanted = self.schema.field(*position).data_type();
                            columns[*position] = Some(relabel(column, wanted)?);
                        }
                    }
                }
            }
            let rows = match rows {
                Some(rows) => rows,
                // A fragment with no file for any projected column: its row count decides.
                None if self.streams.is_empty() && self.offset < self.fragment_rows => {
                    (self.fragment_rows - self.offset).min(8192) as usize
                }
                None => return Ok(None),
            };
            let start = self.offset;
            if let Some(fragment) = self.addresses {
                let first = (fragment << 32) + start;
                let addresses: ArrayRef =
                    Arc::new(UInt64Array::from_iter_values(first..first + rows as u64));
                *columns.last_mut().expect("the address column") = Some(addresses);
            }
            let columns: Vec<ArrayRef> = columns
                .into_iter()
                .zip(self.schema.fields())
                .map(|(column, field)| {
                    column.unwrap_or_else(|| new_null_array(field.data_type(), rows))
                })
                .collect();
            let batch = RecordBatch::try_new_with_options(
                self.schema.clone(),
                columns,
                &RecordBatchOptions::new().with_row_count(Some(rows)),
            )?;
            self.offset += rows as u64;
            if self.deleted.is_empty() {
                return Ok(Some(batch));
            }
            let keep: BooleanArray = (0..rows)
                .map(|i| Some(!self.deleted.contains(&((start + i as u64) as u32))))
                .collect();
            let filtered = arrow_select::filter::filter_record_batch(&batch, &keep)?;
            if filtered.num_rows() > 0 {
                return Ok(Some(filtered));
            }
        }
    }
}
