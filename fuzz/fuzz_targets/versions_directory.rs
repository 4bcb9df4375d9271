//! A `_versions/` directory of arbitrary names and manifest bytes: listing, finding the
//! latest version, reading manifests and transactions, and committing on top never panic.
//! With the first byte even, a valid three-version dataset is built first and then
//! mutated (bytes flipped, names changed, files added); otherwise the input alone defines
//! the directory.
#![no_main]

use std::sync::{Arc, OnceLock};

use lancer_commit::{CommitOptions, DatasetStore};
use lancer_file::{FileVersion, LanceSchema};
use lancer_table::{DataFile, Fragment, MapUpdate, Operation, Transaction};
use libfuzzer_sys::fuzz_target;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, memory::InMemory, path::Path};

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    })
}

async fn valid(dataset: &DatasetStore) {
    let schema =
        LanceSchema::from_arrow(&arrow_schema::Schema::new(vec![arrow_schema::Field::new(
            "a",
            arrow_schema::DataType::Int32,
            true,
        )]))
        .unwrap();
    let file = DataFile::new("x.lance", vec![0], vec![0], FileVersion::V2_0, 10);
    let create = Transaction::new(
        0,
        Operation::Overwrite {
            fragments: vec![Fragment::new(file.clone(), 1)],
            schema,
            config_upsert: Default::default(),
        },
    );
    dataset
        .commit(&create, &CommitOptions::default())
        .await
        .unwrap();
    for read in 1..3 {
        let append = Transaction::new(
            read,
            Operation::Append {
                // A version lists each data file once.
                fragments: vec![Fragment::new(
                    DataFile::new(
                        format!("x{read}.lance"),
                        vec![0],
                        vec![0],
                        FileVersion::V2_0,
                        10,
                    ),
                    2,
                )],
            },
        );
        dataset
            .commit(&append, &CommitOptions::default())
            .await
            .unwrap();
    }
}

fn entries(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = data;
    while rest.len() > 3 && out.len() < 16 {
        let name_len = (rest[0] as usize % 40).min(rest.len() - 1);
        let name = String::from_utf8_lossy(&rest[1..1 + name_len]).into_owned();
        rest = &rest[1 + name_len..];
        if rest.len() < 2 {
            break;
        }
        let len = (u16::from_le_bytes([rest[0], rest[1]]) as usize).min(rest.len() - 2);
        out.push((name, rest[2..2 + len].to_vec()));
        rest = &rest[2 + len..];
    }
    out
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    runtime().block_on(async {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let root = Path::from("ds");
        let dataset = DatasetStore::new(store.clone(), root.clone());
        if data[0] % 2 == 0 {
            valid(&dataset).await;
            // Flip bytes of existing manifests.
            let listed = dataset.list_versions().await.unwrap();
            for chunk in data[1..].chunks_exact(4).take(8) {
                let entry = &listed[chunk[0] as usize % listed.len()];
                let mut bytes = store
                    .get(&entry.path)
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap()
                    .to_vec();
                let at = u16::from_le_bytes([chunk[1], chunk[2]]) as usize % bytes.len();
                bytes[at] ^= chunk[3] | 1;
                store
                    .put(&entry.path, PutPayload::from(bytes))
                    .await
                    .unwrap();
            }
        } else {
            for (name, bytes) in entries(&data[1..]) {
                let path = Path::from(format!("ds/_versions/{name}"));
                let _ = store.put(&path, PutPayload::from(bytes)).await;
            }
        }
        // A fresh handle sees only what is stored.
        let dataset = DatasetStore::new(store, root);
        let _ = dataset.list_versions().await;
        if let Ok(Some(latest)) = dataset.latest_version().await {
            let _ = dataset.manifest(latest).await;
            let _ = dataset.transaction(latest).await;
            let update = Transaction::new(
                latest,
                Operation::UpdateConfig {
                    config: MapUpdate::default(),
                    table_metadata: MapUpdate::default(),
                },
            );
            let options = CommitOptions::default().with_max_retries(2);
            let _ = dataset.commit(&update, &options).await;
        }
    });
});
