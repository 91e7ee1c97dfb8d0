"""Safe, located YAML reading: text -> plain Python values plus the line and column of every key.

``yaml.safe_load`` keeps the last of two equal keys without a word, expands aliases without limit
("billion laughs") and forgets where each value stood. This module builds the values itself from
PyYAML's event stream (the C parser when available), which lets it

* report duplicate keys with both positions;
* count how many values and bytes alias expansion would add and stop past a budget, before any
  expansion (bytes too: one 1 MB text aliased 20,000 times is only 20,000 values);
* refuse nesting deeper than a limit without recursion (the event stream is flat), and more
  values than a limit;
* refuse texts holding a lone surrogate (``"\\ud800"``), which no file or terminal can hold;
* remember the position of every key and list item, so that later checks can name the line.

Aliased values are shared, not copied, so memory never grows with expansion.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import ChainError, Problem
from .limits import MAX_ALIAS_BYTES, MAX_VALUES, Limit
from .limits import MAX_DEPTH as DEPTH_LIMIT

__all__ = [
    "ALIAS_VALUES",
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "SURROGATE",
    "Located",
    "Locator",
    "Path",
    "format_path",
    "parse_yaml",
]

Path = tuple[str | int, ...]

#: Values that aliases may add to a document before it is refused (default).
MAX_ALIAS_NODES = 100_000
#: The limit on values added by aliases, raised by ``CHOKEPOINT_MAX_ALIAS_VALUES``.
ALIAS_VALUES = Limit("CHOKEPOINT_MAX_ALIAS_VALUES", MAX_ALIAS_NODES, "values")
#: Deepest nesting of mappings and lists accepted by default (``CHOKEPOINT_MAX_DEPTH``).
MAX_DEPTH = DEPTH_LIMIT.default
#: A lone (unpaired) surrogate: text that cannot be encoded, printed or written.
SURROGATE = re.compile("[\ud800-\udfff]")

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALAR_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:timestamp",
}
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"
#: What YAML's reader refuses anywhere in a document (``yaml.reader.Reader.NON_PRINTABLE``).
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
#: Line breaks as YAML counts them.
_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
#: libyaml refuses more than 1000 nested flow collections while reading ahead, before the events
#: reach :class:`_Builder`; its message contains this.
_LIBYAML_DEPTH = "maximum nesting depth"


def format_path(path: Path) -> str:
    """Return ``("nodes", 3, "shares")`` as ``nodes[3].shares``.

    >>> format_path(("nodes", 3, "shares", "JP"))
    'nodes[3].shares.JP'
    """
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool) and out:
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


#: Finds ``(file, line, column)`` of a key path, or None to try the path's parent.
Locator = Callable[[Path], tuple[str, int, int] | None]


@dataclass
class Located:
    """A parsed document: its value and where each key path stood (1-based line and column).

    ``positions`` holds the paths of ``file`` that the parser recorded (every key and list item
    of a YAML file). ``locate``, when given, places other paths, possibly in other files: the CSV
    form maps ``nodes[3].inputs[2]`` to a line of ``edges.csv``, and the JSON form finds a path in
    the text only when a problem needs it. ``lazy`` says that ``locate`` is costly, so that
    nothing but a problem asks it (node line numbers are then left 0).
    """

    value: Any
    file: str
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    locate: Locator | None = None
    lazy: bool = False

    def place(self, path: Path) -> tuple[str, int, int]:
        """Return the file, line and column of ``path``, or of its nearest located ancestor."""
        while True:
            if path in self.positions:
                return (self.file, *self.positions[path])
            if self.locate is not None:
                found = self.locate(path)
                if found is not None:
                    return found
            if not path:
                return self.file, 1, 1
            path = path[:-1]

    def where(self, path: Path) -> tuple[int, int]:
        """Return the line and column of ``path``, or of its nearest located ancestor."""
        _, line, column = self.place(path)
        return line, column

    def line(self, path: Path) -> int:
        """The line of ``path`` when it is cheap to find (0 for a ``lazy`` locator)."""
        if self.lazy and path not in self.positions:
            return 0
        return self.where(path)[0]

    def problem(self, path: Path, message: str) -> Problem:
        """Return a :class:`Problem` located at ``path``."""
        file, line, column = self.place(path)
        return Problem(file, line, column, format_path(path), message)


@dataclass
class _Frame:
    value: dict[Any, Any] | list[Any]
    path: Path
    anchor: str | None
    size: int = 1
    nbytes: int = 1
    key: Any = None
    has_key: bool = False
    skip_value: bool = False
    key_mark: tuple[int, int] = (1, 1)
    mark: tuple[int, int] = (1, 1)


class _Builder:
    def __init__(self, file: str, located: Located) -> None:
        self.file = file
        self.located = located
        self.problems: list[Problem] = []
        self.anchors: dict[str, tuple[Any, int, int]] = {}
        self.stack: list[_Frame] = []
        self.aliased = 0
        self.aliased_bytes = 0
        self.values = 0
        self.max_depth = DEPTH_LIMIT.get()
        self.max_values = MAX_VALUES.get()
        self.max_alias_values = ALIAS_VALUES.get()
        self.max_alias_bytes = MAX_ALIAS_BYTES.get()
        self.documents = 0
        self.root: Any = None
        self._resolver = yaml.resolver.Resolver()
        self._constructor = yaml.constructor.SafeConstructor()

    def _mark(self, event: Any) -> tuple[int, int]:
        return event.start_mark.line + 1, event.start_mark.column + 1

    def _error(self, event: Any, path: Path, message: str) -> None:
        line, column = self._mark(event)
        self.problems.append(Problem(self.file, line, column, format_path(path), message))

    def _child_path(self) -> Path:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.value, list):
            return (*top.path, len(top.value))
        return (*top.path, top.key) if top.has_key else top.path

    def _scalar(self, event: Any) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self._resolver.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
        if tag == _VALUE_TAG:  # YAML 1.1 resolves a plain `=` to a tag no one implements
            tag = "tag:yaml.org,2002:str"
        if tag == _MERGE_TAG:
            self._error(
                event,
                self._child_path(),
                "YAML merge keys ('<<: *anchor') are not supported in chain files; "
                "write the keys out",
            )
            return event.value
        if tag not in _SCALAR_TAGS:
            self._error(event, self._child_path(), _unsupported_tag(tag))
            return event.value
        if not event.value.isascii() and SURROGATE.search(event.value):
            code = ord(SURROGATE.search(event.value).group())  # type: ignore[union-attr]
            self._error(
                event,
                self._child_path(),
                f"text holds a lone surrogate (\\u{code:04x}), which cannot be printed or "
                "written; remove the escape or write the character itself",
            )
            return "\ufffd"
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self._constructor.yaml_constructors[tag](self._constructor, node)
        # an explicit tag on a value it does not fit (`!!bool maybe`, `!!timestamp x`) fails
        # inside PyYAML's constructors with any of these
        except (ValueError, KeyError, AttributeError, TypeError, yaml.YAMLError) as exc:
            reason = f": {exc}" if isinstance(exc, ValueError | yaml.YAMLError) else ""
            self._error(
                event,
                self._child_path(),
                f"cannot read {event.value!r} as {_tag_name(tag)}{reason}",
            )
            return event.value

    def _attach(self, mark: tuple[int, int], value: Any, size: int, nbytes: int) -> None:
        """Add ``value``, which began at ``mark``, to the collection being built."""
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        top.size += size
        top.nbytes += nbytes
        if isinstance(top.value, list):
            self.located.positions.setdefault((*top.path, len(top.value)), mark)
            top.value.append(value)
            return
        if not top.has_key:
            top.key_mark = mark
            if isinstance(value, dict | list):
                message = "a mapping key must be a plain value, not a collection"
                self.problems.append(Problem(self.file, *mark, format_path(top.path), message))
                top.key, top.skip_value = None, True
            else:
                top.key, top.skip_value = value, False
            top.has_key = True
            return
        key, top.has_key = top.key, False
        if top.skip_value:
            return
        path = (*top.path, key)
        if key in top.value:
            first = self.located.positions.get(path, (0, 0))[0]
            line, column = top.key_mark
            self.problems.append(
                Problem(
                    self.file,
                    line,
                    column,
                    format_path(path),
                    f"duplicate key {key!r} at {format_path(top.path)} (first given on line "
                    f"{first}); YAML would keep only the last: remove or rename one",
                )
            )
            return
        self.located.positions[path] = top.key_mark
        top.value[key] = value

    def feed(self, event: Any) -> None:
        self.values += 1
        if self.values > self.max_values:
            what = f"the document holds more than {self.max_values:,} values"
            self._error(event, self._child_path(), MAX_VALUES.refusal(what, limit=self.max_values))
            raise _Abort
        if isinstance(event, yaml.ScalarEvent):
            value = self._scalar(event)
            nbytes = len(event.value) + 1
            if event.anchor:
                self.anchors[event.anchor] = (value, 1, nbytes)
            self._attach(self._mark(event), value, 1, nbytes)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            if len(self.stack) >= self.max_depth:
                self._error(
                    event,
                    self._child_path(),
                    f"nesting deeper than {self.max_depth} levels; a chain file never needs this "
                    + DEPTH_LIMIT.explain(),
                )
                raise _Abort
            if event.tag not in (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
                self._error(event, self._child_path(), _unsupported_tag(event.tag))
            path = self._child_path()
            if not self.stack:
                self.located.positions[()] = self._mark(event)
            container: dict[Any, Any] | list[Any] = (
                {} if isinstance(event, yaml.MappingStartEvent) else []
            )
            self.stack.append(_Frame(container, path, event.anchor, mark=self._mark(event)))
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            frame = self.stack.pop()
            if frame.anchor:
                self.anchors[frame.anchor] = (frame.value, frame.size, frame.nbytes)
            self._attach(frame.mark, frame.value, frame.size, frame.nbytes)
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                self._error(event, self._child_path(), f"unknown alias *{event.anchor}")
                raise _Abort
            value, size, nbytes = self.anchors[event.anchor]
            self.aliased += size
            self.aliased_bytes += nbytes
            if self.aliased > self.max_alias_values:
                self._error(
                    event,
                    self._child_path(),
                    f"aliases expand to more than {self.max_alias_values:,} values (a 'billion "
                    "laughs' document?); write the values out or use fewer nested aliases "
                    + ALIAS_VALUES.explain(),
                )
                raise _Abort
            if self.aliased_bytes > self.max_alias_bytes:
                what = (
                    f"aliases expand to more than {self.max_alias_bytes:,} bytes of text "
                    f"(*{event.anchor} adds {nbytes:,} bytes each time); write the values out"
                )
                self._error(
                    event,
                    self._child_path(),
                    MAX_ALIAS_BYTES.refusal(what, limit=self.max_alias_bytes),
                )
                raise _Abort
            self._attach(self._mark(event), value, size, nbytes)
        elif isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self._error(
                    event, (), "more than one YAML document ('---'); a chain is one document"
                )
                raise _Abort


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    """Return the problem a parser error describes, naming where an unclosed construct began.

    The wording comes from the parser and differs between libyaml and PyYAML; the position does
    not.
    """
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    lines = _LINE_BREAK.split(text)
    if line > len(lines):
        # the parser reports the end of a text without a final line break on the line after
        # the last: place it after the last character instead
        line, column = len(lines), len(lines[-1]) + 1
    context = str(exc.context or "")
    start = exc.context_mark
    if context and start is not None and start.line + 1 != line:
        context += f" started on line {start.line + 1},"
    what = " ".join(part for part in (context, str(exc.problem or "")) if part)
    if _LIBYAML_DEPTH in what:
        message = (
            f"nesting deeper than {MAX_DEPTH} levels; a chain file never needs this "
            + DEPTH_LIMIT.explain()
        )
        return Problem(file, line, column, "", message)
    here = lines[line - 1] if line <= len(lines) else ""
    indent = here[: len(here) - len(here.lstrip())]
    if "\t" in indent or here[column - 1 : column] == "\t":
        what += "; indent with spaces: YAML does not allow tabs there"
    elif "mapping values are not allowed" in what:
        what += "; check this line's indentation, or quote a value that contains ': '"
    return Problem(file, line, column, "", f"YAML syntax error: {what}")


def _line_column(text: str, index: int) -> tuple[int, int]:
    """Return the 1-based line and column of ``text[index]``, counting line breaks as YAML does."""
    line, start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, index):
        line, start = line + 1, match.end()
    return line, index - start + 1


def _tag_name(tag: str) -> str:
    """Return ``tag:yaml.org,2002:bool`` as ``!!bool``."""
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org") else tag


def _unsupported_tag(tag: str) -> str:
    return (
        f"unsupported YAML tag '{_tag_name(tag)}'; chain files hold plain values "
        "(text, numbers, true/false, lists, mappings): remove the tag"
    )


class _Abort(Exception):
    """Stop reading: the problem is already recorded."""


def parse_yaml(text: str, file: str) -> Located:
    """Parse YAML ``text`` into plain values with positions, or raise :class:`ChainError`.

    Problems that leave the document readable (duplicate keys, unsupported tags) are returned in
    ``Located.problems`` so that the caller can report them with every other problem. Uses
    ``yaml.CSafeLoader`` when PyYAML was built with libyaml and pauses the garbage collector while
    building. Results and messages are the same with the pure-Python parser except for the wording
    of YAML syntax errors (each parser words its own; the position is the same) and the column of
    a nesting error when more than 1000 flow collections open within 1024 characters (libyaml
    stops at its own limit while reading ahead, before the 65th level reaches the builder).

    Raises
    ------
    ChainError
        On a syntax error, a character YAML does not allow, an unknown alias, alias expansion
        beyond :data:`MAX_ALIAS_NODES` or nesting beyond :data:`MAX_DEPTH`.
    """
    located = Located(None, file)
    builder = _Builder(file, located)
    bad = _NON_PRINTABLE.search(text)
    if bad:
        # both parsers refuse these, libyaml giving a byte offset and PyYAML a character
        # offset, and PyYAML already while constructing the loader: locate it here instead
        line, column = _line_column(text, bad.start())
        code = ord(bad.group())
        escape = f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
        message = (
            f"character U+{code:04X} is not allowed in YAML; remove it, or write it as the "
            f'escape "{escape}" inside double quotes'
        )
        raise ChainError([Problem(file, line, column, "", message)])
    enabled = gc.isenabled()
    gc.disable()
    fatal = True
    loader = None
    try:
        loader = _LOADER(text)
        while loader.check_event():
            builder.feed(loader.get_event())
        fatal = False
    except _Abort:
        pass
    except yaml.MarkedYAMLError as exc:
        builder.problems.append(_syntax_problem(exc, text, file))
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        builder.problems.append(Problem(file, 1, 1, "", f"YAML error: {exc}"))
    finally:
        if loader is not None:
            loader.dispose()
        if enabled:
            gc.enable()
    if fatal:
        raise ChainError(builder.problems)
    located.value = builder.root
    located.problems = builder.problems
    return located
