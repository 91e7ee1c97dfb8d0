"""GraphML written a column at a time and from the chain's arrays: the same text as the generic
element writer of :func:`node_rows` and :func:`edge_rows`, worked out by hand here."""

from __future__ import annotations

import dataclasses
import math
import random
from pathlib import Path

import numpy as np
import pytest

import chokepoint
from chokepoint.model import Chain, ChainArrays, Input, Node
from chokepoint.output import export
from chokepoint.output.export import edge_rows, node_rows, to_graphml

from .chains import NET_HEADER, write_folder


def _generic(chain: Chain, analysis: chokepoint.Analysis) -> str:
    """The nodes and links as the generic writer makes them of the row dictionaries."""
    ids = export._graphml_ids([m.id for m in analysis.nodes])
    writer = export._Xml()
    writer.stack = ["graphml", "graph"]
    for node_id, row in node_rows(chain, analysis):
        writer.items("node", {"id": ids[node_id]}, row)
    for source, target, row in edge_rows(chain):
        writer.items("edge", {"source": ids[source], "target": ids[target]}, row)
    return writer.text().split("\n", 1)[1]


def _markup_chain() -> Chain:
    # ids that need an escape or a new NMTOKEN; node "b" lists JP before CN (written CN first);
    # inputs: a known cost share, an unknown one, an inessential 1/3 (12 digits: 0.333333333333)
    return Chain(
        "arrays",
        "Arrays",
        "CN",
        2020,
        ("up", "down"),
        (
            Node("a", "Arms & <legs>", "up", shares={"CN": 0.5, "JP": 0.5}),
            Node("b&c", "Tabs", "up", shares={"JP": 0.3, "CN": 0.7}),
            Node("d", "Nothing known", "up"),
            Node(
                "e",
                "Robots",
                "down",
                shares={"US": 0.4},
                inputs=(Input("a", 0.25), Input("b&c"), Input("d", 1 / 3, essential=False)),
            ),
        ),
    )


def _arrays_of(chain: Chain) -> ChainArrays:
    """The arrays the fast reader keeps, made by hand from the nodes (shares in file order)."""
    position = {n.id: k for k, n in enumerate(chain.nodes)}
    origins = ("JP", "CN", "US")  # not A-Z: the writer must sort
    ptr, src, cost, essential, share_ptr, origin, value = [0], [], [], [], [0], [], []
    for node in chain.nodes:
        for item in node.inputs:
            src.append(position[item.node])
            cost.append(math.nan if item.cost_share is None else item.cost_share)
            essential.append(item.essential)
        ptr.append(len(src))
        for key, share in (node.shares or {}).items():
            origin.append(origins.index(key))
            value.append(share)
        share_ptr.append(len(value))
    return ChainArrays(
        in_ptr=np.array(ptr),
        in_src=np.array(src),
        in_cost=np.array(cost),
        in_essential=np.array(essential, dtype=bool),
        substitutability=np.zeros(len(chain.nodes)),
        share_known=np.array([n.shares is not None for n in chain.nodes]),
        share_ptr=np.array(share_ptr),
        share_origin=np.array(origin),
        share_value=np.array(value),
        origins=origins,
    )


def test_graphml_from_arrays_is_the_text_from_the_objects() -> None:
    chain = _markup_chain()
    analysis = chokepoint.analyze(chain)
    plain = to_graphml(chain, analysis)
    with_arrays = dataclasses.replace(chain)
    with_arrays.keep_arrays(_arrays_of(chain))
    assert with_arrays.arrays is not None
    assert chain.arrays is None
    assert to_graphml(with_arrays, analysis) == plain
    assert _generic(chain, analysis) in plain
    # worked out by hand: "b&c" is no NMTOKEN (n_b_c); shares A-Z; 1/3 to 12 digits
    assert '<node id="n_b_c">' in plain
    assert (
        '      <data key="stage">up</data>\n'
        '      <data key="share_CN">0.7</data>\n'
        '      <data key="share_JP">0.3</data>\n'
    ) in plain
    assert '<data key="name">Arms &amp; &lt;legs&gt;</data>' in plain
    assert plain.endswith(
        '    <edge source="a" target="e">\n'
        '      <data key="cost_share">0.25</data>\n'
        '      <data key="weight">0.25</data>\n'
        '      <data key="essential">true</data>\n'
        "    </edge>\n"
        '    <edge source="n_b_c" target="e">\n'
        '      <data key="essential">true</data>\n'
        "    </edge>\n"
        '    <edge source="d" target="e">\n'
        '      <data key="cost_share">0.333333333333</data>\n'
        '      <data key="weight">0.333333333333</data>\n'
        '      <data key="essential">false</data>\n'
        "    </edge>\n"
        "  </graph>\n"
        "</graphml>\n"
    )
    # node "d" has no shares and no metrics: label, name, stage and the three flags only
    assert (
        '    <node id="d">\n'
        '      <data key="label">Nothing known</data>\n'
        '      <data key="name">Nothing known</data>\n'
        '      <data key="stage">up</data>\n'
        '      <data key="chokepoint">false</data>\n'
        '      <data key="possible_chokepoint">false</data>\n'
        '      <data key="estimate">false</data>\n'
        "    </node>\n"
    ) in plain


def test_graphml_of_a_fast_read_network_is_the_text_of_its_objects(tmp_path: Path) -> None:
    # f1 lists JP before CN; f2 -> f3 has no cost share; f1 -> f3 is inessential
    folder = write_folder(
        tmp_path / "net",
        NET_HEADER,
        {
            "nodes.csv": "id,name,stage,source\nf1,Firm 1,up,s\nf2,Firm 2,up,s\nf3,Firm 3,down,s\n",
            "edges.csv": "input,node,cost_share,essential\nf2,f3,,true\nf1,f3,0.125,false\n",
            "shares.csv": "node,origin,share,source\nf1,JP,0.3,s\nf1,CN,0.6,s\nf3,US,0.2,s\n",
        },
    )
    chain = chokepoint.load_chain(folder)
    assert chain.arrays is not None
    analysis = chokepoint.analyze(chain)
    text = to_graphml(chain, analysis)
    objects = dataclasses.replace(chain)  # the caches, the arrays among them, are left out
    assert objects.arrays is None
    assert to_graphml(objects, analysis) == text
    assert _generic(chain, analysis) in text
    assert (
        '      <data key="share_CN">0.6</data>\n      <data key="share_JP">0.3</data>\n'
    ) in text
    assert text.endswith(
        '    <edge source="f2" target="f3">\n'
        '      <data key="essential">true</data>\n'
        "    </edge>\n"
        '    <edge source="f1" target="f3">\n'
        '      <data key="cost_share">0.125</data>\n'
        '      <data key="weight">0.125</data>\n'
        '      <data key="essential">false</data>\n'
        "    </edge>\n"
        "  </graph>\n"
        "</graphml>\n"
    )


def test_columns_of_other_types_are_written_as_the_rows_give_them() -> None:
    # a metric given as an int (1 -> 1.0), -0.0 kept as -0.0, an infinite figure left out,
    # a top supplier with markup escaped, a boolean impact written true (as _put keeps it)
    chain = _markup_chain()
    analysis = chokepoint.analyze(chain)
    first, *rest = analysis.nodes
    odd = dataclasses.replace(
        first, dependence=-0.0, hhi=math.inf, top_supplier="A&B", import_hhi_max=1
    )
    second = dataclasses.replace(rest[0], impact=True, top_share=1)  # type: ignore[arg-type]
    changed = dataclasses.replace(analysis, nodes=(odd, second, *rest[1:]))
    text = to_graphml(chain, changed)
    assert _generic(chain, changed) in text
    head = text[text.index(f'<node id="{first.id}">') :]
    head = head[: head.index("</node>")]
    assert '<data key="dependence">-0.0</data>' in head
    assert '<data key="hhi">' not in head
    assert '<data key="top_supplier">A&amp;B</data>' in head
    assert '<data key="import_hhi_max">1.0</data>' in head
    assert second.id == "b&c"
    second_text = text[text.index('<node id="n_b_c">') :]
    second_text = second_text[: second_text.index("</node>")]
    assert '<data key="impact">true</data>' in second_text
    assert '<data key="top_share">1.0</data>' in second_text


def test_graphml_with_losses_is_the_text_of_the_rows() -> None:
    chain = _markup_chain()
    analysis = chokepoint.analyze(chain)
    result = chokepoint.run_scenario(chain, cuts=("JP=1",))
    text = to_graphml(chain, analysis, result)
    writer = export._Xml()
    writer.stack = ["graphml", "graph"]
    for node_id, row in node_rows(chain, analysis, result):
        writer.items(
            "node", {"id": export._graphml_ids([m.id for m in analysis.nodes])[node_id]}, row
        )
    assert writer.text().split("\n", 1)[1] in text
    # "a" (CN 0.5, JP 0.5): JP cut entirely, 50% of its supply lost
    a = text[text.index('<node id="a">') :]
    assert '<data key="loss">0.5</data>' in a[: a.index("</node>")]


@pytest.mark.parametrize(
    "value",
    [
        0.826000000000001,
        0.1 + 0.2,
        1.0,
        -1.0,
        0.0,
        -0.0,
        1e-4,
        9.99999999999995e-5,
        1.00000000000001e-4,
        123456789012.5,
        999999999999.9,
        1e12,
        2.0000000000001e12,
        1e15,
        1e16,
        1e-300,
        5e-324,
        1.7976931348623157e308,
        0.99999999999995,
        -0.333333333333333333,
    ],
)
def test_spell_is_repr_of_rounded(value: float) -> None:
    assert export._spell(value) == repr(export._rounded(value))


def test_spell_is_repr_of_rounded_across_magnitudes() -> None:
    draw = random.Random(20261130)
    for _ in range(20000):
        value = draw.random() * 10.0 ** draw.randint(-8, 17) * draw.choice((1, -1))
        digits = draw.randint(1, 17)  # short figures, and figures with binary noise
        for v in (value, float(f"{value:.{digits}g}"), float(round(value))):
            assert export._spell(v) == repr(export._rounded(v)), v


@pytest.mark.parametrize("size", [1, 5, 7, 1000])
def test_graphml_parts_are_the_document_in_order(
    monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    # the markup chain: head, 4 nodes (pieces: 4 x 15 + 3 x 3 share pieces of "a", "b&c", "e"
    # ... laid out node after node), 3 links of 5 pieces, closing tags; any part size joins
    # back into the same text, in parts of at most `size` pieces (links: whole, 5 pieces each)
    chain = _markup_chain()
    analysis = chokepoint.analyze(chain)
    monkeypatch.setattr(export, "PART_PIECES", size)
    parts = list(export.graphml_parts(chain, analysis))
    assert "".join(parts) == to_graphml(chain, analysis)
    links = [p for p in parts if p.lstrip().startswith("<edge")]
    assert "".join(links).count("<edge ") == 3
    assert len(links) == (3 if size < 10 else 1)


def test_graphml_of_a_chain_without_links() -> None:
    chain = Chain("one", "One", "CN", 2020, ("up",), (Node("a", "A", "up", shares={"CN": 1.0}),))
    text = to_graphml(chain, chokepoint.analyze(chain))
    # all of it made at home (CN is the perspective): D = 1 - 1 = 0, HHI = 1^2 = 1, no imports
    # (import HHI 0, highest 0), no foreign supplier: no top supplier, share or impact
    assert "<edge" not in text
    assert text.endswith(
        '      <data key="share_CN">1.0</data>\n'
        '      <data key="dependence">0.0</data>\n'
        '      <data key="hhi">1.0</data>\n'
        '      <data key="import_hhi">0.0</data>\n'
        '      <data key="total_dependence">0.0</data>\n'
        '      <data key="chokepoint">false</data>\n'
        '      <data key="import_hhi_max">0.0</data>\n'
        '      <data key="possible_chokepoint">false</data>\n'
        '      <data key="estimate">false</data>\n'
        "    </node>\n  </graph>\n</graphml>\n"
    )


def test_export_parts_join_into_export_and_check_first() -> None:
    chain = _markup_chain()
    analysis = chokepoint.analyze(chain)
    result = chokepoint.run_scenario(chain, cuts=("JP=1",))
    for fmt in export.FORMATS:
        parts = list(export.export_parts(analysis, fmt, result))
        assert "".join(parts) == export.export(analysis, fmt, result)
    with pytest.raises(export.OutputError, match="unknown export format 'svg'"):
        export.export_parts(analysis, "svg")
    other = chokepoint.run_scenario(chokepoint.load_chain("robots"), cuts=("JP=1",))
    with pytest.raises(ValueError, match="scenario result is of chain 'robots'"):
        export.export_parts(analysis, "graphml", other)  # raised at the call, not when read
