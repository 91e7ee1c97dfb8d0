"""Measure chokepoint's start-up, batching, each stage of the engine and its scaling, in one run.

Usage::

    python benchmarks/run.py            # networks of 10^4 .. 10^6 links, v0.1 alongside (about
                                        # 25 minutes on 2 quiet cores; --no-baseline: without v0.1)
    python benchmarks/run.py --large    # also Monte Carlo with 10^4 samples at 3x10^5 and 10^6 links
    python benchmarks/run.py --smoke    # tiny sizes and few repeats, for CI (about a minute)
    python benchmarks/run.py --only startup,export   # some sections (names below)

Every figure is a ratio to a baseline measured in the same run on the same machine, or a time
with the machine stated; every target is printed with PASS or FAIL. Generated networks come from
``chokepoint.io.generate.build_network(round(links / 3.55), seed=1)``, written as CSV folders.

1. ``startup``: the floor is a trivial Typer command that imports yaml, networkx and numpy (the
   core dependencies) and prints one line; ``chokepoint analyze robots --format json`` and
   ``chokepoint scenario robots --cut JP=1 --format json`` should take <= 1.2x that,
   ``chokepoint analyze robots`` (a rich table) <= 1.4x, and ``chokepoint --version`` <= 1.2x
   ``python -c "import typer"``. Commands run alternately, the median of many runs counts, and
   bytecode is cached (in a temporary ``PYTHONPYCACHEPREFIX``), as after ``pip install``;
2. ``batching``: a shell loop of ``chokepoint scenario`` calls against one ``chokepoint sweep``
   call, and the sweep rate of the Python API (target >= 10^5 scenarios/s on the robot chain);
3. ``analyze``: ``chokepoint analyze NET --format json`` end to end (time and peak memory,
   targets: 10^5 links <= 5 s, 10^6 links <= 30 s and <= 3 GB, growth exponent <= 1.2), run in
   turn with the same command of v0.1 (commit 67e3894, installed once into a venv of its own
   under ``--baseline-dir``, default ``benchmarks/.baseline``, from ``git archive`` of this
   repository), medians of 3 runs each (``--repeat`` at 10^6 links). Issue 14's targets: at
   10^6 links at least 4x faster than v0.1 and a peak of at most 1.5 GB (the peak resident
   memory of the command's process, ``os.wait4``), growth exponent from 10^4 to 10^6 links (three
   sizes) at most 1.1. Then each stage in a process of its own: read (``load_chain``),
   ``compile_chain``, ``direct_metrics``, ``exposure``, ``impacts``, the assembly of the result
   objects and the JSON text, with each stage's growth exponent;
4. ``propagation``: ``import_losses`` and ``propagate`` (both models) of a batch of 1 and of 64
   scenarios of random cuts on the compiled networks;
5. ``components``: ``core.compiled.strong_components`` on the largest network's whole input
   graph with scipy and with its networkx fallback (scipy hidden), igraph for reference when
   installed, and ``compile_chain`` with each;
6. ``montecarlo``: ``run_montecarlo`` on the robot chain, and on each network in a process of its
   own (time and peak memory; with ``--large``, targets: 10^4 samples at 3x10^5 links <= 1 GB,
   at 10^6 links <= 2 GB); on networks of up to 3x10^5 links v0.1's ``run_montecarlo`` of the
   same samples and seed runs too, in a process of its own (the time of sampling, reading the
   CSV apart), and the ratio is printed (``--large``, issue 14's target: 10^4 samples at 3x10^5
   links at least 8x faster than v0.1);
7. ``export``: ``chokepoint export NET -o NET.graphml`` against ``chokepoint analyze NET --format
   json`` on the largest network (10^6 links), alternating, medians of ``--repeat`` runs
   (issue 14's target: <= 2x);
8. ``stress``: ``chokepoint.stress(chain, 6, over="origins")`` (every origin cut fully for 6
   months, the time model) against the static ``sweep(chain, over="origins")`` of the same cuts,
   on networks of 10^4 and 10^5 links (smoke: 10^3 and 10^4), without stocks and with a 1-month
   stock at every 50th node (each stock that runs out is one more propagation); best of 3, ratio
   printed. ``over="all"`` (every pair too) is timed on the smallest network only: its result
   holds rows x final products values (5,612 x 502 at 10^4 links).
9. ``distributed``: ``run_montecarlo`` of 4 blocks (4,096 samples) on the 10^5-link network in
   one process, and on a local dask cluster of 1 and of 2 worker processes (``workers=N``, the
   cluster's start-up timed apart), the same result checked; then the cost of one block at
   10^6 links (a run of two blocks less one of one block) and the extrapolated time of 10^6
   samples at 10^6 links on N workers: ``start-up + scatter + ceil(blocks / N) x block cost / efficiency``,
   with the efficiency measured with 2 workers (needs the ``dask`` extra).

9. ``screen``: ``chokepoint screen FOLDER --importer EU27 --year 2018 --format json`` on a
   generated BACI-like folder (a year file of t,i,j,k,v,q rows over 238 country codes and 5,400
   HS-6 codes, some quantities NA, with its code files) against a plain
   ``pyarrow.csv.read_csv`` of the same file, each in a process of its own (time and peak
   memory; targets: <= 3x the read, <= 2 GB); the standard-library reader (``engine="python"``,
   used without pyarrow) is timed too. 2.2 million rows (a fifth of a BACI year); ``--large``:
   11 million rows (a whole year, about 0.4 GB); ``--smoke``: 200,000.

Sections 4 and 5 call the core below the public API (``chokepoint.core.compiled``,
``core.propagate``); the others time the command line or the public functions.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

FLOOR = """\
import networkx
import numpy
import typer
import yaml

app = typer.Typer(add_completion=False)


@app.command()
def main(name: str) -> None:
    typer.echo(name)


app()
"""
LINKS_PER_NODE = 3.55  # what generate() gives (heavy-tailed fan-in, mean about 4.7 per user)


def line(text: str = "") -> None:
    print(text, flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def chokepoint_command() -> list[str]:
    """The console script next to this interpreter, else ``python -m chokepoint``."""
    script = Path(sys.executable).with_name("chokepoint")
    return [str(script)] if script.exists() else [sys.executable, "-m", "chokepoint"]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                cpu = text.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for text in Path("/proc/meminfo").read_text().splitlines():
            if text.startswith("MemTotal"):
                memory = f", {int(text.split()[1]) / 1024**2:.0f} GB RAM"
    versions = []
    for name in ("networkx", "typer", "yaml", "numpy", "scipy", "igraph"):
        with contextlib.suppress(ImportError):
            module = __import__(name)
            versions.append(f"{name} {getattr(module, '__version__', '?')}")
    import yaml

    libyaml = "with libyaml" if getattr(yaml, "__with_libyaml__", False) else "pure PyYAML"
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs{memory}; "
        f"Python {platform.python_version()}; {', '.join(versions)} ({libyaml})"
    )


#: Runs a command with stdout to /dev/null and prints its wall time, peak RSS (KiB) and exit code.
#: A small process starts it because Linux counts, in a child's peak RSS, the memory of the
#: process that forked it (until exec): from the benchmark itself that would add hundreds of MB.
SPAWN = """\
import os, sys, time
args = sys.argv[1:]
null = os.open(os.devnull, os.O_WRONLY)
start = time.perf_counter()
pid = os.posix_spawnp(args[0], args, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, null, 1)])
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run_measured(args: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Run a command; return wall seconds, its own peak RSS in bytes, and its stderr."""
    done = subprocess.run(
        [sys.executable, "-c", SPAWN, *args], capture_output=True, text=True, env=env, check=False
    )
    try:
        seconds, peak, code = done.stdout.split()
    except ValueError:
        code, seconds, peak = "1", "0", "0"
    if done.returncode != 0 or code != "0":
        msg = f"failed ({code}): {' '.join(args)}\n{done.stderr}"
        raise SystemExit(msg)
    return float(seconds), int(peak) * 1024, done.stderr


def medians(commands: dict[str, list[str]], rounds: int, env: dict[str, str]) -> dict[str, float]:
    """Median wall time of each command, the commands run in turn, ``rounds`` times."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for args in commands.values():  # warm the bytecode cache and the file cache
        run_measured(args, env)
    for _ in range(rounds):
        for name, args in commands.items():
            times[name].append(run_measured(args, env)[0])
    return {name: statistics.median(values) for name, values in times.items()}


def best_of(repeat: int, func: Callable[[], Any]) -> tuple[float, Any]:
    best, value = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        value = func()
        best = min(best, time.perf_counter() - start)
    return best, value


@contextlib.contextmanager
def pycache_env() -> Iterator[dict[str, str]]:
    """An environment that caches bytecode in a temporary folder (not in the source tree)."""
    with tempfile.TemporaryDirectory(prefix="chokepoint-pyc-") as folder:
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = folder
        env["COLUMNS"] = "120"
        yield env


def startup(rounds: int, env: dict[str, str], work: Path) -> None:
    line("## 1. Start-up (median of alternating runs, bytecode cached)")
    floor = work / "floor.py"
    floor.write_text(FLOOR, encoding="utf-8")
    old_floor = work / "floor-without-numpy.py"
    old_floor.write_text(FLOOR.replace("import numpy\n", ""), encoding="utf-8")
    cli = chokepoint_command()
    commands = {
        "floor": [sys.executable, str(floor), "one line"],
        "floor, no numpy": [sys.executable, str(old_floor), "one line"],
        "import typer": [sys.executable, "-c", "import typer"],
        "analyze json": [*cli, "analyze", "robots", "--format", "json"],
        "scenario json": [*cli, "scenario", "robots", "--cut", "JP=1", "--format", "json"],
        "analyze table": [*cli, "analyze", "robots"],
        "--version": [*cli, "--version"],
    }
    found = medians(commands, rounds, env)
    for name, seconds in found.items():
        line(f"  {name:16s} {seconds * 1000:7.1f} ms   ({' '.join(commands[name][-5:])})")
    checks = [
        ("analyze robots --format json", found["analyze json"] / found["floor"], 1.2, "floor"),
        (
            "scenario robots --cut JP=1 --format json",
            found["scenario json"] / found["floor"],
            1.2,
            "floor",
        ),
        ("analyze robots (rich table)", found["analyze table"] / found["floor"], 1.4, "floor"),
        ("--version", found["--version"] / found["import typer"], 1.2, 'python -c "import typer"'),
    ]
    for what, ratio, target, base in checks:
        line(
            f"  {what:42s} {ratio:5.2f}x {base:26s} target <= {target}x  {verdict(ratio <= target)}"
        )
    old = found["floor, no numpy"]
    line(
        f"  for reference, against the floor without numpy (the targets before issue 12): "
        f"analyze json {found['analyze json'] / old:.2f}x, scenario json "
        f"{found['scenario json'] / old:.2f}x, table {found['analyze table'] / old:.2f}x; "
        f"numpy adds {(found['floor'] - old) * 1000:.0f} ms to the floor"
    )
    line()


def batching(rounds: int, env: dict[str, str], scenarios: int) -> None:
    line("## 2. A shell loop of scenarios against one sweep")
    cli = chokepoint_command()
    severities = [k / 20 for k in range(21)]
    loop_times = []
    for _ in range(max(1, rounds // 5)):
        start = time.perf_counter()
        for s in severities:
            run_measured(
                [*cli, "scenario", "robots", "--cut", f"JP:reducers={s}", "--format", "json"], env
            )
        loop_times.append(time.perf_counter() - start)
    loop = statistics.median(loop_times)
    sweep = medians(
        {
            "sweep": [
                *cli, "sweep", "robots", "--cut", "JP:reducers", "--severity", "0:1:0.05",
                "--format", "json",
            ]
        },
        max(3, rounds // 3),
        env,
    )["sweep"]  # fmt: skip
    per_call = loop / len(severities)
    line(
        f"  {len(severities)} x `chokepoint scenario`: {loop:.2f} s, {per_call * 1000:.0f} ms per "
        f"scenario; one `chokepoint sweep` of the same {len(severities)}: {sweep * 1000:.0f} ms "
        f"({sweep / len(severities) * 1000:.1f} ms per scenario): the loop costs "
        f"{loop / sweep:.1f}x"
    )
    from chokepoint import load_chain
    from chokepoint.core.scenarios import sweep

    chain = load_chain("robots")
    levels = tuple(k / (scenarios - 1) for k in range(scenarios))
    sweep(chain, cut="JP:reducers", severity=levels[:100])  # imports numpy once
    for model in ("leontief", "linear"):
        seconds, result = best_of(
            3,
            lambda model=model: sweep(
                chain, cut="JP", severity=levels, model=model, max_rows=len(levels)
            ),
        )
        rate = len(result.rows) / seconds
        line(
            f"  sweep(robots, cut='JP', {len(levels):,} severities, {model}): {seconds:.3f} s, "
            f"{rate:,.0f} scenarios/s   target >= 100,000/s  {verdict(rate >= 1e5)}"
        )
    over, result = best_of(
        3, lambda: sweep(chain, over="nodes", severity=levels[:2000], max_rows=100_000)
    )
    line(
        f"  sweep(robots, over='nodes', 2,000 severities): {len(result.rows):,} scenarios, "
        f"{len(result.rows) / over:,.0f} scenarios/s"
    )
    line()


#: The release the targets of issue 14 are ratios to: v0.1, measured in the same run.
BASELINE_COMMIT = "67e3894"


def baseline_command(folder: Path) -> list[str]:
    """The ``chokepoint`` console script of v0.1 (commit :data:`BASELINE_COMMIT`), installed once
    into a venv of its own under ``folder`` and reused by later runs.

    The source comes from ``git archive`` of the repository this script is in, so no network is
    needed but the package index for v0.1's dependencies (its ``fast`` extra included: scipy, as
    in the working tree's venv). A stamp file names the commit; a folder without it is rebuilt.
    """
    script = folder / "venv" / "bin" / "chokepoint"
    stamp = folder / "commit"
    repo = Path(__file__).resolve().parent.parent
    commit = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", BASELINE_COMMIT],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    if script.exists() and stamp.exists() and stamp.read_text().strip() == commit:
        return [str(script)]
    line(f"  installing v0.1 ({commit[:7]}) into {folder} (once; later runs reuse it)")
    shutil.rmtree(folder, ignore_errors=True)
    source = folder / "src"
    source.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", commit],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    subprocess.run([sys.executable, "-m", "venv", str(folder / "venv")], check=True)
    pip = [str(folder / "venv" / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, f"{source}[fast]"], check=True, capture_output=True)
    stamp.write_text(commit + "\n", encoding="utf-8")
    return [str(script)]


def network(links: int, work: Path) -> tuple[Path, int, int]:
    """The CSV folder of a generated network of about ``links`` links (written once per run, or
    reused from ``--keep``), its links and nodes."""
    folder = work / f"net-{links}"
    if not folder.exists():
        from chokepoint.io.generate import build_network, write_network

        write_network(build_network(round(links / LINKS_PER_NODE), seed=1), folder)
    count = sum(1 for _ in (folder / "edges.csv").open(encoding="utf-8")) - 1
    nodes = sum(1 for _ in (folder / "nodes.csv").open(encoding="utf-8")) - 1
    return folder, count, nodes


#: The stages of ``analyze`` in a process of their own (for its peak memory), printed to stderr
#: in seconds: read (CSV parsing and checks), compile, direct metrics, exposure, impacts, the
#: whole ``analyze_compiled`` (which computes the three formulas again and assembles the results)
#: and the JSON text of ``analyze --format json``; then the origins, pairs, final products and
#: cyclic nodes of the compiled form. The collector is paused around reading and analysing, as
#: ``load_chain`` and ``analyze`` pause it on a large network, and not around the JSON, as in the
#: CLI.
STAGES = """\
import io, sys, time
from chokepoint import load_chain
from chokepoint._gc import paused
from chokepoint.core.analysis import analyze_compiled
from chokepoint.core.chokepoints import impacts
from chokepoint.core.compiled import compile_chain
from chokepoint.core.metrics import direct_metrics, exposure
from chokepoint.output import render
clock = time.perf_counter
lazy = clock()
try:  # imported on first use by compile_chain when a network has cycles: counted apart
    import scipy.sparse.csgraph
except ImportError:
    pass
lazy = clock() - lazy
with paused():
    t = [clock()]
    chain = load_chain(sys.argv[1]); t.append(clock())
    c = compile_chain(chain); t.append(clock())
    direct = direct_metrics(c); t.append(clock())
    origins, x = exposure(c); t.append(clock())
    impacts(c, direct.top_share); t.append(clock())
    result = analyze_compiled(c); t.append(clock())
# as in the CLI: load_chain and analyze pause the collector, the rendering does not
sys.stdout = io.StringIO(); render.analysis(result, "json"); sys.stdout = sys.__stdout__
t.append(clock())
spent = [b - a for a, b in zip(t, t[1:])]
cyclic = sum(len(m) for m in c.cyclic)
print(*spent, lazy, len(origins), len(c.pair_origin), len(c.finals), cyclic, file=sys.stderr)
"""
STAGE_NAMES = ("read", "compile", "direct", "exposure", "impacts", "assemble", "JSON")


def exponent(rows: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of log(time) against log(size)."""
    fit = [(math.log(n), math.log(max(t, 1e-6))) for n, t in rows]
    mx = statistics.fmean(x for x, _ in fit)
    my = statistics.fmean(y for _, y in fit)
    return sum((x - mx) * (y - my) for x, y in fit) / sum((x - mx) ** 2 for x, _ in fit)


def analyze_stages(
    sizes: Sequence[int], work: Path, env: dict[str, str], old: list[str] | None, repeat_large: int
) -> None:
    line("## 3. `analyze` of generated networks (CSV form): end to end and stage by stage")
    cli = chokepoint_command()
    ends: list[tuple[int, float, int]] = []
    baseline: list[tuple[int, float, int]] = []
    stages: list[tuple[int, list[float]]] = []
    for links in sizes:
        folder, count, nodes = network(links, work)
        size = sum(p.stat().st_size for p in folder.iterdir())
        repeat = 3 if links <= 100_000 else repeat_large
        args = ["analyze", str(folder), "--format", "json"]
        runs, old_runs = [], []
        for _ in range(repeat):  # the working tree and v0.1 in turn, so that load hits both
            runs.append(run_measured([*cli, *args], env))
            if old is not None:
                old_runs.append(run_measured([*old, *args], env))
        seconds = statistics.median(r[0] for r in runs)
        peak = max(r[1] for r in runs)
        if old_runs:
            old_seconds = statistics.median(r[0] for r in old_runs)
            old_peak = max(r[1] for r in old_runs)
            baseline.append((count, old_seconds, old_peak))
            line(
                f"  {count:>9,} links: `analyze --format json` {seconds:.2f} s, peak "
                f"{peak / 1e9:.2f} GB; v0.1 {old_seconds:.2f} s, peak {old_peak / 1e9:.2f} GB: "
                f"{old_seconds / seconds:.2f}x faster (medians of {repeat}: "
                f"{', '.join(f'{r[0]:.2f}' for r in runs)} against "
                f"{', '.join(f'{r[0]:.2f}' for r in old_runs)} s)"
            )
        _, staged_peak, err = run_measured([sys.executable, "-c", STAGES, str(folder)], env)
        values = [float(v) for v in err.split()[-12:]]
        spent, scipy, (origins, pairs, finals, cyclic) = values[:7], values[7], values[8:]
        # analyze_compiled computes direct metrics, exposure and impacts again: what it adds
        # to them is the assembly of the result objects
        spent[5] = max(0.0, spent[5] - sum(spent[2:5]))
        ends.append((count, seconds, peak))
        stages.append((count, spent))
        line(
            f"  {count:>9,} links {nodes:>8,} nodes ({size / 1e6:5.1f} MB of CSV, {origins:.0f} "
            f"origins, {pairs:,.0f} pairs, {finals:,.0f} final products, {cyclic:,.0f} nodes on "
            f"cycles): `analyze --format json` {seconds:.2f} s (median of {repeat}), peak "
            f"{peak / 1e9:.2f} GB; staged run peak {staged_peak / 1e9:.2f} GB"
        )
    line()
    line(f"  {'stage (seconds)':18s}" + "".join(f"{n:>12,}" for n, _ in stages) + "   exponent")
    for k, name in enumerate(STAGE_NAMES):
        fit = exponent([(n, s[k]) for n, s in stages]) if len(stages) >= 2 else math.nan
        line(f"  {name:18s}" + "".join(f"{s[k]:12.3f}" for _, s in stages) + f"   {fit:8.2f}")
    totals = [(n, sum(s)) for n, s in stages]
    fit = exponent(totals) if len(totals) >= 2 else math.nan
    line(f"  {'sum of stages':18s}" + "".join(f"{t:12.3f}" for _, t in totals) + f"   {fit:8.2f}")
    line(
        "  (read: load_chain; compile: compile_chain; direct: direct_metrics; exposure; impacts; "
        "assemble: the rest of analyze_compiled, the result objects; JSON: render.analysis); "
        f"importing scipy.sparse.csgraph, done once before compile_chain needs it, {scipy:.2f} s"
    )
    line()
    for links, seconds, peak in ends:
        if 0.5e5 <= links <= 2e5:
            line(f"  10^5 links: {seconds:.2f} s   target <= 5 s  {verdict(seconds <= 5)}")
        if links >= 0.5e6:
            line(f"  10^6 links: {seconds:.2f} s   target <= 30 s  {verdict(seconds <= 30)}")
            line(f"  10^6 links: peak {peak / 1e9:.2f} GB   target <= 3 GB  {verdict(peak <= 3e9)}")
    big = [(n, t) for n, t, _ in ends if n >= 0.5e4]
    if len(big) >= 2:
        slope = exponent(big)
        line(
            f"  growth exponent of `analyze` time in links, {big[0][0]:,} .. {big[-1][0]:,} "
            f"links (least squares on log-log): {slope:.2f}   target <= 1.2  "
            f"{verdict(slope <= 1.2)}"
        )
    if baseline:
        line("  issue 14 targets, against v0.1 (commit 67e3894) measured in this run:")
        for (links, seconds, peak), (_, old_seconds, old_peak) in zip(ends, baseline, strict=True):
            if links >= 0.5e6:
                ratio = old_seconds / seconds
                line(
                    f"  {links:,} links: {ratio:.2f}x faster than v0.1 ({seconds:.2f} s against "
                    f"{old_seconds:.2f} s)   target >= 4x  {verdict(ratio >= 4)}"
                )
                line(
                    f"  {links:,} links: peak {peak / 1e9:.2f} GB (v0.1 {old_peak / 1e9:.2f} GB)"
                    f"   target <= 1.5 GB  {verdict(peak <= 1.5e9)}"
                )
        if len(big) >= 3:
            slope = exponent(big)
            old_slope = exponent([(n, t) for n, t, _ in baseline if n >= 0.5e4])
            line(
                f"  growth exponent over {len(big)} sizes, {big[0][0]:,} .. {big[-1][0]:,} links: "
                f"{slope:.2f} (v0.1 {old_slope:.2f})   target <= 1.1  {verdict(slope <= 1.1)}"
            )
    line()
    libraries(sizes[-1], work, env)


#: Issue 14 item 5, libraries chosen by measurement, in a process of its own: the CSV form's
#: three tables parsed into columns of text by the csv module (as ``io.tabular`` reads them) and
#: by pyarrow (the table, then the same columns as Python lists, which the checks need); the JSON
#: text of ``analyze`` by ``json.dumps`` and by orjson (``render.emit_json`` uses orjson when
#: installed, else the compact ``json.dumps``), and whether they give the same values. Prints one line per measurement; best of 3, CPU seconds.
LIBRARIES = """\
import csv, gc, io, json, sys, time
from pathlib import Path
gc.disable()
folder = Path(sys.argv[1])
tables = ("nodes.csv", "shares.csv", "edges.csv")
def best(func):
    spent = []
    for _ in range(3):
        start = time.process_time(); func(); spent.append(time.process_time() - start)
    return min(spent)
def stdlib():
    for name in tables:
        text = (folder / name).read_text(encoding="utf-8")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        [list(map(str.strip, column)) for column in zip(*rows[1:])]
print(f"CSV, csv module to columns of text: {best(stdlib):.2f} s")
try:
    import pyarrow as pa, pyarrow.csv as pc
except ImportError:
    print("CSV, pyarrow: not installed")
else:
    def arrow(lists):
        for name in tables:
            head = (folder / name).open(encoding="utf-8").readline().strip().split(",")
            options = pc.ConvertOptions(column_types={c: pa.string() for c in head})
            table = pc.read_csv(folder / name, convert_options=options)
            if lists:
                [column.to_pylist() for column in table.columns]
    print(f"CSV, pyarrow {pa.__version__} table: {best(lambda: arrow(False)):.2f} s; "
          f"to columns of text: {best(lambda: arrow(True)):.2f} s")
from chokepoint import analyze, load_chain
document = analyze(load_chain(folder)).to_dict()
compact = dict(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
text = json.dumps(document, **compact)
dumps = best(lambda: json.dumps(document, **compact).encode())
print(f"JSON, json.dumps (compact, as emit_json without orjson) and UTF-8: {dumps:.2f} s, "
      f"{len(text) / 1e6:.0f} MB")
try:
    import orjson
except ImportError:
    print("JSON, orjson: not installed")
else:
    fast = best(lambda: orjson.dumps(document))
    same = json.loads(orjson.dumps(document)) == json.loads(text)
    print(f"JSON, orjson {orjson.__version__} (as emit_json): {fast:.2f} s; same values: {same}")
"""


def libraries(links: int, work: Path, env: dict[str, str]) -> None:
    """Issue 14 item 5: CSV parsing and JSON writing libraries measured on one network."""
    folder, count, _ = network(links, work)
    line(f"  libraries (issue 14 item 5), {count:,} links, CPU seconds, best of 3:")
    done = subprocess.run(
        [sys.executable, "-c", LIBRARIES, str(folder)],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    for text in done.stdout.splitlines():
        line(f"    {text}")
    line()


def compiled_network(links: int, work: Path, cache: dict[int, Any]) -> Any:
    """The compiled form of a generated network, read and compiled once per run."""
    if links not in cache:
        from chokepoint import load_chain
        from chokepoint._gc import paused
        from chokepoint.core.compiled import compile_chain

        cache.clear()  # one large network in memory at a time
        folder, _, _ = network(links, work)
        with paused():
            cache[links] = compile_chain(load_chain(folder))
    return cache[links]


def propagation(sizes: Sequence[int], work: Path, cache: dict[int, Any]) -> None:
    line("## 4. Propagation of a batch of scenarios (core.propagate)")
    import numpy as np

    from chokepoint.core.propagate import import_losses, propagate

    line(
        "  random cuts (every (origin, node) pair at a uniform severity, seed 1), import_losses "
        "then propagate; best of 3"
    )
    for links in sizes:
        c = compiled_network(links, work, cache)
        rng = np.random.default_rng(1)
        parts = []
        for width in (1, 64):
            kappa = rng.random((len(c.pair_origin), width))
            spent, imports = best_of(3, lambda k=kappa, c=c: import_losses(c, k))
            parts.append(f"S={width}: import_losses {spent:.3f} s")
            for model in ("leontief", "linear"):
                spent, _ = best_of(3, lambda m=model, i=imports, c=c: propagate(c, i, model=m))
                parts.append(f"{model} {spent:.3f} s ({spent / width * 1000:.1f} ms per scenario)")
        line(f"  {c.in_src.size:>9,} links {c.size:>8,} nodes: " + ", ".join(parts))
    line()


def components(largest: int, work: Path, cache: dict[int, Any]) -> None:
    line("## 5. Strongly connected components: scipy.sparse.csgraph against the networkx fallback")
    from chokepoint import load_chain
    from chokepoint._gc import paused
    from chokepoint.core.compiled import compile_chain, strong_components

    c = compiled_network(largest, work, cache)
    size, src, dst = c.size, c.in_src, c.in_user

    @contextlib.contextmanager
    def without_scipy() -> Iterator[None]:
        saved = {k: v for k, v in sys.modules.items() if k == "scipy" or k.startswith("scipy.")}
        for name in ("scipy", "scipy.sparse", "scipy.sparse.csgraph"):
            sys.modules[name] = None  # type: ignore[assignment]
        try:
            yield
        finally:
            for name in ("scipy", "scipy.sparse", "scipy.sparse.csgraph"):
                del sys.modules[name]
            sys.modules.update(saved)

    scipy_s, fast = best_of(3, lambda: strong_components(size, src, dst))
    with without_scipy():
        nx_s, slow = best_of(1, lambda: strong_components(size, src, dst))
    agree = _same_partition(fast, slow)
    line(
        f"  the whole input graph, {size:,} nodes {src.size:,} links: scipy {scipy_s:.3f} s, "
        f"networkx {nx_s:.2f} s ({nx_s / scipy_s:.0f}x; same partition: {agree})"
    )
    with contextlib.suppress(ImportError):
        import igraph  # type: ignore[import-not-found,unused-ignore]
        import numpy as np

        build, graph = best_of(
            1, lambda: igraph.Graph(n=size, edges=np.column_stack([src, dst]), directed=True)
        )
        ig_s, _ = best_of(3, lambda: graph.connected_components(mode="strong"))
        line(f"  igraph {ig_s:.3f} s (+ {build:.2f} s to build its graph)")
    folder, _, _ = network(largest, work)
    with paused():
        chain = load_chain(folder)
        with_scipy, _ = best_of(1, lambda: compile_chain(chain))
        with without_scipy():
            with_nx, _ = best_of(1, lambda: compile_chain(chain))
    cyclic = sum(len(m) for m in c.cyclic)
    line(
        f"  compile_chain (components of the cyclic core only: {cyclic:,} nodes in "
        f"{len(c.cyclic):,} components): {with_scipy:.2f} s with scipy, {with_nx:.2f} s with "
        "networkx"
    )
    line()


def _same_partition(a: Any, b: Any) -> bool:
    """Whether two labellings of the nodes group them alike."""
    import numpy as np

    pairs = np.unique(np.column_stack([a, b]), axis=0)
    return bool(len(pairs) == len(np.unique(a)) == len(np.unique(b)))


#: ``run_montecarlo`` on a network folder, in a process of its own (for its peak memory); prints
#: to stderr the seconds to load the chain and of the run, the links, pairs and final products.
#: 0 samples: load the chain only (the memory that the Monte Carlo adds is the difference).
MONTECARLO = """\
import sys, time
start = time.perf_counter()
from chokepoint import load_chain
from chokepoint._gc import paused
from chokepoint.core.montecarlo import montecarlo as run_montecarlo
with paused():
    chain = load_chain(sys.argv[1])
loaded = time.perf_counter()
samples = int(sys.argv[2])
result = run_montecarlo(chain, samples, 1, max_samples=max(samples, 1)) if samples else None
ran = time.perf_counter()
links = sum(len(n.inputs) for n in chain.nodes)
pairs = sum(d.node is not None for d in result.drivers) if result else 0
finals = len(result.final) if result else 0
print(f"{loaded - start:.2f} {ran - loaded:.2f} {links} {pairs} {finals}", file=sys.stderr)
"""
#: Peak memory targets of issue 14: (links, samples) -> bytes.
MONTECARLO_PEAKS = {(300_000, 10_000): 1e9, (1_000_000, 10_000): 2e9}
#: Issue 14: at least this many times faster than v0.1 (the time of ``run_montecarlo``).
MONTECARLO_SPEEDUPS = {(300_000, 10_000): 8.0}
#: The same run with v0.1's ``run_montecarlo`` (its signature: chain, samples, seed).
MONTECARLO_V01 = """\
import sys, time
start = time.perf_counter()
from chokepoint import load_chain
from chokepoint._gc import paused
from chokepoint.montecarlo import run_montecarlo
with paused():
    chain = load_chain(sys.argv[1])
loaded = time.perf_counter()
run_montecarlo(chain, int(sys.argv[2]), 1)
print(f"{loaded - start:.2f} {time.perf_counter() - loaded:.2f}", file=sys.stderr)
"""


def montecarlo(
    work: Path,
    runs: Sequence[tuple[int, int]],
    robots_samples: int,
    env: dict[str, str],
    old: list[str] | None,
) -> None:
    line("## 6. Monte Carlo (run_montecarlo, seed 1, p = 0.1, uniform severity)")
    from chokepoint import load_chain
    from chokepoint.core.montecarlo import montecarlo as run_montecarlo

    chain = load_chain("robots")
    seconds, _ = best_of(3, lambda: run_montecarlo(chain, robots_samples, 1))
    line(
        f"  robots, {robots_samples:,} samples: {seconds:.3f} s "
        f"({robots_samples / seconds:,.0f} samples/s)"
    )
    line("  generated networks, each run in a process of its own (compiling included):")
    for links, samples in runs:
        folder, _, _ = network(links, work)
        script = [sys.executable, "-c", MONTECARLO, str(folder)]
        _, base, _ = run_measured([*script, "0"], env)
        _, peak, err = run_measured([*script, str(samples)], env)
        loaded, ran, count, pairs, finals = (float(v) for v in err.split()[-5:])
        counts = 2 if samples < 1 << 16 else 4
        line(
            f"  {count:>9,.0f} links ({pairs:,.0f} pairs, {finals:,.0f} final products), "
            f"{samples:,} samples: {ran:.1f} s ({ran / samples * 1000:.1f} ms per sample; reading "
            f"the CSV {loaded:.1f} s more), peak {peak / 1e9:.2f} GB of which the chain as read "
            f"{base / 1e9:.2f} GB; the quantiles' histograms "
            f"{finals * 6_002 * counts / 1e9:.2f} GB"
        )
        target = MONTECARLO_PEAKS.get((links, samples))
        if target is not None:
            line(
                f"    peak {peak / 1e9:.2f} GB, target <= {target / 1e9:.0f} GB  "
                f"{verdict(peak <= target)}"
            )
        if old is not None and links <= 300_000:
            python = str(Path(old[0]).with_name("python"))
            _, old_peak, old_err = run_measured(
                [python, "-c", MONTECARLO_V01, str(folder), str(samples)], env
            )
            old_ran = float(old_err.split()[-1])
            ratio = old_ran / ran
            line(
                f"    v0.1 (commit {BASELINE_COMMIT}) in this run: {old_ran:.1f} s, peak "
                f"{old_peak / 1e9:.2f} GB: {ratio:.2f}x faster"
            )
            speedup = MONTECARLO_SPEEDUPS.get((links, samples))
            if speedup is not None:
                line(
                    f"    {ratio:.2f}x faster than v0.1 ({ran:.1f} s against {old_ran:.1f} s)   "
                    f"target >= {speedup:.0f}x  {verdict(ratio >= speedup)}"
                )
    line()


def export_against_analyze(links: int, rounds: int, work: Path, env: dict[str, str]) -> None:
    """GraphML export of a generated network against ``analyze --format json`` of the same
    network: both commands in turn, ``rounds`` times after one warm-up run each, medians."""
    folder, count, nodes = network(links, work)
    line(f"## 7. GraphML export against analyze, {count:,} links ({nodes:,} nodes)")
    cli = chokepoint_command()
    graphml = work / f"net-{links}.graphml"
    commands = {
        "analyze --format json": [*cli, "analyze", str(folder), "--format", "json"],
        "export -o NET.graphml": [*cli, "export", str(folder), "-o", str(graphml)],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    peaks: dict[str, int] = dict.fromkeys(commands, 0)
    for _ in range(rounds):
        for name, args in commands.items():
            seconds, peak, _ = run_measured(args, env)
            times[name].append(seconds)
            peaks[name] = max(peaks[name], peak)
    found = {name: statistics.median(values) for name, values in times.items()}
    for name, seconds in found.items():
        line(
            f"  {name:24s} {seconds:7.2f} s   (median of {rounds}: "
            f"{', '.join(f'{t:.2f}' for t in times[name])}; peak {peaks[name] / 1e9:.2f} GB)"
        )
    ratio = found["export -o NET.graphml"] / found["analyze --format json"]
    line(
        f"  {'export / analyze':24s} {ratio:7.2f}x   target <= 2x  {verdict(ratio <= 2)}   "
        f"(GraphML {graphml.stat().st_size / 1e6:.1f} MB)"
    )
    graphml.unlink()
    line()


def stress_against_sweep(sizes: Sequence[int], work: Path, repeat: int) -> None:
    line("## 8. stress (time model) against a static sweep of the same cuts")
    from chokepoint import load_chain
    from chokepoint.core.scenarios import sweep
    from chokepoint.core.stress import stress

    line(f"  every origin cut fully (at every node) for 6 months; best of {repeat}")
    for links in sizes:
        folder, count, nodes = network(links, work)
        chain = load_chain(folder)
        static, swept = best_of(repeat, lambda ch=chain: sweep(ch, over="origins"))
        bare, rows = best_of(repeat, lambda ch=chain: stress(ch, 6, over="origins"))
        held = {n.id: 1.0 for n in chain.nodes[::50]}
        stocked, _ = best_of(
            repeat, lambda ch=chain, h=held: stress(ch, 6, stocks=h, over="origins")
        )
        line(
            f"  {count:>9,} links {nodes:>7,} nodes {len(swept.rows):>3} origins: sweep "
            f"{static:.3f} s; stress {bare:.3f} s ({bare / static:.2f}x); with {len(held):,} "
            f"stocks {stocked:.3f} s ({stocked / static:.2f}x)"
        )
        assert len(rows.rows) == len(swept.rows)
    folder, count, _ = network(sizes[0], work)
    chain = load_chain(folder)
    spent, everything = best_of(1, lambda: stress(chain, 6, max_rows=10**6))
    finals = len(everything.rows[0].final) if everything.rows else 0
    line(
        f"  over all at {count:,} links: {len(everything.rows):,} rows x {finals:,} final "
        f"products in {spent:.2f} s"
    )
    line()


#: The file that section 9 reads with pyarrow alone: the baseline of ``chokepoint screen``.
PLAIN_READ = """\
import sys
import pyarrow.csv as pacsv
table = pacsv.read_csv(sys.argv[1])
print(table.num_rows)
"""
#: The same screen with the standard-library reader (what runs without pyarrow).
PYTHON_SCREEN = """\
import sys
from chokepoint.core.screen import screen
result = screen(sys.argv[1], "EU27", 2018, engine="python")
print(len(result.products))
"""


def baci_like(rows: int, work: Path) -> Path:
    """Write a BACI-like folder of ``rows`` rows for 2018 (random flows, fixed seed)."""
    import numpy as np
    import pycountry

    folder = work / f"baci-{rows}"
    year_file = folder / "BACI_HS17_Y2018_V202401b.csv"
    if year_file.exists():
        return folder
    folder.mkdir(parents=True)
    special = {"US": 842, "FR": 251, "IN": 699, "CH": 757, "NO": 579}
    codes = [
        (special.get(c.alpha_2, int(c.numeric)), c.name.replace(",", ""), c.alpha_2, c.alpha_3)
        for c in pycountry.countries
        if int(c.numeric) < 900
    ][:237]
    codes.append((490, "Other Asia nes", "N/A", "S19"))
    with (folder / "country_codes_V202401b.csv").open("w", encoding="utf-8") as out:
        out.write("country_code,country_name,country_iso2,country_iso3\n")
        out.writelines(f"{n},{name},{a2},{a3}\n" for n, name, a2, a3 in codes)
    rng = np.random.default_rng(1)
    products = np.sort(rng.choice(np.arange(10_000, 970_000), size=5_400, replace=False))
    with (folder / "product_codes_HS17_V202401b.csv").open("w", encoding="utf-8") as out:
        out.write("code,description\n")
        out.writelines(f"{k:06d},product {k:06d}\n" for k in products)
    numbers = np.array([c[0] for c in codes])
    with year_file.open("w", encoding="utf-8") as out:
        out.write("t,i,j,k,v,q\n")
        for start in range(0, rows, 1_000_000):
            n = min(1_000_000, rows - start)
            i = rng.choice(numbers, n)
            j = rng.choice(numbers, n)
            k = rng.choice(products, n)
            v = np.round(rng.lognormal(3, 2, n), 3)
            q = np.round(v / rng.uniform(1, 50, n), 3)
            na = rng.random(n) < 0.05
            out.writelines(
                f"2018,{a},{b},{c:06d},{d:.3f},{'NA' if e else f'{f:.3f}'}\n"
                for a, b, c, d, e, f in zip(
                    i.tolist(),
                    j.tolist(),
                    k.tolist(),
                    v.tolist(),
                    na.tolist(),
                    q.tolist(),
                    strict=True,
                )
            )
    return folder


def screen_against_read(rows: int, work: Path, env: dict[str, str], python_engine: bool) -> None:
    line("## 9. screen (EU27, every HS-6 product) against a plain pyarrow read of the file")
    started = time.perf_counter()
    folder = baci_like(rows, work)
    year_file = folder / "BACI_HS17_Y2018_V202401b.csv"
    size = year_file.stat().st_size
    line(
        f"  generated {rows:,} rows ({size / 1e6:,.0f} MB) in {time.perf_counter() - started:.0f} s"
    )
    read_s, read_peak, _ = min(
        run_measured([sys.executable, "-c", PLAIN_READ, str(year_file)], env) for _ in range(3)
    )
    cmd = [*chokepoint_command(), "screen", str(folder), "--importer", "EU27", "--year", "2018",
           "--format", "json"]  # fmt: skip
    screen_s, screen_peak, _ = min(run_measured(cmd, env) for _ in range(3))
    ratio = screen_s / read_s
    line(f"  pyarrow.csv.read_csv: {read_s:.2f} s, peak {read_peak / 1e9:.2f} GB")
    line(
        f"  chokepoint screen (arrow): {screen_s:.2f} s ({ratio:.2f}x the read; target <= 3x: "
        f"{verdict(ratio <= 3)}), peak {screen_peak / 1e9:.2f} GB (target <= 2 GB: "
        f"{verdict(screen_peak <= 2e9)})"
    )
    if python_engine:
        py_s, py_peak, _ = run_measured([sys.executable, "-c", PYTHON_SCREEN, str(folder)], env)
        line(
            f"  screen with the standard-library reader (no pyarrow): {py_s:.2f} s "
            f"({py_s / read_s:.1f}x the read), peak {py_peak / 1e9:.2f} GB (target <= 2 GB: "
            f"{verdict(py_peak <= 2e9)})"
        )


#: The cost of Monte Carlo samples on a network folder, in a process of its own: prints to stderr
#: the seconds of ``run_montecarlo`` with N1 and with N2 samples (one block and two: their
#: difference is the cost of a block, without the fixed costs of a run: compiling, the summary),
#: and the size of the pickled compiled chain (what is scattered to each worker).
BLOCK_COST = """\
import pickle, sys, time
from chokepoint import load_chain
from chokepoint._gc import paused
from chokepoint.core.montecarlo import _engine, montecarlo
with paused():
    chain = load_chain(sys.argv[1])
spent = []
for samples in sys.argv[2:4]:
    start = time.perf_counter()
    montecarlo(chain, int(samples), 1)
    spent.append(time.perf_counter() - start)
engine = _engine(chain, None, None, "leontief")
print(*spent, len(pickle.dumps(engine, protocol=5)), file=sys.stderr)
"""


def distributed_workers(middle: int, largest: int, work: Path, env: dict[str, str]) -> None:
    """1 against 2 local dask workers, and the time of 10^6 samples at ``largest`` links on N
    workers extrapolated from the measured cost of a block."""
    line("## 10. Monte Carlo on dask workers (1 against 2 local workers; extrapolation)")
    from chokepoint.core.distributed import client

    try:
        import distributed  # noqa: F401
    except ImportError:
        line("  skipped: dask is not installed (pip install 'chokepoint-supply[dask]')")
        line()
        return
    from chokepoint import load_chain
    from chokepoint.core.montecarlo import BLOCK
    from chokepoint.core.montecarlo import montecarlo as run_montecarlo

    folder, count, _ = network(middle, work)
    chain = load_chain(folder)
    samples = 4 * BLOCK
    alone, expected = best_of(1, lambda: run_montecarlo(chain, samples, 1))
    line(f"  {count:,} links, {samples:,} samples (4 blocks), seed 1:")
    line(f"    one process          {alone:8.2f} s")
    spent: dict[int, float] = {}
    for workers in (1, 2):

        def start_stop(n: int = workers) -> None:
            with client(workers=n):
                pass

        startup, _ = best_of(1, start_stop)
        seconds, found = best_of(1, lambda n=workers: run_montecarlo(chain, samples, 1, workers=n))
        assert found.to_dict() == expected.to_dict(), "workers changed the result"
        spent[workers] = seconds - startup
        line(
            f"    {workers} worker{'s' if workers > 1 else ' '}            {seconds:8.2f} s "
            f"(of which starting the cluster {startup:.2f} s; {spent[workers]:.2f} s without it; "
            "same result)"
        )
    speedup = spent[1] / spent[2]
    efficiency = min(1.0, alone / spent[2] / 2)
    line(
        f"    2 workers against 1: {speedup:.2f}x; parallel efficiency against one process "
        f"{efficiency:.2f} ({os.cpu_count()} CPUs, shared)"
    )
    folder, count, _ = network(largest, work)
    # one block and two: their difference is the cost of a block without the fixed costs
    # (compiling, the quantiles), which a few dozen samples cannot tell from the noise
    few, more = BLOCK, 2 * BLOCK
    args = [sys.executable, "-c", BLOCK_COST, str(folder), str(few), str(more)]
    _, _, err = run_measured(args, env)
    first, second, size = (float(v) for v in err.split()[-3:])
    block = second - first
    line(
        f"  {count:,} links: {few:,} samples in {first:.1f} s, {more:,} in {second:.1f} s (each "
        f"run compiling the chain): {block:.1f} s per block of {BLOCK:,} "
        f"({block / BLOCK * 1000:.1f} ms per sample); the compiled chain pickles to "
        f"{size / 1e6:.0f} MB (sent once to each worker)"
    )
    if block <= 0:
        line("  the two runs differ by less than their noise: no extrapolation")
        line()
        return
    total = 1_000_000
    blocks = -(-total // BLOCK)
    line(
        f"  10^6 samples = {blocks} blocks; time on N workers = ceil({blocks} / N) x "
        f"{block:.0f} s / {efficiency:.2f} (the efficiency measured above), plus the cluster's "
        "start-up and sending the chain (its size / the network's bandwidth), not counted:"
    )
    for workers in (1, 2, 8, 32, 128, 512):
        hours = (-(-blocks // workers)) * block / efficiency / 3600
        line(f"    N = {workers:>3}: {hours:8.2f} h")
    line()


SECTIONS = (
    "startup",
    "batching",
    "analyze",
    "propagation",
    "components",
    "montecarlo",
    "export",
    "stress",
    "screen",
    "distributed",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, few repeats (CI)")
    parser.add_argument(
        "--large",
        action="store_true",
        help="add the long Monte Carlo runs: 10^4 samples at 3x10^5 and 10^6 links (on the "
        "2-core benchmark machine the first took 277 s; the second, at the 104-122 ms per sample "
        "measured with 1,000 samples, takes about 20 minutes)",
    )
    parser.add_argument("--rounds", type=int, help="start-up runs per command (default 21)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each command at 10^6 links in sections analyze and export, the median "
        "counts (default 3)",
    )
    parser.add_argument(
        "--baseline-dir",
        type=Path,
        default=Path(__file__).resolve().parent / ".baseline",
        help="where v0.1 (commit 67e3894) is installed in a venv of its own, once, from `git "
        "archive` of this repository (default benchmarks/.baseline)",
    )
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="do not install or time v0.1 in sections analyze and montecarlo",
    )
    parser.add_argument("--keep", type=Path, help="keep generated networks in this folder")
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run, of {', '.join(SECTIONS)} (default: all)",
    )
    options = parser.parse_args()
    chosen = [name.strip() for name in options.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    smoke = options.smoke
    rounds = options.rounds or (3 if smoke else 21)
    sizes = [1_000, 10_000] if smoke else [10_000, 100_000, 1_000_000]
    carlo = [(s, 200) for s in sizes] if smoke else [(s, 1_000) for s in sizes]
    if options.large:
        carlo += [(300_000, 10_000), (1_000_000, 10_000)]
    line(
        f"# chokepoint benchmarks{' (smoke)' if smoke else ''}{' (large)' if options.large else ''}"
    )
    line(f"machine: {machine()}")
    line(f"command: {' '.join(['python', *sys.argv])}")
    line()
    work = options.keep or Path(tempfile.mkdtemp(prefix="chokepoint-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    cache: dict[int, Any] = {}
    old = None
    if {"analyze", "montecarlo"} & set(chosen) and not options.no_baseline:
        old = baseline_command(options.baseline_dir)
        line(f"baseline: v0.1 (commit {BASELINE_COMMIT}) at {old[0]}")
        line()
    try:
        with pycache_env() as env:
            runs: dict[str, Callable[[], None]] = {
                "startup": lambda: startup(rounds, env, work),
                "batching": lambda: batching(rounds, env, 2_000 if smoke else 100_000),
                "analyze": lambda: analyze_stages(
                    sizes, work, env, old, 1 if smoke else options.repeat
                ),
                "propagation": lambda: propagation(sizes, work, cache),
                "components": lambda: components(sizes[-1], work, cache),
                "montecarlo": lambda: montecarlo(work, carlo, 1_000 if smoke else 10_000, env, old),
                "export": lambda: export_against_analyze(
                    sizes[-1], 1 if smoke else options.repeat, work, env
                ),
                "stress": lambda: stress_against_sweep(
                    [1_000, 10_000] if smoke else [10_000, 100_000], work, 1 if smoke else 3
                ),
                "screen": lambda: screen_against_read(
                    200_000 if smoke else 11_000_000 if options.large else 2_200_000,
                    work,
                    env,
                    python_engine=True,
                ),
                "distributed": lambda: distributed_workers(sizes[-2], sizes[-1], work, env),
            }
            for name in SECTIONS:
                if name in chosen:
                    started = time.perf_counter()
                    runs[name]()
                    line(f"  ({name}: {time.perf_counter() - started:.0f} s)")
                    line()
    finally:
        if options.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
