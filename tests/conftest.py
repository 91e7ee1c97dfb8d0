"""Shared fixtures: the test data folder, a CLI runner with a pinned console width, and the
small chain ``tests/data/valid/mini.yaml`` with its analysis and a scenario (export and plot)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from typer.testing import CliRunner

import chokepoint
from chokepoint.core.analysis import Analysis
from chokepoint.core.compiled import Compiled
from chokepoint.core.scenarios import Scenario, ScenarioResult
from chokepoint.io import fastcsv
from chokepoint.model import Chain, Cut


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Return ``tests/data`` (``valid/`` and deliberately ``broken/`` chain files)."""
    return Path(__file__).parent / "data"


@pytest.fixture
def runner() -> CliRunner:
    """Return a CLI runner with a fixed console width and no size limit from the environment."""
    return CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1", "CHOKEPOINT_MAX_BYTES": None})


@pytest.fixture(scope="session")
def mini(data_dir: Path) -> Chain:
    """The chain ``mini.yaml``: reducers, PLCs, robots and cars (hand-worked values in the tests)."""
    return chokepoint.load_chain(data_dir / "valid" / "mini.yaml")


@pytest.fixture(scope="session")
def analysis(mini: Chain) -> Analysis:
    """``analyze(mini)`` from the chain's perspective, CN."""
    return chokepoint.analyze(mini)


@pytest.fixture(scope="session")
def jp_cut(mini: Chain) -> ScenarioResult:
    """Japan cuts every node of ``mini`` fully."""
    return chokepoint.run_scenario(mini, Scenario(cuts=(Cut("JP", 1.0),), name="jp-cut"))


@pytest.fixture
def dense_exposure() -> Callable[[Compiled, list[str]], npt.NDArray[np.float64]]:
    """The exposure reference: X = (I - diag(s_P) W)^-1 S by a dense solve (the Leontief-inverse
    form of input-output analysis), columns ``origins`` then the total."""

    def solve(c: Compiled, origins: list[str]) -> npt.NDArray[np.float64]:
        w = np.zeros((c.size, c.size))
        np.add.at(w, (c.in_user, c.in_src), c.in_cost)
        s = np.zeros((c.size, len(origins) + 1))
        column = {o: k for k, o in enumerate(origins)}
        for p, (o, r) in enumerate(zip(c.pair_origin, c.pair_row.tolist(), strict=True)):
            s[r, column[o]] = c.pair_share[p]
        s[:, -1] = np.where(c.known, 1.0 - c.domestic, 0.0)
        x: npt.NDArray[np.float64] = np.linalg.solve(np.eye(c.size) - c.domestic[:, None] * w, s)
        return x

    return solve


@pytest.fixture(params=["arrow", "stdlib"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with pyarrow parsing every table, and with the standard library only."""
    monkeypatch.setattr(fastcsv, "ARROW_CHARS", 0 if request.param == "arrow" else 1 << 60)
    return str(request.param)
