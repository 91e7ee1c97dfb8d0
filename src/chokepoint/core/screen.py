"""Screening every HS-6 product for foreign dependence: the method of the EU's SWD(2021) 352.

The European Commission's staff working document *Strategic dependencies and capacities*
(SWD(2021) 352, 5 May 2021) mapped the EU's dependence on some 5,200 HS-6 products from bilateral
trade data with three criteria; CEPII's GeoDep data set applies the same thresholds to every
country (Lefebvre and Wibaux, CEPII Policy Brief 47, 2024). For an importer :math:`G` (a country,
or a group such as EU27) and product :math:`k`, with :math:`M_{k,o}` the value :math:`G`'s members
import from origin :math:`o` outside :math:`G` and :math:`X_k` the value they export outside it:

* **concentration** of extra-group imports, the Herfindahl-Hirschman index of the origins'
  shares: :math:`\\mathrm{HHI}_k = \\sum_o (M_{k,o} / M_k)^2 > 0.4`, with :math:`M_k = \\sum_o M_{k,o}`;
* **substitutability** by the group's own output, proxied by trade:
  :math:`M_k / X_k > 1` (no exports and some imports: infinitely above 1);
* **importance in demand**, only when production :math:`P_k` is given: imports over apparent
  demand, :math:`M_k / (P_k + M_k - X_k) > 0.5`.

A product is flagged when every criterion that can be computed holds; when the first two hold and
the third cannot be computed (no production figure, or demand not above 0) ``flagged`` is unknown
(None), never guessed. Flagged products come first, ranked by HHI, then by the ratio.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..io.trade import find_flows, read_production, read_totals

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from ..io.trade import TradeTotals

__all__ = [
    "DEMAND_THRESHOLD",
    "HHI_THRESHOLD",
    "RATIO_THRESHOLD",
    "ScreenProduct",
    "ScreenResult",
    "import_hhi",
    "screen",
]

#: SWD(2021) 352: extra-group imports are concentrated above this HHI.
HHI_THRESHOLD = 0.4
#: SWD(2021) 352: extra-group imports over the group's exports above this.
RATIO_THRESHOLD = 1.0
#: SWD(2021) 352: extra-group imports over demand above this.
DEMAND_THRESHOLD = 0.5


def import_hhi(imports: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Herfindahl-Hirschman index of each row's origin shares: :math:`\\sum_o s_o^2`.

    A row without imports gives ``nan`` (no shares, no concentration).

    .. math:: \\mathrm{HHI}_k = \\sum_o \\Big(\\frac{M_{k,o}}{\\sum_{o'} M_{k,o'}}\\Big)^2

    References
    ----------
    European Commission, *Strategic dependencies and capacities*, SWD(2021) 352 final, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> import_hhi(np.array([[60.0, 20.0, 20.0], [0.0, 0.0, 0.0]])).round(2).tolist()
    [0.44, nan]
    """
    import numpy as np

    total = imports.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = imports / total[:, None]
        out = (shares * shares).sum(axis=1)
    out[total <= 0] = np.nan
    result: npt.NDArray[np.float64] = out
    return result


@dataclass(frozen=True, slots=True)
class ScreenProduct:
    """One HS-6 product: its figures, whether each criterion holds, and the verdict.

    ``import_export_ratio`` is None when the group exports none of it (the ratio is infinite
    when it imports some: the criterion holds); ``import_demand_ratio`` is None without a
    production figure or when demand is not above 0; ``flagged`` None when the verdict rests
    on that unknown.
    """

    hs: str
    description: str | None
    imports: float
    exports: float
    import_hhi: float | None
    import_export_ratio: float | None
    import_demand_ratio: float | None
    production: float | None
    top_origin: str | None
    top_share: float | None
    concentrated: bool
    not_substitutable: bool
    import_dependent: bool | None
    flagged: bool | None

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON: the four keys of the published format first."""
        return {
            "hs": self.hs,
            "import_hhi": self.import_hhi,
            "import_export_ratio": self.import_export_ratio,
            "flagged": self.flagged,
            "import_demand_ratio": self.import_demand_ratio,
            "imports": self.imports,
            "exports": self.exports,
            "production": self.production,
            "top_origin": self.top_origin,
            "top_share": self.top_share,
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class ScreenResult:
    """The screen of every product a group imports or exports, flagged products first."""

    importer: str
    members: tuple[str, ...]
    year: int
    source: str
    products: tuple[ScreenProduct, ...]
    production: bool
    notes: tuple[str, ...]
    rows: int

    @property
    def flagged(self) -> tuple[ScreenProduct, ...]:
        """The products that meet every criterion."""
        return tuple(p for p in self.products if p.flagged)

    def to_dict(self) -> dict[str, Any]:
        """``{"importer", "year", "products": [...]}`` plus the thresholds, source and notes."""
        return {
            "importer": self.importer,
            "year": self.year,
            "products": [p.to_dict() for p in self.products],
            "members": list(self.members),
            "source": self.source,
            "thresholds": {
                "import_hhi": HHI_THRESHOLD,
                "import_export_ratio": RATIO_THRESHOLD,
                "import_demand_ratio": DEMAND_THRESHOLD if self.production else None,
            },
            "notes": list(self.notes),
        }


def _number(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else float(value)


def _assess(
    totals: TradeTotals, production: Mapping[int, float] | None
) -> tuple[ScreenProduct, ...]:
    import numpy as np

    imports = totals.imports.sum(axis=1) if totals.imports.size else np.zeros(len(totals.hs))
    hhi = import_hhi(totals.imports) if totals.imports.size else np.full(len(totals.hs), np.nan)
    exports = totals.exports
    products: list[ScreenProduct] = []
    for p in range(len(totals.hs)):
        code = int(totals.hs[p])
        m, x = float(imports[p]), float(exports[p])
        h = _number(float(hhi[p]))
        ratio = m / x if x > 0 else None
        concentrated = h is not None and h > HHI_THRESHOLD
        not_substitutable = (ratio is not None and ratio > RATIO_THRESHOLD) or (x <= 0 < m)
        made = None if production is None else production.get(code)
        demand_ratio: float | None = None
        if made is not None and made + m - x > 0:
            demand_ratio = m / (made + m - x)
        dependent: bool | None = None
        if production is not None:
            dependent = None if demand_ratio is None else demand_ratio > DEMAND_THRESHOLD
        flagged: bool | None = concentrated and not_substitutable
        if flagged and production is not None:
            flagged = dependent
        top_origin, top_share = None, None
        if m > 0:
            o = int(np.argmax(totals.imports[p]))
            top_origin, top_share = totals.origins[o], float(totals.imports[p, o] / m)
        products.append(
            ScreenProduct(
                hs=totals.hs_text(p),
                description=totals.names.get(code),
                imports=m,
                exports=x,
                import_hhi=h,
                import_export_ratio=ratio,
                import_demand_ratio=demand_ratio,
                production=made,
                top_origin=top_origin,
                top_share=top_share,
                concentrated=concentrated,
                not_substitutable=not_substitutable,
                import_dependent=dependent,
                flagged=flagged,
            )
        )

    def key(item: ScreenProduct) -> tuple[int, float, float, str]:
        verdict = 0 if item.flagged else 1 if item.flagged is None else 2
        ratio = math.inf if item.import_export_ratio is None and item.imports > 0 else (
            item.import_export_ratio or 0.0
        )  # fmt: skip
        h = -1.0 if item.import_hhi is None else item.import_hhi
        return (verdict, -h, -ratio, item.hs)

    return tuple(sorted(products, key=key))


def screen(
    flows: str | os.PathLike[str],
    importer: str,
    year: int,
    *,
    production: str | os.PathLike[str] | None = None,
    engine: str = "auto",
) -> ScreenResult:
    """Screen every HS-6 product of a trade file for the importer's dependence.

    The function behind ``chokepoint screen``; the formulas are those of the module's text
    (:func:`import_hhi` and the three thresholds).

    Parameters
    ----------
    flows
        A BACI folder or year file, or a UN Comtrade export (:func:`chokepoint.io.trade.find_flows`).
    importer
        An ISO alpha-2 code or ``EU27``; for a group, imports and exports are those with
        countries outside it.
    year
        The year of the flows.
    production
        A CSV file with columns ``hs`` and ``production`` (US dollars): adds the demand criterion.
    engine
        How BACI files are parsed: ``auto``, ``arrow`` or ``python``.

    Returns
    -------
    ScreenResult
        Every product the group imports or exports, flagged products first.

    Raises
    ------
    ChainError
        For a bad trade or production file (file, line, column).
    ArgumentError
        For an unknown importer.
    """
    found = find_flows(flows, year)
    totals = read_totals(found, importer, engine=engine)
    made = None if production is None else read_production(production)
    return ScreenResult(
        importer=totals.importer,
        members=totals.members,
        year=year,
        source=found.citation(),
        products=_assess(totals, made),
        production=made is not None,
        notes=totals.notes,
        rows=totals.rows,
    )
