"""Safe, located YAML reading: text -> plain Python values plus the line and column of every key.

``yaml.safe_load`` keeps the last of two equal keys without a word, expands aliases without limit
("billion laughs") and forgets where each value stood. This module builds the values itself from
PyYAML's event stream (the C parser when available), which lets it

* report duplicate keys with both positions;
* count how many values alias expansion would add and stop past a budget, before any expansion;
* refuse nesting deeper than a limit without recursion (the event stream is flat);
* remember the position of every key and list item, so that later checks can name the line.

Aliased values are shared, not copied, so memory never grows with expansion.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import ChainError, Problem

__all__ = ["MAX_ALIAS_NODES", "MAX_DEPTH", "Located", "Path", "format_path", "parse_yaml"]

Path = tuple[str | int, ...]

#: Values that aliases may add to a document before it is refused.
MAX_ALIAS_NODES = 100_000
#: Deepest nesting of mappings and lists accepted.
MAX_DEPTH = 64

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALAR_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:timestamp",
}


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


@dataclass
class Located:
    """A parsed document: its value and where each key path stood (1-based line and column)."""

    value: Any
    file: str
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def where(self, path: Path) -> tuple[int, int]:
        """Return the position of ``path``, or of its nearest located ancestor."""
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))

    def problem(self, path: Path, message: str) -> Problem:
        """Return a :class:`Problem` located at ``path``."""
        line, column = self.where(path)
        return Problem(self.file, line, column, format_path(path), message)


@dataclass
class _Frame:
    value: dict[Any, Any] | list[Any]
    path: Path
    anchor: str | None
    size: int = 1
    key: Any = None
    has_key: bool = False
    skip_value: bool = False
    key_mark: tuple[int, int] = (1, 1)


class _Builder:
    def __init__(self, file: str, located: Located) -> None:
        self.file = file
        self.located = located
        self.problems: list[Problem] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.stack: list[_Frame] = []
        self.aliased = 0
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
        if tag not in _SCALAR_TAGS:
            self._error(event, self._child_path(), f"unsupported YAML tag {event.tag!r}")
            return event.value
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self._constructor.yaml_constructors[tag](self._constructor, node)
        except (ValueError, yaml.YAMLError) as exc:
            self._error(event, self._child_path(), f"cannot read {event.value!r}: {exc}")
            return event.value

    def _attach(self, event: Any, value: Any, size: int) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        top.size += size
        if isinstance(top.value, list):
            self.located.positions.setdefault((*top.path, len(top.value)), self._mark(event))
            top.value.append(value)
            return
        if not top.has_key:
            top.key_mark = self._mark(event)
            if isinstance(value, dict | list):
                self._error(
                    event, top.path, "a mapping key must be a plain value, not a collection"
                )
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
        if isinstance(event, yaml.ScalarEvent):
            value = self._scalar(event)
            if event.anchor:
                self.anchors[event.anchor] = (value, 1)
            self._attach(event, value, 1)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            if len(self.stack) >= MAX_DEPTH:
                self._error(
                    event,
                    self._child_path(),
                    f"nesting deeper than {MAX_DEPTH} levels; a chain file never needs this",
                )
                raise _Abort
            if event.tag not in (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
                self._error(event, self._child_path(), f"unsupported YAML tag {event.tag!r}")
            path = self._child_path()
            if not self.stack:
                self.located.positions[()] = self._mark(event)
            container: dict[Any, Any] | list[Any] = (
                {} if isinstance(event, yaml.MappingStartEvent) else []
            )
            self.stack.append(_Frame(container, path, event.anchor))
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            frame = self.stack.pop()
            if frame.anchor:
                self.anchors[frame.anchor] = (frame.value, frame.size)
            self._attach(event, frame.value, frame.size)
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                self._error(event, self._child_path(), f"unknown alias *{event.anchor}")
                raise _Abort
            value, size = self.anchors[event.anchor]
            self.aliased += size
            if self.aliased > MAX_ALIAS_NODES:
                self._error(
                    event,
                    self._child_path(),
                    f"aliases expand to more than {MAX_ALIAS_NODES:,} values (a 'billion laughs' "
                    "document?); write the values out or use fewer nested aliases",
                )
                raise _Abort
            self._attach(event, value, size)
        elif isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self._error(
                    event, (), "more than one YAML document ('---'); a chain is one document"
                )
                raise _Abort


class _Abort(Exception):
    """Stop reading: the problem is already recorded."""


def parse_yaml(text: str, file: str) -> Located:
    """Parse YAML ``text`` into plain values with positions, or raise :class:`ChainError`.

    Problems that leave the document readable (duplicate keys, unsupported tags) are returned in
    ``Located.problems`` so that the caller can report them with every other problem. Uses ``yaml.CSafeLoader`` when PyYAML was built with libyaml (results and messages are the
    same with the pure-Python parser) and pauses the garbage collector while building.

    Raises
    ------
    ChainError
        On a syntax error, an unknown alias, alias expansion beyond
        :data:`MAX_ALIAS_NODES` or nesting beyond :data:`MAX_DEPTH`.
    """
    located = Located(None, file)
    builder = _Builder(file, located)
    loader = _LOADER(text)
    enabled = gc.isenabled()
    gc.disable()
    fatal = True
    try:
        while loader.check_event():
            builder.feed(loader.get_event())
        fatal = False
    except _Abort:
        pass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        builder.problems.append(Problem(file, line, column, "", f"YAML syntax error: {what}"))
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        builder.problems.append(Problem(file, 0, 0, "", f"YAML error: {exc}"))
    finally:
        loader.dispose()
        if enabled:
            gc.enable()
    if fatal:
        raise ChainError(builder.problems)
    located.value = builder.root
    located.problems = builder.problems
    return located
