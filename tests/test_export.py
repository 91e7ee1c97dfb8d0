"""Known-answer tests of the exports: GraphML, GEXF, JSON, CSV, DOT and Mermaid.

The expected values are worked out by hand from tests/data/valid/mini.yaml (perspective CN):

* reducers: CN .28, JP .65, other .05 -> D = .72, import HHI = (.65/.72)^2 = .815007716...,
  HHI = .28^2 + .65^2 = .5009; JP stops -> reducers lose .65 -> robots (50% domestic, reducers
  essential) lose .5 * .65 = .325 -> cars (no shares: domestic) lose .325 = impact.
* plc: CN .2, EU .5, JP .3 -> D = .8, import HHI = (.5/.8)^2 + (.3/.8)^2 = .53125; inessential
  input of robots, so impact 0.
* robots: CN .5, JP .5 -> D = .5, import HHI 1; total dependence .5 + .5 (.4 * .72 + .2 * .8) = .724.
* cars: no shares -> no direct metrics; its input has no cost share -> total dependence 0.
* Scenario "JP cut at severity 1": reducers .65, plc .3, robots .5 + .5 * .65 = .825, cars .825.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import chokepoint
from chokepoint.core.analysis import Analysis
from chokepoint.core.scenarios import Scenario, ScenarioResult
from chokepoint.errors import OutputError
from chokepoint.io.atomic import write_atomic
from chokepoint.model import Chain, Cut, Input, Node, ScenarioSpec
from chokepoint.output.export import (
    EDGE_ATTRIBUTES,
    FORMATS,
    Value,
    edge_rows,
    export,
    format_for_path,
    node_attributes,
    node_rows,
    ramp_colour,
    text_colour,
    to_csv,
    to_dot,
    to_gexf,
    to_graphml,
    to_json,
    to_mermaid,
)

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "data" / "valid" / "mini.yaml"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
SCHEMA_DIR = ROOT.parent / "shared" / "data" / "graphml-schema"
SHIPPED = sorted((ROOT / "src" / "chokepoint" / "chains").glob("*.yaml"))
GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
NMTOKEN = re.compile(r"^[A-Za-z0-9._:-]+$")
#: Set to 1 to rewrite the snapshots from the current output (then review the diff).
UPDATE = os.environ.get("CHOKEPOINT_UPDATE_SNAPSHOTS") == "1"

MINI_NODES: dict[str, dict[str, Value]] = {
    "reducers": {
        "label": "Reduction gears",
        "name": "Reduction gears",
        "stage": "upstream",
        "share_CN": 0.28,
        "share_JP": 0.65,
        "share_other": 0.05,
        "dependence": 0.72,
        "hhi": 0.5009,
        "import_hhi": (0.65 / 0.72) ** 2,
        "top_supplier": "JP",
        "top_share": 0.65,
        "total_dependence": 0.72,
        "chokepoint": True,
        # unattributed 0.02 with JP, `other` 0.05 alone: (0.67^2 + 0.05^2) / 0.72^2
        "import_hhi_max": (0.67**2 + 0.05**2) / 0.72**2,
        "possible_chokepoint": False,
        "impact": 0.325,
        "impact_on": "cars",
        "estimate": False,
    },
    "plc": {
        "label": "PLCs",
        "name": "PLCs",
        "stage": "upstream",
        "share_CN": 0.2,
        "share_EU": 0.5,
        "share_JP": 0.3,
        "dependence": 0.8,
        "hhi": 0.38,
        "import_hhi": 0.53125,
        "top_supplier": "EU",
        "top_share": 0.5,
        "total_dependence": 0.8,
        "chokepoint": True,
        "import_hhi_max": 0.53125,
        "possible_chokepoint": False,
        # plc is only an inessential input of robots: impact unknown (issue 13; was 0.0)
        "estimate": False,
    },
    "robots": {
        "label": "Robots",
        "name": "Robots",
        "stage": "midstream",
        "share_CN": 0.5,
        "share_JP": 0.5,
        "dependence": 0.5,
        "hhi": 0.5,
        "import_hhi": 1.0,
        "top_supplier": "JP",
        "top_share": 0.5,
        "total_dependence": 0.724,
        "chokepoint": False,  # dependence exactly 0.5: not above the EU threshold
        "import_hhi_max": 1.0,
        "possible_chokepoint": False,
        "impact": 0.5,
        "impact_on": "cars",
        "estimate": False,
    },
    "cars": {
        "label": "Cars",
        "name": "Cars",
        "stage": "downstream",
        # no shares: total dependence unknown (issue 13; was 0.0)
        "chokepoint": False,
        "possible_chokepoint": False,
        "estimate": False,
    },
}
MINI_LOSSES = {
    "reducers": (0.65, 0.65, 0.0),
    "plc": (0.3, 0.3, 0.0),
    "robots": (0.825, 0.5, 0.325),
    "cars": (0.825, 0.0, 0.825),
}
MINI_EDGES: dict[tuple[str, str], dict[str, Value]] = {
    ("reducers", "robots"): {"cost_share": 0.4, "weight": 0.4, "essential": True},
    ("plc", "robots"): {"cost_share": 0.2, "weight": 0.2, "essential": False},
    ("robots", "cars"): {"essential": True},
}
NODE_KEYS = [
    "label",
    "name",
    "stage",
    "share_CN",
    "share_EU",
    "share_JP",
    "share_other",
    "dependence",
    "hhi",
    "import_hhi",
    "top_supplier",
    "top_share",
    "total_dependence",
    "chokepoint",
    "import_hhi_max",
    "possible_chokepoint",
    "impact",
    "impact_on",
    "estimate",
]
LOSS_KEYS = ["loss", "import_loss", "domestic_loss"]


def expected_node(node_id: str, *, losses: bool = False) -> dict[str, Value]:
    row = dict(MINI_NODES[node_id])
    if losses:
        row.update(zip(LOSS_KEYS, MINI_LOSSES[node_id], strict=True))
    return row


def assert_same(got: dict[str, object], want: dict[str, Value]) -> None:
    """Same keys; floats equal to 1e-12, everything else exactly (types included)."""
    assert sorted(got) == sorted(want)
    for key, value in want.items():
        if isinstance(value, float):
            assert isinstance(got[key], float), key
            assert got[key] == pytest.approx(value, abs=1e-12), key
        else:
            assert got[key] == value, key
            assert type(got[key]) is type(value), key


def shipped_chain(path: Path) -> tuple[Chain, Analysis]:
    chain = chokepoint.load_chain(path)
    return chain, chokepoint.analyze(chain)


# ------------------------------------------------------------------------------------------
# The table every format is written from


@pytest.mark.parametrize("node_id", list(MINI_NODES))
def test_node_rows_hold_the_hand_worked_values(
    mini: Chain, analysis: Analysis, node_id: str
) -> None:
    rows = dict(node_rows(mini, analysis))
    assert_same(dict(rows[node_id]), expected_node(node_id))


@pytest.mark.parametrize("node_id", list(MINI_NODES))
def test_node_rows_add_the_losses_of_a_scenario(
    mini: Chain, analysis: Analysis, jp_cut: ScenarioResult, node_id: str
) -> None:
    rows = dict(node_rows(mini, analysis, jp_cut))
    assert_same(dict(rows[node_id]), expected_node(node_id, losses=True))


def test_nodes_come_in_stage_order_and_edges_in_file_order(mini: Chain, analysis: Analysis) -> None:
    assert [n for n, _ in node_rows(mini, analysis)] == ["reducers", "plc", "robots", "cars"]
    assert [(s, t, dict(r)) for s, t, r in edge_rows(mini)] == [
        (s, t, r) for (s, t), r in MINI_EDGES.items()
    ]


def test_every_attribute_has_one_type_for_all_nodes(mini: Chain, analysis: Analysis) -> None:
    kinds = {a.name: a.kind for a in node_attributes(mini, analysis)}
    assert list(kinds) == NODE_KEYS
    # share_EU is known for plc only and share_other for reducers only: still double
    assert kinds["share_EU"] == kinds["share_other"] == "double"
    python = {"double": float, "boolean": bool, "string": str}
    for _, row in node_rows(mini, analysis):
        for key, value in row.items():
            assert type(value) is python[kinds[key]], key


def test_unknown_values_are_absent_and_numbers_finite(mini: Chain, analysis: Analysis) -> None:
    # A metric that is NaN or infinite (as a caller's own Analysis could hold) is left out.
    broken = tuple(
        dataclasses.replace(n, impact=math.nan, top_share=math.inf) if n.id == "robots" else n
        for n in analysis.nodes
    )
    rows = dict(node_rows(mini, dataclasses.replace(analysis, nodes=broken)))
    assert "impact" not in rows["robots"]
    assert "top_share" not in rows["robots"]
    assert rows["robots"]["dependence"] == 0.5
    assert "dependence" not in rows["cars"]
    assert not any(k.startswith("share_") for k in rows["cars"])


def test_numbers_lose_binary_noise_beyond_twelve_digits() -> None:
    chain = Chain(
        "noise",
        "Noise",
        "CN",
        2020,
        ("only",),
        (Node("a", "A", "only", shares={"CN": 0.174, "JP": 0.826}),),
    )
    row = dict(node_rows(chain, chokepoint.analyze(chain)))["a"]
    assert 1 - 0.174 == 0.8260000000000001
    assert row["dependence"] == 0.826


# ------------------------------------------------------------------------------------------
# GraphML


def graphml_cases() -> list[object]:
    """mini without and with a JP cut, then every shipped chain found when tests are collected."""
    cases = [pytest.param(MINI, None, id="mini"), pytest.param(MINI, "JP", id="mini-jp-cut")]
    return cases + [pytest.param(p, None, id=p.stem) for p in SHIPPED]


@pytest.mark.parametrize(("path", "cut"), graphml_cases())
def test_graphml_is_valid_against_the_graphml_schema(path: Path, cut: str | None) -> None:
    if not SCHEMA_DIR.is_dir():
        pytest.skip(f"GraphML schema not found at {SCHEMA_DIR}")
    etree = pytest.importorskip("lxml.etree")
    chain, analysis = shipped_chain(path)
    result = chokepoint.run_scenario(chain, Scenario(cuts=(Cut(cut, 1.0),))) if cut else None
    schema = etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "graphml.xsd")))
    document = etree.fromstring(to_graphml(chain, analysis, result).encode("utf-8"))
    assert schema.validate(document), str(schema.error_log)


def test_graphml_keys_are_stable_typed_and_clear_of_gephi_ids(
    mini: Chain, analysis: Analysis, jp_cut: ScenarioResult
) -> None:
    root = ET.fromstring(to_graphml(mini, analysis, jp_cut))
    keys = [
        (k.get("id"), k.get("for"), k.get("attr.name"), k.get("attr.type"))
        for k in root.iter(f"{GRAPHML}key")
    ]
    ids = [k[0] for k in keys]
    assert len(ids) == len(set(ids))
    assert all(key_id == name for key_id, _, name, _ in keys)
    assert [k[0] for k in keys if k[1] == "node"] == NODE_KEYS + LOSS_KEYS
    assert [k for k in keys if k[1] == "edge"] == [
        ("cost_share", "edge", "cost_share", "double"),
        ("weight", "edge", "weight", "double"),
        ("essential", "edge", "essential", "boolean"),
    ]
    # Gephi reads node key d3 / label as the label, edge key d7 / label as the edge label,
    # and x, y, z, size, r, g, b as positions and colours: no metric may land there.
    assert not {"d3", "d7"} & set(ids)
    node_ids = {k[0] for k in keys if k[1] == "node"}
    assert not {"x", "y", "z", "xpos", "ypos", "size", "r", "g", "b"} & node_ids
    edge_ids = {k[0] for k in keys if k[1] == "edge"}
    assert not {"label", "edgelabel", "id", "edgeid", "r", "g", "b"} & edge_ids
    assert ("label", "node", "label", "string") in keys


def test_graphml_writes_no_nan_and_nothing_for_unknown_values(
    mini: Chain, analysis: Analysis
) -> None:
    root = ET.fromstring(to_graphml(mini, analysis))
    doubles = {k.get("id") for k in root.iter(f"{GRAPHML}key") if k.get("attr.type") == "double"}
    data = list(root.iter(f"{GRAPHML}data"))
    assert data
    for element in data:
        assert element.text is not None, element.get("key")
        assert element.text.strip(), element.get("key")
        if element.get("key") in doubles:
            assert math.isfinite(float(element.text))
    cars = next(n for n in root.iter(f"{GRAPHML}node") if n.get("id") == "cars")
    assert sorted(d.get("key") or "" for d in cars) == sorted(MINI_NODES["cars"])


def test_graphml_links_and_nodes_are_the_text_of_the_generic_element_writer() -> None:
    """The links are written without a row dictionary each, the ids escaped once: the text is
    what the generic writer makes of :func:`edge_rows` and :func:`node_rows`, with a cost share
    unknown, an inessential input and a name with markup characters among them."""
    from chokepoint.output import export

    chain = Chain(
        "markup",
        'A & B <"quoted">',
        "CN",
        2020,
        ("up", "down"),
        (
            Node("a", "Arms & <legs>", "up", shares={"CN": 0.5, "JP": 0.5}),
            Node("b", "Tabs\tand\nlines", "up", shares={"JP": 0.3}),
            Node(
                "c",
                "Robots",
                "down",
                shares={"CN": 1.0},
                inputs=(Input("a", 0.25), Input("b"), Input("a", 1 / 3, essential=False)),
            ),
        ),
    )
    analysis = chokepoint.analyze(chain)
    generic = export._Xml()
    generic.stack = ["graphml", "graph"]
    for node_id, row in export.node_rows(chain, analysis):
        generic.items("node", {"id": node_id}, row)
    for source, target, row in export.edge_rows(chain):
        generic.items("edge", {"source": source, "target": target}, row)
    body = generic.text().split("\n", 1)[1]  # after the XML declaration
    text = to_graphml(chain, analysis)
    assert body in text
    assert '<data key="name">Arms &amp; &lt;legs&gt;</data>' in body
    assert '<data key="cost_share">0.333333333333</data>' in body  # 12 significant digits
    edges = ET.fromstring(text).findall(f".//{GRAPHML}edge")
    assert [sorted(d.get("key") or "" for d in e) for e in edges] == [
        ["cost_share", "essential", "weight"],
        ["essential"],
        ["cost_share", "essential", "weight"],
    ]
    assert [e.find(f"{GRAPHML}data[@key='essential']").text for e in edges] == [  # type: ignore[union-attr]
        "true",
        "true",
        "false",
    ]


def test_graphml_node_ids_are_nmtokens_even_for_odd_ids() -> None:
    chain = Chain(
        "odd",
        "Odd ids",
        "CN",
        2020,
        ("up", "down"),
        (
            Node("robot arms", "Arms", "up", shares={"CN": 0.5, "JP": 0.5}),
            Node("robot/arms", "Arms too", "up", shares={"CN": 1.0}),
            Node("ok-id", "Fine", "down", inputs=(Input("robot arms", 0.5),)),
        ),
    )
    root = ET.fromstring(to_graphml(chain, chokepoint.analyze(chain)))
    ids = [n.get("id") for n in root.iter(f"{GRAPHML}node")]
    assert ids == ["n_robot_arms", "n_robot_arms_2", "ok-id"]
    assert all(NMTOKEN.match(i or "") for i in ids)
    edge = next(root.iter(f"{GRAPHML}edge"))
    assert (edge.get("source"), edge.get("target")) == ("n_robot_arms", "ok-id")


def test_graphml_reads_back_in_networkx_with_the_same_attributes(
    mini: Chain, analysis: Analysis, jp_cut: ScenarioResult, tmp_path: Path
) -> None:
    import networkx as nx

    path = write_atomic(tmp_path / "mini.graphml", to_graphml(mini, analysis, jp_cut))
    graph = nx.read_graphml(path)
    assert graph.is_directed()
    assert list(graph) == ["reducers", "plc", "robots", "cars"]
    for node_id in MINI_NODES:
        assert_same(graph.nodes[node_id], expected_node(node_id, losses=True))
    assert {(s, t): d for s, t, d in graph.edges(data=True)} == MINI_EDGES
    assert graph.nodes["reducers"]["import_hhi"] == pytest.approx(0.815007716049, abs=1e-12)
    assert graph.nodes["plc"]["share_EU"] == 0.5


def test_graphml_reads_back_in_igraph_with_types_intact(
    mini: Chain, analysis: Analysis, tmp_path: Path
) -> None:
    igraph = pytest.importorskip("igraph")
    path = write_atomic(tmp_path / "mini.graphml", to_graphml(mini, analysis))
    graph = igraph.Graph.Read_GraphML(str(path))
    assert graph.is_directed()
    assert graph.vs["id"] == ["reducers", "plc", "robots", "cars"]
    assert set(graph.vs.attributes()) == {"id", *NODE_KEYS}
    reducers = graph.vs.find(id="reducers")
    assert reducers["dependence"] == 0.72
    assert reducers["import_hhi"] == pytest.approx(0.815007716049, abs=1e-12)
    assert reducers["chokepoint"] is True
    assert reducers["label"] == "Reduction gears"
    assert graph.vs.find(id="plc")["share_EU"] == 0.5
    cars = graph.vs.find(id="cars")
    assert cars["chokepoint"] is False
    assert isinstance(cars["stage"], str)
    # igraph has no "absent": a numeric attribute a node lacks reads as NaN, a string as "".
    assert math.isnan(cars["dependence"])
    assert cars["top_supplier"] == ""
    edges = {(graph.vs[e.source]["id"], graph.vs[e.target]["id"]): e.attributes() for e in graph.es}
    assert edges[("reducers", "robots")] == {"cost_share": 0.4, "weight": 0.4, "essential": True}
    assert edges[("plc", "robots")]["essential"] is False
    assert math.isnan(edges[("robots", "cars")]["weight"])


# ------------------------------------------------------------------------------------------
# GEXF


def test_gexf_reads_back_coloured_sized_and_laid_out(
    mini: Chain, analysis: Analysis, tmp_path: Path
) -> None:
    import networkx as nx

    path = write_atomic(tmp_path / "mini.gexf", to_gexf(mini, analysis))
    graph = nx.read_gexf(path)
    reducers = dict(graph.nodes["reducers"])
    viz = reducers.pop("viz")
    assert_same(reducers, expected_node("reducers"))
    # D = .72 is 88% of the way from stop #fd8d3c (253, 141, 60) to #f03b20 (240, 59, 32)
    assert viz["color"] == {"r": 242, "g": 69, "b": 35, "a": 1.0}
    assert viz["size"] == 10 + 40 * 0.325
    assert viz["position"] == {"x": 0.0, "y": 40.0, "z": 0.0}
    cars = graph.nodes["cars"]["viz"]
    assert cars["color"] == {"r": 217, "g": 217, "b": 217, "a": 1.0}
    assert cars["size"] == 10.0
    assert cars["position"] == {"x": 600.0, "y": 0.0, "z": 0.0}
    edges = {(s, t): d for s, t, d in graph.edges(data=True)}
    assert edges[("reducers", "robots")] == {
        "id": "0",
        "weight": 0.4,
        "cost_share": 0.4,
        "essential": True,
    }
    assert edges[("robots", "cars")] == {"id": "2", "essential": True}


def test_gexf_colours_by_loss_under_a_scenario(
    mini: Chain, analysis: Analysis, jp_cut: ScenarioResult, tmp_path: Path
) -> None:
    import networkx as nx

    path = write_atomic(tmp_path / "cut.gexf", to_gexf(mini, analysis, jp_cut))
    graph = nx.read_gexf(path)
    # loss .65: 60% from #fd8d3c (253, 141, 60) to #f03b20 (240, 59, 32)
    assert graph.nodes["reducers"]["viz"]["color"] == {"r": 245, "g": 92, "b": 43, "a": 1.0}
    assert graph.nodes["cars"]["loss"] == 0.825


@pytest.mark.parametrize(
    ("value", "colour"),
    [
        (0.0, "#ffffb2"),
        (0.25, "#fecc5c"),
        (0.5, "#fd8d3c"),
        (0.72, "#f24523"),
        (1.0, "#bd0026"),
        (1.7, "#bd0026"),
        (None, "#d9d9d9"),
        (math.nan, "#d9d9d9"),
    ],
)
def test_ramp_colour(value: float | None, colour: str) -> None:
    assert ramp_colour(value) == colour


def test_text_colour_reads_on_the_fill() -> None:
    assert text_colour("#ffffb2") == "#000000"
    assert text_colour("#fd8d3c") == "#000000"
    assert text_colour("#f03b20") == "#ffffff"


# ------------------------------------------------------------------------------------------
# JSON and CSV


def test_json_is_node_link_that_networkx_reads_back(
    mini: Chain, analysis: Analysis, jp_cut: ScenarioResult
) -> None:
    import networkx as nx

    def refuse(constant: str) -> float:
        raise AssertionError(f"JSON holds {constant}")

    document = json.loads(to_json(mini, analysis, jp_cut), parse_constant=refuse)
    assert document["graph"]["chain"] == "mini"
    assert document["graph"]["perspective"] == "CN"
    assert document["graph"]["year"] == 2018
    assert document["graph"]["model"] == "leontief"
    assert document["graph"]["scenario"]["cuts"] == [
        {"origin": "JP", "nodes": None, "severity": 1.0}
    ]
    graph = nx.node_link_graph(document)
    assert isinstance(graph, nx.DiGraph)
    for node_id in MINI_NODES:
        assert_same(graph.nodes[node_id], expected_node(node_id, losses=True))
    assert {(s, t): d for s, t, d in graph.edges(data=True)} == MINI_EDGES


def test_csv_node_table(mini: Chain, analysis: Analysis) -> None:
    lines = to_csv(mini, analysis).splitlines()
    assert lines[0] == "id," + ",".join(NODE_KEYS)
    assert lines[2] == (
        "plc,PLCs,PLCs,upstream,0.2,0.5,0.3,,0.8,0.38,0.53125,EU,0.5,0.8,true,0.53125,false,,,false"
    )
    assert lines[4] == "cars,Cars,Cars,downstream,,,,,,,,,,,false,,false,,,false"
    assert len(lines) == 5


def test_csv_edge_table(mini: Chain, analysis: Analysis) -> None:
    assert to_csv(mini, analysis, table="edges") == (
        "source,target,cost_share,weight,essential\n"
        "reducers,robots,0.4,0.4,true\n"
        "plc,robots,0.2,0.2,false\n"
        "robots,cars,,,true\n"
    )


def test_csv_with_a_scenario_ends_with_the_losses(
    mini: Chain, analysis: Analysis, jp_cut: ScenarioResult
) -> None:
    lines = to_csv(mini, analysis, jp_cut).splitlines()
    assert lines[0].endswith(",estimate,loss,import_loss,domestic_loss")
    assert lines[3].endswith(",false,0.825,0.5,0.325")


# ------------------------------------------------------------------------------------------
# DOT and Mermaid: snapshots, plus the facts they must show


def check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        write_atomic(path, text)
    assert path.is_file(), f"missing snapshot {path}; run with CHOKEPOINT_UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("with_scenario", [False, True], ids=["analysis", "jp-cut"])
def test_dot_snapshot(
    mini: Chain, analysis: Analysis, jp_cut: ScenarioResult, with_scenario: bool
) -> None:
    text = to_dot(mini, analysis, jp_cut if with_scenario else None)
    check_snapshot(f"mini{'-jp-cut' if with_scenario else ''}.dot", text)


@pytest.mark.parametrize("with_scenario", [False, True], ids=["analysis", "jp-cut"])
def test_mermaid_snapshot(
    mini: Chain, analysis: Analysis, jp_cut: ScenarioResult, with_scenario: bool
) -> None:
    text = to_mermaid(mini, analysis, jp_cut if with_scenario else None)
    check_snapshot(f"mini{'-jp-cut' if with_scenario else ''}.mmd", text)


def test_dot_ranks_stages_and_outlines_choke_points(mini: Chain, analysis: Analysis) -> None:
    text = to_dot(mini, analysis)
    assert "rankdir=LR" in text
    clusters = re.findall(r'subgraph "cluster_([a-z-]+)" \{\n    label="[^"]+"; rank=same;', text)
    assert clusters == ["upstream", "midstream", "downstream"]
    outlined = re.findall(r'^    "([a-z-]+)" \[.*penwidth=3\];$', text, flags=re.MULTILINE)
    assert outlined == ["reducers", "plc"]  # robots' 50% dependence is not above 50%
    assert '"reducers" [label="Reduction gears\\ndependence 72%, choke point"' in text
    assert '"reducers" -> "robots" [penwidth=3.4, label="40%"];' in text
    assert '"plc" -> "robots" [penwidth=2.2, label="20%", style=dashed];' in text


def test_mermaid_groups_stages_and_marks_choke_points(mini: Chain, analysis: Analysis) -> None:
    text = to_mermaid(mini, analysis)
    assert "\nflowchart LR\n" in text
    assert re.findall(r'subgraph s\d \["([a-z-]+)"\]', text) == [
        "upstream",
        "midstream",
        "downstream",
    ]
    assert "  class n_reducers,n_plc chokepoint\n" in text
    assert "  style n_reducers fill:#f24523,color:#ffffff\n" in text
    assert "  n_plc -.->|20%| n_robots\n" in text


def test_dot_and_mermaid_dash_the_nodes_not_ruled_out() -> None:
    """robots: servo and controllers are dependent, with part of their foreign supply unnamed."""
    chain = chokepoint.load_chain("robots")
    analysis = chokepoint.analyze(chain)
    dot = to_dot(chain, analysis)
    dashed = re.findall(r'^    "([a-z-]+)" \[.*style="filled,dashed"\];$', dot, flags=re.MULTILINE)
    assert dashed == ["semiconductors", "servo", "controllers", "robot-bodies"]
    assert "dependence 78%, not ruled out" in dot
    mermaid = to_mermaid(chain, analysis)
    assert "  class n_semiconductors,n_servo,n_controllers,n_robot_bodies possible\n" in mermaid
    assert "stroke-dasharray:5 3" in mermaid


def test_mermaid_escapes_labels_and_avoids_keywords() -> None:
    chain = Chain(
        "esc",
        'Quotes "and" <tags>',
        "CN",
        2020,
        ("end",),
        (Node("end", 'A "quoted" <b>name</b> #1', "end", shares={"CN": 1.0}),),
    )
    text = to_mermaid(chain, chokepoint.analyze(chain), fenced=True)
    assert text.startswith("```mermaid\n---\n")
    assert text.endswith("```\n")
    assert '    n_end["A #quot;quoted#quot; #lt;b#gt;name#lt;/b#gt; #35;1<br/>' in text
    assert 'title: "Quotes \\"and\\" <tags> (esc), perspective CN, 2020"' in text


def test_dot_escapes_quotes_and_backslashes() -> None:
    chain = Chain(
        "esc",
        "Esc",
        "CN",
        2020,
        ("s",),
        (Node("a", 'say "hi" \\ bye', "s", shares={"CN": 1.0}),),
    )
    text = to_dot(chain, chokepoint.analyze(chain))
    assert '"a" [label="say \\"hi\\" \\\\ bye\\ndependence 0%"' in text


# ------------------------------------------------------------------------------------------
# The dispatcher and files


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_dispatches_to_the_writer(mini: Chain, analysis: Analysis, fmt: str) -> None:
    writers = {
        "graphml": to_graphml,
        "gexf": to_gexf,
        "json": to_json,
        "csv": to_csv,
        "dot": to_dot,
        "mermaid": to_mermaid,
    }
    assert export(analysis, fmt) == writers[fmt](mini, analysis)


def test_export_writes_the_results_given(
    mini: Chain, analysis: Analysis, jp_cut: ScenarioResult
) -> None:
    assert export(analysis, "csv", jp_cut) == to_csv(mini, analysis, jp_cut)
    spec = ScenarioSpec("jp", "Japan stops", cuts=(Cut("JP", 1.0),))
    named = dataclasses.replace(mini, scenarios={"jp": spec})
    linear = chokepoint.run_scenario(named, "jp", model="linear")
    document = json.loads(export(chokepoint.analyze(named), "json", linear))
    assert document["graph"]["scenario"]["name"] == "jp"
    assert document["graph"]["model"] == "linear"


def test_export_refuses_an_unknown_format(analysis: Analysis) -> None:
    with pytest.raises(OutputError, match=r"unknown export format 'xml'; choose one of graphml"):
        export(analysis, "xml")


def test_writers_refuse_results_of_another_chain(mini: Chain, analysis: Analysis) -> None:
    other = Chain("other", "Other", "CN", 2018, ("s",), (Node("a", "A", "s"),))
    with pytest.raises(ValueError, match="the analysis is of chain 'mini', not 'other'"):
        to_graphml(other, analysis)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.graphml", "graphml"),
        ("a.GEXF", "gexf"),
        ("a.json", "json"),
        ("a.csv", "csv"),
        ("a.gv", "dot"),
        ("a.dot", "dot"),
        ("a.mmd", "mermaid"),
        ("README.md", "mermaid"),
    ],
)
def test_format_for_path(name: str, fmt: str) -> None:
    assert format_for_path(name) == fmt


def test_format_for_path_refuses_unknown_suffixes() -> None:
    with pytest.raises(OutputError, match=r"cannot tell the export format from 'a\.txt'"):
        format_for_path("out/a.txt")


def test_write_atomic_writes_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "chain.graphml"
    write_atomic(target, "first")
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["chain.graphml"]


def test_write_atomic_names_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"folder '.*missing' does not exist; create it first"):
        write_atomic(tmp_path / "missing" / "chain.gexf", "x")


def test_write_atomic_refuses_a_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="it is a folder; give a file name"):
        write_atomic(tmp_path, "x")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_write_atomic_reports_an_unwritable_folder(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="cannot write .*: Permission denied"):
            write_atomic(locked / "chain.dot", "x")
    finally:
        locked.chmod(0o700)


def test_edge_attributes_are_declared_once() -> None:
    assert [(a.name, a.kind) for a in EDGE_ATTRIBUTES] == [
        ("cost_share", "double"),
        ("weight", "double"),
        ("essential", "boolean"),
    ]


def test_xml_writer_matches_elementtree() -> None:
    # The GraphML writer builds text directly, one piece per element; it must give what
    # ElementTree.indent and tostring give for the same elements: escapes in attributes and
    # text, `true`/`false`, shortest round-trip floats, an empty element as <tag />.
    from chokepoint.output.export import _serialize, _Xml

    rows = [
        ({"id": 'a&"b"\n'}, {"label": "x < y & z > w", "chokepoint": True, "dependence": 0.1}),
        ({"id": "e"}, {}),
        ({"source": "a", "target": "e"}, {"weight": 1e-05, "essential": False}),
    ]
    writer = _Xml()
    writer.open("graphml", {"xmlns": "urn:x"})
    writer.open("graph", {"id": "G"})
    for attributes, row in rows:
        writer.items("node", attributes, row)
    writer.close()
    writer.close()
    root = ET.Element("graphml", {"xmlns": "urn:x"})
    graph = ET.SubElement(root, "graph", {"id": "G"})
    texts = {True: "true", False: "false"}
    for attributes, row in rows:
        element = ET.SubElement(graph, "node", attributes)
        for key, value in row.items():
            data = ET.SubElement(element, "data", {"key": key})
            data.text = texts[value] if isinstance(value, bool) else str(value)
    assert writer.text() == _serialize(root)
    assert '<data key="weight">1e-05</data>' in writer.text()
