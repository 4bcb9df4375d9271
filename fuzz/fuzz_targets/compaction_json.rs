//! Compaction plans, tasks and results as JSON from outside: valid ones changed field by
//! field (chosen by the fuzzer's bytes), and the bytes themselves, parsed. Parsing never
//! panics, and whatever parses prints JSON that parses back to the same value.
#![no_main]

use lancer::{CompactionPlan, CompactionTask, RewriteResult};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

fn fragment(id: u64, path: &str, rows: u64) -> Value {
    json!({
        "id": id,
        "files": [{
            "path": path, "fields": [0, 1], "column_indices": [0, 1],
            "file_major_version": 2, "file_minor_version": 2, "file_size_bytes": 1000
        }],
        "physical_rows": rows,
        "deletion_file": null,
        "row_id_meta": null,
    })
}

fn options() -> Value {
    json!({
        "target_rows_per_fragment": 1000, "max_rows_per_group": 1024,
        "max_bytes_per_file": null, "materialize_deletions": true,
        "materialize_deletions_threshold": 0.1, "max_bytes_per_task": null,
    })
}

const PLAN_ID: &str = "6f1c1b0e-1a2b-4c3d-8e4f-5a6b7c8d9e0f";

fn templates() -> [Value; 3] {
    let plan = json!({
        "format": "lancer-compaction-plan", "format_version": 1, "plan_id": PLAN_ID,
        "read_version": 3, "dataset_tag": "2-abc.txn", "options": options(),
        "tasks": [
            {"index": 0, "rows": 20, "fragments": [fragment(0, "a.lance", 10), fragment(1, "b.lance", 10)]},
            {"index": 1, "rows": 5, "fragments": [fragment(2, "c.lance", 5)]},
        ],
    });
    let task = json!({
        "format": "lancer-compaction-task", "format_version": 1, "plan_id": PLAN_ID,
        "read_version": 3, "dataset_tag": "2-abc.txn", "options": options(),
        "index": 0, "rows": 20, "fragments": [fragment(0, "a.lance", 10)],
    });
    let result = json!({
        "format": "lancer-compaction-result", "format_version": 1, "plan_id": PLAN_ID,
        "task": 0, "read_version": 3, "dataset_tag": "2-abc.txn", "rows": 20,
        "old_fragments": [fragment(0, "a.lance", 10)],
        "new_fragments": [fragment(0, "n.lance", 20)],
        "metrics": {"fragments_removed": 1, "fragments_added": 1, "files_removed": 1, "files_added": 1},
    });
    [plan, task, result]
}

/// A value to put somewhere, chosen by a byte.
fn replacement(byte: u8) -> Value {
    match byte % 12 {
        0 => Value::Null,
        1 => json!(-1),
        2 => json!(u64::MAX),
        3 => json!(1.5),
        4 => json!("../escape.lance"),
        5 => json!(""),
        6 => json!([]),
        7 => json!({}),
        8 => json!(true),
        9 => json!("not-a-uuid"),
        10 => json!(0),
        _ => json!([fragment(0, "x.lance", 1), fragment(0, "x.lance", 1)]),
    }
}

/// Changes `value` at a place the bytes choose: replaces, removes or duplicates.
fn mutate(value: &mut Value, bytes: &mut impl Iterator<Item = u8>) {
    let Some(choice) = bytes.next() else { return };
    match value {
        Value::Object(map) if !map.is_empty() => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = &keys[usize::from(choice) % keys.len()];
            match bytes.next().unwrap_or(0) % 4 {
                0 => {
                    map.remove(key);
                }
                1 => {
                    map.insert(key.clone(), replacement(bytes.next().unwrap_or(0)));
                }
                _ => mutate(map.get_mut(key).expect("present"), bytes),
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let at = usize::from(choice) % items.len();
            match bytes.next().unwrap_or(0) % 4 {
                0 => {
                    items.remove(at);
                }
                1 => {
                    let copy = items[at].clone();
                    items.push(copy);
                }
                _ => mutate(&mut items[at], bytes),
            }
        }
        other => *other = replacement(choice),
    }
}

fn check(text: &str) {
    if let Ok(plan) = CompactionPlan::from_json(text) {
        assert_eq!(CompactionPlan::from_json(&plan.to_json()).expect("reparses"), plan);
    }
    if let Ok(task) = CompactionTask::from_json(text) {
        assert_eq!(CompactionTask::from_json(&task.to_json()).expect("reparses"), task);
    }
    if let Ok(result) = RewriteResult::from_json(text) {
        assert_eq!(RewriteResult::from_json(&result.to_json()).expect("reparses"), result);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check(text);
    }
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let mut value = templates()[usize::from(which) % 3].clone();
    let mut bytes = rest.iter().copied();
    for _ in 0..4 {
        mutate(&mut value, &mut bytes);
    }
    check(&value.to_string());
});
