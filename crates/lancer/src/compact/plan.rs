//! Planning a compaction: which adjacent fragments to rewrite together, in tasks sized for
//! one worker each.

use std::collections::HashSet;

use lancer_table::{Fragment, Manifest};

use super::{CompactionOptions, CompactionPlan, CompactionTask, new_plan_id};
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::read::deletion::deleted_rows;

/// Why a fragment is worth rewriting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Candidacy {
    /// Too small: worth it only together with neighbours that are candidates too.
    WithNeighbours,
    /// Too many deleted rows: worth rewriting on its own.
    Itself,
}

/// A fragment's size, as the planner weighs it.
#[derive(Clone, Copy, Debug)]
struct Weight {
    /// Rows after deletions: what the rewrite holds.
    rows: u64,
    /// Bytes of its data files (0 when unrecorded).
    bytes: u64,
}

/// A run of adjacent candidates.
struct Bin {
    fragments: Vec<(Fragment, Weight, Candidacy)>,
}

impl Bin {
    /// Whether rewriting the bin would change nothing: a lone fragment that is only small.
    fn is_noop(&self) -> bool {
        match self.fragments.as_slice() {
            [] => true,
            [(_, _, candidacy)] => *candidacy == Candidacy::WithNeighbours,
            _ => false,
        }
    }

    /// Tasks of at least `target_rows` rows each (and, with a bytes limit, no more input
    /// than that): whatever would be left over smaller than a task joins the last one, so
    /// no small remainder is stranded.
    fn split(self, target_rows: u64, max_bytes: Option<u64>) -> Vec<Vec<(Fragment, Weight)>> {
        let mut tasks = Vec::new();
        let mut rest: Vec<(Fragment, Weight)> =
            self.fragments.into_iter().map(|(f, w, _)| (f, w)).collect();
        loop {
            let mut take = 0;
            let (mut rows, mut bytes) = (0u64, 0u64);
            while take < rest.len()
                && rows < target_rows
                && max_bytes.is_none_or(|max| take == 0 || bytes + rest[take].1.bytes <= max)
            {
                rows += rest[take].1.rows;
                bytes += rest[take].1.bytes;
                take += 1;
            }
            let remaining = &rest[take..];
            let remaining_rows: u64 = remaining.iter().map(|(_, w)| w.rows).sum();
            let remaining_bytes: u64 = remaining.iter().map(|(_, w)| w.bytes).sum();
            let joinable = max_bytes.is_none_or(|max| bytes + remaining_bytes <= max);
            if remaining.is_empty() || (remaining_rows < target_rows && joinable) {
                tasks.push(rest);
                return tasks;
            }
            let tail = rest.split_off(take);
            tasks.push(rest);
            rest = tail;
        }
    }
}

/// The ids of fragments an index covers. lancer builds no index and cannot remap one, so
/// it leaves those fragments as they are (pylance rewrites them with the index remapped).
fn indexed_fragments(manifest: &Manifest) -> Result<HashSet<u64>> {
    let mut covered = HashSet::new();
    for index in manifest.indices()? {
        if index.fragment_bitmap.is_empty() {
            // An index from before bitmaps were recorded covers whatever existed then.
            covered.extend(manifest.fragments.iter().map(|f| f.id));
            continue;
        }
        let bitmap = roaring::RoaringBitmap::deserialize_from(index.fragment_bitmap.as_slice())
            .map_err(|e| {
                Error::new(
                    crate::ErrorKind::Corrupt,
                    format!(
                        "index `{}` has an unreadable fragment bitmap: {e}",
                        index.name
                    ),
                )
            })?;
        covered.extend(bitmap.iter().map(u64::from));
    }
    Ok(covered)
}

/// The rows and bytes of `fragment`, reading its deletion file only when the manifest
/// does not record how many rows it deletes.
async fn weigh(dataset: &Dataset, fragment: &Fragment) -> Result<(u64, u64, Weight)> {
    let physical = fragment.physical_rows.ok_or_else(|| {
        Error::unsupported(format!(
            "fragment {} does not record its row count (a dataset from an old writer); \
             rewrite it with pylance first",
            fragment.id
        ))
    })?;
    let deleted = match &fragment.deletion_file {
        None => 0,
        Some(file) => match file.num_deleted_rows {
            Some(n) => n,
            None => deleted_rows(&dataset.store, fragment).await?.len() as u64,
        },
    };
    let bytes = fragment
        .files
        .iter()
        .filter_map(|f| f.file_size_bytes)
        .sum();
    let rows = physical.saturating_sub(deleted);
    Ok((physical, deleted, Weight { rows, bytes }))
}

impl Dataset {
    /// Plans a compaction of this version, as pylance's `Compaction.plan` does: fragments
    /// with fewer physical rows than `target_rows_per_fragment` are rewritten together with
    /// adjacent ones like them, and fragments whose deleted share is over
    /// `materialize_deletions_threshold` are rewritten even alone (dropping the deleted
    /// rows). Each task holds adjacent fragments of about `target_rows_per_fragment` rows
    /// (and no more input than `max_bytes_per_task`), for one worker.
    ///
    /// Fragments an index covers are left alone: lancer cannot remap indices.
    pub async fn plan_compaction(&self, options: &CompactionOptions) -> Result<CompactionPlan> {
        options.check()?;
        crate::write::check_writable(&self.manifest)?;
        let indexed = indexed_fragments(&self.manifest)?;
        let mut bins: Vec<Bin> = Vec::new();
        let mut current: Option<Bin> = None;
        for fragment in self.manifest.fragments.iter() {
            let (physical, deleted, weight) = weigh(self, fragment).await?;
            let deleted_share = if physical == 0 {
                0.0
            } else {
                deleted as f64 / physical as f64
            };
            let candidacy = if indexed.contains(&fragment.id) {
                None
            } else if options.materialize_deletions
                && deleted_share > options.materialize_deletions_threshold
            {
                Some(Candidacy::Itself)
            } else if physical < options.target_rows_per_fragment {
                Some(Candidacy::WithNeighbours)
            } else {
                None
            };
            match (candidacy, current.as_mut()) {
                (Some(candidacy), Some(bin)) => {
                    bin.fragments.push((fragment.clone(), weight, candidacy))
                }
                (Some(candidacy), None) => {
                    current = Some(Bin {
                        fragments: vec![(fragment.clone(), weight, candidacy)],
                    })
                }
                (None, _) => bins.extend(current.take()),
            }
        }
        bins.extend(current);
        let plan_id = new_plan_id();
        let tasks = bins
            .into_iter()
            .filter(|bin| !bin.is_noop())
            .flat_map(|bin| bin.split(options.target_rows_per_fragment, options.max_bytes_per_task))
            .enumerate()
            .map(|(index, group)| CompactionTask {
                plan_id: plan_id.clone(),
                index,
                read_version: self.version(),
                dataset_tag: self.manifest.transaction_file.clone(),
                rows: group.iter().map(|(_, w)| w.rows).sum(),
                fragments: group.into_iter().map(|(f, _)| f).collect(),
                options: options.clone(),
            })
            .collect();
        Ok(CompactionPlan {
            plan_id,
            read_version: self.version(),
            dataset_tag: self.manifest.transaction_file.clone(),
            options: options.clone(),
            tasks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(rows: &[u64]) -> Bin {
        Bin {
            fragments: rows
                .iter()
                .enumerate()
                .map(|(i, rows)| {
                    let file = lancer_table::DataFile::new(
                        format!("{i}.lance"),
                        vec![0],
                        vec![0],
                        lancer_file::FileVersion::V2_2,
                        *rows * 10,
                    );
                    let mut fragment = Fragment::new(file, *rows);
                    fragment.id = i as u64;
                    (
                        fragment,
                        Weight {
                            rows: *rows,
                            bytes: *rows * 10,
                        },
                        Candidacy::WithNeighbours,
                    )
                })
                .collect(),
        }
    }

    fn sizes(tasks: &[Vec<(Fragment, Weight)>]) -> Vec<u64> {
        tasks
            .iter()
            .map(|t| t.iter().map(|(_, w)| w.rows).sum())
            .collect()
    }

    #[test]
    fn tasks_reach_the_target_and_leave_no_small_remainder() {
        assert_eq!(sizes(&bin(&[40; 10]).split(100, None)), vec![120, 120, 160]);
        assert_eq!(sizes(&bin(&[40; 2]).split(100, None)), vec![80]);
        assert_eq!(sizes(&bin(&[300, 10]).split(100, None)), vec![310]);
        // A bytes limit (10 bytes a row here) cuts tasks earlier; a fragment larger than
        // it still makes a task of its own.
        assert_eq!(
            sizes(&bin(&[40; 10]).split(1000, Some(1000))),
            vec![80, 80, 80, 80, 80]
        );
        assert_eq!(
            sizes(&bin(&[500, 40]).split(1000, Some(1000))),
            vec![500, 40]
        );
    }

    #[test]
    fn a_lone_small_fragment_is_not_worth_a_task() {
        assert!(bin(&[5]).is_noop());
        let mut alone = bin(&[5]);
        alone.fragments[0].2 = Candidacy::Itself;
        assert!(!alone.is_noop());
        assert!(!bin(&[5, 5]).is_noop());
    }
}
