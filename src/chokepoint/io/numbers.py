"""Numbers read with bounds: from files, options and environment variables alike.

Python's ``int()`` and ``float()`` accept more than a chain, an option or a limit should: digits of
any script (``"²"``, ``"①"`` pass ``str.isdigit()`` and then fail ``int()``), text of any length
(integer text over 4,300 digits raises), integers beyond float range (``float(10**400)`` raises
``OverflowError``), ``nan`` and ``inf``. Every number the tool reads goes through one of these
functions, which either return a finite number within the stated range or raise
:class:`NumberError` with a message saying what was wrong; the caller adds the file, line and key
or the option.

>>> parse_float("0.25", low=0, high=1)
0.25
>>> parse_int("12", low=1)
12
>>> check_number(10**400)
Traceback (most recent call last):
...
chokepoint.io.numbers.NumberError: 1000...0 (401 digits) is beyond the range of a number
"""

from __future__ import annotations

import math
import re

__all__ = [
    "MAX_NUMBER_TEXT",
    "LongInteger",
    "NumberError",
    "check_number",
    "parse_float",
    "parse_int",
]

#: The longest text read as a number; longer text is refused before it is converted.
MAX_NUMBER_TEXT = 64

_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)


class NumberError(ValueError):
    """A text or value that is not a finite number in the allowed range."""


class LongInteger(float):
    """Integer text too long to convert (``int()`` refuses over 4,300 digits), kept for a message.

    Parsers of JSON and CSV return it in place of the number, so that the checks refuse it with
    the key's place instead of the parser failing without one.

    >>> LongInteger("9" * 5000)
    an integer of 5,000 digits
    >>> check_number(LongInteger("9" * 5000))
    Traceback (most recent call last):
    ...
    chokepoint.io.numbers.NumberError: an integer of 5,000 digits is beyond the range of a number
    """

    digits: int

    def __new__(cls, text: str) -> LongInteger:
        self = super().__new__(cls, -math.inf if text.lstrip().startswith("-") else math.inf)
        self.digits = sum(ch.isdigit() for ch in text)
        return self

    def __repr__(self) -> str:
        return f"an integer of {self.digits:,} digits"

    __str__ = __repr__


def _shown(text: str) -> str:
    if len(text) <= 24:
        return repr(text)
    return f"{text[:8]!r}...{text[-4:]!r} ({len(text):,} characters)"


def _range(value: float, low: float | None, high: float | None, shown: str) -> None:
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        msg = f"{shown} is outside [{lo}, {hi}]"
        raise NumberError(msg)


def parse_float(text: str, *, low: float | None = None, high: float | None = None) -> float:
    """Read ``text`` as a finite decimal number in ``[low, high]``.

    Only ASCII digits, one sign, one point and one exponent are accepted, at most
    :data:`MAX_NUMBER_TEXT` characters; ``nan``, ``inf`` and values that overflow to infinity or
    underflow to a subnormal are refused.

    Raises
    ------
    NumberError
        Saying what is wrong with the text.

    >>> parse_float("1e-320")
    Traceback (most recent call last):
    ...
    chokepoint.io.numbers.NumberError: '1e-320' is too small to be told from 0; write 0 or a larger value
    """
    stripped = text.strip()
    if len(stripped) > MAX_NUMBER_TEXT:
        msg = f"{_shown(stripped)} is too long to be a number"
        raise NumberError(msg)
    if not _FLOAT.fullmatch(stripped):
        msg = f"{_shown(stripped)} is not a number"
        raise NumberError(msg)
    value = float(stripped)
    if math.isinf(value):
        msg = f"{_shown(stripped)} is beyond the range of a number"
        raise NumberError(msg)
    if value != 0.0 and abs(value) < 2.2250738585072014e-308:
        msg = f"{_shown(stripped)} is too small to be told from 0; write 0 or a larger value"
        raise NumberError(msg)
    _range(value, low, high, _shown(stripped))
    return value


def parse_int(text: str, *, low: int | None = None, high: int | None = None) -> int:
    """Read ``text`` as a whole number of ASCII digits in ``[low, high]``.

    >>> parse_int("²")
    Traceback (most recent call last):
    ...
    chokepoint.io.numbers.NumberError: '²' is not a whole number written with the digits 0-9
    """
    stripped = text.strip()
    if len(stripped) > MAX_NUMBER_TEXT:
        msg = f"{_shown(stripped)} is too long to be a number"
        raise NumberError(msg)
    if not _INT.fullmatch(stripped):
        msg = f"{_shown(stripped)} is not a whole number written with the digits 0-9"
        raise NumberError(msg)
    value = int(stripped)
    _range(value, low, high, _shown(stripped))
    return value


def check_number(value: float, *, low: float | None = None, high: float | None = None) -> float:
    """Check a number already parsed (by YAML or JSON) and return it as a float.

    Integers beyond float range, ``nan`` and infinities are refused.

    >>> check_number(3, low=0)
    3.0
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{value!r} is not a number"
        raise NumberError(msg)
    if isinstance(value, LongInteger):
        msg = f"{value!r} is beyond the range of a number"
        raise NumberError(msg)
    if isinstance(value, int):
        if value.bit_length() > 1023:
            digits = len(str(value)) if value.bit_length() < 14_000 else None
            shown = f"{str(value)[:4]}...0 ({digits} digits)" if digits else "an integer"
            msg = f"{shown} is beyond the range of a number"
            raise NumberError(msg)
        number = float(value)
    else:
        number = value
    if math.isnan(number) or math.isinf(number):
        msg = f"{number!r} is not a finite number"
        raise NumberError(msg)
    _range(number, low, high, repr(value) if isinstance(value, float) else str(value))
    return number
