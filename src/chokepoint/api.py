"""The public functions that combine layers: the chain ``show`` prints, and exports and pictures
of a chain with an optional scenario.

Each is the whole of one ``chokepoint`` command, so that a Python user can do with one call what
the command does; the others live in the layer they belong to (:mod:`chokepoint.core` for
computations, :mod:`chokepoint.io` for reading and converting inputs) and are listed, with these,
in :data:`chokepoint.__all__`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Literal, cast, overload

from .model import Chain, Cut, Shock

if TYPE_CHECKING:
    from .core.scenarios import LossModel, Scenario

__all__ = ["export", "plot", "show"]

ChainLike = Chain | str | os.PathLike[str]


def _chain(chain: ChainLike) -> Chain:
    if isinstance(chain, Chain):
        return chain
    from .io.loader import load_chain

    return load_chain(chain)


# ------------------------------------------------------------------------------------------
# show


def show(chain: ChainLike) -> Chain:
    """The chain that ``chokepoint show`` prints: loaded and checked, with every node (shares,
    ``history``, ``substitutability``, ``stock_months``, inputs), its named ``scenarios`` and its
    sources; :func:`chokepoint.output.render.chain_document` is its JSON.

    Examples
    --------
    >>> chain = show("robots")
    >>> chain.name, chain.stages[0]
    ('robots', 'materials')
    >>> sorted(chain.scenarios)[:2], dict(chain.node("reducers").history)[2014]["CN"]
    (['europe-plc', 'japan-all'], 0.11)
    """
    return _chain(chain)


# ------------------------------------------------------------------------------------------
# export and plot


@overload
def export(
    chain: ChainLike,
    fmt: str,
    *,
    scenario: Scenario | str | None = None,
    cuts: Iterable[Cut | str] = (),
    shocks: Iterable[Shock | str] = (),
    substitution: Mapping[str, float] | Iterable[str] | None = None,
    scenario_file: str | os.PathLike[str] | None = None,
    perspective: str | None = None,
    year: int | None = None,
    model: LossModel = "leontief",
    table: Literal["nodes", "edges"] = "nodes",
    fenced: bool = False,
    parts: Literal[False] = False,
) -> str: ...


@overload
def export(
    chain: ChainLike,
    fmt: str,
    *,
    scenario: Scenario | str | None = None,
    cuts: Iterable[Cut | str] = (),
    shocks: Iterable[Shock | str] = (),
    substitution: Mapping[str, float] | Iterable[str] | None = None,
    scenario_file: str | os.PathLike[str] | None = None,
    perspective: str | None = None,
    year: int | None = None,
    model: LossModel = "leontief",
    table: Literal["nodes", "edges"] = "nodes",
    fenced: bool = False,
    parts: Literal[True],
) -> Iterator[str]: ...


def export(
    chain: ChainLike,
    fmt: str,
    *,
    scenario: Scenario | str | None = None,
    cuts: Iterable[Cut | str] = (),
    shocks: Iterable[Shock | str] = (),
    substitution: Mapping[str, float] | Iterable[str] | None = None,
    scenario_file: str | os.PathLike[str] | None = None,
    perspective: str | None = None,
    year: int | None = None,
    model: LossModel = "leontief",
    table: Literal["nodes", "edges"] = "nodes",
    fenced: bool = False,
    parts: bool = False,
) -> str | Iterator[str]:
    """Export a chain with every node's shares and metrics, and its losses under a scenario.

    The function behind ``chokepoint export``: :func:`~chokepoint.core.analysis.analyze`, then
    :func:`~chokepoint.core.scenarios.run_scenario` when a scenario is asked for, then
    :func:`chokepoint.output.export.export` of those results.

    Parameters
    ----------
    chain
        A chain, or its file or name.
    fmt
        ``graphml``, ``gexf``, ``json``, ``csv``, ``dot`` or ``mermaid``.
    scenario, cuts, shocks, substitution, scenario_file
        The scenario, as for :func:`~chokepoint.core.scenarios.resolve_scenario`; none by
        default.
    perspective, year, model
        As for :func:`~chokepoint.core.scenarios.run_scenario`.
    table
        With ``csv``: ``nodes`` (default) or ``edges``.
    fenced
        With ``mermaid``: wrap the diagram in a Markdown ```` ```mermaid ```` block.
    parts
        Return the text as parts to be written one after another
        (:func:`chokepoint.output.export.export_parts`): a firm-level network's GraphML is
        never whole in memory.

    Returns
    -------
    str or iterator of str
        The exported text (or its parts).

    Examples
    --------
    >>> text = export("robots", "csv", cuts=["JP:reducers=1"])
    >>> text.splitlines()[0].startswith("id,")
    True
    """
    from .core.analysis import analyze
    from .core.scenarios import resolve_scenario, run_scenario
    from .output.export import export as export_results

    loaded = _chain(chain)
    spec = resolve_scenario(
        loaded,
        scenario,
        cuts=cuts,
        shocks=shocks,
        substitution=substitution,
        scenario_file=scenario_file,
    )
    analysis = analyze(loaded, perspective=perspective, year=year)
    losses = (
        run_scenario(
            loaded, spec, perspective=analysis.perspective, model=model, year=analysis.year
        )
        if spec is not None
        else None
    )
    if parts:
        from .output.export import export_parts

        return export_parts(analysis, fmt, losses, table=table, fenced=fenced)
    return export_results(analysis, fmt, losses, table=table, fenced=fenced)


def plot(
    chain: ChainLike,
    fmt: str = "png",
    *,
    scenario: Scenario | str | None = None,
    cuts: Iterable[Cut | str] = (),
    shocks: Iterable[Shock | str] = (),
    substitution: Mapping[str, float] | Iterable[str] | None = None,
    scenario_file: str | os.PathLike[str] | None = None,
    perspective: str | None = None,
    year: int | None = None,
    model: LossModel = "leontief",
) -> bytes:
    """Draw a chain left to right, coloured by import dependence, or by loss under a scenario.

    The function behind ``chokepoint plot``: the analysis, the optional scenario and
    :func:`chokepoint.output.plot.plot_chain`. Needs matplotlib
    (``pip install 'chokepoint-supply[plot]'``).

    Parameters
    ----------
    chain
        A chain, or its file or name.
    fmt
        ``png`` or ``svg``.
    scenario, cuts, shocks, substitution, scenario_file, perspective, year, model
        As for :func:`export`.

    Returns
    -------
    bytes
        The image.

    Raises
    ------
    PlotDependencyError
        When matplotlib is not installed.
    OutputError
        For a format other than png or svg.
    """
    from .core.analysis import analyze
    from .core.scenarios import resolve_scenario, run_scenario
    from .output.plot import PlotFormat, plot_chain

    loaded = _chain(chain)
    analysis = analyze(loaded, perspective=perspective, year=year)
    spec = resolve_scenario(
        loaded,
        scenario,
        cuts=cuts,
        shocks=shocks,
        substitution=substitution,
        scenario_file=scenario_file,
    )
    losses = (
        run_scenario(
            loaded, spec, perspective=analysis.perspective, model=model, year=analysis.year
        )
        if spec is not None
        else None
    )
    return plot_chain(loaded, analysis, losses, fmt=cast("PlotFormat", fmt))
