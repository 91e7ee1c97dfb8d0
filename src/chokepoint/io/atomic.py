"""Atomic writes of files and folders: a reader sees the old output or the new one, never a mix.

A file is written to a temporary file beside it (``.NAME.PID.TOKEN.tmp``), flushed to disk and
renamed over the target. A folder (the CSV form of a chain, any multi-file output) is written
into a temporary folder beside it with the same naming and then swapped in: on Linux with one
``renameat2(RENAME_EXCHANGE)`` call, so that the target path always holds a complete folder;
elsewhere by renaming the old folder aside, the new one in, and removing the old one.

Temporary files and folders are removed on every exit path the process controls: errors, and the
signals it can catch (SIGTERM, SIGINT, SIGHUP), whose handlers remove them during the write and
then re-deliver the signal, so the process still ends the way the signal asked. SIGKILL cannot be
caught: it may leave a temporary file or folder, which the next write to the same target removes
(its owning process, named by PID in the name, no longer runs). Two processes writing the same
target end with one complete output, the one renamed in last.

Only regular files and folders are replaced: a FIFO, device or socket at the target is refused
(write to stdout and redirect instead), never opened and never replaced by a regular file. A
symbolic link is followed: the file it points to is replaced and the link kept.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import signal
import stat
import sys
import threading
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from ..errors import OutputError

__all__ = ["CAUGHT_SIGNALS", "TEMP_SUFFIX", "remove_stale", "write_atomic", "write_folder_atomic"]

#: Suffix of every temporary file and folder written here.
TEMP_SUFFIX = ".tmp"
#: Signals whose handlers remove the temporary output during a write, then re-deliver the signal.
CAUGHT_SIGNALS: tuple[str, ...] = ("SIGTERM", "SIGINT", "SIGHUP")
#: Characters of the target's name kept in a temporary name (the rest would overflow NAME_MAX).
_NAME_ROOM = 64
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


# ------------------------------------------------------------------------------------------
# Signals


class _Interrupted(BaseException):
    """Raised by the handlers installed during a write; carries the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_depth = threading.local()


def _signals() -> list[signal.Signals]:
    return [getattr(signal, name) for name in CAUGHT_SIGNALS if hasattr(signal, name)]


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _raise(signum: int, frame: FrameType | None) -> None:
    raise _Interrupted(signum)


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """While active, the caught signals raise :class:`_Interrupted` (so ``finally`` cleans up);
    on the way out the previous handlers come back and an interrupting signal is re-delivered.

    Re-entrant; a no-op outside the main thread (Python delivers signals there only). A signal
    that was ignored before (``nohup``) stays ignored.
    """
    if getattr(_depth, "value", 0) or not _main_thread():
        yield
        return
    previous: dict[signal.Signals, Any] = {}
    for sig in _signals():
        old = signal.getsignal(sig)
        if old is signal.SIG_IGN or old is None:
            continue
        previous[sig] = old
        signal.signal(sig, _raise)
    _depth.value = 1
    try:
        yield
    except _Interrupted as stop:
        _restore(previous)
        signal.raise_signal(stop.signum)  # the previous handler: by default, the process ends
        msg = f"interrupted by signal {stop.signum}; nothing was written"
        raise OutputError(msg) from None
    finally:
        _depth.value = 0
        _restore(previous)


def _restore(previous: dict[signal.Signals, Any]) -> None:
    for sig, old in previous.items():
        signal.signal(sig, old)


@contextlib.contextmanager
def _held() -> Iterator[None]:
    """Block the caught signals for a few system calls (creating or renaming a temporary), so
    that a handler never runs between the call and the bookkeeping that records its result."""
    if not _main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _signals())
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


# ------------------------------------------------------------------------------------------
# Names and checks


def _shown(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 120 else f"{text[:60]}...{text[-40:]} ({len(text):,} characters)"


def _temp_prefix(target: Path) -> str:
    return f".{target.name[:_NAME_ROOM]}."


def _temp_name(target: Path) -> Path:
    return target.with_name(f"{_temp_prefix(target)}{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _alive(pid: int) -> bool:
    """Whether process ``pid`` may still run: True unless it is known to be gone."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: another user's process
        return True
    except OverflowError:  # no process has such a number: the file is not ours to remove
        return True
    return True


def remove_stale(target: str | os.PathLike[str]) -> list[Path]:
    """Remove temporary files and folders of earlier writes to ``target`` whose process is gone.

    They are left only by a process killed with SIGKILL (or a power cut) during a write; those of
    a running process (a concurrent writer) are kept. Returns the paths removed.
    """
    path = Path(target)
    prefix = _temp_prefix(path)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(path.parent if str(path.parent) else "."))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        middle = name[len(prefix) : -len(TEMP_SUFFIX)].split(".")
        if len(middle) != 2 or not middle[0].isascii() or not middle[0].isdigit():
            continue
        if _alive(int(middle[0])):
            continue
        stale = Path(entry.path)
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(stale)
            else:
                stale.unlink()
            removed.append(stale)
    return removed


def _kind(mode: int) -> str | None:
    """What a non-regular, non-folder file is, or None for a regular file or folder."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _name_limit(path: Path) -> int:
    try:
        return os.pathconf(path if path.is_dir() else ".", "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def _existing(target: Path) -> os.stat_result | None:
    """``stat`` of the target (following links), None when absent; refusals as OutputError."""
    try:
        return target.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            limit = _name_limit(target.parent)
            msg = (
                f"cannot write {_shown(target)}: the name is longer than the system allows "
                f"({limit} bytes per file or folder name); give a shorter name"
            )
            raise OutputError(msg) from None
        if exc.errno == errno.ENOTDIR:
            msg = f"cannot write {_shown(target)}: a part of the path is a file, not a folder"
            raise OutputError(msg) from None
        msg = f"cannot write {_shown(target)}: {exc.strerror}"
        raise OutputError(msg) from None


def _resolve(target: Path) -> tuple[Path, os.stat_result | None]:
    """The path to replace (a link's destination) and its status; refuses devices and pipes."""
    status = _existing(target)
    if status is not None:
        kind = _kind(status.st_mode)
        if kind is not None:
            msg = (
                f"cannot write {_shown(target)}: it is {kind}, not a regular file; chokepoint "
                "replaces files atomically and never writes into devices, pipes or sockets "
                "(write to stdout and redirect it instead)"
            )
            raise OutputError(msg)
        if target.is_symlink():
            target = Path(os.path.realpath(target))
    return target, status


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove(path: Path | None) -> None:
    if path is None:
        return
    with _held(), contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _mode_for(status: os.stat_result | None, folder: bool) -> int:
    if status is not None:
        return status.st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if folder else 0o666) & ~umask


# ------------------------------------------------------------------------------------------
# Files


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, then a rename.

    An interrupted write never leaves a half-written file and never destroys the previous one;
    the temporary file is removed on errors and on SIGTERM, SIGINT and SIGHUP.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OutputError
        When the folder does not exist or cannot be written, the target is a folder, a FIFO, a
        device or a socket, or its name is longer than the system allows.
    """
    given = Path(path)
    target, status = _resolve(given)  # first: it names a name too long, where is_dir would raise
    folder = given.parent if str(given.parent) else Path()
    if not folder.is_dir():
        msg = f"cannot write {_shown(given)}: folder '{_shown(folder)}' does not exist; create it first"
        raise OutputError(msg)
    if status is not None and stat.S_ISDIR(status.st_mode):
        msg = f"cannot write {_shown(given)}: it is a folder; give a file name"
        raise OutputError(msg)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with _interruptible():
        remove_stale(target)
        tmp: Path | None = None
        try:
            with _held():
                tmp = _temp_name(target)
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            tmp.chmod(_mode_for(status, folder=False))
            with _held():
                tmp.replace(target)
                tmp = None
            _fsync_folder(target.parent)
        except OSError as exc:
            msg = f"cannot write {_shown(given)}: {exc.strerror}"
            raise OutputError(msg) from None
        finally:
            _remove(tmp)
    return given


# ------------------------------------------------------------------------------------------
# Folders


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    code = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if code == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOENT):
        return False
    raise OSError(error, os.strerror(error), str(second))


def _swap_in(new: Path, target: Path) -> Path | None:
    """Put folder ``new`` at ``target``; return where the old folder now is (to remove), if any."""
    for _ in range(100):
        try:
            with _held():
                new.rename(target)  # no target, or an empty folder
            return None
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
        with _held():
            if _exchange(new, target):
                return new  # now holds the old folder
        aside = _temp_name(target)
        try:
            with _held():
                target.rename(aside)
        except FileNotFoundError:
            continue  # another writer moved it; try again
        try:
            with _held():
                new.rename(target)
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                _put_back(aside, target, exc)
                raise
            _remove(aside)
            continue  # another writer's folder came in between; replace it
        return aside
    msg = f"cannot write {_shown(target)}: other processes keep replacing it"
    raise OutputError(msg)


def _put_back(aside: Path, target: Path, error: OSError) -> None:
    """Rename the old folder back to ``target`` after the new one failed to go in (``error``);
    where that fails too, keep it and say where it is."""
    try:
        with _held():
            aside.rename(target)
    except OSError:
        msg = (
            f"cannot write folder {_shown(target)}: {error.strerror}; the old folder could not "
            f"be renamed back and is kept at {_shown(aside)}"
        )
        raise OutputError(msg) from None


def write_folder_atomic(
    path: str | os.PathLike[str],
    fill: Callable[[Path], object],
    *,
    expected: Collection[str] | None = None,
) -> Path:
    """Write a folder atomically: ``fill`` writes into an empty temporary folder beside
    ``path``, which then replaces ``path`` as a whole.

    Parameters
    ----------
    path
        The folder to write; its parent folders are created when missing.
    fill
        Writes the files into the folder it is given (empty, on the same file system).
    expected
        Names an existing folder at ``path`` may hold; a folder holding anything else is not
        replaced (the files would be lost). None: any folder is replaced.

    Raises
    ------
    OutputError
        When ``path`` is a file, a device or a folder holding unexpected files, or a folder
        cannot be created, written or renamed.
    """
    given = Path(path)
    target, status = _resolve(given)
    if status is not None and not stat.S_ISDIR(status.st_mode):
        msg = f"cannot write the folder {_shown(given)}: it is a file; give a folder name"
        raise OutputError(msg)
    if status is not None and expected is not None:
        try:
            others = sorted({p.name for p in target.iterdir()} - set(expected))
        except OSError as exc:
            msg = f"cannot read folder {_shown(given)}: {exc.strerror}"
            raise OutputError(msg) from None
        if others:
            listed = ", ".join(others[:5]) + (
                f" and {len(others) - 5} more" if len(others) > 5 else ""
            )
            msg = (
                f"cannot replace folder {_shown(given)}: it holds {listed}, which chokepoint did "
                "not write and would delete; choose an empty or new folder"
            )
            raise OutputError(msg)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot create folder {_shown(target.parent)}: {exc.strerror}"
        raise OutputError(msg) from None
    with _interruptible():
        remove_stale(target)
        tmp: Path | None = None
        old: Path | None = None
        try:
            with _held():
                tmp = _temp_name(target)
                tmp.mkdir(mode=0o700)
            fill(tmp)
            for entry in os.scandir(tmp):
                if entry.is_file(follow_symlinks=False):
                    _fsync_file(Path(entry.path))
            _fsync_folder(tmp)
            tmp.chmod(_mode_for(status, folder=True))
            with _held():  # the new folder is in place exactly when `tmp` is cleared
                old = _swap_in(tmp, target)
                tmp = None
            _fsync_folder(target.parent)
        except OSError as exc:
            msg = f"cannot write folder {_shown(given)}: {exc.strerror}"
            raise OutputError(msg) from None
        finally:
            _remove(tmp)
            _remove(old)
    return given


def _fsync_file(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
