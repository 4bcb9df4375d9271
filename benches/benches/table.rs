//! The table model on its own: manifest encode and decode as datasets grow, fragment JSON
//! from workers, and building the next manifest for an Append and encoding it (copying
//! unchanged fragments' bytes, or encoding every fragment).

use arrow_schema::{DataType, Field, Schema};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lancer_file::{FileVersion, LanceSchema};
use lancer_table::{
    CommitInfo, DataFile, Fragment, Manifest, Operation, Transaction, fragments_from_json,
    fragments_to_json, next_manifest, proto,
};

/// `n` fragments whose file names start at `first` (a version lists each file once).
fn fragments_from(first: usize, n: usize) -> Vec<Fragment> {
    (first..first + n)
        .map(|i| {
            let file = DataFile::new(
                format!("{i:08}-4b5a-4c7e-9f1d-3a2b1c0d9e8f.lance"),
                vec![0, 1, 2],
                vec![0, 1, 2],
                FileVersion::V2_0,
                1 << 20,
            );
            Fragment::new(file, 65_536)
        })
        .collect()
}

fn fragments(n: usize) -> Vec<Fragment> {
    fragments_from(0, n)
}

fn manifest(n: usize) -> Manifest {
    let schema = LanceSchema::from_arrow(&Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("value", DataType::Float64, true),
        Field::new("text", DataType::Utf8, true),
    ]))
    .unwrap();
    let create = Transaction::new(
        0,
        Operation::Overwrite {
            fragments: fragments(n),
            schema,
            config_upsert: Default::default(),
        },
    );
    let info = CommitInfo {
        version: 1,
        timestamp: proto::Timestamp::default(),
        restored: None,
    };
    next_manifest(None, &create, info).unwrap()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("manifest");
    for n in [1_000usize, 10_000, 100_000] {
        let m = manifest(n);
        let bytes = m.encode();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("encode", n), &m, |b, m| {
            b.iter(|| m.encode())
        });
        group.bench_with_input(BenchmarkId::new("decode", n), &bytes, |b, bytes| {
            b.iter(|| Manifest::decode(bytes).unwrap())
        });
        let append = Transaction::new(1, Operation::append(fragments_from(n, 1)));
        group.bench_with_input(BenchmarkId::new("next_after_append", n), &m, |b, m| {
            b.iter(|| {
                let info = CommitInfo {
                    version: 2,
                    timestamp: proto::Timestamp::default(),
                    restored: None,
                };
                next_manifest(Some(m), &append, info).unwrap()
            })
        });
        // What a commit does after reading version N: build N+1 and encode it, copying the
        // unchanged fragments' bytes from N's file, or (for comparison) encoding them all.
        let decoded = Manifest::decode(&bytes).unwrap();
        let next = next_manifest(
            Some(&decoded),
            &append,
            CommitInfo {
                version: 2,
                timestamp: proto::Timestamp::default(),
                restored: None,
            },
        )
        .unwrap();
        group.bench_with_input(BenchmarkId::new("encode_spliced", n), &next, |b, next| {
            b.iter(|| next.encode())
        });
        group.bench_with_input(BenchmarkId::new("encode_full", n), &next, |b, next| {
            b.iter(|| next.encode_from_scratch())
        });
    }
    group.finish();

    let mut group = c.benchmark_group("fragment_json");
    let text = fragments_to_json(&fragments(1_000));
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("parse_and_validate_1000", |b| {
        b.iter(|| fragments_from_json(&text).unwrap())
    });
    group.bench_function("render_1000", |b| {
        let parsed = fragments_from_json(&text).unwrap();
        b.iter(|| fragments_to_json(&parsed))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
