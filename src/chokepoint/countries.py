"""ISO 3166-1 alpha-2 country codes (pycountry) and standard regions (country_converter).

Country codes are checked, named and suggested from pycountry's ISO 3166-1 table. Standard regions
(``EU27``, ``G7``, ``OECD``, ...; :data:`STANDARD_REGIONS`) take their members from the
classification table of country_converter (Stadler 2017, the ``regions`` extra), read when a
region is first used and never typed here. A chain's own ``regions`` win over a standard one of
the same name.

References
----------
.. [1] Stadler, K. (2017), "The country converter coco - a Python package for converting country
       names between different classification schemes", *Journal of Open Source Software* 2(16),
       332, doi:10.21105/joss.00332.
"""

from __future__ import annotations

import difflib
from functools import cache, lru_cache
from pathlib import Path

from .errors import SettingError

__all__ = [
    "STANDARD_REGIONS",
    "RegionsUnavailableError",
    "country_name",
    "is_country",
    "is_standard_region",
    "region_source",
    "standard_region",
    "suggest_country",
]

#: The standard regions: name -> (column of country_converter's table, what it is). Names are
#: those of the table's columns, upper-cased.
STANDARD_REGIONS: dict[str, tuple[str, str]] = {
    "EU": ("EU", "European Union, current member states"),
    "EU27": ("EU27", "European Union of 27, since 1 February 2020"),
    "EU28": ("EU28", "European Union of 28, 2013 to 31 January 2020"),
    "EURO": ("EURO", "euro area"),
    "EEA": ("EEA", "European Economic Area"),
    "OECD": ("OECD", "OECD member countries"),
    "G7": ("G7", "Group of Seven"),
    "G20": ("G20", "Group of Twenty: its member countries and the EU's member states"),
    "BRIC": ("BRIC", "Brazil, Russia, India, China"),
    "BASIC": ("BASIC", "Brazil, South Africa, India, China"),
    "APEC": ("APEC", "Asia-Pacific Economic Cooperation member economies"),
    "CIS": ("CIS", "Commonwealth of Independent States"),
}
#: The extra that installs country_converter.
REGIONS_EXTRA = "pip install 'chokepoint-supply[regions]'"


class RegionsUnavailableError(SettingError):
    """A standard region was used but country_converter, which holds its members, is missing."""


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
    >>> suggest_country("europa", ("EUROPE",))
    'EUROPE'
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
    by_upper = {name.upper(): name for name in extra}
    close = difflib.get_close_matches(upper, list(by_upper), n=1, cutoff=0.6)
    return by_upper[close[0]] if close else None


def is_standard_region(name: str) -> bool:
    """Return True when ``name`` is one of :data:`STANDARD_REGIONS` (no table is read)."""
    return name in STANDARD_REGIONS


@cache
def _region_table() -> tuple[dict[str, tuple[str, ...]], str]:
    """Every standard region's members, from country_converter's ``country_data.tsv``.

    The table is read with :mod:`csv` (about 2 ms) rather than through ``import
    country_converter``, which imports pandas (0.3 to 0.5 s) and, in country_converter 1.3.2,
    fails to start under pandas 3 (Namibia's code ``NA`` is read as missing). Obsolete
    entries are skipped; codes such as ``^GB$|^UK$`` keep their first code, as
    country_converter's own ``ISO2`` output does.
    """
    import csv
    from importlib.util import find_spec

    spec = find_spec("country_converter")
    table = None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / "country_data.tsv").is_file():
            table = Path(folder) / "country_data.tsv"
    if table is None:
        msg = (
            "standard regions (EU27, G7, OECD, ...) take their members from country_converter, "
            f"which is not installed; {REGIONS_EXTRA}, or define the region under `regions` in "
            "the chain file"
        )
        raise RegionsUnavailableError(msg)
    # the release, from the installed distribution's folder name (importlib.metadata costs 65 ms)
    found = sorted(table.parent.parent.glob("country_converter-*.dist-info"))
    release = (
        found[-1].name.removesuffix(".dist-info").split("-")[1] if found else "(version unknown)"
    )
    members: dict[str, list[str]] = {name: [] for name in STANDARD_REGIONS}
    with table.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if (row.get("obsolete") or "").strip():
                continue
            code = "".join(ch for ch in (row.get("ISO2") or "").split("|")[0] if ch.isalnum())
            if not is_country(code.upper()):
                continue
            for name, (column, _) in STANDARD_REGIONS.items():
                if (row.get(column) or "").strip():
                    members[name].append(code.upper())
    return {k: tuple(sorted(v)) for k, v in members.items()}, f"country_converter {release}"


def standard_region(name: str) -> tuple[str, ...] | None:
    """Return the member codes of standard region ``name``, or None for another name.

    Raises
    ------
    RegionsUnavailableError
        When ``name`` is a standard region and country_converter is not installed.

    Examples
    --------
    >>> standard_region("G7")
    ('CA', 'DE', 'FR', 'GB', 'IT', 'JP', 'US')
    >>> standard_region("EUROPE") is None
    True
    """
    if name not in STANDARD_REGIONS:
        return None
    return _region_table()[0][name]


def region_source() -> str:
    """The release that standard regions come from, e.g. ``'country_converter 1.3.2'``."""
    return _region_table()[1]
