"""Compaction, in pylance's three phases (``lance.optimize``): :meth:`Compaction.plan` once,
:meth:`CompactionTask.execute` on any worker, :meth:`Compaction.commit` of the results as
one ``Rewrite``. Plans, tasks and results pickle (as lancer's versioned JSON) and have
``to_json`` / ``from_json``, so they travel between processes, Ray tasks and machines."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, TypedDict

from . import _lancer
from ._common import DatasetLike, dataset_uri, unsupported
from ._metadata import FragmentMetadata

__all__ = [
    "Compaction",
    "CompactionMetrics",
    "CompactionOptions",
    "CompactionPlan",
    "CompactionTask",
    "RewriteResult",
]


class CompactionOptions(TypedDict, total=False):
    """pylance's compaction options; lancer honours the first six (``num_threads`` is how
    many tasks :meth:`Compaction.execute` runs at once)."""

    target_rows_per_fragment: Optional[int]
    max_rows_per_group: Optional[int]
    max_bytes_per_file: Optional[int]
    materialize_deletions: Optional[bool]
    materialize_deletions_threshold: Optional[float]
    num_threads: Optional[int]
    batch_size: Optional[int]
    defer_index_remap: Optional[bool]


# Options lancer plans with, and pylance's defaults for them.
_PLANNED = {
    "target_rows_per_fragment": 1024 * 1024,
    "max_rows_per_group": 1024,
    "max_bytes_per_file": None,
    "materialize_deletions": True,
    "materialize_deletions_threshold": 0.1,
}
# Accepted and not needed: lancer scans in its own batches and has no index to remap.
_IGNORED = {"num_threads", "batch_size", "io_buffer_size"}


def _plan_arguments(options: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    given = {k: v for k, v in dict(options or {}).items() if v is not None}
    if given.get("defer_index_remap"):
        raise unsupported("defer_index_remap (lancer builds and remaps no index)")
    given.pop("defer_index_remap", None)
    unknown = sorted(set(given) - set(_PLANNED) - _IGNORED)
    if unknown:
        raise unsupported(f"compaction options {unknown}")
    return {key: given.get(key, default) for key, default in _PLANNED.items()}


def _uri_and_options(dataset: Any):
    options = dataset.storage_options if isinstance(dataset, DatasetLike) else None
    return dataset_uri(dataset), options


class CompactionMetrics:
    """What a compaction did (pylance's ``CompactionMetrics``)."""

    __slots__ = ("fragments_removed", "fragments_added", "files_removed", "files_added")

    def __init__(self, fragments_removed=0, fragments_added=0, files_removed=0, files_added=0):
        self.fragments_removed = fragments_removed
        self.fragments_added = fragments_added
        self.files_removed = files_removed
        self.files_added = files_added

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CompactionMetrics) and all(
            getattr(self, k) == getattr(other, k) for k in self.__slots__
        )

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)}" for k in self.__slots__)
        return f"CompactionMetrics({fields})"


class _Json:
    """A value held as its JSON (checked by the native module when used)."""

    __slots__ = ("_json", "_raw")

    def __init__(self, text: str):
        self._json = text
        self._raw = json.loads(text)

    def to_json(self) -> str:
        return self._json

    @classmethod
    def from_json(cls, text: str):
        return cls(text)

    def __reduce__(self):
        return (type(self).from_json, (self._json,))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._raw == other._raw

    def __hash__(self) -> int:
        return hash(self._json)


class CompactionTask(_Json):
    """Adjacent fragments to rewrite together, on one worker."""

    @property
    def read_version(self) -> int:
        return self._raw["read_version"]

    @property
    def fragments(self) -> List[FragmentMetadata]:
        return [FragmentMetadata.from_json(json.dumps(f)) for f in self._raw["fragments"]]

    def execute(self, dataset: Any) -> "RewriteResult":
        """Rewrites the task's fragments as new files of ``dataset`` (nothing committed)."""
        uri, options = _uri_and_options(dataset)
        return RewriteResult(_lancer.execute_compaction_task(uri, self._json, storage_options=options))

    def __repr__(self) -> str:
        ids = [f["id"] for f in self._raw["fragments"]]
        return f"CompactionTask(index={self._raw['index']}, fragments={ids}, rows={self._raw['rows']})"


class CompactionPlan(_Json):
    """The tasks of a compaction, and the version they were planned on."""

    @property
    def read_version(self) -> int:
        return self._raw["read_version"]

    @property
    def tasks(self) -> List[CompactionTask]:
        return [CompactionTask(text) for text in _lancer.plan_tasks(self._json)]

    def num_tasks(self) -> int:
        return len(self._raw["tasks"])

    def __repr__(self) -> str:
        return f"CompactionPlan(read_version={self.read_version}, tasks={self.num_tasks()})"


class RewriteResult(_Json):
    """What executing a task made: new fragments replacing the task's."""

    @property
    def read_version(self) -> int:
        return self._raw["read_version"]

    @property
    def new_fragments(self) -> List[FragmentMetadata]:
        return [FragmentMetadata.from_json(json.dumps(f)) for f in self._raw["new_fragments"]]

    @property
    def original_fragments(self) -> List[FragmentMetadata]:
        return [FragmentMetadata.from_json(json.dumps(f)) for f in self._raw["old_fragments"]]

    @property
    def metrics(self) -> CompactionMetrics:
        return CompactionMetrics(**self._raw["metrics"])

    def __repr__(self) -> str:
        return f"RewriteResult(task={self._raw['task']}, new_fragments={len(self._raw['new_fragments'])})"


class Compaction:
    """pylance's ``Compaction``: plan, execute and commit."""

    @staticmethod
    def plan(dataset: Any, options: Optional[CompactionOptions] = None) -> CompactionPlan:
        """Plans a compaction of ``dataset``'s version."""
        uri, storage = _uri_and_options(dataset)
        version = getattr(dataset, "version", None) if isinstance(dataset, DatasetLike) else None
        text = _lancer.plan_compaction(uri, version, storage_options=storage, **_plan_arguments(options))
        return CompactionPlan(text)

    @staticmethod
    def commit(
        dataset: Any,
        rewrites: List[RewriteResult],
        plan: Optional[CompactionPlan] = None,
        transaction_id: Optional[str] = None,
    ) -> CompactionMetrics:
        """Commits results (all or some of one plan's) as one version. Tasks whose
        fragments changed since the plan are left out (see :func:`commit_compaction`)."""
        metrics, _, _ = commit_compaction(dataset, rewrites, plan=plan, transaction_id=transaction_id)
        return metrics

    @staticmethod
    def execute(dataset: Any, options: Optional[CompactionOptions] = None) -> CompactionMetrics:
        """Plans, executes every task here (``num_threads`` at once) and commits."""
        metrics, _, _ = compact(dataset, options)
        return metrics


def commit_compaction(
    dataset: Any,
    rewrites: List[RewriteResult],
    *,
    plan: Optional[CompactionPlan] = None,
    transaction_id: Optional[str] = None,
):
    """Commits ``rewrites``; returns the metrics, the native handle of the new version and
    the tasks left out (index, why)."""
    uri, storage = _uri_and_options(dataset)
    native, counts, skipped = _lancer.commit_compaction(
        uri,
        [r.to_json() for r in rewrites],
        plan=plan.to_json() if plan is not None else None,
        transaction_id=transaction_id,
        storage_options=storage,
    )
    return CompactionMetrics(*counts), native, skipped


def compact(dataset: Any, options: Optional[CompactionOptions] = None):
    """Plan, every task on this machine, one commit: returns the metrics, the native handle
    of the new version (None when there was nothing to do) and the tasks left out. A task
    that fails leaves no files behind: the others' results are discarded too."""
    from concurrent.futures import ThreadPoolExecutor

    plan = Compaction.plan(dataset, options)
    tasks = plan.tasks
    if not tasks:
        return CompactionMetrics(), None, []
    threads = (options or {}).get("num_threads") or None
    uri, storage = _uri_and_options(dataset)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(task.execute, dataset) for task in tasks]
        outcomes = []
        for future in futures:
            try:
                outcomes.append(future.result())
            except BaseException as error:  # noqa: BLE001 - re-raised below
                outcomes.append(error)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    if failures:
        for result in outcomes:
            if isinstance(result, RewriteResult):
                _lancer.discard_compaction_result(uri, result.to_json(), storage_options=storage)
        raise failures[0]
    return commit_compaction(dataset, outcomes, plan=plan)
