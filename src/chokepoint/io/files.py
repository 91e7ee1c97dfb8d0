"""Reading input files within limits: regular files only, bytes counted as they arrive.

Nothing here trusts what a file says about itself: a FIFO or a device is refused before it is
opened (and checked again on the open descriptor, non-blocking, so that a file swapped in between
cannot hang the reader); sizes are counted on the bytes actually read or inflated, never taken
from ``stat`` or a zip directory; line lengths and row counts are measured while reading, so that
a 1 GiB file of blank lines or one endless line is refused after the first megabytes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from ..errors import ChainError, Problem
from .limits import MAX_BYTES_YAML, MAX_LINE, MAX_ROWS, Limit

__all__ = ["CHUNK", "LineGauge", "check_regular", "decode", "read_stream", "read_text"]

#: Bytes read (or inflated) at a time.
CHUNK = 1 << 20

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _refuse(file: str, message: str, line: int = 1, column: int = 1) -> ChainError:
    return ChainError([Problem(file, line, column, "", message)])


def _kind(mode: int) -> str | None:
    """What a non-regular, non-folder file is, or None for a regular file or a folder."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"  # pragma: no cover - doors, event ports


def _not_regular(kind: str) -> str:
    return (
        f"is {kind}, not a regular file; chokepoint reads chain files only (copy the data "
        "into a file first)"
    )


def check_regular(path: Path) -> os.stat_result:
    """``stat`` of ``path``, refusing folders, FIFOs, devices and sockets before any open.

    Raises
    ------
    ChainError
        Naming the file and what it is.
    """
    file = str(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise _refuse(file, f"cannot read: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise _refuse(file, "is a folder, not a chain file")
    kind = _kind(info.st_mode)
    if kind is not None:
        raise _refuse(file, _not_regular(kind))
    return info


class LineGauge:
    """Counts lines and measures each line's length in bytes while data arrives in chunks.

    ``feed`` raises :class:`ChainError` as soon as a line grows longer than ``max_line`` or the
    lines (records) exceed ``max_rows``, so that nothing larger than one chunk beyond the limit
    is ever read.

    >>> gauge = LineGauge("f.csv", max_line=10, max_rows=None)
    >>> gauge.feed(b"short\\nlines\\n")
    >>> gauge.newlines
    2
    >>> gauge.feed(b"x" * 11)
    Traceback (most recent call last):
    ...
    chokepoint.errors.ChainError: f.csv:3:1: line 3 is too long, above the limit of 10 characters (CHOKEPOINT_MAX_LINE; default 1 MiB): raise it with CHOKEPOINT_MAX_LINE=N if the file is trusted
    """

    def __init__(self, file: str, max_line: int, max_rows: int | None) -> None:
        self.file = file
        self.max_line = max_line
        self.max_rows = max_rows
        self.newlines = 0
        self.run = 0  # bytes since the last line break

    def feed(self, chunk: bytes | bytearray) -> None:
        last = chunk.rfind(b"\n")
        if last < 0:
            self.run += len(chunk)
            if self.run > self.max_line:
                self._too_long(self.newlines + 1)
            return
        first = chunk.find(b"\n")
        if self.run + first > self.max_line:
            self._too_long(self.newlines + 1)
        # every line between the first and the last break is shorter than max_line when each
        # window of max_line + 1 bytes holds a break; jump from break to the window's last break
        pos, limit = first + 1, self.max_line
        while last - pos > limit:
            brk = chunk.rfind(b"\n", pos, pos + limit + 1)
            if brk < 0:
                self._too_long(self.newlines + chunk.count(b"\n", 0, pos) + 1)
            pos = brk + 1
        self.newlines += chunk.count(b"\n")
        self.run = len(chunk) - last - 1
        if self.run > self.max_line:
            self._too_long(self.newlines + 1)
        if self.max_rows is not None and self.newlines > self.max_rows + 1:
            what = "too many rows"
            raise _refuse(self.file, MAX_ROWS.refusal(what, limit=self.max_rows), self.max_rows + 2)

    def _too_long(self, line: int) -> None:
        what = f"line {line:,} is too long"
        raise _refuse(self.file, MAX_LINE.refusal(what, limit=self.max_line), line)


def read_stream(
    read: Callable[[int], bytes],
    file: str,
    max_bytes: int,
    byte_limit: Limit,
    gauge: LineGauge | None,
    what: str = "file",
) -> bytearray:
    """Read ``read(CHUNK)`` until it returns nothing, counting bytes against ``max_bytes``.

    Raises
    ------
    ChainError
        As soon as more than ``max_bytes`` bytes have arrived, or ``gauge`` refuses a line.
    """
    data = bytearray()
    while True:
        chunk = read(CHUNK)
        if not chunk:
            return data
        if len(data) + len(chunk) > max_bytes:
            message = byte_limit.refusal(f"{what} is too large", limit=max_bytes)
            raise _refuse(file, message)
        if gauge is not None:
            gauge.feed(chunk)
        data += chunk


def decode(data: bytes | bytearray, file: str) -> str:
    """UTF-8 text of ``data`` without a byte-order mark, or a located refusal."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        msg = (
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8 "
            "(e.g. `iconv -f latin1 -t utf-8`)"
        )
        raise _refuse(file, msg, line, column) from None
    return text.removeprefix("\ufeff")


def read_text(
    path: Path,
    max_bytes: int | None = None,
    *,
    limit: Limit = MAX_BYTES_YAML,
    lines: bool = True,
    max_rows: int | None = None,
) -> str:
    """Read a chain file as UTF-8 text within the limits.

    Parameters
    ----------
    path
        A regular file; folders, FIFOs, devices and sockets are refused before opening.
    max_bytes
        Refuse larger files (default: ``limit``, raised by its environment variable).
    limit
        The size limit that applies (its default and variable are named in a refusal).
    lines
        Refuse lines longer than :data:`~chokepoint.io.limits.MAX_LINE` (YAML and CSV files).
    max_rows
        Refuse files of more lines than this (CSV tables).

    Raises
    ------
    ChainError
        Naming the file (and line) and the limit.
    """
    file = str(path)
    cap = limit.get(max_bytes)
    info = check_regular(path)
    if info.st_size > cap:
        what = f"file is {info.st_size:,} bytes"
        message = limit.refusal(what, info.st_size, limit=cap)
        if limit is MAX_BYTES_YAML:
            message += "; for large networks use the CSV or JSON form"
        raise _refuse(file, message)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _refuse(file, f"cannot read: {exc.strerror}") from None
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind is not None:  # swapped in after the check above
            raise _refuse(file, _not_regular(kind))
        gauge = LineGauge(file, MAX_LINE.get(), max_rows) if lines else None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = read_stream(handle.read, file, cap, limit, gauge)
    except OSError as exc:
        raise _refuse(file, f"cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)
    return decode(data, file)
