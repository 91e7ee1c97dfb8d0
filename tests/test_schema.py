"""The JSON Schema that ``chokepoint schema`` prints: valid itself, and agreeing with the files.

Editors read chain files as JSON (YAML keys such as ``2015:`` become the text ``"2015"``), so each
file is converted the same way before it is validated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from chokepoint.cli import app
from chokepoint.io.schema import CHAIN_SCHEMA, allowed_keys, required_keys
from chokepoint.io.yamlread import parse_yaml

ROOT = Path(__file__).resolve().parents[1]
VALID = sorted((Path(__file__).parent / "data" / "valid").glob("*.yaml"))


def _as_json(path: Path) -> Any:
    """Read a chain file as an editor would see it: YAML -> JSON values."""
    value = parse_yaml(path.read_text(encoding="utf-8"), str(path)).value
    return json.loads(json.dumps(value))


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_schema_command_prints_the_schema(validator: Draft202012Validator) -> None:
    assert validator.schema == CHAIN_SCHEMA
    assert validator.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_output_file(tmp_path: Path) -> None:
    out = tmp_path / "chain.schema.json"
    result = CliRunner().invoke(app, ["schema", "--output", str(out)])
    assert result.exit_code == 0, result.output
    Draft202012Validator.check_schema(json.loads(out.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", VALID, ids=[p.name for p in VALID])
def test_valid_files_match_the_schema(validator: Draft202012Validator, path: Path) -> None:
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(_as_json(path))]
    assert errors == []


def test_shipped_chains_match_the_schema(validator: Draft202012Validator) -> None:
    chains = sorted((ROOT / "src" / "chokepoint" / "chains").glob("*.yaml"))
    if not chains:
        pytest.skip("no shipped chains yet")
    errors = {
        path.name: [f"{e.json_path}: {e.message}" for e in validator.iter_errors(_as_json(path))]
        for path in chains
    }
    assert errors == {path.name: [] for path in chains}


@pytest.mark.parametrize(
    ("name", "json_path", "fragment"),
    [
        ("unknown_key_top", "$", "'descripton' was unexpected"),
        ("unknown_key_node", "$.nodes[1]", "'substitutabilty' was unexpected"),
        ("missing_top_key", "$", "'perspective' is a required property"),
        ("missing_required_key", "$.nodes[1]", "'name' is a required property"),
        ("wrong_type_year", "$.year", "'2018' is not of type 'integer'"),
        ("wrong_type_inputs", "$.nodes[1].inputs", "'reducers' is not of type 'array'"),
        ("unsupported_format", "$.format", "1 was expected"),
        ("bad_slug_name", "$.name", "'Tiny Chain' does not match"),
        ("share_looks_like_percent", "$.nodes[0].shares.JP", "65 is not valid"),
        ("share_negative", "$.nodes[0].shares.CN", "-0.28 is not valid"),
        ("unknown_region_member", "$.regions.EU[1]", "'FRA' does not match"),
        ("top_level_list", "$", "is not of type 'object'"),
    ],
)
def test_structurally_broken_files_fail_the_schema(
    validator: Draft202012Validator, name: str, json_path: str, fragment: str
) -> None:
    data = _as_json(Path(__file__).parent / "data" / "broken" / f"{name}.yaml")
    errors = [(e.json_path, e.message) for e in validator.iter_errors(data)]
    assert any(where == json_path and fragment in message for where, message in errors), errors


@pytest.mark.parametrize(
    "kind", ["chain", "source", "node", "supplier", "input", "scenario", "cut", "shock"]
)
def test_required_keys_are_allowed_keys(kind: str) -> None:
    assert set(required_keys(kind)) <= set(allowed_keys(kind))
