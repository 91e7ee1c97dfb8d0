"""The ``chokepoint`` command: parse arguments, call the core, hand results to :mod:`render`.

The only module that prints or exits. Every :class:`~chokepoint.errors.ChokepointError` becomes a
message on stderr and exit code 2; a genuine bug prints one line asking for ``--debug`` (which shows
the traceback) and exits 1. Heavy modules are imported inside the commands that need them.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from ._version import __version__
from .errors import ChainError, ChokepointError

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="chokepoint",
    help=(
        "Supply-chain dependency analyzer: import dependence, supplier concentration, propagated "
        "exposure, choke points and disruption scenarios from sourced YAML chain files.\n\n"
        "CHAIN is a file path or the name of a shipped chain (see `chokepoint list`)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_OK, EXIT_BUG, EXIT_INPUT = 0, 1, 2
_state = {"debug": bool(os.environ.get("CHOKEPOINT_DEBUG"))}


class Format(StrEnum):
    """Output formats shared by the reporting commands."""

    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        help="table (rich, for people), json (stable keys, for jq) or csv (one row per item).",
        case_sensitive=False,
    ),
]
ChainArg = Annotated[
    str, typer.Argument(help="A chain file path, or the name of a chain (see `chokepoint list`).")
]


def _fail(message: str, code: int = EXIT_INPUT) -> None:
    sys.stdout.flush()
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _command(*args: Any, **kwargs: Any) -> Callable[[F], F]:
    """Register a command whose :class:`ChokepointError` becomes a message and exit code 2."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*a: Any, **k: Any) -> Any:
            try:
                return func(*a, **k)
            except ChainError as exc:
                problems = exc.problems
                noun = "problem" if len(problems) == 1 else "problems"
                files = sorted({p.file for p in problems})
                tail = f"{len(problems)} {noun} in {', '.join(files)}" if len(problems) > 1 else ""
                _fail("\n".join([*(f"error: {p}" for p in problems), *([tail] if tail else [])]))
            except ChokepointError as exc:
                _fail(f"error: {exc}")
            except (typer.Exit, typer.Abort, KeyboardInterrupt):
                raise
            except BrokenPipeError:  # `chokepoint ... | head`
                sys.stderr.close()
                raise typer.Exit(EXIT_OK) from None
            except Exception as exc:
                if _state["debug"]:
                    raise
                _fail(
                    f"internal error: {type(exc).__name__}: {exc}\n"
                    "This is a bug in chokepoint; rerun with --debug for the traceback and report it.",
                    EXIT_BUG,
                )
            return None

        app.command(*args, **kwargs)(wrapper)
        return func

    return decorate


def _version(value: bool) -> None:
    if value:
        typer.echo(f"chokepoint {__version__}")
        raise typer.Exit


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help="Show a traceback when chokepoint itself fails (for bug reports)."
        ),
    ] = False,
) -> None:
    """Supply-chain dependency analyzer."""
    _state["debug"] = debug or _state["debug"]


def _emit(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


# ------------------------------------------------------------------------------------------
# Chain files


@_command("validate")
def validate(
    files: Annotated[
        list[str],
        typer.Argument(help="Chain files (or names) to check; every problem is reported."),
    ],
) -> None:
    """Check chain files against format v1; report every problem as FILE:LINE:COLUMN: message.

    Exits 0 when every file is valid, 2 when any is not.
    """
    from .loader import load_chain

    problems: list[str] = []
    for name in files:
        try:
            chain = load_chain(name)
        except ChainError as exc:
            problems.extend(f"error: {p}" for p in exc.problems)
            continue
        except ChokepointError as exc:
            problems.append(f"error: {exc}")
            continue
        typer.echo(f"ok: {chain.path} ({chain.name}: {len(chain.nodes)} nodes)")
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        _fail("\n".join([*problems, f"{len(problems)} {noun} found"]))


@_command("list")
def list_chains(format: FormatOption = Format.table) -> None:
    """List the chains found on CHOKEPOINT_PATH and shipped with chokepoint."""
    from . import render
    from .loader import iter_chain_files, load_chain

    rows: list[dict[str, Any]] = []
    for path in iter_chain_files():
        try:
            chain = load_chain(path)
        except ChokepointError as exc:
            first = str(exc).splitlines()[0]
            rows.append({"name": path.stem, "path": str(path), "error": first})
            continue
        rows.append(
            {
                "name": chain.name,
                "title": chain.title,
                "perspective": chain.perspective,
                "year": chain.year,
                "nodes": len(chain.nodes),
                "path": str(path),
            }
        )
    render.chain_list(rows, format.value)


@_command("show")
def show(chain: ChainArg, format: FormatOption = Format.table) -> None:
    """Show a chain's stages and nodes with their shares, inputs and sources."""
    from . import render
    from .loader import load_chain

    render.show_chain(load_chain(chain), format.value)


@_command("schema")
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Print the JSON Schema of chain format v1, for editors to validate and complete chain files."""
    import json

    from .schema import CHAIN_SCHEMA

    text = json.dumps(CHAIN_SCHEMA, indent=2) + "\n"
    if output is None:
        _emit(text)
    else:
        from .export import write_atomic

        write_atomic(output, text)


def main() -> None:
    """Entry point of the ``chokepoint`` console script."""
    app(prog_name="chokepoint")
