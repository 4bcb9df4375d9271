"""Fragments: writing them on workers, describing them as JSON, adding columns to them.

Mirrors ``lance.fragment``: :func:`write_fragments`, :class:`FragmentMetadata` and
:class:`LanceFragment`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Tuple

import pyarrow as pa

from . import _lancer
from ._lancer import LanceSchema

if TYPE_CHECKING:
    from .dataset import LanceDataset

__all__ = ["DataFile", "DeletionFile", "FragmentMetadata", "LanceFragment", "write_fragments"]


class _CallablePath(str):
    """A path that can also be called, as pylance's ``DataFile.path`` (once a method) can."""

    def __call__(self) -> str:
        return str(self)


class DataFile:
    """One data file of a fragment (read-only view of the fragment's JSON)."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Dict[str, Any]):
        self._raw = raw

    @property
    def path(self) -> str:
        """Path relative to the dataset's ``data/`` directory."""
        return _CallablePath(self._raw["path"])

    @property
    def fields(self) -> List[int]:
        """Field ids of the columns the file holds."""
        return list(self._raw["fields"])

    @property
    def column_indices(self) -> List[int]:
        """Column index in the file of each field."""
        return list(self._raw.get("column_indices", []))

    @property
    def file_major_version(self) -> int:
        return self._raw.get("file_major_version", 0)

    @property
    def file_minor_version(self) -> int:
        return self._raw.get("file_minor_version", 0)

    @property
    def file_size_bytes(self) -> Optional[int]:
        return self._raw.get("file_size_bytes")

    def __repr__(self) -> str:
        return (
            f"DataFile(path={self.path!r}, fields={self.fields}, "
            f"column_indices={self.column_indices}, "
            f"file_major_version={self.file_major_version}, "
            f"file_minor_version={self.file_minor_version}, "
            f"file_size_bytes={self.file_size_bytes})"
        )


class DeletionFile:
    """The deletion vector of a fragment (read-only view of the fragment's JSON)."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Dict[str, Any]):
        self._raw = raw

    @property
    def file_type(self) -> str:
        return self._raw["file_type"]

    @property
    def read_version(self) -> int:
        return self._raw["read_version"]

    @property
    def id(self) -> int:
        return self._raw["id"]

    @property
    def num_deleted_rows(self) -> Optional[int]:
        return self._raw.get("num_deleted_rows")

    def __repr__(self) -> str:
        return (
            f"DeletionFile(file_type={self.file_type!r}, read_version={self.read_version}, "
            f"id={self.id}, num_deleted_rows={self.num_deleted_rows})"
        )


class FragmentMetadata:
    """What a worker hands to the coordinator: a fragment's id, data files and row count.

    Made by :func:`write_fragments` or :meth:`LanceFragment.merge_columns`, or parsed with
    :meth:`from_json`. It holds pylance's JSON form, checked by lancer (paths stay inside the
    dataset, counts are consistent), so it pickles and compares by content.
    """

    __slots__ = ("_json", "_raw")

    def __init__(self, *args: Any, **kwargs: Any):
        raise TypeError(
            "FragmentMetadata is made by write_fragments, merge_columns or "
            "FragmentMetadata.from_json"
        )

    @classmethod
    def _from_checked_json(cls, text: str) -> "FragmentMetadata":
        fragment = object.__new__(cls)
        fragment._json = text
        fragment._raw = json.loads(text)
        return fragment

    @staticmethod
    def from_json(json_data: str) -> "FragmentMetadata":
        """Parses the JSON of one fragment (a string, as ``json.dumps(f.to_json())`` made it,
        by lancer or pylance). Raises :class:`lancer.errors.InvalidInputError` for JSON that
        is malformed or unsafe."""
        if isinstance(json_data, (bytes, bytearray)):
            json_data = json_data.decode("utf-8")
        if not isinstance(json_data, str):
            raise TypeError(
                f"FragmentMetadata.from_json takes a JSON string, not {type(json_data).__name__}"
            )
        return FragmentMetadata._from_checked_json(_lancer.normalize_fragment_json(json_data))

    def to_json(self) -> Dict[str, Any]:
        """The fragment as a JSON-ready dict (pylance's keys)."""
        return json.loads(self._json)

    @property
    def id(self) -> int:
        return self._raw["id"]

    @property
    def files(self) -> List[DataFile]:
        return [DataFile(f) for f in self._raw.get("files", [])]

    def data_files(self) -> List[DataFile]:
        return self.files

    @property
    def physical_rows(self) -> Optional[int]:
        return self._raw.get("physical_rows")

    @property
    def deletion_file(self) -> Optional[DeletionFile]:
        raw = self._raw.get("deletion_file")
        return DeletionFile(raw) if raw is not None else None

    @property
    def row_id_meta(self) -> Any:
        return self._raw.get("row_id_meta")

    @property
    def num_deletions(self) -> int:
        deletion = self.deletion_file
        return (deletion.num_deleted_rows or 0) if deletion is not None else 0

    @property
    def num_rows(self) -> Optional[int]:
        """Visible rows (physical rows minus deleted ones), when known."""
        if self.physical_rows is None:
            return None
        return self.physical_rows - self.num_deletions

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FragmentMetadata):
            return NotImplemented
        return self._raw == other._raw

    def __hash__(self) -> int:
        return hash(self._json)

    def __reduce__(self):
        return (FragmentMetadata.from_json, (self._json,))

    def __repr__(self) -> str:
        return (
            f"FragmentMetadata(id={self.id}, files={self.files}, "
            f"physical_rows={self.physical_rows}, deletion_file={self.deletion_file}, "
            f"row_id_meta={self.row_id_meta})"
        )


_MODES = ("append", "overwrite", "create")


def _is_pandas(data: Any) -> bool:
    return type(data).__module__.split(".")[0] == "pandas" and hasattr(data, "to_records")


def _as_reader(data: Any, schema: Optional[pa.Schema]) -> pa.RecordBatchReader:
    """Any input pylance's write_fragments takes, as a RecordBatchReader."""
    if isinstance(data, pa.RecordBatchReader):
        if schema is not None and not data.schema.equals(schema):
            return data.cast(schema)
        return data
    if isinstance(data, dict):
        table = pa.Table.from_pydict(data, schema=schema)
    elif isinstance(data, pa.Table):
        table = data
    elif isinstance(data, pa.RecordBatch):
        table = pa.Table.from_batches([data])
    elif _is_pandas(data):
        table = pa.Table.from_pandas(data, schema=schema, preserve_index=False)
    elif isinstance(data, list) and all(isinstance(row, dict) for row in data):
        table = pa.Table.from_pylist(data, schema=schema)
    elif hasattr(data, "__arrow_c_stream__"):
        return _as_reader(pa.RecordBatchReader.from_stream(data), schema)
    else:
        raise TypeError(
            "write_fragments takes a dict of lists, a list of dicts, a pyarrow Table, "
            "RecordBatch or RecordBatchReader, a pandas DataFrame, or an object with "
            f"__arrow_c_stream__; got {type(data).__name__}"
        )
    if schema is not None and not table.schema.equals(schema):
        table = table.cast(schema)
    return table.to_reader()


def write_fragments(
    data: Any,
    dataset_uri: Any,
    schema: Optional[pa.Schema] = None,
    *,
    mode: str = "append",
    max_rows_per_file: int = 1024 * 1024,
    max_rows_per_group: Optional[int] = None,
    max_bytes_per_file: Optional[int] = None,
    progress: Any = None,
    data_storage_version: Optional[str] = None,
    use_legacy_format: Optional[bool] = None,
    storage_options: Optional[Dict[str, str]] = None,
) -> List[FragmentMetadata]:
    """Writes ``data`` as new data files of the dataset at ``dataset_uri`` without committing
    them, and returns their fragments (ids 0 until the coordinator commits).

    If the dataset exists, ``data`` must have its columns (by name and type) and the files use
    its field ids; otherwise, or with ``mode="overwrite"`` (fragments for an Overwrite that
    may change the schema), ``schema`` (or the data's own) becomes the dataset's schema when
    the coordinator commits. ``mode="create"`` refuses an existing dataset.

    ``max_rows_per_group`` and ``progress`` are accepted for pylance compatibility and
    ignored (lancer's pages are sized by bytes). ``data_storage_version`` (``"2.0"``,
    ``"2.1"``, ``"2.2"`` or ``"stable"``) is the Lance file format of a dataset the fragments
    create; it defaults to ``"2.2"``, as in pylance. Fragments for an existing dataset always
    take that dataset's version. ``"legacy"`` and the unstable ``"next"``
    raise :class:`lancer.errors.UnsupportedError`.
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {', '.join(_MODES)}, not {mode!r}")
    if use_legacy_format:
        raise _unsupported("the legacy (0.1) file format")
    if max_rows_per_file is not None and max_rows_per_file <= 0:
        raise ValueError("max_rows_per_file must be positive")
    if max_bytes_per_file is not None and max_bytes_per_file <= 0:
        raise ValueError("max_bytes_per_file must be positive")
    uri = _uri(dataset_uri)
    options = _options(storage_options)
    new_schema = mode in ("overwrite", "create")
    if mode == "create" and _existing_schema(uri, options) is not None:
        from .errors import InvalidInputError

        raise InvalidInputError(f"invalid input: mode='create' but a dataset exists at {uri}")
    if schema is None and not new_schema and _types_are_guessed(data):
        existing = _existing_schema(uri, options)
        if existing is not None:
            # Python values carry no Arrow types (an int could be int8 or int64): the
            # dataset's schema says what they are, as it does for pylance.
            data = _conform(_as_reader(data, None).read_all(), existing)
    reader = _as_reader(data, schema)
    written = _lancer.write_fragments(
        reader,
        uri,
        max_rows_per_file=max_rows_per_file,
        max_bytes_per_file=max_bytes_per_file,
        storage_options=options,
        new_schema=new_schema,
        data_storage_version=data_storage_version,
    )
    return [FragmentMetadata._from_checked_json(text) for text in written]


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` (built from Python values) with the dataset's columns and types."""
    from .errors import InvalidInputError

    given, wanted = set(table.column_names), set(schema.names)
    if given != wanted:
        raise InvalidInputError(
            "invalid input: the data's columns do not match the dataset's: "
            f"unexpected {sorted(given - wanted)}, missing {sorted(wanted - given)}"
        )
    try:
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise InvalidInputError(f"invalid input: the data does not fit the dataset's types: {error}") from None


def _types_are_guessed(data: Any) -> bool:
    return isinstance(data, (dict, list)) or _is_pandas(data)


def _existing_schema(uri: str, options: Optional[Dict[str, str]]) -> Optional[pa.Schema]:
    from .errors import DatasetNotFoundError

    try:
        native = _lancer.open_dataset(uri, None, options)
    except DatasetNotFoundError:
        return None
    return native.schema


def _unsupported(what: str) -> Exception:
    from .errors import UnsupportedError

    return UnsupportedError(f"not supported: {what}")


def _uri(uri: Any) -> str:
    """A dataset URI from a string, a path-like object or a dataset."""
    import os

    if isinstance(uri, (str, os.PathLike)):
        return os.fspath(uri)
    if type(uri).__name__ == "LanceDataset" and isinstance(getattr(uri, "uri", None), str):
        return uri.uri
    raise TypeError(f"a dataset URI is a string or a path, not {type(uri).__name__}")


def _options(options: Optional[Dict[str, str]]) -> Optional[Dict[str, str]]:
    if options is None:
        return None
    return {str(key): str(value) for key, value in options.items()}


def _as_batch(value: Any) -> pa.RecordBatch:
    """What a merge function returned, as one RecordBatch."""
    if isinstance(value, pa.RecordBatch):
        return value
    if isinstance(value, pa.Table):
        batches = value.combine_chunks().to_batches()
        return batches[0] if batches else pa.RecordBatch.from_pylist([], schema=value.schema)
    if isinstance(value, dict):
        return pa.RecordBatch.from_pydict(value)
    if _is_pandas(value):
        return pa.RecordBatch.from_pandas(value, preserve_index=False)
    raise TypeError(
        "the merge function must return a pyarrow RecordBatch or Table, a dict of arrays or a "
        f"pandas DataFrame, not {type(value).__name__}"
    )


class LanceFragment:
    """One fragment of a dataset version, as :meth:`LanceDataset.get_fragments` gives it."""

    def __init__(self, dataset: "LanceDataset", native: Any):
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
