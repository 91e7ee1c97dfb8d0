"""The shell examples run against the installed command and agree with each other."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MINI = str(Path(__file__).parent / "data" / "valid" / "mini.yaml")


PATH = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


def _run(script: str, *args: str) -> dict[str, float]:
    """Run an example; return its ORIGIN<TAB>LOSS lines as a mapping."""
    done = subprocess.run(
        ["bash", str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": PATH},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    pairs = (line.split("\t") for line in done.stdout.splitlines())
    return {origin: float(loss) for origin, loss in pairs}


def test_sweep_example_on_mini() -> None:
    # mini: a full EU cut loses PLCs, an inessential input: no final loss; a full JP cut hits
    # robots (0.5 imported + 0.5 * 0.65 via reducers) -> cars lose 0.825 under leontief
    assert _run("origins-sweep.sh", MINI) == {"EU": 0.0, "JP": pytest.approx(0.825)}


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_loop_example_matches_sweep() -> None:
    assert _run("origins-loop.sh", MINI) == {"EU": 0.0, "JP": pytest.approx(0.825)}
    assert _run("origins-loop.sh", "robots") == pytest.approx(_run("origins-sweep.sh", "robots"))


@pytest.mark.skipif(shutil.which("shellcheck", path=PATH) is None, reason="shellcheck is missing")
def test_examples_pass_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck", path=PATH)
    assert shellcheck is not None
    scripts = sorted(str(p) for p in EXAMPLES.glob("*.sh"))
    done = subprocess.run([shellcheck, *scripts], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout
