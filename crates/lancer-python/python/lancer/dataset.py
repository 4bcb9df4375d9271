"""Datasets: opening a version, reading it, and committing operations.

Mirrors the parts of ``lance.dataset`` a distributed write uses: :func:`dataset`,
:class:`LanceDataset` (with the static :meth:`LanceDataset.commit`) and
:class:`LanceOperation`.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, Iterable, Iterator, List, Optional, Union

import pyarrow as pa

from . import _cleanup, _commit, _lancer, optimize as _optimize
from ._commit import LanceOperation
from ._common import DatasetLike, dataset_uri
from ._common import storage_options as storage_options_of
from ._lancer import LanceSchema
from .fragment import LanceFragment

__all__ = ["LanceDataset", "LanceOperation", "LanceScanner", "dataset"]

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
    ):
        if limit is not None and limit < 0:
            raise ValueError("limit must not be negative")
        if offset is not None and offset < 0:
            raise ValueError("offset must not be negative")
        self._ds = ds
        self._offset = offset or 0
        self._args = dict(
            columns=list(columns) if columns is not None else None,
            limit=None if limit is None else limit + self._offset,
            batch_size=batch_size,
            fragment_ids=fragment_ids,
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
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            raise TypeError(f"version must be an int, not {type(version).__name__}")
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

    def checkout_version(self, version: int) -> "LanceDataset":
        return LanceDataset._wrap(self._native.checkout_version(version), self._options)

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
        *,
        fragments: Optional[Iterable[Union[LanceFragment, int]]] = None,
    ) -> LanceScanner:
        """A scan of this version: ``columns`` (all when None), ``limit`` rows after skipping
        ``offset``, in batches of up to ``batch_size`` rows, from ``fragments`` (all when
        None). The arguments are in pylance's order; ``filter`` and ``nearest`` are not
        supported and raise :class:`lancer.errors.UnsupportedError` when given."""
        for name, value in (("filter", filter), ("nearest", nearest)):
            if value is not None:
                from .errors import UnsupportedError

                raise UnsupportedError(f"not supported: scans with {name}")
        ids = None
        if fragments is not None:
            ids = [f.fragment_id if isinstance(f, LanceFragment) else int(f) for f in fragments]
        return LanceScanner(self, columns, limit, offset, batch_size, ids)

    def to_table(
        self,
        columns: Optional[List[str]] = None,
        filter: Any = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        nearest: Any = None,
        batch_size: Optional[int] = None,
        *,
        fragments: Optional[Iterable[Union[LanceFragment, int]]] = None,
    ) -> pa.Table:
        """The rows as one table; arguments as :meth:`scanner`."""
        return self.scanner(columns, filter, limit, offset, nearest, batch_size, fragments=fragments).to_table()

    def to_batches(
        self,
        columns: Optional[List[str]] = None,
        filter: Any = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        nearest: Any = None,
        batch_size: Optional[int] = None,
        *,
        fragments: Optional[Iterable[Union[LanceFragment, int]]] = None,
    ) -> Iterator[pa.RecordBatch]:
        """The rows batch by batch; arguments as :meth:`scanner`."""
        return self.scanner(columns, filter, limit, offset, nearest, batch_size, fragments=fragments).to_batches()

    def head(self, num_rows: int) -> pa.Table:
        return self.to_table(limit=num_rows)

    @staticmethod
    def commit(
        base_uri: Any,
        operation: LanceOperation.BaseOperation,
        read_version: Optional[int] = None,
        commit_lock: Any = None,
        storage_options: Optional[Dict[str, str]] = None,
        max_retries: int = 20,
    ) -> "LanceDataset":
        """Commits ``operation`` to the dataset at ``base_uri`` as one new version and returns
        it. ``read_version`` is the version the operation was built from: 0 creates the
        dataset with an Overwrite (and is refused if the dataset exists, where pylance would
        overwrite it: pass the version you read instead); None means the latest version (0
        when there is none), which pylance allows only for an Overwrite; a Merge must say.

        Concurrent commits are safe: lancer retries over commits that do not conflict, and
        raises :class:`lancer.errors.CommitConflictError` (or ``CommitRebuildError``) when one
        does. Every data file is checked against its fragment before anything is committed.
        """
        native, options = _commit.commit(
            base_uri,
            operation,
            read_version=read_version,
            commit_lock=commit_lock,
            storage_options=storage_options,
            max_retries=max_retries,
        )
        return LanceDataset._wrap(native, options)

    def __repr__(self) -> str:
        return f"LanceDataset(uri={self.uri!r}, version={self.version})"


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
