//! Operations a hostile or confused coordinator may hand over, refused by the rules of the
//! table format itself (no storage involved): each error names the fragment, file or column.

use arrow_schema::{DataType, Field, Schema};
use lancer_file::{FileVersion, LanceSchema};
use lancer_table::{
    CommitInfo, DataFile, DeletionFile, DeletionFileType, Fragment, MAX_FRAGMENT_ID, Manifest,
    Operation, RewriteGroup, Transaction, next_manifest, proto,
};

fn schema(names: &[&str]) -> LanceSchema {
    let fields: Vec<Field> = names
        .iter()
        .map(|n| Field::new(*n, DataType::Int64, true))
        .collect();
    let mut schema = LanceSchema::from_arrow_without_ids(&Schema::new(fields)).unwrap();
    schema.assign_ids(0);
    schema
}

fn file(name: &str, fields: Vec<i32>) -> DataFile {
    let columns = (0..fields.len() as i32).collect();
    DataFile::new(name, fields, columns, FileVersion::V2_0, 1000)
}

fn fragment(name: &str) -> Fragment {
    Fragment::new(file(name, vec![0]), 10)
}

fn info(version: u64) -> CommitInfo {
    CommitInfo {
        version,
        timestamp: proto::Timestamp::default(),
        restored: None,
    }
}

fn commit(previous: Option<&Manifest>, operation: Operation) -> lancer_table::Result<Manifest> {
    let version = previous.map_or(0, |m| m.version);
    next_manifest(
        previous,
        &Transaction::new(version, operation),
        info(version + 1),
    )
}

/// Version 1 with fragments 0 and 1 (`a.lance`, `b.lance`), one column `x`.
fn v1() -> Manifest {
    commit(
        None,
        Operation::overwrite(
            vec![fragment("a.lance"), fragment("b.lance")],
            schema(&["x"]),
        ),
    )
    .unwrap()
}

fn deletion(read_version: u64, rows: u64) -> DeletionFile {
    DeletionFile {
        file_type: DeletionFileType::Array,
        read_version,
        id: 7,
        num_deleted_rows: Some(rows),
        base_id: None,
    }
}

/// Version 2: rows deleted from fragment 0.
fn v2_with_deletions() -> Manifest {
    let v1 = v1();
    let mut updated = v1.fragments[0].clone();
    updated.deletion_file = Some(deletion(1, 4));
    commit(
        Some(&v1),
        Operation::Delete {
            updated_fragments: vec![updated],
            deleted_fragment_ids: vec![],
            predicate: "x < 4".into(),
        },
    )
    .unwrap()
}

/// A Merge of `previous` adding column `y` in a new file per fragment.
fn merge_adding_y(previous: &Manifest) -> (Vec<Fragment>, LanceSchema) {
    let fragments = previous
        .fragments
        .iter()
        .map(|f| {
            let mut f = f.clone();
            f.files.push(file(&format!("y{}.lance", f.id), vec![1]));
            f
        })
        .collect();
    (fragments, schema(&["x", "y"]))
}

fn merge(previous: &Manifest, fragments: Vec<Fragment>, schema: LanceSchema) -> String {
    let operation = Operation::merge(fragments, schema, &previous.schema);
    match commit(Some(previous), operation) {
        Ok(m) => panic!("committed version {} with {:?}", m.version, m.fragments),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_stale_merge_cannot_bring_deleted_rows_back() {
    // Built on version 1, committed as if built on version 2, where rows were deleted.
    let (fragments, schema) = merge_adding_y(&v1());
    let message = merge(&v2_with_deletions(), fragments, schema);
    assert!(
        message.starts_with("fragment 0: deletion_file:")
            && message.contains("_deletions/0-1-7.arrow"),
        "{message}"
    );
}

#[test]
fn a_merge_cannot_invent_or_change_a_deletion_file() {
    let v2 = v2_with_deletions();
    let (mut fragments, schema) = merge_adding_y(&v2);
    fragments[1].deletion_file = Some(deletion(2, 1));
    assert!(
        merge(&v2, fragments.clone(), schema.clone()).starts_with("fragment 1: deletion_file:")
    );
    fragments[1].deletion_file = None;
    fragments[0].deletion_file = Some(deletion(2, 4));
    assert!(
        merge(&v2, fragments.clone(), schema.clone()).starts_with("fragment 0: deletion_file:")
    );
    // Kept exactly, the Merge goes through, deleted rows and all.
    fragments[0].deletion_file = v2.fragments[0].deletion_file;
    let v3 = commit(Some(&v2), Operation::merge(fragments, schema, &v2.schema)).unwrap();
    assert_eq!(v3.fragments[0].deletion_file, v2.fragments[0].deletion_file);
    assert_eq!(v3.fragments[0].files.len(), 2);
}

#[test]
fn a_merge_may_only_add_data_files() {
    let v1 = v1();
    // Only the new file listed: the old column would read as null.
    let (mut fragments, schema) = merge_adding_y(&v1);
    fragments[0].files.remove(0);
    let message = merge(&v1, fragments, schema.clone());
    assert!(
        message.starts_with("fragment 0: files:") && message.contains("drops data file `a.lance`"),
        "{message}"
    );
    // The old file swapped for another one.
    let (mut fragments, _) = merge_adding_y(&v1);
    fragments[1].files[0].path = "other.lance".into();
    assert!(merge(&v1, fragments, schema.clone()).contains("drops data file `b.lance`"));
    // The old file kept but claiming other columns.
    let (mut fragments, _) = merge_adding_y(&v1);
    fragments[0].files[0].column_indices = vec![3];
    assert!(merge(&v1, fragments, schema).contains("changes data file `a.lance`"));
}

#[test]
fn a_data_file_is_never_listed_twice() {
    let v1 = v1();
    // Already in the dataset.
    let message = commit(Some(&v1), Operation::append(vec![fragment("a.lance")]))
        .unwrap_err()
        .to_string();
    assert!(
        message
            .starts_with("fragment 2: files: Append: data file `a.lance` is already in fragment 0"),
        "{message}"
    );
    // Twice in one Append.
    let twice = vec![fragment("c.lance"), fragment("c.lance")];
    let message = commit(Some(&v1), Operation::append(twice))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("`c.lance` is listed by two fragments"),
        "{message}"
    );
    // Twice in one fragment (as two files with different fields).
    let mut one = fragment("d.lance");
    one.files.push(file("d.lance", vec![1]));
    let message = commit(None, Operation::overwrite(vec![one], schema(&["x", "y"])))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("`d.lance` is listed twice in fragment 0"),
        "{message}"
    );
    // 20,000 copies.
    let copies = vec![fragment("e.lance"); 20_000];
    assert!(commit(Some(&v1), Operation::append(copies)).is_err());
    // Twice in an Overwrite, and in a Merge's new files.
    let message = commit(
        Some(&v1),
        Operation::overwrite(
            vec![fragment("f.lance"), fragment("f.lance")],
            schema(&["x"]),
        ),
    )
    .unwrap_err()
    .to_string();
    assert!(message.contains("`f.lance`"), "{message}");
    let (mut fragments, schema2) = merge_adding_y(&v1);
    fragments[1].files[1].path = "y0.lance".into();
    assert!(merge(&v1, fragments, schema2).contains("`y0.lance`"));
    // A Rewrite whose new fragment reuses a file of a fragment it does not replace.
    let rewrite = Operation::Rewrite {
        groups: vec![RewriteGroup {
            old_fragments: vec![v1.fragments[0].clone()],
            new_fragments: vec![fragment("b.lance")],
        }],
    };
    assert!(
        commit(Some(&v1), rewrite)
            .unwrap_err()
            .to_string()
            .contains("`b.lance`")
    );
    // An Overwrite may keep a file of the version it replaces, once.
    commit(
        Some(&v1),
        Operation::overwrite(vec![fragment("a.lance")], schema(&["x"])),
    )
    .unwrap();
}

#[test]
fn a_new_fragment_carries_no_deletion_file() {
    let mut new = fragment("c.lance");
    new.deletion_file = Some(deletion(1, 1));
    let message = commit(Some(&v1()), Operation::append(vec![new.clone()]))
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("fragment #0: deletion_file:"),
        "{message}"
    );
    assert!(commit(None, Operation::overwrite(vec![new], schema(&["x"]))).is_err());
}

#[test]
fn the_last_fragment_id_stays_free() {
    let v1 = v1();
    let mut last = v1.fragments[0].clone();
    last.id = u64::from(u32::MAX);
    let delete = Operation::Delete {
        updated_fragments: vec![last],
        deleted_fragment_ids: vec![],
        predicate: String::new(),
    };
    let message = commit(Some(&v1), delete).unwrap_err().to_string();
    assert!(message.starts_with("fragment 4294967295: id:"), "{message}");
    // Reserving up to the limit is allowed; after it, an append is refused with a reason.
    let reserve = Operation::ReserveFragments {
        num_fragments: (MAX_FRAGMENT_ID - 1) as u32,
    };
    let full = commit(Some(&v1), reserve).unwrap();
    assert_eq!(full.max_fragment_id, Some(MAX_FRAGMENT_ID as u32));
    let message = commit(Some(&full), Operation::append(vec![fragment("z.lance")]))
        .unwrap_err()
        .to_string();
    assert!(message.contains("exceeds"), "{message}");
}

#[test]
fn data_files_live_directly_in_data() {
    for path in [
        "sub/x.lance",
        "a/b/c.lance",
        "../x.lance",
        "/x.lance",
        "s3://b/x.lance",
    ] {
        let message = commit(Some(&v1()), Operation::append(vec![fragment(path)]))
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("fragment #0: files[0].path:"),
            "{path}: {message}"
        );
    }
}

#[test]
fn column_names_are_present_and_distinct() {
    for (names, expected) in [
        (&["a", "a"][..], "two columns named `a`"),
        (&["a", ""][..], "a column without a name"),
        (&["", "b", "b"][..], "a column without a name"),
    ] {
        let message = commit(
            None,
            Operation::overwrite(vec![fragment("a.lance")], schema(names)),
        )
        .unwrap_err()
        .to_string();
        assert!(message.contains(expected), "{names:?}: {message}");
    }
    // Inside a struct too; the same name in different structs is fine.
    let point = |names: &[&str]| {
        DataType::Struct(
            names
                .iter()
                .map(|n| Field::new(*n, DataType::Int32, true))
                .collect(),
        )
    };
    let nested = |inner: &[&str]| {
        let arrow = Schema::new(vec![
            Field::new("p", point(inner), true),
            Field::new("q", point(&["x"]), true),
        ]);
        LanceSchema::from_arrow(&arrow).unwrap().validate()
    };
    assert!(
        nested(&["x", "x"])
            .unwrap_err()
            .to_string()
            .contains("struct `p`")
    );
    nested(&["x", "y"]).unwrap();
}

#[test]
fn a_delete_only_adds_deletions() {
    let v2 = v2_with_deletions();
    // Swapping the data file of a fragment under cover of a Delete.
    let mut swapped = v2.fragments[1].clone();
    swapped.files[0].path = "other.lance".into();
    swapped.deletion_file = Some(deletion(2, 1));
    let delete = |f: Fragment| Operation::Delete {
        updated_fragments: vec![f],
        deleted_fragment_ids: vec![],
        predicate: String::new(),
    };
    let message = commit(Some(&v2), delete(swapped)).unwrap_err().to_string();
    assert!(message.starts_with("fragment 1: files:"), "{message}");
    // Dropping the deletion file would bring the rows back.
    let mut undeleted = v2.fragments[0].clone();
    undeleted.deletion_file = None;
    let message = commit(Some(&v2), delete(undeleted))
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("fragment 0: deletion_file:"),
        "{message}"
    );
}

#[test]
fn a_rewrite_keeps_the_row_count() {
    let v2 = v2_with_deletions();
    // Fragment 0 shows 6 of its 10 rows; a rewrite into 10 rows would bring 4 back.
    let rewrite = |rows: u64| Operation::Rewrite {
        groups: vec![RewriteGroup {
            old_fragments: vec![v2.fragments[0].clone()],
            new_fragments: vec![Fragment::new(file("r.lance", vec![0]), rows)],
        }],
    };
    let message = commit(Some(&v2), rewrite(10)).unwrap_err().to_string();
    assert!(
        message.contains("show 6 rows in version 2, their rewrite holds 10"),
        "{message}"
    );
    let v3 = commit(Some(&v2), rewrite(6)).unwrap();
    assert_eq!(v3.num_rows(), Some(16));
}
