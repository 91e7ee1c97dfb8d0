"""ISO 3166-1 alpha-2 country codes: checking, naming and suggesting, backed by pycountry."""

from __future__ import annotations

import difflib
from functools import cache, lru_cache
from pathlib import Path

__all__ = ["country_name", "is_country", "suggest_country"]


@cache
def _records() -> list[dict[str, str]]:
    """Read pycountry's ISO 3166-1 table.

    ``import pycountry`` costs about 45 ms (it reads package metadata through ``email``); reading
    the JSON table it ships costs about 1 ms, which matters for a command run in shell loops.
    Falls back to the public API when the table is not where pycountry keeps it.
    """
    import json
    from importlib.util import find_spec

    spec = find_spec("pycountry")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        table = Path(folder) / "databases" / "iso3166-1.json"
        if table.is_file():
            records: list[dict[str, str]] = json.loads(table.read_text(encoding="utf-8"))["3166-1"]
            return records
    import pycountry  # pragma: no cover - only when the data file moved

    return [  # pragma: no cover
        {k: getattr(c, k) for k in ("alpha_2", "alpha_3", "name") if hasattr(c, k)}
        | ({"common_name": c.common_name} if hasattr(c, "common_name") else {})
        for c in pycountry.countries
    ]


@cache
def _codes() -> dict[str, str]:
    return {r["alpha_2"]: r.get("common_name") or r["name"] for r in _records()}


@cache
def _alpha3() -> dict[str, str]:
    return {r["alpha_3"]: r["alpha_2"] for r in _records()}


@cache
def _by_name() -> dict[str, str]:
    """Upper-case English names to codes, built once (not once per suggestion)."""
    return {name.upper(): code for code, name in _codes().items()}


def is_country(code: str) -> bool:
    """Return True when ``code`` is an assigned ISO 3166-1 alpha-2 code (upper case)."""
    return code in _codes()


def country_name(code: str) -> str | None:
    """Return the English short name of an ISO 3166-1 alpha-2 code, or None when unknown."""
    return _codes().get(code)


@lru_cache(maxsize=4096)
def suggest_country(text: str, extra: tuple[str, ...] = ()) -> str | None:
    """Return the code a user most likely meant by ``text`` (alpha-3, lower case, a name), or None.

    ``extra`` holds further valid keys (region names) to consider. Answers are remembered, and
    texts longer than 100 characters are compared by their first 100.

    Examples
    --------
    >>> suggest_country("JPN")
    'JP'
    >>> suggest_country("jp")
    'JP'
    >>> suggest_country("Germany")
    'DE'
    """
    text = text[:100]
    upper = text.strip().upper()
    codes = _codes()
    if upper in codes or upper in extra:
        return upper
    if upper in _alpha3():
        return _alpha3()[upper]
    by_name = _by_name()
    if upper in by_name:
        return by_name[upper]
    close = difflib.get_close_matches(upper, list(by_name), n=1, cutoff=0.85)
    if close:
        return by_name[close[0]]
    close = difflib.get_close_matches(text, list(extra), n=1, cutoff=0.6)
    return close[0] if close else None
