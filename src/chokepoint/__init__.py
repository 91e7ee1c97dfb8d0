"""chokepoint: supply-chain dependency analysis from sourced chain files.

The public Python API; the ``chokepoint`` command is a thin layer over these functions, one per
command, named after it::

    >>> import chokepoint
    >>> chain = chokepoint.load_chain("robots")
    >>> result = chokepoint.analyze(chain)

======================  ===============================  =======================================
command                 function                         returns
======================  ===============================  =======================================
``validate``            :func:`validate`                 :class:`Validation`
``list``                :func:`list_chains`              :class:`ChainListing`
``show``                :func:`show`                     :class:`Chain`
``schema``              :func:`schema`                   the JSON Schema (a dict)
``generate``            :func:`generate`                 :class:`Generated`
``import eto``          :func:`import_eto`               :class:`EtoImport`
``import trade``        :func:`import_trade`             :class:`TradeImport`
``analyze``             :func:`analyze`                  :class:`Analysis`
``scenario``            :func:`run_scenario`             :class:`ScenarioResult`
``sweep``               :func:`sweep`                    :class:`SweepResult`
``sweep --months``      :func:`time_sweep`               :class:`TimeSweepResult`
``stress``              :func:`stress`                   :class:`StressResult`
``montecarlo``          :func:`montecarlo`               :class:`MonteCarloResult`
``export``              :func:`export`                   the exported text
``plot``                :func:`plot`                     the image's bytes
``trend``               :func:`trend`                    :class:`TrendResult`
``stages``              :func:`stages`                   :class:`StagesResult`
``sources``             :func:`sources`                  :class:`SourcesResult`
``compare``             :func:`compare`                  :class:`CompareResult`
``rank``                :func:`rank`                     :class:`RankResult`
``screen``              :func:`screen`                   :class:`ScreenResult`
``targets``             :func:`targets`                  :class:`TargetsResult`
======================  ===============================  =======================================

Two commands have a function of another name: ``list`` (``list`` is a Python built-in) and
``scenario`` (``run_scenario``, as a :class:`Scenario` is the thing run). :func:`load_chain` and
:func:`load_scenarios` read chain and scenario files. Errors are :class:`ChokepointError`
subclasses whose messages speak of the arguments, not of command-line options.

Names are imported on first use, so that ``import chokepoint`` (and ``chokepoint --version``) stays
fast: networkx, numpy and the metrics load only when an analysis needs them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .api import export, plot, show
    from .core.analysis import Analysis, NodeMetrics, analyze
    from .core.compare import CompareResult, RankResult, compare, rank
    from .core.graph import build_graph
    from .core.montecarlo import MonteCarloResult, montecarlo
    from .core.reports import (
        SourcesResult,
        StagesResult,
        TrendResult,
        sources,
        stages,
        trend,
    )
    from .core.scenarios import (
        Scenario,
        ScenarioResult,
        SweepResult,
        resolve_scenario,
        run_scenario,
        sweep,
    )
    from .core.screen import ScreenResult, screen
    from .core.stress import StressResult, stress
    from .core.timeline import TimelineResult, run_timeline
    from .core.timesweep import TimeSweepResult, time_sweep
    from .errors import (
        AnalysisError,
        ArgumentError,
        ChainError,
        ChainNotFoundError,
        ChokepointError,
        OutputError,
        Problem,
        ScenarioError,
        SettingError,
    )
    from .io.eto import EtoImport, import_eto
    from .io.generate import Generated, generate
    from .io.listing import ChainListing, ChainRow, FileCheck, Validation, list_chains, validate
    from .io.loader import find_chain, iter_chain_files, load_chain, load_scenarios
    from .io.schema import schema
    from .io.trade import TradeImport, import_trade
    from .model import Chain, Cut, Input, Node, ScenarioSpec, Shock, Source, Supplier

__all__ = [
    "Analysis",
    "AnalysisError",
    "ArgumentError",
    "Chain",
    "ChainError",
    "ChainListing",
    "ChainNotFoundError",
    "ChainRow",
    "ChokepointError",
    "CompareResult",
    "Cut",
    "EtoImport",
    "FileCheck",
    "Generated",
    "Input",
    "MonteCarloResult",
    "Node",
    "NodeMetrics",
    "OutputError",
    "Problem",
    "RankResult",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "TimelineResult",
    "TimeSweepResult",
    "ScenarioSpec",
    "ScreenResult",
    "SettingError",
    "Shock",
    "Source",
    "SourcesResult",
    "StagesResult",
    "StressResult",
    "Supplier",
    "SweepResult",
    "Target",
    "TargetsResult",
    "TradeImport",
    "TrendResult",
    "Validation",
    "__version__",
    "analyze",
    "build_graph",
    "compare",
    "export",
    "find_chain",
    "generate",
    "import_eto",
    "import_trade",
    "iter_chain_files",
    "list_chains",
    "load_chain",
    "load_scenarios",
    "montecarlo",
    "plot",
    "rank",
    "resolve_scenario",
    "run_scenario",
    "run_timeline",
    "schema",
    "screen",
    "show",
    "sources",
    "stages",
    "stress",
    "sweep",
    "targets",
    "time_sweep",
    "trend",
    "validate",
]

_WHERE = {
    **dict.fromkeys(["export", "plot", "show"], "api"),
    **dict.fromkeys(
        ["ChainListing", "ChainRow", "FileCheck", "Validation", "list_chains", "validate"],
        "io.listing",
    ),
    "analyze": "core.analysis",
    "Analysis": "core.analysis",
    "NodeMetrics": "core.analysis",
    "build_graph": "core.graph",
    **dict.fromkeys(["CompareResult", "RankResult", "compare", "rank"], "core.compare"),
    "montecarlo": "core.montecarlo",
    "MonteCarloResult": "core.montecarlo",
    **dict.fromkeys(
        ["SourcesResult", "StagesResult", "TrendResult", "sources", "stages", "trend"],
        "core.reports",
    ),
    **dict.fromkeys(
        ["Scenario", "ScenarioResult", "SweepResult", "resolve_scenario", "run_scenario", "sweep"],
        "core.scenarios",
    ),
    **dict.fromkeys(["StressResult", "stress"], "core.stress"),
    **dict.fromkeys(["ScreenResult", "screen"], "core.screen"),
    **dict.fromkeys(["TradeImport", "import_trade"], "io.trade"),
    **dict.fromkeys(["TimelineResult", "run_timeline"], "core.timeline"),
    **dict.fromkeys(["TargetsResult", "targets"], "core.targets"),
    **dict.fromkeys(["TimeSweepResult", "time_sweep"], "core.timesweep"),
    "EtoImport": "io.eto",
    "import_eto": "io.eto",
    "Generated": "io.generate",
    "generate": "io.generate",
    "find_chain": "io.loader",
    "iter_chain_files": "io.loader",
    "load_chain": "io.loader",
    "load_scenarios": "io.loader",
    "schema": "io.schema",
    **dict.fromkeys(
        [
            "AnalysisError",
            "ArgumentError",
            "ChainError",
            "ChainNotFoundError",
            "ChokepointError",
            "OutputError",
            "Problem",
            "ScenarioError",
            "SettingError",
        ],
        "errors",
    ),
    **dict.fromkeys(
        ["Chain", "Cut", "Input", "Node", "ScenarioSpec", "Shock", "Source", "Supplier", "Target"],
        "model",
    ),
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        msg = f"module 'chokepoint' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
