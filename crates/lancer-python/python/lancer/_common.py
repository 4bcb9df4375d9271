"""What every capability module shares: dataset URIs, storage options, pandas detection
and the exceptions made in Python. Imports no other module of the package but the native
one and ``errors``."""

from __future__ import annotations

import abc
import os
from typing import Any, Dict, Optional


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
    """A dataset URI from a string, a path-like object or a dataset."""
    if isinstance(uri, (str, os.PathLike)):
        return os.fspath(uri)
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
