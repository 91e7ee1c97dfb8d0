"""The distributed mode (dask), the bounded-memory summary of Monte Carlo and its determinism.

Same seed, same bytes: whatever the chunk, the memory limit or the workers (a local dask cluster
of two workers in threads, started once for the module, and once a cluster of two processes).
The histogram's quantiles are checked against numpy's exact ones, within 1 / (2 x 6,000).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import chokepoint.core.distributed
import chokepoint.core.montecarlo
from chokepoint import load_chain
from chokepoint.cli import app
from chokepoint.core.montecarlo import (
    BINS,
    BLOCK,
    _Block,
    _codes,
    _Summary,
    _Totals,
    montecarlo,
)
from chokepoint.core.scenarios import sweep
from chokepoint.errors import DistributedError, ScenarioError
from chokepoint.model import Chain

from .chains import MIXED, write_chain

distributed = pytest.importorskip("distributed")

ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
#: x = {CN 0.5, JP 0.4, US 0.1}: from CN's point of view JP and US are cut, independently.
TWO = "- {id: x, name: X, stage: up, shares: {CN: 0.5, JP: 0.4, US: 0.1}, source: s}\n"


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of a local cluster of two single-threaded workers in this process."""
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        dashboard_address=":0",
        silence_logs=50,
    ) as cluster:
        yield cluster.scheduler_address


def two(tmp_path: Path) -> Chain:
    return load_chain(write_chain(tmp_path, "two", TWO))


# -- the summary ---------------------------------------------------------------------------


def summary_of(losses: np.ndarray, block: int = BLOCK) -> list[tuple[float, ...]]:
    """The stats of ``losses`` (finals x samples) through blocks of the run's summary."""
    finals, samples = losses.shape
    engine = SimpleNamespace(finals=[""] * finals, origins=[], origin_names=[])
    summary = _Summary(engine, samples)  # type: ignore[arg-type]
    for index, start in enumerate(range(0, samples, block)):
        q = losses[:, start : start + block]
        sums = np.zeros(finals)
        for k in range(q.shape[1]):
            sums += q[:, k]
        summary.merge(
            _Block(
                index,
                _codes(q),
                sums,
                q.min(axis=1),
                q.max(axis=1),
                np.zeros(q.shape[1]),
                _Totals(0),
                _Totals(0),
            )
        )
    return summary.stats()


def test_quantiles_within_the_bound_on_awkward_values() -> None:
    """Values on and one ulp around the bin edges k / 6,000, the atoms 0 and 1, a share (0.4)
    that recurs, and uniform noise; every quantile within 1 / 12,000 of numpy's (the rounding
    of a midpoint aside), far below the promised 1e-4."""
    rng = np.random.default_rng(0)
    edges = np.arange(1, BINS) / BINS
    awkward = np.concatenate(
        [edges, np.nextafter(edges, 0), np.nextafter(edges, 1), [0.0] * 500, [1.0] * 50]
    )
    rows = [
        rng.permutation(awkward)[:3000],
        np.where(rng.random(3000) < 0.3, 0.4, 0.0),  # a share, or nothing
        rng.random(3000) ** 3,
        np.concatenate([np.zeros(2990), rng.random(10)]),  # P99 among few positives
        np.full(3000, 0.123456789),  # never varies: exact
    ]
    losses = np.array(rows)
    for stats, row in zip(summary_of(losses), losses, strict=True):
        exact = np.quantile(row, [0.5, 0.9, 0.99])
        assert stats[0] == pytest.approx(row.mean(), rel=1e-12)
        assert np.abs(np.array(stats[1:]) - exact).max() <= 1 / (2 * BINS) + 1e-15
    assert summary_of(losses[4:])[0][1:] == (0.123456789,) * 3


def test_carries_folded_early_or_late(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A count above 255 keeps its carry apart; folding the carries after every chunk or only
    at the end gives the same counts, so the same document."""
    chain = two(tmp_path)
    late = montecarlo(chain, 3_000, seed=2, p_cut=0.2, severity_dist="fixed:1").to_dict()
    monkeypatch.setattr(chokepoint.core.montecarlo, "_CARRY_PENDING", 0)
    early = montecarlo(chain, 3_000, seed=2, p_cut=0.2, severity_dist="fixed:1", chunk=100)
    assert early.to_dict() == late
    # 3,000 samples of L in {0, 0.1, 0.4, 0.5}: about 1,920 zeros, 7 carries of 256
    assert late["final"][0]["p50"] == 0.0


def test_one_node_two_origins_closed_form(tmp_path: Path) -> None:
    """x = {CN 0.5, JP 0.4, US 0.1}, p = 0.2, full cuts: L = 0.4 B_JP + 0.1 B_US with

    =====  ==================  ==========
    L      P(L)                P(L <= .)
    =====  ==================  ==========
    0      0.8 x 0.8 = 0.64    0.64
    0.1    0.8 x 0.2 = 0.16    0.80
    0.4    0.2 x 0.8 = 0.16    0.96
    0.5    0.2 x 0.2 = 0.04    1
    =====  ==================  ==========

    so P50 = 0, P90 = 0.4, P99 = 0.5; with 20,000 samples the empirical CDF at 0.1 and 0.4 is
    within 4 SE (4 sqrt(0.96 x 0.04 / n) = 0.0055) of 0.80 and 0.96, far from 0.5, 0.9 and 0.99,
    so the sample quantiles are those values. E[L] = 0.2 x 0.4 + 0.2 x 0.1 = 0.1, Var L = 0.16 x
    0.16 + 0.01 x 0.16 = 0.0272, SE = 0.165 / sqrt(n) = 1.2e-3. P50 (the atom 0) and P99 (the
    largest value) are exact; P90 = 0.4 falls in the bin [0.4, 0.4 + 1/6,000): its midpoint is
    within 1/12,000 of 0.4.
    """
    result = montecarlo(two(tmp_path), 20_000, seed=5, p_cut=0.2, severity_dist="fixed:1")
    (stats,) = result.final
    assert stats.mean == pytest.approx(0.1, abs=4 * 1.2e-3)
    assert stats.p50 == 0.0
    assert stats.p99 == 0.5
    assert stats.p90 == pytest.approx(0.4 + 1 / 12_000, abs=1e-15)
    assert abs(stats.p90 - 0.4) <= 1e-4


# -- determinism ---------------------------------------------------------------------------


def document(chain: Chain, **kwargs: Any) -> str:
    return json.dumps(montecarlo(chain, 2_500, seed=7, p_cut=0.3, **kwargs).to_dict())


def test_the_same_bytes_whatever_the_chunk_memory_or_workers(
    tmp_path: Path, scheduler: str
) -> None:
    """2,500 samples: blocks of 1,024, 1,024 and 452, chunked by 1, 100 and 5,000 samples, by
    a memory limit, and on two workers: one document."""
    chain = load_chain(write_chain(tmp_path, "mixed", MIXED))
    expected = document(chain)
    assert document(chain, chunk=1) == expected
    assert document(chain, chunk=100) == expected
    assert document(chain, chunk=5_000) == expected
    assert document(chain, memory_limit=200_000) == expected
    calls: list[tuple[int, int]] = []
    progress = lambda done, total: calls.append((done, total))  # noqa: E731
    assert document(chain, scheduler=scheduler, progress=progress) == expected
    assert calls == [(1024, 2500), (2048, 2500), (2500, 2500)]  # once a block is merged
    assert document(chain, scheduler=scheduler, chunk=3) == expected
    assert json.loads(expected)["samples"] == 2_500


def test_a_local_cluster_of_two_processes(tmp_path: Path) -> None:
    chain = load_chain(write_chain(tmp_path, "mixed", MIXED))
    assert document(chain, workers=2) == document(chain)


def test_sweep_on_workers_gives_the_same_rows(scheduler: str) -> None:
    robots = load_chain("robots")
    alone = sweep(robots, cut="JP", severity="0:1:0.001")
    calls: list[tuple[int, int]] = []
    spread = sweep(
        robots,
        cut="JP",
        severity="0:1:0.001",
        scheduler=scheduler,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert json.dumps(spread.to_dict()) == json.dumps(alone.to_dict())
    assert len(alone.rows) == 1001
    assert calls[-1] == (1001, 1001)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_memory_limit_below_the_summary(tmp_path: Path) -> None:
    """One final product and 2 pairs, 1,000 samples: a histogram of 6,002 counts of a byte,
    16 bytes for each of at most 1,000 // 256 + 1 = 4 carries (64), 8 bytes per sample (8,000),
    a block's codes (2,000), the running totals (16 x 5 = 80) and one sample's working matrices
    (22 x 3 = 66): 16,212 bytes."""
    with pytest.raises(
        ScenarioError, match=r"limit of 10,000 bytes \(0.01 MB\) is below the 16,212"
    ):
        montecarlo(two(tmp_path), 1_000, seed=1, memory_limit=10_000)


def test_memory_limit_sets_the_chunk(tmp_path: Path) -> None:
    """Progress comes once per chunk: a limit that leaves room for 3 samples' working matrices
    (22 bytes x (1 node + 2 pairs) = 66 bytes a sample) gives chunks of 3."""
    fixed = 6_002 + 16 + 10 * 8 + 10 * 2 + 16 * (2 + 2 + 1)
    calls: list[int] = []
    montecarlo(
        two(tmp_path),
        10,
        seed=1,
        memory_limit=fixed + 3 * 66,
        progress=lambda done, _: calls.append(done),
    )
    assert calls == [3, 6, 9, 10]


# -- errors --------------------------------------------------------------------------------


def test_missing_dask_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    with pytest.raises(DistributedError, match=r"pip install 'chokepoint-supply\[dask\]'"):
        montecarlo(two(tmp_path), 10, seed=1, workers=2)
    chain = str(write_chain(tmp_path, "again", TWO))
    for args in (
        ["montecarlo", chain, "--workers", "2"],
        ["sweep", chain, "--cut", "JP", "--workers", "2"],
    ):
        result = runner.invoke(app, args, env=ENV)
        assert result.exit_code == 2, result.output
        assert "need dask.distributed, which is not installed" in result.stderr
        assert "pip install 'chokepoint-supply[dask]'" in result.stderr
        assert "Traceback" not in result.output


def test_unreachable_scheduler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    monkeypatch.setattr(chokepoint.core.distributed, "CONNECT_TIMEOUT", 1)
    chain = str(write_chain(tmp_path, "two", TWO))
    result = runner.invoke(app, ["montecarlo", chain, "--scheduler", "tcp://127.0.0.1:9"], env=ENV)
    assert result.exit_code == 2, result.output
    assert "cannot reach the dask scheduler at 'tcp://127.0.0.1:9' within 1 s" in result.stderr
    assert "--workers N for a local cluster" in result.stderr


def test_a_scheduler_without_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chokepoint.core.distributed, "CONNECT_TIMEOUT", 1)
    with distributed.LocalCluster(
        n_workers=0, processes=False, dashboard_address=":0", silence_logs=50
    ) as empty:
        address = empty.scheduler_address
        with pytest.raises(DistributedError, match=r"has no worker after 1 s; start some with"):
            montecarlo(two(tmp_path), 10, seed=1, scheduler=address)


def test_workers_and_scheduler_together(tmp_path: Path, runner: CliRunner) -> None:
    chain = str(write_chain(tmp_path, "two", TWO))
    result = runner.invoke(
        app, ["montecarlo", chain, "--workers", "2", "--scheduler", "tcp://x:1"], env=ENV
    )
    assert result.exit_code == 2
    assert "give --workers N (a local cluster) or --scheduler ADDRESS, not both" in result.stderr


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"workers": 0}, "workers must be a whole number >= 1, not 0"),
        ({"workers": 2, "scheduler": "tcp://x:1"}, "not both"),
        ({}, "give workers=N"),
    ],
)
def test_client_arguments(kwargs: dict[str, Any], message: str) -> None:
    with (
        pytest.raises(DistributedError, match=message),
        chokepoint.core.distributed.client(**kwargs),
    ):
        pass  # pragma: no cover


def test_cli_montecarlo_on_a_scheduler(tmp_path: Path, scheduler: str, runner: CliRunner) -> None:
    chain = str(write_chain(tmp_path, "two", TWO))
    args = ["montecarlo", chain, "--samples", "3000", "--seed", "2", "-f", "json"]
    alone = runner.invoke(app, args, env=ENV)
    spread = runner.invoke(app, [*args, "--scheduler", scheduler], env=ENV)
    limited = runner.invoke(app, [*args, "--memory-limit", "1"], env=ENV)
    assert alone.exit_code == spread.exit_code == limited.exit_code == 0, spread.output
    assert alone.stdout == spread.stdout == limited.stdout
    assert json.loads(alone.stdout)["samples"] == 3000


def test_no_dask_at_start_up() -> None:
    """dask is imported only when workers are asked for."""
    code = (
        "import sys, chokepoint.cli, chokepoint.core.montecarlo, chokepoint.core.scenarios; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"
