"""Text forms of scenarios given on the command line: cuts, shocks, substitution, severity ranges.

``ORIGIN[:NODE[,NODE]]=SEVERITY``, ``NODE=SEVERITY``, ``NODE=VALUE``, ``START:STOP:STEP`` and the
Monte Carlo severity distributions (``uniform``, ``fixed:X``, ``beta:A,B``), read with bounds
(:mod:`chokepoint.io.numbers`): no NaN, no infinity, no subnormal steps, no control characters
(a newline inside an option is refused, not skipped), and a range of severities is counted before
it is built, so that ``0:1:1e-12`` is refused at once instead of filling memory. Errors name the
option and show the expected form.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable

from ..errors import ScenarioError
from ..model import Cut, Shock
from .numbers import NumberError, parse_float
from .schema import MAX_MONTHS

__all__ = [
    "check_months_distribution",
    "check_severity_distribution",
    "parse_cut",
    "parse_month_range",
    "parse_months",
    "parse_severities",
    "parse_shock",
    "parse_stock",
    "parse_stock_range",
    "parse_substitution",
]


_CUT = re.compile(
    r"[ ]*([A-Za-z][A-Za-z0-9_-]*)[ ]*(?::[ ]*([a-z0-9-]+(?:[ ]*,[ ]*[a-z0-9-]+)*))?[ ]*=[ ]*([^ ]+)[ ]*",
    re.ASCII,
)
_NODE_VALUE = re.compile(r"[ ]*([a-z0-9-]+)[ ]*=[ ]*([^ ]+)[ ]*", re.ASCII)
_FIXED = re.compile(r"fixed:([^,:]+)", re.ASCII)
_BETA = re.compile(r"beta:([^,:]+),([^,:]+)", re.ASCII)
_DURATIONS = re.compile(r"(fixed|uniform|triangular):([^:]+)", re.ASCII)
_DURATION_COUNTS = {"fixed": 1, "uniform": 2, "triangular": 3}
#: Longest option text shown back in a message.
_SHOWN = 60


def _shown(text: str) -> str:
    """The option's text for a message: control characters visible, long text shortened."""
    shown = text if len(text) <= _SHOWN else f"{text[:40]}...{text[-12:]}"
    if any(not ch.isprintable() for ch in shown):
        return repr(shown)
    return f"'{shown}'"


def _check_text(text: str, option: str, form: str) -> None:
    """Refuse empty text and control characters (a newline, a tab, an escape, a lone surrogate)."""
    if not text.strip():
        msg = f"{option} {_shown(text)} is empty; write {form}"
        raise ScenarioError(msg)
    if any(not ch.isprintable() or 0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        msg = f"{option} {_shown(text)} holds a control character; write {form} on one line"
        raise ScenarioError(msg)


def _severity(text: str, what: str) -> float:
    """A fraction in [0, 1] or a percentage; a number in (1, 100] is refused with the likely
    meaning, as the validator does for shares (``65`` -> ``65%``, or 0.65)."""
    percent = text.strip().endswith("%")
    try:
        value = parse_float(text.strip().removesuffix("%"), low=0, high=100 if percent else 1)
    except NumberError as error:
        hint = "write a number in [0, 1] or a percentage like 50%"
        with contextlib.suppress(NumberError):
            number = parse_float(text.strip(), low=0, high=100)
            if not percent and number > 1:
                hint = f"did you mean {number:g}% (or {number / 100:g})?"
        msg = f"{what}: {error}; {hint}"
        raise ScenarioError(msg) from None
    return value / 100 if percent else value


def parse_cut(text: str) -> Cut:
    """Parse ``ORIGIN[:NODE[,NODE...]]=SEVERITY`` (``JP:reducers=1``, ``JP=0.5``, ``EU:plc=50%``).

    >>> parse_cut("JP:reducers=1")
    Cut(origin='JP', severity=1.0, nodes=('reducers',), months=None)
    >>> parse_cut("JP:reducers=65")
    Traceback (most recent call last):
    ...
    chokepoint.errors.ScenarioError: --cut 'JP:reducers=65': '65' is outside [0, 1]; did you mean 65% (or 0.65)?
    """
    form = "ORIGIN=SEVERITY or ORIGIN:NODE=SEVERITY, e.g. --cut JP:reducers=1"
    _check_text(text, "--cut", form)
    match = _CUT.fullmatch(text)
    if not match:
        msg = (
            f"--cut {_shown(text)} is malformed; write ORIGIN=SEVERITY or ORIGIN:NODE=SEVERITY, "
            "e.g. --cut JP:reducers=1 or --cut JP=0.5"
        )
        raise ScenarioError(msg)
    origin, nodes, severity = match.groups()
    node_ids = tuple(n.strip() for n in nodes.split(",")) if nodes else ()
    return Cut(origin, _severity(severity, f"--cut {_shown(text)}"), node_ids)


def parse_shock(text: str) -> Shock:
    """Parse ``NODE=SEVERITY`` (``reducers=0.3``)."""
    _check_text(text, "--shock", "NODE=SEVERITY, e.g. --shock reducers=0.3")
    match = _NODE_VALUE.fullmatch(text)
    if not match:
        msg = f"--shock {_shown(text)} is malformed; write NODE=SEVERITY, e.g. --shock reducers=0.3"
        raise ScenarioError(msg)
    return Shock(match.group(1), _severity(match.group(2), f"--shock {_shown(text)}"))


def parse_substitution(text: str) -> tuple[str, float]:
    """Parse ``NODE=VALUE`` (``reducers=0.5``)."""
    _check_text(text, "--substitution", "NODE=VALUE, e.g. --substitution reducers=0.5")
    match = _NODE_VALUE.fullmatch(text)
    if not match:
        msg = (
            f"--substitution {_shown(text)} is malformed; write NODE=VALUE, "
            "e.g. --substitution reducers=0.5"
        )
        raise ScenarioError(msg)
    return match.group(1), _severity(match.group(2), f"--substitution {_shown(text)}")


def parse_stock(text: str) -> tuple[str, float]:
    """Parse ``NODE=MONTHS`` (``reducers=3``): a stock of that many months of normal use.

    >>> parse_stock("reducers=3")
    ('reducers', 3.0)
    >>> parse_stock("reducers=-1")
    Traceback (most recent call last):
    ...
    chokepoint.errors.ScenarioError: --stock 'reducers=-1': '-1' is outside [0, 1200]; write a number of months from 0 to 1,200
    """
    form = "NODE=MONTHS, e.g. --stock reducers=3"
    _check_text(text, "--stock", form)
    match = _NODE_VALUE.fullmatch(text)
    if not match:
        msg = f"--stock {_shown(text)} is malformed; write {form}"
        raise ScenarioError(msg)
    return match.group(1), _months(match.group(2), f"--stock {_shown(text)}", low=0.0)


def parse_months(text: str, option: str = "--months") -> float:
    """Parse a duration or horizon in months, above 0 and at most 1,200 (``6``, ``1.5``).

    >>> parse_months("6")
    6.0
    >>> parse_months("0")
    Traceback (most recent call last):
    ...
    chokepoint.errors.ScenarioError: --months '0': must be above 0 (a number of months up to 1,200)
    """
    _check_text(text, option, f"a number of months, e.g. {option} 6")
    value = _months(text, f"{option} {_shown(text)}", low=0.0)
    if value <= 0:
        msg = f"{option} {_shown(text)}: must be above 0 (a number of months up to {MAX_MONTHS:,})"
        raise ScenarioError(msg)
    return value


def _months(text: str, what: str, low: float) -> float:
    try:
        return parse_float(text.strip(), low=low, high=MAX_MONTHS)
    except NumberError as error:
        msg = f"{what}: {error}; write a number of months from {low:g} to {MAX_MONTHS:,}"
        raise ScenarioError(msg) from None


def parse_severities(
    text: str, *, limit: int | None = None, raise_with: str = ""
) -> tuple[float, ...]:
    """Parse ``START:STOP:STEP`` (both ends included) or a single value.

    Each part is a number in [0, 1] or a percentage (``0:100%:10%``); STEP is above 0. The number
    of values, round((STOP - START) / STEP) + 1, is checked against ``limit``
    before any is built.

    Parameters
    ----------
    text
        The option's text.
    limit
        The most values allowed (None: no ceiling).
    raise_with
        How to raise the ceiling, named in the message (an option or environment variable).

    Raises
    ------
    ScenarioError
        Naming ``--severity``, for an empty or malformed range, a number out of range, or more
        values than ``limit``.

    >>> parse_severities("0:1:0.25")
    (0.0, 0.25, 0.5, 0.75, 1.0)
    >>> parse_severities("0.3")
    (0.3,)
    >>> parse_severities("0:1:1e-12", limit=10_000)
    Traceback (most recent call last):
    ...
    chokepoint.errors.ScenarioError: --severity '0:1:1e-12' gives 1,000,000,000,001 severities, above the ceiling of 10,000; use a larger STEP
    """
    form = "START:STOP:STEP (e.g. 0:1:0.1) or one value in [0, 1]"
    return _steps(text, "--severity", form, "severities", _severity, limit, raise_with)


def parse_month_range(
    text: str, option: str = "--months", *, limit: int | None = None, raise_with: str = ""
) -> tuple[float, ...]:
    """Parse months as ``START:STOP:STEP`` (both ends included) or one value, each 0 to 1,200.

    The range form of :func:`parse_severities` for durations and stocks in months; 0 is allowed
    (no disruption, or no stock).

    >>> parse_month_range("0:12:4")
    (0.0, 4.0, 8.0, 12.0)
    >>> parse_month_range("0:12:0", option="--stock reducers=")
    Traceback (most recent call last):
    ...
    chokepoint.errors.ScenarioError: --stock reducers= '0:12:0': STEP must be > 0 and START <= STOP
    """
    form = "START:STOP:STEP (e.g. 0:12:1) or one number of months from 0 to 1,200"
    return _steps(
        text, option, form, "values", lambda part, what: _months(part, what, 0.0), limit, raise_with
    )


def parse_stock_range(
    text: str, *, limit: int | None = None, raise_with: str = ""
) -> tuple[str, tuple[float, ...]]:
    """Parse ``NODE=MONTHS`` or ``NODE=START:STOP:STEP`` (``reducers=0:6:1``): stocks to try.

    >>> parse_stock_range("reducers=0:6:2")
    ('reducers', (0.0, 2.0, 4.0, 6.0))
    >>> parse_stock_range("reducers=3")
    ('reducers', (3.0,))
    """
    form = "NODE=MONTHS or NODE=START:STOP:STEP, e.g. --stock reducers=0:6:1"
    _check_text(text, "--stock", form)
    match = _NODE_VALUE.fullmatch(text)
    if not match:
        msg = f"--stock {_shown(text)} is malformed; write {form}"
        raise ScenarioError(msg)
    node = match.group(1)
    return node, parse_month_range(
        match.group(2), f"--stock {node}=", limit=limit, raise_with=raise_with
    )


def _steps(
    text: str,
    option: str,
    form: str,
    noun: str,
    value: Callable[[str, str], float],
    limit: int | None,
    raise_with: str,
) -> tuple[float, ...]:
    """``START:STOP:STEP`` or one value, each part read by ``value(part, what)``; counted first."""
    _check_text(text, option, form)
    parts = text.split(":")
    if len(parts) == 1:
        return (value(parts[0], option),)
    if len(parts) != 3:
        msg = f"{option} {_shown(text)} must be {form}"
        raise ScenarioError(msg)
    start, stop = (value(p, option) for p in parts[:2])
    step = value(parts[2], f"{option} {_shown(text)}: STEP")
    if step <= 0 or stop < start:
        msg = f"{option} {_shown(text)}: STEP must be > 0 and START <= STOP"
        raise ScenarioError(msg)
    span = (stop - start) / step
    if not math.isfinite(span):
        msg = f"{option} {_shown(text)}: STEP is too small to count the {noun}; use a larger STEP"
        raise ScenarioError(msg)
    count = int(round(span))
    if limit is not None and count + 1 > limit:
        how = f" ({raise_with})" if raise_with else ""
        msg = (
            f"{option} {_shown(text)} gives {count + 1:,} {noun}, above the ceiling of "
            f"{limit:,}{how}; use a larger STEP"
        )
        raise ScenarioError(msg)
    values = [round(start + k * step, 12) for k in range(count + 1)]
    if values[-1] < stop - 1e-9:
        values.append(stop)
    return tuple(min(v, stop) for v in values)


def check_severity_distribution(text: str) -> str:
    """Check a Monte Carlo severity distribution, ``uniform``, ``fixed:X`` or ``beta:A,B``.

    X is in [0, 1]; A and B are in (0, 10^6]. Returns the text unchanged (the core reads it).

    >>> check_severity_distribution("beta:2,5")
    'beta:2,5'
    """
    form = "uniform, fixed:X with X in [0, 1], or beta:A,B with A, B in (0, 1e6] (e.g. beta:2,5)"
    _check_text(text, "--severity", form)
    compact = text.strip()
    if compact == "uniform":
        return text
    fixed, beta = _FIXED.fullmatch(compact), _BETA.fullmatch(compact)
    try:
        if fixed:
            parse_float(fixed.group(1), low=0, high=1)
            return text
        if beta:
            if min(parse_float(part, low=0, high=1e6) for part in beta.groups()) > 0:
                return text
            msg = f"--severity {_shown(text)}: A and B must be above 0; write {form}"
            raise ScenarioError(msg)
    except NumberError as error:
        msg = f"--severity {_shown(text)}: {error}; write {form}"
        raise ScenarioError(msg) from None
    msg = f"--severity {_shown(text)} is malformed; write {form}"
    raise ScenarioError(msg)


def check_months_distribution(text: str) -> str:
    """Check a Monte Carlo duration distribution, ``fixed:M``, ``uniform:A,B`` or
    ``triangular:A,C,B``, in months above 0 and at most 1,200, with ``A < B`` and
    ``A <= C <= B``. Returns the text unchanged (the core reads it).

    >>> check_months_distribution("uniform:1,12")
    'uniform:1,12'
    >>> check_months_distribution("uniform:12,1")
    Traceback (most recent call last):
    ...
    chokepoint.errors.ScenarioError: --months-dist 'uniform:12,1': need A < B and A <= C <= B; write fixed:M, uniform:A,B or triangular:A,C,B in months (0, 1200] (e.g. uniform:1,12)
    """
    form = (
        f"fixed:M, uniform:A,B or triangular:A,C,B in months (0, {MAX_MONTHS}] (e.g. uniform:1,12)"
    )
    _check_text(text, "--months-dist", form)
    match = _DURATIONS.fullmatch(text.strip().replace(" ", ""))
    parts = match.group(2).split(",") if match else []
    if not match or len(parts) != _DURATION_COUNTS[match.group(1)]:
        msg = f"--months-dist {_shown(text)} is malformed; write {form}"
        raise ScenarioError(msg)
    try:
        values = [parse_float(part, low=0, high=MAX_MONTHS) for part in parts]
    except NumberError as error:
        msg = f"--months-dist {_shown(text)}: {error}; write {form}"
        raise ScenarioError(msg) from None
    low, high = values[0], values[-1]
    if min(values) <= 0:
        msg = f"--months-dist {_shown(text)}: durations must be above 0; write {form}"
        raise ScenarioError(msg)
    if len(values) > 1 and not (low < high and low <= values[len(values) // 2] <= high):
        msg = f"--months-dist {_shown(text)}: need A < B and A <= C <= B; write {form}"
        raise ScenarioError(msg)
    return text
