//! Interop with pylance 14.0.2, both ways, for every type lancer stores.
//!
//! lancer writes each case and pylance must read it back exactly (tests/oracle/check_files.py);
//! pylance writes each case (tests/oracle/write_files.py) and lancer must read it back exactly,
//! from stand-alone files and from the data files of a pylance dataset. Files of versions
//! 2.1 and 2.2 must read back exactly too: whole, per column and by row range.

use std::fs;
use std::path::Path as FsPath;
use std::sync::Arc;

use arrow_array::RecordBatch;
use futures::TryStreamExt;
use lancer_file::{
    FileReader, FileVersion, FileWriter, FileWriterOptions, LanceSchema, Projection, ReadOptions,
};
use lancer_testkit::{cases, compare::assert_batches_equal, oracle};
use object_store::local::LocalFileSystem;
use object_store::path::Path;

fn script(name: &str) -> std::path::PathBuf {
    FsPath::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/oracle")
        .join(name)
}

fn write_ipc(path: &FsPath, batches: &[RecordBatch], schema: &arrow_schema::Schema) {
    let file = fs::File::create(path).unwrap();
    let mut writer = arrow_ipc::writer::StreamWriter::try_new(file, schema).unwrap();
    for batch in batches {
        writer.write(batch).unwrap();
    }
    writer.finish().unwrap();
}

fn store(dir: &FsPath) -> Arc<LocalFileSystem> {
    Arc::new(LocalFileSystem::new_with_prefix(dir).unwrap())
}

async fn read(store: Arc<LocalFileSystem>, name: &str, options: ReadOptions) -> RecordBatch {
    let reader = FileReader::open(store, &Path::from(name)).await.unwrap();
    reader
        .read_all(options)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The cases written for `version`: every type, plus (2.1 and 2.2) null structs and (2.2)
/// maps.
fn cases_for(version: FileVersion) -> Vec<cases::Case> {
    let mut all = cases::all();
    match version {
        FileVersion::V2_1 => all.extend(cases::structural_only(false)),
        FileVersion::V2_2 => all.extend(cases::structural_only(true)),
        _ => {}
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pylance_reads_what_lancer_writes() {
    let Some(python) = oracle::python("pylance_reads_what_lancer_writes") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for version in [FileVersion::V2_0, FileVersion::V2_1, FileVersion::V2_2] {
        let subdir = dir
            .path()
            .join(format!("v{}", version.as_str().replace('.', "_")));
        fs::create_dir_all(&subdir).unwrap();
        let store = store(&subdir);
        let cases = cases_for(version);
        for case in &cases {
            let schema = LanceSchema::from_arrow(&case.schema()).unwrap();
            // Small pages for the multi-page cases so columns span many pages.
            let options = FileWriterOptions::default().with_version(version);
            let options = if case.name.starts_with("multipage") {
                options.with_page_bytes(4096)
            } else {
                options
            };
            let path = Path::from(format!("{}.lance", case.name));
            let mut writer = FileWriter::try_new(store.clone(), path, schema, options).unwrap();
            for batch in &case.batches {
                writer
                    .write_batch(batch)
                    .await
                    .unwrap_or_else(|e| panic!("{} {version}: {e}", case.name));
            }
            writer.finish().await.unwrap();
            write_ipc(
                &subdir.join(format!("{}.arrow", case.name)),
                &case.batches,
                &case.schema(),
            );
        }
        let (major, minor) = version.footer_numbers();
        let footer = format!("{major}.{minor}");
        let output = oracle::run_script(&python, &script("check_files.py"), &[&subdir, &footer]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        println!("version {version}: {stdout}");
        assert!(stdout.contains("read back exactly by pylance"), "{stdout}");
        // lancer reads its own files back too: whole, and each column by a row range.
        for case in &cases {
            let file = format!("{}.lance", case.name);
            let expected = case.table();
            let whole = read(store.clone(), &file, ReadOptions::default()).await;
            assert_batches_equal(&whole, &expected, &format!("{file} {version}"));
            let n = expected.num_rows() as u64;
            if n > 4 {
                for field in expected.schema().fields() {
                    let index = expected.schema().index_of(field.name()).unwrap();
                    let part = read(
                        store.clone(),
                        &file,
                        ReadOptions::default()
                            .with_projection(Projection::Names(vec![field.name().clone()]))
                            .with_rows(2..n - 1)
                            .with_batch_size(61),
                    )
                    .await;
                    assert_batches_equal(
                        &part,
                        &expected.project(&[index]).unwrap().slice(2, n as usize - 3),
                        &format!("{file} {version} {} rows 2..{}", field.name(), n - 1),
                    );
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lancer_reads_what_pylance_writes() {
    let Some(python) = oracle::python("lancer_reads_what_pylance_writes") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let all = cases::all();
    for case in &all {
        write_ipc(
            &dir.path().join(format!("{}.arrow", case.name)),
            &case.batches,
            &case.schema(),
        );
    }
    oracle::run_script(&python, &script("write_files.py"), &[&dir.path()]);
    let refused = fs::read_to_string(dir.path().join("refused.txt")).unwrap();
    let store = store(dir.path());
    let mut checked = 0;
    let mut structural_checked = 0;
    for case in &all {
        let expected = case.table();
        let file = format!("{}.lance", case.name);
        if !dir.path().join(&file).exists() {
            let why = refused
                .lines()
                .find(|l| l.starts_with(&format!("{}\t", case.name)));
            // pylance refuses the Arrow null type in 2.0 files; anything else is a failure.
            assert!(
                case.name == "null" || case.name.starts_with("dict_"),
                "pylance did not write case {}: {why:?}",
                case.name
            );
            continue;
        }
        let got = read(store.clone(), &file, ReadOptions::default()).await;
        assert_batches_equal(&got, &expected, &file);

        // Projection of each column and a row range cutting pages.
        let n = expected.num_rows() as u64;
        for field in expected.schema().fields() {
            let one = read(
                store.clone(),
                &file,
                ReadOptions::default()
                    .with_projection(Projection::Names(vec![field.name().clone()])),
            )
            .await;
            let want = expected
                .project(&[expected.schema().index_of(field.name()).unwrap()])
                .unwrap();
            assert_batches_equal(&one, &want, &format!("{file} column {}", field.name()));
        }
        if n > 2 {
            let part = read(
                store.clone(),
                &file,
                ReadOptions::default()
                    .with_rows(1..n - 1)
                    .with_batch_size(77),
            )
            .await;
            assert_batches_equal(
                &part,
                &expected.slice(1, n as usize - 2),
                &format!("{file} rows 1..{}", n - 1),
            );
        }

        // The same table written as a pylance 2.0 dataset, read file by file in fragment order.
        let listing = dir.path().join(format!("{}.dataset_files.txt", case.name));
        if let Ok(listing) = fs::read_to_string(&listing) {
            let mut batches = Vec::new();
            for name in listing.lines() {
                let path = format!("{}.dataset/data/{name}", case.name);
                let reader = FileReader::open(store.clone(), &Path::from(path.clone()))
                    .await
                    .unwrap();
                assert_eq!(reader.version(), FileVersion::V2_0, "{path}");
                let stream = reader.read_stream(ReadOptions::default()).unwrap();
                batches.extend(stream.try_collect::<Vec<_>>().await.unwrap());
            }
            let got = arrow_select::concat::concat_batches(&expected.schema(), &batches).unwrap();
            assert_batches_equal(&got, &expected, &format!("{} dataset", case.name));
        }

        // Files of versions 2.1 and 2.2: every column reads back exactly (the whole file, each
        // column, a row range of each column).
        for (suffix, version) in [("v2_1", FileVersion::V2_1), ("v2_2", FileVersion::V2_2)] {
            let file = format!("{}.{suffix}.lance", case.name);
            let path = Path::from(file.clone());
            if !dir.path().join(path.as_ref()).exists() {
                continue;
            }
            let reader = FileReader::open(store.clone(), &path).await.unwrap();
            assert_eq!(reader.version(), version);
            assert_eq!(reader.num_rows(), n);
            assert_eq!(
                reader.schema().to_arrow().unwrap().fields(),
                expected.schema().fields(),
                "{path} schema"
            );
            let whole = read(store.clone(), &file, ReadOptions::default()).await;
            assert_batches_equal(&whole, &expected, &file);
            for field in expected.schema().fields() {
                let index = expected.schema().index_of(field.name()).unwrap();
                let want = expected.project(&[index]).unwrap();
                let names = Projection::Names(vec![field.name().clone()]);
                let one = read(
                    store.clone(),
                    &file,
                    ReadOptions::default().with_projection(names.clone()),
                )
                .await;
                assert_batches_equal(&one, &want, &format!("{file} column {}", field.name()));
                if n > 2 {
                    let part = read(
                        store.clone(),
                        &file,
                        ReadOptions::default()
                            .with_projection(names)
                            .with_rows(1..n - 1)
                            .with_batch_size(77),
                    )
                    .await;
                    assert_batches_equal(
                        &part,
                        &want.slice(1, n as usize - 2),
                        &format!("{file} column {} rows 1..{}", field.name(), n - 1),
                    );
                }
                structural_checked += 1;
            }
        }
        checked += 1;
    }
    println!(
        "{checked} cases written by pylance read back exactly, and {structural_checked} 2.1/2.2 \
         columns; refused by pylance:\n{refused}"
    );
    assert!(checked > 100, "only {checked} cases were checked");
    assert!(
        structural_checked > 100,
        "only {structural_checked} 2.1/2.2 columns were checked"
    );
}
