"""Known-answer tests of ``stress``: every origin and (origin, node) pair cut fully for M months.

Figures are worked out by hand in the comments from the time model (``docs/methodology.md``,
"Disruptions over time"): u_n is the static loss while the cut lasts; a stock B_n drains at u_n
and covers n while it lasts; CL is the integral of the final product's loss over [0, M).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import chokepoint
from chokepoint import load_chain
from chokepoint.cli import app
from chokepoint.core import stress as stress_module
from chokepoint.core.stress import StressResult, stress
from chokepoint.core.timeline import run_timeline
from chokepoint.errors import ScenarioError
from chokepoint.model import Chain, Cut

from .chains import write_chain
from .test_timeline import WORKED

# M {JP 0.5, KR 0.3, CN 0.2} with cost share 0.6 and G {JP 0.2, CN 0.8} holding 1 month, with
# no cost share, both essential inputs of the final product F.
THREE = """\
- {id: m, name: M, stage: up, shares: {JP: 0.5, KR: 0.3, CN: 0.2}, source: s}
- {id: g, name: G, stage: up, shares: {JP: 0.2, CN: 0.8}, source: s, stock_months: 1}
- {id: f, name: F, stage: down, shares: {CN: 1.0}, source: s, inputs: [{node: m, cost_share: 0.6}, {node: g}]}
"""


def chain_of(tmp_path: Path, name: str, nodes: str) -> Chain:
    return load_chain(write_chain(tmp_path, name, nodes))


def figures(result: StressResult, final: str = "f") -> list[tuple[str, str | None, object]]:
    return [
        (
            r.origin,
            r.node,
            next((x.tts, x.cumulative_loss, x.peak_loss) for x in r.final if x.id == final),
        )
        for r in result.rows
    ]


def test_worked_example_of_the_issue(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "worked", WORKED)
    # JP is M's only foreign origin: the whole-origin cut and the pair (JP, m) are the same cut.
    # M's stock lasts 1 / 0.6 months, then C's 2 / 0.6 more: F runs short at 5.0, loses 0.6 to 6
    result = stress(chain, 6)
    assert [(o, n) for o, n, _ in figures(result)] == [("JP", None), ("JP", "m")]
    for _, _, (tts, cumulative, peak) in figures(result):
        assert tts == pytest.approx(5.0)
        assert cumulative == pytest.approx(0.6 * (6 - 5))
        assert peak == pytest.approx(0.6)
    assert result.months == 6.0
    assert result.stocks == (("m", 1.0), ("c", 2.0))
    # a 4-month cut ends before C's stock runs out: nothing runs short
    short = stress(chain, 4)
    assert [f for _, _, f in figures(short)] == [(None, 0.0, 0.0), (None, 0.0, 0.0)]


def test_ranking_ties_and_a_stock_in_the_leontief_model(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "three", THREE)
    result = stress(chain, 6)
    # JP everywhere or at m: L_f = max(0.5, 0 while G's stock lasts 1 / 0.2 = 5) = 0.5 from 0,
    # CL 3.0; KR: 0.3, CL 1.8; JP at g alone: G lasts 5 months, then 0.2 to 6: CL 0.2.
    # Ties: by origin, then node, the whole-origin cut first.
    assert figures(result) == [
        ("JP", None, (0.0, pytest.approx(3.0), 0.5)),
        ("JP", "m", (0.0, pytest.approx(3.0), 0.5)),
        ("KR", None, (0.0, pytest.approx(1.8), 0.3)),
        ("KR", "m", (0.0, pytest.approx(1.8), 0.3)),
        ("JP", "g", (pytest.approx(5.0), pytest.approx(0.2), 0.2)),
    ]
    # without G's stock (an override), JP at g loses 0.2 from month 0: CL 1.2
    bare = stress(chain, 6, stocks=["g=0"])
    assert figures(bare)[-1] == ("JP", "g", (0.0, pytest.approx(1.2), 0.2))
    assert bare.stocks == ()


def test_the_linear_model_and_losses_resting_on_a_missing_cost_share(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "three", THREE)
    result = stress(chain, 6, model="linear")
    # JP at m: 0.6 x 0.5 = 0.3, CL 1.8; KR: 0.6 x 0.3 = 0.18, CL 1.08. A cut that hits G rests
    # on G's missing cost share: n/a, ranked last.
    assert figures(result) == [
        ("JP", "m", (0.0, pytest.approx(1.8), pytest.approx(0.3))),
        ("KR", None, (0.0, pytest.approx(1.08), pytest.approx(0.18))),
        ("KR", "m", (0.0, pytest.approx(1.08), pytest.approx(0.18))),
        ("JP", None, (None, None, None)),
        ("JP", "g", (None, None, None)),
    ]
    assert result.rows[-1].worst is None


def test_robots_with_three_months_of_reducers() -> None:
    """JP stops supplying reducers (0.614 of them): the stock lasts 3 / 0.614 months, then
    robot bodies (20% domestic) and every end use lose 0.2 x 0.614 until month 6."""
    result = stress(load_chain("robots"), 6, stocks={"reducers": 3})
    row = next(r for r in result.rows if (r.origin, r.node) == ("JP", "reducers"))
    tts = 3 / 0.614
    for f in row.final:
        assert f.tts == pytest.approx(tts)
        assert f.cumulative_loss == pytest.approx(0.2 * 0.614 * (6 - tts))
        assert f.peak_loss == pytest.approx(0.2 * 0.614)
    worst = [max(f.cumulative_loss or 0.0 for f in r.final) for r in result.rows]
    assert worst == sorted(worst, reverse=True)
    assert {(r.origin, r.node) for r in result.rows} >= {("JP", None), ("EUROPE", None)}


def test_every_row_equals_its_scenario_run_alone_and_blocks_change_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chain = load_chain("semiconductors")
    whole = stress(chain, 9, stocks={chain.nodes[0].id: 2})
    monkeypatch.setattr(stress_module, "BLOCK", 3)
    assert stress(chain, 9, stocks={chain.nodes[0].id: 2}) == whole
    for row in whole.rows[:: max(1, len(whole.rows) // 6)]:
        cut = Cut(row.origin, 1.0, (row.node,) if row.node else (), 9.0)
        alone = run_timeline(chain, cuts=[cut], stocks={chain.nodes[0].id: 2})
        for mine, theirs in zip(row.final, alone.final, strict=True):
            assert mine.cumulative_loss == pytest.approx(theirs.cumulative_loss)
            assert mine.tts == pytest.approx(theirs.tts)


def test_over_origins_or_pairs_only(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "three", THREE)
    everything = figures(stress(chain, 6))
    origins = figures(stress(chain, 6, over="origins"))
    pairs = figures(stress(chain, 6, over="pairs"))
    assert origins == [row for row in everything if row[1] is None]
    assert pairs == [row for row in everything if row[1] is not None]
    with pytest.raises(ScenarioError, match="over='nodes' must be 'all', 'origins' or 'pairs'"):
        stress(chain, 6, over="nodes")  # type: ignore[arg-type]


def test_refusals(tmp_path: Path) -> None:
    chain = chain_of(tmp_path, "three", THREE)
    with pytest.raises(ScenarioError, match=r"5 rows .* above the ceiling of 4 .*max_rows=N"):
        stress(chain, 6, max_rows=4)
    with pytest.raises(ScenarioError, match="months"):
        stress(chain, 0)
    with pytest.raises(ScenarioError, match="stock x: unknown node"):
        stress(chain, 6, stocks={"x": 1})
    with pytest.raises(ScenarioError, match="model"):
        stress(chain, 6, model="quadratic")  # type: ignore[arg-type]


def test_public_api() -> None:
    assert chokepoint.stress is stress
    assert "stress" in chokepoint.__all__
    assert "StressResult" in chokepoint.__all__


# -- the command line -------------------------------------------------------------------------


def test_cli_json_follows_the_contract(runner: CliRunner, tmp_path: Path) -> None:
    path = write_chain(tmp_path, "three", THREE)
    done = runner.invoke(app, ["stress", str(path), "--months", "6", "-f", "json"])
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert list(document) == ["chain", "perspective", "model", "months", "rows"]
    assert (document["chain"], document["perspective"], document["model"]) == (
        "three",
        "CN",
        "leontief",
    )
    assert document["months"] == 6.0
    assert document["rows"][0] == {
        "origin": "JP",
        "node": None,
        "final": [
            {"id": "f", "tts": 0.0, "cumulative_loss": 3.0, "peak_loss": 0.5, "unknown": None}
        ],
    }
    assert [(r["origin"], r["node"]) for r in document["rows"]] == [
        ("JP", None),
        ("JP", "m"),
        ("KR", None),
        ("KR", "m"),
        ("JP", "g"),
    ]
    done = runner.invoke(
        app, ["stress", str(path), "--months", "6", "--over", "pairs", "-f", "json"]
    )
    assert done.exit_code == 0, done.output
    assert [r["node"] for r in json.loads(done.stdout)["rows"]] == ["m", "m", "g"]


def test_cli_csv_has_a_row_per_cut_and_final_product(runner: CliRunner) -> None:
    done = runner.invoke(
        app, ["stress", "robots", "--months", "6", "--stock", "reducers=3", "-f", "csv"]
    )
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == [
        "rank",
        "origin",
        "node",
        "final",
        "tts",
        "cumulative_loss",
        "peak_loss",
    ]
    finals = {r["final"] for r in rows}
    assert len(rows) == len(finals) * len({r["rank"] for r in rows})
    mine = [r for r in rows if (r["origin"], r["node"]) == ("JP", "reducers")]
    assert [float(r["tts"]) for r in mine] == pytest.approx([3 / 0.614] * len(finals))
    assert rows[0]["node"] == ""  # a whole-origin cut


def test_cli_table_fits_80_columns(tmp_path: Path) -> None:
    run = CliRunner(env={"COLUMNS": "80", "NO_COLOR": "1"})
    done = run.invoke(app, ["stress", "robots", "--months", "6", "--stock", "reducers=3"])
    assert done.exit_code == 0, done.output
    assert all(len(line) <= 80 for line in done.stdout.splitlines())
    row = next(line for line in done.stdout.splitlines() if "reducers" in line and "JP" in line)
    cells = [cell.strip() for cell in row.strip("│").split("│")]
    assert cells[1:] == ["JP", "reducers", "electronics", "4.89", "0.137", "12.3%", "6"]
    assert "stocks: reducers 3 months" in done.stdout
    path = write_chain(tmp_path, "three", THREE)
    linear = run.invoke(app, ["stress", str(path), "--months", "6", "--model", "linear"])
    assert linear.exit_code == 0, linear.output
    assert "n/a" in linear.stdout
    assert "rests on inputs without a cost share" in linear.stdout
    never = run.invoke(app, ["stress", str(write_chain(tmp_path, "w", WORKED)), "--months", "4"])
    assert never.exit_code == 0, never.output
    assert "never" in never.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--months", "0"], "--months"),
        (
            ["--months", "6", "--max-rows", "2"],
            "above the ceiling of 2 (raise it with --max-rows N",
        ),
        (["--months", "6", "--stock", "nowhere=2"], "stock nowhere: unknown node"),
        (
            ["--months", "6", "--over", "nodes"],
            "--over 'nodes' must be 'all', 'origins' or 'pairs'",
        ),
        ([], "--months"),
    ],
)
def test_cli_refusals(runner: CliRunner, args: list[str], message: str) -> None:
    done = runner.invoke(app, ["stress", "robots", *args])
    assert done.exit_code == 2, done.output
    assert message in done.output
