"""Publish a built database atomically, and keep two refreshes from running at once.

The new file is fsynced and moved over the published one with `os.replace`, which is atomic
on POSIX: a reader sees the old file or the new one, never half of either. Readers that opened
the old file keep their handle to the old inode and carry on undisturbed.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import LockedError, SpendtrackError

LOCK_NAME = ".refresh.lock"


@contextmanager
def refresh_lock(lake_dir: Path, *, wait_s: float = 0.0) -> Iterator[Path]:
    """Hold an exclusive lock on `<lake>/.refresh.lock`; the kernel drops it if we die."""
    lake_dir.mkdir(parents=True, exist_ok=True)
    path = lake_dir / LOCK_NAME
    fh = path.open("a+")
    deadline = time.monotonic() + wait_s
    try:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = fh.read().strip() or "unknown"
                    raise LockedError(
                        f"another refresh is running ({holder}); the published database is "
                        "untouched. Wait for it, or pass --wait SECONDS",
                        file=str(path),
                    ) from None
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}")
        fh.flush()
        yield path
    finally:
        fh.close()


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish_file(built: Path, target: Path) -> None:
    """Move `built` over `target` atomically (same filesystem), durably."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fsync_path(built)
    os.replace(built, target)
    fsync_path(target.parent)


def open_published(settings: Settings):
    """The published database, read-only; a clear error when there is none yet."""
    import duckdb

    path = settings.database_path
    if not path.exists():
        raise SpendtrackError(
            "no published database yet; run `spendtrack refresh` first", file=str(path)
        )
    return duckdb.connect(str(path), read_only=True)
