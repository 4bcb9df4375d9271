"""Fragments: writing them on workers, describing them as JSON, adding columns to them.

Mirrors ``lance.fragment``: :func:`write_fragments`, :class:`FragmentMetadata` and
:class:`LanceFragment`. The metadata and the writer live in their own modules; this one is
the work on one fragment of a dataset (reading it, adding columns).
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pyarrow as pa

from ._common import column_list, is_pandas, row_offsets
from ._lancer import LanceSchema
from ._metadata import DataFile, DeletionFile, FragmentMetadata
from ._write import write_fragments

__all__ = ["DataFile", "DeletionFile", "FragmentMetadata", "LanceFragment", "write_fragments"]

# One file however large: the most rows and bytes the native writer takes.
_NO_LIMIT = 2**63 - 1


def _as_batch(value: Any) -> pa.RecordBatch:
    """What a merge function returned, as one RecordBatch."""
    if isinstance(value, pa.RecordBatch):
        return value
    if isinstance(value, pa.Table):
        batches = value.combine_chunks().to_batches()
        return batches[0] if batches else pa.RecordBatch.from_pylist([], schema=value.schema)
    if isinstance(value, dict):
        return pa.RecordBatch.from_pydict(value)
    if is_pandas(value):
        return pa.RecordBatch.from_pandas(value, preserve_index=False)
    raise TypeError(
        "the merge function must return a pyarrow RecordBatch or Table, a dict of arrays or a "
        f"pandas DataFrame, not {type(value).__name__}"
    )


class LanceFragment:
    """One fragment of a dataset version, as :meth:`LanceDataset.get_fragments` gives it."""

    def __init__(self, dataset: Any, native: Any):
        self._ds = dataset
        self._native = native

    @staticmethod
    def create(
        dataset_uri: Any,
        data: Any,
        fragment_id: Optional[int] = None,
        schema: Optional[pa.Schema] = None,
        max_rows_per_group: Optional[int] = 1024,
        progress: Any = None,
        mode: str = "append",
        *,
        data_storage_version: Optional[str] = None,
        use_legacy_format: Optional[bool] = None,
        storage_options: Optional[Dict[str, str]] = None,
    ) -> FragmentMetadata:
        """Writes ``data`` as one fragment (one data file, however many rows) of the dataset
        at ``dataset_uri`` without committing it, as :func:`write_fragments` does, and
        returns its metadata with id ``fragment_id`` (0 when None: a commit numbers it).
        Empty data is refused: a fragment holds at least one row."""
        if fragment_id is not None and (
            isinstance(fragment_id, bool) or not isinstance(fragment_id, int) or fragment_id < 0
        ):
            raise ValueError(f"fragment_id must be a non-negative int, not {fragment_id!r}")
        fragments = write_fragments(
            data,
            dataset_uri,
            schema,
            mode=mode,
            max_rows_per_file=_NO_LIMIT,
            max_bytes_per_file=_NO_LIMIT,
            progress=progress,
            data_storage_version=data_storage_version,
            use_legacy_format=use_legacy_format,
            storage_options=storage_options,
        )
        if not fragments:
            from .errors import InvalidInputError

            raise InvalidInputError("invalid input: Input data was empty (a fragment needs rows)")
        (fragment,) = fragments
        if fragment_id:
            raw = fragment.to_json()
            raw["id"] = fragment_id
            fragment = FragmentMetadata.from_json(json.dumps(raw))
        return fragment

    @property
    def fragment_id(self) -> int:
        return self._native.id

    @property
    def metadata(self) -> FragmentMetadata:
        return FragmentMetadata._from_checked_json(self._native.metadata_json())

    @property
    def physical_rows(self) -> Optional[int]:
        return self.metadata.physical_rows

    def data_files(self) -> List[DataFile]:
        return self.metadata.files

    def deletion_file(self) -> Optional[DeletionFile]:
        return self.metadata.deletion_file

    @property
    def schema(self) -> pa.Schema:
        return self._ds.schema

    def delete(self, predicate: str) -> Any:
        from ._common import unsupported

        raise unsupported("deleting rows (predicates come with SQL support)")

    def count_rows(self, filter: Any = None) -> int:
        """Visible rows (deleted rows excluded). A ``filter`` raises
        :class:`lancer.errors.UnsupportedError`."""
        if filter is not None:
            from ._common import unsupported

            raise unsupported("count_rows with a filter")
        known = self._native.count_rows()
        if known is not None:
            return known
        return sum(batch.num_rows for batch in self.to_batches(columns=[]))

    def scanner(
        self,
        *,
        columns: Optional[List[str]] = None,
        batch_size: Optional[int] = None,
        filter: Any = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        with_row_id: bool = False,
        with_row_address: bool = False,
        **options: Any,
    ) -> Any:
        """A scan of this fragment's rows; arguments as ``LanceDataset.scanner``."""
        return self._ds.scanner(
            columns,
            filter,
            limit,
            offset,
            None,
            batch_size,
            fragments=[self.fragment_id],
            with_row_id=with_row_id,
            with_row_address=with_row_address,
            **options,
        )

    def to_batches(
        self,
        columns: Optional[List[str]] = None,
        batch_size: Optional[int] = None,
        **arguments: Any,
    ) -> Iterator[pa.RecordBatch]:
        """The fragment's rows batch by batch; arguments as :meth:`scanner`."""
        return self.scanner(columns=columns, batch_size=batch_size, **arguments).to_batches()

    def to_table(
        self,
        columns: Optional[List[str]] = None,
        filter: Any = None,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        with_row_id: bool = False,
        with_row_address: bool = False,
        **options: Any,
    ) -> pa.Table:
        """The fragment's rows as one table; arguments as :meth:`scanner`."""
        return self.scanner(
            columns=columns,
            filter=filter,
            limit=limit,
            offset=offset,
            with_row_id=with_row_id,
            with_row_address=with_row_address,
            **options,
        ).to_table()

    def take(self, indices: Any, columns: Optional[List[str]] = None) -> pa.Table:
        """The rows at ``indices`` among this fragment's visible rows, in that order."""
        batch = self._native.take(row_offsets(indices), column_list(columns))
        return pa.Table.from_batches([batch])

    def merge_columns(
        self,
        value_func: Callable[[pa.RecordBatch], Any],
        columns: Optional[List[str]] = None,
        batch_size: Optional[int] = None,
        reader_schema: Optional[pa.Schema] = None,
    ) -> Tuple[FragmentMetadata, LanceSchema]:
        """Adds the columns ``value_func`` computes as a new data file of this fragment,
        without rewriting the existing ones.

        ``value_func`` gets each batch of ``columns`` (all columns when None; every physical
        row, deleted ones too, so the new file lines up) and returns the new columns for those
        rows. Returns the fragment's new metadata and the dataset's new schema, for a
        ``LanceOperation.Merge`` listing every fragment. Exceptions from ``value_func``
        propagate unchanged. ``value_func`` gets batches of at most ``batch_size`` rows
        (1024 when None, as in pylance), which bounds what it holds in memory.
        ``reader_schema`` (for a reader as ``value_func``, which lancer does not take) must
        be None.
        """
        if isinstance(value_func, (dict, str)):
            from .errors import UnsupportedError

            raise UnsupportedError(
                "not supported: SQL expressions in merge_columns; pass a function that takes "
                "and returns a pyarrow RecordBatch"
            )
        if reader_schema is not None:
            from .errors import UnsupportedError

            raise UnsupportedError(
                "not supported: reader_schema (lancer's merge_columns takes a function)"
            )
        if batch_size is None:
            batch_size = 1024
        elif isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive int, not {batch_size!r}")
        columns = column_list(columns)
        if columns is None:
            columns = self._ds.schema.names

        def compute(batch: pa.RecordBatch) -> pa.RecordBatch:
            return _as_batch(value_func(batch))

        text, schema = self._native.merge_columns(compute, list(columns), batch_size)
        return FragmentMetadata._from_checked_json(text), schema

    def __reduce__(self) -> Any:
        # A fragment travels as its dataset (which opens again) and its id.
        return (_fragment_of, (self._ds, self.fragment_id))

    def __repr__(self) -> str:
        return f"LanceFileFragment(id={self.fragment_id}, data_files={self.metadata.files})"


def _fragment_of(dataset: Any, fragment_id: int) -> "LanceFragment":
    fragment = dataset.get_fragment(fragment_id)
    if fragment is None:
        raise ValueError(f"version {dataset.version} has no fragment {fragment_id}")
    return fragment
