//! Lance file versions 2.1 and 2.2 written by pylance 14.0.2, read by lancer: every page
//! layout and compression pylance uses, flat and under structs, nested lists and maps
//! (tests/oracle/write_structural.py), whole, by column and by row range.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path as FsPath;
use std::sync::Arc;

use arrow_array::RecordBatch;
use lancer_encoding::proto21::compressive_encoding::Compression;
use lancer_encoding::proto21::page_layout::Layout;
use lancer_encoding::proto21::{CompressiveEncoding, PageLayout};
use lancer_file::format::PageEncoding;
use lancer_file::{
    FileReader, FileVersion, FileWriter, FileWriterOptions, LanceSchema, Projection, ReadOptions,
};
use lancer_testkit::{compare::assert_batches_equal, oracle};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use prost::Message;

/// The cases the oracle script wrote into `dir`, sorted.
fn case_names(dir: &FsPath) -> Vec<String> {
    let mut cases: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok())
        .filter_map(|name| name.strip_suffix(".arrow").map(str::to_string))
        .collect();
    cases.sort();
    cases
}

fn expected(dir: &FsPath, case: &str) -> RecordBatch {
    let file = fs::File::open(dir.join(format!("{case}.arrow"))).unwrap();
    let reader = arrow_ipc::reader::StreamReader::try_new(file, None).unwrap();
    let schema = reader.schema();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    arrow_select::concat::concat_batches(&schema, &batches).unwrap()
}

fn encoding_names(encoding: &CompressiveEncoding, names: &mut BTreeSet<String>) {
    let Some(compression) = &encoding.compression else {
        return;
    };
    let (name, inner): (&str, Vec<&CompressiveEncoding>) = match compression {
        Compression::Flat(_) => ("Flat", vec![]),
        Compression::Variable(v) => ("Variable", v.offsets.iter().map(|o| o.as_ref()).collect()),
        Compression::Constant(_) => ("Constant", vec![]),
        Compression::OutOfLineBitpacking(p) => (
            "OutOfLineBitpacking",
            p.values.iter().map(|v| v.as_ref()).collect(),
        ),
        Compression::InlineBitpacking(_) => ("InlineBitpacking", vec![]),
        Compression::Fsst(f) => ("Fsst", f.values.iter().map(|v| v.as_ref()).collect()),
        Compression::Dictionary(_) => ("Dictionary", vec![]),
        Compression::Rle(r) => ("Rle", r.values.iter().map(|v| v.as_ref()).collect()),
        Compression::ByteStreamSplit(b) => (
            "ByteStreamSplit",
            b.values.iter().map(|v| v.as_ref()).collect(),
        ),
        Compression::General(g) => ("General", g.values.iter().map(|v| v.as_ref()).collect()),
        Compression::FixedSizeList(f) => (
            "FixedSizeList",
            f.values.iter().map(|v| v.as_ref()).collect(),
        ),
        Compression::PackedStruct(_) => ("PackedStruct", vec![]),
        Compression::VariablePackedStruct(_) => ("VariablePackedStruct", vec![]),
    };
    names.insert(name.to_string());
    for encoding in inner {
        encoding_names(encoding, names);
    }
}

fn page_names(layout: &[u8], names: &mut BTreeSet<String>) {
    let layout = PageLayout::decode(layout).unwrap().layout.unwrap();
    let layers = match &layout {
        Layout::MiniBlock(mini) => &mini.layers,
        Layout::FullZip(zip) => &zip.layers,
        Layout::Constant(constant) => &constant.layers,
        Layout::Blob(blob) => &blob.layers,
    };
    // Layer kinds 1 and 3 are items (values and structs); 2, 4, 5 and 6 are lists.
    if layers.iter().skip(1).any(|l| matches!(l, 1 | 3)) {
        names.insert("struct layer".into());
    }
    if layers.iter().filter(|l| matches!(l, 2 | 4 | 5 | 6)).count() > 1 {
        names.insert("two list layers".into());
    }
    let encodings: Vec<&CompressiveEncoding> = match &layout {
        Layout::MiniBlock(mini) => {
            names.insert("MiniBlockLayout".into());
            if mini.dictionary.is_some() {
                names.insert("MiniBlock dictionary".into());
            }
            if mini.rep_compression.is_some() {
                names.insert("MiniBlock lists".into());
            }
            [
                &mini.value_compression,
                &mini.def_compression,
                &mini.dictionary,
            ]
            .into_iter()
            .flatten()
            .collect()
        }
        Layout::FullZip(zip) => {
            names.insert("FullZipLayout".into());
            if zip.bits_rep > 0 {
                names.insert("FullZip lists".into());
            }
            zip.value_compression.iter().collect()
        }
        Layout::Constant(constant) => {
            if constant.layers.len() > 1 {
                names.insert("Constant lists".into());
            }
            names.insert(if constant.inline_value.is_some() {
                "ConstantLayout inline".into()
            } else {
                "ConstantLayout".into()
            });
            [&constant.def_compression].into_iter().flatten().collect()
        }
        Layout::Blob(_) => vec![],
    };
    for encoding in encodings {
        encoding_names(encoding, names);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lancer_reads_pylance_2_1_and_2_2_files() {
    let Some(python) = oracle::python("lancer_reads_pylance_2_1_and_2_2_files") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = FsPath::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/write_structural.py");
    oracle::run_script(&python, &script, &[&dir.path()]);
    let store = Arc::new(LocalFileSystem::new_with_prefix(dir.path()).unwrap());
    let cases = case_names(dir.path());
    let mut names = BTreeSet::new();
    let mut files = 0;
    for case in &cases {
        let want = expected(dir.path(), case);
        let n = want.num_rows() as u64;
        for (suffix, version) in [("v2_1", FileVersion::V2_1), ("v2_2", FileVersion::V2_2)] {
            let file = format!("{case}.{suffix}.lance");
            if case.starts_with("map") && version == FileVersion::V2_1 {
                // Maps need 2.2: the script writes no 2.1 file for them.
                assert!(!dir.path().join(&file).exists(), "{file}");
                continue;
            }
            let reader = FileReader::open(store.clone(), &Path::from(file.clone()))
                .await
                .unwrap();
            assert_eq!(reader.version(), version, "{file}");
            file_names(&reader, &mut names);
            let all = reader
                .read_all(ReadOptions::default().with_batch_size(5000))
                .await
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_batches_equal(&all, &want, &file);
            if n > 10 {
                let rows = n / 3..n - 7;
                for field in want.schema().fields() {
                    let index = want.schema().index_of(field.name()).unwrap();
                    let part = reader
                        .read_all(
                            ReadOptions::default()
                                .with_projection(Projection::Names(vec![field.name().clone()]))
                                .with_rows(rows.clone())
                                .with_batch_size(999),
                        )
                        .await
                        .unwrap_or_else(|e| panic!("{file}: {e}"));
                    let expected = want
                        .project(&[index])
                        .unwrap()
                        .slice(rows.start as usize, (rows.end - rows.start) as usize);
                    assert_batches_equal(
                        &part,
                        &expected,
                        &format!("{file} {} {rows:?}", field.name()),
                    );
                }
            }
            files += 1;
        }
    }
    println!("{files} files read back exactly; layouts and encodings seen: {names:?}");
    // What the cases exist to cover: if pylance stops producing one, the case needs updating.
    for wanted in [
        "MiniBlockLayout",
        "FullZipLayout",
        "ConstantLayout",
        "ConstantLayout inline",
        "MiniBlock dictionary",
        "Flat",
        "InlineBitpacking",
        "Variable",
        "Fsst",
        "Rle",
        "General",
        "FixedSizeList",
        "ByteStreamSplit",
        "OutOfLineBitpacking",
        "MiniBlock lists",
        "FullZip lists",
        "Constant lists",
        "struct layer",
        "two list layers",
    ] {
        assert!(
            names.contains(wanted),
            "no page used {wanted}; seen {names:?}"
        );
    }
}

/// Names of the layouts and encodings of every page of `reader`'s file.
fn file_names(reader: &FileReader, names: &mut BTreeSet<String>) {
    for column in &reader.metadata().columns {
        for page in &column.pages {
            let PageEncoding::Structural(layout) = &page.encoding else {
                panic!("{}: a page that is not a 2.1/2.2 layout", reader.path());
            };
            page_names(layout, names);
        }
    }
}

/// lancer writes the same tables as 2.1 and 2.2 files; pylance must read them back exactly
/// (whole, per column, a range and a take), lancer too, and together they must use every
/// layout and the compressions lancer implements. Prints lancer's file size next to
/// pylance's for each case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pylance_reads_lancer_2_1_and_2_2_files_of_every_shape() {
    let Some(python) = oracle::python("pylance_reads_lancer_2_1_and_2_2_files_of_every_shape")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = FsPath::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/write_structural.py");
    oracle::run_script(&python, &script, &[&dir.path()]);
    let cases = case_names(dir.path());
    let check = FsPath::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/check_files.py");
    let mut report = String::from("case version pylance_bytes lancer_bytes ratio\n");
    for (suffix, version) in [("v2_1", FileVersion::V2_1), ("v2_2", FileVersion::V2_2)] {
        let out = dir.path().join(format!("lancer_{suffix}"));
        fs::create_dir_all(&out).unwrap();
        let store = Arc::new(LocalFileSystem::new_with_prefix(&out).unwrap());
        let mut names = BTreeSet::new();
        for case in &cases {
            if case.starts_with("map") && version == FileVersion::V2_1 {
                continue;
            }
            let want = expected(dir.path(), case);
            let schema = LanceSchema::from_arrow(&want.schema()).unwrap();
            // The cases spanning several pages in pylance's files get small pages here too.
            let options = FileWriterOptions::default().with_version(version);
            let options = if case == "many_pages" {
                options.with_page_bytes(64 * 1024)
            } else {
                options
            };
            let file = format!("{case}.lance");
            let mut writer =
                FileWriter::try_new(store.clone(), Path::from(file.clone()), schema, options)
                    .unwrap();
            for start in (0..want.num_rows()).step_by(8192) {
                let len = 8192.min(want.num_rows() - start);
                writer.write_batch(&want.slice(start, len)).await.unwrap();
            }
            if want.num_rows() == 0 {
                writer.write_batch(&want).await.unwrap();
            }
            let written = writer.finish().await.unwrap();
            let reader = FileReader::open(store.clone(), &Path::from(file.clone()))
                .await
                .unwrap();
            assert_eq!(reader.version(), version);
            file_names(&reader, &mut names);
            let all = reader.read_all(ReadOptions::default()).await.unwrap();
            assert_batches_equal(&all, &want, &format!("lancer's {file} {version}"));
            let theirs = fs::metadata(dir.path().join(format!("{case}.{suffix}.lance")))
                .unwrap()
                .len();
            report.push_str(&format!(
                "{case} {version} {theirs} {} {:.2}\n",
                written.size_bytes,
                written.size_bytes as f64 / theirs as f64
            ));
            fs::copy(
                dir.path().join(format!("{case}.arrow")),
                out.join(format!("{case}.arrow")),
            )
            .unwrap();
        }
        let (major, minor) = version.footer_numbers();
        let footer = format!("{major}.{minor}");
        let output = oracle::run_script(&python, &check, &[&out, &footer]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("read back exactly by pylance"), "{stdout}");
        println!("{version}: lancer used {names:?}");
        let mut wanted = vec![
            "MiniBlockLayout",
            "FullZipLayout",
            "ConstantLayout",
            "MiniBlock dictionary",
            "Flat",
            "InlineBitpacking",
            "OutOfLineBitpacking",
            "Variable",
            "Rle",
            "FixedSizeList",
            "MiniBlock lists",
            "FullZip lists",
            "Constant lists",
            "struct layer",
            "two list layers",
        ];
        if version == FileVersion::V2_2 {
            wanted.extend(["ConstantLayout inline", "General"]);
        }
        for wanted in wanted {
            assert!(
                names.contains(wanted),
                "lancer's {version} files never used {wanted}; seen {names:?}"
            );
        }
    }
    println!("{report}");
}
