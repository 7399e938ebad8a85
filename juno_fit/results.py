"""Result objects of fits, scans and contours (those of the studies built on them: study_results.py).

Each has ``to_dict()`` (the same structure as the ``--json`` document of the command that makes it),
``to_json()`` (that document as strict JSON text: non-finite numbers become ``null``), a readable
``repr`` and an HTML table for Jupyter (``_repr_html_``); those with a figure have ``plot(ax=None)``.
They hold numbers only: the computations are in :mod:`juno_fit.fitting`, :mod:`juno_fit.ordering`,
:mod:`juno_fit.precision_table` and :mod:`juno_fit.ensemble`.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["ContourResult", "FitResult", "ScanResult", "finite"]

# Δχ² levels of the 1, 2, 3σ (68.27, 95.45, 99.73 %) intervals of one parameter and regions of two
SIGMA_LEVELS_1D = {"1": 1.0, "2": 4.0, "3": 9.0}
SIGMA_LEVELS_2D = {"1": 2.30, "2": 6.18, "3": 11.83}


def finite(value: Any) -> Any:
    """``value`` with NumPy types turned into Python ones and every non-finite float into None (strict
    JSON has no NaN or Infinity)."""
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # NumPy scalars
        return finite(value.item())
    if hasattr(value, "tolist"):
        return finite(value.tolist())
    return value


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float | np.floating):
        return f"{value:.6g}"
    if isinstance(value, tuple | list) and all(isinstance(v, float | int | None) for v in value):
        return "[" + ", ".join("–" if v is None else f"{v:.6g}" for v in value) + "]"
    return str(value)


class _Result:
    """What every result offers: JSON, a text table and an HTML table."""

    def to_dict(self) -> dict:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def to_json(self, **kwargs: Any) -> str:
        """The ``--json`` document as strict JSON text (keyword arguments go to :func:`json.dumps`)."""
        return json.dumps(finite(self.to_dict()), allow_nan=False, **kwargs)

    def _title(self) -> str:
        return type(self).__name__

    def _rows(self) -> tuple[list[str], list[list[Any]]]:
        """Header and rows of the summary table."""
        return [], []

    def __repr__(self) -> str:
        header, rows = self._rows()
        cells = [header] + [[_cell(v) for v in row] for row in rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
        lines = [self._title()]
        lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        header, rows = self._rows()
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in rows)
        return (
            f"<div><p><b>{html.escape(self._title())}</b></p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        )


@dataclass(repr=False)
class FitResult(_Result):
    """Outcome of one fit (:func:`juno_fit.fitting`).

    Attributes
    ----------
    values, errors : dict
        Best-fit value and HESSE error of every parameter (error 0 for a fixed one).
    minos : dict
        MINOS (lower, upper) offsets from the best value (lower ≤ 0), or None.
    free : list of str
        The free parameters, in the order of ``covariance``.
    covariance : array
        HESSE covariance of the free parameters.
    fval : float
        −2 ln L (Poisson) or χ² at the minimum, pull terms included.
    ndof : int
        Bins minus free parameters without a prior.
    valid : bool
        MIGRAD's minimum is valid.
    nfev : int
        Evaluations of the statistic.
    statistic : str
    derived : dict
        Δm²32, Δm²ee, sin²2θ13 (and others the model defines): (value, propagated error).
    pulls : dict
        Nuisance pulls (fit − prior)/σ.
    attempts : int
        MIGRAD attempts (1 + retries from perturbed starts).
    messages : list of str
        Notes on the fit (retries, parameters at a limit).
    """

    values: dict[str, float]
    errors: dict[str, float]
    minos: dict[str, tuple[float, float] | None]
    free: list[str]
    covariance: np.ndarray
    fval: float
    ndof: int
    valid: bool
    nfev: int
    statistic: str
    derived: dict[str, tuple[float, float]]
    pulls: dict[str, float] = field(default_factory=dict)
    attempts: int = 1
    messages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The ``--json`` document of ``juno-fit fit``: ``{"parameters": {NAME: {"value", "error",
        "minos", "free"}}, "derived": {NAME: {"value", "error"}}, "pulls", "fval", "ndof", "valid",
        "nfev", "statistic"}``."""
        return {
            "parameters": {
                name: {
                    "value": self.values[name],
                    "error": self.errors[name],
                    "minos": list(self.minos[name]) if self.minos.get(name) else None,
                    "free": name in self.free,
                }
                for name in self.values
            },
            "derived": {name: {"value": v, "error": e} for name, (v, e) in self.derived.items()},
            "pulls": self.pulls,
            "fval": self.fval,
            "ndof": self.ndof,
            "valid": self.valid,
            "nfev": self.nfev,
            "statistic": self.statistic,
        }

    def _title(self) -> str:
        status = "valid" if self.valid else "NOT VALID"
        shown = round(self.fval, 4) + 0.0  # no "-0.0000" for a minimum a rounding error below zero
        return (
            f"FitResult: {self.statistic} {shown:.4f} for {self.ndof} dof, minimum {status}, "
            f"{self.nfev} evaluations, {len(self.free)} free parameters"
        )

    def _rows(self) -> tuple[list[str], list[list[Any]]]:
        shown = [n for n in self.values if n not in self.pulls and (n in self.free or n in self.minos)]
        rows = []
        for name in shown:
            me = self.minos.get(name)
            rows.append([name, self.values[name], self.errors[name], tuple(me) if me else "-"])
        rows += [[name, v, e, "(derived)"] for name, (v, e) in self.derived.items()]
        return ["parameter", "value", "error", "MINOS"], rows

    def plot(self, ax=None, *, title: str = ""):
        """The nuisance pulls (:func:`juno_fit.plots.draw_pulls`); returns the axes."""
        from .drawing import draw_pulls

        return draw_pulls(self.pulls, ax, title=title)


@dataclass(repr=False)
class ScanResult(_Result):
    """A profile-likelihood scan of one parameter (:func:`juno_fit.scan`).

    Attributes
    ----------
    param : str
    x, dchi2 : array
        Scan points and Δχ² = χ²(x) − χ²_min (every other free parameter re-minimised at each point).
    valid : array of bool
        Whether each point's minimum is valid.
    intervals : dict
        ``{"1": (lo, hi), "2": ..., "3": ...}``: where Δχ² crosses 1, 4, 9 (None: outside the range).
    best : FitResult
        The free fit.
    retries : int
        MIGRAD retries over all points.
    seconds : float
        Wall time of the scan (the free fit not included).
    fmin : float
        The minimum the Δχ² is counted from (the smaller of the free fit's and the scan's).
    """

    param: str
    x: np.ndarray
    dchi2: np.ndarray
    valid: np.ndarray
    intervals: dict[str, tuple[float | None, float | None]]
    best: FitResult
    retries: int
    seconds: float
    fmin: float

    @property
    def failed_points(self) -> list[float]:
        """Scan values whose minimum is not valid."""
        return [float(v) for v, ok in zip(self.x, self.valid, strict=True) if not ok]

    def to_dict(self) -> dict:
        """The ``--json`` document of ``juno-fit scan``: ``{"param", "points": [[x, Δχ²], ...],
        "intervals", "best", "failed_points", "retries", "seconds"}``."""
        return {
            "param": self.param,
            "points": [[float(a), float(b)] for a, b in zip(self.x, self.dchi2, strict=True)],
            "intervals": {k: list(v) for k, v in self.intervals.items()},
            "best": self.best.values[self.param],
            "failed_points": self.failed_points,
            "retries": self.retries,
            "seconds": self.seconds,
        }

    def _title(self) -> str:
        return (
            f"ScanResult: profile of {self.param}, {len(self.x)} points, best fit "
            f"{self.best.values[self.param]:.6g} ± {self.best.errors[self.param]:.3g}, "
            f"{len(self.failed_points)} failed"
        )

    def _rows(self) -> tuple[list[str], list[list[Any]]]:
        rows = [[f"{k}σ", SIGMA_LEVELS_1D[k], lo, hi] for k, (lo, hi) in self.intervals.items()]
        return ["interval", "Δχ²", "low", "high"], rows

    def plot(self, ax=None, *, title: str = ""):
        """The Δχ² profile with its 1, 2, 3σ crossings (:func:`juno_fit.plots.draw_profile`)."""
        from .drawing import draw_profile

        return draw_profile(self.param, self.x, self.dchi2, ax, intervals=self.intervals, title=title)


@dataclass(repr=False)
class ContourResult(_Result):
    """A profiled Δχ² grid of two parameters with its 1, 2, 3σ contour lines (:func:`juno_fit.contour`).

    Attributes
    ----------
    params : (str, str)
    label : str
        The config's name (with the exposure where one was given).
    xs, ys : array
        Grid nodes of the two parameters.
    dchi2 : array, shape (len(xs), len(ys))
        Δχ² at each node (every other free parameter re-minimised), from the smaller of the free fit's
        and the grid's minimum.
    valid : array of bool
    lines : dict
        ``{"1": [array (n, 2), ...], ...}``: contour lines at Δχ² = 2.30, 6.18, 11.83 (2 dof).
    best : FitResult
    retries : int
    seconds : float
    fmin : float
        The minimum the Δχ² is counted from.
    mncontour : dict, optional
        MINUIT's MnContour points at Δχ² = 2.30 and the grid's Δχ² interpolated at them.
    """

    params: tuple[str, str]
    label: str
    xs: np.ndarray
    ys: np.ndarray
    dchi2: np.ndarray
    valid: np.ndarray
    lines: dict[str, list[np.ndarray]]
    best: FitResult
    retries: int
    seconds: float
    fmin: float
    mncontour: dict | None = None

    def entry(self) -> dict:
        """This grid's entry in the ``results`` list of ``juno-fit contour --json``."""
        a, b = self.params
        out = {
            "label": self.label,
            "best": [self.best.values[a], self.best.values[b]],
            "seconds": self.seconds,
            "failed_points": int((~self.valid).sum()),
            "retries": int(self.retries),
            "levels": {key: [line.tolist() for line in ls] for key, ls in self.lines.items()},
            "grid": {"a": self.xs.tolist(), "b": self.ys.tolist(), "dchi2": self.dchi2.tolist()},
        }
        if self.mncontour is not None:
            out["mncontour"] = self.mncontour
        return out

    def to_dict(self) -> dict:
        """The ``--json`` document of ``juno-fit contour``: ``{"params": [a, b], "results": [{"label",
        "best", "seconds", "failed_points", "retries", "levels", "grid": {"a", "b", "dchi2"}}]}``."""
        return {"params": list(self.params), "results": [self.entry()]}

    def extent(self, key: str) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """((a_min, a_max), (b_min, b_max)) of the lines of region ``key`` ("1", "2", "3" σ), None without lines."""
        lines = self.lines.get(key) or []
        if not lines:
            return None
        pts = np.concatenate([np.asarray(line) for line in lines])
        return (float(pts[:, 0].min()), float(pts[:, 0].max())), (float(pts[:, 1].min()), float(pts[:, 1].max()))

    def _title(self) -> str:
        a, b = self.params
        return (
            f"ContourResult: {self.label}, {len(self.xs)}×{len(self.ys)} grid of ({a}, {b}), "
            f"{int((~self.valid).sum())} failed points"
        )

    def _rows(self) -> tuple[list[str], list[list[Any]]]:
        a, b = self.params
        rows = []
        for key in self.lines:
            ext = self.extent(key)
            rows.append([f"{key}σ", SIGMA_LEVELS_2D[key], *(ext if ext else ("-", "-"))])
        return ["region", "Δχ²", f"{a} range", f"{b} range"], rows

    def plot(self, ax=None, *, title: str = "", references=None):
        """The contour lines and the best fit (:func:`juno_fit.plots.draw_contours`)."""
        from .drawing import draw_contours

        a, b = self.params
        item = {"label": self.label, "lines": self.lines, "best": (self.best.values[a], self.best.values[b])}
        return draw_contours(self.params, [item], ax, title=title, references=references)
