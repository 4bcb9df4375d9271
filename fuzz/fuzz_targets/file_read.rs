//! Whole-file reads: a valid file of random data is written with lancer's writer (file version
//! 2.0, 2.1 or 2.2, chosen by the input), mutated by the fuzzer's bytes (or, with the first
//! byte odd, the input itself is taken as a file), then opened and read completely, with
//! projections and row ranges.
#![no_main]

use std::sync::Arc;

use futures::TryStreamExt;
use lancer_file::{
    FileReader, FileVersion, FileWriter, FileWriterOptions, LanceSchema, Projection, ReadOptions,
};
use lancer_testkit::random::{Shape, every_type, random_batch};
use libfuzzer_sys::fuzz_target;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, memory::InMemory, path::Path};

async fn valid_file(store: &Arc<InMemory>, data: &[u8]) -> Option<Vec<u8>> {
    let types = every_type();
    let count = 1 + data[1] as usize % 3;
    let fields: Vec<_> = (0..count)
        .map(|i| types[data[2 + i] as usize % types.len()].clone())
        .collect();
    let rows = u16::from_le_bytes([data[5], data[6]]) as usize % 500;
    let version =
        [FileVersion::V2_0, FileVersion::V2_1, FileVersion::V2_2][(data[0] >> 1) as usize % 3];
    // 2.1 and 2.2 also store null structs.
    let shape = Shape {
        struct_null_density: if version == FileVersion::V2_0 {
            0.0
        } else {
            0.2
        },
        ..Shape::default()
    };
    let batch = random_batch(data[7] as u64, &fields, rows, &shape);
    let schema = LanceSchema::from_arrow(&batch.schema()).ok()?;
    let path = Path::from("valid.lance");
    let options = FileWriterOptions::default()
        .with_page_bytes(64 + data[8] as usize * 16)
        .with_version(version);
    let mut writer = FileWriter::try_new(store.clone(), path.clone(), schema, options).ok()?;
    writer.write_batch(&batch).await.ok()?;
    writer.finish().await.ok()?;
    Some(store.get(&path).await.ok()?.bytes().await.ok()?.to_vec())
}

async fn read_everything(store: Arc<dyn ObjectStore>, path: &Path) {
    let Ok(reader) = FileReader::open(store, path).await else {
        return;
    };
    let rows = reader.num_rows();
    let first = reader.schema().fields.first().map(|f| f.name.clone());
    let mut plans = vec![ReadOptions::default().with_batch_size(100)];
    if rows > 2 {
        plans.push(
            ReadOptions::default()
                .with_rows(1..rows - 1)
                .with_batch_size(33),
        );
    }
    if let Some(name) = first {
        plans.push(ReadOptions::default().with_projection(Projection::Names(vec![name])));
    }
    for options in plans {
        let Ok(stream) = reader.read_stream(options) else {
            continue;
        };
        // A corrupt file may claim billions of rows; a few batches are enough to exercise it.
        let _ = stream.take(50).try_collect::<Vec<_>>().await;
    }
}

use futures::StreamExt;

fuzz_target!(|data: &[u8]| {
    if data.len() < 10 {
        return;
    }
    futures::executor::block_on(async {
        let store = Arc::new(InMemory::new());
        let bytes = if data[0] % 2 == 1 {
            data[1..].to_vec()
        } else {
            let Some(mut file) = valid_file(&store, data).await else {
                return;
            };
            for m in data[9..].chunks_exact(3) {
                if file.is_empty() {
                    break;
                }
                let at = u16::from_le_bytes([m[0], m[1]]) as usize;
                // Mutations aim mostly at the metadata at the end of the file.
                let at = file.len() - 1 - (at % file.len());
                file[at] ^= m[2];
            }
            if data[9] % 5 == 0 {
                let keep = file.len() - (data[9] as usize % file.len().max(1));
                file.truncate(keep);
            }
            file
        };
        let path = Path::from("fuzzed.lance");
        if store.put(&path, PutPayload::from(bytes)).await.is_err() {
            return;
        }
        read_everything(store, &path).await;
    });
});
