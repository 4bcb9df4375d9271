//! File sizes are part of the contract: a 2.2 (and 2.0) file of the reference table's
//! columns may not grow by more than 5% over the sizes pinned in `sizes.golden`, column by
//! column. A change that shrinks a column passes and says so; to pin the new sizes, run
//! `LANCER_BLESS_SIZES=1 cargo test -p lancer-benches --test sizes` and commit the file.

use std::collections::BTreeMap;
use std::sync::Arc;

use lancer_benches::reference;
use lancer_file::{FileReader, FileVersion, FileWriter, FileWriterOptions, LanceSchema};
use object_store::memory::InMemory;
use object_store::path::Path;

/// Rows written: a few pages of every column, in batches of the benchmark's size.
const ROWS: usize = 200_000;
/// How much a column may grow before the test fails.
const TOLERANCE: f64 = 1.05;

fn golden_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sizes.golden")
}

/// Bytes of page buffers per top-level column of the reference table written in `version`,
/// and of the whole file (`file`).
async fn sizes(version: FileVersion) -> BTreeMap<String, u64> {
    let store = Arc::new(InMemory::new());
    let path = Path::from("reference.lance");
    let schema = LanceSchema::from_arrow(&reference::schema()).unwrap();
    let options = FileWriterOptions::default().with_version(version);
    let mut writer = FileWriter::try_new(store.clone(), path.clone(), schema, options).unwrap();
    for batch in reference::batches(ROWS, 65_536) {
        writer.write_batch(&batch).await.unwrap();
    }
    let written = writer.finish().await.unwrap();
    let reader = FileReader::open(store, &path).await.unwrap();
    let mut out: BTreeMap<String, u64> = lancer_benches::sizes::field_bytes(&reader)
        .into_iter()
        .collect();
    out.insert("file".to_string(), written.size_bytes);
    out
}

#[tokio::test]
async fn reference_files_do_not_grow() {
    let mut measured = BTreeMap::new();
    for (name, version) in [("2.0", FileVersion::V2_0), ("2.2", FileVersion::V2_2)] {
        for (column, bytes) in sizes(version).await {
            measured.insert(format!("{name} {column}"), bytes);
        }
    }
    let rendered: String = measured
        .iter()
        .map(|(key, bytes)| format!("{key} {bytes}\n"))
        .collect();
    if std::env::var_os("LANCER_BLESS_SIZES").is_some() {
        let header = "# version column bytes: page buffers of the reference table's columns \
                      (200,000 rows) and the whole file; written by benches/tests/sizes.rs\n";
        std::fs::write(golden_path(), format!("{header}{rendered}")).unwrap();
        return;
    }
    let golden = std::fs::read_to_string(golden_path()).unwrap();
    let pinned: BTreeMap<String, u64> = golden
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (key, bytes) = l.rsplit_once(' ').expect("`version column bytes`");
            (key.to_string(), bytes.parse().expect("bytes"))
        })
        .collect();
    assert_eq!(
        pinned.keys().collect::<Vec<_>>(),
        measured.keys().collect::<Vec<_>>(),
        "the pinned sizes name other columns; bless them again"
    );
    let mut grown = Vec::new();
    for (key, bytes) in &measured {
        let before = pinned[key];
        let ratio = *bytes as f64 / before.max(1) as f64;
        println!("{key}: {bytes} bytes, {ratio:.3}x the pinned {before}");
        if ratio > TOLERANCE {
            grown.push(format!("{key}: {before} -> {bytes} ({ratio:.3}x)"));
        }
    }
    assert!(grown.is_empty(), "columns grew more than 5%: {grown:?}");
}
