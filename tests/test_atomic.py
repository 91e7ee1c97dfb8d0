"""Atomic writes (chokepoint.io.atomic): old or new, never a mix, and no temporary left behind.

The kill and concurrency loops here are the short version of ``benchmarks/kill_loop.py`` (50 kills,
10 concurrent pairs): a few kills of ``chokepoint generate -o DIR`` over an existing folder at
random moments (fixed seed), with SIGTERM and SIGKILL, and a few concurrent pairs; after each the
folder must hash to the old output or the new one.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chokepoint.errors import OutputError
from chokepoint.io import atomic
from chokepoint.io.atomic import CAUGHT_SIGNALS, remove_stale, write_atomic, write_folder_atomic

CHOKEPOINT = str(Path(sys.executable).parent / "chokepoint")
posix_only = pytest.mark.skipif(os.name != "posix", reason="signals and FIFOs are POSIX")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


# ------------------------------------------------------------------------------------------
# Files


def test_write_atomic_keeps_the_mode_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    target.chmod(0o640)
    assert write_atomic(target, "new") == target
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_write_atomic_follows_a_link_and_keeps_it(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink()
    assert real.read_text() == "new"


@posix_only
def test_write_atomic_refuses_a_fifo_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match=r"it is a FIFO \(named pipe\), not a regular file"):
        write_atomic(fifo, "x")  # opening it would block: the refusal comes first
    assert fifo.is_fifo()
    assert temporaries(tmp_path) == []


@posix_only
def test_write_atomic_refuses_a_device() -> None:
    with pytest.raises(OutputError, match="cannot write /dev/full: it is a device"):
        write_atomic("/dev/full", "x")
    with pytest.raises(OutputError, match="cannot write /dev/null: it is a device"):
        write_atomic("/dev/null", "x")
    assert Path("/dev/full").is_char_device()


def test_write_atomic_names_a_name_too_long(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"the name is longer than the system allows \(255"):
        write_atomic(tmp_path / ("n" * 300), "x")


def test_a_long_name_still_gets_a_temporary(tmp_path: Path) -> None:
    """The temporary name keeps 64 characters of the target's, so it fits whenever the target does."""
    target = tmp_path / ("n" * 250)
    write_atomic(target, "x")
    assert target.read_text() == "x"


# ------------------------------------------------------------------------------------------
# Folders


def fill_with(files: dict[str, str]) -> object:
    def fill(folder: Path) -> None:
        for name, text in files.items():
            (folder / name).write_text(text)

    return fill


def test_write_folder_atomic_creates_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "out"
    write_folder_atomic(target, fill_with({"a.csv": "1", "b.csv": "2"}))  # type: ignore[arg-type]
    assert {p.name: p.read_text() for p in target.iterdir()} == {"a.csv": "1", "b.csv": "2"}
    write_folder_atomic(target, fill_with({"a.csv": "3"}), expected={"a.csv", "b.csv"})  # type: ignore[arg-type]
    assert {p.name: p.read_text() for p in target.iterdir()} == {"a.csv": "3"}
    assert temporaries(target.parent) == []


def test_without_an_exchange_the_old_folder_is_renamed_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where renameat2 is missing (not Linux, some file systems): rename aside, in, remove."""
    monkeypatch.setattr(atomic, "_exchange", lambda first, second: False)
    target = tmp_path / "out"
    write_folder_atomic(target, fill_with({"a.csv": "old"}))  # type: ignore[arg-type]
    write_folder_atomic(target, fill_with({"a.csv": "new", "b.csv": "new"}))  # type: ignore[arg-type]
    assert {p.name: p.read_text() for p in target.iterdir()} == {"a.csv": "new", "b.csv": "new"}
    assert temporaries(tmp_path) == []


def test_write_folder_atomic_keeps_a_folder_with_other_files(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "thesis.tex").write_text("mine")
    with pytest.raises(OutputError, match="it holds thesis.tex, which chokepoint did not write"):
        write_folder_atomic(target, fill_with({"a.csv": "1"}), expected={"a.csv"})  # type: ignore[arg-type]
    assert (target / "thesis.tex").read_text() == "mine"


def test_write_folder_atomic_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("x")
    with pytest.raises(OutputError, match="it is a file; give a folder name"):
        write_folder_atomic(target, fill_with({"a.csv": "1"}))  # type: ignore[arg-type]


def test_a_failed_fill_leaves_the_old_folder_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out"
    write_folder_atomic(target, fill_with({"a.csv": "old"}))  # type: ignore[arg-type]

    def broken(folder: Path) -> None:
        (folder / "a.csv").write_text("half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        write_folder_atomic(target, broken)
    assert (target / "a.csv").read_text() == "old"
    assert temporaries(tmp_path) == []


def test_stale_temporaries_of_dead_writers_go_live_ones_stay(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)  # fmt: skip
    dead = int(done.stdout)
    stale_folder = tmp_path / f".out.{dead}.abcd1234.tmp"
    stale_folder.mkdir()
    (stale_folder / "nodes.csv").write_text("half")
    stale_file = tmp_path / f".out.{dead}.ffff0000.tmp"
    stale_file.write_text("half")
    live = tmp_path / f".out.{os.getppid()}.0000aaaa.tmp"  # pytest's parent: alive
    live.mkdir()
    other = tmp_path / f".output.{dead}.abcd1234.tmp"  # another target's
    other.mkdir()
    assert sorted(p.name for p in remove_stale(tmp_path / "out")) == sorted(
        [stale_folder.name, stale_file.name]
    )
    assert temporaries(tmp_path) == sorted([live.name, other.name])


SIGNALLED = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from chokepoint.io.atomic import write_folder_atomic

    def fill(folder):
        (folder / "a.csv").write_text("new")
        os.kill(os.getpid(), getattr(signal, sys.argv[2]))
        (folder / "b.csv").write_text("new")

    write_folder_atomic(Path(sys.argv[1]), fill)
    print("not reached")
    """
)


@posix_only
@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT", "SIGHUP"])
def test_a_caught_signal_removes_the_temporary_and_still_ends_the_process(
    tmp_path: Path, name: str
) -> None:
    target = tmp_path / "out"
    write_folder_atomic(target, fill_with({"a.csv": "old"}))  # type: ignore[arg-type]
    done = subprocess.run(
        [sys.executable, "-c", SIGNALLED, str(target), name],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == -getattr(signal, name), done.stderr
    assert "not reached" not in done.stdout
    assert digest(target) == {"a.csv": hashlib.sha256(b"old").hexdigest()}
    assert temporaries(tmp_path) == []


# ------------------------------------------------------------------------------------------
# Refusals and failures, in process (so that coverage counts them)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def test_write_atomic_names_a_missing_folder(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out.json"
    with pytest.raises(OutputError) as info:
        write_atomic(target, "x")
    assert str(info.value) == (
        f"cannot write {target}: folder '{tmp_path / 'missing'}' does not exist; create it first"
    )
    assert names(tmp_path) == []


def test_write_atomic_refuses_a_folder(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "kept.txt").write_text("kept")
    with pytest.raises(OutputError) as info:
        write_atomic(target, "x")
    assert str(info.value) == f"cannot write {target}: it is a folder; give a file name"
    assert contents(target) == {"kept.txt": "kept"}
    assert names(tmp_path) == ["out"]


@pytest.mark.parametrize(
    "write",
    [
        lambda target: write_atomic(target, "x"),
        lambda target: write_folder_atomic(target, fill_with({"a.csv": "1"})),
    ],
    ids=["file", "folder"],
)
def test_a_file_in_the_path_is_named(tmp_path: Path, write: Callable[[Path], Path]) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    target = blocker / "out"
    with pytest.raises(OutputError) as info:
        write(target)
    assert str(info.value) == f"cannot write {target}: a part of the path is a file, not a folder"
    assert blocker.read_text() == "mine"
    assert names(tmp_path) == ["notes.txt"]


def test_a_link_loop_is_named_with_the_system_message(tmp_path: Path) -> None:
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    with pytest.raises(OutputError) as info:
        write_atomic(loop, "x")
    assert str(info.value) == f"cannot write {loop}: {os.strerror(errno.ELOOP)}"
    assert loop.is_symlink()
    assert names(tmp_path) == ["loop.json"]


def no_name_max(path: Any, name: str) -> int:
    raise ValueError(name)  # the system does not know PC_NAME_MAX


def pathconf_fails(path: Any, name: str) -> int:
    raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))


@pytest.mark.parametrize(
    ("pathconf", "limit"),
    [(lambda path, name: 143, 143), (no_name_max, 255), (pathconf_fails, 255)],  # 143: eCryptfs
)
def test_a_name_too_long_names_the_limit_or_255_when_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pathconf: Callable[..., int], limit: int
) -> None:
    monkeypatch.setattr(os, "pathconf", pathconf)
    target = tmp_path / ("n" * 300)
    with pytest.raises(OutputError) as info:
        write_atomic(target, "x")
    assert str(info.value) == (
        f"cannot write {str(target)[:60]}...{str(target)[-40:]} ({len(str(target)):,} "
        f"characters): the name is longer than the system allows ({limit} bytes per file or "
        "folder name); give a shorter name"
    )


def test_a_folder_name_too_long_is_named(tmp_path: Path) -> None:
    """Python 3.11's is_dir raises ENAMETOOLONG rather than answering False."""
    target = tmp_path / ("d" * 300) / "out.json"
    text = str(target)
    with pytest.raises(OutputError) as info:
        write_atomic(target, "x")
    assert str(info.value) == (
        f"cannot write {text[:60]}...{text[-40:]} ({len(text):,} characters): the name is longer "
        "than the system allows (255 bytes per file or folder name); give a shorter name"
    )
    assert names(tmp_path) == []


@posix_only
def test_write_atomic_refuses_a_socket(tmp_path: Path) -> None:
    target = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(target))
        with pytest.raises(OutputError) as info:
            write_atomic(target, "x")
    assert str(info.value).startswith(f"cannot write {target}: it is a socket, not a regular file")
    assert target.is_socket()
    assert names(tmp_path) == ["s"]


FAILURES = [errno.ENOSPC, errno.EXDEV, errno.EACCES, errno.ENOENT]


def refusing(code: int) -> Callable[..., None]:
    def refuse(src: Any, dst: Any, **_: Any) -> None:
        raise OSError(code, os.strerror(code), str(src))

    return refuse


@pytest.mark.parametrize("code", FAILURES)
def test_a_failed_rename_keeps_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    monkeypatch.setattr(os, "replace", refusing(code))
    with pytest.raises(OutputError) as info:
        write_atomic(target, "new")
    assert str(info.value) == f"cannot write {target}: {os.strerror(code)}"
    assert target.read_text() == "old"
    assert names(tmp_path) == ["out.json"]


@pytest.mark.parametrize("code", FAILURES)
def test_a_failed_rename_keeps_the_old_folder_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    target = tmp_path / "out"
    write_folder_atomic(target, fill_with({"a.csv": "old"}))  # type: ignore[arg-type]
    monkeypatch.setattr(os, "rename", refusing(code))
    with pytest.raises(OutputError) as info:
        write_folder_atomic(target, fill_with({"a.csv": "new", "b.csv": "new"}))  # type: ignore[arg-type]
    assert str(info.value) == f"cannot write folder {target}: {os.strerror(code)}"
    assert contents(target) == {"a.csv": "old"}
    assert names(tmp_path) == ["out"]


def test_an_unreadable_folder_is_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root a mode of 000 does not stop reading, so the refusal of listing is simulated."""
    target = tmp_path / "out"
    write_folder_atomic(target, fill_with({"a.csv": "old"}))  # type: ignore[arg-type]

    def unreadable(self: Path) -> Any:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))

    monkeypatch.setattr(Path, "iterdir", unreadable)
    with pytest.raises(OutputError) as info:
        write_folder_atomic(target, fill_with({"a.csv": "new"}), expected={"a.csv"})  # type: ignore[arg-type]
    monkeypatch.undo()
    assert str(info.value) == f"cannot read folder {target}: {os.strerror(errno.EACCES)}"
    assert contents(target) == {"a.csv": "old"}
    assert names(tmp_path) == ["out"]


def test_more_than_five_foreign_files_are_counted(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    for name in "abcdefg":
        (target / f"{name}.tex").write_text(name)
    with pytest.raises(OutputError) as info:
        write_folder_atomic(target, fill_with({"a.csv": "1"}), expected={"a.csv"})  # type: ignore[arg-type]
    assert str(info.value) == (
        f"cannot replace folder {target}: it holds a.tex, b.tex, c.tex, d.tex, e.tex and 2 more, "
        "which chokepoint did not write and would delete; choose an empty or new folder"
    )
    assert len(names(target)) == 7
    assert names(tmp_path) == ["out"]


def test_a_parent_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    """A dangling link where the parent folder should be: mkdir meets the link (EEXIST)."""
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputError) as info:
        write_folder_atomic(dangling / "out", fill_with({"a.csv": "1"}))  # type: ignore[arg-type]
    assert str(info.value) == f"cannot create folder {dangling}: {os.strerror(errno.EEXIST)}"
    assert names(tmp_path) == ["dangling"]


# ------------------------------------------------------------------------------------------
# The exchange and the rename-aside fallback, in process


def fake_libc(monkeypatch: pytest.MonkeyPatch, code: int) -> list[tuple[Any, ...]]:
    """A libc whose renameat2 fails with ``code``; returns the calls it receives."""
    calls: list[tuple[Any, ...]] = []

    def renameat2(*args: Any) -> int:
        calls.append(args)
        ctypes.set_errno(code)
        return -1

    libc = types.SimpleNamespace(renameat2=renameat2)
    monkeypatch.setattr(ctypes, "CDLL", lambda name, use_errno=False: libc)
    return calls


@linux_only
@pytest.mark.parametrize("code", [errno.EACCES, errno.ENOSPC, errno.EXDEV])
def test_a_failed_exchange_keeps_the_old_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    target = tmp_path / "out"
    write_folder_atomic(target, fill_with({"a.csv": "old"}))  # type: ignore[arg-type]
    calls = fake_libc(monkeypatch, code)
    with pytest.raises(OutputError) as info:
        write_folder_atomic(target, fill_with({"a.csv": "new"}))  # type: ignore[arg-type]
    assert str(info.value) == f"cannot write folder {target}: {os.strerror(code)}"
    assert len(calls) == 1
    assert calls[0][0] == calls[0][2] == -100  # AT_FDCWD
    assert calls[0][3] == os.fsencode(target)
    assert calls[0][4] == 2  # RENAME_EXCHANGE
    assert contents(target) == {"a.csv": "old"}
    assert names(tmp_path) == ["out"]


@linux_only
@pytest.mark.parametrize("code", [errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOENT])
def test_an_exchange_the_file_system_lacks_falls_back_to_rename_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    target = tmp_path / "out"
    write_folder_atomic(target, fill_with({"a.csv": "old"}))  # type: ignore[arg-type]
    calls = fake_libc(monkeypatch, code)
    write_folder_atomic(target, fill_with({"a.csv": "new", "b.csv": "new"}))  # type: ignore[arg-type]
    assert len(calls) == 1
    assert contents(target) == {"a.csv": "new", "b.csv": "new"}
    assert names(tmp_path) == ["out"]


def no_libc(name: Any, use_errno: bool = False) -> Any:
    raise OSError(errno.ENOENT, "no libc")


@pytest.mark.parametrize(
    ("platform", "cdll"),
    [
        ("darwin", None),  # not Linux: libc is never loaded
        ("linux", lambda name, use_errno=False: types.SimpleNamespace()),  # glibc < 2.28
        ("linux", no_libc),
    ],
)
def test_without_renameat2_the_old_folder_is_renamed_aside(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    platform: str,
    cdll: Callable[..., Any] | None,
) -> None:
    target = tmp_path / "out"
    write_folder_atomic(target, fill_with({"a.csv": "old"}))  # type: ignore[arg-type]

    def unexpected(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("libc loaded on a system without renameat2")

    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(ctypes, "CDLL", cdll or unexpected)
    write_folder_atomic(target, fill_with({"a.csv": "new"}))  # type: ignore[arg-type]
    monkeypatch.undo()
    assert contents(target) == {"a.csv": "new"}
    assert names(tmp_path) == ["out"]


def test_a_target_moved_away_by_another_writer_is_written_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old folder vanishes between the failed rename and the rename aside: start again."""
    target = tmp_path / "out"
    write_folder_atomic(target, fill_with({"a.csv": "old"}))  # type: ignore[arg-type]
    moved: list[Path] = []

    def no_exchange(first: Path, second: Path) -> bool:
        if not moved:
            moved.append(second.rename(tmp_path / "elsewhere"))
        return False

    monkeypatch.setattr(atomic, "_exchange", no_exchange)
    write_folder_atomic(target, fill_with({"a.csv": "new"}))  # type: ignore[arg-type]
    assert contents(target) == {"a.csv": "new"}
    assert contents(tmp_path / "elsewhere") == {"a.csv": "old"}
    assert names(tmp_path) == ["elsewhere", "out"]


def another_writer_between(monkeypatch: pytest.MonkeyPatch, target: Path, times: int) -> list[int]:
    """Without an exchange, each time the old folder has been renamed aside (up to ``times``),
    another writer's complete folder comes in at ``target`` before ours does."""
    monkeypatch.setattr(atomic, "_exchange", lambda first, second: False)
    rename = os.rename
    came: list[int] = []

    def racing(src: Any, dst: Any, **kwargs: Any) -> None:
        if Path(dst) == target and not target.exists() and len(came) < times:
            target.mkdir()
            (target / "a.csv").write_text(f"other {len(came)}")
            came.append(1)
        rename(src, dst, **kwargs)

    monkeypatch.setattr(os, "rename", racing)
    return came


def test_another_writers_folder_between_the_renames_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out"
    write_folder_atomic(target, fill_with({"a.csv": "old"}))  # type: ignore[arg-type]
    came = another_writer_between(monkeypatch, target, times=1)
    write_folder_atomic(target, fill_with({"a.csv": "new"}))  # type: ignore[arg-type]
    assert len(came) == 1
    assert contents(target) == {"a.csv": "new"}
    assert names(tmp_path) == ["out"]


def test_a_writer_always_overtaken_gives_up_after_100_tries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out"
    write_folder_atomic(target, fill_with({"a.csv": "old"}))  # type: ignore[arg-type]
    came = another_writer_between(monkeypatch, target, times=1000)
    with pytest.raises(OutputError) as info:
        write_folder_atomic(target, fill_with({"a.csv": "new"}))  # type: ignore[arg-type]
    assert str(info.value) == f"cannot write {target}: other processes keep replacing it"
    assert len(came) == 100
    assert contents(target) == {"a.csv": "other 99"}  # the last complete folder renamed in
    assert names(tmp_path) == ["out"]


def failing_into_a_free_target(
    monkeypatch: pytest.MonkeyPatch, target: Path, code: int, *, old_too: bool
) -> None:
    """Without an exchange, a rename of the new folder (holding a.csv "new") to ``target`` once
    the old one is renamed aside fails with ``code``; with ``old_too``, so does renaming the old
    folder back."""
    monkeypatch.setattr(atomic, "_exchange", lambda first, second: False)
    rename = os.rename

    def failing(src: Any, dst: Any, **kwargs: Any) -> None:
        new = (Path(src) / "a.csv").read_text() == "new"
        if Path(dst) == target and not target.exists() and (new or old_too):
            raise OSError(code, os.strerror(code), str(src))
        rename(src, dst, **kwargs)

    monkeypatch.setattr(os, "rename", failing)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EXDEV, errno.EACCES])
def test_a_failed_rename_after_the_rename_aside_puts_the_old_folder_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    target = tmp_path / "out"
    write_folder_atomic(target, fill_with({"a.csv": "old"}))  # type: ignore[arg-type]
    failing_into_a_free_target(monkeypatch, target, code, old_too=False)
    with pytest.raises(OutputError) as info:
        write_folder_atomic(target, fill_with({"a.csv": "new"}))  # type: ignore[arg-type]
    assert str(info.value) == f"cannot write folder {target}: {os.strerror(code)}"
    assert contents(target) == {"a.csv": "old"}
    assert names(tmp_path) == ["out"]


def test_an_old_folder_that_cannot_be_put_back_is_kept_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out"
    write_folder_atomic(target, fill_with({"a.csv": "old"}))  # type: ignore[arg-type]
    failing_into_a_free_target(monkeypatch, target, errno.EIO, old_too=True)
    with pytest.raises(OutputError) as info:
        write_folder_atomic(target, fill_with({"a.csv": "new"}))  # type: ignore[arg-type]
    (aside,) = temporaries(tmp_path)
    assert str(info.value) == (
        f"cannot write folder {target}: {os.strerror(errno.EIO)}; the old folder could not be "
        f"renamed back and is kept at {tmp_path / aside}"
    )
    assert contents(tmp_path / aside) == {"a.csv": "old"}
    assert names(tmp_path) == [aside]


# ------------------------------------------------------------------------------------------
# Stale temporaries, in process


def test_remove_stale_keeps_what_it_cannot_attribute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = tmp_path / f".out.{os.getpid()}.0000aaaa.tmp"  # this process: a concurrent write
    ours.write_text("mine")
    odd = [".out.abc.12345678.tmp", ".out.123.tmp", ".out.１２.12345678.tmp", ".out.1.2.3.tmp"]
    for name in odd:
        (tmp_path / name).write_text("?")
    others = tmp_path / ".out.4000000.12345678.tmp"  # another user's process (EPERM)
    others.mkdir()
    kill = os.kill

    def not_permitted(pid: int, sig: int) -> None:
        if pid == 4000000:
            raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))
        kill(pid, sig)

    monkeypatch.setattr(os, "kill", not_permitted)
    assert remove_stale(tmp_path / "out") == []
    assert temporaries(tmp_path) == sorted([ours.name, *odd, others.name])
    assert remove_stale(tmp_path / "missing" / "out") == []


def test_a_number_no_process_can_have_neither_crashes_nor_removes(tmp_path: Path) -> None:
    """os.kill raises OverflowError beyond a C int; such a file is not a temporary of ours."""
    foreign = [f".out.json.{2**31}.12345678.tmp", f".out.json.{10**30}.12345678.tmp"]
    for name in foreign:
        (tmp_path / name).write_text("?")
    assert remove_stale(tmp_path / "out.json") == []
    write_atomic(tmp_path / "out.json", "new")
    assert contents(tmp_path) == dict.fromkeys(foreign, "?") | {"out.json": "new"}


# ------------------------------------------------------------------------------------------
# Caught signals, in process: the handler cleans up, then the previous handler gets the signal


@pytest.fixture
def previous_handler() -> Any:
    """Install a recording Python handler for a signal; the originals come back afterwards."""
    saved: dict[signal.Signals, Any] = {}

    def install(sig: signal.Signals) -> tuple[list[int], Callable[[int, Any], None]]:
        received: list[int] = []

        def record(signum: int, frame: Any) -> None:
            received.append(signum)

        saved.setdefault(sig, signal.getsignal(sig))
        signal.signal(sig, record)
        return received, record

    yield install
    for sig, old in saved.items():
        signal.signal(sig, old)


@posix_only
@pytest.mark.parametrize("name", CAUGHT_SIGNALS)
def test_a_signal_during_a_folder_write_cleans_up_then_reaches_the_previous_handler(
    tmp_path: Path, previous_handler: Any, name: str
) -> None:
    sig = getattr(signal, name)
    target = tmp_path / "out"
    write_folder_atomic(target, fill_with({"a.csv": "old"}))  # type: ignore[arg-type]
    received, record = previous_handler(sig)
    reached: list[str] = []

    def fill(folder: Path) -> None:
        (folder / "a.csv").write_text("new")
        signal.raise_signal(sig)
        reached.append("after the signal")

    with pytest.raises(OutputError) as info:
        write_folder_atomic(target, fill)
    assert str(info.value) == f"interrupted by signal {int(sig)}; nothing was written"
    assert reached == []
    assert received == [sig]
    assert signal.getsignal(sig) is record
    assert contents(target) == {"a.csv": "old"}
    assert names(tmp_path) == ["out"]


@posix_only
def test_a_signal_during_a_file_write_cleans_up_then_reaches_the_previous_handler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, previous_handler: Any
) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    received, record = previous_handler(signal.SIGTERM)
    fsync = os.fsync

    def interrupted(fd: int) -> None:
        signal.raise_signal(signal.SIGTERM)
        fsync(fd)

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(OutputError) as info:
        write_atomic(target, "new")
    monkeypatch.undo()
    assert str(info.value) == f"interrupted by signal {int(signal.SIGTERM)}; nothing was written"
    assert received == [signal.SIGTERM]
    assert signal.getsignal(signal.SIGTERM) is record
    assert target.read_text() == "old"
    assert names(tmp_path) == ["out.json"]


@posix_only
def test_sigint_under_the_default_handler_raises_keyboard_interrupt_after_cleanup(
    tmp_path: Path,
) -> None:
    target = tmp_path / "out"
    write_folder_atomic(target, fill_with({"a.csv": "old"}))  # type: ignore[arg-type]

    def fill(folder: Path) -> None:
        (folder / "a.csv").write_text("new")
        signal.raise_signal(signal.SIGINT)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            write_folder_atomic(target, fill)
        after = signal.getsignal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert after is signal.default_int_handler
    assert contents(target) == {"a.csv": "old"}
    assert names(tmp_path) == ["out"]


@posix_only
def test_an_ignored_signal_stays_ignored_and_the_write_completes(
    tmp_path: Path, previous_handler: Any
) -> None:
    """Under ``nohup`` SIGHUP is ignored: no handler replaces that, and the write goes on."""
    target = tmp_path / "out"
    write_folder_atomic(target, fill_with({"a.csv": "old"}))  # type: ignore[arg-type]
    previous_handler(signal.SIGHUP)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    during: list[Any] = []

    def fill(folder: Path) -> None:
        during.append(signal.getsignal(signal.SIGHUP))
        (folder / "a.csv").write_text("new")
        signal.raise_signal(signal.SIGHUP)
        (folder / "b.csv").write_text("new")

    write_folder_atomic(target, fill)
    assert during == [signal.SIG_IGN]
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    assert contents(target) == {"a.csv": "new", "b.csv": "new"}
    assert names(tmp_path) == ["out"]


@posix_only
def test_a_nested_write_keeps_the_outer_writes_handlers(
    tmp_path: Path, previous_handler: Any
) -> None:
    _, record = previous_handler(signal.SIGTERM)
    target = tmp_path / "out"
    seen: list[Any] = []

    def fill(folder: Path) -> None:
        seen.append(signal.getsignal(signal.SIGTERM))
        write_atomic(folder / "a.csv", "inner")
        seen.append(signal.getsignal(signal.SIGTERM))

    write_folder_atomic(target, fill)
    assert seen[0] is not record  # the write's own handler, during the write
    assert seen[1] is seen[0]  # still there after the nested write returned
    assert signal.getsignal(signal.SIGTERM) is record
    assert contents(target) == {"a.csv": "inner"}


@posix_only
def test_a_write_in_another_thread_leaves_the_handlers_alone(
    tmp_path: Path, previous_handler: Any
) -> None:
    """Python runs handlers in the main thread only: a worker's write installs none."""
    _, record = previous_handler(signal.SIGTERM)
    seen: list[Any] = []
    errors: list[BaseException] = []

    def fill(folder: Path) -> None:
        seen.append(signal.getsignal(signal.SIGTERM))
        (folder / "a.csv").write_text("from a thread")

    def work() -> None:
        try:
            write_folder_atomic(tmp_path / "out", fill)
            write_atomic(tmp_path / "out.json", "from a thread")
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert errors == []
    assert seen == [record]
    assert contents(tmp_path / "out") == {"a.csv": "from a thread"}
    assert (tmp_path / "out.json").read_text() == "from a thread"
    assert names(tmp_path) == ["out", "out.json"]


# ------------------------------------------------------------------------------------------
# Kills and concurrent writers of `chokepoint generate -o DIR`

NODES = "3000"


def generate(target: Path, seed: int, *, measured: bool = True) -> subprocess.Popen[bytes]:
    """``chokepoint generate -o target``; unless ``measured``, without coverage: a process
    killed while coverage saves its data leaves a broken data file, which combining warns of."""
    env = (
        None if measured else {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    )
    return subprocess.Popen(
        [CHOKEPOINT, "generate", "--nodes", NODES, "--seed", str(seed), "-o", str(target)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )


def finish(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    _, err = process.communicate()
    return process.returncode, err.decode()


@pytest.fixture(scope="module")
def outputs(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[int, dict[str, str]], float]:
    """Reference outputs for seeds 1, 2 and 3, and the time one run takes."""
    root = tmp_path_factory.mktemp("references")
    hashes: dict[int, dict[str, str]] = {}
    took = 0.0
    for seed in (1, 2, 3):
        start = time.perf_counter()
        process = generate(root / f"seed{seed}", seed)
        assert finish(process) == (0, "")
        took = max(took, time.perf_counter() - start)
        hashes[seed] = digest(root / f"seed{seed}")
    assert hashes[1] != hashes[2] != hashes[3]
    return root, hashes, took


@posix_only
def test_kills_leave_the_old_or_the_new_folder(
    tmp_path: Path, outputs: tuple[Path, dict[int, dict[str, str]], float]
) -> None:
    root, hashes, took = outputs
    target = tmp_path / "net"
    rng = random.Random(11)
    outcomes = []
    for kill in (signal.SIGTERM, signal.SIGKILL, signal.SIGTERM, signal.SIGKILL, signal.SIGTERM):
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(root / "seed1", target)
        before = temporaries(tmp_path)  # what an earlier SIGKILL may have left
        process = generate(target, 2, measured=False)
        time.sleep(rng.uniform(0.2, 1.0) * took)
        process.send_signal(kill)
        code, _ = finish(process)
        state = digest(target)
        assert state in (hashes[1], hashes[2]), f"mixed folder after {kill.name}"
        outcomes.append("new" if state == hashes[2] else "old")
        if kill == signal.SIGTERM:
            assert set(temporaries(tmp_path)) <= set(before), f"{kill.name}, exit {code}"
    assert set(outcomes) <= {"old", "new"}
    process = generate(target, 2)  # a complete write removes what SIGKILL left
    assert finish(process) == (0, "")
    assert digest(target) == hashes[2]
    assert temporaries(tmp_path) == []


@posix_only
def test_concurrent_writers_end_with_one_complete_folder(
    tmp_path: Path, outputs: tuple[Path, dict[int, dict[str, str]], float]
) -> None:
    root, hashes, _ = outputs
    target = tmp_path / "net"
    for _ in range(2):
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(root / "seed1", target)
        first, second = generate(target, 2), generate(target, 3)
        assert (finish(first), finish(second)) == ((0, ""), (0, ""))
        assert digest(target) in (hashes[2], hashes[3])
        assert temporaries(tmp_path) == []
    shutil.rmtree(target)  # and into a folder that does not exist yet
    first, second = generate(target, 2), generate(target, 3)
    assert (finish(first), finish(second)) == ((0, ""), (0, ""))
    assert digest(target) in (hashes[2], hashes[3])
    assert temporaries(tmp_path) == []
