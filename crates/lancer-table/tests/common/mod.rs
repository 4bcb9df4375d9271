//! Operations for conflict tests: one of each kind, touching fragment 1 (or config key `k`),
//! and variants touching other fragments or keys.

use std::collections::BTreeMap;

use lancer_file::{FileVersion, LanceSchema};
use lancer_table::conflict::{Verdict, check};
use lancer_table::{DataFile, Fragment, MapUpdate, Operation, OperationKind, RewriteGroup};

/// What a cell should say.
#[derive(Debug)]
pub enum Expect {
    Ok,
    Rebuild,
    Conflict,
}

fn fragment(id: u64) -> Fragment {
    let mut f = Fragment::new(
        DataFile::new(
            format!("f{id}.lance"),
            vec![0],
            vec![0],
            FileVersion::V2_0,
            100,
        ),
        10,
    );
    f.id = id;
    f
}

fn schema() -> LanceSchema {
    LanceSchema::from_arrow(&arrow_schema::Schema::new(vec![arrow_schema::Field::new(
        "a",
        arrow_schema::DataType::Int32,
        true,
    )]))
    .unwrap()
}

fn config(key: &str) -> MapUpdate {
    MapUpdate {
        entries: BTreeMap::from([(key.to_string(), Some("v".to_string()))]),
        replace: false,
    }
}

/// An operation by name. My operations touch fragment 1 and key `k`; a column name ending in
/// `Same` touches them too, any other touches fragment 2 and key `other`.
pub fn operation(name: &str, mine: bool) -> Operation {
    let same = mine || name.ends_with("Same");
    let id = if same { 1 } else { 2 };
    let key = if same { "k" } else { "other" };
    match name.trim_end_matches("Same") {
        "Append" => Operation::Append {
            fragments: vec![fragment(0)],
        },
        "Overwrite" => Operation::Overwrite {
            fragments: vec![fragment(0)],
            schema: schema(),
            config_upsert: BTreeMap::new(),
        },
        "Merge" => Operation::Merge {
            fragments: vec![fragment(1), fragment(2)],
            schema: schema(),
            preserves_nullability: false,
        },
        "MergePN" => Operation::Merge {
            fragments: vec![fragment(1), fragment(2)],
            schema: schema(),
            preserves_nullability: true,
        },
        "Delete" => Operation::Delete {
            updated_fragments: vec![fragment(id)],
            deleted_fragment_ids: vec![],
            predicate: "a > 1".into(),
        },
        "Rewrite" => Operation::Rewrite {
            groups: vec![RewriteGroup {
                old_fragments: vec![fragment(id)],
                new_fragments: vec![fragment(0)],
            }],
        },
        "Restore" => Operation::Restore { version: 1 },
        "Project" => Operation::Project { schema: schema() },
        "UpdateConfig" => Operation::UpdateConfig {
            config: config(key),
            table_metadata: MapUpdate::default(),
        },
        "ReserveFragments" => Operation::ReserveFragments { num_fragments: 3 },
        "CreateIndex" => Operation::Other {
            kind: OperationKind::CreateIndex,
            touched_fragments: vec![],
        },
        "Update" => Operation::Other {
            kind: OperationKind::Update,
            touched_fragments: vec![id],
        },
        "DataReplacement" => Operation::Other {
            kind: OperationKind::DataReplacement,
            touched_fragments: vec![id],
        },
        "UpdateMemWalState" => Operation::Other {
            kind: OperationKind::UpdateMemWalState,
            touched_fragments: vec![],
        },
        "Clone" => Operation::Other {
            kind: OperationKind::Clone,
            touched_fragments: vec![],
        },
        "UpdateBases" => Operation::Other {
            kind: OperationKind::UpdateBases,
            touched_fragments: vec![],
        },
        "Unknown" => Operation::Other {
            kind: OperationKind::Unknown,
            touched_fragments: vec![],
        },
        other => panic!("no operation {other}"),
    }
}

/// Checks one cell and that the verdict's message names both operations and the version.
pub fn cell(mine: &str, theirs: &str, expect: Expect) {
    let (m, t) = (operation(mine, true), operation(theirs, false));
    let verdict = check(&m, &t, 7);
    let message = match (&verdict, &expect) {
        (Verdict::Compatible, Expect::Ok) => return,
        (Verdict::Rebuild(message), Expect::Rebuild)
        | (Verdict::Conflict(message), Expect::Conflict) => message,
        _ => panic!("{mine} after {theirs}: expected {expect:?}, got {verdict:?}"),
    };
    assert!(message.contains(m.kind().name()), "{message}");
    assert!(message.contains(t.kind().name()), "{message}");
    assert!(message.contains("version 7"), "{message}");
}
