"""Monte Carlo with durations (issue 15, item 4): each sample's cuts last a random number of
months and each final product's cumulative loss is summarised. Expected figures are worked out
by hand from the time model (docs/methodology.md, "Disruptions over time")."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from chokepoint import load_chain
from chokepoint.cli import app
from chokepoint.core.compiled import compile_chain
from chokepoint.core.montecarlo import (
    BINS,
    MonthsDist,
    montecarlo,
    parse_months_dist,
    parse_severity_dist,
)
from chokepoint.core.scenarios import Scenario
from chokepoint.core.timeline import stock_vector, timeline
from chokepoint.errors import ScenarioError
from chokepoint.io.generate import build_network
from chokepoint.io.loader import check_document
from chokepoint.io.yamlread import Located
from chokepoint.model import Chain, Cut

from .chains import FIVE, write_chain
from .test_montecarlo import indicators

# The worked example: M {JP 0.6, CN 0.4} -> C -> F (domestic, essential); stocks M 1,
# C 2. JP's cut of M lasting T months: M's stock lasts 1/0.6 = 5/3 months, C's 2/0.6 = 10/3
# more, so F runs short from month 5 until the cut ends: CL_F = 0.6 max(0, T - 5).
WORKED = """\
- {id: m, name: M, stage: up, shares: {JP: 0.6, CN: 0.4}, source: s, stock_months: 1}
- {id: c, name: C, stage: mid, shares: {CN: 1.0}, source: s, stock_months: 2, inputs: [{node: m, cost_share: 0.5}]}
- {id: f, name: F, stage: down, shares: {CN: 1.0}, source: s, inputs: [{node: c, cost_share: 0.5}]}
"""


def worked(tmp_path: Path) -> Chain:
    return load_chain(write_chain(tmp_path, "worked", WORKED, extra=""))


def run_worked(tmp_path: Path, months: str, samples: int = 200, **kwargs: object):  # type: ignore[no-untyped-def]
    # p_cut 1, severity 1: JP is the only foreign origin (perspective CN), cut at M always
    return montecarlo(
        worked(tmp_path),
        samples,
        seed=4,
        p_cut=1.0,
        severity_dist="fixed:1",
        months_dist=months,
        **kwargs,  # type: ignore[arg-type]
    )


def test_worked_example_fixed_six_months(tmp_path: Path) -> None:
    """T = 6 in every sample: CL_F = 0.6 (6 - 5) = 0.6, F runs short in every sample."""
    result = run_worked(tmp_path, "fixed:6")
    (f,) = result.final
    assert f.cumulative is not None
    assert (f.cumulative.p50, f.cumulative.p90, f.cumulative.p99) == (0.6, 0.6, 0.6)
    assert f.cumulative.mean == pytest.approx(0.6, rel=1e-12)  # a sum of 200 x 0.6, / 200
    assert f.cumulative.p_short == 1.0
    assert f.mean == pytest.approx(0.6, rel=1e-12)  # the static loss is unchanged
    document = result.to_dict()
    assert (document["months_dist"], document["horizon"]) == ("fixed:6", 6.0)
    assert document["stocks"] == {"m": 1.0, "c": 2.0}
    assert document["final"][0]["cumulative"]["p90"] == 0.6


def test_worked_example_four_months_no_shortage(tmp_path: Path) -> None:
    """T = 4 < 5: the stocks outlast the cut, CL_F = 0 and F never runs short."""
    (f,) = run_worked(tmp_path, "fixed:4").final
    assert f.cumulative is not None
    assert (f.cumulative.mean, f.cumulative.p50, f.cumulative.p99) == (0.0, 0.0, 0.0)
    assert f.cumulative.p_short == 0.0


def test_stock_option_overrides_the_chain(tmp_path: Path) -> None:
    """--stock c=0.6: C's stock lasts 1 month after M's (5/3 + 1 = 8/3); with T = 6,
    CL_F = 0.6 (6 - 8/3) = 2.0."""
    result = run_worked(tmp_path, "fixed:6", stocks=["c=0.6"])
    (f,) = result.final
    assert f.cumulative is not None
    assert f.cumulative.p50 == pytest.approx(2.0, rel=1e-12)
    assert "stock of c = 0.6 months (assumed)" in result.assumptions


def test_uniform_months_closed_form(tmp_path: Path) -> None:
    """T ~ U[4, 10), CL = 0.6 Y with Y = max(0, T - 5):
    E[Y] = (1/6) int_5^10 (t - 5) dt = 12.5 / 6, so E[CL] = 0.6 x 12.5 / 6 = 1.25;
    E[Y^2] = (1/6) int_5^10 (t - 5)^2 dt = 125 / 18, Var CL = 0.36 (125/18 - (12.5/6)^2) = 0.9375,
    sd 0.968: with n = 20,000 the mean's standard error is 0.00685.
    Quantiles: P(CL <= x) = (1 + x / 0.6) / 6 for x >= 0, so Q(p) = 0.6 (6p - 1):
    P50 = 1.2, P90 = 2.64, P99 = 2.964; the density there is 1 / 3.6, so a sample quantile's
    standard error is 3.6 sqrt(p (1 - p) / n): 0.0127 (P50), 0.0076 (P90), 0.0025 (P99).
    P(short) = P(T > 5) = 5/6, SE sqrt(5/36 / n) = 0.0026. Tolerance: 5 standard errors, plus
    the histogram's bound H / (2 BINS) = 10 / 12,000 on the quantiles."""
    n = 20_000
    (f,) = run_worked(tmp_path, "uniform:4,10", samples=n).final
    c = f.cumulative
    assert c is not None
    assert abs(c.mean - 1.25) <= 5 * math.sqrt(0.9375 / n)
    bound = 10 / (2 * BINS)
    for got, p in ((c.p50, 0.5), (c.p90, 0.9), (c.p99, 0.99)):
        want = 0.6 * (6 * p - 1)
        assert abs(got - want) <= 5 * 3.6 * math.sqrt(p * (1 - p) / n) + bound
    assert abs(c.p_short - 5 / 6) <= 5 * math.sqrt(5 / 36 / n)
    assert f.mean == pytest.approx(0.6, rel=1e-12)  # static: every sample loses 0.6


def test_static_summary_does_not_change(tmp_path: Path) -> None:
    """The durations come from a third stream per block: the static part is the same."""
    chain = load_chain(write_chain(tmp_path, "five", FIVE))
    plain = montecarlo(chain, 700, seed=9, p_cut=0.4).to_dict()
    timed = montecarlo(chain, 700, seed=9, p_cut=0.4, months_dist="uniform:1,12").to_dict()
    for key in ("months_dist", "horizon", "stocks"):
        timed.pop(key)
    for row in timed["final"]:
        row.pop("cumulative")
    assert timed == plain


def network() -> Chain:
    return check_document(Located(build_network(120, seed=3, cycles=0.02), "net"))


@pytest.mark.parametrize("model", ["leontief", "linear"])
@pytest.mark.parametrize("which", ["five", "net"])
def test_same_document_whatever_the_chunk(tmp_path: Path, which: str, model: str) -> None:
    """Blocks of 1,024 with their own streams: chunks of 7, 300 and 16,384 samples give the
    same JSON document, byte for byte (2,100 samples: three blocks, the last partial)."""
    chain = load_chain(write_chain(tmp_path, "five", FIVE)) if which == "five" else network()
    stocks = ["c1=0.5", "m1=1"] if which == "five" else None
    texts = {
        json.dumps(
            montecarlo(
                chain,
                2_100,
                seed=11,
                p_cut=0.3,
                model=model,  # type: ignore[arg-type]
                months_dist="triangular:1,3,9",
                stocks=stocks,
                chunk=chunk,
            ).to_dict()
        )
        for chunk in (7, 300, 16_384)
    }
    assert len(texts) == 1


def test_equals_timeline_sample_by_sample(tmp_path: Path) -> None:
    """The summary against the time model run one sample at a time (same streams: block b's
    indicators, severities and durations from SeedSequence(seed, spawn_key=(b, 0|1|2))):
    means equal to 1e-12, quantiles within H / (2 BINS) of numpy's exact ones."""
    chain = load_chain(write_chain(tmp_path, "five", FIVE))
    samples, seed, p = 1_100, 5, 0.5
    stocks = {"c1": 0.5, "m1": 1.0}
    result = montecarlo(
        chain, samples, seed, p_cut=p, months_dist="uniform:2,8", stocks=stocks, chunk=64
    )
    c = compile_chain(chain)
    dist, months = parse_severity_dist("uniform"), parse_months_dist("uniform:2,8")
    pairs = len(c.pair_origin)
    values = []
    for b in range(2):
        size = min(1024, samples - 1024 * b)
        rngs = [
            np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(b, k))))
            for k in range(3)
        ]
        cut = indicators(seed, b, p, size, pairs)
        kappa = np.zeros((size, pairs))  # severities of the cut pairs only, in order
        kappa[cut] = dist.draw(rngs[1], (int(cut.sum()),))
        durations = months.draw(rngs[2], size)
        for row, t in zip(kappa, durations.tolist(), strict=True):
            cuts = tuple(
                Cut(c.pair_origin[k], float(row[k]), (c.nodes[c.pair_row[k]],), t)
                for k in np.flatnonzero(row > 0).tolist()
            )
            batch = timeline(c, [Scenario(cuts=cuts)], stock_vector(c, stocks), np.array([8.0]))
            values.append(batch.cumulative[:, 0])
    exact = np.array(values).T  # finals x samples
    for f, v in zip(result.final, exact, strict=True):
        assert f.cumulative is not None
        assert f.cumulative.mean == pytest.approx(float(v.mean()), rel=1e-12)
        got = [f.cumulative.p50, f.cumulative.p90, f.cumulative.p99]
        want = np.quantile(v, [0.5, 0.9, 0.99])
        assert np.max(np.abs(np.array(got) - want)) <= 8 / (2 * BINS) + 1e-12


def test_unknown_loss_has_no_cumulative(tmp_path: Path) -> None:
    """linear, F's input C without a cost share: the cumulative loss is null, not 0."""
    nodes = WORKED.replace("inputs: [{node: c, cost_share: 0.5}]", "inputs: [{node: c}]")
    chain = load_chain(write_chain(tmp_path, "lin", nodes, extra=""))
    result = montecarlo(
        chain, 50, seed=1, p_cut=1.0, model="linear", months_dist="fixed:6", severity_dist="fixed:1"
    )
    (f,) = result.final
    assert (f.mean, f.cumulative) == (None, None)
    assert result.to_dict()["final"][0]["cumulative"] is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fixed:6", MonthsDist("fixed", 6.0)),
        ("uniform:1, 12", MonthsDist("uniform", 1.0, 12.0)),
        ("triangular:1,3,9", MonthsDist("triangular", 1.0, 9.0, 3.0)),
        (("uniform", 2, 4), MonthsDist("uniform", 2.0, 4.0)),
    ],
)
def test_parse_months_dist(text: str, expected: MonthsDist) -> None:
    assert parse_months_dist(text) == expected
    assert parse_months_dist(str(expected)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "uniform",
        "fixed:0",
        "fixed:abc",
        "uniform:5,5",
        "uniform:0,3",
        "triangular:1,10,9",
        "fixed:1201",
        "x:1",
    ],
)
def test_parse_months_dist_errors(text: str) -> None:
    with pytest.raises(ScenarioError, match="uniform:A,B"):
        parse_months_dist(text)


def test_same_document_on_dask_workers(tmp_path: Path) -> None:
    """Each block's cumulative losses travel with it: two workers give the same bytes."""
    distributed = pytest.importorskip("distributed")
    chain = load_chain(write_chain(tmp_path, "five", FIVE))
    kwargs = {"p_cut": 0.3, "months_dist": "triangular:1,3,9", "stocks": {"c1": 0.5}}
    alone = json.dumps(montecarlo(chain, 2_500, 7, **kwargs).to_dict())  # type: ignore[arg-type]
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0", silence_logs=50
    ) as cluster:
        spread = montecarlo(chain, 2_500, 7, scheduler=cluster.scheduler_address, **kwargs)  # type: ignore[arg-type]
    assert json.dumps(spread.to_dict()) == alone


def test_refusals(tmp_path: Path) -> None:
    chain = worked(tmp_path)
    with pytest.raises(ScenarioError, match="stocks need a months distribution"):
        montecarlo(chain, 10, seed=1, stocks={"m": 1.0})
    with pytest.raises(ScenarioError, match="unknown node"):
        montecarlo(chain, 10, seed=1, months_dist="fixed:6", stocks={"zz": 1.0})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fixed:abc", "--months-dist 'fixed:abc': "),
        ("uniform:1", "is malformed"),
        ("uniform:0,3", "durations must be above 0"),
        ("triangular:1,10,9", "need A < B and A <= C <= B"),
    ],
)
def test_cli_months_dist_errors(tmp_path: Path, text: str, message: str) -> None:
    path = write_chain(tmp_path, "worked", WORKED, extra="")
    out = CliRunner().invoke(app, ["montecarlo", str(path), "--months-dist", text])
    assert out.exit_code == 2
    assert message in out.output


def test_memory_limit_counts_the_time_summary(tmp_path: Path) -> None:
    """The same run within a memory limit: the same document (smaller chunks); a limit below
    the two sets of histograms (2 x 6,002 bytes for one final product) is refused."""
    chain = worked(tmp_path)
    kwargs = {"p_cut": 1.0, "severity_dist": "fixed:1", "months_dist": "uniform:4,10"}
    free = montecarlo(chain, 2_000, 3, **kwargs).to_dict()  # type: ignore[arg-type]
    tight = montecarlo(chain, 2_000, 3, memory_limit=60_000, **kwargs).to_dict()  # type: ignore[arg-type]
    assert free == tight
    with pytest.raises(ScenarioError, match="memory limit"):
        montecarlo(chain, 2_000, 3, memory_limit=12_000, **kwargs)  # type: ignore[arg-type]


def test_cli(tmp_path: Path) -> None:
    path = write_chain(tmp_path, "worked", WORKED, extra="")
    args = ["montecarlo", str(path), "--samples", "300", "--seed", "2", "--p-cut", "1"]
    args += ["--severity", "fixed:1", "--months-dist", "fixed:6", "--stock", "c=0.6"]
    out = CliRunner().invoke(app, [*args, "--format", "json"])
    assert out.exit_code == 0, out.output
    document = json.loads(out.output)
    assert document["stocks"] == {"m": 1.0, "c": 0.6}
    assert document["final"][0]["cumulative"]["p50"] == pytest.approx(2.0, rel=1e-12)
    out = CliRunner().invoke(app, [*args, "--format", "csv"])
    header, final = out.output.splitlines()[:2]
    row = dict(zip(header.split(","), final.split(","), strict=True))
    assert float(row["cumulative_p90"]) == pytest.approx(2.0, rel=1e-12)
    assert row["p_short"] == "1.0"
    out = CliRunner().invoke(app, [*args, "--format", "table"], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "cumulative" in out.output
    assert "2.00" in out.output  # CL P50 = 2 months of output
    bad = CliRunner().invoke(app, [*args[:-4], "--stock", "c=1"])
    assert bad.exit_code == 2
    assert "--months-dist" in bad.output
    bad = CliRunner().invoke(app, [*args[:-4], "--months-dist", "uniform:3,2"])
    assert bad.exit_code == 2
    assert "--months-dist" in bad.output


def test_durations_by_the_cut_matrix_equal_a_cut_per_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    """The time model takes the samples' cut matrix as it is when each cut reaches its own pair
    alone (robots: JP and EUROPE); a Cut per cut, as for a standard region whose members are keys
    too, gives the same bytes."""
    from chokepoint.core import montecarlo as mc

    kwargs = {"months_dist": "uniform:1,12", "stocks": ["reducers=3"]}
    fast = mc.montecarlo(load_chain("robots"), 3000, 11, **kwargs).to_dict()
    monkeypatch.setattr(mc, "_own_pairs", lambda c, origins: False)
    slow = mc.montecarlo(load_chain("robots"), 3000, 11, **kwargs).to_dict()
    assert json.dumps(fast) == json.dumps(slow)
    assert fast["final"][0]["cumulative"]["mean"] > 0
