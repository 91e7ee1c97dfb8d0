"""Kill and concurrency loops of issue 11: is `generate -o DIR` atomic?

    python benchmarks/kill_loop.py [--kills 50] [--pairs 10] [--nodes 20000] [--seed 0]
                                   [--window FROM TO] [--exe PATH/TO/chokepoint]

An existing folder (the output of seed 1) is overwritten by `chokepoint generate --seed 2 -o DIR`,
killed at a random moment (uniform over one run's duration; SIGTERM and SIGKILL in turn). After
each kill the folder must hash to the old output or the new one; a folder mixing both, or a
missing folder, is a failure. Temporary files (`.NAME.*.tmp` beside the target) must be gone
after SIGTERM (caught: the handler removes them); SIGKILL cannot be caught and may leave one,
which the next write must remove. Then `--pairs` rounds start two writers (seeds 2 and 3) on the
same folder at once; each must end with one complete output. Prints the tally.

Exit status 0 when every round ended with the old or a new output and no temporary was left
where one must not be; 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path


def digest(folder: Path) -> tuple[tuple[str, str], ...] | None:
    if not folder.is_dir():
        return None
    return tuple(
        (p.name, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(folder.iterdir())
        if p.is_file()
    )


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def start(exe: str, nodes: int, seed: int, target: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [exe, "generate", "--nodes", str(nodes), "--seed", str(seed), "-o", str(target)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def finish(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    _, err = process.communicate()
    return process.returncode, err.decode(errors="replace")


def reset(reference: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(reference, target)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--nodes", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill moments")
    parser.add_argument(
        "--window",
        type=float,
        nargs=2,
        default=(0.0, 1.0),
        metavar=("FROM", "TO"),
        help="kill moments, as fractions of one run's duration (0.6 1.0 aims at the write)",
    )
    parser.add_argument("--exe", default=str(Path(sys.executable).parent / "chokepoint"))
    options = parser.parse_args()
    rng = random.Random(options.seed)

    with tempfile.TemporaryDirectory(prefix="kill-loop-") as tmp:
        root = Path(tmp)
        refs = root / "references"
        refs.mkdir()
        hashes = {}
        took = 0.0
        for seed in (1, 2, 3):
            begun = time.perf_counter()
            code, err = finish(start(options.exe, options.nodes, seed, refs / f"seed{seed}"))
            if code != 0:
                print(f"reference run failed (exit {code}): {err}")
                return 1
            took = max(took, time.perf_counter() - begun)
            hashes[seed] = digest(refs / f"seed{seed}")
        print(
            f"# generate --nodes {options.nodes:,}: one run {took:.2f} s; "
            f"{len(hashes[1] or ())} files per folder"
        )
        work = root / "work"
        work.mkdir()
        target = work / "net"
        tally: Counter[tuple[str, str]] = Counter()
        left: Counter[str] = Counter()
        writing: Counter[str] = Counter()
        failures = 0
        for k in range(options.kills):
            kill = signal.SIGTERM if k % 2 == 0 else signal.SIGKILL
            reset(refs / "seed1", target)
            before = set(temporaries(work))  # a SIGKILL before may have left one
            process = start(options.exe, options.nodes, 2, target)
            time.sleep(rng.uniform(*options.window) * took)
            if set(temporaries(work)) - before or any(
                p.name.endswith(".tmp") for p in target.iterdir()
            ):
                writing[kill.name] += 1  # a temporary existed just before the signal
            process.send_signal(kill)
            finish(process)
            state = digest(target)
            outcome = (
                "old"
                if state == hashes[1]
                else "new"
                if state == hashes[2]
                else "missing"
                if state is None
                else "MIXED"
            )
            tally[(kill.name, outcome)] += 1
            failures += outcome in ("MIXED", "missing")
            stray = set(temporaries(work)) - before
            if stray:
                left[kill.name] += 1
                if kill == signal.SIGTERM:
                    failures += 1
        code, err = finish(start(options.exe, options.nodes, 2, target))
        cleaned = code == 0 and digest(target) == hashes[2] and not temporaries(work)
        failures += not cleaned

        pairs: Counter[str] = Counter()
        for p in range(options.pairs):
            if p % 2 == 0:
                reset(refs / "seed1", target)
            elif target.exists():
                shutil.rmtree(target)  # half the rounds race to create the folder
            first = start(options.exe, options.nodes, 2, target)
            second = start(options.exe, options.nodes, 3, target)
            codes = (finish(first)[0], finish(second)[0])
            state = digest(target)
            outcome = (
                "seed 2"
                if state == hashes[2]
                else "seed 3"
                if state == hashes[3]
                else "missing"
                if state is None
                else "MIXED"
            )
            if codes != (0, 0):
                outcome += f" (exits {codes[0]}, {codes[1]})"
                failures += 1
            if temporaries(work):
                outcome += " + temporary left"
                failures += 1
            pairs[outcome] += 1
            failures += outcome.startswith(("MIXED", "missing"))

    print(f"\n## {options.kills} kills during `generate -o DIR` over an existing folder")
    print(
        f"{'signal':<8} {'old':>5} {'new':>5} {'mixed':>6} {'missing':>8} {'temp left':>10} "
        f"{'mid-write':>10}"
    )
    for name in ("SIGTERM", "SIGKILL"):
        print(
            f"{name:<8} {tally[(name, 'old')]:>5} {tally[(name, 'new')]:>5} "
            f"{tally[(name, 'MIXED')]:>6} {tally[(name, 'missing')]:>8} {left[name]:>10} "
            f"{writing[name]:>10}"
        )
    print("(mid-write: a temporary file or folder existed just before the signal was sent)")
    print(f"next complete write removed every temporary: {'yes' if cleaned else 'NO'}")
    print(f"\n## {options.pairs} concurrent pairs (seeds 2 and 3) on one folder")
    for outcome, count in sorted(pairs.items()):
        print(f"{outcome:<30} {count:>3}")
    print(f"\n{'PASS' if failures == 0 else f'FAIL ({failures} failures)'}")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
