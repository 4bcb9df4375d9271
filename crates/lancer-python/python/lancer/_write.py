"""Writing on workers: :func:`write_fragments` turns any tabular input pylance takes into
data files of the dataset and returns their :class:`FragmentMetadata` (nothing committed)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

import pyarrow as pa

from . import _lancer
from ._common import dataset_uri as uri_of
from ._common import is_pandas, unsupported
from ._common import storage_options as storage_options_of
from ._metadata import FragmentMetadata
from .progress import native_hook

__all__ = ["write_fragments"]


_MODES = ("append", "overwrite", "create")


def _as_reader(data: Any, schema: Optional[pa.Schema]) -> pa.RecordBatchReader:
    """Any input pylance's writers take, as a RecordBatchReader."""
    return _watched_reader(data, schema)[0]


def _watched_reader(
    data: Any, schema: Optional[pa.Schema]
) -> Tuple[pa.RecordBatchReader, Optional["_Producer"]]:
    """:func:`_as_reader`, with the producer when the batches come from the user's
    iterable (whose exception a failed write raises unchanged)."""
    if isinstance(data, pa.RecordBatchReader):
        if schema is not None and not data.schema.equals(schema):
            return data.cast(schema), None
        return data, None
    if isinstance(data, dict):
        table = pa.Table.from_pydict(data, schema=schema)
    elif isinstance(data, pa.Table):
        table = data
    elif isinstance(data, pa.RecordBatch):
        table = pa.Table.from_batches([data])
    elif is_pandas(data):
        table = pa.Table.from_pandas(data, schema=schema, preserve_index=False)
    elif _is_arrow_dataset(data):
        return _as_reader(data.scanner().to_reader(), schema), None
    elif _is_arrow_scanner(data):
        return _as_reader(data.to_reader(), schema), None
    elif hasattr(data, "__arrow_c_stream__"):
        return _as_reader(pa.RecordBatchReader.from_stream(data), schema), None
    elif isinstance(data, list) and data and all(isinstance(row, dict) for row in data):
        table = pa.Table.from_pylist(data, schema=schema)
    elif isinstance(data, Iterable) and not isinstance(data, (str, bytes)):
        # Batches one at a time (a list, an iterator, a generator): read lazily, so an
        # endless or huge generator is written file by file, never held whole.
        if schema is None:
            raise ValueError(
                "a schema is needed to write from an iterable of RecordBatches (pass schema=)"
            )
        producer = _Producer(data, schema)
        return producer.reader, producer
    else:
        raise TypeError(
            "write_fragments takes a dict of lists, a list of dicts, a pyarrow Table, "
            "RecordBatch or RecordBatchReader, an iterable of RecordBatches (with schema=), "
            "a pyarrow Dataset or Scanner, a pandas DataFrame, or an object with "
            f"__arrow_c_stream__; got {type(data).__name__}"
        )
    if schema is not None and not table.schema.equals(schema):
        table = table.cast(schema)
    return table.to_reader(), None


class _Producer:
    """A reader over the user's iterable that keeps the exception the iterable raised, so
    the write can raise it unchanged (through the C stream it would arrive as text)."""

    def __init__(self, items: Iterable[Any], schema: pa.Schema):
        self.error: Optional[BaseException] = None
        self.reader = pa.RecordBatchReader.from_batches(schema, self._batches(items, schema))

    def _batches(self, items: Iterable[Any], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        try:
            for item in items:
                if isinstance(item, pa.Table):
                    yield from item.cast(schema).to_batches()
                    continue
                if not isinstance(item, pa.RecordBatch):
                    raise TypeError(
                        "an iterable written as data must yield RecordBatches, "
                        f"not {type(item).__name__}"
                    )
                if not item.schema.equals(schema):
                    item = item.cast(schema)
                yield item
        except BaseException as error:
            self.error = error
            raise


def _is_arrow_dataset(data: Any) -> bool:
    return type(data).__module__.startswith("pyarrow") and hasattr(data, "scanner") and hasattr(
        data, "schema"
    )


def _is_arrow_scanner(data: Any) -> bool:
    return type(data).__module__.startswith("pyarrow") and hasattr(data, "to_reader") and hasattr(
        data, "projected_schema"
    )


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
    _job: Optional[str] = None,
) -> List[FragmentMetadata]:
    """Writes ``data`` as new data files of the dataset at ``dataset_uri`` without committing
    them, and returns their fragments (ids 0 until the coordinator commits).

    If the dataset exists, ``data`` must have its columns (by name and type) and the files use
    its field ids; otherwise, or with ``mode="overwrite"`` (fragments for an Overwrite that
    may change the schema), ``schema`` (or the data's own) becomes the dataset's schema when
    the coordinator commits. ``mode="create"`` refuses an existing dataset.

    ``progress`` (a :class:`lancer.progress.FragmentWriteProgress`) hears of each data
    file as it is started and written. ``max_rows_per_group`` is accepted for pylance
    compatibility and ignored (lancer's pages are sized by bytes). ``data_storage_version`` (``"2.0"``,
    ``"2.1"``, ``"2.2"`` or ``"stable"``) is the Lance file format of a dataset the fragments
    create; it defaults to ``"2.2"``, as in pylance. Fragments for an existing dataset always
    take that dataset's version. ``"legacy"`` and the unstable ``"next"``
    raise :class:`lancer.errors.UnsupportedError`.
    """
    fragments, _ = write_with_schema(
        data,
        dataset_uri,
        schema,
        mode=mode,
        max_rows_per_file=max_rows_per_file,
        max_bytes_per_file=max_bytes_per_file,
        progress=progress,
        data_storage_version=data_storage_version,
        use_legacy_format=use_legacy_format,
        storage_options=storage_options,
        job=_job,
    )
    return fragments


def write_with_schema(
    data: Any,
    dataset_uri: Any,
    schema: Optional[pa.Schema],
    *,
    mode: str,
    max_rows_per_file: Optional[int],
    max_bytes_per_file: Optional[int],
    progress: Any,
    data_storage_version: Optional[str],
    use_legacy_format: Optional[bool],
    storage_options: Optional[Dict[str, str]],
    job: Optional[str] = None,
) -> Tuple[List[FragmentMetadata], pa.Schema]:
    """:func:`write_fragments`, also returning the Arrow schema of what was written (the
    schema an Overwrite of the fragments commits)."""
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {', '.join(_MODES)}, not {mode!r}")
    if use_legacy_format:
        raise unsupported("the legacy (0.1) file format")
    if max_rows_per_file is not None and max_rows_per_file <= 0:
        raise ValueError("max_rows_per_file must be positive")
    if max_bytes_per_file is not None and max_bytes_per_file <= 0:
        raise ValueError("max_bytes_per_file must be positive")
    uri = uri_of(dataset_uri)
    options = storage_options_of(storage_options)
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
    reader, producer = _watched_reader(data, schema)
    try:
        written = _lancer.write_fragments(
            reader,
            uri,
            max_rows_per_file=max_rows_per_file,
            max_bytes_per_file=max_bytes_per_file,
            storage_options=options,
            new_schema=new_schema,
            data_storage_version=data_storage_version,
            progress=native_hook(progress),
            job=job,
        )
    except Exception as error:
        if producer is not None and producer.error is not None:
            raise producer.error from error
        raise
    return [FragmentMetadata._from_checked_json(text) for text in written], reader.schema


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
    rows = isinstance(data, list) and bool(data) and all(isinstance(row, dict) for row in data)
    return rows or isinstance(data, dict) or is_pandas(data)


def _existing_schema(uri: str, options: Optional[Dict[str, str]]) -> Optional[pa.Schema]:
    from .errors import DatasetNotFoundError

    try:
        native = _lancer.open_dataset(uri, None, options)
    except DatasetNotFoundError:
        return None
    return native.schema
