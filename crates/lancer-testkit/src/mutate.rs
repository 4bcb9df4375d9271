//! Fragment JSON as a broken or hostile worker might hand it to a coordinator: valid
//! fragments changed step by step (ids, paths, columns, row counts, deletion files, copies),
//! each step chosen by bytes, so a fuzzer's input and a seeded test drive the same changes.

use serde_json::{Value, json};

/// Choices drawn from a byte string; zeros once it runs out.
pub struct Choices<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Choices<'a> {
    /// Choices from `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Choices { bytes, at: 0 }
    }

    /// The next byte.
    pub fn byte(&mut self) -> u8 {
        let b = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (usize::from(self.byte()) << 8 | usize::from(self.byte())) % n
    }

    /// Whether anything is left.
    pub fn more(&self) -> bool {
        self.at < self.bytes.len()
    }

    fn pick<T: Clone>(&mut self, options: &[T]) -> T {
        options[self.below(options.len())].clone()
    }
}

/// What the mutations may borrow from the dataset: names of data files it already holds.
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// Data file paths (relative to `data/`) of the dataset.
    pub data_files: Vec<String>,
}

/// Applies up to `steps` changes to `fragments`, each drawn from `choices`.
pub fn mutate(fragments: &mut Vec<Value>, known: &Known, choices: &mut Choices, steps: usize) {
    for _ in 0..steps {
        if !choices.more() || fragments.is_empty() {
            return;
        }
        let kind = choices.below(14);
        let i = choices.below(fragments.len());
        step(fragments, i, kind, known, choices);
    }
}

fn files_of(fragment: &mut Value) -> Option<&mut Vec<Value>> {
    fragment.get_mut("files")?.as_array_mut()
}

fn step(fragments: &mut Vec<Value>, i: usize, kind: usize, known: &Known, choices: &mut Choices) {
    let others: Vec<String> = fragments
        .iter()
        .flat_map(|f| f["files"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f["path"].as_str().map(str::to_string))
        .collect();
    let count = fragments[i]["files"].as_array().map_or(0, Vec::len);
    let j = choices.below(count.max(1));
    match kind {
        0 => {
            let copy = fragments[i].clone();
            fragments.push(copy);
        }
        1 if fragments.len() > 1 => {
            fragments.remove(i);
        }
        2 => {
            let id = choices.pick(&[
                0u64,
                1,
                2,
                3,
                1000,
                4_294_967_294,
                4_294_967_295,
                1 << 32,
                u64::MAX,
            ]);
            fragments[i]["id"] = json!(id);
        }
        3 => {
            let mut paths = vec![
                "sub/x.lance".to_string(),
                "../x.lance".into(),
                String::new(),
                "x.lance".into(),
            ];
            paths.extend(others.iter().cloned());
            paths.extend(known.data_files.iter().cloned());
            let path = choices.pick(&paths);
            if let Some(file) = files_of(&mut fragments[i]).and_then(|f| f.get_mut(j)) {
                file["path"] = json!(path);
            }
        }
        4 => {
            let how = choices.below(6);
            if let Some(columns) = files_of(&mut fragments[i])
                .and_then(|f| f.get_mut(j))
                .and_then(|f| f.get_mut("column_indices"))
                .and_then(Value::as_array_mut)
            {
                change_numbers(columns, how);
            }
        }
        5 => {
            let how = choices.below(6);
            if let Some(fields) = files_of(&mut fragments[i])
                .and_then(|f| f.get_mut(j))
                .and_then(|f| f.get_mut("fields"))
                .and_then(Value::as_array_mut)
            {
                change_numbers(fields, how);
            }
        }
        6 => {
            let rows = fragments[i]["physical_rows"].as_u64().unwrap_or(0);
            let new = choices.pick(&[
                json!(rows.saturating_add(1)),
                json!(rows.saturating_sub(1)),
                json!(0),
                Value::Null,
                json!(u64::MAX),
            ]);
            fragments[i]["physical_rows"] = new;
        }
        7 => {
            let size = choices.pick(&[1i64, -1, 0]);
            if let Some(file) = files_of(&mut fragments[i]).and_then(|f| f.get_mut(j)) {
                let old = file["file_size_bytes"].as_i64().unwrap_or(0);
                file["file_size_bytes"] = if size == 0 {
                    Value::Null
                } else {
                    json!(old.saturating_add(size).max(0))
                };
            }
        }
        8 => {
            let deletion = json!({
                "read_version": choices.below(4),
                "id": choices.below(4),
                "num_deleted_rows": choices.below(4),
                "file_type": choices.pick(&["array", "bitmap"]),
            });
            fragments[i]["deletion_file"] = choices.pick(&[deletion, Value::Null]);
        }
        9 => {
            let (major, minor) = choices.pick(&[(0, 0), (2, 0), (2, 1), (2, 2), (2, 3), (1, 0)]);
            if let Some(file) = files_of(&mut fragments[i]).and_then(|f| f.get_mut(j)) {
                file["file_major_version"] = json!(major);
                file["file_minor_version"] = json!(minor);
            }
        }
        10 => {
            if let Some(files) = files_of(&mut fragments[i])
                && let Some(file) = files.get(j).cloned()
            {
                files.push(file);
            }
        }
        11 => {
            if let Some(files) = files_of(&mut fragments[i])
                && j < files.len()
            {
                files.remove(j);
            }
        }
        12 => {
            let key = choices.pick(&["id", "files", "physical_rows", "deletion_file"]);
            if let Some(object) = fragments[i].as_object_mut() {
                object.remove(key);
            }
        }
        _ => {
            let k = choices.below(fragments.len());
            let (a, b) = (fragments[i]["files"].clone(), fragments[k]["files"].clone());
            fragments[i]["files"] = b;
            fragments[k]["files"] = a;
        }
    }
}

fn change_numbers(values: &mut Vec<Value>, how: usize) {
    match how {
        0 => values.reverse(),
        1 => {
            if let Some(first) = values.first().cloned() {
                values.iter_mut().for_each(|v| *v = first.clone());
            }
        }
        2 => values
            .iter_mut()
            .for_each(|v| *v = json!(v.as_i64().unwrap_or(0).saturating_add(1))),
        3 => values.iter_mut().for_each(|v| *v = json!(-1)),
        4 => {
            values.pop();
        }
        _ => values.push(json!(values.len())),
    }
}

/// A small deterministic generator of choice bytes for seeded tests.
pub fn seeded_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Changes stack: one may leave a number at its limit and the next push it further
    /// (the fuzzer found `physical_rows` at `u64::MAX` plus one). Nothing overflows.
    #[test]
    fn numbers_at_their_limits_do_not_overflow() {
        let fragment = json!({
            "id": 0,
            "files": [{
                "path": "a.lance",
                "fields": [i64::MAX, 0],
                "column_indices": [i64::MAX, 0],
                "file_major_version": 2,
                "file_minor_version": 0,
                "file_size_bytes": i64::MAX,
            }],
            "physical_rows": u64::MAX,
            "deletion_file": null,
        });
        let known = Known {
            data_files: vec!["b.lance".to_string()],
        };
        // The fuzzer's input, then many seeds.
        let found = b"     files    \xf5\x8c\xdb".to_vec();
        for bytes in std::iter::once(found).chain((0..2_000).map(|seed| seeded_bytes(seed, 64))) {
            let mut fragments = vec![fragment.clone(), fragment.clone()];
            mutate(&mut fragments, &known, &mut Choices::new(&bytes), 16);
        }
    }
}
