"""chokepoint: supply-chain dependency analysis from sourced chain files.

The public Python API; the ``chokepoint`` command is a thin layer over these functions::

    >>> import chokepoint
    >>> chain = chokepoint.load_chain("robots")
    >>> result = chokepoint.analyze(chain)

Names are imported on first use, so that ``import chokepoint`` (and ``chokepoint --version``) stays
fast: networkx and the metrics load only when an analysis needs them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .core.analysis import Analysis, NodeMetrics, analyze
    from .core.graph import build_graph
    from .core.scenarios import Scenario, ScenarioResult, run_scenario
    from .errors import (
        AnalysisError,
        ChainError,
        ChainNotFoundError,
        ChokepointError,
        OutputError,
        Problem,
        ScenarioError,
    )
    from .io.loader import find_chain, iter_chain_files, load_chain
    from .model import Chain, Cut, Input, Node, ScenarioSpec, Shock, Source, Supplier

__all__ = [
    "Analysis",
    "AnalysisError",
    "Chain",
    "ChainError",
    "ChainNotFoundError",
    "ChokepointError",
    "Cut",
    "Input",
    "Node",
    "NodeMetrics",
    "OutputError",
    "Problem",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "ScenarioSpec",
    "Shock",
    "Source",
    "Supplier",
    "__version__",
    "analyze",
    "build_graph",
    "find_chain",
    "iter_chain_files",
    "load_chain",
    "run_scenario",
]

_WHERE = {
    "analyze": "core.analysis",
    "Analysis": "core.analysis",
    "NodeMetrics": "core.analysis",
    "build_graph": "core.graph",
    "find_chain": "io.loader",
    "iter_chain_files": "io.loader",
    "load_chain": "io.loader",
    "run_scenario": "core.scenarios",
    "Scenario": "core.scenarios",
    "ScenarioResult": "core.scenarios",
    **dict.fromkeys(
        [
            "AnalysisError",
            "ChainError",
            "ChainNotFoundError",
            "ChokepointError",
            "OutputError",
            "Problem",
            "ScenarioError",
        ],
        "errors",
    ),
    **dict.fromkeys(
        ["Chain", "Cut", "Input", "Node", "ScenarioSpec", "Shock", "Source", "Supplier"], "model"
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
