//! Plans, tasks and results as JSON: each object names its `format` and `format_version`,
//! and is checked on the way in (ids, counts, and every fragment as fragment JSON is).

use lancer_table::Fragment;
use serde_json::{Map, Value, json};

use super::{CompactionMetrics, CompactionOptions, CompactionPlan, CompactionTask, RewriteResult};
use crate::error::{Error, Result};

const PLAN: &str = "lancer-compaction-plan";
const TASK: &str = "lancer-compaction-task";
const RESULT: &str = "lancer-compaction-result";
/// The format version this lancer writes and reads; a newer one is refused by name.
const FORMAT_VERSION: u64 = 1;

fn bad(what: &str, why: impl std::fmt::Display) -> Error {
    Error::invalid_input(format!("compaction {what} JSON: {why}"))
}

/// The object of `text`, checked to be of `format` in a version this lancer reads.
fn object(text: &str, format: &str, what: &str) -> Result<Map<String, Value>> {
    let value: Value = serde_json::from_str(text).map_err(|e| bad(what, e))?;
    let Value::Object(object) = value else {
        return Err(bad(what, "not a JSON object"));
    };
    match object.get("format").and_then(Value::as_str) {
        Some(found) if found == format => {}
        Some(other) => {
            return Err(bad(what, format!("`format` is `{other}`, not `{format}`")));
        }
        None => return Err(bad(what, "no `format` field")),
    }
    match object.get("format_version").and_then(Value::as_u64) {
        Some(FORMAT_VERSION) => Ok(object),
        Some(newer) if newer > FORMAT_VERSION => Err(bad(
            what,
            format!(
                "format version {newer} was written by a newer lancer (this one reads {FORMAT_VERSION})"
            ),
        )),
        _ => Err(bad(what, "missing or unknown `format_version`")),
    }
}

fn field<'a>(object: &'a Map<String, Value>, key: &str, what: &str) -> Result<&'a Value> {
    object
        .get(key)
        .ok_or_else(|| bad(what, format!("no `{key}` field")))
}

fn number(object: &Map<String, Value>, key: &str, what: &str) -> Result<u64> {
    field(object, key, what)?
        .as_u64()
        .ok_or_else(|| bad(what, format!("`{key}` is not a whole number")))
}

fn text(object: &Map<String, Value>, key: &str, what: &str) -> Result<String> {
    field(object, key, what)?
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| bad(what, format!("`{key}` is not a string")))
}

fn plan_id(object: &Map<String, Value>, what: &str) -> Result<String> {
    let id = text(object, "plan_id", what)?;
    lancer_table::naming::check_transaction_uuid(&id).map_err(|why| bad(what, why))?;
    Ok(id)
}

fn index(object: &Map<String, Value>, key: &str, what: &str) -> Result<usize> {
    usize::try_from(number(object, key, what)?)
        .map_err(|_| bad(what, format!("`{key}` is too large")))
}

fn fragments_json(fragments: &[Fragment]) -> Value {
    Value::Array(
        fragments
            .iter()
            .map(|f| serde_json::from_str(&f.to_json()).expect("fragment JSON is JSON"))
            .collect(),
    )
}

fn fragments(object: &Map<String, Value>, key: &str, what: &str) -> Result<Vec<Fragment>> {
    let Value::Array(items) = field(object, key, what)? else {
        return Err(bad(what, format!("`{key}` is not a list")));
    };
    items
        .iter()
        .map(|item| Fragment::from_json(&item.to_string()).map_err(|e| bad(what, e)))
        .collect()
}

fn options_json(options: &CompactionOptions) -> Value {
    json!({
        "target_rows_per_fragment": options.target_rows_per_fragment,
        "max_rows_per_group": options.max_rows_per_group,
        "max_bytes_per_file": options.max_bytes_per_file,
        "materialize_deletions": options.materialize_deletions,
        "materialize_deletions_threshold": options.materialize_deletions_threshold,
        "max_bytes_per_task": options.max_bytes_per_task,
    })
}

fn options(object: &Map<String, Value>, what: &str) -> Result<CompactionOptions> {
    let Value::Object(given) = field(object, "options", what)? else {
        return Err(bad(what, "`options` is not an object"));
    };
    let optional = |key: &str| -> Result<Option<u64>> {
        match given.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_u64()
                .map(Some)
                .ok_or_else(|| bad(what, format!("`options.{key}` is not a whole number"))),
        }
    };
    let options = CompactionOptions {
        target_rows_per_fragment: number(given, "target_rows_per_fragment", what)?,
        max_rows_per_group: number(given, "max_rows_per_group", what)?,
        max_bytes_per_file: optional("max_bytes_per_file")?,
        materialize_deletions: field(given, "materialize_deletions", what)?
            .as_bool()
            .ok_or_else(|| bad(what, "`options.materialize_deletions` is not true or false"))?,
        materialize_deletions_threshold: field(given, "materialize_deletions_threshold", what)?
            .as_f64()
            .ok_or_else(|| {
                bad(
                    what,
                    "`options.materialize_deletions_threshold` is not a number",
                )
            })?,
        max_bytes_per_task: optional("max_bytes_per_task")?,
    };
    options.check()?;
    Ok(options)
}

fn metrics_json(metrics: &CompactionMetrics) -> Value {
    json!({
        "fragments_removed": metrics.fragments_removed,
        "fragments_added": metrics.fragments_added,
        "files_removed": metrics.files_removed,
        "files_added": metrics.files_added,
    })
}

fn metrics(object: &Map<String, Value>, what: &str) -> Result<CompactionMetrics> {
    let Value::Object(given) = field(object, "metrics", what)? else {
        return Err(bad(what, "`metrics` is not an object"));
    };
    Ok(CompactionMetrics {
        fragments_removed: index(given, "fragments_removed", what)?,
        fragments_added: index(given, "fragments_added", what)?,
        files_removed: index(given, "files_removed", what)?,
        files_added: index(given, "files_added", what)?,
    })
}

impl CompactionTask {
    fn body(&self) -> Value {
        json!({
            "index": self.index,
            "rows": self.rows,
            "fragments": fragments_json(&self.fragments),
        })
    }

    /// The task as JSON, on its own (with its plan's id, version and options).
    pub fn to_json(&self) -> String {
        let mut value = self.body();
        let object = value.as_object_mut().expect("an object");
        object.insert("format".into(), TASK.into());
        object.insert("format_version".into(), FORMAT_VERSION.into());
        object.insert("plan_id".into(), self.plan_id.clone().into());
        object.insert("read_version".into(), self.read_version.into());
        object.insert("dataset_tag".into(), self.dataset_tag.clone().into());
        object.insert("options".into(), options_json(&self.options));
        value.to_string()
    }

    /// Reads what [`to_json`](Self::to_json) wrote.
    pub fn from_json(text: &str) -> Result<CompactionTask> {
        let what = "task";
        let object = object(text, TASK, what)?;
        task_from(
            &object,
            plan_id(&object, what)?,
            number(&object, "read_version", what)?,
            self::text(&object, "dataset_tag", what)?,
            options(&object, what)?,
        )
    }
}

fn task_from(
    object: &Map<String, Value>,
    plan_id: String,
    read_version: u64,
    dataset_tag: String,
    options: CompactionOptions,
) -> Result<CompactionTask> {
    let what = "task";
    let fragments = fragments(object, "fragments", what)?;
    if fragments.is_empty() {
        return Err(bad(what, "a task rewrites at least one fragment"));
    }
    Ok(CompactionTask {
        plan_id,
        index: index(object, "index", what)?,
        read_version,
        dataset_tag,
        rows: number(object, "rows", what)?,
        fragments,
        options,
    })
}

impl CompactionPlan {
    /// The plan as JSON.
    pub fn to_json(&self) -> String {
        json!({
            "format": PLAN,
            "format_version": FORMAT_VERSION,
            "plan_id": self.plan_id,
            "read_version": self.read_version,
            "dataset_tag": self.dataset_tag,
            "options": options_json(&self.options),
            "tasks": self.tasks.iter().map(CompactionTask::body).collect::<Vec<_>>(),
        })
        .to_string()
    }

    /// Reads what [`to_json`](Self::to_json) wrote: tasks numbered 0, 1, ... in order, no
    /// fragment in two tasks.
    pub fn from_json(text: &str) -> Result<CompactionPlan> {
        let what = "plan";
        let object = object(text, PLAN, what)?;
        let plan_id = plan_id(&object, what)?;
        let read_version = number(&object, "read_version", what)?;
        let dataset_tag = self::text(&object, "dataset_tag", what)?;
        let options = options(&object, what)?;
        let Value::Array(items) = field(&object, "tasks", what)? else {
            return Err(bad(what, "`tasks` is not a list"));
        };
        let mut tasks = Vec::with_capacity(items.len());
        let mut seen = std::collections::HashSet::new();
        for (position, item) in items.iter().enumerate() {
            let Value::Object(task) = item else {
                return Err(bad(what, format!("task {position} is not an object")));
            };
            let task = task_from(
                task,
                plan_id.clone(),
                read_version,
                dataset_tag.clone(),
                options.clone(),
            )?;
            if task.index != position {
                return Err(bad(
                    what,
                    format!("task {position} says it is task {}", task.index),
                ));
            }
            if let Some(twice) = task.fragments.iter().find(|f| !seen.insert(f.id)) {
                return Err(bad(what, format!("fragment {} is in two tasks", twice.id)));
            }
            tasks.push(task);
        }
        Ok(CompactionPlan {
            plan_id,
            read_version,
            dataset_tag,
            options,
            tasks,
        })
    }
}

impl RewriteResult {
    /// The result as JSON.
    pub fn to_json(&self) -> String {
        json!({
            "format": RESULT,
            "format_version": FORMAT_VERSION,
            "plan_id": self.plan_id,
            "task": self.task,
            "read_version": self.read_version,
            "dataset_tag": self.dataset_tag,
            "rows": self.rows,
            "old_fragments": fragments_json(&self.old_fragments),
            "new_fragments": fragments_json(&self.new_fragments),
            "metrics": metrics_json(&self.metrics),
        })
        .to_string()
    }

    /// Reads what [`to_json`](Self::to_json) wrote; whether it belongs to a plan is checked
    /// when it is committed.
    pub fn from_json(text: &str) -> Result<RewriteResult> {
        let what = "result";
        let object = object(text, RESULT, what)?;
        Ok(RewriteResult {
            plan_id: plan_id(&object, what)?,
            task: index(&object, "task", what)?,
            read_version: number(&object, "read_version", what)?,
            dataset_tag: self::text(&object, "dataset_tag", what)?,
            old_fragments: fragments(&object, "old_fragments", what)?,
            new_fragments: fragments(&object, "new_fragments", what)?,
            rows: number(&object, "rows", what)?,
            metrics: metrics(&object, what)?,
        })
    }
}
