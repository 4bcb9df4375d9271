"""Progress hooks of a write (pylance's ``lance.progress``).

:func:`lancer.fragment.write_fragments` calls ``begin`` before it starts each data file
(with a fragment that has no files yet) and ``complete`` once the file is written (with the
fragment that describes it, id 0 until a coordinator commits it). A worker can use them to
record what it wrote before it returns, so a failed job's files can be aborted later. An
exception raised by a hook stops the write, removes the files it wrote, and propagates.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Callable, Optional

if TYPE_CHECKING:
    from ._metadata import FragmentMetadata

__all__ = ["FragmentWriteProgress", "NoopFragmentWriteProgress"]


class FragmentWriteProgress(ABC):
    """Receives the progress of a write, one data file (fragment) at a time."""

    @abstractmethod
    def begin(self, fragment: "FragmentMetadata", **kwargs: Any) -> None:
        """A data file is about to be written; ``fragment`` has no files yet."""

    @abstractmethod
    def complete(self, fragment: "FragmentMetadata", **kwargs: Any) -> None:
        """A data file is written; ``fragment`` describes it."""


class NoopFragmentWriteProgress(FragmentWriteProgress):
    """Ignores every event (what a write does without a hook)."""

    def begin(self, fragment: "FragmentMetadata", **kwargs: Any) -> None:
        pass

    def complete(self, fragment: "FragmentMetadata", **kwargs: Any) -> None:
        pass


# The fragment `begin` sees: nothing is written yet, so nothing is known.
_NOT_YET_WRITTEN = json.dumps({"id": 0, "files": [], "deletion_file": None, "physical_rows": None})


def native_hook(progress: Any) -> Optional[Callable[[str, Optional[str]], None]]:
    """The callable the native writer takes, for a hook with ``begin`` and ``complete``
    (lancer's classes, pylance's, or any object with those methods)."""
    if progress is None:
        return None
    for method in ("begin", "complete"):
        if not callable(getattr(progress, method, None)):
            raise TypeError(
                f"progress must have begin() and complete() methods "
                f"({type(progress).__name__} has no {method}())"
            )
    from ._metadata import FragmentMetadata

    def hook(kind: str, text: Optional[str]) -> None:
        if kind == "begin":
            progress.begin(FragmentMetadata._from_checked_json(_NOT_YET_WRITTEN))
        else:
            progress.complete(FragmentMetadata._from_checked_json(text))

    return hook
