"""What pylance's ``lance.commit`` holds: the conflict exception and the commit lock type.

lancer's commits need no lock (the manifest is created only if absent); a ``commit_lock``
argument is refused rather than silently not taken.
"""

from contextlib import AbstractContextManager
from typing import Callable

from .errors import CommitConflictError

CommitLock = Callable[[int], AbstractContextManager[None]]

__all__ = ["CommitConflictError", "CommitLock"]
