"""Measure chokepoint's start-up, batching and scaling against baselines, in one run.

Usage::

    python benchmarks/run.py            # everything, networks up to 10^6 links (several minutes)
    python benchmarks/run.py --smoke    # tiny sizes and few repeats, for CI (under a minute)

Every figure is a ratio to a baseline measured in the same run on the same machine, or a time
with the machine stated, and every target of the "Performance and scale" issue is printed with
PASS or FAIL:

1. start-up: the floor is a trivial Typer command that imports yaml and networkx and prints one
   line; ``chokepoint analyze robots --format json`` and ``chokepoint scenario robots --cut JP=1
   --format json`` should take <= 1.2x that, ``chokepoint analyze robots`` (a rich table)
   <= 1.4x, and ``chokepoint --version`` <= 1.2x ``python -c "import typer"``. Commands run
   alternately, the median of many runs counts, and bytecode is cached (in a temporary
   ``PYTHONPYCACHEPREFIX``), as after ``pip install``;
2. a shell loop of ``chokepoint scenario`` calls against one ``chokepoint sweep`` call, and the
   sweep rate of the Python API (target >= 10^5 scenarios/s on the robot chain);
3. propagation in array form (:mod:`chokepoint.core.sparse`) against the pure-Python graph form, and
   against scipy's sparse triangular solve and a truncated Neumann series for reference;
4. ``chokepoint analyze NET --format json`` end to end (CSV parsing included) on generated
   networks of 10^3 .. 10^6 links: time, peak memory (``os.wait4``) and the fitted growth
   exponent between 10^4 and 10^6 links (targets: 10^5 links <= 5 s, 10^6 links <= 30 s and
   <= 3 GB, exponent <= 1.2);
5. the Monte Carlo: ``montecarlo`` on the robot chain, both forms on a small network (the
   same document), and ``montecarlo`` with 10^4 samples on the 10^6-link network, the whole
   run measured in a process of its own: time (target: minutes) and peak memory;
6. libraries for one algorithm each (strongly connected components, dominators): networkx,
   scipy, igraph and chokepoint's own code on the largest network.
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
import typer
import yaml

app = typer.Typer(add_completion=False)


@app.command()
def main(name: str) -> None:
    typer.echo(name)


app()
"""
LINKS_PER_NODE = 3.55  # what build_network() gives (heavy-tailed fan-in, mean about 4.7 per user)


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


# ------------------------------------------------------------------------------------------


def startup(rounds: int, env: dict[str, str], work: Path) -> None:
    line("## 1. Start-up (median of alternating runs, bytecode cached)")
    floor = work / "floor.py"
    floor.write_text(FLOOR, encoding="utf-8")
    cli = chokepoint_command()
    commands = {
        "floor": [sys.executable, str(floor), "one line"],
        "import typer": [sys.executable, "-c", "import typer"],
        "analyze json": [*cli, "analyze", "robots", "--format", "json"],
        "scenario json": [*cli, "scenario", "robots", "--cut", "JP=1", "--format", "json"],
        "analyze table": [*cli, "analyze", "robots"],
        "--version": [*cli, "--version"],
    }
    found = medians(commands, rounds, env)
    for name, seconds in found.items():
        line(f"  {name:14s} {seconds * 1000:7.1f} ms   ({' '.join(commands[name][-5:])})")
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
    from chokepoint.core.scenarios import sweep as run_sweep

    chain = load_chain("robots")
    levels = tuple(k / (scenarios - 1) for k in range(scenarios))
    run_sweep(chain, cut="JP:reducers", severity=levels[:100])  # imports numpy once
    for model in ("leontief", "linear"):
        seconds, result = best_of(
            3, lambda model=model: run_sweep(
                chain, cut="JP", severity=levels, model=model, max_rows=len(levels)
            )
        )
        rate = len(result.rows) / seconds
        line(
            f"  sweep(robots, cut='JP', {len(levels):,} severities, {model}): {seconds:.3f} s, "
            f"{rate:,.0f} scenarios/s   target >= 100,000/s  {verdict(rate >= 1e5)}"
        )
    over, result = best_of(
        3, lambda: run_sweep(chain, over="nodes", severity=levels[:2000], max_rows=10**6)
    )
    line(
        f"  sweep(robots, over='nodes', 2,000 severities): {len(result.rows):,} scenarios, "
        f"{len(result.rows) / over:,.0f} scenarios/s"
    )
    line()


def propagation(sizes: Sequence[int], impact_links: int, work: Path) -> None:
    line("## 3. Propagation: array form against the pure-Python graph form")

    from chokepoint.core.chokepoints import impacts
    from chokepoint.io.generate import build_network
    from chokepoint.io.loader import check_document
    from chokepoint.core.metrics import exposure
    from chokepoint.core.scenarios import prepare
    from chokepoint.core.sparse import Network
    from chokepoint.io.yamlread import Located

    for links in sizes:
        chain = check_document(
            Located(build_network(round(links / LINKS_PER_NODE), seed=1, cycles=0.0), "net")
        )
        prepared = prepare(chain)
        network = Network.build(chain)
        pure, (_, total) = best_of(1, lambda p=prepared: exposure(p.graph, p.domestic_keys))
        fast, (_, x) = best_of(3, network.exposure)
        assert x[:, -1].tolist() == [total[n] for n in network.nodes]
        text = (
            f"  exposure + total dependence, {links:,} links ({len(chain.nodes):,} nodes, "
            f"{x.shape[1] - 1} origins): pure {pure:.3f} s, arrays {fast:.3f} s "
            f"({pure / fast:.0f}x, equal to the last bit)"
        )
        with contextlib.suppress(ImportError):
            text += "; " + _scipy_reference(network)
        line(text)
    chain = check_document(
        Located(build_network(round(impact_links / LINKS_PER_NODE), seed=2, cycles=0.001), "net")
    )
    prepared = prepare(chain)
    network = Network.build(chain)
    pure, slow = best_of(
        1, lambda: impacts(prepared.graph, prepared.splits, prepared.finals, prepared.order)
    )
    fast, quick = best_of(3, network.impacts)
    agree = all(
        (a is None and b is None)
        or (
            a is not None
            and b is not None
            and a[1] == b[1]
            and math.isclose(a[0], b[0], rel_tol=1e-12)
        )
        for a, b in ((slow[n], quick[n]) for n in slow)
    )
    line(
        f"  choke-point impact of all {len(chain.nodes):,} nodes, {impact_links:,} links: "
        f"pure (one scenario per node) {pure:.2f} s, arrays (one backward pass) {fast:.3f} s "
        f"({pure / fast:.0f}x; same final products and losses to 1e-12: {agree})"
    )
    line()


def _scipy_reference(network: Any) -> str:
    """Total dependence by scipy's sparse triangular solve and by a truncated Neumann series."""
    import numpy as np
    from scipy.sparse import csr_array, identity
    from scipy.sparse.linalg import spsolve_triangular

    size = len(network.nodes)
    weights = network.domestic[network.in_user] * network.in_cost
    a = csr_array((weights, (network.in_user, network.in_src)), shape=(size, size))
    order = np.argsort(network.generation, kind="stable")
    lower = (identity(size, format="csr") - a)[order][:, order].tocsr()
    base = np.zeros((size, 1))
    base[:, 0] = [s.dependence if s.known else 0.0 for s in network.splits]
    tri, solved = best_of(3, lambda: spsolve_triangular(lower, base[order], lower=True))
    steps = int(network.generation.max()) + 1

    def neumann() -> Any:
        term, acc = base.copy(), base.copy()
        for _ in range(steps):
            term = a @ term
            acc += term
        return acc

    series, summed = best_of(3, neumann)
    same = np.allclose(solved[np.argsort(order)], summed, rtol=1e-12, atol=1e-15)
    return (
        f"total dependence alone: scipy spsolve_triangular {tri:.3f} s, Neumann series "
        f"({steps} steps) {series:.3f} s (agree: {same})"
    )


def scaling(sizes: Sequence[int], work: Path, env: dict[str, str]) -> None:
    line("## 4. `chokepoint analyze NET --format json` on generated networks (CSV form)")
    from chokepoint.io.generate import build_network, write_network

    cli = chokepoint_command()
    rows = []
    for links in sizes:
        folder = work / f"net-{links}"
        if not folder.exists():
            document = build_network(round(links / LINKS_PER_NODE), seed=1)
            write_network(document, folder)
            count = sum(len(n.get("inputs", ())) for n in document["nodes"])
            nodes = len(document["nodes"])
            del document
        else:  # pragma: no cover - reruns in the same folder
            count = sum(1 for _ in (folder / "edges.csv").open()) - 1
            nodes = sum(1 for _ in (folder / "nodes.csv").open()) - 1
        size = sum(p.stat().st_size for p in folder.iterdir())
        repeat = 3 if links <= 100_000 else 1
        runs = [
            run_measured([*cli, "analyze", str(folder), "--format", "json"], env)
            for _ in range(repeat)
        ]
        seconds = min(r[0] for r in runs)
        peak = max(r[1] for r in runs)
        phases = _phases(folder, env)
        rows.append((count, seconds, peak))
        line(
            f"  {count:>9,} links {nodes:>8,} nodes {size / 1e6:7.1f} MB CSV: {seconds:7.2f} s, "
            f"peak {peak / 1e9:5.2f} GB   ({phases})"
        )
    line()
    for links, seconds, peak in rows:
        if 0.5e5 <= links <= 2e5:
            line(f"  10^5 links: {seconds:.2f} s   target <= 5 s  {verdict(seconds <= 5)}")
        if links >= 0.5e6:
            line(f"  10^6 links: {seconds:.2f} s   target <= 30 s  {verdict(seconds <= 30)}")
            line(f"  10^6 links: peak {peak / 1e9:.2f} GB   target <= 3 GB  {verdict(peak <= 3e9)}")
    fit = [(math.log(n), math.log(t)) for n, t, _ in rows if n >= 0.5e4]
    if len(fit) >= 2:
        mx = statistics.fmean(x for x, _ in fit)
        my = statistics.fmean(y for _, y in fit)
        slope = sum((x - mx) * (y - my) for x, y in fit) / sum((x - mx) ** 2 for x, _ in fit)
        span = f"{rows[-1][0]:,.0f}"
        line(
            f"  growth exponent of time in links, 10^4 .. {span} links (least squares on log-log): "
            f"{slope:.2f}   target <= 1.2  {verdict(slope <= 1.2)}"
        )
        for (n0, t0, _), (n1, t1, _) in zip(rows, rows[1:], strict=False):
            line(
                f"    {n0:>9,} -> {n1:>9,} links: exponent {math.log(t1 / t0) / math.log(n1 / n0):.2f}"
            )
    line()


PHASES = """\
import io, sys, time, json
start = time.perf_counter()
from chokepoint import analyze, load_chain
chain = load_chain(sys.argv[1]); loaded = time.perf_counter()
result = analyze(chain); analysed = time.perf_counter()
from chokepoint.output import render
sys.stdout = io.StringIO(); render.analysis(result, "json"); text = sys.stdout.getvalue()
sys.stdout = sys.__stdout__; rendered = time.perf_counter()
json.dumps(result.to_dict(), ensure_ascii=False); compact = time.perf_counter()
print(f"{loaded - start:.2f} {analysed - loaded:.2f} {rendered - analysed:.2f} {compact - rendered:.2f}")
"""


def _phases(folder: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PHASES, str(folder)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    load, analyse, render, compact = (float(v) for v in done.stdout.split())
    return (
        f"load {load:.2f} s, analyze {analyse:.2f} s, JSON output {render:.2f} s "
        f"(compact json.dumps: {compact:.2f} s)"
    )


#: ``montecarlo`` on a network folder, in a process of its own (for its peak memory); prints
#: to stderr the seconds to load the chain and of the run, the links, pairs and final products.
#: 0 samples: load the chain only (the memory that the Monte Carlo adds is the difference).
MONTECARLO = """\
import sys, time
start = time.perf_counter()
from chokepoint import load_chain
from chokepoint.core._gc import paused
from chokepoint.core.montecarlo import montecarlo
with paused():
    chain = load_chain(sys.argv[1])
loaded = time.perf_counter()
samples = int(sys.argv[2])
result = montecarlo(chain, samples, 1) if samples else None
ran = time.perf_counter()
links = sum(len(n.inputs) for n in chain.nodes)
pairs = sum(d.node is not None for d in result.drivers) if result else 0
finals = len(result.final) if result else 0
print(f"{loaded - start:.2f} {ran - loaded:.2f} {links} {pairs} {finals}", file=sys.stderr)
"""


def montecarlo(work: Path, samples: int, largest: int, env: dict[str, str]) -> None:
    line("## 5. Monte Carlo")
    from chokepoint import load_chain
    from chokepoint.core.montecarlo import montecarlo

    chain = load_chain("robots")
    seconds, _ = best_of(3, lambda: montecarlo(chain, samples, 1))
    line(
        f"  montecarlo(robots, {samples:,} samples): {seconds:.3f} s ({samples / seconds:,.0f} samples/s)"
    )
    from chokepoint.io.generate import build_network
    from chokepoint.io.loader import check_document
    from chokepoint.core.montecarlo import ARRAY_MIN_NODES
    from chokepoint.io.yamlread import Located

    forms_at = [(300, 2_000)] if samples < 10_000 else [
        (300, 10_000), (1_000, 10_000), (2_000, 10_000),
        (10_000, 2_000), (20_000, 2_000), (30_000, 2_000),
    ]  # fmt: skip
    line(
        f"  graph against array form (auto picks arrays from {ARRAY_MIN_NODES:,} nodes); "
        "build_network(N, seed=1, cycles=0.001), seed 1:"
    )
    for nodes, count in forms_at:
        net = check_document(Located(build_network(nodes, seed=1, cycles=0.001), "net"))
        forms = {
            method: best_of(1, lambda m=method, n=net, c=count: montecarlo(n, c, 1, method=m))
            for method in ("graph", "arrays")
        }
        same = forms["graph"][1].to_dict() == forms["arrays"][1].to_dict()
        links = sum(len(n.inputs) for n in net.nodes)
        graph_s, arrays_s = forms["graph"][0], forms["arrays"][0]
        line(
            f"    {nodes:>6,} nodes ({links:>7,} links), {count:,} samples: graph {graph_s:.2f} s, "
            f"arrays {arrays_s:.2f} s (arrays / graph {arrays_s / graph_s:.2f}); the same "
            f"document: {same}"
        )
    folder = work / f"net-{largest}"
    if not folder.exists():
        return
    script = [sys.executable, "-c", MONTECARLO, str(folder)]
    _, base, _ = run_measured([*script, "0"], env)
    _, peak, err = run_measured([*script, str(samples)], env)
    loaded, ran, links, pairs, finals = (float(v) for v in err.split()[-5:])
    line(
        f"  montecarlo(NET, {samples:,} samples, seed 1) on the {links:,.0f}-link network "
        f"({pairs:,.0f} (origin, node) pairs, {finals:,.0f} final products; p = 0.1, uniform "
        f"severity), the whole run measured: {ran:.0f} s = {ran / 60:.1f} min "
        f"({ran / samples * 1000:.0f} ms per sample; reading the CSV {loaded:.1f} s more)   "
        f"target: minutes  {verdict(ran <= 30 * 60)}"
    )
    line(
        f"  peak memory {peak / 1e9:.2f} GB, of which the chain as read {base / 1e9:.2f} GB; the "
        f"final-product losses kept for the quantiles are {finals * samples * 8 / 1e9:.2f} GB "
        f"(8 bytes x {finals:,.0f} x {samples:,})"
    )
    line()


def libraries(work: Path, largest: int) -> None:
    line("## 6. One algorithm, several libraries (largest network)")
    folder = work / f"net-{largest}"
    if not folder.exists():
        return
    import numpy as np

    from chokepoint import load_chain
    from chokepoint.core.sparse import Network, _tarjan, strong_components

    network = Network.build(load_chain(folder))
    size, src, dst = len(network.nodes), network.in_src, network.in_user
    own, _ = best_of(1, lambda: _tarjan(size, src, dst))
    scipy_time, _ = best_of(3, lambda: strong_components(size, src, dst))
    text = (
        f"  strongly connected components, {size:,} nodes {src.size:,} links: chokepoint's "
        f"Tarjan (pure Python) {own:.2f} s, scipy.sparse.csgraph {scipy_time:.3f} s (used when "
        "installed; same components, tested)"
    )
    import networkx as nx

    build, graph = best_of(1, lambda: nx.DiGraph(zip(src.tolist(), dst.tolist(), strict=True)))
    nx_time, _ = best_of(1, lambda: list(nx.strongly_connected_components(graph)))
    text += f", networkx {nx_time:.2f} s (+ {build:.2f} s to build its DiGraph)"
    with contextlib.suppress(ImportError):
        import igraph

        ig_build, g = best_of(
            1, lambda: igraph.Graph(n=size, edges=np.column_stack([src, dst]), directed=True)
        )
        ig_time, _ = best_of(3, lambda: g.connected_components(mode="strong"))
        text += f", igraph {ig_time:.3f} s (+ {ig_build:.2f} s to build)"
    line(text)
    roots = np.flatnonzero(np.bincount(dst, minlength=size) == 0)
    graph.add_edges_from((-1, int(r)) for r in roots)
    dom_nx, _ = best_of(1, lambda: nx.immediate_dominators(graph, -1))
    text = f"  immediate dominators (not used by chokepoint): networkx {dom_nx:.2f} s"
    with contextlib.suppress(ImportError):
        import igraph

        edges = np.column_stack([src, dst]).tolist() + [[size, int(r)] for r in roots]
        g = igraph.Graph(n=size + 1, edges=edges, directed=True)
        dom_ig, _ = best_of(3, lambda: g.dominator(size, mode="out"))
        text += f", igraph {dom_ig:.3f} s ({dom_nx / dom_ig:.0f}x)"
    line(text)
    line()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, few repeats (CI)")
    parser.add_argument("--rounds", type=int, help="start-up runs per command (default 21)")
    parser.add_argument("--keep", type=Path, help="keep generated networks in this folder")
    options = parser.parse_args()
    smoke = options.smoke
    rounds = options.rounds or (3 if smoke else 21)
    sizes = [1_000, 10_000] if smoke else [1_000, 10_000, 100_000, 1_000_000]
    line(f"# chokepoint benchmarks{' (smoke)' if smoke else ''}")
    line(f"machine: {machine()}")
    line()
    work = options.keep or Path(tempfile.mkdtemp(prefix="chokepoint-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        with pycache_env() as env:
            startup(rounds, env, work)
            batching(rounds, env, 2_000 if smoke else 100_000)
            propagation([1_000] if smoke else [10_000, 100_000], 1_000 if smoke else 3_000, work)
            scaling(sizes, work, env)
            montecarlo(work, 1_000 if smoke else 10_000, sizes[-1], env)
            libraries(work, sizes[-1])
    finally:
        if options.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
