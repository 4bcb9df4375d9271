//! Writing and reading a whole file (in memory): the reference table's shape, 20,000 rows.

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::TryStreamExt;
use lancer_benches::reference;
use lancer_file::{FileReader, FileWriter, FileWriterOptions, LanceSchema, ReadOptions};
use object_store::memory::InMemory;
use object_store::path::Path;

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let batches = reference::batches(20_000, 4_096);
    let bytes: usize = batches.iter().map(|b| b.get_array_memory_size()).sum();
    let schema = LanceSchema::from_arrow(&reference::schema()).unwrap();
    let write = |store: Arc<InMemory>| {
        let schema = schema.clone();
        let batches = &batches;
        async move {
            let mut writer = FileWriter::try_new(
                store,
                Path::from("f.lance"),
                schema,
                FileWriterOptions::default(),
            )
            .unwrap();
            for batch in batches {
                writer.write_batch(batch).await.unwrap();
            }
            writer.finish().await.unwrap()
        }
    };
    let mut group = c.benchmark_group("reference_table");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(20);
    group.bench_function("write", |b| {
        b.iter(|| runtime.block_on(write(Arc::new(InMemory::new()))))
    });
    let store = Arc::new(InMemory::new());
    runtime.block_on(write(store.clone()));
    group.bench_function("scan", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let reader = FileReader::open(store.clone(), &Path::from("f.lance"))
                    .await
                    .unwrap();
                let batches: Vec<_> = reader
                    .read_stream(ReadOptions::default())
                    .unwrap()
                    .try_collect()
                    .await
                    .unwrap();
                batches.len()
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
