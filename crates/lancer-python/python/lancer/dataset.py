"""Datasets: opening a version, reading it, and committing operations.

Mirrors the parts of ``lance.dataset`` a distributed write uses: :func:`dataset`,
:class:`LanceDataset` (with the static :meth:`LanceDataset.commit`) and
:class:`LanceOperation`.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, Iterable, Iterator, List, Optional, Union

import pyarrow as pa

from . import _cleanup, _commit, _lancer, _write, optimize as _optimize
from ._commit import LanceOperation
from ._common import DatasetLike, check_scan_options, column_list, dataset_uri, row_offsets, unsupported
from ._common import storage_options as storage_options_of
from ._lancer import LanceSchema
from .fragment import LanceFragment

__all__ = ["LanceDataset", "LanceOperation", "LanceScanner", "dataset", "write_dataset"]

class LanceScanner:
    """A scan of a dataset version; nothing is read until a ``to_*`` method is called."""

    def __init__(
        self,
        ds: "LanceDataset",
        columns: Optional[List[str]],
        limit: Optional[int],
        offset: Optional[int],
        batch_size: Optional[int],
        fragment_ids: Optional[List[int]],
        with_row_id: bool = False,
        with_row_address: bool = False,
    ):
        if limit is not None and limit < 0:
            raise ValueError("limit must not be negative")
        if offset is not None and offset < 0:
            raise ValueError("offset must not be negative")
        if batch_size is not None and batch_size <= 0:
            raise ValueError("batch_size must be positive")
        self._ds = ds
        self._offset = offset or 0
        self._args = dict(
            columns=list(columns) if columns is not None else None,
            limit=None if limit is None else limit + self._offset,
            batch_size=batch_size,
            fragment_ids=fragment_ids,
            with_row_id=bool(with_row_id),
            with_row_address=bool(with_row_address),
        )

    def _start(self) -> Any:
        return self._ds._native.scan(**self._args)

    def _batches(self, scan: Any) -> Iterator[pa.RecordBatch]:
        skip = self._offset
        for batch in scan:
            if skip >= batch.num_rows:
                skip -= batch.num_rows
                continue
            yield batch.slice(skip) if skip else batch
            skip = 0

    def to_reader(self) -> pa.RecordBatchReader:
        scan = self._start()
        return pa.RecordBatchReader.from_batches(scan.schema, self._batches(scan))

    def to_batches(self) -> Iterator[pa.RecordBatch]:
        return self._batches(self._start())

    def to_table(self) -> pa.Table:
        scan = self._start()
        return pa.Table.from_batches(list(self._batches(scan)), schema=scan.schema)

    def count_rows(self) -> int:
        return sum(batch.num_rows for batch in self.to_batches())

    @property
    def projected_schema(self) -> pa.Schema:
        return self._start().schema


class LanceDataset(DatasetLike):
    """One version of a Lance dataset."""

    def __init__(
        self,
        uri: Any,
        version: Optional[int] = None,
        storage_options: Optional[Dict[str, str]] = None,
    ):
        self._options = storage_options_of(storage_options)
        if isinstance(version, str):
            # A tag names the version (pylance takes either).
            latest = _lancer.open_dataset(dataset_uri(uri), None, self._options)
            self._native = latest.checkout_version(latest.tag_version(version))
            return
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            raise TypeError(f"version must be an int or a tag name, not {type(version).__name__}")
        self._native = _lancer.open_dataset(dataset_uri(uri), version, self._options)

    @classmethod
    def _wrap(cls, native: Any, options: Optional[Dict[str, str]]) -> "LanceDataset":
        ds = object.__new__(cls)
        ds._native = native
        ds._options = options
        return ds

    @property
    def storage_options(self) -> Optional[Dict[str, str]]:
        """The storage options the dataset was opened with."""
        return self._options

    def cleanup_old_versions(
        self,
        older_than: Optional["datetime.timedelta"] = None,
        retain_versions: Optional[int] = None,
        *,
        delete_unverified: bool = False,
        error_if_tagged_old_versions: bool = True,
        delete_rate_limit: Optional[int] = None,
        versions: Optional[List[int]] = None,
        delete_concurrency: Optional[int] = None,
    ) -> "_cleanup.CleanupStats":
        """Removes versions older than ``older_than`` (14 days when neither it nor
        ``retain_versions`` is given), never the latest nor a tagged one, then the files no
        kept version references (pylance's arguments and ``CleanupStats``)."""
        return _cleanup.cleanup_old_versions(
            self,
            older_than,
            retain_versions,
            delete_unverified=delete_unverified,
            error_if_tagged_old_versions=error_if_tagged_old_versions,
            delete_rate_limit=delete_rate_limit,
            versions=versions,
            delete_concurrency=delete_concurrency,
        )

    @property
    def optimize(self) -> "DatasetOptimizer":
        """pylance's ``ds.optimize``: ``compact_files``."""
        return DatasetOptimizer(self)

    @property
    def uri(self) -> str:
        return self._native.uri

    @property
    def version(self) -> int:
        return self._native.version

    @property
    def latest_version(self) -> int:
        return self._native.latest_version()

    def versions(self) -> List[Dict[str, Any]]:
        """Every version, oldest first: ``version`` and ``timestamp`` (when its manifest was
        written), as pylance lists them."""
        return [
            {
                "version": version,
                "timestamp": datetime.datetime.fromtimestamp(seconds),
                "metadata": {},
            }
            for version, seconds, _size in self._native.versions()
        ]

    def checkout_version(self, version: Union[int, str]) -> "LanceDataset":
        """The dataset at ``version``: a version number or a tag name."""
        if isinstance(version, str):
            version = self._native.tag_version(version)
        elif isinstance(version, bool) or not isinstance(version, int):
            raise TypeError(f"version is an int or a tag name, not {type(version).__name__}")
        return LanceDataset._wrap(self._native.checkout_version(version), self._options)

    @property
    def tags(self) -> "Tags":
        """The dataset's tags (pylance's ``ds.tags``)."""
        return Tags(self)

    @property
    def schema(self) -> pa.Schema:
        return self._native.schema

    @property
    def lance_schema(self) -> LanceSchema:
        return self._native.lance_schema

    @property
    def data_storage_version(self) -> Optional[str]:
        return self._native.data_storage_version

    def count_rows(self, filter: Optional[str] = None) -> int:
        if filter is not None:
            from .errors import UnsupportedError

            raise UnsupportedError("not supported: count_rows with a filter")
        return self._native.count_rows()

    def __len__(self) -> int:
        return self.count_rows()

    def get_fragments(self) -> List[LanceFragment]:
        return [LanceFragment(self, native) for native in self._native.fragments()]

    def get_fragment(self, fragment_id: int) -> Optional[LanceFragment]:
        native = self._native.fragment(fragment_id)
        return LanceFragment(self, native) if native is not None else None

    def scanner(
        self,
        columns: Optional[List[str]] = None,
        filter: Any = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        nearest: Any = None,
        batch_size: Optional[int] = None,
        batch_size_bytes: Optional[int] = None,
        batch_readahead: Optional[int] = None,
        fragment_readahead: Optional[int] = None,
        scan_in_order: Optional[bool] = None,
        fragments: Optional[Iterable[Union[LanceFragment, int]]] = None,
        index_segments: Any = None,
        full_text_query: Any = None,
        *,
        with_row_id: Optional[bool] = None,
        with_row_address: Optional[bool] = None,
        **options: Any,
    ) -> LanceScanner:
        """A scan of this version, with pylance's arguments in pylance's order: ``columns``
        (all when None; top-level names, dotted paths into structs such as ``"s.x"``, and
        ``"_rowid"`` / ``"_rowaddr"``), ``limit`` rows after skipping ``offset``, in
        batches of up to ``batch_size`` rows, from ``fragments`` (all when None), with
        ``_rowid`` and ``_rowaddr`` columns added when asked. Scans are always in order;
        pylance's tuning hints (read-ahead, byte sizes, stats) are accepted and ignored.
        ``filter``, ``nearest``, full-text search, orderings and other options that
        change the rows raise :class:`lancer.errors.UnsupportedError` when given."""
        check_scan_options(
            filter=filter,
            nearest=nearest,
            index_segments=index_segments,
            full_text_query=full_text_query,
            **options,
        )
        columns = column_list(columns)
        ids = None
        if fragments is not None:
            ids = [f.fragment_id if isinstance(f, LanceFragment) else int(f) for f in fragments]
        return LanceScanner(
            self, columns, limit, offset, batch_size, ids, bool(with_row_id), bool(with_row_address)
        )

    def to_table(
        self,
        columns: Optional[List[str]] = None,
        filter: Any = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        nearest: Any = None,
        batch_size: Optional[int] = None,
        batch_size_bytes: Optional[int] = None,
        batch_readahead: Optional[int] = None,
        fragment_readahead: Optional[int] = None,
        scan_in_order: Optional[bool] = None,
        *,
        fragments: Optional[Iterable[Union[LanceFragment, int]]] = None,
        **options: Any,
    ) -> pa.Table:
        """The rows as one table; arguments as :meth:`scanner`."""
        return self.scanner(
            columns, filter, limit, offset, nearest, batch_size, batch_size_bytes,
            batch_readahead, fragment_readahead, scan_in_order, fragments, **options,
        ).to_table()

    def to_batches(
        self,
        columns: Optional[List[str]] = None,
        filter: Any = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        nearest: Any = None,
        batch_size: Optional[int] = None,
        batch_size_bytes: Optional[int] = None,
        batch_readahead: Optional[int] = None,
        fragment_readahead: Optional[int] = None,
        scan_in_order: Optional[bool] = None,
        *,
        fragments: Optional[Iterable[Union[LanceFragment, int]]] = None,
        **options: Any,
    ) -> Iterator[pa.RecordBatch]:
        """The rows batch by batch; arguments as :meth:`scanner`."""
        return self.scanner(
            columns, filter, limit, offset, nearest, batch_size, batch_size_bytes,
            batch_readahead, fragment_readahead, scan_in_order, fragments, **options,
        ).to_batches()

    def take(self, indices: Any, columns: Optional[List[str]] = None) -> pa.Table:
        """The rows at ``indices`` (positions among the visible rows, deleted rows not
        counted), in that order, repeats allowed; ``columns`` as :meth:`scanner`. An index
        past the last row raises :class:`lancer.errors.InvalidInputError`."""
        offsets = row_offsets(indices)
        batch = self._native.take(offsets, column_list(columns))
        return pa.Table.from_batches([batch])

    def head(self, num_rows: int) -> pa.Table:
        return self.to_table(limit=num_rows)

    def drop_columns(self, columns: List[str]) -> None:
        """Removes ``columns`` from the dataset as a new version (a Project commit; data
        files are kept, so nothing is rewritten). The dataset moves to the new version."""
        if isinstance(columns, str):
            raise TypeError("drop_columns takes a list of column names")
        self._native = self._native.drop_columns(list(columns), storage_options=self._options)

    def alter_columns(self, *alterations: Dict[str, Any]) -> None:
        """Renames columns or changes their nullability as a new version, without rewriting
        data (pylance's ``alter_columns``): each alteration is a dict with ``path`` (a name,
        or a dotted path into structs) and ``name`` and/or ``nullable``. Making a column
        non-nullable checks it holds no null. Changing ``data_type`` (which rewrites the
        column) raises :class:`lancer.errors.UnsupportedError`. The dataset moves to the
        new version."""
        changes = []
        for alteration in alterations:
            if not isinstance(alteration, dict) or "path" not in alteration:
                raise TypeError("each alteration is a dict with a 'path'")
            unknown = set(alteration) - {"path", "name", "nullable", "data_type"}
            if unknown:
                raise ValueError(f"unknown alteration keys {sorted(unknown)}")
            if alteration.get("data_type") is not None:
                raise unsupported("changing a column's data_type (it rewrites the column)")
            nullable = alteration.get("nullable")
            changes.append(
                (str(alteration["path"]), alteration.get("name"), None if nullable is None else bool(nullable))
            )
        if changes:
            self._native = self._native.alter_columns(changes, storage_options=self._options)

    def add_columns(
        self,
        transforms: Any,
        read_columns: Optional[List[str]] = None,
        reader_schema: Optional[pa.Schema] = None,
        batch_size: Optional[int] = None,
    ) -> None:
        """Adds columns as a new version, without rewriting existing data.

        ``transforms`` is a ``pyarrow.Field``, a list of them or a ``pyarrow.Schema`` (all-null
        columns: only the schema changes), or a function from a RecordBatch of
        ``read_columns`` (all columns when None; batches of at most ``batch_size`` rows) to
        the new columns, run on every fragment here, then committed as one Merge, or a
        reader (a ``RecordBatchReader``, a Table, anything with ``__arrow_c_stream__``) of
        the new columns, one row per visible row in scan order (deleted rows read as null).
        A dict of SQL expressions raises :class:`lancer.errors.UnsupportedError`. The
        dataset moves to the new version; if anything fails, the files written are
        removed."""
        if isinstance(transforms, pa.Field):
            transforms = [transforms]
        if isinstance(transforms, list) and all(isinstance(f, pa.Field) for f in transforms):
            transforms = pa.schema(transforms)
        if isinstance(transforms, pa.Schema):
            self._native = self._native.add_null_columns(transforms, storage_options=self._options)
            return
        if isinstance(transforms, dict):
            raise unsupported("SQL expressions in add_columns; pass a function or pyarrow fields")
        if isinstance(transforms, (pa.RecordBatchReader, pa.Table)) or (
            hasattr(transforms, "__arrow_c_stream__") and not callable(transforms)
        ):
            reader, producer = _write._watched_reader(transforms, reader_schema)
            try:
                self._native = self._native.add_columns_from_reader(
                    reader, storage_options=self._options
                )
            except Exception as error:
                if producer is not None and producer.error is not None:
                    raise producer.error from error
                raise
            return
        if not callable(transforms):
            raise unsupported(
                f"add_columns from a {type(transforms).__name__}; pass a function or pyarrow fields"
            )
        if reader_schema is not None:
            raise unsupported("reader_schema (lancer's add_columns takes a function)")
        merged: List[Any] = []
        try:
            schema = None
            for fragment in self.get_fragments():
                metadata, schema = fragment.merge_columns(
                    transforms, columns=read_columns, batch_size=batch_size
                )
                merged.append(metadata)
            if schema is None:
                raise unsupported("add_columns with a function on a dataset with no fragments")
            done = LanceDataset.commit(
                self.uri,
                LanceOperation.Merge(merged, schema),
                read_version=self.version,
                storage_options=self._options,
            )
        except BaseException:
            if merged:
                try:
                    _cleanup.abort(self.uri, merged, storage_options=self._options)
                except Exception:
                    pass
            raise
        self._native = done._native

    # pylance methods that need predicates or indexes, which lancer does not have yet:
    # raising here says so, where a missing attribute would look like a typo.

    def delete(self, predicate: Any) -> None:
        raise unsupported("deleting rows (predicates come with SQL support)")

    def update(self, updates: Any, where: Any = None) -> Any:
        raise unsupported("updating rows (predicates come with SQL support)")

    def merge_insert(self, on: Any) -> Any:
        raise unsupported("merge_insert (upserts)")

    def create_index(self, *args: Any, **kwargs: Any) -> Any:
        raise unsupported("building indexes")

    def create_scalar_index(self, *args: Any, **kwargs: Any) -> Any:
        raise unsupported("building indexes")

    def restore(self) -> None:
        """Makes this version the latest again, as a new version with its content (pylance's
        ``restore``). The dataset moves to the new version."""
        self._native = self._native.restore(storage_options=self._options)

    def __reduce__(self) -> Any:
        # A dataset travels (to Ray tasks, worker processes) as what opens it again.
        return (LanceDataset, (self.uri, self.version, self._options))

    @staticmethod
    def commit(
        base_uri: Any,
        operation: LanceOperation.BaseOperation,
        read_version: Optional[int] = None,
        commit_lock: Any = None,
        storage_options: Optional[Dict[str, str]] = None,
        max_retries: int = 20,
        *,
        transaction_id: Optional[str] = None,
    ) -> "LanceDataset":
        """Commits ``operation`` to the dataset at ``base_uri`` as one new version and returns
        it. ``read_version`` is the version the operation was built from: 0 creates the
        dataset with an Overwrite (and is refused if the dataset exists, where pylance would
        overwrite it: pass the version you read instead); None, allowed only for an Overwrite
        (as in pylance), means the latest version (0 when there is none).

        Concurrent commits are safe: lancer retries over commits that do not conflict, and
        raises :class:`lancer.errors.CommitConflictError` (or ``CommitRebuildError``) when one
        does. Every data file is checked against its fragment before anything is committed.

        ``transaction_id`` (lancer's own, a UUID) makes the commit idempotent: committing
        the same operation with the same id again, after a lost reply, returns the version
        that already holds it instead of committing twice.
        """
        native, options = _commit.commit(
            base_uri,
            operation,
            read_version=read_version,
            commit_lock=commit_lock,
            storage_options=storage_options,
            max_retries=max_retries,
            transaction_id=transaction_id,
        )
        return LanceDataset._wrap(native, options)

    def __repr__(self) -> str:
        return f"LanceDataset(uri={self.uri!r}, version={self.version})"


class Tags:
    """Names for versions, stored as pylance stores them (``_refs/tags/``), so tags made by
    either are seen by both; cleanup never removes a tagged version."""

    def __init__(self, dataset: "LanceDataset"):
        self._dataset = dataset

    def list(self) -> Dict[str, Dict[str, Any]]:
        """Every tag: its ``version``, ``manifest_size`` and timestamps, by name."""
        return {
            name: {
                "branch": None,
                "version": version,
                "manifest_size": size,
                "created_at": _timestamp(created),
                "updated_at": _timestamp(updated),
                "metadata": {},
            }
            for name, version, size, created, updated in self._dataset._native.tags()
        }

    def get_version(self, tag: str) -> int:
        return self._dataset._native.tag_version(tag)

    def create(self, tag: str, reference: Optional[int] = None) -> None:
        """Tags ``reference`` (a version number; the dataset's version when None)."""
        self._dataset._native.create_tag(tag, self._version(reference))

    def update(self, tag: str, reference: Optional[int] = None) -> None:
        """Moves an existing tag to ``reference``."""
        self._dataset._native.update_tag(tag, self._version(reference))

    def delete(self, tag: str) -> None:
        self._dataset._native.delete_tag(tag)

    def _version(self, reference: Any) -> int:
        if reference is None:
            return self._dataset.version
        if isinstance(reference, str):
            return self.get_version(reference)
        if isinstance(reference, bool) or not isinstance(reference, int):
            raise unsupported(f"tag references of type {type(reference).__name__} (branches)")
        return reference


def _timestamp(text: Optional[str]) -> Optional[datetime.datetime]:
    if not text:
        return None
    # RFC 3339 with nanoseconds: Python keeps microseconds.
    head, _, rest = text.rstrip("Z").partition(".")
    micros = (rest + "000000")[:6] if rest else "0"
    try:
        stamp = datetime.datetime.fromisoformat(head).replace(microsecond=int(micros))
    except ValueError:
        return None
    return stamp.replace(tzinfo=datetime.timezone.utc)


class DatasetOptimizer:
    """Compaction of a dataset in place (pylance's ``LanceDataset.optimize``)."""

    def __init__(self, dataset: "LanceDataset"):
        self._dataset = dataset

    def compact_files(
        self,
        *,
        target_rows_per_fragment: Optional[int] = None,
        max_rows_per_group: Optional[int] = None,
        max_bytes_per_file: Optional[int] = None,
        materialize_deletions: Optional[bool] = None,
        materialize_deletions_threshold: Optional[float] = None,
        defer_index_remap: Optional[bool] = None,
        num_threads: Optional[int] = None,
        batch_size: Optional[int] = None,
        **more: Any,
    ) -> "_optimize.CompactionMetrics":
        """Rewrites small adjacent fragments (and fragments with many deleted rows) as
        fragments of about ``target_rows_per_fragment`` rows, tasks in parallel here, one
        commit; the dataset moves to the new version. pylance's other options raise
        :class:`lancer.errors.UnsupportedError` when given."""
        options = dict(
            target_rows_per_fragment=target_rows_per_fragment,
            max_rows_per_group=max_rows_per_group,
            max_bytes_per_file=max_bytes_per_file,
            materialize_deletions=materialize_deletions,
            materialize_deletions_threshold=materialize_deletions_threshold,
            defer_index_remap=defer_index_remap,
            num_threads=num_threads,
            batch_size=batch_size,
            **more,
        )
        metrics, native, _ = _optimize.compact(self._dataset, options)
        if native is not None:
            self._dataset._native = native
        return metrics


def dataset(
    uri: Any,
    version: Optional[int] = None,
    storage_options: Optional[Dict[str, str]] = None,
) -> LanceDataset:
    """Opens the dataset at ``uri`` (a path, ``file://``, ``s3://``, ``az://`` or ``gs://``),
    at its latest version or at ``version``."""
    return LanceDataset(uri, version=version, storage_options=storage_options)


# write_dataset arguments pylance has and lancer takes only at their default value, with why.
_DEFAULT_ONLY = {
    "enable_stable_row_ids": (False, "stable row ids"),
    "enable_v2_manifest_paths": (True, "v1 manifest paths (lancer always writes v2 paths)"),
    "auto_cleanup_options": (None, "auto cleanup (run cleanup_old_versions instead)"),
    "commit_message": (None, "commit messages"),
    "transaction_properties": (None, "transaction properties"),
    "initial_bases": (None, "multiple base paths"),
    "target_bases": (None, "multiple base paths"),
    "target_all_bases": (None, "multiple base paths"),
    "base_store_params": (None, "multiple base paths"),
    "external_blob_mode": ("reference", "external blobs"),
    "allow_external_blob_outside_bases": (False, "external blobs"),
    "blob_pack_file_size_threshold": (None, "blob packing"),
    "namespace_client": (None, "namespaces"),
    "table_id": (None, "namespaces"),
    "session": (None, "sessions"),
}

# Arguments pylance tunes its own caches and pages with; lancer sizes pages by bytes.
_IGNORED = ("max_rows_per_group", "data_cache_bytes", "max_page_bytes")


def write_dataset(
    data_obj: Any,
    uri: Any = None,
    schema: Optional[pa.Schema] = None,
    mode: str = "create",
    *,
    max_rows_per_file: int = 1024 * 1024,
    max_bytes_per_file: int = 90 * 1024 * 1024 * 1024,
    commit_lock: Any = None,
    progress: Any = None,
    storage_options: Optional[Dict[str, str]] = None,
    data_storage_version: Optional[str] = None,
    use_legacy_format: Optional[bool] = None,
    **more: Any,
) -> LanceDataset:
    """Writes ``data_obj`` (any input :func:`lancer.fragment.write_fragments` takes) as a
    dataset at ``uri`` in one process, over the same path as a distributed write: the
    fragments are written, then committed as one version (pylance's ``write_dataset``).

    ``mode`` is ``"create"`` (refused if a dataset exists), ``"append"`` (creates the
    dataset when there is none) or ``"overwrite"`` (a new version with the data's schema).
    The version the write started from is its read version, so a concurrent Overwrite makes
    an append fail instead of landing on data it never saw. If the commit fails, the files
    written are removed (never one a version references). pylance options that change what
    is stored (stable row ids, blobs, bases, ...) raise
    :class:`lancer.errors.UnsupportedError` unless left at their default.
    """
    from .errors import DatasetNotFoundError

    if mode not in ("create", "append", "overwrite"):
        raise ValueError(f"Invalid mode {mode}: expected create, append or overwrite")
    if uri is None:
        raise ValueError("write_dataset needs the dataset's uri")
    for name, value in more.items():
        if name in _IGNORED:
            continue
        if name not in _DEFAULT_ONLY:
            raise TypeError(f"write_dataset() got an unexpected keyword argument {name!r}")
        default, what = _DEFAULT_ONLY[name]
        if value != default:
            raise unsupported(f"{what} ({name}={value!r})")
    if commit_lock is not None:
        raise unsupported("commit_lock; lancer's commits need no external lock")
    target = dataset_uri(uri)
    options = storage_options_of(storage_options)
    if options is None and isinstance(uri, LanceDataset):
        options = uri.storage_options
    try:
        existing: Optional[int] = _lancer.open_dataset(target, None, options).version
    except DatasetNotFoundError:
        existing = None
    if mode == "create" and existing is not None:
        from .errors import InvalidInputError

        raise InvalidInputError(f"invalid input: Dataset already exists: {target}")
    appending = mode == "append" and existing is not None
    fragments, written_schema = _write.write_with_schema(
        data_obj,
        target,
        schema,
        mode="append" if appending else "overwrite",
        max_rows_per_file=max_rows_per_file,
        max_bytes_per_file=max_bytes_per_file,
        progress=progress,
        data_storage_version=data_storage_version,
        use_legacy_format=use_legacy_format,
        storage_options=options,
    )
    if appending:
        operation: LanceOperation.BaseOperation = LanceOperation.Append(fragments)
    else:
        operation = LanceOperation.Overwrite(written_schema, fragments)
    try:
        return LanceDataset.commit(
            target, operation, read_version=existing or 0, storage_options=options
        )
    except BaseException:
        # Nothing references the new files unless the commit landed after all; abort
        # checks every version before it removes anything.
        try:
            _cleanup.abort(target, fragments, storage_options=options)
        except Exception:
            pass
        raise

