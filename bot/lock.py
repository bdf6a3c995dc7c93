"""One running instance per database, with an OS lock that a killed process cannot leave behind."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from .errors import DatabaseError


class InstanceLock:
    """flock() on `<database>.lock`; the kernel releases it when the holder dies."""

    def __init__(self, database: Path) -> None:
        self.path = Path(f"{database}.lock")
        self._file: IO[str] | None = None

    def acquire(self) -> InstanceLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held for the life of the process
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise DatabaseError(
                f"another releasewatch (pid {holder}) is running on {self.path.with_suffix('')}; "
                "stop it first or use another database") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return self

    def held_elsewhere(self) -> bool:
        """True if some process (this one included) holds the lock now; takes nothing."""
        if not self.path.exists():
            return False
        with open(self.path, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False

    def release(self) -> None:
        if self._file:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, *_: object) -> None:
        self.release()
