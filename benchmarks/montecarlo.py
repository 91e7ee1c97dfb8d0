"""Time Monte Carlo, and batch propagation against the same scenarios one at a time, in one run.

Usage::

    python benchmarks/montecarlo.py [--samples 100000] [--seed 1] [--chain robots]
                                    [--scenarios 100000] [--baseline 5000] [--repeat 5]

Prints, for the chain:

1. ``montecarlo(chain, samples, seed)`` wall time through the Python API (best of
   ``--repeat``), and the same through the installed CLI (``chokepoint montecarlo CHAIN
   --samples N --seed S --format json``) when that command exists;
2. batch propagation throughput: ``--scenarios`` single-pair cuts (every (origin, node) pair at
   evenly spaced severities), built with ``cut_matrix`` and propagated as one batch by
   ``propagate``, against the first ``--baseline`` of them propagated one at a time (batches of
   one: what a loop over ``run_scenario`` costs; the results are checked equal), both models;
3. the ratios, measured in this run.

Project targets: ``montecarlo robots --samples 100000 --seed 1`` in a few seconds on 2 cores;
sweeps at >= 10^5 scenarios/s on the robot chain.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from chokepoint import load_chain
from chokepoint.core.compiled import compile_chain
from chokepoint.core.montecarlo import montecarlo
from chokepoint.core.propagate import cut_matrix, import_losses, propagate
from chokepoint.model import Cut


def best_of(repeat: int, func: Callable[[], Any]) -> tuple[float, Any]:
    """The shortest wall time of ``repeat`` calls, and the last call's value."""
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = func()
        best = min(best, time.perf_counter() - start)
    return best, value


def cli_montecarlo(chain: str, samples: int, seed: int, repeat: int) -> str:
    exe = shutil.which("chokepoint")
    if exe is None:
        return "skipped (no `chokepoint` on PATH)"
    probe = subprocess.run([exe, "montecarlo", "--help"], capture_output=True, check=False)
    if probe.returncode != 0:
        return "skipped (the installed CLI has no `montecarlo` command yet)"
    args = [exe, "montecarlo", chain, "--samples", str(samples), "--seed", str(seed)]
    args += ["--format", "json"]
    seconds, done = best_of(
        repeat, lambda: subprocess.run(args, capture_output=True, check=False, text=True)
    )
    if done.returncode != 0:
        return f"failed: {done.stderr.strip()}"
    return f"{seconds:.3f} s (process start-up, imports and JSON output included)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chain", default="robots")
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenarios", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()

    chain = load_chain(options.chain)
    c = compile_chain(chain)
    pairs = [(o, c.nodes[r]) for o, r in zip(c.pair_origin, c.pair_row.tolist(), strict=True)]
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
        f"chain {chain.name}: {c.size} nodes, {len(pairs)} (origin, node) pairs, "
        f"{len(c.cyclic)} cyclic components"
    )

    # 1. Monte Carlo ---------------------------------------------------------------------------
    print(f"\n# montecarlo {chain.name} --samples {options.samples} --seed {options.seed}")
    seconds, result = best_of(
        options.repeat, lambda: montecarlo(chain, options.samples, options.seed)
    )
    worst = max(result.final, key=lambda f: f.mean, default=None)
    summary = (
        f"{worst.id}: mean {worst.mean:.4f}, P90 {worst.p90:.4f}, P99 {worst.p99:.4f}"
        if worst is not None
        else "no final products"
    )
    print(
        f"API: {seconds:.3f} s (best of {options.repeat}), "
        f"{options.samples / seconds:,.0f} samples/s; {summary}"
    )
    print(f"CLI: {cli_montecarlo(options.chain, options.samples, options.seed, 3)}")

    # 2. batch propagation ----------------------------------------------------------------------
    per_pair = -(-options.scenarios // len(pairs))
    severities = np.linspace(0.0, 1.0, per_pair).tolist()
    scenarios = [[Cut(o, s, (n,))] for o, n in pairs for s in severities]
    total = len(scenarios)
    baseline = min(options.baseline, total)
    print(f"\n# sweep of {total:,} single-pair cuts ({len(pairs)} pairs x {per_pair} severities)")
    for model in ("leontief", "linear"):
        build, imports = best_of(options.repeat, lambda: import_losses(c, cut_matrix(c, scenarios)))
        batch, q = best_of(
            options.repeat,
            lambda model=model, imports=imports: propagate(c, imports, None, model)[0],
        )

        def one_at_a_time(model: Any = model) -> list[Any]:
            return [
                propagate(c, import_losses(c, cut_matrix(c, [cuts])), None, model)[0][:, 0]
                for cuts in scenarios[:baseline]
            ]

        single, values = best_of(max(1, options.repeat // 2), one_at_a_time)
        np.testing.assert_allclose(q[:, :baseline], np.array(values).T, rtol=0, atol=1e-15)
        batch_rate = total / (build + batch)
        single_rate = baseline / single
        print(
            f"{model:8s} cuts + propagation: batch {batch_rate:12,.0f} scen/s | one at a time "
            f"{single_rate:9,.0f} scen/s | ratio {batch_rate / single_rate:6.1f}x"
        )
    print(
        f"\n(one-at-a-time rates from the first {baseline:,} scenarios, results checked equal; "
        "best-of timings)"
    )


if __name__ == "__main__":
    main()
