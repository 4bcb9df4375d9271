"""Committing: the operations a coordinator commits (:class:`LanceOperation`) and the
commit itself, which returns the native handle of the version it made."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Union

import pyarrow as pa

from . import _lancer
from ._common import dataset_uri
from ._common import storage_options as storage_options_of
from ._lancer import LanceSchema
from ._metadata import FragmentMetadata

__all__ = ["LanceOperation", "commit"]

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
            return f"LanceOperation.Append(fragments={self.fragments!r})"

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


    @dataclass
    class Project(BaseOperation):
        """Keep only the columns of ``schema`` (a ``LanceSchema`` from the dataset, or a
        pyarrow schema naming some of its columns with their types): drop the others
        without rewriting data."""

        schema: SchemaLike
        _kind = "project"

        def __post_init__(self) -> None:
            self.schema = _schema(self.schema, "Project")

        @property
        def fragments(self) -> List[FragmentMetadata]:
            return []


def commit(
    base_uri: Any,
    operation: LanceOperation.BaseOperation,
    read_version: Optional[int] = None,
    commit_lock: Any = None,
    storage_options: Optional[Dict[str, str]] = None,
    max_retries: int = 20,
    transaction_id: Optional[str] = None,
) -> Any:
    """Commits ``operation`` to the dataset at ``base_uri`` as one new version and returns
    its native handle and the storage options (``LanceDataset.commit`` wraps them). ``read_version`` is the version the operation was built from: 0 creates the
    dataset with an Overwrite (and is refused if the dataset exists, where pylance would
    overwrite it: pass the version you read instead); None, allowed only for an Overwrite
    (as in pylance), means the latest version (0 when there is none).

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
    if read_version is None and not isinstance(operation, LanceOperation.Overwrite):
        from .errors import InvalidInputError

        # Committing on "whatever is latest" would apply the operation to a version its
        # author never saw (pylance refuses it too).
        raise InvalidInputError(
            "invalid input: read_version is required for every operation but an Overwrite "
            "(the version the operation's fragments were made from)"
        )
    if isinstance(operation, LanceOperation.Overwrite):
        schema = operation.new_schema
    elif isinstance(operation, (LanceOperation.Merge, LanceOperation.Project)):
        schema = operation.schema
    else:
        schema = None
    options = storage_options_of(storage_options)
    native = _lancer.commit(
        dataset_uri(base_uri),
        operation._kind,
        [json.dumps(fragment.to_json()) for fragment in operation.fragments],
        schema=schema,
        read_version=read_version,
        storage_options=options,
        max_retries=max_retries,
        transaction_id=transaction_id,
    )
    return native, options
