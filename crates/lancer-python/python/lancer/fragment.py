"""Fragments: writing them on workers, describing them as JSON, adding columns to them.

Mirrors ``lance.fragment``: :func:`write_fragments`, :class:`FragmentMetadata` and
:class:`LanceFragment`. The metadata and the writer live in their own modules; this one is
the work on one fragment of a dataset (reading it, adding columns).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, List, Optional, Tuple

import pyarrow as pa

from ._common import is_pandas
from ._lancer import LanceSchema
from ._metadata import DataFile, DeletionFile, FragmentMetadata
from ._write import write_fragments

__all__ = ["DataFile", "DeletionFile", "FragmentMetadata", "LanceFragment", "write_fragments"]


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

    def count_rows(self) -> int:
        """Visible rows (deleted rows excluded)."""
        known = self._native.count_rows()
        if known is not None:
            return known
        return sum(batch.num_rows for batch in self.to_batches(columns=[]))

    def to_batches(
        self, columns: Optional[List[str]] = None, batch_size: Optional[int] = None
    ) -> Iterator[pa.RecordBatch]:
        return iter(self._native.scan(columns=columns, batch_size=batch_size))

    def to_table(self, columns: Optional[List[str]] = None) -> pa.Table:
        scan = self._native.scan(columns=columns)
        return pa.Table.from_batches(list(scan), schema=scan.schema)

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
        propagate unchanged. ``batch_size`` and ``reader_schema`` are accepted for pylance
        compatibility and ignored.
        """
        if isinstance(value_func, (dict, str)):
            from .errors import UnsupportedError

            raise UnsupportedError(
                "not supported: SQL expressions in merge_columns; pass a function that takes "
                "and returns a pyarrow RecordBatch"
            )
        if columns is None:
            columns = self._ds.schema.names

        def compute(batch: pa.RecordBatch) -> pa.RecordBatch:
            return _as_batch(value_func(batch))

        text, schema = self._native.merge_columns(compute, list(columns))
        return FragmentMetadata._from_checked_json(text), schema

    def __repr__(self) -> str:
        return f"LanceFileFragment(id={self.fragment_id}, data_files={self.metadata.files})"
