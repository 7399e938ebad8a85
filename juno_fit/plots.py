"""Figures: drawn on axes (the ``draw_*`` functions of :mod:`juno_fit.drawing`, re-exported here) or
written to files (the ``plot_*`` functions: PNG or PDF by the file's suffix, written atomically; each
returns the file's path).

The file writers make their figures with :class:`matplotlib.figure.Figure` directly, so they need no
pyplot backend and leave the user's backend (a notebook's inline one, say) alone. :func:`use_style`
switches every later figure to a HEP style (``mplhep``, the optional ``hep`` extra).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from .drawing import __all__ as DRAW_NAMES
from .drawing import (
    correlation_size,
    draw_contours,
    draw_correlation,
    draw_exclusion,
    draw_feldman_cousins,
    draw_fit_spectrum,
    draw_nmo,
    draw_prediction,
    draw_profile,
    draw_pulls,
    draw_toy_dchi2,
    draw_toy_parameter,
    pulls_height,
)
from .errors import JunoFitError
from .files import atomic_output
from .stages import DetectorPrediction

__all__ = [
    *DRAW_NAMES,
    "plot_contours",
    "plot_correlation",
    "plot_exclusion",
    "plot_feldman_cousins",
    "plot_fit_spectrum",
    "plot_nmo",
    "plot_prediction",
    "plot_profile",
    "plot_pulls",
    "plot_toy_dchi2",
    "plot_toy_parameter",
    "use_style",
]

STYLES = ("default", "hep")


def use_style(name: str = "hep") -> None:
    """Set the style of every later figure (files and notebook figures alike).

    Parameters
    ----------
    name : {"hep", "default"}
        ``"hep"``: the ROOT-like style of the high-energy-physics community (``mplhep``, installed with
        ``pip install 'juno-fit[hep]'``); ``"default"``: matplotlib's own.
    """
    import matplotlib

    if name not in STYLES:
        raise JunoFitError(f"use_style: unknown style {name!r} (accepted: {', '.join(STYLES)})")
    if name == "default":
        matplotlib.rcdefaults()
        return
    try:
        import mplhep
    except ImportError:
        raise JunoFitError("use_style('hep'): needs mplhep; install it with pip install 'juno-fit[hep]'") from None
    mplhep.style.use("ROOT")


def _figure(nrows: int = 1, ncols: int = 1, **kwargs):
    fig = Figure(figsize=kwargs.pop("figsize"))
    return fig, fig.subplots(nrows, ncols, **kwargs)


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=150, bbox_inches="tight")
    return path


def plot_prediction(
    pred: DetectorPrediction, path: str | Path, *, title: str = "", exposure_days: float | None = None
) -> Path:
    """Write :func:`~juno_fit.drawing.draw_prediction` (the expected spectrum, stacked) to ``path``."""
    fig, axes = _figure(2, 1, figsize=(7.0, 7.0), sharex=True, height_ratios=[2, 1])
    draw_prediction(pred, axes, title=title, exposure_days=exposure_days)
    return _save(fig, path)


def plot_fit_spectrum(
    pred: DetectorPrediction,
    data: np.ndarray,
    path: str | Path,
    *,
    title: str = "",
    unoscillated: np.ndarray | None = None,
) -> Path:
    """Write :func:`~juno_fit.drawing.draw_fit_spectrum` (data, best fit, residuals) to ``path``."""
    fig, axes = _figure(2, 1, figsize=(7.0, 6.5), sharex=True, height_ratios=[3, 1])
    draw_fit_spectrum(pred, data, axes, title=title, unoscillated=unoscillated)
    return _save(fig, path)


def plot_profile(
    name: str, x: np.ndarray, dchi2: np.ndarray, path: str | Path, *, intervals: dict | None = None, title: str = ""
) -> Path:
    """Write :func:`~juno_fit.drawing.draw_profile` (a Δχ² profile) to ``path``."""
    fig, ax = _figure(figsize=(6.0, 4.2))
    draw_profile(name, x, dchi2, ax, intervals=intervals, title=title)
    return _save(fig, path)


def plot_contours(
    names: tuple[str, str],
    sets: list[dict],
    path: str | Path,
    *,
    title: str = "",
    references: list[dict] | None = None,
    log: tuple[bool, bool] = (False, False),
) -> Path:
    """Write :func:`~juno_fit.drawing.draw_contours` (2D contours of one or several fits) to ``path``."""
    fig, ax = _figure(figsize=(6.0, 5.0))
    draw_contours(names, sets, ax, title=title, references=references, log=log)
    return _save(fig, path)


def plot_nmo(
    years: np.ndarray, sigma: np.ndarray, path: str | Path, *, sigma_vacuum: np.ndarray | None = None, title: str = ""
) -> Path:
    """Write :func:`~juno_fit.drawing.draw_nmo` (√Δχ²_NMO versus exposure) to ``path``."""
    fig, ax = _figure(figsize=(6.0, 4.2))
    draw_nmo(years, sigma, ax, sigma_vacuum=sigma_vacuum, title=title)
    return _save(fig, path)


def plot_pulls(pulls: dict[str, float], path: str | Path, *, title: str = "") -> Path:
    """Write :func:`~juno_fit.drawing.draw_pulls` (nuisance pulls) to ``path``."""
    fig, ax = _figure(figsize=(6.0, pulls_height(len(pulls))))
    draw_pulls(pulls, ax, title=title)
    return _save(fig, path)


def plot_correlation(names: list[str], covariance: np.ndarray, path: str | Path, *, title: str = "") -> Path:
    """Write :func:`~juno_fit.drawing.draw_correlation` (the correlation matrix) to ``path``."""
    size = correlation_size(len(names))
    fig, ax = _figure(figsize=(size + 1.0, size))
    draw_correlation(names, covariance, ax, title=title)
    return _save(fig, path)


def plot_exclusion(result, path: str | Path, *, title: str = "") -> Path:
    """Write :func:`~juno_fit.drawing.draw_exclusion` (raster limits and 2-dof regions) to ``path``."""
    fig, ax = _figure(figsize=(6.0, 5.0))
    draw_exclusion(result, ax, title=title)
    return _save(fig, path)


def plot_toy_parameter(
    name: str, values: np.ndarray, errors: np.ndarray, truth: np.ndarray, path: str | Path, *, title: str = ""
) -> Path:
    """Write :func:`~juno_fit.drawing.draw_toy_parameter` (fitted values and pulls of an ensemble)."""
    fig, axes = _figure(1, 2, figsize=(10.0, 4.0))
    draw_toy_parameter(name, values, errors, truth, axes, title=title)
    fig.tight_layout()
    return _save(fig, path)


def plot_toy_dchi2(dchi2: np.ndarray, path: str | Path, *, title: str = "") -> Path:
    """Write :func:`~juno_fit.drawing.draw_toy_dchi2` (the Δχ²_NMO distribution of an ensemble)."""
    fig, ax = _figure(figsize=(6.0, 4.2))
    draw_toy_dchi2(dchi2, ax, title=title)
    return _save(fig, path)


def plot_feldman_cousins(doc: dict, path: str | Path, *, title: str = "") -> Path:
    """Write :func:`~juno_fit.drawing.draw_feldman_cousins` (a Feldman–Cousins construction) to ``path``."""
    fig, ax = _figure(figsize=(6.4, 4.6 if len(doc["params"]) == 1 else 5.2))
    draw_feldman_cousins(doc, ax, title=title)
    return _save(fig, path)
