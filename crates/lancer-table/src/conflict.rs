//! Which concurrent commits a transaction can be rebased over.
//!
//! A transaction built on version R may only be committed as version N+1 after checking it
//! against every transaction committed in R+1..=N. The verdict for each pair comes from one
//! table, [`MATRIX`]: rows are *my* operation, columns the operation committed before me,
//! with the outcomes pylance 14 shows (table-format.md 8.6) and, where pylance was not
//! measured, the rules of Lance's source. Anything unknown is a conflict.

use crate::operation::{Operation, OperationKind};

/// The outcome of checking my transaction against one committed since my read version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// My transaction still applies on top of theirs: commit it on the newer version.
    Compatible,
    /// My transaction must be rebuilt from the newer version (e.g. a Merge after an Append:
    /// its fragment list is stale), then committed again.
    Rebuild(String),
    /// The two changes cannot both happen (e.g. an Append after an Overwrite): the caller
    /// must redo the work from the newer version.
    Conflict(String),
}

/// A cell of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Always compatible.
    Ok,
    /// Always retry.
    Rebuild,
    /// Always a conflict.
    Incompatible,
    /// Rebuild if both touch a common fragment, else compatible.
    RetryIfSameFragments,
    /// Compatible if the Merge preserves nullability (appended fragments then read the new
    /// columns as null), else retry.
    OkIfMergePreservesNullability,
    /// Rebuild if both change a common configuration key, else compatible.
    RetryIfSameKeys,
}

use OperationKind as K;
use Rule::{
    Incompatible as X, Ok as O, OkIfMergePreservesNullability as PN, Rebuild as R,
    RetryIfSameFragments as F, RetryIfSameKeys as KEYS,
};

/// Operations lancer commits itself, in row order of [`MATRIX`].
pub const ROWS: [OperationKind; 9] = [
    K::Append,
    K::Overwrite,
    K::Merge,
    K::Delete,
    K::Rewrite,
    K::Restore,
    K::Project,
    K::UpdateConfig,
    K::ReserveFragments,
];

/// Operations that may have been committed before mine, in column order of [`MATRIX`].
pub const COLUMNS: [OperationKind; 16] = [
    K::Append,
    K::Overwrite,
    K::Merge,
    K::Delete,
    K::Rewrite,
    K::Restore,
    K::Project,
    K::UpdateConfig,
    K::ReserveFragments,
    K::CreateIndex,
    K::Update,
    K::DataReplacement,
    K::UpdateMemWalState,
    K::Clone,
    K::UpdateBases,
    K::Unknown,
];

/// The conflict matrix: `MATRIX[mine][theirs]`.
#[rustfmt::skip]
pub const MATRIX: [[Rule; 16]; 9] = [
    //               App Ovw Mrg Del Rwr Rst Prj Cfg Rsv Idx Upd Rpl Wal Cln Bas Unk
    /* Append    */ [O,  X,  PN, O,  O,  X,  R,  O,  O,  O,  O,  O,  O,  O,  O,  X],
    /* Overwrite */ [O,  R,  O,  O,  O,  O,  O,  O,  O,  O,  O,  O,  O,  O,  O,  X],
    /* Merge     */ [R,  X,  R,  R,  R,  X,  X,  O,  O,  O,  R,  R,  R,  O,  O,  X],
    /* Delete    */ [O,  X,  R,  F,  F,  X,  O,  O,  O,  O,  F,  F,  O,  O,  O,  X],
    /* Rewrite   */ [O,  X,  R,  F,  F,  X,  O,  O,  O,  R,  F,  F,  O,  O,  O,  X],
    /* Restore   */ [O,  O,  O,  O,  O,  O,  O,  O,  O,  O,  O,  O,  R,  O,  O,  X],
    /* Project   */ [R,  X,  R,  O,  O,  X,  R,  O,  O,  R,  R,  R,  O,  O,  O,  X],
    /* Config    */ [O,  O,  O,  O,  O,  O,  O,  KEYS, O, O, O,  O,  O,  O,  O,  X],
    /* Reserve   */ [O,  R,  O,  O,  O,  R,  O,  O,  O,  O,  O,  O,  O,  O,  O,  X],
];

/// The rule for my operation after theirs; `None` if lancer does not commit `mine`.
pub fn rule(mine: OperationKind, theirs: OperationKind) -> Option<Rule> {
    let row = ROWS.iter().position(|k| *k == mine)?;
    let column = COLUMNS
        .iter()
        .position(|k| *k == theirs)
        .unwrap_or(COLUMNS.len() - 1);
    Some(MATRIX[row][column])
}

/// Checks my operation against one committed (as `version`) since my read version.
pub fn check(mine: &Operation, theirs: &Operation, version: u64) -> Verdict {
    let (m, t) = (mine.kind(), theirs.kind());
    let describe = |what: &str| format!("my {m} {what} the {t} committed as version {version}");
    let Some(rule) = rule(m, t) else {
        return Verdict::Conflict(describe(
            "(an operation lancer does not commit) cannot be checked against",
        ));
    };
    match rule {
        Rule::Ok => Verdict::Compatible,
        Rule::Rebuild => Verdict::Rebuild(describe("must be rebuilt on top of")),
        Rule::Incompatible => Verdict::Conflict(describe("cannot be combined with")),
        Rule::RetryIfSameFragments => {
            let theirs_touched = theirs.touched_fragments();
            let common: Vec<u64> = mine
                .touched_fragments()
                .into_iter()
                .filter(|id| theirs_touched.contains(id))
                .collect();
            if common.is_empty() {
                Verdict::Compatible
            } else {
                Verdict::Rebuild(describe(&format!(
                    "changes fragments {common:?} also changed by"
                )))
            }
        }
        Rule::OkIfMergePreservesNullability => match theirs {
            Operation::Merge {
                preserves_nullability: true,
                ..
            } => Verdict::Compatible,
            _ => Verdict::Rebuild(describe(
                "must be rebuilt (new columns may be non-nullable) on top of",
            )),
        },
        Rule::RetryIfSameKeys => {
            let theirs_keys = theirs.touched_keys();
            let common: Vec<&str> = mine
                .touched_keys()
                .into_iter()
                .filter(|k| theirs_keys.contains(k))
                .collect();
            if common.is_empty() {
                Verdict::Compatible
            } else {
                Verdict::Rebuild(describe(&format!("sets keys {common:?} also set by")))
            }
        }
    }
}

/// Checks my operation against every transaction committed since my read version (oldest
/// first), returning the first verdict that is not [`Verdict::Compatible`].
pub fn check_all<'a>(
    mine: &Operation,
    committed: impl IntoIterator<Item = (u64, &'a Operation)>,
) -> Verdict {
    for (version, theirs) in committed {
        let verdict = check(mine, theirs, version);
        if verdict != Verdict::Compatible {
            return verdict;
        }
    }
    Verdict::Compatible
}
