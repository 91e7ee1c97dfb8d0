"""The ``chokepoint`` command: parse arguments, call the core, hand results to :mod:`render`.

The only module that prints or exits. Every :class:`~chokepoint.errors.ChokepointError` becomes a
message on stderr and exit code 2; a genuine bug prints one line asking for ``--debug`` (which shows
the traceback) and exits 1. Heavy modules are imported inside the commands that need them.

Options are checked like files: every number goes through :mod:`chokepoint.io.numbers` with a
range stated in its ``--help``, and the options that set the cost of a call (sweep rows, Monte
Carlo samples, generated nodes) have a ceiling, raised by an option or an environment variable
that the refusal names. A closed stdout (``chokepoint analyze robots | head -1``) ends the command
quietly with exit 0.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from ._version import __version__
from .errors import ChainError, ChokepointError

F = TypeVar("F", bound=Callable[..., Any])

_HELP = (
    "Supply-chain dependency analyzer: import dependence, supplier concentration, propagated "
    "exposure, choke points and disruption scenarios from sourced chain files.\n\n"
    "CHAIN is a YAML or JSON file, a folder or .zip of the CSV form, or the name of a shipped "
    "chain (see `chokepoint list`)."
)
_APP_SETTINGS: dict[str, Any] = {
    "no_args_is_help": True,
    "add_completion": False,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,
    "context_settings": {"help_option_names": ["-h", "--help"]},
}
app = typer.Typer(name="chokepoint", help=_HELP, **_APP_SETTINGS)

EXIT_OK, EXIT_BUG, EXIT_INPUT = 0, 1, 2
#: Exit status after Ctrl-C (SIGINT), the shell's 128 + 2.
EXIT_INTERRUPTED = 130
_state = {"debug": bool(os.environ.get("CHOKEPOINT_DEBUG"))}


class Basis(StrEnum):
    """What the shares measure (format v1 `basis`)."""

    location = "location"
    ownership = "ownership"


class Format(StrEnum):
    """Output formats shared by the reporting commands."""

    table = "table"
    json = "json"
    csv = "csv"


#: Largest seed accepted (numpy and Python generators take any size; 2^63 - 1 is plenty).
MAX_SEED = 2**63 - 1
#: Longest economy code or region name accepted by --perspective.
MAX_PERSPECTIVE = 64


class _Number:
    """A parser of whole or decimal numbers (:mod:`chokepoint.io.numbers`) within ``[low, high]``.

    Refuses what Python's own ``int`` and ``float`` let through (``nan``, ``inf``, ``1e-320``,
    digits of other scripts, thousands of digits); a refusal is a usage error naming the option
    (exit 2).
    """

    def __init__(self, *, whole: bool, low: float | None = None, high: float | None = None) -> None:
        self.whole, self.low, self.high = whole, low, high
        self.__name__ = "integer" if whole else "number"

    def _expected(self) -> str:
        what = "a whole number" if self.whole else "a number"
        low = "" if self.low is None else f"{self.low:,}" if self.whole else f"{self.low:g}"
        high = "" if self.high is None else f"{self.high:,}" if self.whole else f"{self.high:g}"
        if low and high:
            return f"write {what} from {low} to {high}"
        if low:
            return f"write {what} of at least {low}"
        return f"write {what}"

    def __call__(self, value: Any) -> Any:
        from .io.numbers import NumberError, check_number, parse_float, parse_int

        try:
            if self.whole:
                low = None if self.low is None else int(self.low)
                high = None if self.high is None else int(self.high)
                return parse_int(str(value), low=low, high=high)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return check_number(value, low=self.low, high=self.high)
            return parse_float(str(value), low=self.low, high=self.high)
        except NumberError as error:
            msg = f"{error}; {self._expected()}"
            raise typer.BadParameter(msg) from None


def _whole(low: int | None = None, high: int | None = None) -> Any:
    return _Number(whole=True, low=low, high=high)


def _fraction() -> Any:
    return _Number(whole=False, low=0.0, high=1.0)


def _name_limit() -> int:
    try:
        return os.pathconf(".", "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def _path_problem(text: str) -> str | None:
    """Why ``text`` cannot name a file on this system (too long, NUL, unencodable), or None."""
    if "\x00" in text:
        return "it holds a NUL character"
    try:
        raw = os.fsencode(text)
    except UnicodeEncodeError:
        return "it is not a valid file name on this system"
    limit = _name_limit()
    longest = max((len(part) for part in raw.split(os.fsencode(os.sep))), default=0)
    if longest > limit:
        return (
            f"a name in it is {longest:,} bytes long, over the system's limit of {limit} bytes "
            "per file or folder name"
        )
    if len(raw) > 4096:
        return f"it is {len(raw):,} bytes long, over the system's limit of 4096 bytes per path"
    return None


def _shown(text: str) -> str:
    shown = text if len(text) <= 60 else f"{text[:40]}...{text[-12:]}"
    return repr(shown) if any(not ch.isprintable() for ch in shown) else f"'{shown}'"


def _check_chain_arg(value: Any) -> Any:
    for text in value if isinstance(value, list | tuple) else [value]:
        if isinstance(text, str):
            problem = _path_problem(text)
            if problem is not None:
                msg = f"{_shown(text)}: {problem}; give a shorter path or a chain name"
                raise typer.BadParameter(msg)
    return value


def _check_output(value: Path | None) -> Path | None:
    if value is not None:
        problem = _path_problem(str(value))
        if problem is not None:
            msg = f"{_shown(str(value))}: {problem}; give a shorter file name"
            raise typer.BadParameter(msg)
    return value


def _check_perspective(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.strip():
        msg = "it is empty; give an ISO alpha-2 code such as JP, or a region of the chain"
        raise typer.BadParameter(msg)
    if any(not ch.isprintable() or 0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        msg = f"{_shown(value)} holds a control character; give an ISO alpha-2 code such as JP"
        raise typer.BadParameter(msg)
    if len(value) > MAX_PERSPECTIVE:
        msg = (
            f"{_shown(value)} is {len(value):,} characters long, too long for an economy code "
            f"(at most {MAX_PERSPECTIVE}); give an ISO alpha-2 code such as JP"
        )
        raise typer.BadParameter(msg)
    return value


def _check_search_path() -> None:
    """Drop CHOKEPOINT_PATH entries that cannot name a folder (too long), with a warning.

    The loader reads the variable; an entry over the file-name limit would make every lookup
    fail, even of a shipped chain, so it is skipped with a warning on stderr instead.
    """
    text = os.environ.get("CHOKEPOINT_PATH")
    if not text:
        return
    kept: list[str] = []
    for entry in text.split(os.pathsep):
        problem = _path_problem(entry) if entry else None
        if problem is None:
            kept.append(entry)
        else:
            typer.echo(
                f"warning: CHOKEPOINT_PATH entry {_shown(entry)} skipped: {problem}", err=True
            )
    if len(kept) != len(text.split(os.pathsep)):
        os.environ["CHOKEPOINT_PATH"] = os.pathsep.join(kept)


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
    str,
    typer.Argument(
        help="A chain: a YAML or JSON file, a folder or .zip of the CSV form, or the name of a "
        "chain (see `chokepoint list`).",
        callback=_check_chain_arg,
    ),
]


def _fail(message: str, code: int = EXIT_INPUT) -> None:
    sys.stdout.flush()
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _command(*args: Any, parent: typer.Typer | None = None, **kwargs: Any) -> Callable[[F], F]:
    """Register a command whose :class:`ChokepointError` becomes a message and exit code 2.

    Output is flushed inside the command, so that a reader closing the pipe early
    (``| head -1``) is noticed here and ends the command quietly with exit 0.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*a: Any, **k: Any) -> Any:
            from ._gc import paused

            try:
                # A command builds its results once and exits: the cyclic collector would only
                # walk them again and again (10.6 s of 14 for the JSON of a 10^6-link analysis).
                with paused():
                    result = func(*a, **k)
                    sys.stdout.flush()
                return result
            except ChainError as exc:
                problems = exc.problems
                noun = "problem" if len(problems) == 1 else "problems"
                files = sorted({p.file for p in problems})
                tail = f"{len(problems)} {noun} in {', '.join(files)}" if len(problems) > 1 else ""
                _fail("\n".join([*(f"error: {p}" for p in problems), *([tail] if tail else [])]))
            except ChokepointError as exc:
                _fail(f"error: {in_cli_terms(str(exc))}")
            except (typer.Exit, typer.Abort):
                raise
            except KeyboardInterrupt:  # Ctrl-C: the shell's code for SIGINT, not 1 (a bug)
                raise typer.Exit(EXIT_INTERRUPTED) from None
            except OSError as exc:
                if exc.errno == errno.EPIPE:  # `chokepoint ... | head`: the reader is done
                    _quiet_stdout()
                    raise typer.Exit(EXIT_OK) from None
                if exc.errno == errno.ENAMETOOLONG:
                    _fail(
                        f"error: {exc.filename or 'a path'}: a file name is longer than the "
                        f"system allows ({_name_limit()} bytes per name); give a shorter one"
                    )
                _bug(exc)
            except Exception as exc:
                _bug(exc)
            return None

        (parent or app).command(*args, **kwargs)(wrapper)
        return func

    return decorate


#: How the library's words for its arguments read on the command line: (pattern, replacement),
#: applied in order to the message of every error but a chain file's problems.
CLI_TERMS: tuple[tuple[str, str], ...] = (
    (r"\bmax_rows=N\b", "--max-rows N"),
    (r"\bmax_samples=N\b", "--max-samples N"),
    (r"\bmax_nodes=N\b", "--max-nodes N"),
    (r"^samples=", "--samples "),
    (r"^nodes=", "--nodes "),
    (r"^cycles=", "--cycles "),
    (r"\bdifferent seed values\b", "different --seed values"),
    (r"\bworkers=N or scheduler=ADDRESS\b", "--workers N or --scheduler ADDRESS"),
    (
        r"^give either cut='ORIGIN\[:NODE\]' or over='origins'\|'nodes'",
        "give either --cut ORIGIN[:NODE] or --over origins|nodes",
    ),
    (r"^over=", "--over "),
    (r"\buse over='all'", "use --over all"),
    (r"\bmonths_from=FILE\b", "--months-from FILE"),
    (r"\bmonths_from takes\b", "--months-from takes"),
    (r"\bmonths=M\b", "--months M"),
    (r"; leave out severity=.*$", "; leave out --severity"),
    (r"^severity: a sweep over months", "--severity: a sweep over months"),
    (r"^sweeping over ", "--over "),
    (r"^the cut ", "--cut "),
    (r"at least one cut or shock, e\.g\. a cut ", "at least one --cut or --shock, e.g. --cut "),
    (
        r"^a substitution override changes a scenario: name a scenario, or add a cut or a shock$",
        "--substitution changes a scenario: add --scenario NAME, --cut or --shock",
    ),
    (r"^perspective=", "--perspective "),
    (r"^year=", "--year "),
    (r"^measure=", "--measure "),
    (
        r"two or more scenarios \(names or cuts\), two or more years, or two or more "
        r"perspectives",
        "two or more SCENARIO names or --cut options, --year twice or more, or --perspective "
        "twice or more",
    ),
    (
        r"\(write to stdout and redirect it instead\)",
        "(leave out --output and redirect stdout instead)",
    ),
    (r"^(cut|shock|substitution|stock) ", r"--\1 "),
    (r"^unknown perspective ", "unknown --perspective "),
)


def in_cli_terms(message: str) -> str:
    """A library error's message with the options to change named as on the command line.

    >>> in_cli_terms("samples=20 is above the ceiling of 10 samples per call (raise it with "
    ...              "max_samples=N or CHOKEPOINT_MAX_SAMPLES=N)")
    '--samples 20 is above the ceiling of 10 samples per call (raise it with --max-samples N or CHOKEPOINT_MAX_SAMPLES=N)'
    """
    for pattern, replacement in CLI_TERMS:
        message = re.sub(pattern, replacement, message)
    return message


def _bug(exc: Exception) -> None:
    if _state["debug"]:
        raise exc
    _fail(
        f"internal error: {type(exc).__name__}: {exc}\n"
        "This is a bug in chokepoint; rerun with --debug for the traceback and report it.",
        EXIT_BUG,
    )


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that the flush at exit does not fail on the closed pipe."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


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
    # per call: an earlier call's --debug must not stay on for the next one in the same process
    _state["debug"] = debug or bool(os.environ.get("CHOKEPOINT_DEBUG"))
    for stream in (sys.stdout, sys.stderr):  # a lone surrogate from a file prints as \\ud800
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    _check_search_path()


def _emit(text: str) -> None:
    """Print ``text``, ending it with a line break when it has none."""
    _emit_parts((text,))


def _emit_parts(parts: Iterable[str]) -> None:
    """Print text given as parts, one after another, as :func:`_emit` prints them joined."""
    last = ""
    for part in parts:
        if part:
            sys.stdout.write(part)
            last = part
    if not last.endswith("\n"):
        sys.stdout.write("\n")


def _deliver(text: str, output: Path | None) -> None:
    """Print ``text``, or write it atomically to ``output`` when one is given."""
    if output is None:
        _emit(text)
        return
    from .io.atomic import write_atomic

    write_atomic(output, text)


# ------------------------------------------------------------------------------------------
# Chain files


@_command("validate")
def validate(
    files: Annotated[
        list[str],
        typer.Argument(
            help="Chain files (or names) to check; every problem is reported.",
            callback=_check_chain_arg,
        ),
    ],
) -> None:
    """Check chain files against format v1; report every problem as FILE:LINE:COLUMN: message.

    Exits 0 when every file is valid, 2 when any is not.
    """
    from .io.listing import validate as run

    result = run(files)
    for check in result.files:
        if check.ok:
            typer.echo(f"ok: {check.path} ({check.chain}: {check.nodes} nodes)")
    problems = result.problems
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        _fail("\n".join([*(f"error: {p}" for p in problems), f"{len(problems)} {noun} found"]))


@_command("list")
def list_chains(format: FormatOption = Format.table) -> None:
    """List the chains found on CHOKEPOINT_PATH and shipped with chokepoint: name, file, folder.

    A chain answers to its declared name and to its file name without the suffix.
    """
    from .io.listing import list_chains as run
    from .output import render

    render.chain_list(run(), format.value)


@_command("show")
def show(chain: ChainArg, format: FormatOption = Format.table) -> None:
    """Show a chain's stages and nodes (shares, history by year, substitutability, stocks,
    inputs), its named scenarios and its sources."""
    from .api import show as run
    from .output import render

    render.show_chain(run(chain), format.value)


@_command("schema")
def schema(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this regular file (atomically) instead of stdout; a FIFO, device or "
            "socket is refused: redirect stdout to those.",
            callback=_check_output,
        ),
    ] = None,
) -> None:
    """Print the JSON Schema of chain format v1, for editors to validate and complete chain files."""
    import json

    from .io.schema import schema as run

    _deliver(json.dumps(run(), indent=2) + "\n", output)


@_command("generate")
def generate(
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Where to write: a folder (the CSV form), or FILE.json, FILE.yaml, FILE.zip. "
            "Written atomically: a folder is filled beside the target and swapped in whole.",
            callback=_check_output,
        ),
    ],
    nodes: Annotated[
        int,
        typer.Option(
            "--nodes",
            "-n",
            parser=_whole(12),
            help="Number of firms, at least 12 and at most the ceiling (default 1,000,000: about "
            "a minute and 3 GB); there are about 3.5 links per firm.",
        ),
    ] = 10_000,
    max_nodes: Annotated[
        int | None,
        typer.Option(
            "--max-nodes",
            parser=_whole(1),
            help="Raise (or lower) the ceiling on --nodes; default 1,000,000, or "
            "CHOKEPOINT_MAX_NODES.",
        ),
    ] = None,
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            parser=_whole(0, MAX_SEED),
            help="Random seed, 0 to 2^63-1: the same seed, the same network.",
        ),
    ] = 0,
    cycles: Annotated[
        float,
        typer.Option(
            "--cycles",
            parser=_fraction(),
            help="Mutual-supply links added, as a fraction of the links, 0 to 1 (0: no cycles).",
        ),
    ] = 0.0005,
) -> None:
    """Write a synthetic layered supplier network, for tests and benchmarks at scale.

    Six stages from raw materials to final products, heavy-tailed fan-in, suppliers chosen by
    size, country mixes by world-market weight (docs/performance.md). Not real data: every
    figure cites the source `synthetic`.
    """
    from .io.generate import generate as run

    done = run(output, nodes, seed, cycles=cycles, max_nodes=max_nodes)
    typer.echo(f"wrote {output} ({done.name}: {done.nodes:,} nodes, {done.links:,} links)")


# ------------------------------------------------------------------------------------------
# Importing other datasets

import_app = typer.Typer(
    name="import",
    help="Convert datasets in other formats into chain files.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(import_app, name="import")


@_command("eto", parent=import_app)
def import_eto(
    folder: Annotated[
        Path,
        typer.Argument(
            help="A folder in the format of ETO's Advanced Semiconductor Supply Chain Dataset "
            "(stages.csv, inputs.csv, providers.csv, provision.csv, sequence.csv)."
        ),
    ],
    output: ChainOutputOption = None,
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            parser=_whole(1900, 2100),
            help="The chain's year (1900 to 2100) where the data mix years (default: the most "
            "common year); a node's other years go to `history`.",
        ),
    ] = None,
    perspective: Annotated[
        str,
        typer.Option(
            "--perspective",
            "-p",
            callback=_check_perspective,
            help="The chain's default perspective, an ISO alpha-2 code; the shares are world "
            "market shares, so `analyze --perspective` may choose any economy later.",
        ),
    ] = "CN",
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Do not print the conversion's warnings.")
    ] = False,
) -> None:
    """Convert an ETO supply-chain dataset folder into a chain file with `market: global`.

    Country rows become shares, firm rows suppliers, "goes into" rows inputs (no cost shares) and
    "is a type of" rows non-essential inputs; docs/eto-import.md gives every rule. Warnings (sums
    above 100% scaled, pseudo-countries, skipped rows) go to stderr. The ETO data are CC BY-NC 4.0:
    the chain written is a derivative under the same terms.
    """
    from .io.eto import import_eto as run

    done = run(folder, year=year, perspective=perspective)
    if not quiet:
        for warning in done.warnings:
            typer.echo(f"warning: {warning}", err=True)
    _deliver(done.text, output)
    if output is None:
        return
    noun = "warning" if len(done.warnings) == 1 else "warnings"
    typer.echo(
        f"wrote {output} ({done.name}: {done.nodes} nodes, year {done.year}, "
        f"{len(done.warnings)} {noun})"
    )


@_command("trade", parent=import_app)
def import_trade(
    flows: Annotated[
        Path,
        typer.Argument(
            help="Trade statistics: a CEPII BACI folder (as unpacked) or one year's BACI file "
            "with its code files beside it, or a UN Comtrade CSV export."
        ),
    ],
    year: Annotated[
        int,
        typer.Option(
            "--year", parser=_whole(1900, 2100), help="The year of the flows (1900 to 2100)."
        ),
    ],
    chain: Annotated[
        str,
        typer.Option(
            "--chain",
            "-c",
            help="The chain to copy (a YAML file or a chain name); its nodes with `hs` codes "
            "get the split.",
            callback=_check_chain_arg,
        ),
    ],
    importer: Annotated[
        str | None,
        typer.Option(
            "--importer",
            callback=_check_perspective,
            help="The importing country, an ISO alpha-2 code (default and only choice: the "
            "chain's perspective).",
        ),
    ] = None,
    min_share: Annotated[
        float,
        typer.Option(
            "--min-share",
            parser=_Number(whole=False, low=0.0, high=0.99),
            help="Origins below this share of a node's imports (0 to 0.99) are summed into "
            "`other` (default 0.01).",
        ),
    ] = 0.01,
    output: ChainOutputOption = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Do not print warnings and notes.")
    ] = False,
) -> None:
    """Copy a chain, splitting the foreign supply of nodes with `hs` codes by import origin.

    The domestic share stays the chain's own figure; the foreign rest is divided by the value
    of the importer's imports of the node's HS-6 codes from each origin (location basis), the
    trade file is cited as a source and the node marked `estimate: true` with the method in its
    note. docs/trade.md gives every rule.
    """
    from .io.trade import import_trade as run

    done = run(flows, chain, year=year, importer=importer, min_share=min_share)
    if not quiet:
        for text in (*done.warnings, *done.notes):
            typer.echo(f"note: {text}", err=True)
    _deliver(done.text, output)
    if output is not None:
        typer.echo(
            f"wrote {output} ({len(done.changed)} nodes split by import origin: "
            f"{', '.join(done.changed) or 'none'})"
        )


# ------------------------------------------------------------------------------------------
# Analysis and scenarios

PerspectiveOption = Annotated[
    str | None,
    typer.Option(
        "--perspective",
        "-p",
        help="The economy whose dependence is measured (default: the chain's): an ISO alpha-2 code, "
        "a region of the chain or a standard region (EU27, G7, OECD, ...: the regions extra). "
        "Another economy only for chains of world market shares (market: global).",
        callback=_check_perspective,
    ),
]
ChainOutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the chain to this regular file (atomically) instead of stdout.",
        callback=_check_output,
    ),
]
MinDependenceOption = Annotated[
    float,
    typer.Option(
        "--min-dependence",
        parser=_fraction(),
        help="Choke-point threshold on import dependence, 0 to 1: a node must exceed it "
        "(EU SWD(2021) 352: above 0.5).",
    ),
]
MinConcentrationOption = Annotated[
    float,
    typer.Option(
        "--min-concentration",
        parser=_fraction(),
        help="Choke-point threshold on import HHI, 0 to 1: a node must exceed it "
        "(EU SWD(2021) 352: above 0.4).",
    ),
]
BasisOption = Annotated[
    Basis | None,
    typer.Option(
        "--basis",
        help="location: shares by place of production (an export-control question); ownership: "
        "by the home country of the supplying firms or brands, their production in the "
        "perspective's economy included (a boycott question). Nodes that give shares on that "
        "basis use them; the others keep their own, listed as an assumption. Default: each "
        "node's own basis.",
    ),
]
YearOption = Annotated[
    int | None,
    typer.Option(
        "--year",
        "-y",
        parser=_whole(1900, 2100),
        help="Use the nodes' `history` shares of this year (1900 to 2100).",
    ),
]
ModelOption = Annotated[
    str,
    typer.Option(
        "--model",
        "-m",
        help="leontief: fixed proportions, a producer falls to its scarcest essential input "
        "(default); linear: inoperability input-output, losses add up by cost share.",
    ),
]
CutOption = Annotated[
    list[str] | None,
    typer.Option(
        "--cut",
        "-c",
        help="ORIGIN[:NODE[,NODE]]=SEVERITY: the origin stops delivering that fraction of its "
        "supply (of those nodes, or of every node). Repeatable. ORIGIN is a country, a region of "
        "the chain or a standard region (EU27:reducers=1 cuts every member). E.g. JP:reducers=1.",
    ),
]
ShockOption = Annotated[
    list[str] | None,
    typer.Option(
        "--shock",
        "-s",
        help="NODE=SEVERITY: the perspective's own production of NODE loses that fraction. Repeatable.",
    ),
]
SubstitutionOption = Annotated[
    list[str] | None,
    typer.Option(
        "--substitution",
        help="NODE=VALUE: override the node's substitutability (share of lost imports replaced).",
    ),
]


def _model(value: str) -> Any:
    from .core.scenarios import MODELS

    if value not in MODELS:
        _fail(f"error: unknown --model '{value}'; choose one of: {', '.join(MODELS)}")
    return value


@_command("analyze")
def analyze(
    chain: ChainArg,
    perspective: PerspectiveOption = None,
    year: YearOption = None,
    basis: BasisOption = None,
    format: FormatOption = Format.table,
    top: Annotated[
        int,
        typer.Option(
            "--top",
            "-n",
            parser=_whole(1, 1_000_000),
            help="List at most this many choke points (and nodes not ruled out) in the table "
            "(1 to 1,000,000).",
        ),
    ] = 10,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Refuse nodes without shares instead of counting them domestic."
        ),
    ] = False,
    min_dependence: MinDependenceOption = 0.5,
    min_concentration: MinConcentrationOption = 0.4,
) -> None:
    """Import dependence, concentration, propagated exposure and ranked choke points per node.

    A node is a choke point (⚑) when its dependence and its import HHI exceed the thresholds. A
    node marked ? is dependent enough but concentrated enough only if the part of its foreign
    supply with no named origin came from one economy: the figures cannot rule it out
    (import_hhi_max and possible_chokepoint in JSON and CSV; see docs/methodology.md). A table on a
    terminal gets a progress bar on stderr while a large network is read and analysed.
    """
    from .core.analysis import analyze as run
    from .io.loader import load_chain
    from .output import render

    # a bar on a terminal only (a firm-level network takes seconds): reading, then the steps
    with _progress(format is not Format.table, "analysing") as progress:
        result = run(
            load_chain(chain).on_basis(basis),
            perspective=perspective,
            year=year,
            strict=strict,
            min_dependence=min_dependence,
            min_concentration=min_concentration,
            progress=progress,
        )
    render.analysis(result, format.value, top=top)
    _end_now(len(result.nodes))


@_command("scenario")
def scenario(
    chain: ChainArg,
    name: Annotated[
        str | None,
        typer.Argument(help="A named scenario of the chain file (see `chokepoint show CHAIN`)."),
    ] = None,
    cut: CutOption = None,
    shock: ShockOption = None,
    substitution: SubstitutionOption = None,
    scenario_file: Annotated[
        Path | None,
        typer.Option(
            "--scenario-file",
            help="A YAML file with `scenarios:` in the chain file's form; NAME may name one of them.",
        ),
    ] = None,
    model: ModelOption = "leontief",
    perspective: PerspectiveOption = None,
    year: YearOption = None,
    months: Annotated[
        float | None,
        typer.Option(
            "--months",
            help="Give the disruption a duration: cuts and shocks without their own `months` last "
            "this many months (time to recover, above 0 and at most 1,200); adds time to survive, "
            "cumulative and peak loss per final product (docs/methodology.md).",
            parser=_Number(whole=False, low=0.0, high=1200.0),
        ),
    ] = None,
    stock: Annotated[
        list[str] | None,
        typer.Option(
            "--stock",
            help="NODE=MONTHS: assume NODE holds this many months of its normal use in stock "
            "(0 to 1,200; repeatable; overrides the chain's stock_months). Implies the time model.",
        ),
    ] = None,
    basis: BasisOption = None,
    format: FormatOption = Format.table,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="With --months or --stock: also draw each final product's loss over time to "
            "FILE.png or FILE.svg, the cut's end and stock run-outs marked (needs matplotlib: "
            "pip install 'chokepoint-supply[plot]').",
            callback=_check_output,
        ),
    ] = None,
) -> None:
    """Run a disruption scenario: every node's loss, split into import and domestic parts.

    Combine a named scenario with --cut/--shock/--substitution options, or give only options.
    With --months or --stock, the disruption has a duration and nodes may hold stocks: each final
    product's time to survive (when its loss starts), cumulative loss (months of output lost)
    and peak loss are added.
    """
    from .io.loader import load_chain
    from .output import render

    image_format: Any = None
    if plot is not None:
        if months is None and not stock:
            _fail("error: --plot draws the loss over time; add --months M (or --stock NODE=MONTHS)")
        from .output.plot import plot_format

        image_format = plot_format(plot)
    loaded = load_chain(chain).on_basis(basis)
    if months is not None or stock:
        if months is not None and months <= 0:
            _fail("error: --months must be above 0, e.g. --months 6")
        from .core.timeline import run_timeline

        timed = run_timeline(
            loaded,
            name,
            cuts=cut or (),
            shocks=shock or (),
            substitution=substitution,
            scenario_file=scenario_file,
            duration=months,
            stocks=stock or (),
            perspective=perspective,
            model=_model(model),
            year=year,
        )
        render.timeline(timed, loaded, format.value)
        if plot is not None:
            from .io.atomic import write_atomic
            from .output.timeplot import plot_timeline

            write_atomic(plot, plot_timeline(timed, loaded, fmt=image_format, year=year))
        return
    from .core.scenarios import run_scenario

    result = run_scenario(
        loaded,
        name,
        cuts=cut or (),
        shocks=shock or (),
        substitution=substitution,
        scenario_file=scenario_file,
        perspective=perspective,
        model=_model(model),
        year=year,
    )
    render.scenario(result, loaded, format.value)


@_command("sweep")
def sweep(
    chain: ChainArg,
    cut: Annotated[
        str | None,
        typer.Option(
            "--cut", "-c", help="ORIGIN[:NODE] to cut at each severity, e.g. JP:reducers."
        ),
    ] = None,
    over: Annotated[
        str | None,
        typer.Option(
            "--over",
            help="origins: cut each foreign origin in turn (every node); nodes: cut each node's top "
            "foreign supplier in turn. Uses one --severity value.",
        ),
    ] = None,
    severity: Annotated[
        str | None,
        typer.Option(
            "--severity",
            help="START:STOP:STEP (both ends included) or one value, each in [0, 1] or a "
            "percentage; default 0:1:0.1 with --cut, 1 with --over.",
        ),
    ] = None,
    months: Annotated[
        str | None,
        typer.Option(
            "--months",
            help="With --cut: sweep over time. How long the cut lasts, START:STOP:STEP (both "
            "ends included) or one value, 0 to 1,200 months (0: no disruption); gives each "
            "final product's time to survive, cumulative and peak loss per duration.",
        ),
    ] = None,
    stock: Annotated[
        list[str] | None,
        typer.Option(
            "--stock",
            help="With --cut and --months: NODE=MONTHS, or NODE=START:STOP:STEP to sweep that "
            "node's stock at one --months value (repeatable; one range at most; overrides the "
            "chain's stock_months).",
        ),
    ] = None,
    max_rows: Annotated[
        int | None,
        typer.Option(
            "--max-rows",
            parser=_whole(1),
            help="Ceiling on the rows of one sweep (severities, times origins or nodes with "
            "--over); default 10,000, or CHOKEPOINT_MAX_SWEEP_ROWS.",
        ),
    ] = None,
    model: ModelOption = "leontief",
    perspective: PerspectiveOption = None,
    year: YearOption = None,
    format: FormatOption = Format.table,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Also draw FILE.png or FILE.svg: with --cut, each final product's loss against "
            "severity; with --over, ranked bars of each cut's worst final-product loss, worst at "
            "the top (needs matplotlib: pip install 'chokepoint-supply[plot]').",
            callback=_check_output,
        ),
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Final-product losses over a range of severities, or over origins or nodes in turn.

    With --months (and --stock), a sweep over time: the cut lasts each duration, or one node's
    stock takes each value, and each final product's time to survive, cumulative and peak loss
    show where a shortage starts (docs/methodology.md).

    With --over, cuts are ranked by their worst final-product loss, worst first; a cut whose worst
    loss is n/a (linear model, missing cost shares) comes last, with the reason.
    """
    from .core.scenarios import sweep as run
    from .io.loader import load_chain
    from .output import render

    if months is not None or stock:
        if cut is None or over is not None:
            _fail("error: --months and --stock sweep one cut over time; give --cut ORIGIN[:NODE]")
        if plot is not None:
            _fail("error: --plot draws loss against severity; leave it out with --months/--stock")
        if months is None:
            _fail("error: --stock needs --months, how long the cut lasts, e.g. --months 6")
        from .core.timesweep import time_sweep
        from .output.timetables import time_sweep as show

        loaded = load_chain(chain)
        timed = time_sweep(
            loaded,
            cut or "",
            months=months or "",
            stocks=stock or (),
            severity=severity,
            max_rows=max_rows,
            perspective=perspective,
            model=_model(model),
            year=year,
        )
        show(timed, loaded, format.value)
        return
    image_format: Any = None
    if plot is not None:
        from .output.plot import plot_format

        image_format = plot_format(plot)
    _one_cluster(workers, scheduler)
    loaded = load_chain(chain)
    with _progress(format is not Format.table, "sweeping") as progress:
        result = run(
            loaded,
            cut=cut,
            over=over,
            severity=severity,
            max_rows=max_rows,
            perspective=perspective,
            model=_model(model),
            year=year,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
        )
    render.sweep(result, loaded, format.value)
    if plot is not None:
        from .io.atomic import write_atomic
        from .output.plot import plot_sweep_result

        write_atomic(plot, plot_sweep_result(result, loaded, fmt=image_format, year=year))


@_command("stress")
def stress(
    chain: ChainArg,
    months: Annotated[
        float | None,
        typer.Option(
            "--months",
            help="How long every cut lasts (time to recover, TTR) and the horizon, in months "
            "(above 0 and at most 1,200).",
            parser=_Number(whole=False, low=0.0, high=1200.0),
        ),
    ] = None,
    months_from: Annotated[
        Path | None,
        typer.Option(
            "--months-from",
            help="Instead of --months: a scenario file (`scenarios:` in the chain file's form) "
            "whose cuts give the durations, `months` per origin or per origin and nodes; only "
            "the cuts it names are stressed, each fully for its own months.",
        ),
    ] = None,
    stock: Annotated[
        list[str] | None,
        typer.Option(
            "--stock",
            help="NODE=MONTHS: assume NODE holds this many months of its normal use in stock "
            "(0 to 1,200; repeatable; overrides the chain's stock_months).",
        ),
    ] = None,
    max_rows: Annotated[
        int | None,
        typer.Option(
            "--max-rows",
            parser=_whole(1),
            help="Ceiling on the rows (origins plus (origin, node) pairs); default 10,000, or "
            "CHOKEPOINT_MAX_SWEEP_ROWS.",
        ),
    ] = None,
    over: Annotated[
        str,
        typer.Option(
            "--over",
            help="all: every origin (at every node) and every (origin, node) pair; origins: "
            "the origins only; pairs: the pairs only.",
        ),
    ] = "all",
    model: ModelOption = "leontief",
    perspective: PerspectiveOption = None,
    year: YearOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Time to survive against time to recover: every origin, and every (origin, node) pair, cut
    fully for --months months, ranked by the worst final product's cumulative loss.

    Each row is a scenario of the time model (docs/methodology.md): the cut lasts --months
    months, nodes draw on their stocks (--stock, or the chain's stock_months) until they run out.
    A TTS below the TTR means a final product runs short before the cut ends.
    """
    from .core.stress import stress as run
    from .io.loader import load_chain
    from .output import render

    if (months is None) == (months_from is None):
        _fail("error: give --months M (one duration for every cut) or --months-from FILE")
    if months is not None and months <= 0:
        _fail("error: --months must be above 0, e.g. --months 6")
    loaded = load_chain(chain)
    result = run(
        loaded,
        months,
        months_from=months_from,
        stocks=stock or (),
        perspective=perspective,
        model=_model(model),
        year=year,
        max_rows=max_rows,
        over=over,
    )
    if months_from is not None:
        from .output.timetables import stress_from

        stress_from(result, loaded, format.value)
        return
    render.stress(result, loaded, format.value)


WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        parser=_whole(1, 1024),
        help="Run on a local dask cluster of N worker processes (needs "
        "pip install 'chokepoint-supply[dask]'); same output as without.",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Run on the dask.distributed scheduler at ADDRESS (e.g. tcp://10.0.0.5:8786; "
        "docs/distributed.md); same output as without.",
    ),
]


def _one_cluster(workers: int | None, scheduler: str | None) -> None:
    if workers is not None and scheduler is not None:
        _fail("error: give --workers N (a local cluster) or --scheduler ADDRESS, not both")


@contextlib.contextmanager
def _progress(quiet: bool, what: str) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr, or None when --quiet, for JSON or CSV, or when stdout or
    stderr is not a terminal (a pipe or a file never receives one)."""
    if quiet or not sys.stderr.isatty() or not sys.stdout.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(what, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@_command("montecarlo")
def montecarlo(
    chain: ChainArg,
    samples: Annotated[
        int,
        typer.Option(
            "--samples",
            parser=_whole(1),
            help="Number of random samples, from 1 to the ceiling (default 10,000,000 per call).",
        ),
    ] = 10_000,
    max_samples: Annotated[
        int | None,
        typer.Option(
            "--max-samples",
            parser=_whole(1),
            help="Raise (or lower) the ceiling on --samples; default 10,000,000, or "
            "CHOKEPOINT_MAX_SAMPLES.",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            parser=_whole(0, MAX_SEED),
            help="Random seed, 0 to 2^63-1; the same seed gives the same output. Default: a "
            "fresh seed, reported in the output so that the run can be repeated.",
        ),
    ] = None,
    p_cut: Annotated[
        float,
        typer.Option(
            "--p-cut",
            parser=_fraction(),
            help="Probability, 0 to 1, that each (origin, node) pair is cut in a sample (a stress test, "
            "not an estimate of real failure rates).",
        ),
    ] = 0.1,
    severity: Annotated[
        str,
        typer.Option(
            "--severity",
            help="Severity of a cut: uniform (on [0, 1)), fixed:X, or beta:A,B (mean A/(A+B)).",
        ),
    ] = "uniform",
    top: Annotated[
        int,
        typer.Option(
            "--top",
            "-n",
            parser=_whole(1, 1_000_000),
            help="List at most this many (origin, node) drivers (1 to 1,000,000).",
        ),
    ] = 10,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar on stderr.")
    ] = False,
    memory_limit: Annotated[
        int | None,
        typer.Option(
            "--memory-limit",
            parser=_whole(1),
            help="Megabytes the sampling may add to the compiled chain; fewer samples are "
            "propagated at once to stay within it. The output does not change.",
        ),
    ] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    months_dist: Annotated[
        str | None,
        typer.Option(
            "--months-dist",
            help="Random cut durations in months, one per sample for all its cuts: fixed:M, "
            "uniform:A,B or triangular:A,C,B (0 < A, B <= 1,200). Adds each final product's "
            "cumulative loss (months of output lost) over the horizon B.",
        ),
    ] = None,
    stock: Annotated[
        list[str] | None,
        typer.Option(
            "--stock",
            help="NODE=MONTHS: with --months-dist, assume NODE holds this many months of its "
            "normal use in stock (0 to 1,200; repeatable; overrides the chain's stock_months).",
        ),
    ] = None,
    model: ModelOption = "leontief",
    perspective: PerspectiveOption = None,
    year: YearOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Random independent origin cuts: final-product loss distribution and what drives its tail.

    Each sample cuts every (origin, node) pair with probability --p-cut at a severity drawn from
    --severity; reports each final product's mean, P50, P90 and P99 loss, and for each origin and
    each pair how often it was cut, the mean worst final loss when it was, and its share of the
    tail samples (worst loss >= P90). With --months-dist, the sample's cuts last a random number of
    months, nodes draw on their stocks (--stock, or the chain's stock_months), and each final
    product also gets the distribution of its cumulative loss (docs/methodology.md).
    """
    from .core.montecarlo import montecarlo as run
    from .io.forms import check_months_distribution, check_severity_distribution
    from .io.loader import load_chain
    from .output import render

    check_severity_distribution(severity)
    _one_cluster(workers, scheduler)
    if months_dist is None and stock:
        _fail("error: --stock needs --months-dist (e.g. --months-dist uniform:1,12)")
    if months_dist is not None:
        check_months_distribution(months_dist)
    loaded = load_chain(chain)
    with _progress(quiet or format is not Format.table, "sampling") as progress:
        result = run(
            loaded,
            samples,
            seed,
            max_samples=max_samples,
            p_cut=p_cut,
            severity_dist=severity,
            perspective=perspective,
            model=_model(model),
            year=year,
            progress=progress,
            memory_limit=None if memory_limit is None else memory_limit * 1_000_000,
            workers=workers,
            scheduler=scheduler,
            months_dist=months_dist,
            stocks=stock if months_dist is not None else None,
        )
    render.montecarlo(result, loaded, format.value, top=top)


# ------------------------------------------------------------------------------------------
# Export and plots


class ExportFormat(StrEnum):
    """Formats of `chokepoint export`."""

    graphml = "graphml"
    gexf = "gexf"
    json = "json"
    csv = "csv"
    dot = "dot"
    mermaid = "mermaid"


ScenarioNameOption = Annotated[
    str | None,
    typer.Option(
        "--scenario",
        help="Add each node's loss under this named scenario of the chain (see `chokepoint show "
        "CHAIN`); --cut/--shock/--substitution add to it or stand alone.",
    ),
]


@_command("export")
def export(
    chain: ChainArg,
    format: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="graphml (yEd, Cytoscape, igraph, networkx), gexf (Gephi, coloured and laid "
            "out), json (networkx node-link), csv (one row per node), dot (Graphviz) or mermaid "
            "(Markdown). Default: from the suffix of --output.",
            case_sensitive=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this regular file (atomically) instead of stdout. A .md file gets a "
            "fenced ```mermaid block.",
            callback=_check_output,
        ),
    ] = None,
    perspective: PerspectiveOption = None,
    year: YearOption = None,
    scenario: ScenarioNameOption = None,
    cut: CutOption = None,
    shock: ShockOption = None,
    substitution: SubstitutionOption = None,
    model: ModelOption = "leontief",
    edges: Annotated[
        bool,
        typer.Option(
            "--edges",
            help="With --format csv: write the inputs (source, target, cost_share, weight, "
            "essential) instead of the nodes.",
        ),
    ] = False,
) -> None:
    """Export the chain with every node's shares and metrics (and losses under a scenario).

    Nodes carry label, name, stage, share_XX per origin, dependence, import_hhi,
    total_dependence, chokepoint, impact and more; edges carry cost_share, weight and
    essential. Unknown values are left out. See docs/export.md.
    """
    from .api import export as run
    from .io.loader import load_chain
    from .output.export import format_for_path

    if format is None and output is None:
        _fail("error: give --format (graphml, gexf, json, csv, dot, mermaid) or --output FILE")
        return
    fmt = format.value if format is not None else format_for_path(output or "")
    if edges and fmt != "csv":
        _fail(f"error: --edges is for --format csv, not {fmt}")
    loaded = load_chain(chain)  # held here: :func:`_end_now` need not free it
    parts = run(
        loaded,
        fmt,
        scenario=scenario,
        cuts=cut or (),
        shocks=shock or (),
        substitution=substitution,
        perspective=perspective,
        year=year,
        model=_model(model),
        table="edges" if edges else "nodes",
        fenced=output is not None and output.suffix.lower() == ".md",
        parts=True,
    )
    if output is None:
        _emit_parts(parts)
    else:
        _deliver("".join(parts), output)
    _end_now(len(loaded.nodes))


@_command("plot")
def plot(
    chain: ChainArg,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="The image file to write (atomically): FILE.png or FILE.svg.",
            callback=_check_output,
        ),
    ],
    perspective: PerspectiveOption = None,
    year: YearOption = None,
    scenario: ScenarioNameOption = None,
    cut: CutOption = None,
    shock: ShockOption = None,
    substitution: SubstitutionOption = None,
    model: ModelOption = "leontief",
) -> None:
    """Draw the chain left to right, one column per stage, coloured by import dependence.

    With a scenario, nodes are coloured by their loss. Choke points are outlined, nodes not ruled
    out as choke points (origins incomplete) dashed; arrows are as wide as the input's cost share
    and run between the boxes they do not connect. A stage whose nodes feed each other takes a
    column per layer, and a column of more than 16 nodes wraps into several.
    Needs matplotlib: pip install 'chokepoint-supply[plot]'.
    """
    from .api import plot as run
    from .io.atomic import write_atomic
    from .output.plot import plot_format

    image = run(
        chain,
        plot_format(output),
        scenario=scenario,
        cuts=cut or (),
        shocks=shock or (),
        substitution=substitution,
        perspective=perspective,
        year=year,
        model=_model(model),
    )
    write_atomic(output, image)


# ------------------------------------------------------------------------------------------
# Trends, stages and sources


@_command("trend")
def trend(
    chain: ChainArg,
    node: Annotated[
        str | None, typer.Argument(help="Only this node (default: every node with history).")
    ] = None,
    perspective: PerspectiveOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Dependence and top supplier per year, wherever a node has `history`."""
    from .core.reports import trend as run
    from .io.loader import load_chain
    from .output import render

    loaded = load_chain(chain)
    render.trend(run(loaded, node, perspective), loaded, format.value)


@_command("stages")
def stages(
    chain: ChainArg,
    perspective: PerspectiveOption = None,
    year: YearOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Per stage: nodes, mean and max dependence, choke points (and ? those not ruled out), and
    R&D, subsidy and margin figures."""
    from .core.reports import stages as run
    from .io.loader import load_chain
    from .output import render

    loaded = load_chain(chain)
    render.stages(run(loaded, perspective=perspective, year=year), loaded, format.value)


@_command("sources")
def sources(chain: ChainArg, format: FormatOption = Format.table) -> None:
    """Every source of a chain with the figures it supports."""
    from .core.reports import sources as run
    from .io.loader import load_chain
    from .output import render

    loaded = load_chain(chain)
    render.sources(run(loaded), loaded, format.value)


@_command("targets")
def targets(
    chain: ChainArg,
    name: Annotated[
        str | None, typer.Argument(help="Only this target (default: every target of the chain).")
    ] = None,
    format: FormatOption = Format.table,
) -> None:
    """Stated policy targets against the chain's figures: today's value, the trend from
    `history` and the year it reaches the target, and the choke points left if it were met."""
    from .core.targets import targets as run
    from .io.loader import load_chain
    from .output.targets import targets as render_targets

    loaded = load_chain(chain)
    render_targets(run(loaded, name), loaded, format.value)


# ------------------------------------------------------------------------------------------
# Comparisons: within a chain (compare) and across chains (rank)


def _check_perspectives(values: list[str] | None) -> list[str] | None:
    for value in values or ():
        _check_perspective(value)
    return values


@_command("compare")
def compare(
    chain: ChainArg,
    scenarios: Annotated[
        list[str] | None,
        typer.Argument(
            help="Named scenarios of the chain (or of --scenario-file) to compare, each a column "
            "(see `chokepoint show CHAIN`)."
        ),
    ] = None,
    cut: Annotated[
        list[str] | None,
        typer.Option(
            "--cut",
            "-c",
            help="ORIGIN[:NODE[,NODE]]=SEVERITY: an ad-hoc scenario of one cut, a column of its "
            "own after the named ones. Repeatable; regions allowed. E.g. JP:reducers=1.",
        ),
    ] = None,
    year: Annotated[
        list[int] | None,
        typer.Option(
            "--year",
            "-y",
            parser=_whole(1900, 2100),
            help="A year (1900 to 2100) of the nodes' `history`: twice or more, each is a column; "
            "once, the year of every column.",
        ),
    ] = None,
    perspective: Annotated[
        list[str] | None,
        typer.Option(
            "--perspective",
            "-p",
            callback=_check_perspectives,
            help="An economy: twice or more, each is a column (chains with `market: global` "
            "only); once, the perspective of every column.",
        ),
    ] = None,
    measure: Annotated[
        str | None,
        typer.Option(
            "--measure",
            help="What to compare: loss (default with scenarios), import_loss, domestic_loss; "
            "without a scenario dependence (default), hhi, import_hhi, import_hhi_max, top_share, "
            "countries_to_75, total (total dependence) or impact.",
        ),
    ] = None,
    scenario_file: Annotated[
        Path | None,
        typer.Option(
            "--scenario-file",
            help="A YAML file with `scenarios:` in the chain file's form; SCENARIO may name one "
            "of them.",
        ),
    ] = None,
    model: ModelOption = "leontief",
    format: FormatOption = Format.table,
) -> None:
    """Two or more scenarios, years or perspectives of a chain side by side, with differences.

    One thing varies: the scenarios (SCENARIO names, then each --cut; each node's loss), the
    years (--year twice or more; each node's dependence) or the perspectives (--perspective twice
    or more). A single --year or --perspective applies to every column, and a single scenario is
    run in every year or perspective. Each difference (Δ) is a column minus the first. A value
    that rests on a figure the chain does not give is n/a (null), with the reason.
    """
    from .core.compare import compare as run
    from .io.loader import load_chain
    from .output import compare as render

    loaded = load_chain(chain)
    result = run(
        loaded,
        scenarios or (),
        cuts=cut or (),
        years=year or (),
        perspectives=perspective or (),
        measure=measure,
        model=_model(model),
        scenario_file=scenario_file,
    )
    render.compare(result, format.value, loaded)


@_command("rank")
def rank(
    chains: Annotated[
        list[str] | None,
        typer.Argument(
            help="Chains (files or names) to rank together; default: every chain of `chokepoint "
            "list` (CHOKEPOINT_PATH and the shipped chains).",
            callback=_check_chain_arg,
        ),
    ] = None,
    top: Annotated[
        int | None,
        typer.Option(
            "--top",
            "-n",
            parser=_whole(1, 1_000_000),
            help="List at most this many choke points in the table (1 to 1,000,000; default: all).",
        ),
    ] = None,
    min_dependence: MinDependenceOption = 0.5,
    min_concentration: MinConcentrationOption = 0.4,
    format: FormatOption = Format.table,
) -> None:
    """The choke points of every chain found (or of those given), ranked by impact across chains.

    Each chain is analysed from its own perspective and year; an impact that is unknown (n/a,
    with the reason) ranks after every known one. A chain on the path that cannot be read is
    listed with its error and the others are ranked.
    """
    from .core.compare import rank as run
    from .output import compare as render

    result = run(chains or (), min_dependence=min_dependence, min_concentration=min_concentration)
    render.rank(result, format.value, top=top)


# ------------------------------------------------------------------------------------------
# Trade statistics


@_command("screen")
def screen(
    flows: Annotated[
        Path,
        typer.Argument(
            help="Trade statistics: a CEPII BACI folder or year file, or a UN Comtrade CSV export."
        ),
    ],
    importer: Annotated[
        str,
        typer.Option(
            "--importer",
            callback=_check_perspective,
            help="The importer: an ISO alpha-2 code (CN) or a standard region (EU27, G7, OECD, "
            "...: the regions extra); for a group, trade between its members is left out.",
        ),
    ],
    year: Annotated[
        int,
        typer.Option(
            "--year", parser=_whole(1900, 2100), help="The year of the flows (1900 to 2100)."
        ),
    ],
    production: Annotated[
        Path | None,
        typer.Option(
            "--production",
            help="CSV with columns hs,production (US dollars): adds the criterion imports over "
            "demand > 0.5.",
        ),
    ] = None,
    format: FormatOption = Format.table,
) -> None:
    """Screen every HS-6 product for dependence (EU SWD(2021) 352): import-source HHI > 0.4 and
    imports over exports > 1 (and imports over demand > 0.5 with --production).

    Flagged products come first. A BACI year (about 11 million rows) is streamed in bounded
    memory; with pyarrow installed (the `trade` extra) it is parsed several times faster.
    """
    from .core.screen import screen as run
    from .output.screen import screen as render

    render(run(flows, importer, year, production=production), format.value)


#: Set by :func:`script`: the process is the ``chokepoint`` command itself, not a caller of
#: :func:`main` (a test, a notebook) whose objects must live on.
_AS_SCRIPT = {"on": False}
#: Above this many nodes, a command run as :func:`script` ends the process once its output is
#: written, without freeing its results (:func:`_end_now`).
END_NOW_ABOVE = 10_000


def script() -> None:
    """Entry point of the ``chokepoint`` console script and of ``python -m chokepoint``:
    :func:`main`, where a command that built a large result may end the process as soon as its
    output is written (:func:`_end_now`)."""
    _AS_SCRIPT["on"] = True
    main()


def _end_now(size: int) -> None:
    """End the process with exit code 0 when run as :func:`script` and the result has more
    than :data:`END_NOW_ABOVE` nodes: stdout and stderr are flushed and the ``atexit``
    handlers run, then the operating system takes the memory back at once, where freeing a
    million-link network's objects one by one takes about 0.4 s (measured with py-spy). A
    closed pipe is raised here, as by any flush, and ends the command as usual."""
    if not _AS_SCRIPT["on"] or size <= END_NOW_ABOVE:
        return
    import atexit

    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(EXIT_OK)


def main() -> None:
    """Entry point of the ``chokepoint`` command, for callers that go on after it (the console
    script is :func:`script`).

    Two shortcuts keep start-up low for shell loops (see docs/performance.md): ``--version`` is
    answered before Typer builds the app, and a plain ``chokepoint COMMAND ...`` builds only that
    command (Typer otherwise converts every command to click on each call). Help, global options
    and sub-groups go through the whole app, with identical behaviour.
    """
    try:
        _run(sys.argv[1:])
    except BrokenPipeError:  # `chokepoint --version | true`: the reader is done
        _quiet_stdout()
    except SystemExit as done:
        # click answers a closed pipe during --help with exit 1 after wrapping stdout
        if done.code == 1 and type(sys.stdout).__name__ == "PacifyFlushWrapper":
            _quiet_stdout()
            raise SystemExit(EXIT_OK) from None
        raise


def _run(argv: list[str]) -> None:
    if argv in (["--version"], ["-V"]):
        sys.stdout.write(f"chokepoint {__version__}\n")
        sys.stdout.flush()
        return
    wanted = [c for c in app.registered_commands if argv and c.name == argv[0]]
    if wanted and not {"-h", "--help"} & set(argv):
        one = typer.Typer(name="chokepoint", help=_HELP, **_APP_SETTINGS)
        one.registered_callback = app.registered_callback
        one.registered_commands = wanted
        one(prog_name="chokepoint")
        return
    app(prog_name="chokepoint")
