//! The rule that every data file belongs to one fragment once, checked on each commit at
//! the cost of what the commit changed rather than the size of the table.

use crate::apply::FastMap;
use crate::error::{Error, Result};
use crate::fragment::Fragment;
use crate::manifest::Manifest;

/// Every data file belongs to one fragment once: a file listed twice (in one operation, or
/// again when it is already in the dataset) would make its rows appear twice. Only
/// references the commit adds are checked, so a version that already lists a file twice
/// (not written by lancer) can still be committed on.
pub(crate) fn check_files_listed_once(
    operation: &'static str,
    next: &Manifest,
    previous: Option<&Manifest>,
) -> Result<()> {
    let empty: &[Fragment] = &[];
    let before = previous.map_or(empty, |m| m.fragments.as_slice());
    let after = next.fragments.as_slice();
    // Fragments the commit kept as they were, in the same places, at the start of the
    // list (all of them for an Append): their references are the same on both sides, so
    // only the rest are counted. That keeps the cost of a small commit on a large table to
    // comparisons and lookups in a map of the paths it adds.
    let shared = before.iter().zip(after).take_while(|(a, b)| a == b).count();
    let (kept, before_rest, after_rest) = (&before[..shared], &before[shared..], &after[shared..]);
    let mut touched: FastMap<&str, ()> = FastMap::default();
    for file in after_rest.iter().flat_map(|f| f.files.iter()) {
        touched.insert(file.path.as_str(), ());
    }
    // How many more references each path of the version the commit lands on may have (as
    // many as it has outside the kept fragments), and the first fragment holding it. A
    // path it adds that is not there may be referenced once.
    let mut allowed: FastMap<&str, (usize, u64)> = FastMap::default();
    for fragment in kept {
        for file in &fragment.files {
            if touched.contains_key(file.path.as_str()) {
                allowed
                    .entry(file.path.as_str())
                    .or_insert((0, fragment.id));
            }
        }
    }
    for fragment in before_rest {
        for file in &fragment.files {
            allowed
                .entry(file.path.as_str())
                .or_insert((0, fragment.id))
                .0 += 1;
        }
    }
    let mut added: FastMap<&str, u64> = FastMap::default();
    for fragment in after_rest {
        for file in &fragment.files {
            let path = file.path.as_str();
            let message = match allowed.get_mut(path) {
                Some((left, _)) if *left > 0 => {
                    *left -= 1;
                    continue;
                }
                Some((_, first)) => format!(
                    "data file `{path}` is already in fragment {first} of version {}; the same rows \
                     would be counted twice",
                    previous.map_or(0, |m| m.version)
                ),
                None => match added.insert(path, fragment.id) {
                    None => continue,
                    Some(first) if first == fragment.id => {
                        format!(
                            "data file `{path}` is listed twice in fragment {}",
                            fragment.id
                        )
                    }
                    Some(_) => format!(
                        "data file `{path}` is listed by two fragments of the commit; the same \
                         rows would be counted twice"
                    ),
                },
            };
            return Err(Error::InvalidFragment {
                // Ids are final here, even the 0 of a new dataset's first fragment.
                fragment: fragment.id.to_string(),
                field: "files".to_string(),
                message: format!("{operation}: {message}"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fragment::DataFile;
    use lancer_file::FileVersion;
    use proptest::prelude::*;
    use std::collections::HashMap;
    use std::sync::Arc;

    /// The rule the check enforces, counted over whole lists: each path the next version
    /// references more often than the version under it (or, if new, more than once) is an
    /// error, reported at its first reference too many.
    fn reference(next: &[Fragment], previous: &[Fragment]) -> Option<(u64, String)> {
        let mut allowed: HashMap<&str, (usize, u64)> = HashMap::new();
        for fragment in previous {
            for file in &fragment.files {
                allowed
                    .entry(file.path.as_str())
                    .or_insert((0, fragment.id))
                    .0 += 1;
            }
        }
        let mut added: HashMap<&str, u64> = HashMap::new();
        for fragment in next {
            for file in &fragment.files {
                let path = file.path.as_str();
                match allowed.get_mut(path) {
                    Some((left, _)) if *left > 0 => *left -= 1,
                    Some((_, first)) => return Some((fragment.id, format!("in {first}"))),
                    None => match added.insert(path, fragment.id) {
                        None => {}
                        Some(first) if first == fragment.id => {
                            return Some((fragment.id, "twice".into()));
                        }
                        Some(_) => return Some((fragment.id, "two".into())),
                    },
                }
            }
        }
        None
    }

    fn fragment(id: u64, paths: &[u8]) -> Fragment {
        let mut fragment = Fragment {
            id,
            files: Vec::new(),
            ..Fragment::new(
                DataFile::new("x", vec![0], vec![0], FileVersion::V2_0, 1),
                1,
            )
        };
        for p in paths {
            fragment.files.push(DataFile::new(
                format!("{p}.lance"),
                vec![0],
                vec![0],
                FileVersion::V2_0,
                1,
            ));
        }
        fragment
    }

    fn fragments(lists: &[Vec<u8>], first_id: u64) -> Vec<Fragment> {
        (0..)
            .zip(lists)
            .map(|(i, p)| fragment(first_id + i, p))
            .collect()
    }

    proptest! {
        /// Counting only what follows the fragments a commit kept in place finds exactly
        /// the duplicates a count over both whole lists finds.
        #[test]
        fn the_kept_prefix_shortcut_agrees_with_counting_everything(
            before in prop::collection::vec(prop::collection::vec(0u8..8, 0..3), 0..8),
            keep in 0usize..8,
            tail in prop::collection::vec(prop::collection::vec(0u8..8, 0..3), 0..4),
        ) {
            let before = fragments(&before, 0);
            let keep = keep.min(before.len());
            let mut after = before[..keep].to_vec();
            after.extend(fragments(&tail, 100));
            let mut previous = Manifest::empty(3);
            previous.fragments = Arc::new(before);
            let mut next = Manifest::empty(4);
            next.fragments = Arc::new(after);
            let expected = reference(&next.fragments, &previous.fragments);
            let got = check_files_listed_once("Op", &next, Some(&previous));
            match (expected, got) {
                (None, Ok(())) => {}
                (Some((id, what)), Err(Error::InvalidFragment { fragment, message, .. })) => {
                    prop_assert_eq!(fragment, id.to_string());
                    let matches = match what.as_str() {
                        "twice" => message.contains("listed twice"),
                        "two" => message.contains("listed by two fragments"),
                        first => message.contains(&format!("already in fragment {}", &first[3..])),
                    };
                    prop_assert!(matches, "{} vs {}", what, message);
                }
                (expected, got) => prop_assert!(false, "{:?} vs {:?}", expected, got),
            }
        }
    }
}
