"""Cleaning up: old versions and the files no kept version references
(``LanceDataset.cleanup_old_versions``), and :func:`abort` of a failed job's files."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Tuple

from . import _lancer
from ._common import DatasetLike, dataset_uri, unsupported
from ._metadata import FragmentMetadata

__all__ = ["AbortReport", "CleanupStats", "abort", "cleanup_old_versions"]

# Files no version references are kept this long unless ``delete_unverified``: a write in
# flight may be about to commit them (pylance's 7 days).
_GRACE_SECONDS = 7 * 24 * 3600


class CleanupStats:
    """What a cleanup removed (pylance's ``CleanupStats``)."""

    __slots__ = (
        "bytes_removed",
        "old_versions",
        "data_files_removed",
        "transaction_files_removed",
        "index_files_removed",
        "deletion_files_removed",
        "failed_deletes",
    )

    def __init__(self, *values: int):
        for name, value in zip(self.__slots__, values):
            setattr(self, name, value)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)}" for k in self.__slots__)
        return f"CleanupStats({fields})"


class AbortReport(NamedTuple):
    """What :func:`abort` did: data files removed, already gone, and kept because a
    committed version references them (with that version)."""

    removed: List[str]
    missing: List[str]
    referenced: List[Tuple[str, int]]


def cleanup_old_versions(
    dataset: Any,
    older_than: Optional[timedelta] = None,
    retain_versions: Optional[int] = None,
    *,
    delete_unverified: bool = False,
    error_if_tagged_old_versions: bool = True,
    delete_rate_limit: Optional[int] = None,
    versions: Optional[List[int]] = None,
    delete_concurrency: Optional[int] = None,
) -> CleanupStats:
    """pylance's ``cleanup_old_versions``: versions older than ``older_than`` (14 days when
    neither it nor ``retain_versions`` is given) are removed, never the latest nor a tagged
    one, then the files no kept version references; files no version ever referenced are
    kept for 7 days unless ``delete_unverified``."""
    if versions is not None:
        raise unsupported("cleanup_old_versions(versions=...)")
    if delete_rate_limit is not None:
        raise unsupported("cleanup_old_versions(delete_rate_limit=...)")
    if retain_versions is not None and retain_versions < 1:
        raise ValueError("retain_versions must be positive")
    if older_than is None and retain_versions is None:
        older_than = timedelta(days=14)
    micros = None
    if older_than is not None:
        micros = max(0, int(older_than / timedelta(microseconds=1)))
    options = dataset.storage_options if isinstance(dataset, DatasetLike) else None
    counts = _lancer.cleanup(
        dataset_uri(dataset),
        older_than_micros=micros,
        retain_versions=retain_versions,
        grace_seconds=0 if delete_unverified else _GRACE_SECONDS,
        error_if_tagged_old_versions=error_if_tagged_old_versions,
        storage_options=options,
    )
    return CleanupStats(*counts)


def abort(
    uri: Any,
    fragments: Iterable[FragmentMetadata],
    storage_options: Optional[Dict[str, str]] = None,
) -> AbortReport:
    """Deletes the data files of ``fragments`` (what a failed job's workers returned), but
    never a file any committed version references. Safe to run again."""
    texts = []
    for fragment in fragments:
        if not isinstance(fragment, FragmentMetadata):
            raise TypeError(f"abort takes FragmentMetadata objects, not {type(fragment).__name__}")
        texts.append(json.dumps(fragment.to_json()))
    removed, missing, referenced = _lancer.abort(dataset_uri(uri), texts, storage_options=storage_options)
    return AbortReport(removed, missing, [tuple(r) for r in referenced])


def abort_job(
    uri: Any,
    job: str,
    storage_options: Optional[Dict[str, str]] = None,
) -> AbortReport:
    """Deletes every data file named with ``job``'s tag (what ``lancer.ray`` and
    ``write_fragments(..., _job=tag)`` write), never a file a committed version
    references: a failed job's files, including those of workers that died before returning
    anything. Safe to run again."""
    removed, missing, referenced = _lancer.abort_job(
        dataset_uri(uri), str(job), storage_options=storage_options
    )
    return AbortReport(removed, missing, [tuple(r) for r in referenced])
