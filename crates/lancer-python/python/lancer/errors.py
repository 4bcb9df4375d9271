"""Exceptions raised by lancer.

Each inherits from :class:`LancerError` and from the built-in exception it resembles, so
code written for pylance (``except FileNotFoundError``, ``except ValueError``) keeps working.
The message is the Rust error's, with its context (fragment, file, versions).
"""


class LancerError(Exception):
    """Any error lancer raises."""


class DatasetNotFoundError(LancerError, FileNotFoundError):
    """No dataset at the URI, or not the version asked for."""


class InvalidInputError(LancerError, ValueError):
    """Input that cannot be used: bad fragment JSON, a schema that does not match, files
    whose size, rows or schema differ from what a fragment claims."""


# A commit the dataset refuses (bad fragments, a Merge missing fragments, ...) is invalid
# input like any other; the older name stays for code that catches it.
InvalidCommitError = InvalidInputError


class CommitConflictError(LancerError):
    """Another commit made this one impossible (an Append after an Overwrite, say): the work
    must be redone from the newer version."""


class CommitRebuildError(CommitConflictError):
    """The operation is stale and must be rebuilt from the newer version (a Merge after an
    Append must list the new fragments too); the data files already written can be reused."""


class CommitRetriesExhaustedError(LancerError):
    """Other writers kept winning until the retry budget ran out. Committing the same
    operation again is safe."""


class UnsupportedError(LancerError, NotImplementedError):
    """Something lancer does not do (yet); the message says what to do instead."""


class CorruptDatasetError(LancerError, OSError):
    """Stored bytes (a manifest, transaction, data or deletion file) cannot be decoded."""


class StorageError(LancerError, OSError):
    """The object store or file system failed."""


__all__ = [
    "LancerError",
    "DatasetNotFoundError",
    "InvalidInputError",
    "InvalidCommitError",
    "CommitConflictError",
    "CommitRebuildError",
    "CommitRetriesExhaustedError",
    "UnsupportedError",
    "CorruptDatasetError",
    "StorageError",
]
