//! Properties of the table model: any manifest survives encode/decode, and any sequence of
//! operations keeps the invariants (unique sorted fragment ids, a high-water mark that never
//! decreases and covers every id, unique field ids), and encoding a manifest built from a
//! decoded one (copying unchanged fragments' bytes) gives the bytes of a full encode.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema};
use lancer_file::{FileVersion, LanceSchema};
use lancer_table::{
    CommitInfo, DataFile, DeletionFile, DeletionFileType, Fragment, Manifest, ManifestHead,
    MapUpdate, Operation, RewriteGroup, Transaction, add_fields, drop_fields, next_manifest, proto,
};
use lancer_testkit::strategy::any_field;
use proptest::prelude::*;

fn data_file(seed: u64, fields: Vec<i32>) -> DataFile {
    let columns = (0..fields.len() as i32).collect();
    DataFile::new(
        format!("{seed:016x}.lance"),
        fields,
        columns,
        FileVersion::V2_0,
        100 + seed % 1000,
    )
}

fn arb_fragment() -> impl Strategy<Value = Fragment> {
    (
        0u64..1 << 32,
        1u64..10_000,
        any::<u64>(),
        prop::option::of((any::<u64>(), 1u64..50, any::<bool>())),
    )
        .prop_map(|(id, rows, seed, deletion)| {
            let mut fragment = Fragment::new(data_file(seed, vec![0, 1]), rows);
            fragment.id = id;
            fragment.deletion_file = deletion.map(|(did, n, bitmap)| DeletionFile {
                file_type: if bitmap {
                    DeletionFileType::Bitmap
                } else {
                    DeletionFileType::Array
                },
                read_version: seed % 100,
                id: did,
                num_deleted_rows: Some(n.min(rows)),
                base_id: None,
            });
            fragment
        })
}

fn arb_manifest() -> impl Strategy<Value = Manifest> {
    (
        prop::collection::vec(any_field("c"), 1..4),
        prop::collection::vec(arb_fragment(), 0..6),
        1u64..1000,
        prop::collection::btree_map("[a-z.]{1,8}", "[a-z0-9]{0,8}", 0..3),
        prop::option::of(0u32..1 << 31),
        any::<i64>(),
    )
        .prop_map(|(fields, fragments, version, config, mark, seconds)| {
            let fields: Vec<Field> = fields
                .into_iter()
                .enumerate()
                .map(|(i, f)| f.with_name(format!("c{i}")))
                .collect();
            let mut manifest = Manifest::empty(version);
            manifest.schema = LanceSchema::from_arrow(&Schema::new(fields)).unwrap();
            manifest.fragments = Arc::new(fragments);
            manifest.config = config;
            manifest.max_fragment_id = mark;
            manifest.timestamp = Some(proto::Timestamp { seconds, nanos: 5 });
            manifest.transaction_file = format!("{}-x.txn", version - 1);
            manifest.inline_transaction = Some(vec![8, 1]);
            manifest
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn manifests_round_trip(manifest in arb_manifest()) {
        let bytes = manifest.encode();
        let decoded = Manifest::decode(&bytes).unwrap();
        prop_assert_eq!(&decoded, &manifest);
        prop_assert_eq!(decoded.encode(), bytes.clone());
        // The head, decoded without the fragments, says what the whole manifest says.
        prop_assert_eq!(ManifestHead::decode(&bytes).unwrap(), ManifestHead::from(&manifest));
    }

    #[test]
    fn operation_sequences_keep_the_invariants(steps in prop::collection::vec((0u8..9, any::<u64>()), 1..25)) {
        let base = Schema::new(vec![Field::new("a", DataType::Int64, true), Field::new("b", DataType::Utf8, true)]);
        let schema = LanceSchema::from_arrow(&base).unwrap();
        let create = Transaction::new(0, Operation::Overwrite {
            fragments: vec![Fragment::new(data_file(1, vec![0, 1]), 10)],
            schema,
            config_upsert: BTreeMap::new(),
        });
        let info = |version| CommitInfo { version, timestamp: proto::Timestamp::default(), restored: None };
        let mut history = vec![next_manifest(None, &create, info(1)).unwrap()];
        let mut high_water = history[0].max_fragment_id;
        for (choice, seed) in steps {
            // Half the steps build on a manifest decoded from its file, as a commit does, so
            // the next encode copies unchanged fragments' bytes from it.
            let current = if seed % 2 == 0 {
                Manifest::decode(&history.last().unwrap().encode()).unwrap()
            } else {
                history.last().unwrap().clone()
            };
            let ids: Vec<u64> = current.fragments.iter().map(|f| f.id).collect();
            let pick = |n: u64| ids[(seed % n.max(1)) as usize % ids.len().max(1)];
            let all_fields = current.schema.field_ids();
            let new_fragment = |n: u64| Fragment::new(data_file(seed.wrapping_add(n), all_fields.clone()), 1 + seed % 50);
            let mut restored = None;
            let operation = match choice {
                0 => Operation::Append { fragments: (0..1 + seed % 3).map(new_fragment).collect() },
                1 if !ids.is_empty() => {
                    let mut updated = current.fragments[(seed as usize) % ids.len()].clone();
                    updated.deletion_file = Some(DeletionFile {
                        file_type: DeletionFileType::Array, read_version: current.version, id: seed,
                        num_deleted_rows: Some(1.min(updated.physical_rows.unwrap())), base_id: None,
                    });
                    Operation::Delete { updated_fragments: vec![updated], deleted_fragment_ids: vec![], predicate: "x".into() }
                }
                2 if ids.len() > 1 => Operation::Delete { updated_fragments: vec![], deleted_fragment_ids: vec![pick(7)], predicate: "y".into() },
                3 if !ids.is_empty() => {
                    // A rewrite holds exactly the rows its old fragment shows.
                    let old = current.fragments.iter().find(|f| f.id == pick(5)).unwrap().clone();
                    let rows = old.num_rows().unwrap();
                    let new_fragments = if rows == 0 {
                        vec![]
                    } else {
                        let mut new = new_fragment(9);
                        new.physical_rows = Some(rows);
                        vec![new]
                    };
                    Operation::Rewrite { groups: vec![RewriteGroup { old_fragments: vec![old], new_fragments }] }
                }
                4 => Operation::Overwrite { fragments: vec![new_fragment(1), new_fragment(2)], schema: current.schema.clone(), config_upsert: BTreeMap::new() },
                5 if current.version > 1 => {
                    let target = 1 + seed % (current.version - 1);
                    restored = Some(history[target as usize - 1].clone());
                    Operation::Restore { version: target }
                }
                6 => Operation::ReserveFragments { num_fragments: (seed % 4) as u32 },
                7 if current.schema.field("extra").is_none() => {
                    let schema = add_fields(&current, &[Field::new("extra", DataType::Int32, true)]).unwrap();
                    let new_id = schema.field("extra").unwrap().id;
                    prop_assert!(new_id > current.max_field_id());
                    let fragments = current.fragments.iter().map(|f| {
                        let mut f = f.clone();
                        f.files.push(data_file(seed ^ f.id, vec![new_id]));
                        f
                    }).collect();
                    Operation::Merge { fragments, schema, preserves_nullability: true }
                }
                7 => Operation::Project { schema: drop_fields(&current.schema, &["extra"]).unwrap() },
                _ => Operation::UpdateConfig {
                    config: MapUpdate { entries: BTreeMap::from([(format!("k{}", seed % 3), Some("v".into()))]), replace: false },
                    table_metadata: MapUpdate::default(),
                },
            };
            let transaction = Transaction::new(current.version, operation);
            let next = next_manifest(Some(&current), &transaction, CommitInfo { restored, ..info(current.version + 1) })
                .unwrap_or_else(|e| panic!("{:?}: {e}", transaction.operation.kind()));
            // Invariants.
            let ids: Vec<u64> = next.fragments.iter().map(|f| f.id).collect();
            prop_assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids not sorted and unique: {:?}", ids);
            prop_assert!(next.max_fragment_id >= high_water, "high-water mark decreased");
            if let Some(max) = ids.last() {
                prop_assert!(u64::from(next.max_fragment_id.unwrap()) >= *max);
            }
            high_water = next.max_fragment_id;
            let field_ids = next.schema.field_ids();
            prop_assert_eq!(field_ids.iter().collect::<HashSet<_>>().len(), field_ids.len());
            prop_assert_eq!(next.version, current.version + 1);
            let bytes = next.encode();
            prop_assert_eq!(&bytes, &next.encode_from_scratch(), "splicing changed the bytes");
            prop_assert_eq!(Manifest::decode(&bytes).unwrap(), next.clone());
            let decoded = Transaction::decode(next.inline_transaction.as_ref().unwrap()).unwrap();
            prop_assert_eq!(decoded, transaction);
            history.push(next);
        }
    }
}

/// A transaction travels inside the manifest only when it is small: a large Append's
/// transaction would double the manifest (Lance 7881). Its `.txn` file is always named.
#[test]
fn large_transactions_are_not_inlined() {
    let base = Schema::new(vec![Field::new("a", DataType::Int64, true)]);
    let schema = LanceSchema::from_arrow(&base).unwrap();
    let info = |version| CommitInfo {
        version,
        timestamp: proto::Timestamp::default(),
        restored: None,
    };
    let fragments = |first: u64, n: u64| -> Vec<Fragment> {
        (first..first + n)
            .map(|i| Fragment::new(data_file(i, vec![0]), 10))
            .collect()
    };
    let create = Transaction::new(
        0,
        Operation::Overwrite {
            fragments: fragments(1, 1),
            schema,
            config_upsert: BTreeMap::new(),
        },
    );
    let small = next_manifest(None, &create, info(1)).unwrap();
    assert_eq!(
        small.inline_transaction.as_deref(),
        Some(create.encode().unwrap().as_slice())
    );
    let append = Transaction::new(1, Operation::append(fragments(100, 2_000)));
    assert!(append.encode().unwrap().len() > lancer_table::INLINE_TRANSACTION_LIMIT);
    let large = next_manifest(Some(&small), &append, info(2)).unwrap();
    assert_eq!(large.inline_transaction, None);
    assert_eq!(large.transaction_file, append.file_name());
    let decoded = Manifest::decode(&large.encode()).unwrap();
    assert_eq!(decoded.fragments.len(), 2_001);
    assert_eq!(decoded.transaction().unwrap(), None);
}
