"""Ray Data integration: write, read, add columns and compact lancer datasets from a Ray
cluster (``pip install ray``; ``import lancer`` works without it).

- :func:`write_lance` / :class:`LanceDatasink`: each block becomes fragments on a Ray worker,
  only fragment JSON travels back, the driver commits once with the job's transaction id.
  Every data file a job writes carries the job's tag in its name, so a failed job's files
  are removed by :func:`lancer.abort_job` (``on_write_failed`` calls it), even those of tasks
  that died before returning.
- :func:`read_lance` / :class:`LanceDatasource`: read tasks over fragments of one version.
- :func:`add_columns` and :func:`compact_files`: the per-fragment work on Ray tasks, one
  commit on the driver, and the files of failed tasks removed.

The dataset must be on storage every Ray node sees (a shared file system or an object store
URI, with ``storage_options`` for its credentials).
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import pyarrow as pa

try:
    import ray
    from ray.data.block import BlockAccessor, BlockMetadata
    from ray.data.datasource import Datasink, Datasource, ReadTask
except ImportError as missing:  # pragma: no cover - exercised only without Ray
    raise ImportError(
        "lancer.ray needs Ray: pip install 'ray[data]' (import lancer works without it)"
    ) from missing

from . import _lancer
from ._cleanup import abort, abort_job
from ._common import dataset_uri
from ._common import storage_options as storage_options_of
from ._metadata import FragmentMetadata
from ._write import write_fragments
from .dataset import LanceDataset, LanceOperation

__all__ = [
    "LanceDatasink",
    "LanceDatasource",
    "add_columns",
    "compact_files",
    "read_lance",
    "write_lance",
]

_MODES = ("create", "append", "overwrite")


class LanceDatasink(Datasink):
    """A Ray Data sink writing a lancer dataset (``ds.write_datasink(LanceDatasink(uri))``).

    ``mode``: ``"create"`` (an existing dataset is an error), ``"append"`` (creates a
    missing dataset) or ``"overwrite"``. The version the write starts from is its read
    version, so a concurrent Overwrite makes the commit fail instead of landing on data the
    job never saw; the commit uses one transaction id for the job, so a driver that retries
    ``on_write_complete`` never commits twice.
    """

    def __init__(
        self,
        uri: Any,
        *,
        schema: Optional[pa.Schema] = None,
        mode: str = "create",
        max_rows_per_file: int = 1024 * 1024,
        data_storage_version: Optional[str] = None,
        storage_options: Optional[Dict[str, str]] = None,
        transaction_id: Optional[str] = None,
    ):
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {', '.join(_MODES)}, not {mode!r}")
        self.uri = dataset_uri(uri)
        self.schema = schema
        self.mode = mode
        self.max_rows_per_file = max_rows_per_file
        self.data_storage_version = data_storage_version
        self.storage_options = storage_options_of(storage_options)
        # Chosen here, before Ray ships the sink to its workers, so every task tags its
        # files with the same job.
        self.job = uuid.uuid4().hex
        self.transaction_id = transaction_id or str(uuid.uuid4())
        self.read_version: Optional[int] = None

    def get_name(self) -> str:
        return "Lancer"

    def on_write_start(self, schema: Optional[pa.Schema] = None) -> None:
        from .errors import DatasetNotFoundError, InvalidInputError

        try:
            existing = _lancer.open_dataset(self.uri, None, self.storage_options).version
        except DatasetNotFoundError:
            existing = None
        if self.mode == "create" and existing is not None:
            raise InvalidInputError(f"invalid input: Dataset already exists: {self.uri}")
        self.read_version = existing or 0
        if self.schema is None and schema is not None:
            self.schema = schema

    def _appending(self) -> bool:
        return self.mode == "append" and bool(self.read_version)

    def write(self, blocks: Iterable[Any], ctx: Any) -> Dict[str, Any]:
        """On a worker: the blocks as data files; returns the fragments' JSON."""
        texts: List[str] = []
        schema: Optional[pa.Schema] = None
        for block in blocks:
            table = BlockAccessor.for_block(block).to_arrow()
            if table.num_rows == 0:
                continue
            # Decided here, not from what on_write_start found: Ray may ship the sink to
            # its workers before the driver runs on_write_start. An append writes into the
            # dataset's schema when it exists, into the data's otherwise.
            fragments = write_fragments(
                table,
                self.uri,
                self.schema,
                mode="append" if self.mode == "append" else "overwrite",
                max_rows_per_file=self.max_rows_per_file,
                data_storage_version=self.data_storage_version,
                storage_options=self.storage_options,
                _job=self.job,
            )
            texts += [json.dumps(f.to_json()) for f in fragments]
            schema = schema or (self.schema or table.schema)
        return {"fragments": texts, "schema": schema.serialize().to_pybytes() if schema else None}

    def on_write_complete(self, write_result: Any) -> LanceDataset:
        """On the driver: one commit of every fragment the tasks returned."""
        returns = [r for r in write_result.write_returns if r]
        fragments = [FragmentMetadata.from_json(t) for r in returns for t in r["fragments"]]
        schema = self.schema
        if schema is None:
            for r in returns:
                if r.get("schema"):
                    schema = pa.ipc.read_schema(pa.py_buffer(r["schema"]))
                    break
        if self._appending():
            operation: Any = LanceOperation.Append(fragments)
        else:
            if schema is None:
                from .errors import InvalidInputError

                raise InvalidInputError("invalid input: nothing was written and no schema was given")
            operation = LanceOperation.Overwrite(schema, fragments)
        try:
            return LanceDataset.commit(
                self.uri,
                operation,
                read_version=self.read_version or 0,
                storage_options=self.storage_options,
                transaction_id=self.transaction_id,
            )
        except Exception:
            abort_job(self.uri, self.job, storage_options=self.storage_options)
            raise

    def on_write_failed(self, error: Exception) -> None:
        """On the driver: removes every file the job wrote (none is committed)."""
        abort_job(self.uri, self.job, storage_options=self.storage_options)


def write_lance(
    ds: "ray.data.Dataset",
    uri: Any,
    *,
    schema: Optional[pa.Schema] = None,
    mode: str = "create",
    max_rows_per_file: int = 1024 * 1024,
    data_storage_version: Optional[str] = None,
    storage_options: Optional[Dict[str, str]] = None,
) -> None:
    """Writes the Ray dataset ``ds`` as a lancer dataset at ``uri`` (see
    :class:`LanceDatasink`)."""
    ds.write_datasink(
        LanceDatasink(
            uri,
            schema=schema,
            mode=mode,
            max_rows_per_file=max_rows_per_file,
            data_storage_version=data_storage_version,
            storage_options=storage_options,
        )
    )


class LanceDatasource(Datasource):
    """Reads one version of a lancer dataset into Ray: read tasks over groups of fragments
    (about equal rows), the schema and row counts known from the manifest."""

    def __init__(
        self,
        uri: Any,
        *,
        columns: Optional[List[str]] = None,
        version: Optional[int] = None,
        storage_options: Optional[Dict[str, str]] = None,
    ):
        super().__init__()
        self.uri = dataset_uri(uri)
        self.storage_options = storage_options_of(storage_options)
        opened = LanceDataset(self.uri, version=version, storage_options=self.storage_options)
        # Tasks read this version, whatever is committed while the job runs.
        self.version = opened.version
        self.columns = list(columns) if columns is not None else None
        self._schema = opened.scanner(columns=self.columns).projected_schema
        self._fragments = [(f.fragment_id, f.count_rows(), _file_bytes(f)) for f in opened.get_fragments()]

    def estimate_inmemory_data_size(self) -> Optional[int]:
        return sum(size for _, _, size in self._fragments)

    def get_read_tasks(self, parallelism: int, per_task_row_limit: Optional[int] = None, data_context: Any = None) -> List[Any]:
        groups = _balanced_groups(self._fragments, max(1, parallelism))
        tasks = []
        for group in groups:
            ids = [fid for fid, _, _ in group]
            rows = sum(n for _, n, _ in group)
            size = sum(s for _, _, s in group)
            read = _reader(self.uri, self.version, self.columns, ids, self.storage_options)
            metadata = BlockMetadata(num_rows=rows, size_bytes=size, exec_stats=None, input_files=None)
            tasks.append(ReadTask(read, metadata, schema=self._schema, per_task_row_limit=per_task_row_limit))
        return tasks


def _reader(uri: str, version: int, columns: Optional[List[str]], ids: List[int], options: Any) -> Callable[[], Iterable[pa.Table]]:
    def read() -> Iterable[pa.Table]:
        ds = LanceDataset(uri, version=version, storage_options=options)
        for batch in ds.to_batches(columns=columns, fragments=ids):
            yield pa.Table.from_batches([batch])

    return read


def _file_bytes(fragment: Any) -> int:
    return sum(f.file_size_bytes or 0 for f in fragment.data_files())


def _balanced_groups(items: List[Tuple[int, int, int]], groups: int) -> List[List[Tuple[int, int, int]]]:
    """Fragments in order, cut into at most ``groups`` runs of about equal rows."""
    if not items:
        return []
    total = sum(n for _, n, _ in items) or len(items)
    target = max(1, -(-total // groups))
    out: List[List[Tuple[int, int, int]]] = [[]]
    rows = 0
    for item in items:
        if out[-1] and rows + item[1] > target and len(out) < groups:
            out.append([])
            rows = 0
        out[-1].append(item)
        rows += item[1]
    return out


def read_lance(
    uri: Any,
    *,
    columns: Optional[List[str]] = None,
    version: Optional[int] = None,
    storage_options: Optional[Dict[str, str]] = None,
    override_num_blocks: Optional[int] = None,
) -> "ray.data.Dataset":
    """A Ray dataset of the rows of ``uri`` (at ``version``, the latest when None)."""
    source = LanceDatasource(uri, columns=columns, version=version, storage_options=storage_options)
    return ray.data.read_datasource(source, override_num_blocks=override_num_blocks)


@ray.remote
def _merge_task(uri: str, version: int, fragment_id: int, fn: Any, read_columns: Any, batch_size: Any, options: Any) -> Tuple[str, bytes]:
    fragment = LanceDataset(uri, version=version, storage_options=options).get_fragment(fragment_id)
    metadata, schema = fragment.merge_columns(fn, columns=read_columns, batch_size=batch_size)
    return json.dumps(metadata.to_json()), schema.to_bytes()


def add_columns(
    uri: Any,
    fn: Callable[[pa.RecordBatch], Any],
    read_columns: Optional[List[str]] = None,
    *,
    batch_size: Optional[int] = None,
    storage_options: Optional[Dict[str, str]] = None,
) -> LanceDataset:
    """Adds the columns ``fn`` computes (from batches of ``read_columns``) to every fragment
    on Ray tasks, then commits one Merge on the driver. If a task fails, the files the
    others wrote are removed and the first error is raised; nothing is committed."""
    target = dataset_uri(uri)
    options = storage_options_of(storage_options)
    ds = LanceDataset(target, storage_options=options)
    refs = [
        _merge_task.remote(target, ds.version, f.fragment_id, fn, read_columns, batch_size, options)
        for f in ds.get_fragments()
    ]
    done, failures = _gather(refs)
    merged = [FragmentMetadata.from_json(text) for text, _ in done]
    try:
        if failures:
            raise failures[0]
        if not done:
            from .errors import InvalidInputError

            raise InvalidInputError("invalid input: the dataset has no fragment to add columns to")
        schema = _lancer.LanceSchema.from_bytes(done[0][1])
        return LanceDataset.commit(target, LanceOperation.Merge(merged, schema), read_version=ds.version, storage_options=options)
    except BaseException:
        abort(target, merged, storage_options=options)
        raise


def _gather(refs: List[Any]) -> Tuple[List[Any], List[BaseException]]:
    """Every task's result, and the failures (all tasks are waited for, so none still
    writes when files are removed)."""
    done, failures = [], []
    for ref in refs:
        try:
            done.append(ray.get(ref))
        except Exception as error:  # a task's own error, or Ray's report of its death
            failures.append(_unwrap(error))
    return done, failures


def _unwrap(error: BaseException) -> BaseException:
    cause = getattr(error, "cause", None)
    return cause if isinstance(cause, BaseException) else error


@ray.remote
def _compact_task(uri: str, options: Any, task: Any) -> Any:
    return task.execute(LanceDataset(uri, storage_options=options))


def compact_files(
    uri: Any,
    options: Any = None,
    *,
    storage_options: Optional[Dict[str, str]] = None,
) -> Tuple[Any, List[BaseException]]:
    """Compaction on Ray: plans on the driver, rewrites each task on a Ray worker, commits
    the rewrites that succeeded as one Rewrite. Returns the commit's metrics (None when no
    task succeeded or there was nothing to do) and the errors of the tasks that failed
    (their files removed)."""
    from .optimize import Compaction

    target = dataset_uri(uri)
    store = storage_options_of(storage_options)
    ds = LanceDataset(target, storage_options=store)
    plan = Compaction.plan(ds, options)
    results, failures = _gather([_compact_task.remote(target, store, task) for task in plan.tasks])
    if not results:
        return None, failures
    try:
        metrics = Compaction.commit(ds, results, plan=plan)
    except BaseException:
        for result in results:
            try:
                _lancer.discard_compaction_result(target, result.to_json(), storage_options=store)
            except Exception:
                pass
        raise
    return metrics, failures
