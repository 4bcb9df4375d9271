//! Hostile files: every corruption gives an error naming what is wrong, never a panic, and
//! never an allocation sized from a length the file has not backed with bytes.

use std::sync::Arc;

use arrow_array::{ArrayRef, Int32Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use futures::TryStreamExt;
use lancer_file::format::Footer;
use lancer_file::proto::{ColumnMetadata, FileDescriptor};
use lancer_file::{Error, FileReader, FileWriter, FileWriterOptions, LanceSchema, ReadOptions};
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};
use prost::Message;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// A small valid file: an int32 column and a string column over two pages each.
fn valid_file() -> Vec<u8> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("a", DataType::Int32, true),
        Field::new("s", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int32Array::from_iter(
                (0..100).map(|i| (i % 7 != 0).then_some(i)),
            )) as ArrayRef,
            Arc::new(StringArray::from_iter(
                (0..100).map(|i| (i % 5 != 0).then(|| format!("value {i}"))),
            )),
        ],
    )
    .unwrap();
    runtime().block_on(async {
        let store = Arc::new(InMemory::new());
        let path = Path::from("f.lance");
        let options = FileWriterOptions::default().with_page_bytes(256);
        let mut writer = FileWriter::try_new(
            store.clone(),
            path.clone(),
            LanceSchema::from_arrow(&schema).unwrap(),
            options,
        )
        .unwrap();
        writer.write_batch(&batch).await.unwrap();
        writer.finish().await.unwrap();
        store
            .get(&path)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec()
    })
}

/// Opens and fully reads `bytes`; returns the first error.
fn read(bytes: Vec<u8>) -> Result<usize, Error> {
    runtime().block_on(async {
        let store = Arc::new(InMemory::new());
        let path = Path::from("bad.lance");
        store.put(&path, PutPayload::from(bytes)).await.unwrap();
        let reader = FileReader::open(store, &path).await?;
        let batches: Vec<RecordBatch> = reader
            .read_stream(ReadOptions::default().with_batch_size(30))?
            .try_collect()
            .await?;
        Ok(batches.iter().map(|b| b.num_rows()).sum())
    })
}

fn footer(bytes: &[u8]) -> Footer {
    Footer::parse(&bytes[bytes.len() - 40..]).unwrap()
}

fn with_footer(mut bytes: Vec<u8>, change: impl FnOnce(&mut Footer)) -> Vec<u8> {
    let mut f = footer(&bytes);
    change(&mut f);
    let at = bytes.len() - 40;
    bytes[at..].copy_from_slice(&f.to_bytes());
    bytes
}

/// Rewrites column metadata `column` (keeping every position; the new metadata replaces the
/// old in the metadata region, which is rebuilt).
fn with_column(bytes: &[u8], column: usize, change: impl FnOnce(&mut ColumnMetadata)) -> Vec<u8> {
    let f = footer(bytes);
    let table = |start: u64, n: u32| -> Vec<(u64, u64)> {
        (0..n as usize)
            .map(|i| {
                let at = start as usize + 16 * i;
                (
                    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()),
                    u64::from_le_bytes(bytes[at + 8..at + 16].try_into().unwrap()),
                )
            })
            .collect()
    };
    let columns = table(f.cmo_table_start, f.num_columns);
    let globals = table(f.gbo_table_start, f.num_global_buffers);
    let mut metas: Vec<ColumnMetadata> = columns
        .iter()
        .map(|&(p, l)| ColumnMetadata::decode(&bytes[p as usize..(p + l) as usize]).unwrap())
        .collect();
    change(&mut metas[column]);
    let mut out = bytes[..f.column_meta_start as usize].to_vec();
    let start = out.len() as u64;
    let mut entries = Vec::new();
    for meta in metas {
        let encoded = meta.encode_to_vec();
        entries.push((out.len() as u64, encoded.len() as u64));
        out.extend_from_slice(&encoded);
    }
    let cmo = out.len() as u64;
    for (p, l) in entries {
        out.extend_from_slice(&p.to_le_bytes());
        out.extend_from_slice(&l.to_le_bytes());
    }
    let gbo = out.len() as u64;
    for (p, l) in globals {
        out.extend_from_slice(&p.to_le_bytes());
        out.extend_from_slice(&l.to_le_bytes());
    }
    let footer = Footer {
        column_meta_start: start,
        cmo_table_start: cmo,
        gbo_table_start: gbo,
        ..f
    };
    out.extend_from_slice(&footer.to_bytes());
    out
}

fn assert_error(result: Result<usize, Error>, needle: &str) {
    match result {
        Ok(rows) => panic!("expected an error containing `{needle}`, read {rows} rows"),
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.contains(needle),
                "error `{message}` does not mention `{needle}`"
            );
        }
    }
}

#[test]
fn the_valid_file_reads() {
    assert_eq!(read(valid_file()).unwrap(), 100);
}

#[test]
fn every_truncation_is_an_error() {
    let file = valid_file();
    for keep in (0..file.len())
        .step_by(7)
        .chain([file.len() - 1, file.len() - 40, 39])
    {
        let result = read(file[..keep].to_vec());
        assert!(
            result.is_err(),
            "file cut to {keep} of {} bytes read fine",
            file.len()
        );
    }
}

#[test]
fn data_region_cut_short() {
    // Keep the metadata but drop bytes from the middle of the data: buffers then point at the
    // wrong bytes or past the data region.
    let file = valid_file();
    let f = footer(&file);
    let mut cut = file[..64].to_vec();
    cut.extend_from_slice(&file[f.column_meta_start as usize - 64..]);
    assert!(read(cut).is_err());
}

#[test]
fn wrong_magic_is_not_a_lance_file() {
    let mut file = valid_file();
    let n = file.len();
    file[n - 1] = b'X';
    assert_error(read(file), "not a Lance file");
}

#[test]
fn tiny_files_are_not_lance_files() {
    assert_error(read(vec![]), "too small");
    assert_error(read(b"LANC".to_vec()), "too small");
}

#[test]
fn legacy_and_unknown_versions_are_refused() {
    let legacy = with_footer(valid_file(), |f| (f.major, f.minor) = (0, 2));
    assert_error(read(legacy), "legacy");
    let future = with_footer(valid_file(), |f| (f.major, f.minor) = (9, 9));
    assert_error(read(future), "unknown Lance file version");
}

#[test]
fn version_2_0_pages_in_a_2_1_file_are_refused() {
    let relabelled = with_footer(valid_file(), |f| (f.major, f.minor) = (2, 1));
    assert_error(read(relabelled), "is not a 2.1/2.2 page");
}

#[test]
fn offsets_past_the_end() {
    let file = valid_file();
    let len = file.len() as u64;
    assert_error(
        read(with_footer(file.clone(), |f| f.gbo_table_start = len)),
        "past the footer",
    );
    assert_error(
        read(with_footer(file.clone(), |f| {
            f.gbo_table_start = u64::MAX - 3
        })),
        "overflows",
    );
    assert_error(
        read(with_footer(file.clone(), |f| {
            f.num_global_buffers = u32::MAX
        })),
        "past the footer",
    );
    assert_error(
        read(with_footer(file.clone(), |f| f.num_columns = u32::MAX)),
        "overlaps",
    );
    assert_error(
        read(with_footer(file.clone(), |f| f.cmo_table_start = len * 2)),
        "overlaps",
    );
    assert_error(
        read(with_footer(file.clone(), |f| f.num_global_buffers = 0)),
        "no global buffers",
    );
}

#[test]
fn a_global_buffer_outside_the_file() {
    let mut file = valid_file();
    let f = footer(&file);
    let at = f.gbo_table_start as usize + 8;
    file[at..at + 8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert_error(read(file), "outside the file");
}

#[test]
fn column_metadata_outside_the_region() {
    let mut file = valid_file();
    let f = footer(&file);
    let at = f.cmo_table_start as usize;
    file[at..at + 8].copy_from_slice(&0u64.to_le_bytes());
    assert_error(read(file), "outside the metadata region");
}

#[test]
fn corrupt_file_descriptor() {
    let mut file = valid_file();
    let f = footer(&file);
    let at = f.gbo_table_start as usize;
    let position = u64::from_le_bytes(file[at..at + 8].try_into().unwrap()) as usize;
    file[position] = 0xff; // not a valid protobuf tag/wire type
    assert_error(read(file), "protobuf");
}

#[test]
fn row_count_disagreeing_with_the_pages() {
    let mut file = valid_file();
    let f = footer(&file);
    let at = f.gbo_table_start as usize;
    let (p, l) = (
        u64::from_le_bytes(file[at..at + 8].try_into().unwrap()) as usize,
        u64::from_le_bytes(file[at + 8..at + 16].try_into().unwrap()) as usize,
    );
    let mut descriptor = FileDescriptor::decode(&file[p..p + l]).unwrap();
    assert_eq!(descriptor.length, 100);
    descriptor.length = 101; // same varint width, so every position stays valid
    let encoded = descriptor.encode_to_vec();
    assert_eq!(encoded.len(), l);
    file[p..p + l].copy_from_slice(&encoded);
    assert_error(read(file), "holds 100 values, its parent needs 101");
}

#[test]
fn page_buffer_shorter_than_declared() {
    let file = valid_file();
    // Claim more values than the page's buffers hold.
    let more_values = with_column(&file, 0, |c| c.pages[0].length += 1000);
    assert!(read(more_values).is_err());
    // Shrink a buffer's recorded size below what its values need.
    let short = with_column(&file, 0, |c| c.pages[0].buffer_sizes[1] /= 2);
    assert_error(read(short), "needs");
    // A buffer running past the data region.
    let past = with_column(&file, 1, |c| c.pages[0].buffer_sizes[0] = 1 << 50);
    assert_error(read(past), "past the data region");
    // Offsets and sizes of different lengths.
    let uneven = with_column(&file, 1, |c| {
        c.pages[0].buffer_sizes.pop();
    });
    assert_error(read(uneven), "buffer offsets");
}

#[test]
fn missing_encodings() {
    let file = valid_file();
    assert_error(
        read(with_column(&file, 0, |c| c.encoding = None)),
        "missing its encoding",
    );
    let no_page_encoding = with_column(&file, 1, |c| c.pages[0].encoding = None);
    assert!(read(no_page_encoding).is_err());
}

#[test]
fn a_huge_all_null_page_is_refused_not_allocated() {
    // Rewrite column 0 as one all-null page claiming 2^40 values, and the file as that long.
    let file = valid_file();
    let all_nulls = lancer_encoding::proto::ArrayEncoding::all_nulls();
    let huge = with_column(&file, 0, |c| {
        c.pages.truncate(1);
        c.pages[0].length = 1 << 40;
        c.pages[0].buffer_offsets.clear();
        c.pages[0].buffer_sizes.clear();
        let any = lancer_file::proto::Any {
            type_url: "/lance.encodings.ArrayEncoding".into(),
            value: all_nulls.encode_to_vec(),
        };
        c.pages[0].encoding = Some(lancer_file::proto::Encoding {
            location: Some(lancer_file::proto::encoding::Location::Direct(
                lancer_file::proto::DirectEncoding {
                    encoding: any.encode_to_vec(),
                },
            )),
        });
    });
    // The other column no longer matches the row count, so opening the read fails cleanly.
    assert!(read(huge).is_err());
}
