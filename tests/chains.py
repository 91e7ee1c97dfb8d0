"""Small chains shared by the known-answer tests, and a helper that writes one to a file.

The hand-worked values in the tests refer to these texts: keep them unchanged.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chokepoint.io.loader import iter_chain_files

#: The valid test chains and the shipped chains, as YAML files.
VALID_FILES = sorted(Path(__file__).parent.joinpath("data", "valid").glob("*.yaml"))
SHIPPED_FILES = sorted(p for p in iter_chain_files() if p.suffix == ".yaml")
#: The ``chain.json`` header of the small CSV-form networks of the reader tests.
NET_HEADER = {
    "format": 1,
    "name": "net",
    "title": "A small network",
    "perspective": "CN",
    "year": 2020,
    "stages": ["up", "down"],
    "sources": {"s": {"title": "Test figures", "publisher": "tests", "year": 2025}},
}

HEADER = """\
format: 1
name: {name}
title: Test chain {name}
perspective: CN
year: 2020
{extra}
stages: {stages}
sources:
  s: {{title: Hand-made test figures, publisher: chokepoint tests, year: 2025}}
nodes:
"""
REGIONS = "regions: {EU: [DE, FR]}"


def chain_text(name: str, nodes: str, stages: str = "[up, mid, down]", extra: str = REGIONS) -> str:
    """A whole chain file: the header above, then ``nodes`` (a YAML list) indented under it."""
    body = textwrap.indent(textwrap.dedent(nodes), "  ")
    return HEADER.format(name=name, stages=stages, extra=extra) + body


def write_chain(
    tmp_path: Path, name: str, nodes: str, stages: str = "[up, mid, down]", extra: str = REGIONS
) -> Path:
    """Write :func:`chain_text` to ``tmp_path/NAME.yaml`` and return the path."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(chain_text(name, nodes, stages, extra), encoding="utf-8")
    return path


# Five nodes: m1 is substitutable (0.25), m2 is an inessential input of c1.
FIVE = """\
- {id: m1, name: M1, stage: up, shares: {CN: 0.2, JP: 0.8}, substitutability: 0.25, source: s}
- {id: m2, name: M2, stage: up, shares: {CN: 0.5, DE: 0.5}, source: s}
- id: c1
  name: C1
  stage: mid
  shares: {CN: 0.6, JP: 0.4}
  source: s
  inputs: [{node: m1, cost_share: 0.5}, {node: m2, cost_share: 0.2, essential: false}]
- {id: c2, name: C2, stage: mid, shares: {CN: 1.0}, source: s, inputs: [{node: m2, cost_share: 0.3}]}
- id: f
  name: F
  stage: down
  shares: {CN: 0.9, US: 0.1}
  source: s
  inputs: [{node: c1, cost_share: 0.4}, {node: c2, cost_share: 0.3}]
"""

# a <-> b is a cycle and a uses itself.
CYCLE = """\
- {id: a, name: A, stage: up, shares: {CN: 0.5, JP: 0.5}, source: s, inputs: [{node: b, cost_share: 0.5}, {node: a, cost_share: 0.2}]}
- {id: b, name: B, stage: up, shares: {CN: 0.8, US: 0.2}, source: s, inputs: [{node: a, cost_share: 0.25}]}
- {id: c, name: C, stage: down, shares: {CN: 1.0}, source: s, inputs: [{node: a, cost_share: 0.5}]}
"""

# A region key, two origins on one node, `other`, an input without a cost share and a node
# without shares (counted as domestic) that is also on a cycle with a substitutable node.
MIXED = """\
- {id: r, name: R, stage: up, shares: {CN: 0.3, EU: 0.3, JP: 0.2, other: 0.1}, source: s}
- {id: p, name: P, stage: up, shares: {CN: 0.1, DE: 0.5, FR: 0.4}, substitutability: 0.5, source: s, inputs: [{node: u, cost_share: 0.3}]}
- {id: u, name: U, stage: mid, inputs: [{node: r, cost_share: 0.4}, {node: p}]}
- {id: g, name: G, stage: down, shares: {CN: 0.7, US: 0.3}, source: s, inputs: [r, {node: u, cost_share: 0.5, essential: false}]}
"""


def write_folder(
    folder: Path,
    header: Mapping[str, Any],
    tables: Mapping[str, str | None],
    **files: str | None,
) -> Path:
    """Write a chain in the CSV form to ``folder``: ``chain.json`` from ``header``, then
    ``tables`` (file name -> text), each replaced by ``files`` (``nodes_csv=...``, ``chain_json=``
    for the header's text); a text of None leaves its file out."""
    folder.mkdir(exist_ok=True)
    texts: dict[str, str | None] = {"chain.json": json.dumps(dict(header)), **tables}
    texts.update({name.replace("_", "."): text for name, text in files.items()})
    for name, text in texts.items():
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8", newline="")
    return folder
