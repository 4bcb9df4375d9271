"""lancer: Lance datasets for distributed writes, with pylance's API.

Workers write fragments (:func:`lancer.fragment.write_fragments`) and send their
:class:`FragmentMetadata` as JSON; one coordinator commits them as a new version with
:meth:`LanceDataset.commit`. Code written for pylance's distributed-write guide runs with
``import lancer as lance``.
"""

from . import commit, optimize, progress, schema
from ._cleanup import CleanupStats, abort, abort_job
from ._lancer import LanceSchema, __version__
from .dataset import LanceDataset, LanceOperation, LanceScanner, dataset, write_dataset
from .errors import (
    CommitConflictError,
    CommitRebuildError,
    CommitRetriesExhaustedError,
    CorruptDatasetError,
    DatasetNotFoundError,
    InvalidCommitError,
    InvalidInputError,
    LancerError,
    StorageError,
    UnsupportedError,
)
from .fragment import DataFile, DeletionFile, FragmentMetadata, LanceFragment, write_fragments

__all__ = [
    "CleanupStats",
    "CommitConflictError",
    "CommitRebuildError",
    "CommitRetriesExhaustedError",
    "CorruptDatasetError",
    "DataFile",
    "DatasetNotFoundError",
    "DeletionFile",
    "FragmentMetadata",
    "InvalidCommitError",
    "InvalidInputError",
    "LanceDataset",
    "LanceFragment",
    "LanceOperation",
    "LanceScanner",
    "LanceSchema",
    "LancerError",
    "StorageError",
    "UnsupportedError",
    "__version__",
    "abort",
    "abort_job",
    "dataset",
    "optimize",
    "progress",
    "schema",
    "commit",
    "write_dataset",
    "write_fragments",
]
