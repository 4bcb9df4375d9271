//! Compaction, in pylance's three phases: a plan made once
//! ([`Dataset::plan_compaction`]), tasks executed on any worker
//! ([`CompactionTask::execute`]), and one `Rewrite` commit of the results
//! ([`Dataset::commit_compaction`]).
//!
//! Plans, tasks and results travel as JSON with a `format` and a `format_version`, stable
//! across lancer releases, and are checked on the way in like fragment JSON: a result must
//! come from a task of the same plan, on the same dataset and version, hold exactly the
//! rows the task's fragments show, and name files inside the dataset.

mod commit;
mod execute;
mod json;
mod plan;

use lancer_table::Fragment;

use crate::error::{Error, Result};

pub use commit::CompactionCommit;

/// How a compaction is planned and its files written (pylance's `CompactionOptions`:
/// the same names and defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct CompactionOptions {
    pub(crate) target_rows_per_fragment: u64,
    pub(crate) max_rows_per_group: u64,
    pub(crate) max_bytes_per_file: Option<u64>,
    pub(crate) materialize_deletions: bool,
    pub(crate) materialize_deletions_threshold: f64,
    pub(crate) max_bytes_per_task: Option<u64>,
}

impl Default for CompactionOptions {
    fn default() -> Self {
        CompactionOptions {
            target_rows_per_fragment: 1024 * 1024,
            max_rows_per_group: 1024,
            max_bytes_per_file: None,
            materialize_deletions: true,
            materialize_deletions_threshold: 0.1,
            max_bytes_per_task: None,
        }
    }
}

impl CompactionOptions {
    /// Rows a rewritten fragment aims at; fragments with fewer physical rows are candidates
    /// (default 1,048,576).
    pub fn with_target_rows_per_fragment(mut self, rows: u64) -> Self {
        self.target_rows_per_fragment = rows;
        self
    }

    /// pylance's row-group size; accepted and recorded (lancer sizes pages by bytes).
    pub fn with_max_rows_per_group(mut self, rows: u64) -> Self {
        self.max_rows_per_group = rows;
        self
    }

    /// Start a new file once a rewritten file reaches about this many bytes.
    pub fn with_max_bytes_per_file(mut self, bytes: u64) -> Self {
        self.max_bytes_per_file = Some(bytes);
        self
    }

    /// Whether fragments with many deleted rows are rewritten on their own (default yes).
    pub fn with_materialize_deletions(mut self, materialize: bool) -> Self {
        self.materialize_deletions = materialize;
        self
    }

    /// The deleted share over which a fragment is rewritten on its own (default 0.1).
    pub fn with_materialize_deletions_threshold(mut self, share: f64) -> Self {
        self.materialize_deletions_threshold = share;
        self
    }

    /// The most input bytes one task may take (lancer's own limit; default none), so no
    /// task is too big for one worker.
    pub fn with_max_bytes_per_task(mut self, bytes: u64) -> Self {
        self.max_bytes_per_task = Some(bytes);
        self
    }

    pub(crate) fn check(&self) -> Result<()> {
        let share = self.materialize_deletions_threshold;
        if self.target_rows_per_fragment == 0 || self.max_rows_per_group == 0 {
            return Err(Error::invalid_input(
                "target_rows_per_fragment and max_rows_per_group must be at least 1",
            ));
        }
        if self.max_bytes_per_file == Some(0) || self.max_bytes_per_task == Some(0) {
            return Err(Error::invalid_input(
                "max_bytes_per_file and max_bytes_per_task must be at least 1",
            ));
        }
        if !(0.0..=1.0).contains(&share) {
            return Err(Error::invalid_input(format!(
                "materialize_deletions_threshold must be between 0 and 1, not {share}"
            )));
        }
        Ok(())
    }
}

/// A compaction plan: the tasks, and the version they were planned on.
#[derive(Clone, Debug, PartialEq)]
pub struct CompactionPlan {
    pub(crate) plan_id: String,
    pub(crate) read_version: u64,
    /// Names the dataset at `read_version`: its manifest's transaction file, unique to that
    /// version of that dataset.
    pub(crate) dataset_tag: String,
    pub(crate) options: CompactionOptions,
    pub(crate) tasks: Vec<CompactionTask>,
}

impl CompactionPlan {
    /// The tasks, each for one worker.
    pub fn tasks(&self) -> &[CompactionTask] {
        &self.tasks
    }

    /// How many tasks.
    pub fn num_tasks(&self) -> usize {
        self.tasks.len()
    }

    /// The version the plan was made on (and its commit is built on).
    pub fn read_version(&self) -> u64 {
        self.read_version
    }

    /// The options the plan was made with.
    pub fn options(&self) -> &CompactionOptions {
        &self.options
    }

    /// The plan's id (a UUID); its tasks and results carry it.
    pub fn id(&self) -> &str {
        &self.plan_id
    }

    /// Fragments the plan rewrites.
    pub fn num_fragments(&self) -> usize {
        self.tasks.iter().map(|t| t.fragments.len()).sum()
    }
}

/// One task of a plan: adjacent fragments to rewrite together.
#[derive(Clone, Debug, PartialEq)]
pub struct CompactionTask {
    pub(crate) plan_id: String,
    pub(crate) index: usize,
    pub(crate) read_version: u64,
    pub(crate) dataset_tag: String,
    pub(crate) fragments: Vec<Fragment>,
    /// Rows the fragments show (deleted rows excluded): what the rewrite must hold.
    pub(crate) rows: u64,
    pub(crate) options: CompactionOptions,
}

impl CompactionTask {
    /// The task's position in its plan.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The fragments it rewrites, as the plan's version has them.
    pub fn fragments(&self) -> &[Fragment] {
        &self.fragments
    }

    /// Rows its rewrite holds.
    pub fn rows(&self) -> u64 {
        self.rows
    }
}

/// What pylance reports of a compaction (`CompactionMetrics`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompactionMetrics {
    /// Fragments rewritten.
    pub fragments_removed: usize,
    /// Fragments written.
    pub fragments_added: usize,
    /// Data and deletion files no longer referenced.
    pub files_removed: usize,
    /// Data files written.
    pub files_added: usize,
}

impl std::ops::AddAssign for CompactionMetrics {
    fn add_assign(&mut self, other: Self) {
        self.fragments_removed += other.fragments_removed;
        self.fragments_added += other.fragments_added;
        self.files_removed += other.files_removed;
        self.files_added += other.files_added;
    }
}

/// What a worker hands back after executing a task: the new fragments (ids 0 until the
/// commit) replacing the task's fragments.
#[derive(Clone, Debug, PartialEq)]
pub struct RewriteResult {
    pub(crate) plan_id: String,
    pub(crate) task: usize,
    pub(crate) read_version: u64,
    pub(crate) dataset_tag: String,
    /// The task's fragments, as the plan's version has them.
    pub(crate) old_fragments: Vec<Fragment>,
    pub(crate) new_fragments: Vec<Fragment>,
    pub(crate) rows: u64,
    pub(crate) metrics: CompactionMetrics,
}

impl RewriteResult {
    /// The task it is the result of.
    pub fn task(&self) -> usize {
        self.task
    }

    /// The new fragments.
    pub fn new_fragments(&self) -> &[Fragment] {
        &self.new_fragments
    }

    /// The fragments they replace.
    pub fn old_fragments(&self) -> &[Fragment] {
        &self.old_fragments
    }

    /// The task's metrics.
    pub fn metrics(&self) -> CompactionMetrics {
        self.metrics
    }
}

fn new_plan_id() -> String {
    lancer_table::naming::new_transaction_uuid()
}
