"""Exceptions raised by lancer.

Each inherits from :class:`LancerError` and from the built-in exceptions pylance raises in
the same case, so code written for pylance (``except OSError``, ``except ValueError``,
``except lance.commit.CommitConflictError``) keeps working with lancer's finer classes.
The message is the Rust error's, with its context (fragment, file, versions).
"""


class LancerError(Exception):
    """Any error lancer raises."""


class DatasetNotFoundError(LancerError, FileNotFoundError, ValueError):
    """No dataset at the URI, or not the version asked for. (pylance raises ValueError for a
    missing dataset, OSError for a missing version: this is both.)"""


class InvalidInputError(LancerError, ValueError, OSError):
    """Input that cannot be used: bad fragment JSON, a schema that does not match, files
    whose size, rows or schema differ from what a fragment claims. (pylance raises
    ValueError when its Python code finds the problem, OSError when its Rust code does:
    this is both.)"""


# A commit the dataset refuses (bad fragments, a Merge missing fragments, ...) is invalid
# input like any other; the older name stays for code that catches it.
InvalidCommitError = InvalidInputError


class CommitConflictError(LancerError, OSError):
    """Another commit made this one impossible (an Append after an Overwrite, say): the work
    must be redone from the newer version.

    The shape of pylance's ``lance.commit.CommitConflictError``: an OSError whose
    ``retryable`` says whether committing again (rebuilt on the newer version) can
    succeed; it is False here, True for the two subclasses."""

    retryable = False

    def __init__(self, message: str = "", retryable: "bool | None" = None):
        super().__init__(message)
        if retryable is not None:
            self.retryable = retryable


class CommitRebuildError(CommitConflictError):
    """The operation is stale and must be rebuilt from the newer version (a Merge after an
    Append must list the new fragments too); the data files already written can be reused."""

    retryable = True


class CommitRetriesExhaustedError(CommitConflictError):
    """Other writers kept winning until the retry budget ran out (or ``max_retries=0`` and
    the read version was stale). Committing the same operation again is safe."""

    retryable = True


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
