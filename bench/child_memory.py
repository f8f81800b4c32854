"""Peak memory of the processes a benchmark starts (the feed's builder and reader), from /proc.

``RUSAGE_CHILDREN.ru_maxrss`` would not do: a child started by fork+exec inherits the parent's
RSS at fork time as its "peak", although those pages were shared and are gone after exec.
``VmHWM`` in /proc counts only the child's own program. Linux only (elsewhere: 0).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


class ChildMemory:
    """Peak RSS of each descendant process (children and theirs), polled every 50 ms while
    the block runs."""

    def __init__(self) -> None:
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> ChildMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.05):
            parents: dict[int, int] = {}
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    parents[int(stat.parent.name)] = int(
                        stat.read_text().rsplit(")", 1)[1].split()[1]
                    )
                except (OSError, ValueError, IndexError):
                    continue
            for pid in parents:
                ancestor = parents.get(pid)
                while ancestor is not None and ancestor != me:
                    ancestor = parents.get(ancestor)
                if ancestor != me:
                    continue
                try:
                    status = (Path("/proc") / str(pid) / "status").read_text()
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        self.peaks[pid] = max(self.peaks.get(pid, 0), int(line.split()[1]))

    @property
    def peak_mb(self) -> float:
        """The descendants' peaks summed (a feed builder and its reader per import)."""
        return sum(self.peaks.values()) / 1024
