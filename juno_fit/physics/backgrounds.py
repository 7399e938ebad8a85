"""Backgrounds as rate × normalised shape in reconstructed (visible) energy bins.

Each background of a detector file becomes a shape normalised to 1 over the detector's binned range,
so its configured rate is the rate inside the analysis window. Shapes "table", "histogram" and
"flat" are integrated exactly over each bin here; "reactor" shapes depend on the detector response
and are built by the model (model.py) from the reactor flux.
"""

from __future__ import annotations

import numpy as np

from ..config.objects import Background


def _integrate_linear(x: np.ndarray, y: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """∫ over each bin of the piecewise-linear interpolation of (x, y), zero outside [x0, xn]."""
    grid = np.union1d(x, edges[(edges > x[0]) & (edges < x[-1])])
    vals = np.interp(grid, x, y)
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (vals[1:] + vals[:-1]) * np.diff(grid))])
    at_edges = np.interp(edges, grid, cum, left=0.0, right=cum[-1])
    return np.diff(at_edges)


def _integrate_histogram(lo: np.ndarray, hi: np.ndarray, density: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """∫ over each bin of a piecewise-constant density given on bins [lo, hi)."""
    out = np.zeros(len(edges) - 1)
    for l, h, d in zip(lo, hi, density, strict=True):
        overlap = np.clip(np.minimum(edges[1:], h) - np.maximum(edges[:-1], l), 0.0, None)
        out += d * overlap
    return out


def shape_in_bins(bkg: Background, edges: np.ndarray) -> np.ndarray:
    """Normalised shape (sums to 1 over the bins) of a table, histogram or flat background."""
    if bkg.shape == "table":
        raw = _integrate_linear(bkg.energy, bkg.density, edges)
    elif bkg.shape == "histogram":
        raw = _integrate_histogram(bkg.hist_lo, bkg.hist_hi, bkg.hist_density, edges)
    elif bkg.shape == "flat":
        assert bkg.flat_range is not None
        lo, hi = bkg.flat_range
        raw = np.clip(np.minimum(edges[1:], hi) - np.maximum(edges[:-1], lo), 0.0, None)
    else:
        raise ValueError(f"background {bkg.name!r}: shape {bkg.shape!r} is built by the model")
    total = raw.sum()
    if not total > 0:
        raise ValueError(
            f"background {bkg.name!r} has no events inside the binned range [{edges[0]:g}, {edges[-1]:g}] MeV"
        )
    return raw / total
