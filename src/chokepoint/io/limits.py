"""Every limit on what an input may cost, with its default and the environment variable that raises it.

A chain file from someone else may be large by accident or hostile on purpose. Each input is
measured against these limits *before* the work it would cause (reading, inflating, parsing,
building), and a refusal names the limit, its default and the variable that raises it, e.g.
``file is 2,000 bytes, above the limit of 100 bytes (CHOKEPOINT_MAX_BYTES; default 50 MiB)``.

======================  ============================  ===========================================
limit                   environment variable          default
======================  ============================  ===========================================
YAML file size          ``CHOKEPOINT_MAX_BYTES``      50 MiB
JSON/CSV file size      ``CHOKEPOINT_MAX_BYTES``      1 GiB (each file; inflated size in a .zip)
line length             ``CHOKEPOINT_MAX_LINE``       1 MiB (YAML and CSV files)
rows of a CSV table     ``CHOKEPOINT_MAX_ROWS``       10,000,000
values in a document    ``CHOKEPOINT_MAX_VALUES``     20,000,000 (JSON and YAML)
alias expansion         ``CHOKEPOINT_MAX_ALIAS_BYTES`` 16 MiB of text added by YAML aliases
nesting depth           ``CHOKEPOINT_MAX_DEPTH``      64 levels
problems reported       ``max_errors`` argument       200 (the rest are counted by kind)
======================  ============================  ===========================================

>>> MAX_LINE.get()
1048576
>>> MAX_LINE.refusal("line 3 is 2,000,000 characters", 2_000_000)
'line 3 is 2,000,000 characters, above the limit of 1,048,576 characters (CHOKEPOINT_MAX_LINE; default 1 MiB): raise it with CHOKEPOINT_MAX_LINE=2000000 if the file is trusted'
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import SettingError
from .numbers import NumberError, parse_int

__all__ = [
    "DEFAULT_MAX_ERRORS",
    "MAX_ALIAS_BYTES",
    "MAX_BYTES_LARGE",
    "MAX_BYTES_YAML",
    "MAX_DEPTH",
    "MAX_LINE",
    "MAX_ROWS",
    "MAX_VALUES",
    "Limit",
    "env_int",
]

#: Problems listed before the rest are only counted (``max_errors`` of ``load_chain``).
DEFAULT_MAX_ERRORS = 200
#: No limit may be raised beyond this (about 1 PB): a bound that is still a number.
_CEILING = 1 << 50


def _size(n: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor and n % factor == 0:
            return f"{n // factor} {unit}"
    return f"{n:,}"


def env_int(name: str, default: int, *, low: int = 0, high: int = _CEILING) -> int:
    """Read environment variable ``name`` as a whole number in ``[low, high]``, or ``default``.

    An empty or unset variable gives ``default``; anything else that is not such a number is
    refused (never ignored: a typo should not silently leave a limit in place).

    Raises
    ------
    SettingError
        Naming the variable, its value and what it accepts.

    >>> os.environ["CHOKEPOINT_TEST_LIMIT"] = "²"
    >>> env_int("CHOKEPOINT_TEST_LIMIT", 5)
    Traceback (most recent call last):
    ...
    chokepoint.errors.SettingError: environment variable CHOKEPOINT_TEST_LIMIT: '²' is not a whole number written with the digits 0-9; set it to a whole number from 0 to 1,125,899,906,842,624, or unset it for the default (5)
    >>> del os.environ["CHOKEPOINT_TEST_LIMIT"]
    """
    text = os.environ.get(name, "")
    if not text.strip():
        return default
    try:
        return parse_int(text, low=low, high=high)
    except NumberError as exc:
        msg = (
            f"environment variable {name}: {exc}; set it to a whole number from {low:,} to "
            f"{high:,}, or unset it for the default ({default:,})"
        )
        raise SettingError(msg) from None


@dataclass(frozen=True, slots=True)
class Limit:
    """One limit: its default, the environment variable that changes it, and what it counts."""

    env: str
    default: int
    unit: str = ""
    binary: bool = False  # show the default as 50 MiB rather than 52,428,800

    def get(self, override: int | None = None) -> int:
        """The limit in force: ``override`` when given, else the environment, else the default."""
        if override is not None:
            return override
        return env_int(self.env, self.default, low=1)

    def refusal(self, what: str, needed: int | None = None, limit: int | None = None) -> str:
        """A message: ``what``, the limit, its default and how to raise it."""
        value = self.get() if limit is None else limit
        unit = f" {self.unit}" if self.unit else ""
        return f"{what}, above the limit of {value:,}{unit} {self.explain(needed)}"

    def explain(self, needed: int | None = None) -> str:
        """``(ENV; default D): raise it with ENV=N if the file is trusted``."""
        default = _size(self.default) if self.binary else f"{self.default:,}"
        raise_to = f"={needed}" if needed is not None else "=N"
        return (
            f"({self.env}; default {default}): raise it with {self.env}{raise_to} "
            "if the file is trusted"
        )


#: Largest YAML chain file, in bytes.
MAX_BYTES_YAML = Limit("CHOKEPOINT_MAX_BYTES", 50 * 1024 * 1024, "bytes", binary=True)
#: Largest JSON file, or file of the CSV form (counted as inflated inside a .zip), in bytes.
MAX_BYTES_LARGE = Limit("CHOKEPOINT_MAX_BYTES", 1 << 30, "bytes", binary=True)
#: Longest line of a YAML or CSV file, in characters (bytes of UTF-8).
MAX_LINE = Limit("CHOKEPOINT_MAX_LINE", 1 << 20, "characters", binary=True)
#: Most records in one CSV table.
MAX_ROWS = Limit("CHOKEPOINT_MAX_ROWS", 10_000_000, "rows")
#: Most values (numbers, texts, lists, mappings) in one YAML or JSON document.
MAX_VALUES = Limit("CHOKEPOINT_MAX_VALUES", 20_000_000, "values")
#: Most text that YAML aliases may add to a document, in bytes.
MAX_ALIAS_BYTES = Limit("CHOKEPOINT_MAX_ALIAS_BYTES", 16 << 20, "bytes", binary=True)
#: Deepest nesting of mappings and lists.
MAX_DEPTH = Limit("CHOKEPOINT_MAX_DEPTH", 64, "levels")
