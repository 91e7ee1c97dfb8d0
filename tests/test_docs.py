"""Every command and option is documented: help text in the CLI and a mention in the README."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path
from typing import Any

import pytest
import typer

import chokepoint
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


def test_doctests_of_every_module_are_collected(request: pytest.FixtureRequest) -> None:
    """``pytest`` alone runs the doctests of every module of the imported package (``--pyargs
    chokepoint`` finds the installed copy, or ``src/`` in an editable install)."""
    assert request.config.option.doctestmodules
    assert request.config.option.pyargs
    assert "chokepoint" in request.config.getini("testpaths")
    assert "ELLIPSIS" in request.config.getini("doctest_optionflags")


def test_every_module_with_examples_is_importable() -> None:
    """Every module whose source holds ``>>>`` examples has doctests a finder sees (export, plot
    and eto among them)."""
    package = Path(chokepoint.__file__).parent
    with_examples = sorted(
        ".".join(path.relative_to(package.parent).with_suffix("").parts)
        for path in package.rglob("*.py")
        if ">>>" in path.read_text(encoding="utf-8") and path.name != "__main__.py"
    )
    assert {"chokepoint.output.export", "chokepoint.output.plot", "chokepoint.io.eto"} <= set(
        with_examples
    )
    finder = doctest.DocTestFinder()
    for name in with_examples:
        module = importlib.import_module(name.removesuffix(".__init__"))
        assert any(test.examples for test in finder.find(module)), name


def test_docs_exist_for_every_formula() -> None:
    methodology = (ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")
    for metric in ("dependence", "hhi", "import_hhi", "top_supplier", "countries_to_75",
                   "exposure", "total_dependence", "impact", "leontief", "linear"):  # fmt: skip
        assert f"`{metric}`" in methodology or f"**{metric}**" in methodology, metric
