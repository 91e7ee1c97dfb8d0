"""Reading bilateral trade statistics (CEPII BACI, UN Comtrade) into import and export totals.

Two published forms are read, streamed within the limits of :mod:`chokepoint.io.limits`:

* **CEPII BACI** as unpacked from its zip: one file a year, ``BACI_HS17_Y2018_V202401b.csv``,
  with columns ``t,i,j,k,v,q`` (year, exporter, importer, HS-6 product, value in thousands of
  US dollars, quantity in metric tons), beside ``country_codes_V202401b.csv`` (columns
  ``country_code,country_name,country_iso2,country_iso3``; releases before 2024 name them
  ``country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,iso_3digit_alpha``)
  and ``product_codes_HS17_V202401b.csv`` (``code,description``).
* **UN Comtrade** bulk or query CSV exports (comma or tab separated), with the columns
  ``reporterCode``/``reporterISO``, ``partnerCode``/``partnerISO``, ``flowCode`` (``M``, ``X``),
  ``cmdCode``, ``primaryValue`` (US dollars) and ``refYear`` (or ``period``).

The quirks of the real files are handled on purpose: BACI's numeric codes are its own, not always
ISO 3166's (842 is the USA, 251 France, 699 India, 757 Switzerland), so countries are named
through the release's own code file; code 490, "Other Asia, nes", is Taiwan in practice (the UN
does not name Taiwan in its statistics) and is read as ``TW``, which every result says; code-file
rows whose ISO code is empty or ``N/A`` name no country (their flows count as unnamed foreign
origins), while Namibia's ``NA`` is a country, not a missing value; HS codes keep their leading
zeros (read as text, padded to six digits); an empty or ``NA`` quantity is never read.

A BACI year holds about 11 million rows (0.5 GB): the file is never held in memory. Only the
totals a question needs are kept: for a group of importing countries (one country, or ``EU27``),
the value each product is imported from each origin outside the group and the value the group
exports of it to the rest of the world (:class:`TradeTotals`). With ``pyarrow`` installed (the
``trade`` extra) BACI files are parsed in blocks by Arrow; otherwise, and whenever a block does
not parse, the standard library reads the rows and names the file, line and column of the first
bad one.

``docs/trade.md`` gives every rule; :func:`import_trade` (``chokepoint import trade``) writes a
copy of a chain whose nodes carrying HS codes get the origin split of their foreign supply.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..countries import STANDARD_REGIONS, is_country, standard_region, suggest_country
from ..errors import ArgumentError, ChainError, ChokepointError, Problem
from ..model import OTHER
from .files import CHUNK, LineGauge, check_regular
from .limits import MAX_BYTES_LARGE, MAX_LINE, Limit
from .numbers import NumberError, parse_float, parse_int

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from ..model import Chain

__all__ = [
    "BACI",
    "COMTRADE",
    "MAX_TRADE_ROWS",
    "OTHER_ASIA_NES",
    "Flows",
    "TradeImport",
    "TradeTotals",
    "find_flows",
    "import_trade",
    "origin_split",
    "read_production",
    "read_totals",
    "resolve_importer",
]

BACI = "baci"
COMTRADE = "comtrade"
#: The code under which the UN (and so BACI and Comtrade) report Taiwan: "Other Asia, nes".
OTHER_ASIA_NES = 490
#: Most data rows in one trade file (a BACI year has about 11 million).
MAX_TRADE_ROWS = Limit("CHOKEPOINT_MAX_TRADE_ROWS", 100_000_000, "rows")
#: Rows handed to the accumulator at a time by the standard-library reader.
_BATCH = 65_536
#: Country codes are read into arrays of this size (BACI and Comtrade codes are below 1,000).
_CODES = 1024
_BACI_NAME = re.compile(r"^BACI_(?P<hs>HS\d\d)_Y(?P<year>\d{4})_(?P<release>V\d{6}[A-Za-z]?)\.csv$")
_BACI_HEADER = ("t", "i", "j", "k", "v", "q")
_MISSING = {"", "N/A", "NULL", "NAN"}  # never "NA": that is Namibia
_DIGITS = re.compile(r"^[0-9]{1,6}$")
_CODE = re.compile(r"[0-9]{1,3}")  # a country code below 1,000
_PLAIN = re.compile(r"[0-9]{1,15}(?:\.[0-9]{0,15})?")  # a finite value of at least 0
_BACI_URL = "http://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37"
_COMTRADE_URL = "https://comtradeplus.un.org/"
_TAIWAN_NOTE = (
    "code 490 'Other Asia, nes' is read as TW (Taiwan): the UN reports Taiwan's trade under "
    "this code (UN Comtrade knowledge base, 'Taiwan, Province of China Trade data')"
)
#: UN Comtrade's numeric codes that differ from ISO 3166-1 numeric, for files without ISO columns.
_COMTRADE_CODES = {842: "US", 251: "FR", 699: "IN", 757: "CH", 579: "NO", 381: "IT", 490: "TW"}
_WORLD = {0}


def _refuse(file: str, message: str, line: int = 0, column: int = 0, key: str = "") -> ChainError:
    return ChainError([Problem(file, line, column, key, message)])


# --------------------------------------------------------------------------------------------
# Countries


@cache
def _iso_tables() -> tuple[dict[str, str], dict[int, str]]:
    """ISO 3166-1 alpha-3 -> alpha-2 and numeric -> alpha-2, from pycountry."""
    import pycountry

    alpha3 = {c.alpha_3: c.alpha_2 for c in pycountry.countries}
    numeric = {int(c.numeric): c.alpha_2 for c in pycountry.countries}
    return alpha3, numeric


def _iso2(iso2: str, iso3: str) -> str | None:
    """The alpha-2 code of a code-file row (``NA`` is Namibia), or None when it names none."""
    two = iso2.strip().upper()
    if two not in _MISSING and is_country(two):
        return two
    three = iso3.strip().upper()
    return _iso_tables()[0].get(three)


def resolve_importer(text: str) -> tuple[str, tuple[str, ...]]:
    """The importer's name and member countries: an ISO alpha-2 code, or a standard region
    (``EU27``, ``G7``, ``OECD``, ...: :func:`chokepoint.countries.standard_region`, members from
    country_converter's table, as they are today for every year).

    Raises
    ------
    ArgumentError
        For anything else, with the code the user most likely meant.
    RegionsUnavailableError
        For a standard region when country_converter (the ``regions`` extra) is missing.

    Examples
    --------
    >>> resolve_importer("cn")
    ('CN', ('CN',))
    >>> name, members = resolve_importer("EU27")
    >>> name, len(members), members[:3]
    ('EU27', 27, ('AT', 'BE', 'BG'))
    """
    upper = text.strip().upper()
    if upper == "EU-27":
        upper = "EU27"
    members = standard_region(upper)
    if members is not None:
        return upper, members
    if is_country(upper):
        return upper, (upper,)
    guess = suggest_country(text, tuple(STANDARD_REGIONS))
    hint = f"; did you mean '{guess}'?" if guess else ""
    msg = (
        f"importer {text!r} is neither an ISO 3166-1 alpha-2 country code nor a standard region"
        f"{hint} (give e.g. CN, JP, EU27 or G7)"
    )
    raise ArgumentError(msg)


# --------------------------------------------------------------------------------------------
# Finding the files


@dataclass(frozen=True, slots=True)
class Flows:
    """A trade file for one year: its kind (:data:`BACI` or :data:`COMTRADE`) and companions."""

    kind: str
    path: Path
    year: int
    countries: Path | None = None
    products: Path | None = None
    release: str | None = None
    revision: str | None = None

    def citation(self) -> str:
        """One line naming the data set, release and file."""
        if self.kind == BACI:
            return (
                f"CEPII BACI ({self.revision or 'HS'}, release {self.release or 'unknown'}), "
                f"file {self.path.name}"
            )
        return f"UN Comtrade export, file {self.path.name}"


def _baci_files(folder: Path) -> dict[int, Path]:
    found: dict[int, Path] = {}
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise _refuse(str(folder), f"cannot read: {exc.strerror}") from None
    for entry in entries:
        match = _BACI_NAME.match(entry.name)
        if match:
            found[int(match["year"])] = entry
    return found


def _companion(folder: Path, prefix: str, release: str | None) -> Path | None:
    exact = folder / f"{prefix}_{release}.csv" if release else None
    if exact is not None and exact.is_file():
        return exact
    matches = sorted(p for p in folder.glob(f"{prefix}*.csv") if p.is_file())
    return matches[0] if len(matches) == 1 else None


def _header_line(path: Path) -> str:
    check_regular(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(min(CHUNK, MAX_LINE.get()))
    except OSError as exc:
        raise _refuse(str(path), f"cannot read: {exc.strerror}") from None
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    return first.decode("utf-8", "replace").removeprefix("\ufeff")


def find_flows(flows: str | os.PathLike[str], year: int) -> Flows:
    """Find the trade file of ``year``: a BACI folder or year file, or a Comtrade export.

    A folder is searched for ``BACI_*_Y<year>_*.csv``; a file is recognised by its header
    (``t,i,j,k,v,q`` for BACI, ``cmdCode`` and ``primaryValue`` for Comtrade). BACI's code
    files are looked for beside the year file, of the same release.

    Raises
    ------
    ChainError
        Naming the file or folder and what was expected.
    """
    path = Path(flows)
    file = str(path)
    if path.is_dir():
        years = _baci_files(path)
        if year not in years:
            have = ", ".join(str(y) for y in sorted(years)) or "none"
            msg = (
                f"no BACI file of year {year} in this folder (years found: {have}); expected a "
                f"file named like BACI_HS17_Y{year}_V202401b.csv"
            )
            raise _refuse(file, msg)
        path = years[year]
    elif not path.exists():
        raise _refuse(file, "no such file or folder; give a BACI folder or year file, or a "
                      "UN Comtrade CSV export")  # fmt: skip
    header = _header_line(path)
    cells = [c.strip().strip('"') for c in re.split(r"[,\t]", header)]
    if tuple(c.lower() for c in cells) == _BACI_HEADER:
        match = _BACI_NAME.match(path.name)
        if match and int(match["year"]) != year:
            msg = f"is a BACI file of year {match['year']}, not of --year {year}"
            raise _refuse(str(path), msg, 1, 1)
        release = match["release"] if match else None
        folder = path.parent
        countries = _companion(folder, "country_codes", release)
        if countries is None:
            msg = (
                "no BACI country code file beside it (country_codes_<release>.csv, as in BACI's "
                "zip); BACI's numeric codes cannot be named without it"
            )
            raise _refuse(str(path), msg)
        products = _companion(folder, f"product_codes_{match['hs']}" if match else "product_codes",
                              release)  # fmt: skip
        return Flows(BACI, path, year, countries, products, release, match["hs"] if match else None)
    if "cmdCode" in cells and "primaryValue" in cells:
        return Flows(COMTRADE, path, year)
    msg = (
        f"not a BACI or UN Comtrade file: header {header[:80]!r}; expected t,i,j,k,v,q (BACI) or "
        "the columns of a Comtrade export (reporterCode, partnerCode, flowCode, cmdCode, "
        "primaryValue, refYear)"
    )
    raise _refuse(str(path), msg, 1, 1)


# --------------------------------------------------------------------------------------------
# Bounded reading


class _Counted(io.RawIOBase):
    """A raw stream over a file that counts bytes, lines and line lengths as they arrive."""

    def __init__(self, path: Path, max_bytes: int, max_rows: int) -> None:
        self.file = str(path)
        self.handle = path.open("rb")
        self.max_bytes = max_bytes
        self.total = 0
        self.max_rows = max_rows
        self.gauge = LineGauge(self.file, MAX_LINE.get(), None)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.handle.read(len(buffer))
        self._count(data)
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size if size is not None and size >= 0 else CHUNK)
        self._count(data)
        return data

    def _count(self, data: bytes) -> None:
        self.total += len(data)
        if self.total > self.max_bytes:
            message = MAX_BYTES_LARGE.refusal("file is too large", limit=self.max_bytes)
            raise _refuse(self.file, message)
        if data:
            self.gauge.feed(data)
            if self.gauge.newlines > self.max_rows + 1:
                message = MAX_TRADE_ROWS.refusal("too many rows", limit=self.max_rows)
                raise _refuse(self.file, message, self.max_rows + 2)

    def close(self) -> None:
        self.handle.close()
        super().close()


def _open(path: Path) -> _Counted:
    check_regular(path)
    try:
        return _Counted(path, MAX_BYTES_LARGE.get(), MAX_TRADE_ROWS.get())
    except OSError as exc:
        raise _refuse(str(path), f"cannot read: {exc.strerror}") from None


def _rows(path: Path, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` of every non-blank record of a UTF-8 CSV file, header first."""
    raw = _open(path)
    try:
        text = io.TextIOWrapper(io.BufferedReader(raw, CHUNK), encoding="utf-8-sig", newline="")
        reader = csv.reader(text, delimiter=delimiter)
        line = 1
        try:
            for record in reader:
                if record and any(cell.strip() for cell in record):
                    yield line, record
                line = reader.line_num + 1
        except UnicodeDecodeError as exc:
            msg = f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); save the file as UTF-8"
            raise _refuse(str(path), msg, line) from None
        except csv.Error as exc:
            raise _refuse(str(path), f"malformed CSV: {exc}", line) from None
    finally:
        raw.close()


def _column(cells: list[str], index: int) -> int:
    """1-based character column where cell ``index`` starts (unquoted cells)."""
    return sum(len(c) + 1 for c in cells[:index]) + 1


def _header_index(file: str, header: list[str], wanted: Iterable[str]) -> dict[str, int]:
    names = [h.strip().strip("\ufeff") for h in header]
    missing = [w for w in wanted if w not in names]
    if missing:
        msg = f"missing column {', '.join(repr(m) for m in missing)} (columns: {', '.join(names)})"
        raise _refuse(file, msg, 1, 1)
    return {w: names.index(w) for w in wanted}


# --------------------------------------------------------------------------------------------
# BACI code files


@dataclass(frozen=True, slots=True)
class _Codes:
    iso: dict[int, str]  # code -> alpha-2 (TW for 490)
    names: dict[int, str]  # code -> the file's name


def _read_country_codes(path: Path) -> _Codes:
    file = str(path)
    rows = _rows(path)
    try:
        _, header = next(rows)
    except StopIteration:
        raise _refuse(file, "empty file; expected a header naming the columns", 1) from None
    names = [h.strip() for h in header]
    if "country_iso2" in names:
        columns = ("country_code", "country_name", "country_iso2", "country_iso3")
    else:  # releases before 2024
        columns = (
            "country_code",
            "country_name_abbreviation",
            "iso_2digit_alpha",
            "iso_3digit_alpha",
        )
    index = _header_index(file, header, columns)
    iso: dict[int, str] = {}
    labels: dict[int, str] = {}
    for line, cells in rows:
        if len(cells) != len(header):
            msg = f"has {len(cells)} fields but the header has {len(header)}"
            raise _refuse(file, msg, line, 1)
        text = cells[index[columns[0]]].strip()
        try:
            code = parse_int(text, low=0, high=_CODES - 1)
        except NumberError as exc:
            msg = f"country_code {text!r}: {exc}; BACI codes are whole numbers below {_CODES}"
            raise _refuse(file, msg, line, _column(cells, index[columns[0]]), columns[0]) from None
        labels[code] = cells[index[columns[1]]].strip()
        two = (
            "TW"
            if code == OTHER_ASIA_NES
            else _iso2(cells[index[columns[2]]], cells[index[columns[3]]])
        )
        if two is not None:
            iso[code] = two
    return _Codes(iso, labels)


def _read_product_names(path: Path | None) -> dict[int, str]:
    if path is None:
        return {}
    file = str(path)
    rows = _rows(path)
    try:
        _, header = next(rows)
    except StopIteration:
        return {}
    index = _header_index(file, header, ("code", "description"))
    names: dict[int, str] = {}
    for _line, cells in rows:
        if len(cells) == len(header):
            code = cells[index["code"]].strip()
            if _DIGITS.match(code):
                names[int(code)] = cells[index["description"]].strip()
    return names


# --------------------------------------------------------------------------------------------
# Totals


@dataclass(frozen=True, slots=True)
class TradeTotals:
    """What a group of importers bought from each origin outside it, and sold outside it.

    ``imports[p, o]`` is the value (US dollars) of product ``hs[p]`` imported by the group's
    members from ``origins[o]``; ``exports[p]`` the value the members exported of it to
    countries outside the group. An origin is an ISO alpha-2 code, or ``#CODE name`` for a code
    that names no country (an area "nes", a customs union of old). ``notes`` say how the file
    was read (Taiwan under code 490, codes missing from the code file, rows skipped).
    """

    flows: Flows
    importer: str
    members: tuple[str, ...]
    hs: npt.NDArray[np.int64]
    origins: tuple[str, ...]
    imports: npt.NDArray[np.float64]
    exports: npt.NDArray[np.float64]
    names: Mapping[int, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    rows: int = 0
    engine: str = "python"

    def hs_text(self, index: int) -> str:
        """The six-digit text of product ``index`` (leading zeros kept)."""
        return f"{int(self.hs[index]):06d}"


class _Accumulator:
    """Sums values by (product, origin code) for imports and by product for exports."""

    def __init__(self, member: npt.NDArray[np.bool_], allowed: npt.NDArray[np.bool_] | None):
        import numpy as np

        self.np = np
        self.member = member
        self.allowed = allowed
        self.index = np.full(1_000_000, -1, dtype=np.int64)
        self.codes: list[int] = []
        self.imports = np.zeros((64, _CODES), dtype=np.float64)
        self.exports = np.zeros(64, dtype=np.float64)
        self.seen = np.zeros(_CODES, dtype=bool)

    def _products(self, k: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        np = self.np
        new = np.unique(k[self.index[k] < 0])
        if new.size:
            start = len(self.codes)
            self.index[new] = np.arange(start, start + new.size)
            self.codes.extend(int(c) for c in new)
            if len(self.codes) > self.exports.size:
                size = max(len(self.codes), 2 * self.exports.size)
                grown = np.zeros((size, _CODES), dtype=np.float64)
                grown[: self.imports.shape[0]] = self.imports
                self.imports = grown
                self.exports = np.concatenate([self.exports, np.zeros(size - self.exports.size)])
        return self.index[k]

    def add(
        self,
        i: npt.NDArray[np.int64],
        j: npt.NDArray[np.int64],
        k: npt.NDArray[np.int64],
        v: npt.NDArray[np.float64],
    ) -> None:
        np = self.np
        keep = self.member[j] != self.member[i]
        if self.allowed is not None:
            keep &= self.allowed[k]
        if not keep.any():
            return
        i, j, k, v = i[keep], j[keep], k[keep], v[keep]
        p = self._products(k)
        into = self.member[j]
        np.add.at(self.imports, (p[into], i[into]), v[into])
        self.seen[i[into]] = True
        np.add.at(self.exports, p[~into], v[~into])


def _member_mask(iso: Mapping[int, str], members: Iterable[str]) -> npt.NDArray[np.bool_]:
    import numpy as np

    group = set(members)
    mask = np.zeros(_CODES, dtype=bool)
    for code, two in iso.items():
        if two in group:
            mask[code] = True
    return mask


def _allowed(hs: Iterable[str] | None) -> npt.NDArray[np.bool_] | None:
    import numpy as np

    if hs is None:
        return None
    mask = np.zeros(1_000_000, dtype=bool)
    for code in hs:
        mask[int(code)] = True
    return mask


def read_totals(
    flows: Flows,
    importer: str,
    *,
    hs: Iterable[str] | None = None,
    engine: str = "auto",
) -> TradeTotals:
    """Stream a trade file and return the group's import and export totals by product.

    Parameters
    ----------
    flows
        From :func:`find_flows`.
    importer
        An ISO alpha-2 code or ``EU27`` (:func:`resolve_importer`).
    hs
        Keep only these HS-6 codes (six-digit texts); default every product.
    engine
        ``arrow`` (needs pyarrow), ``python``, or ``auto``: Arrow for BACI when installed.

    Raises
    ------
    ChainError
        Naming the file, line and column of the first bad row, or the limit exceeded.
    """
    name, members = resolve_importer(importer)
    if engine not in ("auto", "arrow", "python"):
        msg = f"engine={engine!r}; choose auto, arrow or python"
        raise ArgumentError(msg)
    wanted = None if hs is None else sorted(set(hs))
    if flows.kind == COMTRADE:
        return _comtrade_totals(flows, name, members, wanted)
    assert flows.countries is not None
    codes = _read_country_codes(flows.countries)
    acc = _Accumulator(_member_mask(codes.iso, members), _allowed(wanted))
    use_arrow = engine == "arrow" or (engine == "auto" and _has_arrow())
    rows = 0
    used = "python"
    if use_arrow:
        try:
            rows = _baci_arrow(flows, acc)
            used = "arrow"
        except _ArrowFailed:
            acc = _Accumulator(_member_mask(codes.iso, members), _allowed(wanted))
    if used == "python":
        rows = _baci_python(flows, acc)
    return _baci_result(flows, name, members, acc, codes, rows, used)


def _has_arrow() -> bool:
    from importlib.util import find_spec

    return find_spec("pyarrow") is not None


class _ArrowFailed(Exception):
    """Arrow could not read a block: the standard-library reader locates the problem."""


def _baci_arrow(flows: Flows, acc: _Accumulator) -> int:
    import numpy as np
    import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]
    import pyarrow.compute as pc  # type: ignore[import-untyped,import-not-found,unused-ignore]
    import pyarrow.csv as pacsv  # type: ignore[import-untyped,import-not-found,unused-ignore]

    raw = _open(flows.path)
    rows = 0
    try:
        convert = pacsv.ConvertOptions(
            column_types={
                "t": pa.int64(),
                "i": pa.int64(),
                "j": pa.int64(),
                "k": pa.string(),
                "v": pa.float64(),
            },  # fmt: skip
            include_columns=["t", "i", "j", "k", "v"],
            null_values=[],
            strings_can_be_null=False,
        )
        reader = pacsv.open_csv(
            io.BufferedReader(raw, CHUNK),
            read_options=pacsv.ReadOptions(block_size=16 << 20, use_threads=True),
            convert_options=convert,
        )
        for batch in reader:
            k_text = batch.column("k")
            lengths = pc.utf8_length(k_text).to_numpy()
            try:
                k = pc.cast(k_text, pa.int64()).to_numpy()
            except pa.ArrowInvalid:
                raise _ArrowFailed from None
            t = batch.column("t").to_numpy()
            i = batch.column("i").to_numpy()
            j = batch.column("j").to_numpy()
            v = batch.column("v").to_numpy()
            bad = (
                (t != flows.year)
                | (i < 0) | (i >= _CODES) | (j < 0) | (j >= _CODES)
                | (k < 0) | (k > 999_999) | (lengths > 6) | (lengths < 1)
                | ~np.isfinite(v) | (v < 0)
            )  # fmt: skip
            if bad.any():
                raise _ArrowFailed
            acc.add(i, j, k, v * 1000.0)
            rows += batch.num_rows
    except pa.ArrowInvalid:
        raise _ArrowFailed from None
    finally:
        raw.close()
    return rows


def _baci_python(flows: Flows, acc: _Accumulator) -> int:
    import numpy as np

    file = str(flows.path)
    rows = _rows(flows.path)
    try:
        _, header = next(rows)
    except StopIteration:
        raise _refuse(file, "empty file; expected the header t,i,j,k,v,q", 1) from None
    if tuple(h.strip().lower() for h in header) != _BACI_HEADER:
        raise _refuse(file, f"header {','.join(header)!r} is not t,i,j,k,v,q", 1, 1)
    buffers: tuple[list[int], list[int], list[int], list[float]] = ([], [], [], [])
    count = 0

    def flush() -> None:
        bi, bj, bk, bv = buffers
        if bi:
            acc.add(
                np.array(bi, dtype=np.int64),
                np.array(bj, dtype=np.int64),
                np.array(bk, dtype=np.int64),
                np.array(bv, dtype=np.float64) * 1000.0,
            )
            for part in buffers:
                part.clear()

    year_text = str(flows.year)
    code, plain, digits = _CODE.fullmatch, _PLAIN.fullmatch, _DIGITS.fullmatch
    bi, bj, bk, bv = buffers
    for line, cells in rows:
        if len(cells) == 6:  # the common case, checked by patterns only
            t, i, j, k, v = (cells[0].strip(), cells[1].strip(), cells[2].strip(),
                             cells[3].strip(), cells[4].strip())  # fmt: skip
            if t == year_text and code(i) and code(j) and digits(k) and plain(v):
                bi.append(int(i))
                bj.append(int(j))
                bk.append(int(k))
                bv.append(float(v))
                count += 1
                if len(bi) >= _BATCH:
                    flush()
                continue
        if len(cells) != 6:
            msg = f"has {len(cells)} fields but a BACI row has 6 (t,i,j,k,v,q)"
            raise _refuse(file, msg, line, 1)
        year = _whole(file, line, cells, 0, "t", 1900, 2100)
        if year != flows.year:
            msg = f"t = {year} in a BACI file of year {flows.year}; give the file of year {year}"
            raise _refuse(file, msg, line, 1, "t")
        buffers[0].append(_whole(file, line, cells, 1, "i", 0, _CODES - 1))
        buffers[1].append(_whole(file, line, cells, 2, "j", 0, _CODES - 1))
        buffers[2].append(_hs(file, line, cells, 3, "k"))
        buffers[3].append(_value(file, line, cells, 4, "v"))
        count += 1
        if len(buffers[0]) >= _BATCH:
            flush()
    flush()
    return count


def _whole(file: str, line: int, cells: list[str], index: int, key: str, lo: int, hi: int) -> int:
    text = cells[index].strip()
    try:
        return parse_int(text, low=lo, high=hi)
    except NumberError as exc:
        msg = f"{key} {text!r}: {exc}; expected a whole number from {lo} to {hi}"
        raise _refuse(file, msg, line, _column(cells, index), key) from None


def _hs(file: str, line: int, cells: list[str], index: int, key: str) -> int:
    text = cells[index].strip()
    if not _DIGITS.match(text):
        msg = f"{key} {text!r} is not an HS-6 product code (six digits, leading zeros kept)"
        raise _refuse(file, msg, line, _column(cells, index), key)
    return int(text)


def _value(file: str, line: int, cells: list[str], index: int, key: str) -> float:
    text = cells[index].strip()
    try:
        return parse_float(text, low=0.0)
    except NumberError as exc:
        msg = f"{key} {text!r}: {exc}; a trade value is a number of at least 0"
        raise _refuse(file, msg, line, _column(cells, index), key) from None


def _baci_result(
    flows: Flows,
    importer: str,
    members: tuple[str, ...],
    acc: _Accumulator,
    codes: _Codes,
    rows: int,
    engine: str,
) -> TradeTotals:
    import numpy as np

    n = len(acc.codes)
    labels: dict[str, list[int]] = {}
    notes: list[str] = []
    unknown: list[int] = []
    for code in (int(c) for c in np.flatnonzero(acc.seen)):
        two = codes.iso.get(code)
        if two is None:
            label = f"#{code} {codes.names.get(code, '(not in the country code file)')}".strip()
            if code not in codes.names:
                unknown.append(code)
        else:
            label = two
        labels.setdefault(label, []).append(code)
        if code == OTHER_ASIA_NES:
            notes.append(_TAIWAN_NOTE)
    if unknown:
        notes.append(
            f"codes missing from {flows.countries.name if flows.countries else 'the code file'}: "
            f"{', '.join(str(c) for c in unknown)} (counted as unnamed origins)"
        )
    origins = tuple(sorted(labels))
    imports = np.zeros((n, len(origins)), dtype=np.float64)
    for o, label in enumerate(origins):
        imports[:, o] = acc.imports[:n, labels[label]].sum(axis=1)
    hs = np.array(acc.codes, dtype=np.int64)
    order = np.argsort(hs, kind="stable")
    return TradeTotals(
        flows,
        importer,
        members,
        hs[order],
        origins,
        imports[order],
        acc.exports[:n][order].copy(),
        _read_product_names(flows.products),
        tuple(notes),
        rows,
        engine,
    )


# --------------------------------------------------------------------------------------------
# UN Comtrade


def _comtrade_origin(code: int, iso: str, desc: str) -> str | None:
    """An origin label for a Comtrade partner, or None for the World aggregate."""
    if code in _WORLD or iso.upper() in ("W00", "WLD"):
        return None
    if code == OTHER_ASIA_NES or iso.upper() == "S19":
        return "TW"
    three = iso.strip().upper()
    alpha3, numeric = _iso_tables()
    if three in alpha3:
        return alpha3[three]
    if not three and code in _COMTRADE_CODES:
        return _COMTRADE_CODES[code]
    if not three and code in numeric:
        return numeric[code]
    return f"#{code} {desc or three}".strip()


def _comtrade_totals(
    flows: Flows, importer: str, members: tuple[str, ...], wanted: list[str] | None
) -> TradeTotals:
    import numpy as np

    file = str(flows.path)
    delimiter = "\t" if "\t" in _header_line(flows.path) else ","
    rows = _rows(flows.path, delimiter)
    try:
        _, header = next(rows)
    except StopIteration:
        raise _refuse(file, "empty file", 1) from None
    names = [h.strip().strip("\ufeff") for h in header]
    need = ["flowCode", "cmdCode", "primaryValue"]
    need.append("refYear" if "refYear" in names else "period")
    need.append("reporterCode" if "reporterCode" in names else "reporterISO")
    need.append("partnerCode" if "partnerCode" in names else "partnerISO")
    index = _header_index(file, header, need)
    optional: dict[str, int] = {
        c: names.index(c)
        for c in (
            "reporterISO",
            "partnerISO",
            "partnerDesc",
            "partner2Code",
            "customsCode",
            "motCode",
            "aggrLevel",
            "freqCode",
        )  # fmt: skip
        if c in names
    }
    group = set(members)
    wanted_set = None if wanted is None else set(wanted)
    imports: dict[tuple[str, str], float] = {}
    exports: dict[str, float] = {}
    freqs: set[str] = set()
    skipped_short = 0
    count = 0
    taiwan = False

    def cell(cells: list[str], column: str) -> str:
        at = optional.get(column, index.get(column))
        return cells[at].strip() if at is not None and at < len(cells) else ""

    for line, cells in rows:
        count += 1
        if len(cells) != len(header):
            msg = f"has {len(cells)} fields but the header has {len(header)}"
            raise _refuse(file, msg, line, 1)
        year_text = cell(cells, need[3])[:4]
        year = _whole(file, line, [year_text], 0, need[3], 1900, 2100)
        if year != flows.year:
            continue
        flow = cell(cells, "flowCode").upper()
        if flow not in ("M", "X"):
            continue
        if cell(cells, "partner2Code") not in ("", "0") or cell(cells, "customsCode") not in (
            "",
            "C00",
        ):
            continue
        if cell(cells, "motCode") not in ("", "0"):
            continue
        freqs.add(cell(cells, "freqCode").upper())
        hs_text = cell(cells, "cmdCode")
        if "aggrLevel" in optional:
            if cell(cells, "aggrLevel") != "6" or not _DIGITS.match(hs_text):
                continue
            hs_text = hs_text.zfill(6)
        elif not re.fullmatch(r"[0-9]{6}", hs_text):
            skipped_short += re.fullmatch(r"[0-9]{5}", hs_text) is not None
            continue
        if wanted_set is not None and hs_text not in wanted_set:
            continue
        value = _value(file, line, cells, index["primaryValue"], "primaryValue")
        reporter = _comtrade_party(file, line, cells, index, optional, "reporter")
        partner = _comtrade_party(file, line, cells, index, optional, "partner")
        if reporter is None or partner is None:
            continue  # the World aggregate
        taiwan = taiwan or partner == "TW" and cell(cells, "partnerISO") in ("", "S19")
        inside = reporter in group
        if not inside or partner in group:
            continue
        if flow == "M":
            imports[(hs_text, partner)] = imports.get((hs_text, partner), 0.0) + value
        else:
            exports[hs_text] = exports.get(hs_text, 0.0) + value
    if {"A", "M"} <= freqs:
        msg = "mixes annual (A) and monthly (M) rows; export one frequency only"
        raise _refuse(file, msg, 1, 1, "freqCode")
    products = sorted({h for h, _ in imports} | set(exports))
    origins = tuple(sorted({o for _, o in imports}))
    p_index = {h: n for n, h in enumerate(products)}
    o_index = {o: n for n, o in enumerate(origins)}
    matrix = np.zeros((len(products), len(origins)), dtype=np.float64)
    for (h, o), value in imports.items():
        matrix[p_index[h], o_index[o]] = value
    out = np.array([exports.get(h, 0.0) for h in products], dtype=np.float64)
    notes = [_TAIWAN_NOTE] if taiwan else []
    if skipped_short:
        notes.append(
            f"{skipped_short} rows with 5-digit commodity codes skipped: leading zeros lost? "
            "export cmdCode as text, or keep the aggrLevel column"
        )
    notes.append("Comtrade: rows as reported by the importer's members (no mirror flows)")
    return TradeTotals(
        flows,
        importer,
        members,
        np.array([int(h) for h in products], dtype=np.int64),
        origins,
        matrix,
        out,
        {},
        tuple(notes),
        count,
        "python",
    )


def _comtrade_party(
    file: str,
    line: int,
    cells: list[str],
    index: Mapping[str, int],
    optional: Mapping[str, int],
    who: str,
) -> str | None:
    code_column = f"{who}Code"
    iso_at = optional.get(f"{who}ISO", index.get(f"{who}ISO"))
    iso = cells[iso_at].strip() if iso_at is not None else ""
    code = -1
    if code_column in index:
        code = _whole(file, line, cells, index[code_column], code_column, 0, 9999)
    desc_at = optional.get(f"{who}Desc")
    desc = cells[desc_at].strip() if desc_at is not None else ""
    return _comtrade_origin(code, iso, desc)


# --------------------------------------------------------------------------------------------
# Production (for the screen's demand criterion)


def read_production(path: str | os.PathLike[str]) -> dict[int, float]:
    """Read a production file: CSV with columns ``hs`` (six digits) and ``production`` (USD).

    Raises
    ------
    ChainError
        Naming the file, line and column of a bad row or a repeated code.
    """
    file = os.fspath(path)
    rows = _rows(Path(path))
    try:
        _, header = next(rows)
    except StopIteration:
        raise _refuse(file, "empty file; expected the header hs,production", 1) from None
    index = _header_index(file, header, ("hs", "production"))
    out: dict[int, float] = {}
    for line, cells in rows:
        if len(cells) != len(header):
            msg = f"has {len(cells)} fields but the header has {len(header)}"
            raise _refuse(file, msg, line, 1)
        code = _hs(file, line, cells, index["hs"], "hs")
        if code in out:
            msg = f"hs {code:06d} given twice; give one production value per product"
            raise _refuse(file, msg, line, _column(cells, index["hs"]), "hs")
        out[code] = _value(file, line, cells, index["production"], "production")
    return out


# --------------------------------------------------------------------------------------------
# Origin split and the chain copy


def origin_split(values: Mapping[str, float]) -> dict[str, float]:
    """Each origin's share of the imports: :math:`s_o = V_o / \\sum_{o'} V_{o'}`.

    Origins without imports are left out; an empty or all-zero mapping gives ``{}``.

    >>> origin_split({"JP": 30.0, "DE": 10.0, "KR": 0.0})
    {'JP': 0.75, 'DE': 0.25}
    """
    total = math.fsum(v for v in values.values() if v > 0)
    if total <= 0:
        return {}
    return {o: v / total for o, v in values.items() if v > 0}


@dataclass(frozen=True, slots=True)
class TradeImport:
    """A chain copy with trade-based origin splits: the document, its YAML text, what changed."""

    document: dict[str, Any]
    text: str
    changed: tuple[str, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]


def _source_entry(flows: Flows, importer: str, codes: Iterable[str]) -> tuple[str, dict[str, Any]]:
    listed = ", ".join(codes)
    if flows.kind == BACI:
        release = flows.release or "unknown"
        year = int(release[1:5]) if re.match(r"V\d{4}", release) else flows.year
        ident = f"baci-{(flows.revision or 'hs').lower()}-{release.lower()}-{flows.year}"
        return ident, {
            "title": f"BACI: international trade database at the product level "
            f"({flows.revision or 'HS'} revision, release {release}), year {flows.year}",
            "publisher": "CEPII",
            "year": year,
            "url": _BACI_URL,
            "locator": f"file {flows.path.name}: imports of {importer} in {flows.year}, "
            f"HS {listed}; values in current US dollars",
            "authors": "Guillaume Gaulier, Soledad Zignago",
            "note": "BACI is distributed under the Etalab Open Licence 2.0 (attribution). "
            "Origins are exporting countries (location, not ownership).",
        }
    ident = f"comtrade-{flows.year}"
    return ident, {
        "title": f"UN Comtrade: international trade statistics, year {flows.year}",
        "publisher": "United Nations Statistics Division",
        "year": flows.year,
        "url": _COMTRADE_URL,
        "locator": f"file {flows.path.name}: imports reported by {importer} in {flows.year}, "
        f"HS {listed}; primaryValue in US dollars",
        "note": "Origins are partner countries as reported by the importer (location, not "
        "ownership).",
    }


def _node_split(
    current: Mapping[str, float],
    importer: str,
    values: Mapping[str, float],
    min_share: float,
) -> dict[str, float]:
    """The node's new shares: domestic kept, foreign ``1 - d`` split by ``values``."""
    domestic = current[importer]
    split = origin_split({o: v for o, v in values.items() if o != importer})
    foreign = 1.0 - domestic
    out: dict[str, float] = {importer: domestic}
    rest = 0.0
    for origin, share in sorted(split.items(), key=lambda kv: (-kv[1], kv[0])):
        if is_country(origin) and share >= min_share:
            out[origin] = round(foreign * share, 4)
        else:
            rest += share
    if rest > 0:
        out[OTHER] = round(foreign * rest, 4)
    return out


def import_trade(
    flows: str | os.PathLike[str],
    chain: str | os.PathLike[str],
    *,
    year: int,
    importer: str | None = None,
    min_share: float = 0.01,
    engine: str = "auto",
) -> TradeImport:
    """Copy a chain, splitting the foreign supply of every node with ``hs`` codes by origin.

    The function behind ``chokepoint import trade``.

    For a node with HS codes :math:`H`, domestic share :math:`d` (the chain's own figure for the
    importer, in ``year``'s ``history`` entry if there is one, else in ``shares``) and imports
    :math:`V_o = \\sum_{k \\in H} v_{o \\to m, k}` from each origin :math:`o \\ne m`, the new
    shares are :math:`d` for the importer and :math:`(1 - d)\\, s_o` for each origin, with
    :math:`s_o` from :func:`origin_split`; origins below ``min_share`` of the imports, and
    codes that name no country, are summed into ``other``. The node cites the trade file, is
    marked ``estimate: true`` and its note states the method. Nodes without ``hs``, and nodes
    whose domestic share is unknown or that have no imports of their codes, are left as they
    are (with a warning).

    Returns
    -------
    TradeImport
        The new document and its YAML text, checked as a chain before it is returned.

    Raises
    ------
    ChainError, ChainNotFoundError, ArgumentError
        For a bad trade file, chain or argument.
    """
    from .loader import check_document, find_chain, load_chain

    if not 0 <= min_share < 1:
        msg = f"min_share={min_share:g} is outside [0, 1)"
        raise ArgumentError(msg)
    path = find_chain(chain)
    loaded = load_chain(path)
    if loaded.is_global:
        msg = (
            f"chain '{loaded.name}' holds world market shares (market: global); trade splits "
            "apply to one economy's own market"
        )
        raise ArgumentError(msg)
    wanted = loaded.perspective if importer is None else resolve_importer(importer)[0]
    if wanted != loaded.perspective:
        msg = (
            f"importer {wanted} is not the chain's perspective ({loaded.perspective}); its "
            "shares describe that economy's market"
        )
        raise ArgumentError(msg)
    document = _raw_document(path)
    found = find_flows(flows, year)
    codes = sorted({h for n in loaded.nodes for h in n.hs})
    if not codes:
        msg = f"no node of chain '{loaded.name}' has `hs` codes; add `hs: [\"847950\"]` to nodes"
        raise ChokepointError(msg)
    totals = read_totals(found, wanted, hs=codes, engine=engine)
    by_code = {int(h): n for n, h in enumerate(totals.hs)}
    ident, entry = _source_entry(found, wanted, codes)
    changed, warnings = _apply(document, loaded, totals, by_code, wanted, year, ident, min_share)
    if changed:
        if _TAIWAN_NOTE in totals.notes:
            entry["note"] += " Code 490 'Other Asia, nes' is read as TW (Taiwan): the UN reports "
            entry["note"] += "Taiwan's trade under it."
        document.setdefault("sources", {})[ident] = entry
    text = _to_yaml(document, path, found)
    from .yamlread import parse_yaml

    check_document(parse_yaml(text, str(path)), path=str(path))
    return TradeImport(document, text, tuple(changed), tuple(warnings), totals.notes)


def _apply(
    document: dict[str, Any],
    chain: Chain,
    totals: TradeTotals,
    by_code: Mapping[int, int],
    importer: str,
    year: int,
    ident: str,
    min_share: float,
) -> tuple[list[str], list[str]]:
    changed: list[str] = []
    warnings: list[str] = []
    raw_nodes = {n.get("id"): n for n in document.get("nodes", []) if isinstance(n, dict)}
    for node in chain.nodes:
        if not node.hs:
            continue
        raw = raw_nodes[node.id]
        where = f"node '{node.id}' (line {node.line})"
        current = node.shares_for(year)
        if current is None or importer not in current:
            warnings.append(
                f"{where}: the chain gives no domestic ({importer}) share for {year}, so its "
                "foreign supply cannot be sized; left unchanged"
            )
            continue
        if current[importer] >= 1:
            warnings.append(f"{where}: wholly domestic ({importer} 100%); left unchanged")
            continue
        values: dict[str, float] = {}
        for code in node.hs:
            row = by_code.get(int(code))
            if row is None:
                continue
            for o, origin in enumerate(totals.origins):
                value = float(totals.imports[row, o])
                if value > 0:
                    values[origin] = values.get(origin, 0.0) + value
        if not values:
            warnings.append(
                f"{where}: no imports of HS {', '.join(node.hs)} by {importer} in {year} in "
                f"{totals.flows.path.name}; left unchanged"
            )
            continue
        shares = _node_split(current, importer, values, min_share)
        in_history = year in node.history
        if in_history:
            raw["history"][year] = shares
        else:
            raw["shares"] = shares
        sources = raw.get("source", [])
        sources = [sources] if isinstance(sources, str) else list(sources)
        if ident not in sources:
            sources.append(ident)
        raw["source"] = sources
        raw["estimate"] = True
        total = math.fsum(values.values())
        of_year = node.year or chain.year
        mixed = (
            ""
            if in_history or of_year == year
            else f" (the domestic share is of {of_year}, the trade split of {year})"
        )
        method = (
            f"Foreign split (chokepoint import trade): the foreign {1 - current[importer]:.3g} "
            f"is divided by the origin of {importer}'s imports of HS {', '.join(node.hs)} in "
            f"{year} ({totals.flows.citation()}; US${total:,.0f}), by value, location basis "
            f"(where the goods were shipped from, not who owns the maker); origins under "
            f"{min_share:.0%} of the imports and codes naming no country are `other`; the "
            f"domestic {current[importer]:.3g} is the chain's own figure{mixed}."
        )
        note = raw.get("note")
        raw["note"] = f"{note} {method}" if isinstance(note, str) and note.strip() else method
        changed.append(node.id)
    return changed, warnings


def _raw_document(path: Path) -> dict[str, Any]:
    from .files import read_text
    from .yamlread import parse_yaml

    if path.suffix.lower() not in (".yaml", ".yml"):
        msg = f"{path}: import trade copies YAML chains; give the chain as a YAML file"
        raise ChokepointError(msg)
    value = parse_yaml(read_text(path), str(path)).value
    assert isinstance(value, dict)
    return value


def _to_yaml(document: dict[str, Any], chain: Path, flows: Flows) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        """Writes shares mappings and short lists in flow style."""

    def flow_map(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
        return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)

    def flow_list(dumper: yaml.SafeDumper, data: _FlowList) -> yaml.Node:
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)

    Dumper.add_representer(_Flow, flow_map)
    Dumper.add_representer(_FlowList, flow_list)
    styled = dict(document)
    if isinstance(styled.get("stages"), list):
        styled["stages"] = _FlowList(styled["stages"])
    styled["nodes"] = [_styled(n) for n in document.get("nodes", [])]
    body = yaml.dump(
        styled, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100,
        default_flow_style=False,
    )  # fmt: skip
    header = (
        f"# Written by `chokepoint import trade` from {chain.name} and {flows.path.name}:\n"
        "# nodes with `hs` codes have their foreign supply split by the origin of imports.\n"
    )
    return header + body


class _Flow(dict[Any, Any]):
    """A mapping written in flow style."""


class _FlowList(list[Any]):
    """A list written in flow style."""


def _styled(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    out = dict(node)
    for key in ("shares",):
        if isinstance(out.get(key), dict):
            out[key] = _Flow(out[key])
    if isinstance(out.get("history"), dict):
        out["history"] = {
            y: _Flow(v) if isinstance(v, dict) else v for y, v in out["history"].items()
        }
    for key in ("source", "hs"):
        if isinstance(out.get(key), list):
            out[key] = _FlowList(out[key])
    for key in ("suppliers", "inputs"):
        items = out.get(key)
        if isinstance(items, list):
            out[key] = [_Flow(i) if isinstance(i, dict) else i for i in items]
    return out
