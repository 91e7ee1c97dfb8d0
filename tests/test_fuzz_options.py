"""Property-based tests of the option parser: random text and numbers for every numeric option and
every scenario form. The only outcomes allowed are exit 0, or exit 2 with a message (naming the
option when the value itself is wrong); never exit 1 (a bug) or a traceback.

Derandomized (a fixed seed) and bounded: about 800 invocations, under 60 s on 2 cores.
Valid values stay cheap: the commands run on tests/data/valid/mini.yaml, with --max-samples and
--max-nodes lowered so that a large valid number is refused by its ceiling instead of run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from chokepoint.cli import app
from chokepoint.errors import ChokepointError
from chokepoint.io.forms import (
    check_severity_distribution,
    parse_cut,
    parse_severities,
    parse_shock,
    parse_substitution,
)
from chokepoint.io.numbers import NumberError, parse_float, parse_int

MINI = str(Path(__file__).parent / "data" / "valid" / "mini.yaml")
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

HOSTILE = [
    "", " ", "\n", "\t1", "1\n", "nan", "NaN", "-nan", "inf", "-inf", "infinity", "1e309", "-1e309",
    "1e-320", "4.9e-324", "1e-7", "1e-12", "0", "-0", "-0.0", "+1", "1.", ".5", "0x10", "1_000",
    "1,5", "²", "①", "٣", "１", "9" * 70, "9" * 5000, "0." + "0" * 60, "0" * 60, "1e", "e1",
    "--help", "-1", "[/]", "\x00", "\ud800", "50%", "1%", "100%", "101%",
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=24),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=0, max_value=1).map(str),
)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=ENV)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{args!r} raised {result.exception!r}") from result.exception
    return result.exit_code, result.stderr


def checked_by(parse: Callable[[str], object]) -> Callable[[str], bool]:
    def valid(text: str) -> bool:
        try:
            parse(text)
        except (NumberError, ChokepointError):
            return False
        return True

    return valid


def whole(low: int | None, high: int | None = None) -> Callable[[str], bool]:
    return checked_by(lambda t: parse_int(t, low=low, high=high))


def fraction(text: str) -> bool:
    return checked_by(lambda t: parse_float(t, low=0, high=1))(text)


def assert_outcome(args: tuple[str, ...], option: str, valid: bool) -> None:
    code, err = invoke(*args)
    assert code in (0, 2), (args, code, err)
    assert "Traceback" not in err
    if code == 2:
        assert err.strip(), args
    if not valid:
        assert code == 2, (args, err)
        assert option in err, (args, err)


NUMERIC = [
    # (option, fixed arguments before it, validity of the value)
    ("--top", ("analyze", MINI, "-f", "json"), whole(1, 1_000_000)),
    ("--min-dependence", ("analyze", MINI, "-f", "json"), fraction),
    ("--min-concentration", ("analyze", MINI, "-f", "json"), fraction),
    ("--year", ("analyze", MINI, "-f", "json"), whole(1900, 2100)),
    ("--samples", ("montecarlo", MINI, "--max-samples", "500", "--seed", "1", "-f", "json"), whole(1)),
    ("--max-samples", ("montecarlo", MINI, "--samples", "20", "--seed", "1", "-f", "json"), whole(1)),
    ("--seed", ("montecarlo", MINI, "--samples", "20", "-f", "json"), whole(0, 2**63 - 1)),
    ("--p-cut", ("montecarlo", MINI, "--samples", "20", "--seed", "1", "-f", "json"), fraction),
    ("--top", ("montecarlo", MINI, "--samples", "20", "--seed", "1"), whole(1, 1_000_000)),
    ("--max-rows", ("sweep", MINI, "--cut", "JP", "-f", "json"), whole(1)),
    ("--year", ("scenario", MINI, "--cut", "JP=1", "-f", "json"), whole(1900, 2100)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("option", "before", "valid"), NUMERIC, ids=[f"{b[0]} {o}" for o, b, _ in NUMERIC]
)
@FUZZ
@given(value=VALUES)
def test_numeric_options(
    option: str, before: tuple[str, ...], valid: Callable[[str], bool], value: str
) -> None:
    assert_outcome((*before, f"{option}={value}"), option, valid(value))


GENERATE = [
    ("--nodes", ("--max-nodes", "60"), whole(12)),
    ("--max-nodes", ("--nodes", "12"), whole(1)),
    ("--seed", ("--nodes", "12"), whole(0, 2**63 - 1)),
    ("--cycles", ("--nodes", "12"), fraction),
]


@pytest.mark.parametrize(("option", "extra", "valid"), GENERATE, ids=[g[0] for g in GENERATE])
@settings(parent=FUZZ, max_examples=30)
@given(value=VALUES)
def test_generate_options(
    tmp_path_factory: pytest.TempPathFactory,
    option: str,
    extra: tuple[str, ...],
    valid: Callable[[str], bool],
    value: str,
) -> None:
    target = tmp_path_factory.mktemp("gen") / "net.json"
    assert_outcome(
        ("generate", "-o", str(target), *extra, f"{option}={value}"), option, valid(value)
    )


FORM_TEXT = st.one_of(
    VALUES,
    st.text(alphabet="JPCNEU:=,.%-0123456789 reducersplc\n\tnan", max_size=24),
    st.builds(
        "{}:{}={}".format,
        st.sampled_from(["JP", "CN", "EU", "ZZ", "", "jp"]),
        st.sampled_from(["reducers", "plc", "robots,plc", "nope", "", "reducers,"]),
        VALUES,
    ),
    st.builds("{}={}".format, st.sampled_from(["reducers", "robots", "nope", "", "A"]), VALUES),
    st.builds("{}:{}:{}".format, VALUES, VALUES, VALUES),
    st.builds("fixed:{}".format, VALUES),
    st.builds("beta:{},{}".format, VALUES, VALUES),
)

FORMS = [
    ("--cut", ("scenario", MINI, "-f", "json"), parse_cut),
    ("--shock", ("scenario", MINI, "-f", "json"), parse_shock),
    ("--substitution", ("scenario", MINI, "--cut", "JP=1", "-f", "json"), parse_substitution),
    ("--severity", ("sweep", MINI, "--cut", "JP", "-f", "json"), lambda t: parse_severities(t, limit=10_000)),
    ("--severity", ("montecarlo", MINI, "--samples", "20", "--seed", "1", "-f", "json"), check_severity_distribution),
    ("--perspective", ("analyze", MINI, "-f", "json"), lambda t: t),
]  # fmt: skip


@pytest.mark.parametrize(
    ("option", "before", "parse"), FORMS, ids=[f"{b[0]} {o}" for o, b, _ in FORMS]
)
@FUZZ
@given(value=FORM_TEXT)
def test_scenario_forms(
    option: str, before: tuple[str, ...], parse: Callable[[str], object], value: str
) -> None:
    valid = checked_by(parse)(value)
    if option == "--perspective":
        valid = bool(value.strip()) and value.isprintable() and len(value) <= 64
    assert_outcome((*before, f"{option}={value}"), option, valid)
