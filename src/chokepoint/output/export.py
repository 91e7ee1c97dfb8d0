r"""Writers for chains and results (written to disk by :func:`chokepoint.io.atomic.write_atomic`).

Every writer is a pure function of ``(chain, analysis, result)`` that returns text:

=============  ==========================================================================
``graphml``    GraphML 1.0, valid against the XML Schema; typed keys with stable ids
``gexf``       GEXF 1.2 (Gephi's own format) with ``viz`` colour, size and position
``json``       networkx node-link JSON (``networkx.node_link_graph`` reads it back)
``csv``        one row per node (or, with ``table="edges"``, one row per input)
``dot``        Graphviz: one cluster per stage (``rank=same``), choke points outlined
``mermaid``    a Mermaid flowchart (renders in Markdown on code hosting sites)
=============  ==========================================================================

All formats carry the same attributes, defined once in :func:`node_attributes` and
:data:`EDGE_ATTRIBUTES`: per node ``label`` (the display name), ``name``, ``stage``, the origin
shares flattened to ``share_XX`` columns, the metrics of :func:`chokepoint.analyze` and, with a
scenario, the losses; per edge (input -> user) ``cost_share``, ``weight`` (= ``cost_share``, the
name graph tools look for) and ``essential``. A value that is unknown is left out, never written
as NaN, ``inf`` or an empty string; numbers are rounded to 12 significant digits.

Colour (GEXF, DOT, Mermaid, ``chokepoint plot``) encodes import dependence :math:`D_n`, or the
loss :math:`q_n` when a scenario is given, on the ColorBrewer YlOrRd ramp [1]_ (:func:`ramp_colour`).

References
----------
.. [1] Brewer, C. A. (2002), ColorBrewer, https://colorbrewer2.org (scheme YlOrRd, 5 classes).
.. [2] Brandes, U. et al. (2002), "GraphML Progress Report", *Graph Drawing 2001*, LNCS 2265.
.. [3] GEXF Working Group (2009), GEXF 1.2draft Primer, https://gexf.net.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

from ..errors import OutputError
from ..model import OTHER, Chain, ChainArrays

if TYPE_CHECKING:
    from ..core.analysis import Analysis
    from ..core.scenarios import ScenarioResult

__all__ = [
    "EDGE_ATTRIBUTES",
    "FORMATS",
    "NA_COLOUR",
    "OUTLINE_COLOUR",
    "RAMP",
    "Attribute",
    "ExportFormat",
    "edge_rows",
    "export",
    "export_parts",
    "format_for_path",
    "graphml_parts",
    "node_attributes",
    "node_rows",
    "ramp_colour",
    "shade",
    "text_colour",
    "to_csv",
    "to_dot",
    "to_gexf",
    "to_graphml",
    "to_json",
    "to_mermaid",
]

ExportFormat = Literal["graphml", "gexf", "json", "csv", "dot", "mermaid"]
#: The formats of :func:`export`, in the order the CLI lists them.
FORMATS: tuple[ExportFormat, ...] = ("graphml", "gexf", "json", "csv", "dot", "mermaid")
_SUFFIXES: dict[str, ExportFormat] = {
    ".graphml": "graphml",
    ".gexf": "gexf",
    ".json": "json",
    ".csv": "csv",
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".md": "mermaid",
}

#: A value of a node or edge attribute (unknown values are absent, never ``None``).
Value: TypeAlias = str | float | bool
Kind = Literal["string", "double", "boolean"]

#: The colour ramp for 0 -> 1 (ColorBrewer YlOrRd, 5 classes), interpolated in sRGB.
RAMP = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
#: The fill of a node without a value (no shares known).
NA_COLOUR = "#d9d9d9"
#: The outline of choke points.
OUTLINE_COLOUR = "#000000"

GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
GRAPHML_XSD = "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd"
GEXF_NS = "http://www.gexf.net/1.2draft"
GEXF_VIZ_NS = "http://www.gexf.net/1.2draft/viz"
GEXF_XSD = "http://www.gexf.net/1.2draft/gexf.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

_NMTOKEN = re.compile(r"^[A-Za-z0-9._:-]+$")


@dataclass(frozen=True, slots=True)
class Attribute:
    """One node or edge attribute: its name (also its GraphML key id), type and meaning."""

    name: str
    kind: Kind
    doc: str


_BASE_ATTRIBUTES = (
    Attribute("label", "string", "display name (read as the label by Gephi, yEd, Cytoscape)"),
    Attribute("name", "string", "display name of the node in the chain file"),
    Attribute("stage", "string", "stage of the chain (stages run upstream to downstream)"),
)
_METRIC_ATTRIBUTES = (
    Attribute("dependence", "double", "import dependence D = 1 - s(P)"),
    Attribute("hhi", "double", "HHI of the named origins, the perspective counted as one"),
    Attribute("import_hhi", "double", "HHI of the import sources, sum of (s(c)/D)^2"),
    Attribute("top_supplier", "string", "largest named foreign origin"),
    Attribute("top_share", "double", "share of the largest named foreign origin"),
    Attribute("total_dependence", "double", "dependence propagated through the inputs"),
    Attribute("chokepoint", "boolean", "flagged as a choke point"),
    Attribute("import_hhi_max", "double", "highest import HHI the figures allow"),
    Attribute("possible_chokepoint", "boolean", "not ruled out as a choke point (origins unknown)"),
    Attribute("impact", "double", "final-product loss if the top supplier stops supplying"),
    Attribute("impact_on", "string", "the final product that impact refers to"),
    Attribute("estimate", "boolean", "the shares are derived or estimated, not quoted"),
)
_LOSS_ATTRIBUTES = (
    Attribute("loss", "double", "output loss under the scenario"),
    Attribute("import_loss", "double", "part of the loss from cut imports"),
    Attribute("domestic_loss", "double", "part of the loss from the domestic producers' inputs"),
)
#: The attributes of every edge (input -> the node that uses it).
EDGE_ATTRIBUTES = (
    Attribute("cost_share", "double", "the input's share of the user's cost"),
    Attribute("weight", "double", "equal to cost_share (the weight graph tools read)"),
    Attribute("essential", "boolean", "the user cannot produce without the input (leontief)"),
)


# ------------------------------------------------------------------------------------------
# The table every format is written from


def _check(chain: Chain, analysis: Analysis, result: ScenarioResult | None) -> None:
    if analysis.chain.name != chain.name:
        msg = f"the analysis is of chain '{analysis.chain.name}', not '{chain.name}'"
        raise ValueError(msg)
    if result is not None and (
        result.chain != chain.name or result.perspective != analysis.perspective
    ):
        msg = (
            f"the scenario result is of chain '{result.chain}' from {result.perspective}'s "
            f"perspective, the analysis of '{chain.name}' from {analysis.perspective}'s"
        )
        raise ValueError(msg)


def _origins(chain: Chain, year: int) -> list[str]:
    found = {k for n in chain.nodes for k in (n.shares_for(year) or {})}
    return sorted(found, key=lambda k: (k == OTHER, k))


def node_attributes(
    chain: Chain, analysis: Analysis, result: ScenarioResult | None = None
) -> tuple[Attribute, ...]:
    """The node attributes written for this chain, in column order.

    ``label``, ``name``, ``stage``; one ``share_XX`` per origin that any node names (A-Z,
    ``share_other`` last); the analysis metrics; ``loss``, ``import_loss`` and ``domestic_loss``
    when ``result`` is given. Each attribute has one type for every node.
    """
    shares = tuple(
        Attribute(f"share_{origin}", "double", f"share of {origin} in the supply of the node")
        for origin in _origins(chain, analysis.year)
    )
    losses = _LOSS_ATTRIBUTES if result is not None else ()
    return (*_BASE_ATTRIBUTES, *shares, *_METRIC_ATTRIBUTES, *losses)


#: Numbers are written with this many significant digits (no binary noise like 0.826000...01).
DIGITS = 12


_ROUND = f".{DIGITS}g"


def _put(row: dict[str, Value], key: str, value: str | float | bool | None) -> None:
    """Store a known, finite value; leave ``None``, NaN and infinities out."""
    if value is None:
        return
    if isinstance(value, bool | str):
        row[key] = value
        return
    number = _rounded(value)
    if number is not None:
        row[key] = number


class _Memo(dict[Any, Any]):
    """``func`` of a value, each distinct value computed once (a dict: the lookup of a value
    seen before is a hash probe, cheaper than formatting it again)."""

    def __init__(self, func: Callable[[Any], Any]) -> None:
        super().__init__()
        self.func = func

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.func(key)
        return value

    def __call__(self, key: Any) -> Any:
        return self[key]


def _rounded(value: float | None) -> float | None:
    """``value`` to :data:`DIGITS` significant digits; None for None, NaN and infinities."""
    if value is None:
        return None
    if type(value) is float:  # the common case first: a float, finite unless NaN or infinite
        return float(format(value, _ROUND)) if value - value == 0.0 else None
    return float(format(value, _ROUND)) if math.isfinite(value) else None


def node_rows(
    chain: Chain, analysis: Analysis, result: ScenarioResult | None = None
) -> list[tuple[str, dict[str, Value]]]:
    """``(node id, attributes)`` for every node in stage order; unknown values are absent.

    Examples
    --------
    >>> import chokepoint
    >>> chain = chokepoint.load_chain("tests/data/valid/mini.yaml")
    >>> rows = dict(node_rows(chain, chokepoint.analyze(chain)))
    >>> rows["plc"]["share_EU"], rows["reducers"]["dependence"], "dependence" in rows["cars"]
    (0.5, 0.72, False)
    """
    _check(chain, analysis, result)
    losses = {n.id: n for n in result.nodes} if result is not None else {}
    rows: list[tuple[str, dict[str, Value]]] = []
    # shares are figures with few digits, repeated across nodes: each rounded once
    rounded = _Memo(_rounded)
    column: dict[str, str] = {}
    year = analysis.year
    for m in analysis.nodes:
        node = chain.node(m.id)
        row: dict[str, Value] = {"label": node.name, "name": node.name, "stage": node.stage}
        for origin, share in sorted((node.shares_for(year) or {}).items()):
            value = rounded(share)
            if value is not None:
                key = column.get(origin) or column.setdefault(origin, f"share_{origin}")
                row[key] = value
        for key, number in (
            ("dependence", m.dependence),
            ("hhi", m.hhi),
            ("import_hhi", m.import_hhi),
        ):
            if number is not None and (value := _rounded(number)) is not None:
                row[key] = value
        if m.top_supplier is not None:
            row["top_supplier"] = m.top_supplier
        for key, number in (("top_share", m.top_share), ("total_dependence", m.total_dependence)):
            if number is not None and (value := _rounded(number)) is not None:
                row[key] = value
        row["chokepoint"] = m.chokepoint
        if m.import_hhi_max is not None and (value := _rounded(m.import_hhi_max)) is not None:
            row["import_hhi_max"] = value
        row["possible_chokepoint"] = m.possible_chokepoint
        _put(row, "impact", m.impact)
        _put(row, "impact_on", m.impact_on)
        row["estimate"] = node.estimate
        if m.id in losses:
            loss = losses[m.id]
            _put(row, "loss", loss.loss)
            _put(row, "import_loss", loss.import_loss)
            _put(row, "domestic_loss", loss.domestic_loss)
        rows.append((m.id, row))
    return rows


def edge_rows(chain: Chain) -> list[tuple[str, str, dict[str, Value]]]:
    """``(input, user, attributes)`` for every input of every node, in file order.

    ``cost_share`` and ``weight`` are absent when the chain gives no cost share.
    """
    rows: list[tuple[str, str, dict[str, Value]]] = []
    for node in chain.nodes:
        for item in node.inputs:
            row: dict[str, Value] = {}
            _put(row, "cost_share", item.cost_share)
            _put(row, "weight", item.cost_share)
            row["essential"] = item.essential
            rows.append((item.node, node.id, row))
    return rows


def _summary(chain: Chain, analysis: Analysis, result: ScenarioResult | None) -> str:
    text = f"{chain.title} ({chain.name}), perspective {analysis.perspective}, {analysis.year}"
    if result is not None:
        what = f"scenario {result.scenario.name}" if result.scenario.name else "custom scenario"
        text += f", {what} ({result.model})"
    return text


def _text(value: Value) -> str:
    """A value as GraphML, GEXF and CSV write it: shortest round-trip floats, true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return value


# ------------------------------------------------------------------------------------------
# Colours


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def ramp_colour(value: float | None) -> str:
    """The fill colour of ``value`` in [0, 1] on :data:`RAMP`; :data:`NA_COLOUR` for ``None``.

    Values outside [0, 1] are clipped; between two stops the colour is interpolated linearly.

    Examples
    --------
    >>> ramp_colour(0.0), ramp_colour(0.5), ramp_colour(1.0), ramp_colour(None)
    ('#ffffb2', '#fd8d3c', '#bd0026', '#d9d9d9')
    """
    if value is None or not math.isfinite(value):
        return NA_COLOUR
    position = min(max(value, 0.0), 1.0) * (len(RAMP) - 1)
    low = min(int(position), len(RAMP) - 2)
    frac = position - low
    a, b = _rgb(RAMP[low]), _rgb(RAMP[low + 1])
    mixed = (round(x + (y - x) * frac) for x, y in zip(a, b, strict=True))
    return "#" + "".join(f"{c:02x}" for c in mixed)


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (luma below 0.5: white).

    >>> text_colour("#ffffb2"), text_colour("#bd0026")
    ('#000000', '#ffffff')
    """
    r, g, b = _rgb(fill)
    luma = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255
    return "#ffffff" if luma < 0.5 else "#000000"


def shade(row: Mapping[str, Value], result: ScenarioResult | None) -> float | None:
    """The value that colours a node: its ``loss`` under a scenario, else its ``dependence``."""
    value = row.get("loss" if result is not None else "dependence")
    return value if isinstance(value, float) else None


def _pct(value: float) -> str:
    return f"{value:.0%}"


# ------------------------------------------------------------------------------------------
# GraphML and GEXF


def _unique(candidates: Iterable[str]) -> list[str]:
    """``candidates`` with later duplicates suffixed ``_2``, ``_3`` ... (order kept)."""
    out: list[str] = []
    used: set[str] = set()
    for safe in candidates:
        candidate, k = safe, 2
        while candidate in used:
            candidate, k = f"{safe}_{k}", k + 1
        used.add(candidate)
        out.append(candidate)
    return out


def _graphml_ids(ids: Sequence[str]) -> dict[str, str]:
    """Node id -> XML NMTOKEN: unchanged for chain ids (slugs), else made safe and unique.

    >>> _graphml_ids(["a", "b c", "b_c", ""])
    {'a': 'a', 'b c': 'n_b_c', 'b_c': 'b_c', '': 'n_'}
    """
    if _NMTOKEN.match("".join(ids)) and all(ids) and len(set(ids)) == len(ids):
        return dict(zip(ids, ids, strict=True))  # the common case, checked at once
    safe = (i if _NMTOKEN.match(i) else "n_" + re.sub(r"[^A-Za-z0-9.-]", "_", i) for i in ids)
    return dict(zip(ids, _unique(safe), strict=True))


def _mermaid_ids(ids: Sequence[str]) -> dict[str, str]:
    """Node id -> Mermaid id: ``n_`` + the id with every other character than A-Z, 0-9 as ``_``."""
    safe = ("n_" + re.sub(r"[^A-Za-z0-9]", "_", i) for i in ids)
    return dict(zip(ids, _unique(safe), strict=True))


def _serialize(root: ET.Element) -> str:
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def to_graphml(chain: Chain, analysis: Analysis, result: ScenarioResult | None = None) -> str:
    """The chain as GraphML 1.0, valid against the GraphML XML Schema.

    Every attribute is declared once as a ``<key>`` whose id is the attribute name (so no
    metric can land on the ids ``d3`` or ``d7`` that Gephi reads as labels), with one
    ``attr.type`` for all nodes: ``double`` for numbers, ``boolean``, ``string``. Node ids are
    the chain's ids (slugs, hence XML NMTOKENs). An unknown value has no ``<data>`` element.
    Chain, perspective, year and scenario are in the graph's ``<desc>``.

    Parameters
    ----------
    chain
        The chain.
    analysis
        Its :func:`~chokepoint.analyze` result (gives the perspective, year and metrics).
    result
        A :func:`~chokepoint.run_scenario` result, to add each node's loss.

    Returns
    -------
    str
        The XML document, UTF-8 declared.

    Examples
    --------
    >>> import chokepoint
    >>> chain = chokepoint.load_chain("tests/data/valid/mini.yaml")
    >>> '<key id="label" for="node" attr.name="label" attr.type="string">' in to_graphml(
    ...     chain, chokepoint.analyze(chain))
    True
    """
    parts: list[str] = []
    for pieces in _graphml_pieces(chain, analysis, result, block=None):
        parts += pieces
    return "".join(parts)


#: Pieces of text joined into one part by :func:`graphml_parts` (a few MB each).
PART_PIECES = 1 << 15


def graphml_parts(
    chain: Chain, analysis: Analysis, result: ScenarioResult | None = None
) -> Iterator[str]:
    """:func:`to_graphml` as parts of text, one after another: written out in turn (to a file
    or stdout) they are the same document, without the whole of it in memory at once.

    Each part holds the text of up to :data:`PART_PIECES` nodes' pieces or links; the links
    are turned into text a part at a time.

    >>> import chokepoint
    >>> chain = chokepoint.load_chain("tests/data/valid/mini.yaml")
    >>> analysis = chokepoint.analyze(chain)
    >>> "".join(graphml_parts(chain, analysis)) == to_graphml(chain, analysis)
    True
    """
    for pieces in _graphml_pieces(chain, analysis, result, block=PART_PIECES):
        yield "".join(pieces)


def _graphml_pieces(
    chain: Chain, analysis: Analysis, result: ScenarioResult | None, block: int | None
) -> Iterator[list[str]]:
    """The GraphML document as lists of pieces of text: the head (declaration, keys, graph
    description), the nodes and the links (at most ``block`` pieces a list; None: one list
    each), the closing tags."""
    _check(chain, analysis, result)
    from ..core.analysis import node_column

    ids = _graphml_ids(node_column(analysis.nodes, "id"))
    out = _Xml()
    out.open(
        "graphml",
        {
            "xmlns": GRAPHML_NS,
            "xmlns:xsi": XSI_NS,
            "xsi:schemaLocation": f"{GRAPHML_NS} {GRAPHML_XSD}",
        },
    )
    for domain, attributes in (
        ("node", node_attributes(chain, analysis, result)),
        ("edge", EDGE_ATTRIBUTES),
    ):
        for attribute in attributes:
            out.open(
                "key",
                {
                    "id": attribute.name,
                    "for": domain,
                    "attr.name": attribute.name,
                    "attr.type": attribute.kind,
                },
            )
            out.leaf("desc", {}, attribute.doc)
            out.close()
    out.open("graph", {"id": "G", "edgedefault": "directed"})
    out.leaf("desc", {}, _summary(chain, analysis, result))
    if _MARKUP.search("".join(ids.values())):
        quoted = {k: _Xml.attribute(v) for k, v in ids.items()}  # once per node
    else:
        quoted = ids  # (nearly always) no id needs an escape
    pad = "  " * len(out.stack)
    yield out.parts
    nodes = _graphml_nodes(chain, analysis, result, quoted, pad)
    size = block or max(len(nodes), 1)
    for start in range(0, len(nodes), size):
        yield nodes[start : start + size]
    del nodes
    yield from _graphml_links(chain, quoted, pad, block)
    out.parts = []
    out.close()
    out.close()
    yield out.parts


def _spell(value: float) -> str:
    """``repr(_rounded(value))`` of a finite ``value``, mostly without the round trip.

    ``format(value, ".12g")`` is that text itself when it has a point and no exponent: it then
    has at most 12 significant digits, no trailing zero and a magnitude in [1e-4, 1e12), and
    ``repr`` writes the float it rounds to with the same digits (two decimals of at most 12
    digits are far more than one unit in the last place apart, so none shorter round-trips),
    positionally in that range. Integral results and exponents take the round trip.

    >>> _spell(0.826000000000001), _spell(1.0), _spell(1e-05), _spell(2.0000000000001e12)
    ('0.826', '1.0', '1e-05', '2000000000000.0')
    """
    text = format(value, _ROUND)
    if "." in text and "e" not in text:
        return text
    return repr(float(text))


def _value(value: Value) -> str:
    """A row value as :meth:`_Xml.element` writes it in a ``<data>`` element (text escaped)."""
    kind = type(value)
    if kind is float:  # digits, sign, point and exponent need no escape
        return repr(value)
    if kind is bool:
        return "true" if value else "false"
    if isinstance(value, str):
        return value.translate(_Xml.TEXT) if _MARKUP.search(value) else value
    return repr(value)


def _kept(value: str | float | bool | None) -> Value | None:
    """The value :func:`_put` stores (None when it stores nothing)."""
    if value is None or isinstance(value, bool | str):
        return value
    return _rounded(value)


def _lines(start: str, values: Sequence[Any], convert: Callable[[Any], Value | None]) -> list[str]:
    """``start`` + the text of ``convert(value)`` + ``</data>`` and a line end per value; ``""``
    where ``convert`` gives None (an unknown value has no element).

    A column of floats (and None) takes numpy: each distinct finite value (distinct bits: -0.0
    is not 0.0) is spelled once by :func:`_spell`, the lines picked by index. Any other column
    goes value by value (the same text).
    """
    import numpy as np

    types = set(map(type, values))
    if types <= {str, type(None)}:  # few distinct texts (origins, final products)
        texts = _Memo(lambda v: "" if v is None else f"{start}{_value(v)}</data>\n")
        return [texts[v] for v in values]
    if not types <= {float, type(None)}:
        out = []
        for value in values:
            kept = convert(value)
            out.append("" if kept is None else f"{start}{_value(kept)}</data>\n")
        return out
    array = np.array(values, dtype=np.float64)  # None -> NaN
    finite = np.isfinite(array)
    bits, inverse = np.unique(array[finite].view(np.int64), return_inverse=True)
    lines = [f"{start}{_spell(v)}</data>\n" for v in bits.view(np.float64).tolist()]
    lines.append("")
    index = np.full(len(array), len(lines) - 1, dtype=np.intp)
    index[finite] = inverse.reshape(-1)
    return cast("list[str]", np.array(lines, dtype=object)[index].tolist())


def _graphml_nodes(
    chain: Chain,
    analysis: Analysis,
    result: ScenarioResult | None,
    quoted: Mapping[str, str],
    pad: str,
) -> list[str]:
    """The ``<node>`` elements in stage order, as pieces of text to be joined: the text
    :meth:`_Xml.element` writes for the rows of :func:`node_rows` (``quoted``: each id escaped
    for an attribute).

    Made a column at a time (each key's lines for all the nodes), not from a row dictionary
    per node: a firm-level network has hundreds of thousands of nodes. The pieces are laid out
    node after node in one numpy array: its head (seven pieces: the tag around the id, label,
    name and stage), its share lines, one line (or ``""``) per other key, its closing tag.
    """
    import numpy as np

    _check(chain, analysis, result)
    metrics = analysis.nodes
    index = {node.id: k for k, node in enumerate(chain.nodes)}
    from ..core.analysis import node_column

    metric_ids = node_column(metrics, "id")
    rows = [index[i] for i in metric_ids]
    nodes = list(map(chain.nodes.__getitem__, rows))
    inner = f"{pad}  "

    def start(key: str) -> str:
        return f'{inner}<data key="{key.translate(_Xml.ATTRIBUTE)}">'

    stages = {s: f"</data>\n{start('stage')}{_value(s)}</data>\n" for s in {n.stage for n in nodes}}
    names = [n.name for n in nodes]
    if _MARKUP.search("".join(names)):  # else (nearly always) no name needs an escape
        names = list(map(_value, names))
    heads: list[str | list[str]] = [  # <node id="ID">, label, name, stage
        f'{pad}<node id="',
        [quoted[i] for i in metric_ids],
        f'">\n{start("label")}',
        names,
        f"</data>\n{start('name')}",
        names,
        [stages[n.stage] for n in nodes],
    ]
    columns: list[list[str]] = []

    def numbers(key: str, values: Sequence[Any], convert: Callable[[Any], Any]) -> None:
        columns.append(_lines(start(key), values, convert))

    def flags(key: str, values: Iterable[Any]) -> None:
        on, off = f"{start(key)}true</data>\n", f"{start(key)}false</data>\n"
        columns.append(
            [
                on if v is True else off if v is False else f"{start(key)}{_value(v)}</data>\n"
                for v in values
            ]
        )

    numbers("dependence", node_column(metrics, "dependence"), _rounded)
    numbers("hhi", node_column(metrics, "hhi"), _rounded)
    numbers("import_hhi", node_column(metrics, "import_hhi"), _rounded)
    numbers("top_supplier", node_column(metrics, "top_supplier"), _kept)
    numbers("top_share", node_column(metrics, "top_share"), _rounded)
    numbers("total_dependence", node_column(metrics, "total_dependence"), _rounded)
    flags("chokepoint", node_column(metrics, "chokepoint"))
    numbers("import_hhi_max", node_column(metrics, "import_hhi_max"), _rounded)
    flags("possible_chokepoint", node_column(metrics, "possible_chokepoint"))
    numbers("impact", node_column(metrics, "impact"), _kept)
    numbers("impact_on", node_column(metrics, "impact_on"), _kept)
    flags("estimate", [n.estimate for n in nodes])
    if result is not None:
        losses = {n.id: n for n in result.nodes}
        found = [losses.get(i) for i in metric_ids]
        numbers("loss", [None if f is None else f.loss for f in found], _kept)
        numbers("import_loss", [None if f is None else f.import_loss for f in found], _kept)
        numbers("domestic_loss", [None if f is None else f.domestic_loss for f in found], _kept)
    counts, shares = _share_lines(chain, rows, analysis.year, pad)
    width = len(heads) + len(columns) + 1  # the head, the other keys, the closing tag
    first = np.arange(len(metrics)) * width
    first[1:] += np.cumsum(counts)[:-1]
    pieces = np.empty(len(metrics) * width + len(shares), dtype=object)
    for k, head in enumerate(heads):
        pieces[first + k] = head
    pieces[np.repeat(first + len(heads), counts) + _within(counts)] = shares
    after = first + len(heads) + counts
    for k, column in enumerate(columns):
        pieces[after + k] = column
    pieces[after + len(columns)] = f"{pad}</node>\n"
    return cast("list[str]", pieces.tolist())


def _within(counts: Any) -> Any:
    """``0, 1, ..., c - 1`` for each count ``c`` of ``counts``, one after the other.

    >>> _within([2, 0, 3]).tolist()
    [0, 1, 0, 1, 2]
    """
    import numpy as np

    counts = np.asarray(counts, dtype=np.intp)
    ends = np.cumsum(counts)
    return np.arange(ends[-1] if len(ends) else 0) - np.repeat(ends - counts, counts)


def _share_lines(chain: Chain, rows: Sequence[int], year: int, pad: str) -> tuple[Any, list[str]]:
    """The ``share_XX`` lines (origins A-Z) of the nodes at positions ``rows`` of the chain,
    as :func:`node_rows` gives them: the number of pieces of text of each node (a numpy array)
    and the pieces, node after node. From the chain's share arrays (:attr:`Chain.arrays`) when
    it keeps them, else from each node's shares of ``year`` (one piece a node)."""
    import numpy as np

    starts: dict[str, str] = {}

    def start(origin: str) -> str:
        key = starts.get(origin)
        if key is None:
            key = starts[origin] = f'{pad}  <data key="{_Xml.attribute("share_" + origin)}">'
        return key

    arrays = chain.arrays
    if arrays is not None and arrays.share_known is not None:
        return _share_lines_of(arrays, len(chain.nodes), rows, start)
    lines: dict[str, dict[float, str]] = {}
    out = []
    for node in map(chain.nodes.__getitem__, rows):
        shares = node.shares_for(year)
        if not shares:
            out.append("")
            continue
        texts = []
        for origin, share in sorted(shares.items()):
            known = lines.get(origin)
            if known is None:
                known = lines[origin] = {}
            line = known.get(share)
            if line is None:
                number = _rounded(share)
                line = known[share] = (
                    "" if number is None else f"{start(origin)}{number!r}</data>\n"
                )
            texts.append(line)
        out.append("".join(texts))
    return np.ones(len(out), dtype=np.intp), out


def _share_lines_of(
    arrays: ChainArrays, size: int, rows: Sequence[int], start: Callable[[str], str]
) -> tuple[Any, list[str]]:
    """:func:`_share_lines` from the share arrays, which hold each node's shares (no node has
    a history: the shares of every year): the finite shares ordered by node (in the order of
    ``rows``), then origin A-Z, three pieces each (key, number, end), each distinct number
    spelled once."""
    import numpy as np

    origins = arrays.origins
    rank = np.empty(len(origins), dtype=np.intp)
    rank[sorted(range(len(origins)), key=origins.__getitem__)] = np.arange(len(origins))
    where = np.full(size, -1, dtype=np.intp)
    where[np.asarray(rows, dtype=np.intp)] = np.arange(len(rows))
    owner = where[np.repeat(np.arange(size), np.diff(arrays.share_ptr))]
    value = np.asarray(arrays.share_value, dtype=np.float64)
    known = np.asarray(arrays.share_known, dtype=bool)[
        np.repeat(np.arange(size), np.diff(arrays.share_ptr))
    ]
    keep = np.flatnonzero(known & np.isfinite(value) & (owner >= 0))
    owner, origin, value = owner[keep], np.asarray(arrays.share_origin)[keep], value[keep]
    order = np.lexsort((rank[origin], owner))
    origin, value = origin[order], value[order]
    bits, which = np.unique(value.view(np.int64), return_inverse=True)
    pieces = np.empty((len(value), 3), dtype=object)
    pieces[:, 0] = np.array([start(o) for o in origins] + [""], dtype=object)[:-1][origin]
    texts = [_spell(v) for v in bits.view(np.float64).tolist()]
    pieces[:, 1] = np.array([*texts, ""], dtype=object)[:-1][which.reshape(-1)]
    pieces[:, 2] = "</data>\n"
    return 3 * np.bincount(owner, minlength=len(rows)), cast("list[str]", pieces.ravel().tolist())


def _graphml_links(
    chain: Chain, quoted: Mapping[str, str], pad: str, block: int | None
) -> Iterator[list[str]]:
    """The ``<edge>`` elements in file order as pieces of text (five a link), in lists of at
    most ``block`` pieces (None: one list): joined, the text :meth:`_Xml.element` writes for the rows of :func:`edge_rows`
    (``cost_share`` and ``weight`` when known, then ``essential``; ``quoted``: each id escaped
    for an attribute).

    Written from the chain's link arrays (:attr:`Chain.arrays`, else made from each node's
    ``inputs``), without a row dictionary per link, of which a firm-level network has
    millions: the ids picked by position, each distinct cost share spelled once and each
    link's closing text (its cost share and flag) picked from a table.
    """
    import numpy as np

    ptr, source, cost, essential = _link_arrays(chain)
    ids = np.array([quoted[n.id] for n in chain.nodes] + [""], dtype=object)[:-1]
    sources = ids[np.asarray(source, dtype=np.intp)]
    targets = np.repeat(ids, np.diff(ptr))
    cost = np.asarray(cost, dtype=np.float64)
    finite = np.isfinite(cost)
    bits, inverse = np.unique(cost[finite].view(np.int64), return_inverse=True)
    inner = f"{pad}  <data key="
    flag = [f'{inner}"essential">{text}</data>\n{pad}</edge>\n' for text in ("false", "true")]
    tails = []
    for text in map(_spell, bits.view(np.float64).tolist()):
        known = f'">\n{inner}"cost_share">{text}</data>\n{inner}"weight">{text}</data>\n'
        tails += [known + flag[0], known + flag[1]]
    tails += [f'">\n{flag[0]}', f'">\n{flag[1]}']
    code = np.full(len(cost), len(bits), dtype=np.intp)
    code[finite] = inverse.reshape(-1)
    ends = np.array(tails, dtype=object)[2 * code + np.asarray(essential, dtype=bool)]
    size = max(len(ends), 1) if block is None else max(block // 5, 1)  # five pieces a link
    for start in range(0, len(ends), size):
        stop = min(start + size, len(ends))
        pieces = np.empty((stop - start, 5), dtype=object)
        pieces[:, 0] = f'{pad}<edge source="'
        pieces[:, 1] = sources[start:stop]
        pieces[:, 2] = '" target="'
        pieces[:, 3] = targets[start:stop]
        pieces[:, 4] = ends[start:stop]
        yield cast("list[str]", pieces.ravel().tolist())


def _link_arrays(chain: Chain) -> tuple[Any, Any, Any, Any]:
    """The links as arrays ``(in_ptr, in_src, in_cost, in_essential)`` as in
    :class:`~chokepoint.model.ChainArrays`: the chain's own when the reader kept them, else
    made from each node's ``inputs`` (an unknown cost share as NaN)."""
    import numpy as np

    arrays = chain.arrays
    if arrays is not None:
        return arrays.in_ptr, arrays.in_src, arrays.in_cost, arrays.in_essential
    position = {node.id: k for k, node in enumerate(chain.nodes)}
    counts, sources, costs, flags = [0], [], [], []
    for node in chain.nodes:
        counts.append(len(node.inputs))
        for item in node.inputs:
            sources.append(position[item.node])
            costs.append(item.cost_share)
            flags.append(bool(item.essential))
    return (
        np.cumsum(counts),
        np.array(sources, dtype=np.intp),
        np.array(costs, dtype=np.float64),
        np.array(flags, dtype=bool),
    )


#: Characters that need escaping in XML text or attributes (a search is cheaper than a
#: ``translate`` of the text that has none, as nearly every id and name).
_MARKUP = re.compile(r'[&<>"\n\r\t]')


class _Xml:
    """Writes indented XML straight to text, as ``ElementTree.indent`` then ``tostring`` would
    (two spaces a level, ``<tag />`` when empty), without building a tree: GraphML of a
    million-link network is a few million elements. :func:`to_graphml` writes its head and
    closing tags with it; its nodes and links are the text :meth:`element` would write for
    their rows, made a column at a time (:func:`_graphml_nodes`, :func:`_graphml_links`)."""

    ATTRIBUTE = str.maketrans(
        {
            "&": "&amp;",
            "<": "&lt;",
            ">": "&gt;",
            '"': "&quot;",
            "\n": "&#10;",
            "\r": "&#13;",
            "\t": "&#09;",
        }
    )
    TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})

    @classmethod
    def attribute(cls, value: str) -> str:
        """``value`` escaped for an attribute (text without markup characters as it is)."""
        return value.translate(cls.ATTRIBUTE) if _MARKUP.search(value) else value

    def __init__(self) -> None:
        self.parts: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>\n']
        self.stack: list[str] = []
        self.starts: dict[str, dict[str, str]] = {}

    def _start(self, tag: str, attributes: Mapping[str, str]) -> str:
        escape = self.ATTRIBUTE
        pairs = "".join([f' {k}="{v.translate(escape)}"' for k, v in attributes.items()])
        return f"{'  ' * len(self.stack)}<{tag}{pairs}"

    def open(self, tag: str, attributes: Mapping[str, str]) -> None:
        self.parts.append(self._start(tag, attributes) + ">\n")
        self.stack.append(tag)

    def close(self) -> None:
        tag = self.stack.pop()
        self.parts.append(f"{'  ' * len(self.stack)}</{tag}>\n")

    def leaf(self, tag: str, attributes: Mapping[str, str], text: str) -> None:
        self.parts.append(f"{self._start(tag, attributes)}>{text.translate(self.TEXT)}</{tag}>\n")

    def items(self, tag: str, attributes: Mapping[str, str], row: Mapping[str, Value]) -> None:
        """An element holding one ``<data key="NAME">VALUE</data>`` per item of ``row``."""
        escape = self.ATTRIBUTE
        self.element(
            tag, "".join([f' {k}="{v.translate(escape)}"' for k, v in attributes.items()]), row
        )

    def element(self, tag: str, attributes: str, row: Mapping[str, Value]) -> None:
        """:meth:`items` with the attributes as XML text already (`` id="n1"``, escaped).

        Written as one piece of text, each key's line start made once (the reference for the
        column writers of :func:`to_graphml`, which the tests compare with it)."""
        pad = "  " * len(self.stack)
        if not row:
            self.parts.append(f"{pad}<{tag}{attributes} />\n")
            return
        starts = self.starts.setdefault(pad, {})
        lines = [f"{pad}<{tag}{attributes}>\n"]
        for k, v in row.items():
            start = starts.get(k)
            if start is None:
                start = starts[k] = f'{pad}  <data key="{k.translate(self.ATTRIBUTE)}">'
            lines.append(f"{start}{_value(v)}</data>\n")
        lines.append(f"{pad}</{tag}>\n")
        self.parts.append("".join(lines))

    def text(self) -> str:
        return "".join(self.parts)


#: viz:size of a node: ``SIZE_MIN + SIZE_SCALE * impact`` (impact unknown: ``SIZE_MIN``).
SIZE_MIN, SIZE_SCALE = 10.0, 40.0
#: viz:position spacing: stages ``STAGE_GAP`` apart on x, nodes ``ROW_GAP`` apart on y.
STAGE_GAP, ROW_GAP = 300.0, 80.0


def _positions(chain: Chain, order: Sequence[str]) -> dict[str, tuple[float, float]]:
    """A layered layout: x by stage, y by position in the stage, each stage centred on 0."""
    rank = {s: k for k, s in enumerate(chain.stages)}
    columns: dict[str, list[str]] = {}
    for node_id in order:
        columns.setdefault(chain.node(node_id).stage, []).append(node_id)
    out: dict[str, tuple[float, float]] = {}
    for stage, members in columns.items():
        for k, node_id in enumerate(members):
            out[node_id] = (rank[stage] * STAGE_GAP, ((len(members) - 1) / 2 - k) * ROW_GAP)
    return out


def to_gexf(chain: Chain, analysis: Analysis, result: ScenarioResult | None = None) -> str:
    r"""The chain as GEXF 1.2 (Gephi's format), coloured, sized and laid out.

    Each node has ``viz:color`` from :func:`ramp_colour` of its dependence (its loss under a
    scenario; grey when unknown), ``viz:size`` :math:`10 + 40 \cdot \mathrm{impact}` and a
    ``viz:position`` with one column per stage, so the chain opens in Gephi as drawn. Edges
    have ``weight`` = cost share (Gephi uses 1 when absent). Attributes are declared with the
    same names and types as in :func:`to_graphml`.

    Parameters
    ----------
    chain, analysis, result
        As for :func:`to_graphml`.

    Returns
    -------
    str
        The XML document.
    """
    _check(chain, analysis, result)
    rows = node_rows(chain, analysis, result)
    root = ET.Element(
        "gexf",
        {
            "xmlns": GEXF_NS,
            "xmlns:viz": GEXF_VIZ_NS,
            "xmlns:xsi": XSI_NS,
            "xsi:schemaLocation": f"{GEXF_NS} {GEXF_XSD}",
            "version": "1.2",
        },
    )
    meta = ET.SubElement(root, "meta")
    ET.SubElement(meta, "creator").text = "chokepoint"
    ET.SubElement(meta, "description").text = _summary(chain, analysis, result)
    graph = ET.SubElement(root, "graph", {"defaultedgetype": "directed", "mode": "static"})
    node_attrs = [a for a in node_attributes(chain, analysis, result) if a.name != "label"]
    edge_attrs = [a for a in EDGE_ATTRIBUTES if a.name != "weight"]
    for domain, attributes in (("node", node_attrs), ("edge", edge_attrs)):
        block = ET.SubElement(graph, "attributes", {"class": domain, "mode": "static"})
        for attribute in attributes:
            ET.SubElement(
                block,
                "attribute",
                {"id": attribute.name, "title": attribute.name, "type": attribute.kind},
            )
    positions = _positions(chain, [node_id for node_id, _ in rows])
    nodes = ET.SubElement(graph, "nodes")
    for node_id, row in rows:
        node = ET.SubElement(nodes, "node", {"id": node_id, "label": str(row["label"])})
        values = ET.SubElement(node, "attvalues")
        for name, value in row.items():
            if name != "label":
                ET.SubElement(values, "attvalue", {"for": name, "value": _text(value)})
        r, g, b = _rgb(ramp_colour(shade(row, result)))
        ET.SubElement(node, "viz:color", {"r": str(r), "g": str(g), "b": str(b)})
        impact = row.get("impact")
        size = SIZE_MIN + SIZE_SCALE * impact if isinstance(impact, float) else SIZE_MIN
        ET.SubElement(node, "viz:size", {"value": repr(size)})
        x, y = positions[node_id]
        ET.SubElement(node, "viz:position", {"x": repr(x), "y": repr(y), "z": "0.0"})
    edges = ET.SubElement(graph, "edges")
    for k, (source, target, row) in enumerate(edge_rows(chain)):
        attrs = {"id": str(k), "source": source, "target": target}
        if "weight" in row:
            attrs["weight"] = _text(row["weight"])
        edge = ET.SubElement(edges, "edge", attrs)
        values = ET.SubElement(edge, "attvalues")
        for name, value in row.items():
            if name != "weight":
                ET.SubElement(values, "attvalue", {"for": name, "value": _text(value)})
    return _serialize(root)


# ------------------------------------------------------------------------------------------
# JSON and CSV


def to_json(chain: Chain, analysis: Analysis, result: ScenarioResult | None = None) -> str:
    """The chain as networkx node-link JSON: ``graph``, ``nodes`` and ``edges``.

    ``networkx.node_link_graph(json.loads(text))`` rebuilds a DiGraph with the attributes of
    :func:`to_graphml`. ``graph`` holds chain, title, perspective, market, year and, with a
    scenario, the scenario (as ``chokepoint scenario --format json`` writes it) and the model.
    Unknown values are absent; the text never contains NaN.
    """
    _check(chain, analysis, result)
    graph: dict[str, object] = {
        "chain": chain.name,
        "title": chain.title,
        "perspective": analysis.perspective,
        "market": chain.market or chain.perspective,
        "year": analysis.year,
        "stages": list(chain.stages),
    }
    if result is not None:
        graph["scenario"] = result.scenario.to_dict()
        graph["model"] = result.model
    document = {
        "directed": True,
        "multigraph": False,
        "graph": graph,
        "nodes": [{"id": node_id, **row} for node_id, row in node_rows(chain, analysis, result)],
        "edges": [{"source": s, "target": t, **row} for s, t, row in edge_rows(chain)],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def to_csv(
    chain: Chain,
    analysis: Analysis,
    result: ScenarioResult | None = None,
    *,
    table: Literal["nodes", "edges"] = "nodes",
) -> str:
    """One CSV table: the nodes (``id`` then every node attribute) or the edges.

    The edge table has ``source, target, cost_share, weight, essential``; with the node table,
    Gephi's spreadsheet import reads both. Unknown values are empty cells; booleans are
    ``true``/``false``.
    """
    _check(chain, analysis, result)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if table == "nodes":
        names = [a.name for a in node_attributes(chain, analysis, result)]
        writer.writerow(["id", *names])
        for node_id, row in node_rows(chain, analysis, result):
            writer.writerow([node_id, *(_text(row[n]) if n in row else "" for n in names)])
    elif table == "edges":
        names = [a.name for a in EDGE_ATTRIBUTES]
        writer.writerow(["source", "target", *names])
        for source, target, row in edge_rows(chain):
            writer.writerow([source, target, *(_text(row[n]) if n in row else "" for n in names)])
    else:
        msg = f"unknown CSV table '{table}'; choose nodes or edges"
        raise OutputError(msg)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------
# Graphviz DOT and Mermaid


def _caption(row: Mapping[str, Value], result: ScenarioResult | None) -> str:
    """The second line of a node's box: its colour value and whether it is a choke point."""
    value = shade(row, result)
    what = "loss" if result is not None else "dependence"
    text = f"{what} {_pct(value)}" if value is not None else f"{what} n/a"
    if row.get("chokepoint") is True:
        text += ", choke point"
    elif row.get("possible_chokepoint") is True:
        text += ", not ruled out"
    return text


def _dot_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


#: Edge pen width: ``1 + PEN_SCALE * cost_share`` (DOT points, Mermaid pixels).
PEN_SCALE = 6.0


def _pen(row: Mapping[str, Value]) -> float | None:
    cost = row.get("cost_share")
    return round(1.0 + PEN_SCALE * cost, 2) if isinstance(cost, float) else None


def _by_stage(
    chain: Chain, rows: Sequence[tuple[str, dict[str, Value]]]
) -> list[tuple[str, list[tuple[str, dict[str, Value]]]]]:
    groups = [(stage, [r for r in rows if r[1]["stage"] == stage]) for stage in chain.stages]
    return [(stage, members) for stage, members in groups if members]


def to_dot(chain: Chain, analysis: Analysis, result: ScenarioResult | None = None) -> str:
    """The chain as a Graphviz digraph, left to right, one ranked cluster per stage.

    Nodes are filled with :func:`ramp_colour` of their dependence (loss under a scenario) and
    show it under their name; choke points have a thick black outline. Edge pen width is
    ``1 + 6 * cost_share``, labelled with the cost share; inessential inputs are dashed, inputs
    without a cost share grey. Render with ``dot -Tsvg chain.dot -o chain.svg``.
    """
    _check(chain, analysis, result)
    rows = node_rows(chain, analysis, result)
    lines = [
        f"// {_summary(chain, analysis, result)}",
        f"// fill: {'loss' if result is not None else 'import dependence'} 0% (light) to 100% "
        "(dark red), grey n/a; thick outline: choke point; dashed: inessential input",
        f"digraph {_dot_string(chain.name)} {{",
        "  graph [rankdir=LR, newrank=true, nodesep=0.25, ranksep=0.9, fontname=Helvetica, "
        f"labelloc=t, label={_dot_string(_summary(chain, analysis, result))}];",
        f'  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=11, '
        f'fillcolor="{NA_COLOUR}", color="#666666", penwidth=1];',
        '  edge [color="#555555", fontname=Helvetica, fontsize=9, arrowsize=0.7];',
    ]
    for stage, members in _by_stage(chain, rows):
        lines.append(f"  subgraph {_dot_string('cluster_' + stage)} {{")
        lines.append(
            f'    label={_dot_string(stage)}; rank=same; style="rounded,dashed"; color="#aaaaaa";'
        )
        for node_id, row in members:
            fill = ramp_colour(shade(row, result))
            attrs = [
                f"label={_dot_string(str(row['label']) + chr(10) + _caption(row, result))}",
                f'fillcolor="{fill}"',
                f'fontcolor="{text_colour(fill)}"',
            ]
            if row.get("chokepoint") is True:
                attrs += [f'color="{OUTLINE_COLOUR}"', "penwidth=3"]
            elif row.get("possible_chokepoint") is True:
                attrs += [f'color="{OUTLINE_COLOUR}"', "penwidth=2", 'style="filled,dashed"']
            lines.append(f"    {_dot_string(node_id)} [{', '.join(attrs)}];")
        lines.append("  }")
    for source, target, row in edge_rows(chain):
        attrs = []
        pen = _pen(row)
        cost = row.get("cost_share")
        if pen is not None and isinstance(cost, float):
            attrs += [f"penwidth={pen:g}", f'label="{_pct(cost)}"']
        else:
            attrs.append('color="#aaaaaa"')
        if row["essential"] is False:
            attrs.append("style=dashed")
        lines.append(f"  {_dot_string(source)} -> {_dot_string(target)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


_MERMAID_ENTITIES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;"}


def _mermaid_text(text: str) -> str:
    return "".join(_MERMAID_ENTITIES.get(c, c) for c in " ".join(text.split()))


def _yaml_string(text: str) -> str:
    return json.dumps(" ".join(text.split()), ensure_ascii=False)


def to_mermaid(
    chain: Chain,
    analysis: Analysis,
    result: ScenarioResult | None = None,
    *,
    fenced: bool = False,
) -> str:
    """The chain as a Mermaid flowchart, left to right, one subgraph per stage.

    Nodes are filled as in :func:`to_dot`; choke points have class ``chokepoint`` (thick black
    outline). Essential inputs are solid arrows, inessential ones dotted; arrows are labelled
    with the cost share and as wide as in :func:`to_dot`. Node ids are ``n_`` + the chain id
    with ``-`` as ``_`` (Mermaid keywords such as ``end`` cannot clash).

    Parameters
    ----------
    chain, analysis, result
        As for :func:`to_graphml`.
    fenced
        Wrap in a ```` ```mermaid ```` block for pasting into Markdown.
    """
    _check(chain, analysis, result)
    rows = node_rows(chain, analysis, result)
    mermaid = _mermaid_ids([node_id for node_id, _ in rows])
    lines = [
        "---",
        f"title: {_yaml_string(_summary(chain, analysis, result))}",
        "---",
        "flowchart LR",
    ]
    stages = _by_stage(chain, rows)
    for k, (stage, members) in enumerate(stages):
        lines.append(f'  subgraph s{k} ["{_mermaid_text(stage)}"]')
        for node_id, row in members:
            label = f"{_mermaid_text(str(row['label']))}<br/>{_mermaid_text(_caption(row, result))}"
            lines.append(f'    {mermaid[node_id]}["{label}"]')
        lines.append("  end")
    styles: list[str] = []
    for index, (source, target, row) in enumerate(edge_rows(chain)):
        arrow = "-->" if row["essential"] is True else "-.->"
        cost = row.get("cost_share")
        label = f"|{_pct(cost)}|" if isinstance(cost, float) else ""
        lines.append(f"  {mermaid[source]} {arrow}{label} {mermaid[target]}")
        pen = _pen(row)
        if pen is not None:
            styles.append(f"  linkStyle {index} stroke-width:{pen:g}px")
        else:
            styles.append(f"  linkStyle {index} stroke:#aaaaaa")
    for k in range(len(stages) - 1):  # keep the stages in order, left to right
        lines.append(f"  s{k} ~~~ s{k + 1}")
    lines.extend(styles)
    for node_id, row in rows:
        fill = ramp_colour(shade(row, result))
        lines.append(f"  style {mermaid[node_id]} fill:{fill},color:{text_colour(fill)}")
    flagged = [mermaid[node_id] for node_id, row in rows if row.get("chokepoint") is True]
    possible = [mermaid[n] for n, row in rows if row.get("possible_chokepoint") is True]
    lines.append(f"  classDef chokepoint stroke:{OUTLINE_COLOUR},stroke-width:4px")
    if flagged:
        lines.append(f"  class {','.join(flagged)} chokepoint")
    if possible:
        lines.append(
            f"  classDef possible stroke:{OUTLINE_COLOUR},stroke-width:2px,stroke-dasharray:5 3"
        )
        lines.append(f"  class {','.join(possible)} possible")
    text = "\n".join(lines) + "\n"
    return f"```mermaid\n{text}```\n" if fenced else text


# ------------------------------------------------------------------------------------------
# The dispatcher


def format_for_path(path: str | os.PathLike[str]) -> ExportFormat:
    """The export format a file name implies (``.graphml``, ``.gexf``, ``.json``, ``.csv``,
    ``.dot``/``.gv``, ``.mmd``/``.mermaid``/``.md``).

    Raises
    ------
    OutputError
        For any other suffix, listing the known ones.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        msg = (
            f"cannot tell the export format from '{Path(path).name}'; give --format or a file "
            f"ending in {', '.join(_SUFFIXES)}"
        )
        raise OutputError(msg)
    return _SUFFIXES[suffix]


def export(
    analysis: Analysis,
    fmt: str,
    result: ScenarioResult | None = None,
    *,
    table: Literal["nodes", "edges"] = "nodes",
    fenced: bool = False,
) -> str:
    """Write an analysed chain (and a scenario's losses) in format ``fmt``.

    Nothing is computed again: the figures come from ``analysis`` (and ``result``), every node
    is looked up by index, and the time grows linearly with the chain.

    Parameters
    ----------
    analysis
        The :func:`~chokepoint.analyze` result of the chain to write.
    fmt
        One of :data:`FORMATS`.
    result
        A :func:`~chokepoint.run_scenario` result of the same chain and perspective: its losses
        are added to every node.
    table
        With ``csv``: ``nodes`` or ``edges``.
    fenced
        With ``mermaid``: wrap in a Markdown code fence.

    Returns
    -------
    str
        The document; write it with :func:`~chokepoint.io.atomic.write_atomic`.

    Raises
    ------
    OutputError
        For an unknown format, or a result of another chain or perspective.

    Examples
    --------
    >>> import chokepoint
    >>> chain = chokepoint.load_chain("tests/data/valid/mini.yaml")
    >>> print(export(chokepoint.analyze(chain), "csv", table="edges"), end="")
    source,target,cost_share,weight,essential
    reducers,robots,0.4,0.4,true
    plc,robots,0.2,0.2,false
    robots,cars,,,true
    """
    if fmt not in FORMATS:
        msg = f"unknown export format '{fmt}'; choose one of {', '.join(FORMATS)}"
        raise OutputError(msg)
    chain = analysis.chain
    if fmt == "graphml":
        return to_graphml(chain, analysis, result)
    if fmt == "gexf":
        return to_gexf(chain, analysis, result)
    if fmt == "json":
        return to_json(chain, analysis, result)
    if fmt == "csv":
        return to_csv(chain, analysis, result, table=table)
    if fmt == "dot":
        return to_dot(chain, analysis, result)
    return to_mermaid(chain, analysis, result, fenced=fenced)


def export_parts(
    analysis: Analysis,
    fmt: str,
    result: ScenarioResult | None = None,
    *,
    table: Literal["nodes", "edges"] = "nodes",
    fenced: bool = False,
) -> Iterator[str]:
    """:func:`export` as parts of text to write one after another (joined, the same document):
    GraphML in parts of a few MB (:func:`graphml_parts`), so that a firm-level network's
    document need never be whole in memory; every other format in one part.

    Raises
    ------
    OutputError
        As :func:`export` (and ``ValueError`` for a result of another chain), at the call,
        before the first part.

    Examples
    --------
    >>> import chokepoint
    >>> analysis = chokepoint.analyze(chokepoint.load_chain("tests/data/valid/mini.yaml"))
    >>> all("".join(export_parts(analysis, f)) == export(analysis, f) for f in FORMATS)
    True
    """
    if fmt != "graphml":
        return iter((export(analysis, fmt, result, table=table, fenced=fenced),))
    _check(analysis.chain, analysis, result)
    return graphml_parts(analysis.chain, analysis, result)
