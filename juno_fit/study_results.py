"""Result objects of the studies: the mass-ordering test, precision tables, toy ensembles and
exclusion limits. Like those of :mod:`juno_fit.results` (whose base they share) each has ``to_dict()``
(the command's ``--json`` document), ``to_json()``, a text and an HTML table, and ``plot`` where a
figure belongs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .results import _Result

__all__ = ["ExclusionResult", "NmoResult", "PrecisionResult", "ToysResult"]


@dataclass(repr=False)
class NmoResult(_Result):
    """Median mass-ordering sensitivity of Asimov data at several exposures (:func:`juno_fit.ordering`).

    Attributes
    ----------
    config : str
    true_ordering : str
    labels : list of str
        The exposures as given ("1y", "6y", ...; "own" for a joint fit at each part's exposure).
    days : list of float or None
    exposures : dict
        ``{label: {"dchi2", "sigma", "dm2_31_wrong", "dm2_31_true_fit", "valid"}}`` with
        Δχ²_NMO = χ²_min(wrong ordering) − χ²_min(true ordering) and σ = √Δχ².
    vacuum : dict, optional
        The same in vacuum (matter effect off).
    """

    config: str
    true_ordering: str
    labels: list[str]
    days: list[float | None]
    exposures: dict[str, dict]
    vacuum: dict[str, dict] | None = None

    @property
    def valid(self) -> bool:
        """Every fit (both orderings, every exposure) converged."""
        fits = [*self.exposures.values(), *(self.vacuum or {}).values()]
        return all(v["valid"] for v in fits)

    def to_dict(self) -> dict:
        """The ``--json`` document of ``juno-fit nmo``: ``{"true_ordering", "exposures": {LABEL:
        {"dchi2", "sigma", "dm2_31_wrong"}}, "vacuum": ... (with --vacuum)}``."""

        def summary(res: dict) -> dict:
            keys = ("dchi2", "sigma", "dm2_31_wrong")
            return {label: {k: v[k] for k in keys} for label, v in res.items()}

        out = {"true_ordering": self.true_ordering, "exposures": summary(self.exposures)}
        if self.vacuum:
            out["vacuum"] = summary(self.vacuum)
        return out

    def _title(self) -> str:
        return f"NmoResult: {self.config}, true {self.true_ordering} ordering, Asimov data"

    def _rows(self) -> tuple[list[str], list[list[Any]]]:
        header = ["exposure", "Δχ²_NMO", "√Δχ²", "wrong-ordering Δm²31"]
        rows = [[label, v["dchi2"], v["sigma"], v["dm2_31_wrong"]] for label, v in self.exposures.items()]
        if self.vacuum:
            header.append("vacuum Δχ²")
            for row, label in zip(rows, self.exposures, strict=True):
                row.append(self.vacuum[label]["dchi2"])
        return header, rows

    def plot(self, ax=None, *, title: str = ""):
        """√Δχ²_NMO versus exposure in years (:func:`juno_fit.plots.draw_nmo`); needs numeric exposures."""
        from .config import DAYS_PER_YEAR
        from .drawing import draw_nmo

        if any(d is None for d in self.days):
            raise ValueError("plot: a joint nmo test at each config's own exposure has no exposure axis")
        years = np.array(self.days, dtype=float) / DAYS_PER_YEAR
        sigma = np.array([v["sigma"] for v in self.exposures.values()])
        vac = np.array([v["sigma"] for v in self.vacuum.values()]) if self.vacuum else None
        title = title or f"{self.config}: true {self.true_ordering} ordering"
        return draw_nmo(years, sigma, ax, sigma_vacuum=vac, title=title)


@dataclass(repr=False)
class PrecisionResult(_Result):
    """Relative 1σ precision of the free oscillation parameters (:func:`juno_fit.precision_table`).

    Attributes
    ----------
    config : str
    table : dict
        ``{exposure: {parameter: {"rel": stat+syst, "rel_stat": stat only}}}`` (relative errors, not %).
    """

    config: str
    table: dict[str, dict[str, dict[str, float]]]

    def to_dict(self) -> dict:
        """The ``--json`` document of ``juno-fit precision``: ``{"exposures": table}``."""
        return {"exposures": self.table}

    def _title(self) -> str:
        return f"PrecisionResult: {self.config}, relative 1σ precision in %, stat+syst (stat only)"

    def _rows(self) -> tuple[list[str], list[list[Any]]]:
        names = list(next(iter(self.table.values()))) if self.table else []
        rows = [
            [exposure] + [f"{100 * row[n]['rel']:.3f} ({100 * row[n]['rel_stat']:.3f})" for n in names]
            for exposure, row in self.table.items()
        ]
        return ["exposure", *names], rows


@dataclass(repr=False)
class ToysResult(_Result):
    """A toy ensemble fitted by :func:`juno_fit.toys`.

    Attributes
    ----------
    run : dict
        What the run did: ``{"requested", "already", "fitted", "seconds", "workers", "output", ...}``
        (the ``--json`` document of ``juno-fit toys``).
    summary : dict
        :func:`juno_fit.ensemble.summarise` of the whole ensemble in the file (the ``--json`` document of
        ``juno-fit summary``): per parameter the mean, width, pull mean and width, 1σ coverage.
    arrays : dict
        Per-toy arrays of the ensemble (``values``, ``errors``, ``truth``, ``valid``, ``fval``, ...; with
        ``dchi2`` for a mass-ordering ensemble), rows in toy order; ``parameters`` names the columns.
    """

    run: dict[str, Any]
    summary: dict[str, Any]
    arrays: dict[str, np.ndarray]
    parameters: list[str]

    def to_dict(self) -> dict:
        """The ``--json`` document of ``juno-fit toys``."""
        return dict(self.run)

    def _title(self) -> str:
        s = self.summary
        return (
            f"ToysResult: {s['config']}, {s['exposure_days']:g} days, {s['toys']} toys, "
            f"{s['converged']} converged; {self.run['fitted']} fitted in {self.run['seconds']:.1f} s"
        )

    def _rows(self) -> tuple[list[str], list[list[Any]]]:
        header = ["parameter", "mean", "width", "pull mean", "pull width", "1σ coverage"]
        rows = [
            [n, p["mean"], p["width"], p["pull_mean"], p["pull_width"], p["coverage_1sigma"]]
            for n, p in self.summary["parameters"].items()
        ]
        return header, rows

    def plot(self, name: str | None = None, axes=None, *, title: str = ""):
        """Fitted values and pulls of one parameter (default the first), or with ``name="dchi2"`` the
        Δχ²_NMO distribution of a mass-ordering ensemble (:mod:`juno_fit.plots`)."""
        from .drawing import draw_toy_dchi2, draw_toy_parameter

        a = self.arrays
        valid = a["valid"] & a.get("valid_wrong", True)
        if name == "dchi2":
            return draw_toy_dchi2(a["dchi2"][valid], axes, title=title)
        name = name or next(iter(self.summary["parameters"]))
        j = self.parameters.index(name)
        return draw_toy_parameter(
            name, a["values"][valid, j], a["errors"][valid, j], a["truth"][valid, j], axes, title=title
        )


def _sin2_2theta(s: float | None) -> float | None:
    return None if s is None else 4.0 * s * (1.0 - s)


@dataclass(repr=False)
class ExclusionResult(_Result):
    """Raster-scan limits and 2-dof regions of a mixing and its mass splitting (:func:`juno_fit.exclusion`).

    Attributes
    ----------
    mixing, mass : str
        Parameter names (``sin2_theta14``, ``dm2_41``).
    masses, mixings : array
        The grid: rows (mass splitting) and columns (mixing, from its null value 0).
    chi2 : array, shape (len(masses), len(mixings))
        Profiled χ² at each node.
    raster : dict
        ``{"90": [upper limit on the mixing per mass, None where none in range], "95": ...}`` (1 dof per
        slice).
    regions : dict
        ``{"90": [array (n, 2) of (mixing, mass)], ...}``: 2-dof contour lines from the global minimum.
    dchi2_standard : float
        χ²(mixing = 0) − χ²_min: the improvement of the best new-physics point over the standard model.
    best_point : (float, float)
        (mixing, mass) of the grid's minimum.
    levels : dict
        ``{"90": (Δχ² of 1 dof, Δχ² of 2 dof), ...}``.
    seconds : float
    """

    mixing: str
    mass: str
    masses: np.ndarray
    mixings: np.ndarray
    chi2: np.ndarray
    valid: np.ndarray
    raster: dict[str, list[float | None]]
    regions: dict[str, list[np.ndarray]]
    dchi2_standard: float
    best_point: tuple[float, float]
    levels: dict[str, tuple[float, float]]
    fmin: float
    retries: int
    seconds: float

    def to_dict(self) -> dict:
        """The ``--json`` document of ``juno-fit exclusion``: ``{"mixing", "mass", "convention", "levels",
        "raster": {CL: [{"mass", "limit", "limit_sin2_2theta"}]}, "regions": {CL: [[[x, m], ...]]},
        "dchi2_standard", "best_point", "grid": {"masses", "mixings", "chi2"}, "failed_points", "seconds"}``."""
        return {
            "mixing": self.mixing,
            "mass": self.mass,
            "convention": (
                "Wilks: raster scan, Δχ² per mass slice from its minimum at the 1-dof quantile; regions, Δχ² from "
                "the global minimum at the 2-dof quantile"
            ),
            "levels": {k: {"raster_1dof": a, "region_2dof": b} for k, (a, b) in self.levels.items()},
            "raster": {
                k: [
                    {"mass": float(m), "limit": v, "limit_sin2_2theta": _sin2_2theta(v)}
                    for m, v in zip(self.masses, limits, strict=True)
                ]
                for k, limits in self.raster.items()
            },
            "regions": {k: [line.tolist() for line in lines] for k, lines in self.regions.items()},
            "dchi2_standard": self.dchi2_standard,
            "best_point": list(self.best_point),
            "grid": {"masses": self.masses.tolist(), "mixings": self.mixings.tolist(), "chi2": self.chi2.tolist()},
            "failed_points": int((~self.valid).sum()),
            "seconds": self.seconds,
        }

    def _title(self) -> str:
        return (
            f"ExclusionResult: {self.mixing} against {self.mass}, {len(self.masses)}×{len(self.mixings)} grid; "
            f"Δχ² of the best point against the standard model {self.dchi2_standard:.3f}"
        )

    def _rows(self) -> tuple[list[str], list[list[Any]]]:
        keys = list(self.raster)
        header = [self.mass, *(f"{self.mixing} < ({k} %)" for k in keys), *(f"sin²2θ < ({k} %)" for k in keys)]
        rows = [
            [float(m), *(self.raster[k][i] for k in keys), *(_sin2_2theta(self.raster[k][i]) for k in keys)]
            for i, m in enumerate(self.masses)
        ]
        return header, rows

    def plot(self, ax=None, *, title: str = ""):
        """Raster limits (solid) and 2-dof regions (dashed) in (sin²2θ, Δm²), both axes logarithmic."""
        from .drawing import draw_exclusion

        return draw_exclusion(self, ax, title=title)


@dataclass(repr=False)
class FeldmanCousinsResult(_Result):
    """A Feldman–Cousins construction analysed (:func:`juno_fit.feldman_cousins`).

    Attributes
    ----------
    document : dict
        The ``--json`` document of ``juno-fit fc``: grid, critical values with their binomial errors per
        CL, the data's Δχ², and FC and Wilks intervals (one parameter) or regions with areas (two).
    """

    document: dict[str, Any]

    def to_dict(self) -> dict:
        """The ``--json`` document of ``juno-fit fc``."""
        return dict(self.document)

    def _title(self) -> str:
        d = self.document
        n = d["toys_per_point"]
        return f"FeldmanCousinsResult: {', '.join(d['params'])}, {n['min']}–{n['max']} toys per point"

    def _rows(self) -> tuple[list[str], list[list[Any]]]:
        d = self.document

        def span(intervals):
            return " ∪ ".join(f"[{i['interval'][0]:.6g}, {i['interval'][1]:.6g}]" for i in intervals) or "empty"

        if "intervals" in d:
            rows = [[cl, span(v["fc"]), span(v["wilks"])] for cl, v in d["intervals"].items()]
            return ["CL %", "Feldman–Cousins", "Wilks"], rows
        rows = [[cl, v["fc_area"], v["wilks_area"]] for cl, v in d["regions"].items()]
        return ["CL %", "FC area", "Wilks area"], rows

    def plot(self, ax=None, *, title: str = ""):
        """Critical values against the data's Δχ² (one parameter) or the 90 % critical-value map with
        the regions (two): :func:`juno_fit.plots.draw_feldman_cousins`."""
        from .drawing import draw_feldman_cousins

        return draw_feldman_cousins(self.document, ax, title=title)
