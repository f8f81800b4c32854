"""A serving process's name, the same across its restarts.

Each inbox event records the process that accepted it (bot/inbox.py ``accepted_by``); another
process leaves the event to it for a while (bot/service.py), and the process itself, started
again after a crash, answers its own pending events at once. So the name must outlive the
process: the host's name and a slot number, the lowest slot no live process of this project
on this host holds. A slot is held by an advisory lock on a file in the project's data folder,
which the operating system lets go when the process ends, however it ends: ``serve --workers
4`` names its workers ``host/0`` .. ``host/3``, and a worker uvicorn starts again in place of
a dead one takes the dead one's slot, and with it its events. ``SHOPCHAT_INSTANCE_NAME`` names
the process outright (one name per live process: two live processes with one name would both
think the events either accepted).
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from typing import IO

log = logging.getLogger("shopchat.instance")

#: inbox.accepted_by holds up to 64 characters
MAX_NAME = 64
_SLOTS = 256


class Instance:
    """This process's name, and the slot lock that keeps it its own until :meth:`close`."""

    def __init__(self, name: str, lock: IO[bytes] | None = None) -> None:
        self.name = name[:MAX_NAME]
        self._lock = lock

    @classmethod
    def claim(cls, folder: Path, explicit: str | None = None) -> Instance:
        """``explicit``, else the host's name and the lowest slot free in ``folder``; where no
        slot can be locked (no advisory locks, a read-only folder), the host's name and the
        process id: still unique, but a restarted process then waits out the grace period
        for its own events like any other process."""
        if explicit:
            return cls(explicit)
        host = socket.gethostname()[: MAX_NAME - 8] or "host"
        try:
            import fcntl

            folder.mkdir(parents=True, exist_ok=True)
            for slot in range(_SLOTS):
                lock = (folder / f"instance-{slot}.lock").open("ab")
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    lock.close()
                    continue
                return cls(f"{host}/{slot}", lock)
        except (ImportError, OSError) as exc:
            log.warning("no instance slot in %s (%s): named by process id", folder, exc)
        return cls(f"{host}/pid{os.getpid()}")

    def close(self) -> None:
        """Let the slot go (the process stops serving)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None


__all__ = ["MAX_NAME", "Instance"]
