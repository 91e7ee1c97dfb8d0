"""Convert ETO's Advanced Semiconductor Supply Chain Dataset into a chain (format v1).

The Emerging Technology Observatory (ETO, CSET, Georgetown University) publishes the data behind
its Supply Chain Explorer as five CSV files: ``stages.csv``, ``inputs.csv``, ``providers.csv``,
``provision.csv`` (provider -> input rows with a market share in percent, a year and a source) and
``sequence.csv`` ("goes into" and "is a type of" rows). :func:`convert` reads such a folder and
returns a chain document with ``market: global`` (world market shares, by the headquarters
country of the providing firms) plus the warnings the conversion raised; :func:`to_yaml` writes
it as a chain file. ``docs/eto-import.md`` explains every rule.

The dataset is licensed CC BY-NC 4.0: chokepoint reads it from a folder the user names and ships
none of it; a converted chain is a derivative under the same terms, which its header says.

Examples
--------
>>> from pathlib import Path
>>> document, warnings = convert(Path("tests/data/eto/mini"))  # doctest: +SKIP
>>> text = to_yaml(document)  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..countries import country_name, is_country, suggest_country
from ..errors import ChainError, ChokepointError, Problem
from ..model import OTHER

__all__ = [
    "DATASET_SOURCE",
    "DEFAULT_PERSPECTIVE",
    "FILES",
    "LICENCE",
    "PSEUDO_COUNTRIES",
    "EtoImport",
    "convert",
    "import_eto",
    "to_yaml",
]

#: The five files of an ETO folder, in the order they are read.
FILES = ("stages.csv", "inputs.csv", "providers.csv", "provision.csv", "sequence.csv")
#: The id of the ``sources`` entry for the dataset itself; every node cites it.
DATASET_SOURCE = "eto-chip-explorer"
#: The dataset's licence, carried into the chain's source entry and header.
LICENCE = "CC BY-NC 4.0"
#: The default perspective of a converted chain (any economy may be chosen at analysis time,
#: since the shares are world market shares).
DEFAULT_PERSPECTIVE = "CN"
#: Provider names (case-insensitive) that stand for no single country; their shares count as
#: ``other`` (known foreign origins not named individually).
PSEUDO_COUNTRIES = {
    "various countries": "Various countries",
    "various": "Various countries",
    "eur": "EUR (Europe)",
    "europe": "EUR (Europe)",
    "rest of world": "Rest of world",
    "row": "Rest of world",
    "world": "World",
    "other": "Other countries",
    "others": "Other countries",
}

_REQUIRED = {
    "stages.csv": ("stage_id", "stage_name"),
    "inputs.csv": ("input_id", "input_name", "stage_id"),
    "providers.csv": ("provider_name", "provider_id", "provider_type", "country"),
    "provision.csv": ("provider_id", "provided_id", "share_provided", "year", "source"),
    "sequence.csv": ("input_id", "goes_into_id", "is_type_of_id"),
}
_NAME = "eto-chip-explorer"
_TITLE = "Advanced semiconductors (ETO Supply Chain Explorer data, world market)"
_PUBLISHER = (
    "Emerging Technology Observatory (ETO), Center for Security and Emerging Technology (CSET), "
    "Georgetown University"
)
_DATASET_TITLE = "Advanced Semiconductor Supply Chain Dataset"
_DATASET_URL = "https://github.com/georgetown-cset/eto-chip-explorer"
_ROW_PUBLISHER = "cited in ETO's Advanced Semiconductor Supply Chain Dataset (provision.csv)"
#: Sums of percentages up to this much above 100 are taken as rounding; above it the warning
#: asks for a check of the rows (they are scaled all the same).
_ROUNDING_SLACK = 5.0
_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)[^)]*\)")
_URL = re.compile(r"https?://[^\s)\],]+")
_YEAR = re.compile(r"\b(19[0-9]{2}|20[0-9]{2})\b")


# --------------------------------------------------------------------------------------------
# Reading the CSV files


@dataclass(frozen=True, slots=True)
class _Row:
    """One CSV record: its first physical line and its cells by column name."""

    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return (self.cells.get(column) or "").strip()


@dataclass
class _Reader:
    """Reads the CSV files of one folder and collects every problem found."""

    folder: Path
    problems: list[Problem] = field(default_factory=list)
    headers: dict[str, list[str]] = field(default_factory=dict)

    def file(self, name: str) -> str:
        return str(self.folder / name)

    def problem(self, name: str, line: int, column: str, message: str) -> None:
        header = self.headers.get(name, [])
        index = header.index(column) + 1 if column in header else 0
        self.problems.append(Problem(self.file(name), line, index, column, message))

    def table(self, name: str) -> list[_Row] | None:
        """Read ``name``; None (with problems recorded) when it is missing or malformed."""
        path = self.folder / name
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            self.problem(
                name,
                0,
                "",
                f"missing file; an ETO folder holds {', '.join(FILES)} "
                f"(ETO's Advanced Semiconductor Supply Chain Dataset, folder data/)",
            )
            return None
        except IsADirectoryError:
            self.problem(name, 0, "", "is a folder, not a CSV file")
            return None
        except OSError as exc:
            self.problem(name, 0, "", f"cannot read: {exc.strerror}")
            return None
        try:
            text = data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            self.problem(name, line, "", f"not UTF-8 text (byte 0x{data[exc.start]:02x})")
            return None
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = [cell.strip() for cell in next(reader)]
        except StopIteration:
            self.problem(name, 1, "", "empty file; expected a header line naming the columns")
            return None
        except csv.Error as exc:
            self.problem(name, 1, "", f"malformed CSV header: {exc}")
            return None
        self.headers[name] = header
        missing = [column for column in _REQUIRED[name] if column not in header]
        for column in missing:
            spare = [c for c in header if c not in _REQUIRED[name]]
            close = difflib.get_close_matches(column, spare, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            self.problems.append(
                Problem(
                    self.file(name),
                    1,
                    0,
                    column,
                    f"missing column '{column}'{hint} (columns: {', '.join(header) or 'none'})",
                )
            )
        if missing:
            return None
        rows: list[_Row] = []
        start = reader.line_num + 1
        try:
            for record in reader:
                line, start = start, reader.line_num + 1
                if not any(cell.strip() for cell in record):
                    continue
                if len(record) != len(header):
                    self.problem(
                        name,
                        line,
                        "",
                        f"has {len(record)} fields but the header has {len(header)}; "
                        "quote fields that contain commas",
                    )
                    continue
                rows.append(_Row(line, dict(zip(header, record, strict=True))))
        except csv.Error as exc:
            self.problem(name, start, "", f"malformed CSV: {exc}")
            return None
        return rows

    def percent(self, name: str, row: _Row, column: str) -> float | None:
        """A share in percent in [0, 100]; None for a blank cell (share unknown)."""
        text = row.get(column)
        if not text:
            return None
        try:
            value = float(text.removesuffix("%"))
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            self.problem(
                name,
                row.line,
                column,
                f"{column} {text!r} is not a number; give a percentage such as 12.5 "
                "(or leave it blank for 'major provider, share unknown')",
            )
            return None
        if not 0 <= value <= 100:
            self.problem(name, row.line, column, f"{column} {text} is outside [0, 100] (percent)")
            return None
        return value

    def year(self, name: str, row: _Row, column: str) -> int | None:
        """A year in [1900, 2100]."""
        text = row.get(column)
        if not text.isdigit() or not 1900 <= int(text) <= 2100:
            self.problem(name, row.line, column, f"{column} {text!r} is not a year (e.g. 2025)")
            return None
        return int(text)


# --------------------------------------------------------------------------------------------
# The dataset as typed records


@dataclass(frozen=True, slots=True)
class _Input:
    id: str
    name: str
    kind: str
    stage: str | None
    market_size: str
    line: int


@dataclass(frozen=True, slots=True)
class _Provider:
    id: str
    name: str
    aliases: tuple[str, ...]
    is_country: bool
    country: str
    line: int


@dataclass(frozen=True, slots=True)
class _Provision:
    provider: _Provider
    input: str
    share: float | None
    year: int
    source: str
    line: int


@dataclass(frozen=True, slots=True)
class _Origin:
    """Where a provider maps to: an ISO code, a pseudo-country (``other``) or nothing."""

    code: str | None
    label: str
    pseudo: bool = False
    fuzzy: bool = False


@dataclass
class _Dataset:
    stages: list[tuple[str, str]]  # (ETO id, name) in file order
    inputs: dict[str, _Input]
    providers: dict[str, _Provider]
    provision: list[_Provision]
    stage_rows: list[_Provision]
    edges: list[tuple[str, str, bool]]  # (input, user, goes into?) in file order
    warnings: list[str]
    #: "goes into" rows between resources of one kind, read as "is a type of" (input, user)
    reread: set[tuple[str, str]] = field(default_factory=set)


def _read(folder: Path) -> _Dataset:
    reader = _Reader(folder)
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is not a folder"
        msg = f"{what}; give the folder that holds {', '.join(FILES)}"
        raise ChainError([Problem(str(folder), 0, 0, "", msg)])
    tables = {name: reader.table(name) for name in FILES}
    if reader.problems:
        raise ChainError(reader.problems)
    stages_rows, inputs_rows = tables["stages.csv"] or [], tables["inputs.csv"] or []
    providers_rows, provision_rows = tables["providers.csv"] or [], tables["provision.csv"] or []
    sequence_rows = tables["sequence.csv"] or []
    warnings: list[str] = []

    stages: list[tuple[str, str]] = []
    stage_names: dict[str, str] = {}
    for row in stages_rows:
        sid, name = row.get("stage_id"), row.get("stage_name")
        if not sid or not name:
            reader.problem(
                "stages.csv", row.line, "stage_id" if not sid else "stage_name", "is empty"
            )
        elif sid in stage_names:
            reader.problem("stages.csv", row.line, "stage_id", f"stage id '{sid}' is listed twice")
        else:
            stage_names[sid] = name
            stages.append((sid, name))
    if stages_rows is not None and not stages:
        reader.problem("stages.csv", 1, "", "no stages; a chain needs at least one")

    inputs: dict[str, _Input] = {}
    for row in inputs_rows:
        iid, name, stage = row.get("input_id"), row.get("input_name"), row.get("stage_id")
        if not iid or not name:
            reader.problem(
                "inputs.csv", row.line, "input_id" if not iid else "input_name", "is empty"
            )
            continue
        if iid in inputs or iid in stage_names:
            reader.problem("inputs.csv", row.line, "input_id", f"id '{iid}' is used twice")
            continue
        if stage and stage not in stage_names:
            reader.problem(
                "inputs.csv",
                row.line,
                "stage_id",
                f"unknown stage '{stage}' (stages.csv has {', '.join(stage_names) or 'none'})",
            )
            stage = ""
        inputs[iid] = _Input(
            iid,
            name,
            row.get("type"),
            stage or None,
            row.get("market_share_chart_global_market_size_info"),
            row.line,
        )
    if not inputs:
        reader.problem("inputs.csv", 1, "", "no inputs; nothing to convert")

    providers: dict[str, _Provider] = {}
    for row in providers_rows:
        pid, name, kind = row.get("provider_id"), row.get("provider_name"), row.get("provider_type")
        if not pid or not name:
            reader.problem(
                "providers.csv", row.line, "provider_id" if not pid else "provider_name", "is empty"
            )
            continue
        alias = row.get("alias")
        known = providers.get(pid)
        if known is not None:
            # ETO repeats a provider once per alias (Canon: Canon ANELVA, Canon Machinery)
            same = (known.name, known.is_country, known.country) == (
                name,
                kind.casefold() == "country",
                row.get("country"),
            )
            if not same:
                reader.problem(
                    "providers.csv",
                    row.line,
                    "provider_id",
                    f"id '{pid}' is used twice, for different providers (first on line "
                    f"{known.line}: '{known.name}')",
                )
            elif alias and alias not in known.aliases:
                providers[pid] = replace(known, aliases=(*known.aliases, alias))
            continue
        if kind.casefold() not in ("country", "organization"):
            warnings.append(
                f"providers.csv:{row.line}: provider type '{kind}' of '{name}' is neither "
                "'country' nor 'organization'; taken as a firm"
            )
        providers[pid] = _Provider(
            pid,
            name,
            (alias,) if alias else (),
            kind.casefold() == "country",
            row.get("country"),
            row.line,
        )

    provision: list[_Provision] = []
    stage_rows: list[_Provision] = []
    for row in provision_rows:
        pid, target = row.get("provider_id"), row.get("provided_id")
        provider = providers.get(pid)
        if provider is None:
            reader.problem(
                "provision.csv",
                row.line,
                "provider_id",
                f"unknown provider '{pid}' (not in providers.csv)",
            )
        if target not in inputs and target not in stage_names:
            reader.problem(
                "provision.csv",
                row.line,
                "provided_id",
                f"unknown input '{target}' (neither in inputs.csv nor in stages.csv)",
            )
            target = ""
        share = reader.percent("provision.csv", row, "share_provided")
        year = reader.year("provision.csv", row, "year")
        if provider is None or not target or year is None:
            continue
        item = _Provision(provider, target, share, year, row.get("source"), row.line)
        (stage_rows if target in stage_names else provision).append(item)

    edges: list[tuple[str, str, bool]] = []
    reread: set[tuple[str, str]] = set()
    for row in sequence_rows:
        iid = row.get("input_id")
        if iid not in inputs:
            reader.problem("sequence.csv", row.line, "input_id", f"unknown input '{iid}'")
            continue
        for column, goes_into in (("goes_into_id", True), ("is_type_of_id", False)):
            target = row.get(column)
            if not target:
                continue
            if target not in inputs:
                reader.problem("sequence.csv", row.line, column, f"unknown input '{target}'")
            elif target == iid:
                warnings.append(
                    f"sequence.csv:{row.line}: '{inputs[iid].name}' refers to itself; skipped"
                )
            elif goes_into and _same_resource(inputs[iid], inputs[target]):
                # Dry and wet etching tools "go into" etch and clean tools: the category's
                # shares already cover its kinds, so an essential input would count them twice.
                warnings.append(
                    f"sequence.csv:{row.line}: '{inputs[iid].name}' goes into "
                    f"'{inputs[target].name}', a {inputs[iid].kind} like it: read as 'is a type "
                    "of' (the category's shares already count its kinds; as an essential input it "
                    "would count them twice)"
                )
                reread.add((iid, target))
                edges.append((iid, target, False))
            else:
                edges.append((iid, target, goes_into))
    if reader.problems:
        order = {str(folder / name): k for k, name in enumerate(FILES)}
        raise ChainError(
            sorted(reader.problems, key=lambda p: (order.get(p.file, -1), p.line, p.column))
        )
    return _Dataset(stages, inputs, providers, provision, stage_rows, edges, warnings, reread)


#: ETO input types that are things bought (a "goes into" between two of one type is a grouping).
_RESOURCES = frozenset({"tool_resource", "material_resource"})


def _same_resource(a: _Input, b: _Input) -> bool:
    """True when ``a`` and ``b`` are resources of the same ETO type (tools, or materials)."""
    return a.kind in _RESOURCES and a.kind == b.kind


# --------------------------------------------------------------------------------------------
# Mapping names to the chain's vocabulary


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _origin(*names: str) -> _Origin:
    """Map a provider (alpha-3 code, alias or name) to an ISO alpha-2 code or a pseudo-country."""
    texts = [n.strip() for n in names if n and n.strip()]
    for text in texts:
        if text.casefold() in PSEUDO_COUNTRIES:
            return _Origin(None, PSEUDO_COUNTRIES[text.casefold()], pseudo=True)
    for text in texts:
        code = suggest_country(text)
        if code is None or not is_country(code):
            continue
        exact = (
            text.upper() == code
            or len(text) == 3
            or (country_name(code) or "").upper() == text.upper()
        )
        return _Origin(code, text, fuzzy=not exact)
    return _Origin(None, texts[0] if texts else "(blank)")


def _clean_source(text: str) -> str:
    """Markdown links ``[text](url)`` become ``text``; whitespace is collapsed."""
    return " ".join(_LINK.sub(r"\1", text).split())


def _source_id(text: str, taken: set[str]) -> str:
    first = re.split(r"(?<=[a-z0-9)])\.\s", _clean_source(text), maxsplit=1)[0]
    words = _slug(first).split("-")
    base = ""
    for word in words:
        if base and len(base) + 1 + len(word) > 48:
            break
        base = f"{base}-{word}" if base else word
    base = base or "source"
    if base == DATASET_SOURCE:
        base = f"{base}-row"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _unique(base: str, suffix: str, taken: set[str]) -> str:
    """``base``, else ``base-suffix`` (the ETO id), else ``base-suffix-2``, ... (all slugs)."""
    if base not in taken:
        return base
    stem = f"{base}-{suffix}" if suffix else base
    candidate, number = stem, 2
    while candidate in taken:
        candidate, number = f"{stem}-{number}", number + 1
    return candidate


def _fraction(value: float) -> float:
    return round(value, 6)


def _percent(value: float) -> str:
    return f"{value:.4g}%"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _join(items: Iterable[str]) -> str:
    return ", ".join(items)


# --------------------------------------------------------------------------------------------
# The conversion


@dataclass
class _NodeFigures:
    """What one input's provision rows of one year give."""

    shares: dict[str, float] | None
    blanks: list[str]
    pseudo: dict[str, float]
    country_total: float
    firm_total: float


def _stage_of(data: _Dataset, stage_rank: dict[str, int]) -> dict[str, tuple[str, str | None]]:
    """The ETO stage of every input and the input it was inferred from (None: its own).

    ETO gives stages only for a few inputs (the processes). Every other input takes the stage of
    the nearest input with a stage that it goes into or is a type of (ties: the most upstream
    stage); an input that reaches none (a final output) takes the stage of the nearest one that
    feeds it; an isolated input takes the first stage.
    """
    forward: dict[str, list[str]] = {i: [] for i in data.inputs}
    backward: dict[str, list[str]] = {i: [] for i in data.inputs}
    for source, target, _ in data.edges:
        forward[source].append(target)
        backward[target].append(source)
    out: dict[str, tuple[str, str | None]] = {}
    for iid, item in data.inputs.items():
        if item.stage is not None:
            out[iid] = (item.stage, None)
            continue
        found = _nearest_staged(iid, forward, data) or _nearest_staged(iid, backward, data)
        if found:
            best = min(found, key=lambda f: stage_rank[data.inputs[f].stage or ""])
            out[iid] = (data.inputs[best].stage or "", best)
        else:
            out[iid] = (data.stages[0][0], "")
    return out


def _nearest_staged(start: str, links: dict[str, list[str]], data: _Dataset) -> list[str]:
    seen, level = {start}, [start]
    while level:
        following: list[str] = []
        for node in level:
            for nxt in links[node]:
                if nxt not in seen:
                    seen.add(nxt)
                    following.append(nxt)
        staged = [n for n in following if data.inputs[n].stage is not None]
        if staged:
            return staged
        level = following
    return []


def _figures(
    rows: list[_Provision], origins: dict[str, _Origin]
) -> tuple[_NodeFigures, list[dict[str, Any]], list[str]]:
    """Country shares and firm suppliers of one input in one year, with notes on what was done."""
    named: dict[str, float] = {}
    pseudo: dict[str, float] = {}
    blanks: list[str] = []
    suppliers: list[dict[str, Any]] = []
    dropped: list[str] = []
    for row in rows:
        origin = origins[row.provider.id]
        if row.provider.is_country:
            label = origin.code or origin.label
            if row.share is None:
                blanks.append(label)
            elif origin.code is None:
                pseudo[origin.label] = pseudo.get(origin.label, 0.0) + row.share
            else:
                named[origin.code] = named.get(origin.code, 0.0) + row.share
            continue
        if origin.code is None:
            share = "share unknown" if row.share is None else _percent(row.share)
            dropped.append(f"{row.provider.name} (headquarters '{row.provider.country}', {share})")
            continue
        supplier: dict[str, Any] = {"firm": row.provider.name, "country": origin.code}
        if row.share is not None:
            supplier["share"] = row.share
        supplier["year"] = row.year
        if row.share is None:
            supplier["note"] = "major provider, share unknown (blank in ETO)"
        suppliers.append(supplier)
    country_total = round(sum(named.values()) + sum(pseudo.values()), 6)
    firm_total = round(sum(s.get("share", 0.0) for s in suppliers), 6)
    shares: dict[str, float] | None = None
    if named or pseudo:
        scale = 100.0 / country_total if country_total > 100 else 1.0
        shares = {code: _fraction(v * scale / 100) for code, v in named.items()}
        if pseudo:
            shares[OTHER] = _fraction(sum(pseudo.values()) * scale / 100)
        shares = dict(sorted(shares.items(), key=lambda kv: (kv[0] == OTHER, -kv[1], kv[0])))
    firm_scale = 100.0 / firm_total if firm_total > 100 else 1.0
    for supplier in suppliers:
        if "share" in supplier:
            supplier["share"] = _fraction(supplier["share"] * firm_scale / 100)
    figures = _NodeFigures(shares, blanks, pseudo, country_total, firm_total)
    return figures, suppliers, dropped


def _check_perspective(perspective: str) -> str:
    code = perspective.strip().upper()
    if is_country(code):
        return code
    guess = suggest_country(perspective)
    hint = f"; did you mean '{guess}'?" if guess else ""
    msg = f"unknown perspective '{perspective}'{hint} (an ISO 3166-1 alpha-2 code such as CN or US)"
    raise ChokepointError(msg)


def convert(
    folder: Path, *, year: int | None = None, perspective: str = DEFAULT_PERSPECTIVE
) -> tuple[dict[str, Any], list[str]]:
    """Convert an ETO Advanced Semiconductor Supply Chain Dataset folder into a chain document.

    Each input becomes a node (id: the slug of its name); its country-level provision rows give
    ``shares`` (world market shares, percent / 100), its firm rows give ``suppliers`` with their
    headquarters country. "Goes into" rows become inputs without cost shares, "is a type of" rows
    become non-essential inputs of the broader category. Per node and year, shares that sum above
    100 % (ETO rounds shares below 1 % up) are scaled by

    .. math:: s_n(c) = \\frac{p_n(c)}{\\max\\bigl(100, \\sum_{c'} p_n(c')\\bigr)}

    and a warning is returned.

    Parameters
    ----------
    folder
        The folder holding ``stages.csv``, ``inputs.csv``, ``providers.csv``, ``provision.csv``
        and ``sequence.csv``.
    year
        The chain's year: nodes take their shares of this year, other years go to ``history``
        (a node without figures of this year keeps its latest year, named in its ``year``).
        Default: the most common year of the provision rows (ties: the latest).
    perspective
        The chain's default perspective (ISO alpha-2). The shares are world market shares, so
        ``chokepoint analyze --perspective`` may choose any economy later.

    Returns
    -------
    tuple of (dict, list of str)
        The chain document (plain data for :func:`yaml.safe_dump` or :func:`to_yaml`) and the
        warnings, each naming the file and, where there is one, the line.

    Raises
    ------
    ChainError
        A missing file or column, a bad number or year, an unknown id, or a ``year`` no row has;
        every problem names the CSV file, line and column.
    ChokepointError
        An unknown ``perspective``.

    References
    ----------
    .. [1] Emerging Technology Observatory (2022-), "Advanced Semiconductor Supply Chain
           Dataset", CSET, Georgetown University; CC BY-NC 4.0.
    """
    who = _check_perspective(perspective)
    data = _read(folder)
    warnings = list(data.warnings)
    provision_file = str(folder / "provision.csv")

    # -- the chain's year ---------------------------------------------------------------------
    counts = Counter(row.year for row in data.provision)
    if not counts:
        msg = "no provision row gives a figure for an input; there is nothing to convert"
        raise ChainError([Problem(provision_file, 0, 0, "", msg)])
    years = sorted(counts)
    if year is None:
        chain_year = max(years, key=lambda y: (counts[y], y))
    elif year in counts:
        chain_year = year
    else:
        msg = f"no provision row is of {year}; years in the data: " + ", ".join(
            f"{y} ({counts[y]} rows)" for y in years
        )
        raise ChainError([Problem(provision_file, 0, 0, "year", msg)])
    if len(years) > 1:
        warnings.append(
            "provision.csv: years mix ("
            + ", ".join(f"{y}: {counts[y]} rows" for y in years)
            + f"); chain year {chain_year}, nodes with figures of another year only say so "
            "in `year`, other years of a node go to `history`"
        )

    # -- stages, ids, origins -------------------------------------------------------------------
    stage_slugs: dict[str, str] = {}
    for sid, name in data.stages:
        stage_slugs[sid] = _unique(_slug(name) or "stage", _slug(sid), set(stage_slugs.values()))
    stage_rank = {sid: k for k, (sid, _) in enumerate(data.stages)}
    stage_of = _stage_of(data, stage_rank)
    node_ids: dict[str, str] = {}
    for iid, item in data.inputs.items():
        node_ids[iid] = _unique(_slug(item.name) or "input", _slug(iid), set(node_ids.values()))
    origins = {
        pid: _origin(p.name, *p.aliases) if p.is_country else _origin(p.country)
        for pid, p in data.providers.items()
    }
    used_by: dict[str, set[str]] = {}
    for row in data.provision:
        used_by.setdefault(row.provider.id, set()).add(row.input)
    for pid, origin in sorted(origins.items(), key=lambda kv: data.providers[kv[0]].line):
        provider = data.providers[pid]
        if pid not in used_by:
            continue
        line = f"providers.csv:{provider.line}"
        if provider.is_country and origin.fuzzy:
            warnings.append(
                f"{line}: country '{provider.name}' read as {origin.code} (closest name)"
            )
        elif provider.is_country and origin.code is None and not origin.pseudo:
            warnings.append(
                f"{line}: unknown country '{provider.name}'; its shares count as `other`"
            )
        elif not provider.is_country and origin.code is None:
            warnings.append(
                f"{line}: firm '{provider.name}' has headquarters '{provider.country or '(blank)'}', "
                f"not one country; its {_count(sum(1 for r in data.provision if r.provider.id == pid), 'provision row')} "
                "are not listed as suppliers (notes name them)"
            )
        elif not provider.is_country and origin.fuzzy:
            warnings.append(
                f"{line}: headquarters '{provider.country}' of '{provider.name}' read as "
                f"{origin.code} (closest name)"
            )
    for iid, (_, via) in stage_of.items():
        if via == "":
            warnings.append(
                f"inputs.csv:{data.inputs[iid].line}: '{data.inputs[iid].name}' is linked to no "
                f"input with a stage; put in the first stage ({data.stages[0][1]})"
            )
    if data.stage_rows:
        stage_ids = sorted({r.input for r in data.stage_rows}, key=lambda s: stage_rank[s])
        warnings.append(
            f"provision.csv: {_count(len(data.stage_rows), 'row')} give shares of whole stages "
            f"({_join(f'{s} {dict(data.stages)[s]}' for s in stage_ids)}), not of inputs; chain "
            "stages carry no shares, so they were left out"
        )

    # -- provision rows by input and year -------------------------------------------------------
    by_input: dict[str, dict[int, list[_Provision]]] = {}
    seen: dict[tuple[str, str, int], int] = {}
    for row in data.provision:
        key = (row.provider.id, row.input, row.year)
        if key in seen:
            warnings.append(
                f"provision.csv:{row.line}: '{row.provider.name}' -> "
                f"'{data.inputs[row.input].name}' ({row.year}) repeats line {seen[key]}; skipped"
            )
            continue
        seen[key] = row.line
        by_input.setdefault(row.input, {}).setdefault(row.year, []).append(row)
    blank_countries = sum(1 for r in data.provision if r.share is None and r.provider.is_country)
    blank_firms = sum(1 for r in data.provision if r.share is None and not r.provider.is_country)
    if blank_countries or blank_firms:
        warnings.append(
            f"provision.csv: {_count(blank_countries, 'country row')} and {_count(blank_firms, 'firm row')} have a "
            "blank share (ETO: major provider, share unknown); countries are named in the node's "
            "note, firms are listed as suppliers without a share"
        )

    # -- sources --------------------------------------------------------------------------------
    row_sources: dict[str, str] = {}
    source_years: dict[str, int] = {}
    for rows_by_year in by_input.values():
        for rows in rows_by_year.values():
            for row in rows:
                if row.source:
                    source_years[row.source] = max(source_years.get(row.source, 0), row.year)
    taken = {DATASET_SOURCE}
    for row in sorted(
        (r for rows in by_input.values() for rs in rows.values() for r in rs if r.source),
        key=lambda r: r.line,
    ):
        if row.source not in row_sources:
            row_sources[row.source] = _source_id(row.source, taken)
            taken.add(row_sources[row.source])

    # -- nodes ----------------------------------------------------------------------------------
    users: dict[str, list[tuple[str, bool]]] = {}
    for source, target, goes_into in data.edges:
        entries = users.setdefault(target, [])
        existing = [k for k, (s, _) in enumerate(entries) if s == source]
        if existing:
            if goes_into:
                entries[existing[0]] = (source, True)
            continue
        entries.append((source, goes_into))
    parents: dict[str, list[str]] = {}
    for source, target, goes_into in data.edges:
        if not goes_into:
            parents.setdefault(source, []).append(target)

    nodes: list[dict[str, Any]] = []
    order = sorted(data.inputs.values(), key=lambda i: (stage_rank[stage_of[i.id][0]], i.line))
    for item in order:
        node, node_warnings = _node(
            item,
            data,
            chain_year,
            node_ids,
            stage_slugs[stage_of[item.id][0]],
            stage_of[item.id][1],
            by_input.get(item.id, {}),
            origins,
            row_sources,
            users.get(item.id, []),
            parents.get(item.id, []),
        )
        nodes.append(node)
        warnings.extend(node_warnings)

    sources: dict[str, dict[str, Any]] = {
        DATASET_SOURCE: {
            "title": _DATASET_TITLE,
            "publisher": _PUBLISHER,
            "year": max(years),
            "url": _DATASET_URL,
            "locator": _join(FILES),
            "licence": LICENCE,
            "note": (
                f"Read from the folder '{folder.resolve().name}' by `chokepoint import eto`. "
                f"Licence {LICENCE}: non-commercial use only, with attribution; a chain converted "
                "from it is a derivative under the same terms. The year is the latest data year "
                "of provision.csv, not a publication date."
            ),
        }
    }
    for text, sid in row_sources.items():
        cleaned = _clean_source(text)
        found = _YEAR.search(_URL.sub("", cleaned))
        entry: dict[str, Any] = {
            "title": cleaned,
            "publisher": _ROW_PUBLISHER,
            "year": int(found.group(1)) if found else source_years[text],
        }
        url = _URL.search(text)
        if url:
            entry["url"] = url.group(0)
        entry["note"] = (
            "From the source column of provision.csv"
            + (f', verbatim: "{text}"' if cleaned != text else "")
            + ("." if found else "; it gives no year, so the year is that of the rows citing it.")
        )
        sources[sid] = entry

    document: dict[str, Any] = {
        "format": 1,
        "name": _NAME,
        "title": _TITLE,
        "perspective": who,
        "market": "global",
        "year": chain_year,
        "description": _description(folder, chain_year, years),
        "stages": [stage_slugs[sid] for sid, _ in data.stages],
        "sources": sources,
        "nodes": nodes,
    }
    return document, warnings


def _node(
    item: _Input,
    data: _Dataset,
    chain_year: int,
    node_ids: dict[str, str],
    stage: str,
    stage_from: str | None,
    rows_by_year: dict[int, list[_Provision]],
    origins: dict[str, _Origin],
    row_sources: dict[str, str],
    users: list[tuple[str, bool]],
    parents: list[str],
) -> tuple[dict[str, Any], list[str]]:
    """One node of the chain and the warnings its figures raised."""
    notes = [f"ETO input {item.id}" + (f" ({item.kind})." if item.kind else ".")]
    if item.market_size:
        notes.append(f"Global market size (ETO): {item.market_size}.")
    if stage_from:
        notes.append(
            f"Stage taken from '{data.inputs[stage_from].name}', the nearest input with a stage "
            "along ETO's 'goes into' and 'is a type of' rows (ETO gives stages only for processes)."
        )
    elif stage_from == "":
        notes.append("Not linked to any input with a stage: put in the first stage.")
    warnings: list[str] = []
    node: dict[str, Any] = {"id": node_ids[item.id], "name": item.name, "stage": stage}
    years = sorted(rows_by_year, reverse=True)
    details: list[str] = []
    figures_by_year: dict[int, _NodeFigures] = {}
    suppliers: list[dict[str, Any]] = []
    for year in years:
        figures, year_suppliers, dropped = _figures(rows_by_year[year], origins)
        figures_by_year[year] = figures
        suppliers.extend(year_suppliers)
        what = []
        if figures.country_total > 100:
            what.append(f"country shares sum to {_percent(figures.country_total)}")
            details.append(
                f"{year}: country shares summed to {_percent(figures.country_total)} (ETO rounds "
                "shares below 1% up) and were scaled to 100%."
            )
        if figures.firm_total > 100:
            what.append(f"firm shares sum to {_percent(figures.firm_total)}")
            details.append(
                f"{year}: firm shares summed to {_percent(figures.firm_total)} and were scaled "
                "to 100%."
            )
        if what:
            excess = max(figures.country_total, figures.firm_total) - 100
            check = (
                "; more than rounding explains, check the rows"
                if excess > _ROUNDING_SLACK
                else " (rounding)"
            )
            warnings.append(
                f"provision.csv: '{item.name}' ({year}): {' and '.join(what)}{check}; scaled to 100%"
            )
        if figures.pseudo:
            parts = _join(f"{label} {_percent(v)}" for label, v in sorted(figures.pseudo.items()))
            details.append(
                f"{year}: pseudo-countries counted as `other` (known foreign origins not named): "
                f"{parts}."
            )
        if figures.blanks and figures.country_total >= 99.5:
            warnings.append(
                f"provision.csv: '{item.name}' ({year}): {_join(figures.blanks)} named as major "
                f"provider(s) without a share while the other shares sum to "
                f"{_percent(figures.country_total)}; they count as 0 (their dependence is overstated)"
            )
        if figures.blanks:
            details.append(
                f"{year}: major provider(s) with a blank share in ETO (share unknown, not "
                f"counted): {_join(figures.blanks)}."
            )
        if dropped:
            details.append(
                f"{year}: not listed as suppliers (headquarters not one country): {_join(dropped)}."
            )
    with_shares = [y for y in years if figures_by_year[y].shares is not None]
    primary = chain_year if chain_year in rows_by_year else (years[0] if years else None)
    if primary is not None and primary != chain_year:
        node["year"] = primary
    if primary is not None and figures_by_year[primary].shares is not None:
        node["shares"] = figures_by_year[primary].shares
        notes.append(
            f"Shares: world market shares of {primary} by the headquarters country of the "
            "providing firms (ETO country rows)."
        )
    elif primary is not None:
        notes.append(f"Shares unknown: ETO names providers for {primary} but gives no share.")
    else:
        notes.append("Shares unknown: ETO gives no provision rows for this input.")
    notes.extend(details)
    history = {y: figures_by_year[y].shares for y in sorted(with_shares) if y != primary}
    if history:
        node["history"] = history
    cited = [DATASET_SOURCE]
    for year in sorted(rows_by_year, key=lambda y: (y != primary, -y)):
        for row in rows_by_year[year]:
            if row.source and row_sources[row.source] not in cited:
                cited.append(row_sources[row.source])
    node["source"] = cited
    if suppliers:
        node["suppliers"] = sorted(
            suppliers,
            key=lambda s: (
                s["year"] != primary,
                -s["year"],
                "share" not in s,
                -s.get("share", 0.0),
                s["firm"].casefold(),
            ),
        )
    inputs: list[Any] = []
    types: list[str] = []
    for source, goes_into in users:
        if goes_into:
            inputs.append(node_ids[source])
        else:
            inputs.append({"node": node_ids[source], "essential": False})
            types.append(node_ids[source])
    if inputs:
        node["inputs"] = inputs
    if users and any(g for _, g in users):
        notes.append("Inputs from ETO 'goes into' rows; ETO gives no cost shares.")
    if types:
        notes.append(
            f"Types of it (ETO 'is a type of'), entered as non-essential inputs: {_join(types)}."
        )
    if parents:
        notes.append(
            "A type of "
            + _join(f"'{data.inputs[p].name}' ({node_ids[p]})" for p in parents)
            + " (ETO 'is a type of')."
        )
        reread = [node_ids[p] for p in parents if (item.id, p) in data.reread]
        if reread:
            notes.append(
                f"ETO says it 'goes into' {_join(reread)}, a category of the same kind whose "
                "shares already count it: read as 'is a type of', not as an essential input."
            )
    node["note"] = " ".join(notes)
    return node, warnings


def _description(folder: Path, chain_year: int, years: list[int]) -> str:
    others = [str(y) for y in years if y != chain_year]
    mixed = (
        f" The figures are of {chain_year}; nodes with figures of another year only "
        f"({_join(others)}) say so in `year`, and a node's other years are in `history`."
        if others
        else f" The figures are of {chain_year}."
    )
    return (
        "World market shares along the advanced semiconductor supply chain, converted by "
        f"`chokepoint import eto` from ETO's {_DATASET_TITLE} (folder '{folder.resolve().name}'). "
        "Shares follow the headquarters country of the providing firms, not production sites. "
        "Country rows give `shares`, firm rows `suppliers`; pseudo-countries ('Various countries', "
        "'EUR' for Europe) count as `other`; blank shares (major provider, share unknown) are "
        "named in notes; sums above 100% (ETO rounds shares below 1% up) were scaled to 100%. "
        "ETO gives no cost shares: 'goes into' rows are inputs without cost shares, so exposure "
        "and total dependence do not propagate; 'is a type of' rows are non-essential inputs of "
        f"the broader category.{mixed} Licence of the data: {LICENCE} (non-commercial)."
    )


# --------------------------------------------------------------------------------------------
# Writing


def to_yaml(document: dict[str, Any]) -> str:
    """Return a chain document as chain-file YAML text, with a header saying where it came from.

    The output is deterministic: the same document gives the same text, key order as built by
    :func:`convert`, short mappings and lists in flow style.

    Parameters
    ----------
    document
        A chain document, as :func:`convert` returns it.

    Returns
    -------
    str
        The YAML text, ending in a newline.

    Examples
    --------
    >>> print(to_yaml({"format": 1, "name": "x"}), end="")
    # Converted by `chokepoint import eto`; do not edit by hand, convert again instead.
    format: 1
    name: x
    """
    import yaml

    header = ["Converted by `chokepoint import eto`; do not edit by hand, convert again instead."]
    source = document.get("sources", {}).get(DATASET_SOURCE)
    if isinstance(source, dict):
        header.append(
            f"Data: {source.get('title')}, {source.get('publisher')}, {source.get('url')}."
        )
        header.append(
            f"Licence of the data: {source.get('licence', LICENCE)} (non-commercial use only, "
            "attribution required). This file is a derivative of it under the same terms: do not "
            "commit it to a repository or ship it in a package that does not allow that."
        )
    lines = [f"# {line}" for text in header for line in _wrap(text, 98)]
    body = yaml.dump(
        _styled(document),
        Dumper=_dumper(),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return "\n".join(lines) + "\n" + body


class _FlowMap(dict[str, Any]):
    """A mapping written in flow style (``{JP: 0.5}``)."""


class _FlowList(list[Any]):
    """A list written in flow style (``[a, b]``)."""


def _styled(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` with the short leaf values marked for flow style."""
    out = dict(document)
    if isinstance(out.get("stages"), list):
        out["stages"] = _FlowList(out["stages"])
    nodes = out.get("nodes")
    if isinstance(nodes, list):
        out["nodes"] = [_styled_node(n) if isinstance(n, dict) else n for n in nodes]
    return out


def _styled_node(node: dict[str, Any]) -> dict[str, Any]:
    out = dict(node)
    if isinstance(out.get("shares"), dict):
        out["shares"] = _FlowMap(out["shares"])
    if isinstance(out.get("history"), dict):
        out["history"] = {
            y: _FlowMap(v) if isinstance(v, dict) else v for y, v in out["history"].items()
        }
    if isinstance(out.get("source"), list):
        out["source"] = _FlowList(out["source"])
    for key in ("suppliers", "inputs"):
        items = out.get(key)
        if isinstance(items, list):
            if all(isinstance(i, str) for i in items):
                out[key] = _FlowList(items)
            else:
                out[key] = [_FlowMap(i) if isinstance(i, dict) else i for i in items]
    return out


def _dumper() -> type[Any]:
    import yaml

    class Dumper(yaml.SafeDumper):
        """SafeDumper that writes :class:`_FlowMap` and :class:`_FlowList` in flow style."""

    def flow_map(dumper: yaml.SafeDumper, data: _FlowMap) -> yaml.Node:
        return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)

    def flow_list(dumper: yaml.SafeDumper, data: _FlowList) -> yaml.Node:
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)

    Dumper.add_representer(_FlowMap, flow_map)
    Dumper.add_representer(_FlowList, flow_list)
    return Dumper


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]


@dataclass(frozen=True, slots=True)
class EtoImport:
    """A converted ETO dataset: the chain document, its YAML text and the conversion's warnings."""

    document: dict[str, Any]
    text: str
    warnings: tuple[str, ...]

    @property
    def name(self) -> str:
        """The chain's name."""
        return str(self.document["name"])

    @property
    def nodes(self) -> int:
        """How many nodes the chain has."""
        return len(self.document["nodes"])

    @property
    def year(self) -> int:
        """The chain's year."""
        return int(self.document["year"])


def import_eto(
    folder: str | os.PathLike[str],
    *,
    year: int | None = None,
    perspective: str = DEFAULT_PERSPECTIVE,
) -> EtoImport:
    """Convert an ETO dataset folder into chain-file text (:func:`convert`, then :func:`to_yaml`).

    The function behind ``chokepoint import eto``; the arguments are those of :func:`convert`.

    Returns
    -------
    EtoImport
        The document, its YAML text (deterministic) and the warnings (sums above 100 % scaled,
        pseudo-countries, skipped rows), each naming the file and line.

    Raises
    ------
    ChainError, ChokepointError
        As :func:`convert`.

    Examples
    --------
    >>> done = import_eto(Path("tests/data/eto/mini"))  # doctest: +SKIP
    >>> done.text.startswith("# ")  # doctest: +SKIP
    True
    """
    document, warnings = convert(Path(folder), year=year, perspective=perspective)
    return EtoImport(document, to_yaml(document), tuple(warnings))
