"""Time Monte Carlo and batch propagation against the pure-Python scenario loop, in one run.

Usage::

    python benchmarks/montecarlo.py [--samples 100000] [--seed 1] [--chain robots]
                                    [--scenarios 100000] [--baseline 5000] [--repeat 5]

Prints, for the chain:

1. ``run_montecarlo(chain, samples, seed)`` wall time through the Python API (best of
   ``--repeat``), and the same through the installed CLI (``chokepoint montecarlo CHAIN
   --samples N --seed S --format json``) when that command exists;
2. batch propagation throughput: ``--scenarios`` single-pair cuts (every (origin, node) pair at
   evenly spaced severities), built with ``family_matrix`` and propagated with
   ``propagate_batch``, against ``propagate_losses`` called once per scenario on the first
   ``--baseline`` of them (the results are checked equal), both models;
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
from chokepoint.core.batch import Plan, family_matrix, propagate_batch
from chokepoint.model import Cut
from chokepoint.core.montecarlo import DEFAULT_P_CUT, run_montecarlo
from chokepoint.core.scenarios import Scenario, prepare, propagate_losses


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
    prepared = prepare(chain)
    plan = Plan.build(prepared)
    pairs = plan.pairs
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
        f"chain {chain.name}: {len(plan.nodes)} nodes, {len(pairs)} (origin, node) pairs, "
        f"{sum(1 for c in plan.components if c.cyclic)} cyclic components"
    )

    # 1. Monte Carlo ---------------------------------------------------------------------------
    print(f"\n# montecarlo {chain.name} --samples {options.samples} --seed {options.seed}")
    seconds, result = best_of(
        options.repeat, lambda: run_montecarlo(chain, options.samples, options.seed)
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
    # the same kind of samples, one pure-Python scenario each (Prepared.run), on a subset
    rng = np.random.default_rng(options.seed)
    count = min(options.baseline, options.samples)
    hits = (rng.random((count, len(pairs))) < DEFAULT_P_CUT) * rng.random((count, len(pairs)))
    scenarios = [
        Scenario(
            cuts=tuple(Cut(c, float(k), (n,)) for (c, n), k in zip(pairs, row, strict=True) if k)
        )
        for row in hits
    ]
    pure, _ = best_of(1, lambda: [prepared.run(s, "leontief") for s in scenarios])
    estimate = pure / count * options.samples
    print(
        f"pure-Python loop (Prepared.run per sample, {count:,} timed): {count / pure:,.0f} "
        f"samples/s, about {estimate:.2f} s for {options.samples:,}; API ratio "
        f"{estimate / seconds:.0f}x"
    )

    # 2. batch propagation ----------------------------------------------------------------------
    per_pair = -(-options.scenarios // len(pairs))
    severities = np.linspace(0.0, 1.0, per_pair)
    family = [(c, (n,)) for c, n in pairs]
    total = per_pair * len(pairs)
    baseline = min(options.baseline, total)
    # the same scenarios as scalar inputs: column j is pair j // per_pair at severity j % per_pair
    scalar_cases = [
        (c, n, float(severities[j % per_pair]))
        for j in range(baseline)
        for c, n in [pairs[j // per_pair]]
    ]
    print(f"\n# sweep of {total:,} single-pair cuts ({len(pairs)} pairs x {per_pair} severities)")
    for model in ("leontief", "linear"):
        build, imports = best_of(options.repeat, lambda: family_matrix(plan, family, severities))
        propagate, q = best_of(
            options.repeat,
            lambda model=model, imports=imports: propagate_batch(plan, imports, None, model),
        )
        nodes = list(plan.nodes)
        import_dicts = [
            {n: float(imports[k, j]) for k, n in enumerate(nodes) if imports[k, j]}
            for j in range(baseline)
        ]

        def pure_loop(model: Any = model, import_dicts: Any = import_dicts) -> list[Any]:
            return [
                propagate_losses(prepared.graph, prepared.splits, d, {}, model, prepared.order)
                for d in import_dicts
            ]

        def pure_end_to_end(model: Any = model) -> list[Any]:
            return [
                prepared.run(Scenario(cuts=(Cut(c, s, (n,)),)), model) for c, n, s in scalar_cases
            ]

        pure, values = best_of(max(1, options.repeat // 2), pure_loop)
        pure_full, _ = best_of(max(1, options.repeat // 2), pure_end_to_end)
        expected = np.array([[v[n][0] for n in nodes] for v in values]).T
        np.testing.assert_allclose(q[:, :baseline], expected, rtol=1e-12, atol=0)
        batch_rate = total / propagate
        batch_full_rate = total / (build + propagate)
        pure_rate = baseline / pure
        pure_full_rate = baseline / pure_full
        print(
            f"{model:8s} propagation: batch {batch_rate:12,.0f} scen/s | pure "
            f"{pure_rate:9,.0f} scen/s | ratio {batch_rate / pure_rate:6.1f}x"
        )
        print(
            f"{model:8s} cuts + propagation: batch {batch_full_rate:6,.0f} scen/s | pure "
            f"(Prepared.run, as sweep) {pure_full_rate:7,.0f} scen/s | ratio "
            f"{batch_full_rate / pure_full_rate:6.1f}x"
        )
    print(
        f"\n(pure rates from the first {baseline:,} scenarios, results checked equal to "
        "rtol 1e-12; best-of timings)"
    )


if __name__ == "__main__":
    main()
