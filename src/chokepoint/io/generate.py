r"""Synthetic layered supplier networks, for tests and benchmarks at firm-level scale.

:func:`generate` builds a chain document (format v1, perspective CN) of ``nodes`` firms in six
stages, raw materials to final products, that looks like a firm-level supplier network:

* **fan-in** (inputs per firm outside the first stage) is heavy-tailed,
  :math:`k = 1 + \lfloor Y \rfloor`, :math:`Y \sim \mathrm{LogNormal}(0.95, 1)` capped at 400
  (mean about 4.5, so about 3.4 links per firm overall, the ratio of a 294,000-firm,
  1,000,000-link network);
* **suppliers are chosen by size**: each firm has a Pareto(1.5) size and inputs are drawn in
  proportion to it (a few large suppliers serve many customers), 75% from the previous stage and
  25% from any earlier one;
* **country mixes** name 1 to 5 origins drawn by world-market weight (CN, US, JP, DE, KR, TW, ...),
  with Dirichlet-like shares, an ``other`` share in 30% of firms, a small unattributed remainder in
  20%, and no shares at all (unknown) in 2%;
* **cost shares** of a firm's inputs add up to a total drawn uniformly in [0.3, 0.85]; 2% of inputs
  carry none (unknown) and 10% are inessential; 20% of firms have a substitutability in
  [0.1, 0.5];
* **cycles**: ``cycles`` times the number of links adds mutual supply (a firm supplies one of its
  own inputs, cost share 1-5%), so that real networks' strongly connected components occur.

Figures are rounded down to 4 decimals, as published tables are. The same ``nodes``, ``seed`` and
``cycles`` give the same document on every platform (Python's ``random`` with its documented,
version-stable seeding of integers).
"""

from __future__ import annotations

import bisect
import math
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ArgumentError
from .limits import Limit

__all__ = [
    "COUNTRY_WEIGHTS",
    "MAX_NODES",
    "NODES",
    "STAGES",
    "Generated",
    "build_network",
    "generate",
    "write_network",
]

#: The most nodes one call generates unless raised (``max_nodes=N`` or ``CHOKEPOINT_MAX_NODES``):
#: about a minute and 3 GB of memory.
MAX_NODES = 1_000_000
#: The node ceiling with the environment variable that raises it.
NODES = Limit("CHOKEPOINT_MAX_NODES", MAX_NODES, "nodes")

#: Stages of a generated network, upstream first, with the share of firms in each.
STAGES: tuple[tuple[str, float], ...] = (
    ("raw-materials", 0.25),
    ("materials", 0.22),
    ("components", 0.20),
    ("subassemblies", 0.15),
    ("assembly", 0.12),
    ("final-products", 0.06),
)
#: Origins and their weight when a firm's countries are drawn (roughly world export shares of
#: manufactured intermediate goods).
COUNTRY_WEIGHTS: Mapping[str, float] = {
    "CN": 0.22,
    "US": 0.12,
    "JP": 0.09,
    "DE": 0.09,
    "KR": 0.07,
    "TW": 0.07,
    "IT": 0.03,
    "FR": 0.03,
    "GB": 0.025,
    "NL": 0.025,
    "CH": 0.02,
    "IN": 0.02,
    "VN": 0.02,
    "MY": 0.02,
    "MX": 0.02,
    "SG": 0.015,
    "CA": 0.015,
    "SE": 0.01,
    "TH": 0.01,
    "CZ": 0.01,
    "PL": 0.01,
    "AT": 0.01,
    "BE": 0.01,
    "ES": 0.01,
    "IE": 0.005,
    "AU": 0.005,
    "BR": 0.005,
    "IL": 0.005,
}
_ORIGIN_COUNTS = ((1, 0.25), (2, 0.30), (3, 0.25), (4, 0.12), (5, 0.08))
_SOURCE = "synthetic"


def _floor4(value: float) -> float:
    return math.floor(value * 10_000) / 10_000


def _split(rng: random.Random, total: float, parts: int, shape: float) -> list[float]:
    """``parts`` positive values summing to at most ``total`` (gamma weights, floored)."""
    weights = [rng.gammavariate(shape, 1.0) + 1e-9 for _ in range(parts)]
    scale = total / sum(weights)
    return [_floor4(w * scale) for w in weights]


def build_network(
    nodes: int,
    seed: int = 0,
    *,
    cycles: float = 0.0005,
    perspective: str = "CN",
    max_nodes: int | None = None,
) -> dict[str, Any]:
    """Build a synthetic layered supplier network as a chain document (format v1).

    Parameters
    ----------
    nodes
        Number of firms (at least 12: two per stage).
    seed
        Random seed; the same arguments give the same document.
    cycles
        Mutual-supply links added, as a fraction of the layered links (0 for a DAG).
    perspective
        The economy whose dependence is measured (its share counts as domestic).
    max_nodes
        The ceiling on ``nodes``; default :data:`MAX_NODES` (1,000,000), or the environment
        variable ``CHOKEPOINT_MAX_NODES``.

    Returns
    -------
    dict
        The chain document, ready for :func:`write_network` or
        :func:`chokepoint.io.loader.check_document`.

    Raises
    ------
    ArgumentError
        (a :class:`ValueError`) For fewer than 12 nodes, more than the ceiling, or a ``cycles``
        fraction outside [0, 1].
    SettingError
        For a ``CHOKEPOINT_MAX_NODES`` that is not a whole number.

    Examples
    --------
    >>> doc = build_network(100, seed=1)
    >>> len(doc["nodes"]), doc["nodes"][0]["stage"], doc["nodes"][-1]["stage"]
    (100, 'raw-materials', 'final-products')
    """
    minimum = 2 * len(STAGES)
    if nodes < minimum:
        msg = f"nodes={nodes}: a generated network needs at least {minimum} nodes"
        raise ArgumentError(msg)
    ceiling = NODES.get(max_nodes)
    if nodes > ceiling:
        msg = (
            f"nodes={nodes:,} is above the ceiling of {ceiling:,} generated nodes (about 3 GB "
            "of memory per million); raise it with max_nodes=N or CHOKEPOINT_MAX_NODES=N if the "
            "machine can hold it"
        )
        raise ArgumentError(msg)
    if not 0 <= cycles <= 1:
        msg = f"cycles={cycles} is outside [0, 1]"
        raise ArgumentError(msg)
    rng = random.Random(seed)
    sizes = [max(2, round(nodes * share)) for _, share in STAGES]
    sizes[-1] = nodes - sum(sizes[:-1])
    countries = list(COUNTRY_WEIGHTS)
    country_cum = _cumulative(COUNTRY_WEIGHTS.values())
    count_values = [c for c, _ in _ORIGIN_COUNTS]
    count_cum = _cumulative(w for _, w in _ORIGIN_COUNTS)

    document_nodes: list[dict[str, Any]] = []
    layers: list[list[int]] = []  # node indices per stage
    weights: list[float] = []  # supplier size (Pareto)
    width = len(str(nodes))
    for (stage, _), size in zip(STAGES, sizes, strict=True):
        layer = []
        for _ in range(size):
            k = len(document_nodes)
            node: dict[str, Any] = {
                "id": f"f{k:0{width}d}",
                "name": f"Firm {k} ({stage.replace('-', ' ')})",
                "stage": stage,
            }
            shares = _shares(rng, countries, country_cum, count_values, count_cum)
            if shares is None:
                node["note"] = "market mix not published; left out"
            else:
                node["shares"] = shares
                node["source"] = _SOURCE
            if rng.random() < 0.2:
                node["substitutability"] = round(rng.uniform(0.1, 0.5), 2)
            layer.append(k)
            document_nodes.append(node)
            weights.append(rng.paretovariate(1.5))
        layers.append(layer)

    cumulative = [_cumulative(weights[k] for k in layer) for layer in layers]
    earlier: list[list[int]] = []
    earlier_cum: list[list[float]] = []
    links = 0
    for stage_index in range(1, len(STAGES)):
        pool = [k for layer in layers[:stage_index] for k in layer]
        earlier.append(pool)
        earlier_cum.append(_cumulative(weights[k] for k in pool))
        for k in layers[stage_index]:
            fan_in = 1 + int(rng.lognormvariate(0.95, 1.0))
            fan_in = min(fan_in, 400, len(pool))
            chosen: dict[int, None] = {}
            tries = 0
            while len(chosen) < fan_in and tries < 4 * fan_in + 10:
                tries += 1
                if stage_index == 1 or rng.random() < 0.75:
                    layer = layers[stage_index - 1]
                    pick = layer[_pick(rng, cumulative[stage_index - 1])]
                else:
                    pick = pool[_pick(rng, earlier_cum[-1])]
                chosen.setdefault(pick)
            document_nodes[k]["inputs"] = _inputs(rng, [document_nodes[i]["id"] for i in chosen])
            links += len(chosen)

    extra = round(cycles * links)
    users = [k for layer in layers[1:] for k in layer]
    for _ in range(extra):
        user = document_nodes[users[rng.randrange(len(users))]]
        supplier_id = user["inputs"][rng.randrange(len(user["inputs"]))]["node"]
        supplier = document_nodes[int(supplier_id[1:])]
        existing = supplier.setdefault("inputs", [])
        if any(item["node"] == user["id"] for item in existing):
            continue
        total = sum(item.get("cost_share", 0.0) for item in existing)
        cost = _floor4(min(rng.uniform(0.01, 0.05), max(0.0, 0.99 - total)))
        existing.append({"node": user["id"], "cost_share": cost, "essential": rng.random() < 0.5})

    return {
        "format": 1,
        "name": f"synthetic-{nodes}-{seed}",
        "title": f"Synthetic layered supplier network ({nodes:,} firms, seed {seed})",
        "perspective": perspective,
        "year": 2024,
        "description": (
            "Generated by `chokepoint generate` for tests and benchmarks: heavy-tailed fan-in, "
            "suppliers chosen by size, country mixes by world-market weight. Not real data."
        ),
        "stages": [stage for stage, _ in STAGES],
        "sources": {
            _SOURCE: {
                "title": "Synthetic layered supplier network",
                "publisher": "chokepoint generate",
                "year": 2024,
                "note": f"--nodes {nodes} --seed {seed} --cycles {cycles}; every figure is random",
            }
        },
        "nodes": document_nodes,
    }


def _cumulative(values: Any) -> list[float]:
    total = 0.0
    out = []
    for value in values:
        total += value
        out.append(total)
    return out


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    return min(bisect.bisect_right(cumulative, rng.random() * cumulative[-1]), len(cumulative) - 1)


def _shares(
    rng: random.Random,
    countries: list[str],
    country_cum: list[float],
    count_values: list[int],
    count_cum: list[float],
) -> dict[str, float] | None:
    if rng.random() < 0.02:
        return None
    count = count_values[_pick(rng, count_cum)]
    chosen: dict[str, None] = {}
    while len(chosen) < count:
        chosen.setdefault(countries[_pick(rng, country_cum)])
    other = rng.uniform(0.02, 0.15) if rng.random() < 0.3 else 0.0
    rest = rng.uniform(0.0, 0.05) if rng.random() < 0.2 else 0.0
    values = _split(rng, 1.0 - other - rest, count, 0.8)
    shares = {c: v for c, v in zip(chosen, values, strict=True) if v > 0}
    if other:
        shares["other"] = _floor4(other)
    return shares or None


def _inputs(rng: random.Random, chosen: list[str]) -> list[dict[str, Any]]:
    total = rng.uniform(0.3, 0.85)
    costs = _split(rng, total, len(chosen), 1.0)
    items: list[dict[str, Any]] = []
    for node_id, cost in zip(chosen, costs, strict=True):
        item: dict[str, Any] = {"node": node_id}
        if rng.random() >= 0.02:
            item["cost_share"] = cost
        if rng.random() < 0.1:
            item["essential"] = False
        items.append(item)
    return items


def write_network(document: Mapping[str, Any], target: Path, fmt: str | None = None) -> list[Path]:
    """Write a chain document as a CSV folder (or .zip), a JSON file or a YAML file.

    ``fmt`` is ``csv``, ``json`` or ``yaml``; by default it follows ``target``'s suffix
    (``.json``, ``.yaml``/``.yml``, ``.zip``; anything else is a folder of CSV files). Every form
    is written atomically (:mod:`chokepoint.io.atomic`): a folder is filled beside the target and
    swapped in whole, so a reader (or a process killed mid-write) sees the old folder or the new
    one, never a mix. An existing folder is replaced only when it holds nothing but the files of
    the CSV form.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    OutputError
        When the target cannot be written (see :func:`~chokepoint.io.atomic.write_folder_atomic`).
    """
    from .atomic import write_atomic, write_folder_atomic
    from .tabular import HEADER_FILES, TABLES, dump_json, write_tables

    suffix = target.suffix.lower()
    fmt = fmt or {".json": "json", ".yaml": "yaml", ".yml": "yaml"}.get(suffix, "csv")
    if fmt == "json":
        return [write_atomic(target, dump_json(document))]
    if fmt == "yaml":
        import yaml

        dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        text = yaml.dump(
            dict(document), Dumper=dumper, sort_keys=False, allow_unicode=True, width=100
        )
        return [write_atomic(target, text)]
    if suffix == ".zip":
        return write_tables(document, target)
    names: list[str] = []

    def fill(folder: Path) -> None:
        names.extend(p.name for p in write_tables(document, folder))

    write_folder_atomic(target, fill, expected=(*HEADER_FILES, *TABLES))
    return [target / name for name in names]


@dataclass(frozen=True, slots=True)
class Generated:
    """What :func:`generate` wrote: the network's name, size and files."""

    path: Path
    name: str
    nodes: int
    links: int
    files: tuple[Path, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"path", "name", "nodes", "links", "files"}`` with paths as text."""
        return {
            "path": str(self.path),
            "name": self.name,
            "nodes": self.nodes,
            "links": self.links,
            "files": [str(f) for f in self.files],
        }


def generate(
    output: str | os.PathLike[str],
    nodes: int = 10_000,
    seed: int = 0,
    *,
    cycles: float = 0.0005,
    perspective: str = "CN",
    max_nodes: int | None = None,
) -> Generated:
    """Write a synthetic layered supplier network (:func:`build_network`) to ``output``.

    The function behind ``chokepoint generate``. ``output`` is a folder (the CSV form), or
    ``FILE.json``, ``FILE.yaml`` or ``FILE.zip``; it is written atomically (:func:`write_network`).

    Parameters
    ----------
    output
        Where to write.
    nodes, seed, cycles, perspective, max_nodes
        As for :func:`build_network`.

    Returns
    -------
    Generated
        The path, the network's name, its node and link counts and the files written.

    Raises
    ------
    ArgumentError
        As :func:`build_network`.
    OutputError
        When the target cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     done = generate(Path(folder) / "net.json", 100, seed=1)
    >>> done.nodes, done.name
    (100, 'synthetic-100-1')
    """
    document = build_network(
        nodes, seed, cycles=cycles, perspective=perspective, max_nodes=max_nodes
    )
    target = Path(output)
    files = write_network(document, target)
    links = sum(len(n.get("inputs", ())) for n in document["nodes"])
    return Generated(target, str(document["name"]), len(document["nodes"]), links, tuple(files))
