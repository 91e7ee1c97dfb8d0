"""The JSON Schema of chain format v1.

One source for two uses: ``chokepoint schema`` prints it for editors (completion and validation of
chain files), and the loader takes from it the keys each object allows and requires, so that the
schema and the loader's "unknown key" and "missing key" messages can never disagree. The loader
checks far more than the schema can express (sums, references, sources, percentages); see
``docs/chain-format.md``.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["CHAIN_SCHEMA", "MAX_MONTHS", "allowed_keys", "required_keys", "schema"]

_SLUG = {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"}
_ORIGIN = {
    "type": "string",
    "pattern": "^([A-Z][A-Z0-9_-]*|other)$",
    "description": "ISO 3166-1 alpha-2 code, a region name from `regions`, a standard region "
    "(EU27, G7, OECD, ...; docs/chain-format.md), or `other`",
}
_FRACTION = {
    "description": 'a fraction in [0, 1] or a percentage string such as "65%"',
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": 1},
        {"type": "string", "pattern": "^\\s*[0-9]+(\\.[0-9]+)?\\s*%\\s*$"},
    ],
}
_SHARES = {
    "type": "object",
    "description": "share of the market's supply by origin; sums to at most 1 (tolerance 0.005)",
    "propertyNames": _ORIGIN,
    "additionalProperties": {"$ref": "#/$defs/fraction"},
}
_SOURCE_REF = {
    "description": "one source id or a list of them",
    "anyOf": [
        {"type": "string"},
        {"type": "array", "items": {"type": "string"}, "minItems": 1},
    ],
}
_YEAR = {"type": "integer", "minimum": 1900, "maximum": 2100}
#: The longest duration or stock, in months, a file may give (a century).
MAX_MONTHS = 1200
_MONTHS = {
    "type": "number",
    "exclusiveMinimum": 0,
    "maximum": MAX_MONTHS,
    "description": "how long it lasts from month 0, in months (time to recover); omitted: permanent",
}

CHAIN_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://chokepoint-supply.readthedocs.io/schema/chain-v1.json",
    "title": "chokepoint chain file, format 1",
    "type": "object",
    "additionalProperties": False,
    "required": ["format", "name", "title", "perspective", "year", "stages", "sources", "nodes"],
    "properties": {
        "format": {"const": 1, "description": "the format version"},
        "name": {**_SLUG, "description": "the name used on the command line"},
        "title": {"type": "string", "minLength": 1},
        "perspective": {
            **_ORIGIN,
            "description": "the economy whose dependence is measured (ISO code or region)",
        },
        "market": {
            "type": "string",
            "description": "`global` for world market shares; omitted or the perspective's code "
            "for the perspective's own market",
        },
        "year": {**_YEAR, "description": "the year that `shares` describe"},
        "basis": {
            "enum": ["location", "ownership"],
            "default": "location",
            "description": "what the nodes' shares measure unless a node says otherwise: "
            "location (where the supply is produced) or ownership (the home country of the "
            "supplying firms or brands, their production in the perspective's economy included)",
        },
        "description": {"type": "string"},
        "regions": {
            "type": "object",
            "description": "named groups of countries usable wherever a country code is",
            "propertyNames": {"pattern": "^[A-Z][A-Z0-9_-]+$"},
            "additionalProperties": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[A-Z]{2}$"},
                "minItems": 1,
            },
        },
        "stages": {
            "type": "array",
            "items": _SLUG,
            "minItems": 1,
            "uniqueItems": True,
            "description": "ordered from upstream to downstream",
        },
        "sources": {
            "type": "object",
            "propertyNames": {"pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$"},
            "additionalProperties": {"$ref": "#/$defs/source"},
        },
        "nodes": {"type": "array", "items": {"$ref": "#/$defs/node"}, "minItems": 1},
        "scenarios": {
            "type": "object",
            "propertyNames": _SLUG,
            "additionalProperties": {"$ref": "#/$defs/scenario"},
        },
        "targets": {
            "type": "object",
            "description": "stated policy targets, keyed by name (see `chokepoint targets`)",
            "propertyNames": _SLUG,
            "additionalProperties": {"$ref": "#/$defs/target"},
        },
        "stage_data": {
            "type": "object",
            "description": "per-stage economic figures, keyed by stage",
            "additionalProperties": {"type": "array", "items": {"$ref": "#/$defs/stage_figure"}},
        },
    },
    "$defs": {
        "fraction": _FRACTION,
        "source": {
            "type": "object",
            "additionalProperties": False,
            "required": ["title", "publisher", "year"],
            "properties": {
                "title": {"type": "string", "minLength": 1},
                "publisher": {"type": "string", "minLength": 1},
                "year": _YEAR,
                "url": {"type": "string"},
                "locator": {"type": "string", "description": "chapter, table or page"},
                "authors": {"type": "string"},
                "licence": {"type": "string"},
                "note": {"type": "string"},
            },
        },
        "node": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "name", "stage"],
            "properties": {
                "id": _SLUG,
                "name": {"type": "string", "minLength": 1},
                "stage": {"type": "string", "description": "one of `stages`"},
                "year": {
                    **_YEAR,
                    "description": "the year of this node's shares, if not the chain's",
                },
                "shares": _SHARES,
                "basis": {
                    "enum": ["location", "ownership"],
                    "description": "what `shares` and `history` measure (default: the chain's)",
                },
                "location_shares": {
                    **_SHARES,
                    "description": "shares by place of production, for a node whose `basis` is "
                    "ownership, when the source gives both",
                },
                "ownership_shares": {
                    **_SHARES,
                    "description": "shares by home country of the supplying firms, for a node "
                    "whose `basis` is location, when the source gives both",
                },
                "source": _SOURCE_REF,
                "estimate": {"type": "boolean", "description": "the figures were derived"},
                "note": {"type": "string"},
                "substitutability": {"type": "number", "minimum": 0, "maximum": 1},
                "stock_months": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": MAX_MONTHS,
                    "description": "stock of the node's output held by the perspective, downstream "
                    "included, in months of normal use (a figure: needs `source`); default 0",
                },
                "hs": {
                    "type": "array",
                    "description": "HS-6 product codes of the node's goods, as six-digit texts "
                    "(leading zeros kept), for `chokepoint import trade`",
                    "items": {"type": "string", "pattern": "^[0-9]{6}$"},
                    "uniqueItems": True,
                },
                "history": {
                    "type": "object",
                    "description": "shares in other years, keyed by year",
                    "propertyNames": {"pattern": "^[0-9]{4}$"},
                    "additionalProperties": _SHARES,
                },
                "suppliers": {"type": "array", "items": {"$ref": "#/$defs/supplier"}},
                "inputs": {
                    "type": "array",
                    "description": "the nodes this node is made from; a bare id is short for {node: id}",
                    "items": {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/input"}]},
                },
            },
        },
        "supplier": {
            "type": "object",
            "additionalProperties": False,
            "required": ["firm", "country"],
            "properties": {
                "firm": {"type": "string", "minLength": 1},
                "country": _ORIGIN,
                "share": {"$ref": "#/$defs/fraction"},
                "year": _YEAR,
                "note": {"type": "string"},
            },
        },
        "input": {
            "type": "object",
            "additionalProperties": False,
            "required": ["node"],
            "properties": {
                "node": {"type": "string"},
                "cost_share": {"$ref": "#/$defs/fraction"},
                "essential": {"type": "boolean", "default": True},
            },
        },
        "scenario": {
            "type": "object",
            "additionalProperties": False,
            "required": ["title"],
            "properties": {
                "title": {"type": "string", "minLength": 1},
                "note": {"type": "string"},
                "cuts": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["origin", "severity"],
                        "properties": {
                            "origin": _ORIGIN,
                            "nodes": {"type": "array", "items": {"type": "string"}},
                            "severity": {"$ref": "#/$defs/fraction"},
                            "months": _MONTHS,
                        },
                    },
                },
                "shocks": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["node", "severity"],
                        "properties": {
                            "node": {"type": "string"},
                            "severity": {"$ref": "#/$defs/fraction"},
                            "months": _MONTHS,
                        },
                    },
                },
                "substitution": {
                    "type": "object",
                    "additionalProperties": {"$ref": "#/$defs/fraction"},
                },
            },
        },
        "target": {
            "type": "object",
            "additionalProperties": False,
            "required": ["title", "nodes", "measure", "value", "year", "source"],
            "properties": {
                "title": {"type": "string", "minLength": 1},
                "nodes": {
                    "type": "array",
                    "items": {"type": "string"},
                    "minItems": 1,
                    "uniqueItems": True,
                    "description": "the nodes the target applies to, each on its own",
                },
                "measure": {
                    "enum": ["domestic_share"],
                    "description": "domestic_share: the perspective's share of the node's supply",
                },
                "value": {"$ref": "#/$defs/fraction"},
                "year": _YEAR,
                "source": _SOURCE_REF,
                "note": {"type": "string"},
            },
        },
        "stage_figure": {
            "type": "object",
            "additionalProperties": False,
            "required": ["period", "source"],
            "properties": {
                "period": {"type": ["string", "integer"]},
                "source": _SOURCE_REF,
                "rd_intensity": {"$ref": "#/$defs/fraction"},
                "subsidy_intensity": {"$ref": "#/$defs/fraction"},
                "subsidy_amount": {"type": "number", "minimum": 0},
                "amount_unit": {"type": "string"},
                "profit_margin": {
                    "description": "may be negative",
                    "anyOf": [
                        {"type": "number", "minimum": -1, "maximum": 1},
                        {"type": "string", "pattern": "^\\s*-?[0-9]+(\\.[0-9]+)?\\s*%\\s*$"},
                    ],
                },
                "estimate": {"type": "boolean"},
                "note": {"type": "string"},
            },
        },
    },
}

_OBJECTS: dict[str, dict[str, Any]] = {"chain": CHAIN_SCHEMA, **CHAIN_SCHEMA["$defs"]}


def _def(kind: str) -> dict[str, Any]:
    if kind == "cut":
        return dict(_OBJECTS["scenario"]["properties"]["cuts"]["items"])
    if kind == "shock":
        return dict(_OBJECTS["scenario"]["properties"]["shocks"]["items"])
    return _OBJECTS[kind]


def allowed_keys(kind: str) -> tuple[str, ...]:
    """Return the keys an object of ``kind`` (``chain``, ``node``, ``source``, ...) may have."""
    return tuple(_def(kind)["properties"])


def required_keys(kind: str) -> tuple[str, ...]:
    """Return the keys an object of ``kind`` must have."""
    return tuple(_def(kind).get("required", ()))


def schema() -> dict[str, Any]:
    """The JSON Schema of chain format v1, as ``chokepoint schema`` prints it (a fresh copy).

    Examples
    --------
    >>> schema()["$schema"]
    'https://json-schema.org/draft/2020-12/schema'
    >>> schema() == CHAIN_SCHEMA and schema() is not CHAIN_SCHEMA
    True
    """
    return copy.deepcopy(CHAIN_SCHEMA)
