"""Text forms of scenarios given on the command line: cuts, shocks, substitution, severity ranges.

``ORIGIN[:NODE[,NODE]]=SEVERITY``, ``NODE=SEVERITY``, ``NODE=VALUE`` and ``START:STOP:STEP``, read
with bounds (:mod:`chokepoint.io.numbers`); errors name the option and show the expected form.
"""

from __future__ import annotations

import re

from ..errors import ScenarioError
from ..model import Cut, Shock
from .numbers import NumberError, parse_float

__all__ = ["parse_cut", "parse_severities", "parse_shock", "parse_substitution"]


_CUT = re.compile(
    r"^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(?::\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*))?\s*=\s*(\S+)\s*$"
)
_NODE_VALUE = re.compile(r"^\s*([a-z0-9-]+)\s*=\s*(\S+)\s*$")


def _severity(text: str, what: str) -> float:
    percent = text.strip().endswith("%")
    try:
        value = parse_float(text.strip().removesuffix("%"), low=0, high=100 if percent else 1)
    except NumberError as error:
        msg = f"{what}: {error}; write a number in [0, 1] or a percentage like 50%"
        raise ScenarioError(msg) from None
    return value / 100 if percent else value


def parse_cut(text: str) -> Cut:
    """Parse ``ORIGIN[:NODE[,NODE...]]=SEVERITY`` (``JP:reducers=1``, ``JP=0.5``, ``EU:plc=50%``).

    >>> parse_cut("JP:reducers=1")
    Cut(origin='JP', severity=1.0, nodes=('reducers',))
    """
    match = _CUT.match(text)
    if not match:
        msg = (
            f"--cut '{text}' is malformed; write ORIGIN=SEVERITY or ORIGIN:NODE=SEVERITY, "
            "e.g. --cut JP:reducers=1 or --cut JP=0.5"
        )
        raise ScenarioError(msg)
    origin, nodes, severity = match.groups()
    node_ids = tuple(n.strip() for n in nodes.split(",")) if nodes else ()
    return Cut(origin, _severity(severity, f"--cut {text}"), node_ids)


def parse_shock(text: str) -> Shock:
    """Parse ``NODE=SEVERITY`` (``reducers=0.3``)."""
    match = _NODE_VALUE.match(text)
    if not match:
        msg = f"--shock '{text}' is malformed; write NODE=SEVERITY, e.g. --shock reducers=0.3"
        raise ScenarioError(msg)
    return Shock(match.group(1), _severity(match.group(2), f"--shock {text}"))


def parse_substitution(text: str) -> tuple[str, float]:
    """Parse ``NODE=VALUE`` (``reducers=0.5``)."""
    match = _NODE_VALUE.match(text)
    if not match:
        msg = f"--substitution '{text}' is malformed; write NODE=VALUE, e.g. --substitution reducers=0.5"
        raise ScenarioError(msg)
    return match.group(1), _severity(match.group(2), f"--substitution {text}")


def parse_severities(text: str) -> tuple[float, ...]:
    """Parse ``START:STOP:STEP`` (both ends included) or a single value.

    >>> parse_severities("0:1:0.25")
    (0.0, 0.25, 0.5, 0.75, 1.0)
    >>> parse_severities("0.3")
    (0.3,)
    """
    parts = text.split(":")
    if len(parts) == 1:
        return (_severity(parts[0], "--severity"),)
    if len(parts) != 3:
        msg = f"--severity '{text}' must be START:STOP:STEP (e.g. 0:1:0.1) or one value"
        raise ScenarioError(msg)
    start, stop = (_severity(p, "--severity") for p in parts[:2])
    try:
        step = float(parts[2])
    except ValueError:
        step = 0.0
    if step <= 0 or stop < start:
        msg = f"--severity '{text}': STEP must be > 0 and START <= STOP"
        raise ScenarioError(msg)
    count = int(round((stop - start) / step))
    values = [round(start + k * step, 12) for k in range(count + 1)]
    if values[-1] < stop - 1e-9:
        values.append(stop)
    return tuple(min(v, stop) for v in values)
