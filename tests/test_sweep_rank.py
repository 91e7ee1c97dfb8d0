"""Issue 13, item 3: ``sweep --over origins|nodes`` ranked by the worst final-product loss.

Known answers on a hand-made chain (RANK below), the arithmetic in the comments. Perspective CN,
severity 1. Leontief: ``q = (1 - sigma) m + s(P) d`` with ``d`` the largest loss of an essential
input; linear: ``d = sum of w q`` over the inputs.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chokepoint import load_chain
from chokepoint.cli import app
from chokepoint.core.scenarios import SweepRow, rank_sweep_rows, sweep

from .chains import write_chain

# f1 takes a and e (cost shares .5 each), f2 takes b (.3) and c (no cost share).
RANK = """\
- {id: a, name: A, stage: up, shares: {CN: 0.5, JP: 0.5}, source: s}
- {id: e, name: E, stage: up, shares: {CN: 0.64, AU: 0.36}, source: s}
- {id: b, name: B, stage: up, shares: {CN: 0.6, KR: 0.4}, source: s}
- {id: c, name: C, stage: up, shares: {CN: 0.8, DE: 0.2}, source: s}
- id: f1
  name: F1
  stage: down
  shares: {CN: 1.0}
  source: s
  inputs: [{node: a, cost_share: 0.5}, {node: e, cost_share: 0.5}]
- id: f2
  name: F2
  stage: down
  shares: {CN: 0.9, US: 0.1}
  source: s
  inputs: [{node: b, cost_share: 0.3}, c]
"""

REASON = (
    "linear model: the loss of f2 rests on inputs without a cost share that the cut hits: c->f2"
)


@pytest.fixture
def chain_path(tmp_path: Path) -> Path:
    return write_chain(tmp_path, "rank", RANK, stages="[up, down]", extra="")


def ranked(rows: tuple[SweepRow, ...]) -> list[tuple[int | None, str, str | None, float | None]]:
    return [(r.rank, r.origin, r.node, r.worst) for r in rows]


def test_leontief_over_origins_worst_first_ties_by_origin(chain_path: Path) -> None:
    rows = sweep(load_chain(chain_path), over="origins").rows
    # JP: q_a = .5 -> f1 = 1.0 * .5 = .5          AU: q_e = .36 -> f1 = .36
    # KR: q_b = .4 -> f2 = .9 * .4 = .36000000000000004 (a tie with AU to 1e-12: AU first)
    # DE: q_c = .2 -> f2 = .9 * .2 = .18           US: f2's own import .1
    assert ranked(rows) == [
        (1, "JP", None, pytest.approx(0.5)),
        (2, "AU", None, pytest.approx(0.36)),
        (3, "KR", None, pytest.approx(0.36)),
        (4, "DE", None, pytest.approx(0.18)),
        (5, "US", None, pytest.approx(0.1)),
    ]
    assert rows[2].worst > rows[1].worst  # KR's float is larger: only the tolerance keeps AU first
    assert [r.worst_final for r in rows] == [("f1",), ("f1",), ("f2",), ("f2",), ("f2",)]


def test_leontief_over_nodes(chain_path: Path) -> None:
    rows = sweep(load_chain(chain_path), over="nodes").rows
    # each node's top foreign supplier at that node; f1 is all domestic: no row
    assert [(r.rank, r.origin, r.node) for r in rows] == [
        (1, "JP", "a"),
        (2, "AU", "e"),
        (3, "KR", "b"),
        (4, "DE", "c"),
        (5, "US", "f2"),
    ]


def test_linear_unknown_worst_comes_last_with_the_reason(chain_path: Path) -> None:
    result = sweep(load_chain(chain_path), over="origins", model="linear")
    # JP: f1 = .5 * .5 = .25   AU: f1 = .5 * .36 = .18   KR: f2 = .9 * (.3 * .4) = .108
    # US: f2 = .1 (c and b not hit: c's missing cost share weighs nothing)
    # DE: c is hit (.2) and f2 takes it without a cost share (known shares .3 < 1): f2 n/a, so
    # the worst loss is n/a although f1's 0 is known: last.
    assert ranked(result.rows) == [
        (1, "JP", None, pytest.approx(0.25)),
        (2, "AU", None, pytest.approx(0.18)),
        (3, "KR", None, pytest.approx(0.108)),
        (4, "US", None, pytest.approx(0.1)),
        (5, "DE", None, None),
    ]
    last = result.rows[-1]
    assert (last.unknown, last.reason, last.worst_final) == (("f2",), REASON, ())
    doc = result.to_dict()
    assert doc["over"] == "origins"
    assert doc["rows"][-1] == {
        "severity": 1.0,
        "origin": "DE",
        "node": None,
        "final": [{"id": "f1", "loss": 0.0}, {"id": "f2", "loss": None}],
        "rank": 5,
        "worst_loss": None,
        "worst_final": [],
        "unknown": REASON,
    }
    assert doc["rows"][0]["worst_final"] == ["f1"]
    assert doc["rows"][0]["worst_loss"] == pytest.approx(0.25)


def test_several_severities_keep_a_cut_together(chain_path: Path) -> None:
    rows = sweep(load_chain(chain_path), over="origins", severity=(0.5, 1.0)).rows
    # a cut is ranked by its worst row (severity 1); its rows stay together in severity order
    assert [(r.rank, r.origin, r.severity) for r in rows][:4] == [
        (1, "JP", 0.5),
        (1, "JP", 1.0),
        (2, "AU", 0.5),
        (2, "AU", 1.0),
    ]
    assert rows[0].worst == pytest.approx(0.25)  # .5 * .5


def test_one_cut_keeps_severity_order_without_rank(chain_path: Path) -> None:
    result = sweep(load_chain(chain_path), cut="JP", severity=(1.0, 0.0, 0.5))
    assert [(r.severity, r.rank) for r in result.rows] == [(1.0, None), (0.0, None), (0.5, None)]
    assert result.to_dict()["over"] is None


def test_a_known_loss_of_one_needs_no_unknown() -> None:
    # an unknown loss is a lower bound; 100% is the most any loss can be
    row = SweepRow(1.0, "JP", None, (("f", 1.0), ("g", 0.2)), ("g",))
    assert (row.worst, row.worst_final) == (1.0, ("f",))
    assert SweepRow(1.0, "JP", None, ()).worst is None  # no final product
    rows = rank_sweep_rows([SweepRow(1.0, "US", None, (("f", 0.0),), ("f",)), row])
    assert [(r.rank, r.origin) for r in rows] == [(1, "JP"), (2, "US")]


def test_table_json_and_csv_share_the_order(chain_path: Path) -> None:
    runner = CliRunner()
    path = str(chain_path)
    args = ["sweep", path, "--over", "origins", "--model", "linear"]
    table = runner.invoke(app, args, env={"COLUMNS": "120"})
    assert table.exit_code == 0, table.output
    lines = [line.strip("│ ").split() for line in table.output.splitlines() if "│" in line]
    assert [cells[0] for cells in lines if cells[0] in {"JP", "AU", "KR", "US", "DE"}] == [
        "JP",
        "AU",
        "KR",
        "US",
        "DE",
    ]
    assert "worst first" in table.output
    assert f"  - DE at 100%: {REASON}" in " ".join(table.output.split("\n"))
    doc = json.loads(runner.invoke(app, [*args, "-f", "json"]).output)
    assert [(r["rank"], r["origin"]) for r in doc["rows"]] == [
        (1, "JP"),
        (2, "AU"),
        (3, "KR"),
        (4, "US"),
        (5, "DE"),
    ]
    out = runner.invoke(app, [*args, "-f", "csv"]).output
    assert out.splitlines()[0] == "severity,origin,node,final,loss,rank,worst_loss"
    got = [(r["rank"], r["origin"], r["final"], r["loss"], r["worst_loss"])
           for r in csv.DictReader(io.StringIO(out))]  # fmt: skip
    assert got[-2:] == [("5", "DE", "f1", "0.0", ""), ("5", "DE", "f2", "", "")]
    assert [g[1] for g in got[::2]] == ["JP", "AU", "KR", "US", "DE"]


def test_a_chain_without_final_products_has_nothing_to_rank(data_dir: Path) -> None:
    # cycle.yaml: spindles and machine tools feed each other, so no node is a final product
    result = sweep(load_chain(data_dir / "valid" / "cycle.yaml"), over="origins")
    assert [(r.rank, r.origin, r.final, r.worst) for r in result.rows] == [
        (1, "CH", (), None),
        (2, "JP", (), None),
    ]
    reason = "the chain has no final product (every node feeds another): no loss to rank"
    assert {r.reason for r in result.rows} == {reason}
    out = CliRunner().invoke(
        app, ["sweep", str(data_dir / "valid" / "cycle.yaml"), "--over", "origins"],
        env={"COLUMNS": "120"},
    )  # fmt: skip
    assert f"  - CH at 100%, JP at 100%: {reason}" in out.output


def test_reasons_are_listed_once_for_the_cuts_they_share(chain_path: Path) -> None:
    # at severities .5 and 1 DE's cut leaves f2 n/a for the same reason: one line, both cuts
    args = ["sweep", str(chain_path), "--over", "origins", "--model", "linear"]
    out = CliRunner().invoke(app, [*args, "--severity", "0.5:1:0.5"], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert f"  - DE at 50%, DE at 100%: {REASON}" in out.output
