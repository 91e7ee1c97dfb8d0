"""Finding chain files and loading them into the typed model, letting no bad input through.

Every problem becomes a :class:`~chokepoint.errors.Problem` naming file, line, column and key path,
with the likely fix where there is one; :func:`load_chain` collects the problems of a file (the
first ``max_errors``, counting the rest) and raises one :class:`~chokepoint.errors.ChainError`
listing them. Reading is bounded (:mod:`chokepoint.io.limits`), checking is
:mod:`chokepoint.io.check`, the JSON and CSV forms are :mod:`chokepoint.io.tabular` (the CSV form
first through the column-wise reader of :mod:`chokepoint.io.fastcsv`, which hands every input it
does not vouch for to the checked one); the rules are those of ``docs/chain-format.md``.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import ChainNotFoundError
from ..model import Chain, ScenarioSpec
from .check import SUM_TOLERANCE, Checker, check_document
from .files import read_text
from .limits import DEFAULT_MAX_ERRORS, MAX_BYTES_YAML
from .yamlread import parse_yaml

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ERRORS",
    "SUM_TOLERANCE",
    "chain_search_path",
    "check_document",
    "declared_name",
    "find_chain",
    "iter_chain_files",
    "load_chain",
    "load_scenarios",
    "read_text",
    "scenario_cut_lines",
]

#: Largest YAML chain file read, in bytes (override with ``CHOKEPOINT_MAX_BYTES`` or ``max_bytes``).
DEFAULT_MAX_BYTES = MAX_BYTES_YAML.default
CHAIN_SUFFIXES = (".yaml", ".yml")
#: Suffixes of the forms for large networks: the chain document as JSON, and a .zip of the CSV
#: form (whose unzipped form is a folder holding ``nodes.csv``); see ``docs/chain-format.md``.
LARGE_SUFFIXES = (".json", ".zip")


# --------------------------------------------------------------------------------------------
# Finding and reading files


def _packaged_chains() -> Path | None:
    folder = Path(__file__).resolve().parents[1] / "chains"
    return folder if folder.is_dir() else None


def chain_search_path() -> list[Path]:
    """Return the folders searched for chain names: ``CHOKEPOINT_PATH`` entries, then the shipped ones."""
    folders = [Path(p) for p in os.environ.get("CHOKEPOINT_PATH", "").split(os.pathsep) if p]
    shipped = _packaged_chains()
    if shipped is not None:
        folders.append(shipped)
    return folders


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False (not an exception) for a name the system cannot even look up."""
    try:
        return path.is_file()
    except OSError:  # a name over the file-name limit (ENAMETOOLONG), a loop of links
        return False


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return False


def _is_chain(path: Path) -> bool:
    """A chain file (YAML or JSON), a .zip of the CSV form, or a folder holding ``nodes.csv``."""
    if path.suffix in CHAIN_SUFFIXES or path.suffix in LARGE_SUFFIXES:
        return _is_file(path)
    return _is_dir(path) and _is_file(path / "nodes.csv")


def iter_chain_files() -> Iterator[Path]:
    """Yield every chain on the search path, first folder first, each name once.

    Chains are YAML files, JSON files, .zip files of the CSV form and folders holding
    ``nodes.csv`` (the CSV form).
    """
    seen: set[str] = set()
    for folder in chain_search_path():
        try:
            paths = sorted(folder.iterdir()) if _is_dir(folder) else []
        except OSError:  # unreadable folder: its chains cannot be listed
            continue
        for path in paths:
            if path.stem not in seen and _is_chain(path):
                seen.add(path.stem)
                yield path


#: Bytes of a chain file read to find the ``name:`` it declares (it comes near the top).
NAME_WINDOW = 1 << 16
_YAML_NAME = re.compile(
    r"""^name:[ \t]*(["']?)([a-z0-9]+(?:-[a-z0-9]+)*)\1[ \t]*(?:#.*)?$""", re.MULTILINE
)
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]')
_HEADERS = ("chain.yaml", "chain.yml", "chain.json")


def _head(path: Path) -> tuple[str, str] | None:
    """The first :data:`NAME_WINDOW` bytes of a chain's header text and its kind (yaml, json)."""
    try:
        if _is_dir(path):
            for header in _HEADERS:
                if _is_file(path / header):
                    return _head(path / header)
            return None
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    base = info.filename.rpartition("/")[2]
                    if base in _HEADERS and not info.flag_bits & 0x1:
                        with archive.open(info) as handle:
                            data = handle.read(NAME_WINDOW)
                        kind = "json" if base.endswith(".json") else "yaml"
                        return data.decode("utf-8", "replace"), kind
            return None
        with path.open("rb") as handle:
            data = handle.read(NAME_WINDOW)
    except (OSError, zipfile.BadZipFile, ValueError, NotImplementedError, EOFError, RuntimeError):
        return None  # unreadable: found by its file name only, and `validate` says why
    kind = "json" if path.suffix.lower() == ".json" else "yaml"
    return data.decode("utf-8", "replace"), kind


def declared_name(path: str | os.PathLike[str]) -> str | None:
    """The ``name:`` a chain declares, read from the top of its file; None when not found there.

    Only the first :data:`NAME_WINDOW` bytes are read: in YAML, a top-level ``name:`` line; in
    JSON, the top-level ``"name"`` key (keys nested in nodes are skipped); in the CSV form, the
    same in its ``chain.yaml`` or ``chain.json``. The chain is checked in full when loaded.

    >>> declared_name(find_chain("robots"))
    'robots'
    """
    found = _head(Path(path))
    if found is None:
        return None
    text, kind = found
    if kind == "yaml":
        match = _YAML_NAME.search(text)
        return match.group(2) if match else None
    try:
        return _json_name(text)
    except ValueError:  # a malformed string: the full check says where
        return None


def _json_name(text: str) -> str | None:
    """The top-level ``"name"`` of the start of a JSON document (nested keys skipped)."""
    depth, key, expect_value = 0, False, False
    for token in _JSON_TOKEN.finditer(text):
        item = token.group()
        if item in "{[":
            depth += 1
        elif item in "}]":
            depth -= 1
        elif item == ":":
            expect_value = key
        elif item == ",":
            key = expect_value = False
        elif depth == 1 and expect_value:
            value = json.loads(item)
            return value if isinstance(value, str) else None
        elif depth == 1:
            key = json.loads(item) == "name"
    return None


def _answering(folder: Path, text: str) -> list[Path]:
    """The chains in ``folder`` that answer to ``text``: by file name, or by declared name."""
    try:
        paths = sorted(folder.iterdir()) if _is_dir(folder) else []
    except OSError:
        return []
    return [
        path
        for path in paths
        if _is_chain(path) and (path.stem == text or declared_name(path) == text)
    ]


def find_chain(name_or_path: str | os.PathLike[str]) -> Path:
    """Return the file that a chain name or path refers to.

    A path that exists is taken as it is. Otherwise the name is looked for in every folder of
    ``CHOKEPOINT_PATH`` and then among the chains shipped with the package: a chain answers to
    its file name without the suffix (``NAME.yaml``, ``.yml``, ``.json``, ``.zip``, or a folder
    ``NAME`` holding ``nodes.csv``) and to the ``name:`` it declares (:func:`declared_name`).
    The first folder holding an answer wins; two answers in that folder are ambiguous.

    Raises
    ------
    ChainNotFoundError
        When nothing matches (the message lists the chains that exist and the likely one), or
        when two chains of one folder answer to the name (the message lists them with paths).
    """
    text = os.fspath(name_or_path)
    if not text.strip() or "\x00" in text:
        msg = f"{text!r} is not a chain name or path; give a file, a folder or a chain name"
        raise ChainNotFoundError(msg)
    path = Path(text)
    if _exists(path):
        return path
    looks_like_path = (
        os.sep in text
        or "/" in text
        or path.suffix in CHAIN_SUFFIXES
        or path.suffix in LARGE_SUFFIXES
    )
    if not looks_like_path:
        for folder in chain_search_path():
            found = _answering(folder, text)
            if len(found) == 1:
                return found[0]
            if found:
                listed = "; ".join(
                    f"{p} ({'file name' if p.stem == text else 'name: ' + text})" for p in found
                )
                msg = (
                    f"chain name '{text}' is ambiguous: {len(found)} chains in {folder} answer "
                    f"to it: {listed}; give the path of the one you mean, or rename one"
                )
                raise ChainNotFoundError(msg)
    files = list(iter_chain_files())
    known = sorted({p.stem for p in files} | {n for p in files if (n := declared_name(p))})
    hint = ""
    close = difflib.get_close_matches((path.stem if looks_like_path else text)[:200], known, n=1)
    if close:
        hint = f"; did you mean '{close[0]}'?"
    what = "no such file" if looks_like_path else "no chain named"
    available = ", ".join(known) or "none"
    shown = text if len(text) <= 200 else f"{text[:100]}...{text[-20:]} ({len(text):,} characters)"
    msg = (
        f"{what} '{shown}'{hint} (known chains: {available}; "
        "add folders to CHOKEPOINT_PATH to find your own)"
    )
    raise ChainNotFoundError(msg)


def load_chain(
    path_or_name: str | os.PathLike[str],
    *,
    max_bytes: int | None = None,
    max_errors: int = DEFAULT_MAX_ERRORS,
) -> Chain:
    """Load and check a chain file, given as a path or a chain name.

    Three forms hold the same document and pass the same checks (``docs/chain-format.md``):
    a YAML file; the same document as JSON (``.json``, read by the standard library, for large
    networks); and the CSV form, a folder (or ``.zip``) holding ``chain.yaml`` or ``chain.json``
    (every top-level key but ``nodes``), ``nodes.csv``, ``shares.csv`` and ``edges.csv``, whose
    problems name the CSV file, line and column.

    Parameters
    ----------
    path_or_name
        A file or folder path, or the name of a chain on ``CHOKEPOINT_PATH`` or shipped with
        the package.
    max_bytes
        Refuse larger files (default 50 MiB for YAML, 1 GiB for each JSON or CSV file, or
        ``CHOKEPOINT_MAX_BYTES``). The other limits (line length, rows, values, aliases,
        nesting) are listed in :mod:`chokepoint.io.limits`.
    max_errors
        List at most this many problems (default 200); the last line of the error then counts
        the others by kind.

    Returns
    -------
    Chain
        The typed, checked chain.

    Raises
    ------
    ChainNotFoundError
        When no file matches.
    ChainError
        Listing the problems found in the file (every one up to ``max_errors``).
    SettingError
        When a ``CHOKEPOINT_*`` limit variable is not a whole number.

    Examples
    --------
    >>> chain = load_chain("robots")
    >>> chain.perspective
    'CN'
    """
    path = find_chain(path_or_name)
    if path.suffix.lower() == ".zip" or _is_file(path / "nodes.csv"):
        from .fastcsv import load_csv_form

        return load_csv_form(path, max_bytes=max_bytes, max_errors=max_errors)
    if path.suffix.lower() in LARGE_SUFFIXES:
        from .tabular import load_large

        return load_large(path, max_bytes=max_bytes, max_errors=max_errors)
    text = read_text(path, max_bytes)
    return check_document(parse_yaml(text, str(path)), path=str(path), max_errors=max_errors)


def load_scenarios(path: str | os.PathLike[str], chain: Chain) -> dict[str, ScenarioSpec]:
    """Load named scenarios for ``chain`` from a file holding one key, ``scenarios:``.

    The entries have the form of a chain file's ``scenarios:`` section and are checked against
    the chain's nodes and regions with the same rules and messages.

    Raises
    ------
    ChainNotFoundError
        When the file does not exist.
    ChainError
        Listing every problem in the file.
    """
    file = Path(path)
    if not _exists(file):
        msg = f"no such scenario file '{file}'"
        raise ChainNotFoundError(msg)
    doc = parse_yaml(read_text(file), str(file))
    checker = Checker(doc)
    checker.regions = dict(chain.regions)
    checker.node_ids = {n.id for n in chain.nodes}
    root = doc.value
    specs: dict[str, ScenarioSpec] = {}
    if not isinstance(root, dict) or "scenarios" not in root:
        checker.error(
            (), "a scenario file holds one key, `scenarios:`, in the form of a chain file's"
        )
    else:
        for key in root:
            if key != "scenarios":
                checker.error((key,), f"unknown key '{key}' in a scenario file (only `scenarios`)")
        specs = checker.check_scenarios(root["scenarios"])
    if checker.problems:
        raise checker.problems.error(str(file))
    return specs


def scenario_cut_lines(
    path: str | os.PathLike[str], specs: dict[str, ScenarioSpec]
) -> dict[tuple[str, int], int]:
    """The line of each cut of a scenario file loaded by :func:`load_scenarios`.

    Keyed by (scenario name, index of the cut in its ``cuts:``), so that a check made later (a
    cut without ``months`` where a duration is needed) names the cut's line.
    """
    doc = parse_yaml(read_text(Path(path)), str(path))
    return {
        (name, k): doc.line(("scenarios", name, "cuts", k))
        for name, spec in specs.items()
        for k in range(len(spec.cuts))
    }
