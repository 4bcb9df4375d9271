"""What every capability module shares: dataset URIs, storage options, pandas detection
and the exceptions made in Python. Imports no other module of the package but the native
one and ``errors``."""

from __future__ import annotations

import abc
import os
from typing import Any, Dict, List, Optional


class DatasetLike(abc.ABC):
    """Something that names a dataset by its ``uri`` (``LanceDataset`` registers itself), so
    functions taking a URI take a dataset too."""

    @property
    @abc.abstractmethod
    def uri(self) -> str: ...

    @property
    def storage_options(self) -> Optional[Dict[str, str]]:
        """The storage options the dataset was opened with."""
        return None


def dataset_uri(uri: Any) -> str:
    """A dataset URI from a string, a path-like object or a dataset. A local path starting
    with ``~`` is expanded to the home directory, as pylance does (``~`` is never a
    directory anyone meant to create)."""
    if isinstance(uri, (str, os.PathLike)):
        text = os.fspath(uri)
        if isinstance(text, bytes):
            text = os.fsdecode(text)
        return os.path.expanduser(text) if text.startswith("~") else text
    if isinstance(uri, DatasetLike):
        return uri.uri
    raise TypeError(f"a dataset URI is a string or a path, not {type(uri).__name__}")


def storage_options(options: Optional[Dict[str, str]]) -> Optional[Dict[str, str]]:
    """Storage options as the native module takes them (strings both sides)."""
    if options is None:
        return None
    return {str(key): str(value) for key, value in options.items()}


def is_pandas(data: Any) -> bool:
    return type(data).__module__.split(".")[0] == "pandas" and hasattr(data, "to_records")


def unsupported(what: str) -> Exception:
    from .errors import UnsupportedError

    return UnsupportedError(f"not supported: {what}")


def column_list(columns: Any) -> Optional[List[str]]:
    """A projection as a list of column names. pylance also takes a dict of SQL expressions
    (computed columns); lancer refuses it rather than return the named columns unchanged."""
    if columns is None:
        return None
    if isinstance(columns, dict):
        raise unsupported(
            "computed columns (a dict of SQL expressions) in columns=; pass a list of column names"
        )
    if isinstance(columns, (str, bytes)):
        raise TypeError("columns is a list of column names, not a string")
    return [str(name) for name in columns]


# Scan arguments pylance uses to tune reads: lancer's scans need none of them.
_SCAN_HINTS = frozenset(
    {
        "batch_size_bytes",
        "batch_readahead",
        "fragment_readahead",
        "scan_in_order",
        "prefilter",
        "use_stats",
        "fast_search",
        "io_buffer_size",
        "late_materialization",
        "use_scalar_index",
        "disable_scoring_autoprojection",
        "blob_handling",
    }
)

# Scan arguments that change which rows come back, or how: refused when set.
_SCAN_REFUSED = {
    "filter": "scans with a filter",
    "nearest": "vector search (nearest)",
    "index_segments": "index segments",
    "full_text_query": "full-text search",
    "order_by": "ordered scans (order_by)",
    "include_deleted_rows": "scans that include deleted rows",
    "row_addr_allowlist": "row address allow lists",
    "row_addr_blocklist": "row address block lists",
    "scan_stats_callback": "scan statistics callbacks",
    "strict_batch_size": "strict batch sizes (batches never span fragments)",
}


def check_scan_options(**options: Any) -> None:
    """Refuses scan arguments lancer cannot honour; accepts pylance's tuning hints."""
    for name, value in options.items():
        if name in _SCAN_HINTS:
            continue
        if name not in _SCAN_REFUSED:
            raise TypeError(f"unexpected scan argument {name!r}")
        if value is not None and value is not False:
            raise unsupported(_SCAN_REFUSED[name])


def row_offsets(indices: Any) -> List[int]:
    """Row positions as the native take wants them: non-negative ints."""
    if hasattr(indices, "to_pylist"):
        indices = indices.to_pylist()
    import operator

    offsets = []
    for index in indices:
        if isinstance(index, bool):
            raise TypeError("row indices are integers, not booleans")
        # operator.index takes ints and numpy integers, and refuses floats (1.5 is no row).
        index = operator.index(index)
        if index < 0:
            raise ValueError(f"row indices must not be negative, got {index}")
        offsets.append(index)
    return offsets
