"""Fragment metadata as workers hand it to coordinators: :class:`FragmentMetadata`,
:class:`DataFile` and :class:`DeletionFile`, a checked view of pylance's fragment JSON."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from . import _lancer

__all__ = ["DataFile", "DeletionFile", "FragmentMetadata"]


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
