"""What can go wrong, in words a user can act on.

Usage errors end the command with exit status 2. The others are per URL: the
CLI reports them, archives the rest, and exits with status 1.
"""

from __future__ import annotations

import errno
from pathlib import Path


class ArchiveError(Exception):
    """Base of every error the archiver reports to a user."""

    exit_status = 1


class UsageError(ArchiveError):
    """A bad URL, an unreadable file, a malformed option."""

    exit_status = 2


class InvalidAnnotation(UsageError):
    """An annotation that breaks a rule (unknown kind, latitude out of range, no rationale...)."""


class FetchError(ArchiveError):
    """The server could not be reached, or answered with an error we cannot use."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None):
        super().__init__(message)
        self.url = url
        self.status = status


class ResponseTooLarge(FetchError):
    """A response went past the size cap."""


class BudgetExceeded(FetchError):
    """A URL's deadline passed, or its requests were spent: what is still to fetch for it is not."""


class UnavailableError(ArchiveError):
    """The platform has no public copy of this post (login wall, private, removed)."""


class ParseError(ArchiveError):
    """The server answered, but not in a shape we understand."""


class StorageError(ArchiveError):
    """The archive could not be written (disk full, permissions, locked database)."""


def storage_error(exc: OSError, where: Path) -> StorageError:
    if exc.errno == errno.ENOSPC:
        return StorageError(
            f"disk full while writing to {where}; nothing was stored under a final name"
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StorageError(f"cannot write to {where}: {exc.strerror}")
    return StorageError(f"could not write to {where}: {exc}")
