"""Shared fixtures: the test data folder and a CLI runner with a pinned console width."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Return ``tests/data`` (``valid/`` and deliberately ``broken/`` chain files)."""
    return Path(__file__).parent / "data"


@pytest.fixture
def runner() -> CliRunner:
    """Return a CLI runner with a fixed console width and no size limit from the environment."""
    return CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1", "CHOKEPOINT_MAX_BYTES": None})
