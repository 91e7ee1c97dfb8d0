"""Rendering of ``chokepoint targets``: one table per target, JSON, or CSV (one row per node)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .render import console, emit_csv, emit_json, fmt_pct

if TYPE_CHECKING:
    from ..core.targets import TargetsResult
    from ..model import Chain

__all__ = ["CSV_FIELDS", "targets"]

#: The columns of ``chokepoint targets --format csv``, one row per (target, node).
CSV_FIELDS = [
    "target",
    "target_value",
    "target_year",
    "node",
    "year",
    "value",
    "gap",
    "trend_per_year",
    "reaches_in",
    "status",
    "unknown",
]

_MEASURE = {"domestic_share": "domestic share"}


def _ids(ids: list[str]) -> str:
    return ", ".join(ids) if ids else "none"


def targets(result: TargetsResult, chain: Chain, fmt: str) -> None:
    """Render ``chokepoint targets``: each target's nodes (today, gap, trend, the year the trend
    reaches the target, status) and the choke points today and if the target were met."""
    document = result.to_dict()
    if fmt == "json":
        emit_json(document)
        return
    if fmt == "csv":
        emit_csv(
            (
                {
                    "target": t["name"],
                    "target_value": t["value"],
                    "target_year": t["year"],
                    **{key: n[key] for key in CSV_FIELDS[4:]},
                    "node": n["id"],
                }
                for t in document["targets"]
                for n in t["nodes"]
            ),
            CSV_FIELDS,
        )
        return
    from rich.markup import escape
    from rich.table import Table

    out = console()
    for k, t in enumerate(document["targets"]):
        measure = _MEASURE.get(t["measure"], t["measure"])
        title = (
            f"{chain.title}: {t['title']} ({measure} of {result.perspective} "
            f">= {fmt_pct(t['value'])} by {t['year']})"
        )
        table = Table(title=escape(title), title_justify="left", pad_edge=False)
        table.add_column("node")
        table.add_column("today", justify="right")
        table.add_column("gap", justify="right")
        table.add_column("trend/yr", justify="right")
        table.add_column("reaches", justify="right")
        table.add_column("status")
        unknown: list[str] = []
        for n in t["nodes"]:
            if n["value"] is None:
                today = "n/a"
                unknown.append(f"{n['id']}: {n['unknown']}")
            else:
                today = f"{fmt_pct(n['value'], 1)} ({n['year']})"
            trend = (
                f"{n['trend_per_year'] * 100:+.2f} pt" if n["trend_per_year"] is not None else "n/a"
            )
            table.add_row(
                escape(n["id"]),
                today,
                "n/a" if n["gap"] is None else f"{n['gap'] * 100:.1f} pt",
                trend,
                "-" if n["reaches_in"] is None else str(n["reaches_in"]),
                n["status"],
            )
        if k:
            out.print()
        out.print(table)
        for line in unknown:
            out.print(escape(f"  n/a {line}"), soft_wrap=False)
        no_trend = [n["id"] for n in t["nodes"] if n["status"] == "no trend"]
        if no_trend:
            out.print(
                escape(
                    f"  no trend: {', '.join(no_trend)} (figures for one year only; a trend "
                    "needs two)"
                )
            )
        out.print(escape(f"  choke points today: {_ids(t['chokepoints_now'])}"))
        out.print(
            escape(f"  if met: {_ids(t['chokepoints_if_met'])} (no longer: {_ids(t['removed'])})")
        )
        for node, why in t["not_applied"].items():
            out.print(escape(f"  not applied at {node}: {why}"))
        trended = [
            f"{n['id']} {', '.join(map(str, n['trend_years']))}"
            for n in t["nodes"]
            if n["trend_per_year"] is not None
        ]
        if trended:
            out.print(
                escape(
                    f"  trend: least-squares line through the years with figures ({'; '.join(trended)})"
                )
            )
        if t["note"]:
            out.print(escape(f"  note: {t['note']}"))
        out.print(
            escape(f"  source: {', '.join(t['source'])} (in full: chokepoint sources {chain.name})")
        )
