"""Property tests: random chains and random damage in every input form (YAML, JSON, CSV, zip).

The only outcomes allowed are a loaded chain whose texts can be printed and whose figures are
finite, or a :class:`~chokepoint.errors.ChokepointError` whose problems are located: the file
(inside a .zip, the archive and the member), a line and a column. Hypothesis runs with a fixed
seed (``derandomize=True``) and a budget that keeps the module under a minute; set
``CHOKEPOINT_FUZZ_EXAMPLES`` to run more examples locally, and ``CHOKEPOINT_FUZZ_RANDOM=1`` to
draw them from a random seed instead.
"""

from __future__ import annotations

import copy
import io
import json
import math
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from chokepoint import load_chain
from chokepoint.cli import app
from chokepoint.errors import ChainError, ChokepointError
from chokepoint.io.tabular import _csv_text, dump_json, to_tables
from chokepoint.model import Chain

EXAMPLES = int(os.environ.get("CHOKEPOINT_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=not os.environ.get("CHOKEPOINT_FUZZ_RANDOM"),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

STAGES = ["up", "mid", "down"]
ORIGINS = ["CN", "JP", "US", "DE", "TW", "EU", "other"]
#: Text dropped into files: syntax, numbers no parser should choke on, odd characters.
TOKENS = [
    "\n",
    ":",
    ": ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    '"',
    "'",
    ",",
    "&a ",
    "*a",
    "!!str ",
    "!!python/object ",
    "<<: *a",
    "---\n",
    "#",
    "\t",
    "1" + "0" * 400,
    "9" * 5000,
    "-" + "9" * 400,
    ".nan",
    ".inf",
    "NaN",
    "Infinity",
    "1e999",
    "1e-320",
    "-1",
    "2",
    "100",
    "65%",
    "1e400%",
    "²",
    "①",
    "２０１４",
    "\\ud800",
    "\\udc00",
    "\\ud83d\\ude00",
    "\\\\ud800",
    "\x00",
    "\x07",
    "\x85",
    "\u2028",
    "\ufeff",
    "é",
    "null",
    "true",
    "JPN",
    "2014",
    "0.5",
    ";",
    "[/]",
    "x" * 300,
]
#: Values put into a document before it is written.
VALUES: list[Any] = [
    10**400,
    -(10**400),
    float("nan"),
    float("inf"),
    -1,
    2,
    1.5,
    "²",
    "",
    " ",
    None,
    True,
    [],
    {},
    [1, [2, [3]]],
    "65%",
    "n0",
    "ghost",
    "1" * 5000,
    "\u2028",
]
ARCHIVE_LEVEL = (
    "cannot read",
    "holds chain tables in more than one folder",
    "the CSV form needs",
    "holds chain.yaml and chain.json",
    "is a folder, not a chain file",
)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """A chain document that is valid unless a value is replaced later."""
    count = draw(st.integers(1, 6))
    nodes: list[dict[str, Any]] = []
    for k in range(count):
        node: dict[str, Any] = {"id": f"n{k}", "name": f"Node {k}", "stage": STAGES[k % 3]}
        if k == 0 or draw(st.booleans()):
            origins = draw(
                st.lists(st.sampled_from(ORIGINS[:5]), min_size=1, max_size=3, unique=True)
            )
            node["shares"] = {o: round(0.9 / len(origins), 3) for o in origins}
            node["source"] = "s"
            if draw(st.booleans()):
                node["history"] = {2014: {origins[0]: 0.5}}
        if k and draw(st.booleans()):
            chosen = draw(st.lists(st.integers(0, k - 1), unique=True, max_size=3))
            node["inputs"] = [
                {"node": f"n{i}", "cost_share": 0.1, "essential": draw(st.booleans())}
                for i in chosen
            ]
        nodes.append(node)
    document: dict[str, Any] = {
        "format": 1,
        "name": "net",
        "title": "A random network",
        "perspective": "CN",
        "year": 2020,
        "stages": list(STAGES),
        "regions": {"EU": ["DE", "FR"]},
        "sources": {"s": {"title": "Figures", "publisher": "tests", "year": 2025}},
        "nodes": nodes,
    }
    if draw(st.booleans()):
        document["stage_data"] = {
            "up": [{"period": 2020, "subsidy_amount": 5, "rd_intensity": 0.1, "source": "s"}]
        }
    if draw(st.booleans()):
        document["scenarios"] = {
            "cut": {"title": "Cut", "cuts": [{"origin": "JP", "severity": 0.5, "nodes": ["n0"]}]}
        }
    return document


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


@st.composite
def damaged_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A document with up to two values replaced by hostile ones."""
    document = draw(documents())
    for _ in range(draw(st.integers(0, 2))):
        paths = [p for p in _paths(document) if p]
        path = draw(st.sampled_from(paths))
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(VALUES)))
    return document


@st.composite
def damaged_text(draw: st.DrawFn, text: str) -> str:
    """``text`` with a few insertions, deletions, replacements, duplicated lines or a cut."""
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "line", "cut"]))
        at = draw(st.integers(0, len(text)))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        elif kind == "replace":
            token = draw(st.sampled_from(TOKENS))
            text = text[:at] + token + text[at + len(token) :]
        elif kind == "line":
            lines = text.splitlines(keepends=True) or [""]
            k = draw(st.integers(0, len(lines) - 1))
            text = "".join([*lines[: k + 1], lines[k], *lines[k + 1 :]])
        else:
            text = text[:at]
    return text


@contextmanager
def _folder() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="chokepoint-fuzz-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _printable(text: str) -> None:
    text.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError


def _check_loaded(chain: Chain) -> None:
    _printable(json.dumps([chain.name, chain.title], ensure_ascii=False))
    for node in chain.nodes:
        _printable(node.id + node.name + node.stage)
        for share in (node.shares or {}).values():
            assert math.isfinite(share)
            assert 0 <= share <= 1
        for item in node.inputs:
            assert item.cost_share is None or 0 <= item.cost_share <= 1
    for figure in chain.stage_data:
        amount = figure.subsidy_amount
        assert amount is None or (math.isfinite(amount) and amount >= 0)


def _load(path: Path) -> Chain | ChainError:
    try:
        return load_chain(path)
    except ChainError as exc:
        return exc
    except ChokepointError as exc:  # pragma: no cover - a chain file never raises another kind
        pytest.fail(f"unexpected {type(exc).__name__}: {exc}")


def _outcome(path: Path, members: Path | None = None) -> None:
    """Load ``path``: a valid chain, or problems located in ``path`` (or its members)."""
    loaded = _load(path)
    if isinstance(loaded, Chain):
        _check_loaded(loaded)
        return
    assert loaded.problems
    for problem in loaded.problems:
        _printable(str(problem))
        if problem.line == 0:  # only the count of problems beyond the cap has no line
            assert problem.message.startswith("stopped listing after")
            continue
        assert problem.line >= 1, problem
        assert problem.column >= 1, problem
        if members is None:
            assert problem.file == str(path), problem
        elif problem.file == str(path):
            assert problem.message.startswith(ARCHIVE_LEVEL), problem
        else:
            assert problem.file.startswith(f"{members}/"), problem


def _json(document: dict[str, Any]) -> str:
    """The JSON form, one node per line when ``nodes`` is still a list."""
    try:
        return dump_json(document)
    except TypeError:  # `nodes` replaced by a value that is not a list
        return json.dumps(document)


def _yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1_000)


@FUZZ
@given(st.data())
def test_yaml_documents_and_damage(data: st.DataObject) -> None:
    document = data.draw(damaged_documents())
    text = data.draw(damaged_text(_yaml(document)))
    with _folder() as folder:
        path = folder / "net.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        _outcome(path)


@FUZZ
@given(st.data())
def test_json_documents_and_damage(data: st.DataObject) -> None:
    document = data.draw(damaged_documents())
    text = data.draw(damaged_text(_json(document)))
    with _folder() as folder:
        path = folder / "net.json"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        _outcome(path)


def _table_texts(document: dict[str, Any]) -> dict[str, str]:
    head = {k: v for k, v in document.items() if k != "nodes"}
    texts = {"chain.json": json.dumps(head)}
    for name, rows in to_tables(document).items():
        texts[name] = _csv_text(rows)
    return texts


def _valid_for_tables(document: dict[str, Any]) -> bool:
    try:
        to_tables(document)
        json.dumps(document)
    except (KeyError, TypeError, AttributeError, ValueError):
        return False
    return True


@st.composite
def table_texts(draw: st.DrawFn) -> dict[str, str]:
    document = draw(damaged_documents())
    if not _valid_for_tables(document):
        document = draw(documents())
    texts = _table_texts(document)
    name = draw(st.sampled_from(sorted(texts)))
    texts[name] = draw(damaged_text(texts[name]))
    return texts


@FUZZ
@given(table_texts())
def test_csv_folders_and_damage(texts: dict[str, str]) -> None:
    with _folder() as folder:
        net = folder / "net"
        net.mkdir()
        for name, text in texts.items():
            (net / name).write_text(text, encoding="utf-8", errors="surrogatepass")
        _outcome(net, members=net)


@FUZZ
@given(
    table_texts(),
    st.sampled_from(["", "net/", "a/b/"]),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 255)), max_size=3),
    st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED, zipfile.ZIP_BZIP2]),
    st.booleans(),
)
def test_zips_and_damage(
    texts: dict[str, str],
    folder_name: str,
    flips: list[tuple[int, int]],
    method: int,
    split: bool,
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for k, (name, text) in enumerate(texts.items()):
            where = f"other{k}/" if split and k == 2 else folder_name
            archive.writestr(where + name, text.encode("utf-8", "surrogatepass"))
    data = bytearray(buffer.getvalue())
    for at, mask in flips:
        data[at % len(data)] ^= mask
    with _folder() as folder:
        path = folder / "net.zip"
        path.write_bytes(bytes(data))
        _outcome(path, members=path)


@settings(FUZZ, max_examples=max(10, EXAMPLES // 4))
@given(damaged_documents())
def test_cli_validate_and_analyze(document: dict[str, Any]) -> None:
    """Through the CLI, a loaded chain analyses (exit 0) or the command exits 2, never 1."""
    runner = CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1"})
    with _folder() as folder:
        path = folder / "net.json"
        path.write_text(_json(document), encoding="utf-8", errors="surrogatepass")
        for command in (["validate", str(path)], ["analyze", str(path), "-f", "json"]):
            result = runner.invoke(app, command)
            assert result.exit_code in (0, 2), (command, result.output)
            if result.exit_code == 2:
                assert result.output.startswith("error: "), result.output
