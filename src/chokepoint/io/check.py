"""Checking a parsed chain document against format v1 and building the typed model.

Every input form (YAML, JSON, the CSV folder or .zip) is read into the same plain document with
a way to locate each key path (:class:`~chokepoint.io.yamlread.Located`); :class:`Checker` walks
it, records every problem with its file, line, column and key path, and builds the
:class:`~chokepoint.model.Chain`. The rules are those of ``docs/chain-format.md``.

The cost of checking is linear in the document whatever the number of problems: "did you mean"
suggestions come from an index built once per kind of name (:class:`Suggester`), and after
``max_errors`` problems the rest are only counted, by kind (:class:`ProblemLog`).
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Iterable
from typing import Any

from ..countries import (
    STANDARD_REGIONS,
    RegionsUnavailableError,
    country_name,
    is_country,
    is_standard_region,
    standard_region,
    suggest_country,
)
from ..errors import ChainError, Problem
from ..model import (
    BASES,
    OTHER,
    TARGET_MEASURES,
    Chain,
    Cut,
    Input,
    Node,
    ScenarioSpec,
    Shock,
    Source,
    StageFigure,
    Supplier,
    Target,
)
from .limits import DEFAULT_MAX_ERRORS
from .numbers import LongInteger, NumberError, check_number, parse_float, parse_int
from .schema import MAX_MONTHS, allowed_keys, required_keys
from .yamlread import Located, format_path
from .yamlread import Path as KeyPath

__all__ = [
    "SUM_TOLERANCE",
    "Checker",
    "ProblemLog",
    "Suggester",
    "check_document",
    "problem_kind",
]

#: Shares and cost shares may exceed 1 by this much (rounding in published tables).
SUM_TOLERANCE = 0.005

_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_REGION = re.compile(r"^[A-Z][A-Z0-9_-]+$")
_SOURCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_HS = re.compile(r"^[0-9]{6}$")
_PERCENT = re.compile(r"^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*%\s*$")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|\S*[\[\]0-9]\S*")
#: Names listed in full in a message; longer lists are cut.
_LISTED = 12


def problem_kind(message: str) -> str:
    """The kind of a problem: its message without names, numbers and places.

    >>> problem_kind("unknown input node 'reducer' at nodes[1].inputs[0]; did you mean 'x'?")
    'unknown input node'
    """
    text = re.split(r";| \(", message, maxsplit=1)[0]
    words = _QUOTED.sub(" ", text).split()
    while words and words[-1] in ("at", "in", "of", "for", "is", "=", "to"):
        words.pop()
    return " ".join(words) or "other"


class ProblemLog(list[Problem]):
    """The problems of one input, listing the first ``cap`` and counting the rest by kind."""

    def __init__(self, cap: int = DEFAULT_MAX_ERRORS, problems: Iterable[Problem] = ()) -> None:
        super().__init__()
        self.cap = max(1, cap)
        self.omitted: dict[str, int] = {}
        for problem in problems:
            self.append(problem)

    @property
    def full(self) -> bool:
        """True once ``cap`` problems are listed: further ones are only counted."""
        return len(self) >= self.cap

    def append(self, problem: Problem) -> None:
        if len(self) < self.cap:
            super().append(problem)
        else:
            self.tally(problem.message)

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.append(problem)

    def tally(self, message: str) -> None:
        """Count a problem beyond the cap (its message is never located or completed)."""
        kind = problem_kind(message)
        self.omitted[kind] = self.omitted.get(kind, 0) + 1

    def error(self, file: str, order: dict[str, int] | None = None) -> ChainError:
        """A :class:`ChainError` of the listed problems in file order, then the count of the rest."""
        rank = order or {}
        listed = sorted(self, key=lambda p: (rank.get(p.file, len(rank)), p.line, p.column))
        if self.omitted:
            more = sum(self.omitted.values())
            kinds = sorted(self.omitted.items(), key=lambda kv: (-kv[1], kv[0]))
            detail = "; ".join(f"{n:,} {kind!r}" for kind, n in kinds[:_LISTED])
            if len(kinds) > _LISTED:
                detail += f"; and {len(kinds) - _LISTED:,} other kinds"
            message = (
                f"stopped listing after {self.cap:,} problems: {more:,} more found ({detail}); "
                "fix these first, or list more with the max_errors argument of load_chain"
            )
            listed.append(Problem(file, 0, 0, "", message))
        return ChainError(listed, self.omitted)


def _normal(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


class Suggester:
    """The likely meant name for a mistyped one, from an index built once per kind of name.

    A text equal to a known name but for case and punctuation is matched through a dict; the
    others are compared (``difflib``) with at most ``width`` names sharing its first or its
    last two characters (all names, when there are few), so that each suggestion costs the
    same however many names there are. Answers are remembered.

    >>> Suggester(["reducers", "robots", "plc"])("reducer")
    'reducers'
    """

    def __init__(self, names: Iterable[str], cutoff: float = 0.6, width: int = 48) -> None:
        self.names = sorted({n for n in names if isinstance(n, str)})
        self.cutoff = cutoff
        self.width = width
        self._exact: dict[str, str] = {}
        self._heads: dict[str, list[str]] = {}
        self._tails: dict[str, list[str]] = {}
        for name in self.names:
            key = _normal(name)
            self._exact.setdefault(key, name)
            for index, part in ((self._heads, key[:2]), (self._tails, key[-2:])):
                bucket = index.setdefault(part, [])
                if len(bucket) < width:
                    bucket.append(name)
        self._memo: dict[str, str | None] = {}

    def __call__(self, text: str) -> str | None:
        if text in self._memo:
            return self._memo[text]
        key = _normal(text)
        found = self._exact.get(key)
        if found is None and len(text) <= 200:
            if len(self.names) <= 2 * self.width:
                pool = self.names
            else:
                pool = [*self._heads.get(key[:2], ()), *self._tails.get(key[-2:], ())]
            close = difflib.get_close_matches(text, pool, n=1, cutoff=self.cutoff)
            found = close[0] if close else None
        if len(self._memo) < 100_000:
            self._memo[text] = found
        return found


def _listing(names: Iterable[str]) -> str:
    """``a, b, c`` for a few names, ``a, b, ... (1,234 in all)`` for many."""
    shown = list(names)
    if len(shown) <= _LISTED:
        return ", ".join(shown)
    return f"{', '.join(shown[:_LISTED])}, ... ({len(shown):,} in all)"


def _brief(value: Any) -> str:
    """``value`` for a message, long texts and numbers cut."""
    if isinstance(value, LongInteger):
        return repr(value)
    text = repr(value) if not isinstance(value, int) or isinstance(value, bool) else None
    if text is None:
        text = (
            str(value) if value.bit_length() < 200 else f"an integer of {len(str(value)):,} digits"
        )
    return text if len(text) <= 60 else f"{text[:40]}...{text[-8:]} ({len(text):,} characters)"


class Checker:
    """Walks a parsed document, records problems and builds the model.

    ``problems`` lists the first ``max_errors`` problems (those of reading included) and counts
    the rest; once it is full, no problem is located and no suggestion is looked for.
    """

    def __init__(self, doc: Located, max_errors: int = DEFAULT_MAX_ERRORS) -> None:
        self.doc = doc
        self.problems = (
            doc.problems
            if isinstance(doc.problems, ProblemLog)
            else ProblemLog(max_errors, doc.problems)
        )
        self.regions: dict[str, tuple[str, ...]] = {}
        self.stages: tuple[str, ...] = ()
        self.stage_set: frozenset[str] = frozenset()
        self.source_ids: set[str] = set()
        self.used_sources: set[str] = set()
        self.node_ids: set[str] = set()
        self.perspective: str | None = None
        self.basis = "location"
        self._suggest: dict[str, Suggester] = {}

    # -- helpers ---------------------------------------------------------------------------

    def error(self, path: KeyPath, message: str) -> None:
        if self.problems.full:
            self.problems.tally(message)
        else:
            self.problems.append(self.doc.problem(path, message))

    def hint(self, kind: str, text: Any) -> str:
        """``; did you mean 'x'?`` from the index of ``kind`` names (none once the log is full)."""
        if self.problems.full or not isinstance(text, str):
            return ""
        index = self._suggest.get(kind)
        if index is None:
            names: Iterable[str] = {
                "nodes": self.node_ids,
                "stages": self.stages,
                "sources": self.source_ids,
            }[kind]
            index = self._suggest[kind] = Suggester(names)
        found = index(text)
        return f"; did you mean '{found}'?" if found else ""

    def country_hint(self, text: Any, *, regions: bool = True) -> str | None:
        if self.problems.full:
            return None
        extra = (*self.regions, *STANDARD_REGIONS) if regions else ()
        return suggest_country(str(text)[:200], extra)

    def keys(self, value: Any, path: KeyPath, kind: str) -> bool:
        """Check that ``value`` is a mapping with known keys and every required key."""
        if not isinstance(value, dict):
            self.error(path, f"{format_path(path)} must be a mapping, not {_type(value)}")
            return False
        known, needed = _key_sets(kind)
        if value.keys() <= known and all(key in value for key in needed):
            return True  # the common case, at the cost of one set comparison
        allowed = allowed_keys(kind)
        if self.problems.full:
            for key in value:
                if key not in allowed:
                    self.problems.tally("unknown key")
            for key in required_keys(kind):
                if key not in value:
                    self.problems.tally("missing required key")
            return True
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                hint = (
                    f"; did you mean '{close[0]}'?"
                    if close
                    else f" (allowed: {', '.join(allowed)})"
                )
                self.error((*path, key), f"unknown key '{key}' in {_describe(path, kind)}{hint}")
        for key in required_keys(kind):
            if key not in value:
                self.error(path, f"missing required key '{key}' in {_describe(path, kind)}")
        return True

    def string(self, value: Any, path: KeyPath, *, required: bool = True) -> str | None:
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            self.error(path, f"{format_path(path)} must be a non-empty text, not {_type(value)}")
            return None
        return value

    def slug(self, value: Any, path: KeyPath) -> str | None:
        text = self.string(value, path)
        if text is not None and not _SLUG.match(text):
            fixed = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
            self.error(
                path,
                f"'{text}' at {format_path(path)} is not a slug (lower-case letters, digits and "
                f"single hyphens); try '{fixed}'",
            )
            return None
        return text

    def integer(self, value: Any, path: KeyPath, lo: int, hi: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, f"{format_path(path)} must be a whole number, not {_type(value)}")
            return None
        if not lo <= value <= hi:
            self.error(path, f"{format_path(path)} = {_brief(value)} is outside [{lo}, {hi}]")
            return None
        return value

    def boolean(self, value: Any, path: KeyPath) -> bool:
        if not isinstance(value, bool):
            self.error(path, f"{format_path(path)} must be true or false, not {_type(value)}")
            return False
        return value

    def fraction(self, value: Any, path: KeyPath, what: str, lo: float = 0.0) -> float | None:
        """A number in [lo, 1] or a percentage string; flags numbers that look like percentages."""
        if isinstance(value, str):
            match = _PERCENT.match(value)
            if not match:
                self.error(
                    path, f"{what} {value!r} at {format_path(path)} is not a number or a percentage"
                )
                return None
            number = float(match.group(1)) / 100
            if not lo <= number <= 1:
                self.error(
                    path, f"{what} {value} at {format_path(path)} is outside [{lo:g}%, 100%]"
                )
                return None
            return number
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(path, f"{what} at {format_path(path)} must be a number, not {_type(value)}")
            return None
        try:
            number = check_number(value)
        except NumberError as exc:
            self.error(path, f"{what} at {format_path(path)} must be a finite number: {exc}")
            return None
        if 1 < number <= 100:
            self.error(
                path,
                f"{what} {number:g} at {format_path(path)} is above 1; did you mean "
                f'"{number:g}%" (or {number / 100:g})?',
            )
            return None
        if not lo <= number <= 1:
            self.error(path, f"{what} {number:g} at {format_path(path)} is outside [{lo:g}, 1]")
            return None
        return number

    def months(self, value: Any, path: KeyPath, what: str, *, zero: bool) -> float | None:
        """A number of months in [0, MAX_MONTHS] (above 0 unless ``zero``), or None with a problem."""
        where = format_path(path)
        low = "0" if zero else "above 0"
        if isinstance(value, bool) or not isinstance(value, int | float):
            hint = ""
            if isinstance(value, str):
                with contextlib.suppress(NumberError):
                    hint = f"; write the number alone: {parse_float(value.split()[0]):g}"
            self.error(
                path, f"{what} at {where} must be a number of months, not {_type(value)}{hint}"
            )
            return None
        try:
            number = check_number(value)
        except NumberError as exc:
            self.error(path, f"{what} at {where} must be a finite number of months: {exc}")
            return None
        if number < 0 or (number == 0 and not zero) or number > MAX_MONTHS:
            advice = (
                "omit it for a permanent one"
                if not zero and number <= 0
                else f"at most {MAX_MONTHS:,} months"
            )
            self.error(
                path,
                f"{what} {number:g} at {where} is outside {low} to {MAX_MONTHS:,} months; {advice}",
            )
            return None
        return number

    def origin(self, value: Any, path: KeyPath, *, allow_other: bool) -> str | None:
        """A country code, a region name or (where allowed) ``other``."""
        if not isinstance(value, str):
            self.error(
                path, f"origin at {format_path(path)} must be a country code, not {_type(value)}"
            )
            return None
        if value in self.regions or is_country(value) or (allow_other and value == OTHER):
            return value
        where = format_path(path[:-1]) if path and path[-1] == value else format_path(path)
        if is_standard_region(value):  # its members join the chain's regions, as if listed
            try:
                self.regions[value] = standard_region(value) or ()
            except RegionsUnavailableError as exc:
                self.error(path, f"region '{value}' at {where}: {exc}")
                return None
            return value
        guess = self.country_hint(value)
        if value.lower() == OTHER and allow_other:
            guess = OTHER
        hint = (
            f"; did you mean '{guess}'?"
            if guess
            else (
                " (use an ISO 3166-1 alpha-2 code such as JP, a region defined under `regions`"
                + (", or `other`)" if allow_other else ")")
            )
        )
        kind = "country or region"
        self.error(path, f"unknown {kind} '{value}' at {where}{hint}")
        return None

    def sources(self, value: Any, path: KeyPath) -> tuple[str, ...]:
        ids = value if isinstance(value, list) else [value]
        if isinstance(value, list) and not value:
            self.error(path, f"{format_path(path)} is an empty list; name at least one source")
        out: list[str] = []
        for index, item in enumerate(ids):
            item_path = (*path, index) if isinstance(value, list) else path
            if not isinstance(item, str):
                self.error(item_path, f"source at {format_path(item_path)} must be a source id")
                continue
            if item not in self.source_ids:
                hint = self.hint("sources", item)
                if not hint and not self.problems.full:
                    hint = f" (defined: {_listing(sorted(self.source_ids)) or 'none'})"
                self.error(item_path, f"unknown source '{item}' at {format_path(item_path)}{hint}")
                continue
            self.used_sources.add(item)
            out.append(item)
        return tuple(out)

    # -- the document ------------------------------------------------------------------------

    def chain(self, path: str) -> Chain | None:
        root = self.doc.value
        if root is None:
            self.error((), "the file is empty; a chain needs at least format, name, title, ...")
            return None
        if not self.keys(root, (), "chain"):
            return None
        fmt = root.get("format")
        if "format" in root and (isinstance(fmt, bool) or fmt != 1):
            self.error(
                ("format",),
                f"unsupported format {fmt!r}; this version of chokepoint reads format 1",
            )
        name = self.slug(root.get("name"), ("name",)) if "name" in root else None
        title = self.string(root.get("title"), ("title",)) if "title" in root else None
        year = self.integer(root.get("year"), ("year",), 1900, 2100) if "year" in root else None
        self.basis = self.check_basis(root["basis"], ("basis",)) if "basis" in root else "location"
        description = self.string(root.get("description"), ("description",), required=False)
        self.regions = self.check_regions(root.get("regions"))
        perspective = None
        if "perspective" in root:
            perspective = self.origin(root["perspective"], ("perspective",), allow_other=False)
        self.perspective = perspective
        market = self.check_market(root.get("market"), perspective)
        self.stages = self.check_stages(root.get("stages")) if "stages" in root else ()
        self.stage_set = frozenset(self.stages)
        sources = self.check_sources(root.get("sources")) if "sources" in root else {}
        nodes = self.check_nodes(root.get("nodes")) if "nodes" in root else ()
        scenarios = self.check_scenarios(root.get("scenarios"))
        stage_data = self.check_stage_data(root.get("stage_data"))
        targets = self.check_targets(root.get("targets"))
        for unused in sorted(self.source_ids - self.used_sources):
            self.error(
                ("sources", unused),
                f"source '{unused}' is defined but no figure cites it; cite it or remove it",
            )
        if self.problems or None in (name, title, perspective, year):
            return None
        assert name is not None
        assert title is not None
        assert perspective is not None
        assert year is not None
        return Chain(
            name=name,
            title=title,
            perspective=perspective,
            year=year,
            stages=self.stages,
            nodes=nodes,
            market=market,
            description=description,
            regions=self.regions,
            sources=sources,
            scenarios=scenarios,
            stage_data=stage_data,
            targets=targets,
            basis=self.basis,
            path=path,
        )

    def check_basis(self, value: Any, path: KeyPath) -> str:
        if value in BASES:
            return str(value)
        close = difflib.get_close_matches(str(value), BASES, n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        self.error(
            path,
            f"unknown basis '{_text(value)}' at {format_path(path)}{hint} (location: where the "
            "supply is produced; ownership: the home country of the supplying firms or brands)",
        )
        return self.basis

    def check_market(self, value: Any, perspective: str | None) -> str | None:
        if value is None:
            return None
        if value == "global":
            return "global"
        if isinstance(value, str) and value == perspective:
            return None
        self.error(
            ("market",),
            f"market {value!r} must be 'global' (world market shares) or the perspective "
            f"'{perspective}' (its own market, the default when omitted)",
        )
        return None

    def check_regions(self, value: Any) -> dict[str, tuple[str, ...]]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(
                ("regions",), f"regions must be a mapping of name to countries, not {_type(value)}"
            )
            return {}
        out: dict[str, tuple[str, ...]] = {}
        for name, members in value.items():
            path: KeyPath = ("regions", name)
            if not isinstance(name, str) or not _REGION.match(name) or name == OTHER:
                self.error(
                    path, f"region name {name!r} must be upper-case letters or digits, like EU"
                )
                continue
            if is_country(name):
                self.error(
                    path,
                    f"region name '{name}' is the ISO code of {country_name(name)}; choose another name",
                )
                continue
            if not isinstance(members, list) or not members:
                self.error(path, f"region '{name}' must list its member countries, e.g. [DE, FR]")
                continue
            good: list[str] = []
            for index, member in enumerate(members):
                member_path = (*path, index)
                if isinstance(member, str) and is_country(member):
                    good.append(member)
                    continue
                guess = self.country_hint(member, regions=False)
                hint = f"; did you mean '{guess}'?" if guess else ""
                self.error(
                    member_path,
                    f"unknown country '{member}' in region '{name}' at {format_path(path)}{hint}",
                )
            out[name] = tuple(good)
        return out

    def check_stages(self, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            self.error(
                ("stages",), "stages must be a non-empty list, ordered from upstream to downstream"
            )
            return ()
        out: dict[str, None] = {}
        for index, stage in enumerate(value):
            slug = self.slug(stage, ("stages", index))
            if slug is None:
                continue
            if slug in out:
                self.error(("stages", index), f"stage '{slug}' is listed twice")
                continue
            out[slug] = None
        return tuple(out)

    def check_sources(self, value: Any) -> dict[str, Source]:
        if not isinstance(value, dict):
            self.error(
                ("sources",), f"sources must be a mapping of id to source, not {_type(value)}"
            )
            return {}
        out: dict[str, Source] = {}
        for sid, entry in value.items():
            path: KeyPath = ("sources", sid)
            if not isinstance(sid, str) or not _SOURCE_ID.match(sid):
                self.error(path, f"source id {sid!r} must be letters, digits, '.', '_' or '-'")
                continue
            self.source_ids.add(sid)
            if not self.keys(entry, path, "source"):
                continue
            title = self.string(entry.get("title"), (*path, "title")) if "title" in entry else None
            publisher = (
                self.string(entry.get("publisher"), (*path, "publisher"))
                if "publisher" in entry
                else None
            )
            year = (
                self.integer(entry.get("year"), (*path, "year"), 1900, 2100)
                if "year" in entry
                else None
            )
            extra = {
                key: self.string(entry.get(key), (*path, key), required=False)
                for key in ("url", "locator", "authors", "note")
            }
            if "licence" in entry:
                self.string(entry["licence"], (*path, "licence"))
            if title and publisher and year:
                out[sid] = Source(id=sid, title=title, publisher=publisher, year=year, **extra)
        return out

    def check_shares(self, value: Any, path: KeyPath) -> dict[str, float] | None:
        if not isinstance(value, dict):
            self.error(path, f"{format_path(path)} must map origins to shares, e.g. {{JP: 0.65}}")
            return None
        shares: dict[str, float] = {}
        regions = self.regions
        for key, raw in value.items():
            if (
                type(raw) in _NUMBER
                and 0 <= raw <= 1
                and type(key) is str
                and (key in regions or is_country(key) or key == OTHER)
            ):
                shares[key] = float(raw)  # valid: what origin() and fraction() would return
                continue
            origin = self.origin(key, (*path, key), allow_other=True)
            share = self.fraction(raw, (*path, key), "share")
            if origin is not None and share is not None:
                shares[origin] = share
        for region, members in self.regions.items():
            overlap = sorted(set(members) & set(shares))
            if region in shares and overlap:
                self.error(
                    path,
                    f"{format_path(path)} gives both region '{region}' and its member(s) "
                    f"{', '.join(overlap)}: that counts them twice; give one or the other",
                )
        total = sum(shares.values())
        if total > 1 + SUM_TOLERANCE:
            self.error(
                path,
                f"shares at {format_path(path)} sum to {total:.4g}, above 1 (tolerance "
                f"{SUM_TOLERANCE}); check for a double-counted origin or a typo",
            )
        return shares

    def check_nodes(self, value: Any) -> tuple[Node, ...]:
        if not isinstance(value, list) or not value:
            self.error(("nodes",), "nodes must be a non-empty list of nodes")
            return ()
        # first pass: ids, so that inputs may refer to later nodes
        first: dict[str, int] = {}  # id -> index of the node that first has it
        for index, raw in enumerate(value):
            if isinstance(raw, dict) and "id" in raw:
                node_id = raw["id"]
                if isinstance(node_id, str) and node_id in first:
                    line = self.doc.where(("nodes", first[node_id], "id"))[0]
                    self.error(
                        ("nodes", index, "id"),
                        f"duplicate node id '{node_id}' (first on line {line}); "
                        "node ids must be unique",
                    )
                elif isinstance(node_id, str):
                    first[node_id] = index
        self.node_ids = set(first)
        nodes = [self.check_node(raw, ("nodes", index)) for index, raw in enumerate(value)]
        return tuple(node for node in nodes if node is not None)

    def check_node(self, raw: Any, path: KeyPath) -> Node | None:
        if not self.keys(raw, path, "node"):
            return None
        node_id = self.slug(raw.get("id"), (*path, "id")) if "id" in raw else None
        name = self.string(raw.get("name"), (*path, "name")) if "name" in raw else None
        stage = raw.get("stage")
        if "stage" in raw and not isinstance(stage, str):
            self.error(
                (*path, "stage"),
                f"{format_path((*path, 'stage'))} must be one of the stages "
                f"({_listing(self.stages)}), not {_type(stage)}",
            )
        elif "stage" in raw and stage not in self.stage_set:
            hint = self.hint("stages", stage)
            self.error(
                (*path, "stage"),
                f"unknown stage '{_text(stage)}' at {format_path(path)}{hint} "
                f"(stages: {_listing(self.stages)})",
            )
        year = self.integer(raw["year"], (*path, "year"), 1900, 2100) if "year" in raw else None
        shares = self.check_shares(raw["shares"], (*path, "shares")) if "shares" in raw else None
        history: dict[int, dict[str, float]] = {}
        if "history" in raw:
            history = self.check_history(raw["history"], (*path, "history"))
        suppliers = self.check_suppliers(raw.get("suppliers"), (*path, "suppliers"))
        source: tuple[str, ...] = ()
        if "source" in raw:
            source = self.sources(raw["source"], (*path, "source"))
        elif any(key in raw for key in _FIGURES):
            figures = ", ".join(k for k in _FIGURES if k in raw)
            known = _listing(sorted(self.source_ids)) or "define one under `sources`"
            self.error(
                path,
                f"node '{node_id}' gives {figures} without a source; add `source: <id>` "
                f"(sources: {known})",
            )
        estimate = (
            self.boolean(raw["estimate"], (*path, "estimate")) if "estimate" in raw else False
        )
        note = self.string(raw.get("note"), (*path, "note"), required=False)
        sigma = 0.0
        if "substitutability" in raw:
            sigma = (
                self.fraction(
                    raw["substitutability"], (*path, "substitutability"), "substitutability"
                )
                or 0.0
            )
        stock = None
        if "stock_months" in raw:
            stock = self.months(
                raw["stock_months"], (*path, "stock_months"), "stock_months", zero=True
            )
        hs = self.check_hs(raw["hs"], (*path, "hs")) if "hs" in raw else ()
        inputs = self.check_inputs(raw.get("inputs"), (*path, "inputs"))
        basis = self.check_basis(raw["basis"], (*path, "basis")) if "basis" in raw else self.basis
        basis_shares: dict[str, dict[str, float]] = {}
        for other in BASES:
            key = f"{other}_shares"
            if key not in raw:
                continue
            if other == basis:
                self.error(
                    (*path, key),
                    f"{key} at {format_path(path)} repeats `shares`, whose basis is already "
                    f"{basis}; give the {_other_basis(basis)} split as "
                    f"{_other_basis(basis)}_shares, or set `basis: {_other_basis(basis)}`",
                )
                continue
            if shares is None and "shares" not in raw:
                self.error(
                    (*path, key),
                    f"{key} at {format_path(path)} needs `shares` on the node's own basis "
                    f"({basis}) beside it",
                )
                continue
            checked = self.check_shares(raw[key], (*path, key))
            if checked is not None:
                basis_shares[other] = checked
        if node_id is None or name is None or not isinstance(stage, str):
            return None
        if stage not in self.stage_set:
            return None
        return Node(
            id=node_id,
            name=name,
            stage=str(stage),
            shares=shares,
            year=year,
            source=source,
            estimate=estimate,
            note=note,
            substitutability=sigma,
            history=history,
            suppliers=suppliers,
            inputs=inputs,
            line=self.doc.line(path),
            stock_months=stock,
            basis=basis,
            basis_shares=basis_shares,
            hs=hs,
        )

    def check_hs(self, value: Any, path: KeyPath) -> tuple[str, ...]:
        """HS-6 codes: a list of six-digit texts, each once (a number would lose leading zeros)."""
        if not isinstance(value, list) or not value:
            self.error(
                path,
                f"{format_path(path)} must be a non-empty list of HS-6 codes in quotes, "
                f'e.g. hs: ["848340"], not {_type(value)}',
            )
            return ()
        out: list[str] = []
        for index, item in enumerate(value):
            where = (*path, index)
            if isinstance(item, int) and not isinstance(item, bool):
                self.error(
                    where,
                    f"HS code {_brief(item)} at {format_path(where)} is a number; write it in "
                    f'quotes as six digits, e.g. "{item:06d}" (a number loses leading zeros)'
                    if 0 <= item <= 999_999
                    else f"HS code {_brief(item)} at {format_path(where)} is not six digits",
                )
            elif not isinstance(item, str) or not _HS.match(item):
                self.error(
                    where,
                    f"HS code {_brief(item)} at {format_path(where)} is not an HS-6 code "
                    '(six digits in quotes, e.g. "848340")',
                )
            elif item in out:
                self.error(where, f"HS code '{item}' at {format_path(where)} is given twice")
            else:
                out.append(item)
        return tuple(out)

    def check_history(self, value: Any, path: KeyPath) -> dict[int, dict[str, float]]:
        if not isinstance(value, dict):
            self.error(
                path, f"{format_path(path)} must map years to shares, e.g. {{2014: {{CN: 0.11}}}}"
            )
            return {}
        out: dict[int, dict[str, float]] = {}
        for year, shares in value.items():
            year_path = (*path, year)
            if isinstance(year, str) and year.strip().isdigit():
                # digits of another script, or too many, stay text and are refused below
                with contextlib.suppress(NumberError):
                    year = parse_int(year)
            if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2100:
                self.error(
                    year_path,
                    f"history year {_brief(year)} at {format_path(path)} is not a year from 1900 to "
                    "2100; key each entry by its year, e.g. 2014: {CN: 0.11}",
                )
                continue
            checked = self.check_shares(shares, year_path)
            if checked is not None:
                out[year] = checked
        return out

    def check_suppliers(self, value: Any, path: KeyPath) -> tuple[Supplier, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.error(path, f"{format_path(path)} must be a list of {{firm, country, share}}")
            return ()
        out: list[Supplier] = []
        for index, raw in enumerate(value):
            item: KeyPath = (*path, index)
            if not self.keys(raw, item, "supplier"):
                continue
            firm = self.string(raw.get("firm"), (*item, "firm")) if "firm" in raw else None
            country = (
                self.origin(raw["country"], (*item, "country"), allow_other=False)
                if "country" in raw
                else None
            )
            share = (
                self.fraction(raw["share"], (*item, "share"), "share") if "share" in raw else None
            )
            year = self.integer(raw["year"], (*item, "year"), 1900, 2100) if "year" in raw else None
            note = self.string(raw.get("note"), (*item, "note"), required=False)
            if firm and country:
                out.append(Supplier(firm, country, share, year, note))
        by_year: dict[int | None, float] = {}
        for supplier in out:
            by_year[supplier.year] = by_year.get(supplier.year, 0.0) + (supplier.share or 0.0)
        for year, subtotal in by_year.items():
            if subtotal > 1 + SUM_TOLERANCE:
                when = f" in {year}" if year else ""
                self.error(
                    path,
                    f"supplier shares at {format_path(path)}{when} sum to {subtotal:.4g}, above 1",
                )
        return tuple(out)

    def check_inputs(self, value: Any, path: KeyPath) -> tuple[Input, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.error(
                path, f"{format_path(path)} must be a list of {{node, cost_share, essential}}"
            )
            return ()
        out: list[Input] = []
        seen: set[str] = set()
        node_ids = self.node_ids
        for index, raw in enumerate(value):
            if type(raw) is dict and raw.keys() <= _INPUT_KEYS:
                # the common case, checked as the general code below would check it
                ref = raw.get("node")
                cost = raw.get("cost_share")
                essential = raw.get("essential", True)
                if (
                    type(ref) is str
                    and ref in node_ids
                    and ref not in seen
                    and ref.strip()
                    and (cost is None or (type(cost) in _NUMBER and 0 <= cost <= 1))
                    and type(essential) is bool
                ):
                    seen.add(ref)
                    out.append(Input(ref, None if cost is None else float(cost), essential))
                    continue
            item: KeyPath = (*path, index)
            if isinstance(raw, str):  # shorthand: a bare node id
                raw = {"node": raw}
            if not self.keys(raw, item, "input"):
                continue
            ref = raw.get("node")
            ok = "node" in raw and self.string(ref, (*item, "node")) is not None
            if ok and ref not in self.node_ids:
                hint = self.hint("nodes", ref)
                self.error(
                    (*item, "node"),
                    f"unknown input node '{_text(ref)}' at {format_path(item)}{hint}",
                )
                ok = False
            if ok and ref in seen:
                self.error((*item, "node"), f"input '{ref}' is listed twice at {format_path(path)}")
                ok = False
            cost = None
            if raw.get("cost_share") is not None:
                cost = self.fraction(raw["cost_share"], (*item, "cost_share"), "cost share")
            essential = (
                self.boolean(raw["essential"], (*item, "essential")) if "essential" in raw else True
            )
            if ok:
                seen.add(str(ref))
                out.append(Input(str(ref), cost, essential))
        total = sum(i.cost_share or 0.0 for i in out)
        if total > 1 + SUM_TOLERANCE:
            self.error(
                path,
                f"cost shares at {format_path(path)} sum to {total:.4g}, above 1; they are "
                "fractions of the node's cost",
            )
        return tuple(out)

    def check_scenarios(self, value: Any) -> dict[str, ScenarioSpec]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(
                ("scenarios",),
                f"scenarios must be a mapping of name to scenario, not {_type(value)}",
            )
            return {}
        out: dict[str, ScenarioSpec] = {}
        for name, raw in value.items():
            path: KeyPath = ("scenarios", name)
            if self.slug(name, path) is None or not self.keys(raw, path, "scenario"):
                continue
            title = self.string(raw.get("title"), (*path, "title")) if "title" in raw else None
            note = self.string(raw.get("note"), (*path, "note"), required=False)
            cuts = self.check_cuts(raw.get("cuts"), (*path, "cuts"))
            shocks = self.check_shocks(raw.get("shocks"), (*path, "shocks"))
            substitution: dict[str, float] = {}
            subs = raw.get("substitution")
            if subs is not None and not isinstance(subs, dict):
                self.error(
                    (*path, "substitution"), "substitution must map node ids to values in [0, 1]"
                )
            for node_id, sigma in (subs or {}).items() if isinstance(subs, dict) else ():
                spath = (*path, "substitution", node_id)
                if self.node_ref(node_id, spath):
                    checked = self.fraction(sigma, spath, "substitutability")
                    if checked is not None:
                        substitution[node_id] = checked
            if title:
                out[name] = ScenarioSpec(name, title, cuts, shocks, substitution, note)
        return out

    def node_ref(self, ref: Any, path: KeyPath) -> bool:
        if isinstance(ref, str) and ref in self.node_ids:
            return True
        hint = self.hint("nodes", ref)
        self.error(path, f"unknown node '{_text(ref)}' at {format_path(path)}{hint}")
        return False

    def check_cuts(self, value: Any, path: KeyPath) -> tuple[Cut, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.error(path, f"{format_path(path)} must be a list of {{origin, nodes, severity}}")
            return ()
        out: list[Cut] = []
        for index, raw in enumerate(value):
            item: KeyPath = (*path, index)
            if not self.keys(raw, item, "cut"):
                continue
            origin = (
                self.origin(raw["origin"], (*item, "origin"), allow_other=False)
                if "origin" in raw
                else None
            )
            severity = (
                self.fraction(raw["severity"], (*item, "severity"), "severity")
                if "severity" in raw
                else None
            )
            nodes = raw.get("nodes") or []
            if not isinstance(nodes, list):
                self.error(
                    (*item, "nodes"), "nodes must be a list of node ids (omit it for every node)"
                )
                nodes = []
            good = tuple(n for k, n in enumerate(nodes) if self.node_ref(n, (*item, "nodes", k)))
            months = (
                self.months(raw["months"], (*item, "months"), "months", zero=False)
                if "months" in raw
                else None
            )
            if origin is not None and severity is not None and (months or "months" not in raw):
                out.append(Cut(origin, severity, good, months))
        return tuple(out)

    def check_shocks(self, value: Any, path: KeyPath) -> tuple[Shock, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.error(path, f"{format_path(path)} must be a list of {{node, severity}}")
            return ()
        out: list[Shock] = []
        for index, raw in enumerate(value):
            item: KeyPath = (*path, index)
            if not self.keys(raw, item, "shock"):
                continue
            ok = "node" in raw and self.node_ref(raw["node"], (*item, "node"))
            severity = (
                self.fraction(raw["severity"], (*item, "severity"), "severity")
                if "severity" in raw
                else None
            )
            months = (
                self.months(raw["months"], (*item, "months"), "months", zero=False)
                if "months" in raw
                else None
            )
            if ok and severity is not None and (months or "months" not in raw):
                out.append(Shock(raw["node"], severity, months))
        return tuple(out)

    def check_targets(self, value: Any) -> dict[str, Target]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(
                ("targets",), f"targets must be a mapping of name to target, not {_type(value)}"
            )
            return {}
        out: dict[str, Target] = {}
        for name, raw in value.items():
            path: KeyPath = ("targets", name)
            if self.slug(name, path) is None or not self.keys(raw, path, "target"):
                continue
            title = self.string(raw.get("title"), (*path, "title")) if "title" in raw else None
            note = self.string(raw.get("note"), (*path, "note"), required=False)
            nodes: list[str] = []
            listed = raw.get("nodes")
            if "nodes" in raw and (not isinstance(listed, list) or not listed):
                self.error((*path, "nodes"), "nodes must be a non-empty list of node ids")
            for k, ref in enumerate(listed if isinstance(listed, list) else ()):
                if self.node_ref(ref, (*path, "nodes", k)):
                    if ref in nodes:
                        self.error((*path, "nodes", k), f"node '{ref}' is listed twice")
                    else:
                        nodes.append(ref)
            measure = raw.get("measure")
            if "measure" in raw and measure not in TARGET_MEASURES:
                close = difflib.get_close_matches(str(measure), TARGET_MEASURES, n=1, cutoff=0.5)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                self.error(
                    (*path, "measure"),
                    f"unknown measure '{_text(measure)}'{hint} "
                    f"(measures: {', '.join(TARGET_MEASURES)})",
                )
            target = (
                self.fraction(raw["value"], (*path, "value"), "target value")
                if "value" in raw
                else None
            )
            year = self.integer(raw["year"], (*path, "year"), 1900, 2100) if "year" in raw else None
            source = self.sources(raw["source"], (*path, "source")) if "source" in raw else ()
            complete = source and len(nodes) == len(listed or ())
            if title and complete and measure in TARGET_MEASURES and target is not None and year:
                out[name] = Target(
                    name, title, tuple(nodes), str(measure), target, year, source, note
                )
        return out

    def check_stage_data(self, value: Any) -> tuple[StageFigure, ...]:
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.error(("stage_data",), "stage_data must map stages to lists of figures")
            return ()
        out: list[StageFigure] = []
        for stage, entries in value.items():
            path: KeyPath = ("stage_data", stage)
            if stage not in self.stage_set:
                hint = self.hint("stages", stage)
                self.error(path, f"unknown stage '{_text(stage)}' in stage_data{hint}")
                continue
            if not isinstance(entries, list):
                self.error(path, f"{format_path(path)} must be a list of figures by period")
                continue
            for index, raw in enumerate(entries):
                item: KeyPath = (*path, index)
                if not self.keys(raw, item, "stage_figure"):
                    continue
                period = raw.get("period")
                if "period" in raw and (
                    isinstance(period, bool) or not isinstance(period, str | int)
                ):
                    self.error(
                        (*item, "period"), "period must be a year or a text such as '2016-2022'"
                    )
                source = self.sources(raw["source"], (*item, "source")) if "source" in raw else ()
                figures: dict[str, Any] = {}
                for key in ("rd_intensity", "subsidy_intensity"):
                    if key in raw:
                        figures[key] = self.fraction(raw[key], (*item, key), key.replace("_", " "))
                if "profit_margin" in raw:
                    figures["profit_margin"] = self.fraction(
                        raw["profit_margin"], (*item, "profit_margin"), "profit margin", lo=-1.0
                    )
                if "subsidy_amount" in raw:
                    amount = raw["subsidy_amount"]
                    try:
                        if isinstance(amount, bool) or not isinstance(amount, int | float):
                            raise NumberError(f"not {_type(amount)}")  # noqa: EM102
                        figures["subsidy_amount"] = check_number(amount, low=0)
                    except NumberError as exc:
                        self.error(
                            (*item, "subsidy_amount"),
                            f"subsidy_amount must be a finite number >= 0 ({exc})",
                        )
                unit = self.string(raw.get("amount_unit"), (*item, "amount_unit"), required=False)
                estimate = (
                    self.boolean(raw["estimate"], (*item, "estimate"))
                    if "estimate" in raw
                    else False
                )
                note = self.string(raw.get("note"), (*item, "note"), required=False)
                if source and period is not None:
                    out.append(
                        StageFigure(
                            stage=str(stage),
                            period=str(period),
                            source=source,
                            amount_unit=unit,
                            estimate=estimate,
                            note=note,
                            **figures,
                        )
                    )
        return tuple(out)


_NUMBER = (float, int)
#: The keys of a node that give figures, and so need a `source`.
_FIGURES = (
    "shares",
    "history",
    "suppliers",
    "stock_months",
    "location_shares",
    "ownership_shares",
)
_INPUT_KEYS = frozenset(allowed_keys("input"))
_KEY_SETS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {}


def _key_sets(kind: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The keys allowed in and required of an object of ``kind``, read from the schema once."""
    found = _KEY_SETS.get(kind)
    if found is None:
        found = _KEY_SETS[kind] = (frozenset(allowed_keys(kind)), required_keys(kind))
    return found


def check_document(
    doc: Located,
    path: str | None = None,
    *,
    max_errors: int = DEFAULT_MAX_ERRORS,
    order: list[str] | None = None,
) -> Chain:
    """Check a parsed document against every rule of format v1 and build the :class:`Chain`.

    Parameters
    ----------
    doc
        The parsed document with its locator.
    path
        The chain's path (default: the document's file).
    max_errors
        List at most this many problems; the rest are counted by kind in a last line.
    order
        The files of a multi-file form in reading order (problems are sorted by file, then line).

    Raises
    ------
    ChainError
        Listing the problems, ordered by file and line.
    """
    checker = Checker(doc, max_errors)
    chain = checker.chain(path or doc.file)
    if checker.problems or chain is None:
        if not checker.problems:
            checker.problems.append(doc.problem((), "invalid chain"))
        rank = {file: k for k, file in enumerate(order or [doc.file])}
        raise checker.problems.error(doc.file, rank)
    return chain


def _other_basis(basis: str) -> str:
    return "ownership" if basis == "location" else "location"


def _type(value: Any) -> str:
    names = {
        dict: "a mapping",
        list: "a list",
        str: "a text",
        bool: "true/false",
        type(None): "empty",
    }
    for kind, name in names.items():
        if isinstance(value, kind):
            return f"{name} ({_brief(value)})" if kind in (str, bool) else name
    if isinstance(value, int | float):
        return f"a number ({_brief(value)})"
    return type(value).__name__


def _text(value: Any) -> str:
    """A name from a file, cut when long, for a message."""
    text = str(value) if not isinstance(value, int) else _brief(value)
    return text if len(text) <= 80 else f"{text[:60]}...{text[-8:]} ({len(text):,} characters)"


def _describe(path: KeyPath, kind: str) -> str:
    if not path:
        return "the chain"
    return f"{kind.replace('_', ' ')} {format_path(path)}"
