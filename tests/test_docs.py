"""Every command and option is documented: help text in the CLI and a mention in the README."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path
from typing import Any

import pytest
import typer

from chokepoint.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> dict[str, Any]:
    """Every command by its full name (``import eto`` for a command of a sub-group)."""
    found: dict[str, Any] = {}
    stack: list[tuple[str, Any]] = [("", typer.main.get_command(app))]
    while stack:
        prefix, group = stack.pop()
        for name, command in group.commands.items():
            full = f"{prefix}{name}"
            if hasattr(command, "commands"):
                stack.append((f"{full} ", command))
            else:
                found[full] = command
    return found


def test_there_are_commands() -> None:
    assert {"validate", "list", "show", "schema", "analyze", "scenario", "sweep"} <= set(
        _commands()
    )


@pytest.mark.parametrize("name", sorted(_commands()))
def test_command_has_help_and_readme_mention(name: str) -> None:
    command = _commands()[name]
    assert command.help, f"command {name} has no help text"
    assert f"chokepoint {name}" in README, f"README does not mention `chokepoint {name}`"
    for param in command.params:
        if param.param_type_name == "option":
            assert param.help, f"option {param.opts} of {name} has no help text"
            long = max(param.opts, key=len)
            assert long in README, f"README does not mention {long} of `chokepoint {name}`"


@pytest.mark.parametrize(
    "module",
    [
        "core.metrics",
        "core.scenarios",
        "countries",
        "io.yamlread",
        "io.loader",
        "core.analysis",
        "core.reports",
        "core.montecarlo",
        "io.numbers",
        "io.forms",
        "io.listing",
        "io.schema",
        "api",
        "cli",
    ],
)
def test_doctests(module: str) -> None:
    mod = importlib.import_module(f"chokepoint.{module}")
    failures, _ = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert failures == 0


def test_docs_exist_for_every_formula() -> None:
    methodology = (ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")
    for metric in ("dependence", "hhi", "import_hhi", "top_supplier", "countries_to_75",
                   "exposure", "total_dependence", "impact", "leontief", "linear"):  # fmt: skip
        assert f"`{metric}`" in methodology or f"**{metric}**" in methodology, metric
