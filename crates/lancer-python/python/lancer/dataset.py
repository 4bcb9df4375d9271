"""Datasets: opening a version, reading it, and committing operations.

Mirrors the parts of ``lance.dataset`` a distributed write uses: :func:`dataset`,
:class:`LanceDataset` (with the static :meth:`LanceDataset.commit`) and
:class:`LanceOperation`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, List, Optional, Union

import pyarrow as pa

from . import _lancer
from ._lancer import LanceSchema
from .fragment import FragmentMetadata, LanceFragment, _options, _uri

__all__ = ["LanceDataset", "LanceOperation", "LanceScanner", "dataset"]

SchemaLike = Union[pa.Schema, LanceSchema]


def _fragments(fragments: Iterable[FragmentMetadata], operation: str) -> List[FragmentMetadata]:
    listed = list(fragments)
    for fragment in listed:
        if not isinstance(fragment, FragmentMetadata):
            raise TypeError(
                f"LanceOperation.{operation} takes FragmentMetadata objects (parse worker JSON "
                f"with FragmentMetadata.from_json), not {type(fragment).__name__}"
            )
    return listed


def _schema(schema: Any, operation: str) -> SchemaLike:
    if not isinstance(schema, (pa.Schema, LanceSchema)):
        raise TypeError(
            f"LanceOperation.{operation} takes a pyarrow Schema or a LanceSchema, "
            f"not {type(schema).__name__}"
        )
    return schema


class LanceOperation:
    """The operations a coordinator commits with :meth:`LanceDataset.commit`."""

    class BaseOperation:
        """An operation to commit."""

        _kind = ""

    @dataclass
    class Overwrite(BaseOperation):
        """Replace the dataset's contents (or create it) with ``fragments`` and
        ``new_schema``."""

        new_schema: SchemaLike
        fragments: Iterable[FragmentMetadata]
        _kind = "overwrite"

        def __post_init__(self) -> None:
            self.new_schema = _schema(self.new_schema, "Overwrite")
            self.fragments = _fragments(self.fragments, "Overwrite")

    class Append(BaseOperation):
        """Add ``fragments`` to the dataset. Written ``Append(fragments)`` as in pylance 14;
        the older ``Append(schema, fragments)`` is accepted too (the schema is not needed)."""

        _kind = "append"

        def __init__(self, *args: Any, fragments: Optional[Iterable[FragmentMetadata]] = None):
            if fragments is not None and not args:
                listed = fragments
            elif len(args) == 1 and fragments is None:
                listed = args[0]
            elif len(args) == 2 and fragments is None and isinstance(args[0], (pa.Schema, LanceSchema)):
                listed = args[1]
            else:
                raise TypeError("LanceOperation.Append takes the fragments: Append(fragments)")
            self.fragments = _fragments(listed, "Append")

        def __repr__(self) -> str:
            return f"Append(fragments={self.fragments!r})"

        def __eq__(self, other: object) -> bool:
            return isinstance(other, LanceOperation.Append) and self.fragments == other.fragments

    @dataclass
    class Merge(BaseOperation):
        """Replace the fragment list with ``fragments`` (every fragment of the version it was
        built on, with their new data files) under ``schema``, usually the schema
        :meth:`LanceFragment.merge_columns` returned."""

        fragments: Iterable[FragmentMetadata]
        schema: SchemaLike
        _kind = "merge"

        def __post_init__(self) -> None:
            self.fragments = _fragments(self.fragments, "Merge")
            self.schema = _schema(self.schema, "Merge")


def _collect(scan: Any) -> pa.Table:
    """Every batch of a native scan, as one table (errors raised as lancer exceptions)."""
    return pa.Table.from_batches(list(scan), schema=scan.schema)


class LanceScanner:
    """A scan of a dataset version; nothing is read until a ``to_*`` method is called."""

    def __init__(
        self,
        ds: "LanceDataset",
        columns: Optional[List[str]],
        limit: Optional[int],
        batch_size: Optional[int],
        fragment_ids: Optional[List[int]],
    ):
        self._ds = ds
        self._args = dict(
            columns=list(columns) if columns is not None else None,
            limit=limit,
            batch_size=batch_size,
            fragment_ids=fragment_ids,
        )

    def _start(self) -> Any:
        return self._ds._native.scan(**self._args)

    def to_reader(self) -> pa.RecordBatchReader:
        scan = self._start()
        return pa.RecordBatchReader.from_batches(scan.schema, scan)

    def to_batches(self) -> Iterator[pa.RecordBatch]:
        return iter(self._start())

    def to_table(self) -> pa.Table:
        return _collect(self._start())

    def count_rows(self) -> int:
        return sum(batch.num_rows for batch in self.to_batches())

    @property
    def projected_schema(self) -> pa.Schema:
        return self._start().schema


class LanceDataset:
    """One version of a Lance dataset."""

    def __init__(
        self,
        uri: Any,
        version: Optional[int] = None,
        storage_options: Optional[Dict[str, str]] = None,
    ):
        self._options = _options(storage_options)
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            raise TypeError(f"version must be an int, not {type(version).__name__}")
        self._native = _lancer.open_dataset(_uri(uri), version, self._options)

    @classmethod
    def _wrap(cls, native: Any, options: Optional[Dict[str, str]]) -> "LanceDataset":
        ds = object.__new__(cls)
        ds._native = native
        ds._options = options
        return ds

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
        limit: Optional[int] = None,
        batch_size: Optional[int] = None,
        fragments: Optional[Iterable[Union[LanceFragment, int]]] = None,
    ) -> LanceScanner:
        ids = None
        if fragments is not None:
            ids = [f.fragment_id if isinstance(f, LanceFragment) else int(f) for f in fragments]
        return LanceScanner(self, columns, limit, batch_size, ids)

    def to_table(
        self,
        columns: Optional[List[str]] = None,
        limit: Optional[int] = None,
        batch_size: Optional[int] = None,
        fragments: Optional[Iterable[Union[LanceFragment, int]]] = None,
    ) -> pa.Table:
        return self.scanner(columns, limit, batch_size, fragments).to_table()

    def to_batches(
        self,
        columns: Optional[List[str]] = None,
        limit: Optional[int] = None,
        batch_size: Optional[int] = None,
        fragments: Optional[Iterable[Union[LanceFragment, int]]] = None,
    ) -> Iterator[pa.RecordBatch]:
        return self.scanner(columns, limit, batch_size, fragments).to_batches()

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
        it. ``read_version`` is the version the operation was built from (0 to create the
        dataset with an Overwrite; None means the latest, except for a Merge, which must say).

        Concurrent commits are safe: lancer retries over commits that do not conflict, and
        raises :class:`lancer.errors.CommitConflictError` (or ``CommitRebuildError``) when one
        does. Every data file is checked against its fragment before anything is committed.
        """
        if commit_lock is not None:
            from .errors import UnsupportedError

            raise UnsupportedError(
                "not supported: commit_lock; lancer commits with the store's atomic "
                "create-if-absent and needs no external lock"
            )
        if not isinstance(operation, LanceOperation.BaseOperation):
            raise TypeError(f"commit takes a LanceOperation, not {type(operation).__name__}")
        if isinstance(operation, LanceOperation.Overwrite):
            schema = operation.new_schema
        elif isinstance(operation, LanceOperation.Merge):
            schema = operation.schema
        else:
            schema = None
        options = _options(storage_options)
        native = _lancer.commit(
            _uri(base_uri),
            operation._kind,
            [fragment._json for fragment in operation.fragments],
            schema=schema,
            read_version=read_version,
            storage_options=options,
            max_retries=max_retries,
        )
        return LanceDataset._wrap(native, options)

    def __repr__(self) -> str:
        return f"LanceDataset(uri={self.uri!r}, version={self.version})"


def dataset(
    uri: Any,
    version: Optional[int] = None,
    storage_options: Optional[Dict[str, str]] = None,
) -> LanceDataset:
    """Opens the dataset at ``uri`` (a path, ``file://``, ``s3://``, ``az://`` or ``gs://``),
    at its latest version or at ``version``."""
    return LanceDataset(uri, version=version, storage_options=storage_options)
