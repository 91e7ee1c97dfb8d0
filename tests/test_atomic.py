"""Atomic writes (chokepoint.io.atomic): old or new, never a mix, and no temporary left behind.

The kill and concurrency loops here are the short version of ``benchmarks/kill_loop.py`` (50 kills,
10 concurrent pairs): a few kills of ``chokepoint generate -o DIR`` over an existing folder at
random moments (fixed seed), with SIGTERM and SIGKILL, and a few concurrent pairs; after each the
folder must hash to the old output or the new one.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from chokepoint.errors import OutputError
from chokepoint.io.atomic import remove_stale, write_atomic, write_folder_atomic

CHOKEPOINT = str(Path(sys.executable).parent / "chokepoint")
posix_only = pytest.mark.skipif(os.name != "posix", reason="signals and FIFOs are POSIX")


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
    from chokepoint.io import atomic

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
# Kills and concurrent writers of `chokepoint generate -o DIR`

NODES = "3000"


def generate(target: Path, seed: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [CHOKEPOINT, "generate", "--nodes", NODES, "--seed", str(seed), "-o", str(target)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
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
        process = generate(target, 2)
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
