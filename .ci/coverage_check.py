"""Per-module line coverage of ``chokepoint`` from coverage.py's JSON report, and a floor.

``python .ci/coverage_check.py coverage.json [--package-dir DIR] [--fail-under 90]``

Prints one row per module (dotted name, statements, missed, per cent) and the modules under the
floor (90% unless ``--fail-under`` says otherwise). Exits 1 when ``--fail-under`` is given and a
module is under it, or when ``--package-dir`` is given and a measured file lies outside that
folder (the tests ran against another copy of the package, ``src/`` instead of the installed
one). Without ``--fail-under`` the floor is reported, not enforced. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_FLOOR = 90.0


def module_name(path: str) -> str:
    """The dotted module name of a file of the package, from its path anywhere on disk.

    >>> module_name("/venv/lib/python3.11/site-packages/chokepoint/io/eto.py")
    'chokepoint.io.eto'
    >>> module_name("src/chokepoint/__init__.py")
    'chokepoint'
    """
    parts = Path(path).with_suffix("").parts
    start = len(parts) - 1 - parts[::-1].index("chokepoint")
    return ".".join(p for p in parts[start:] if p != "__init__")


def rows(report: dict[str, object]) -> list[tuple[str, int, int, float, str]]:
    """``(module, statements, missed, per cent, file)`` per measured file, by module name."""
    files = report["files"]
    assert isinstance(files, dict)
    found = []
    for path, entry in files.items():
        summary = entry["summary"]
        statements = int(summary["num_statements"])
        missed = int(summary["missing_lines"])
        percent = 100.0 * (statements - missed) / statements if statements else 100.0
        found.append((module_name(path), statements, missed, percent, path))
    return sorted(found)


def main(argv: list[str]) -> int:
    """Print the table; return 1 when a checked condition fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("report", type=Path, help="coverage JSON (pytest --cov-report=json:FILE)")
    parser.add_argument("--package-dir", type=Path, help="where every measured file must lie")
    parser.add_argument("--fail-under", type=float, help="fail when a module is under this")
    args = parser.parse_args(argv)

    table = rows(json.loads(args.report.read_text(encoding="utf-8")))
    if not table:
        sys.stderr.write(f"coverage_check: {args.report} measured no file of chokepoint\n")
        return 1
    floor = DEFAULT_FLOOR if args.fail_under is None else args.fail_under
    width = max(len(name) for name, *_ in table)
    out = [f"{'module':<{width}}  stmts   miss   cover"]
    for name, statements, missed, percent, _ in table:
        flag = "  < floor" if percent < floor else ""
        out.append(f"{name:<{width}}  {statements:5d}  {missed:5d}  {percent:5.1f}%{flag}")
    total = sum(row[1] for row in table)
    missed_total = sum(row[2] for row in table)
    out.append(
        f"{'total':<{width}}  {total:5d}  {missed_total:5d}  {100 * (total - missed_total) / total:5.1f}%"
    )
    under = [name for name, _, _, percent, _ in table if percent < floor]
    out.append(
        f"modules under {floor:g}%: {', '.join(under)}" if under else f"every module >= {floor:g}%"
    )
    sys.stdout.write("\n".join(out) + "\n")

    status = 0
    if args.package_dir is not None:
        package = args.package_dir.resolve()
        elsewhere = [p for *_, p in table if not Path(p).resolve().is_relative_to(package)]
        for path in elsewhere:
            sys.stderr.write(f"coverage_check: measured {path}, outside {package}\n")
        status = 1 if elsewhere else status
    if args.fail_under is not None and under:
        sys.stderr.write(f"coverage_check: {len(under)} module(s) under {floor:g}%\n")
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
