"""Figures (matplotlib, non-interactive backend). Every function writes PNG or PDF by the file's
suffix, atomically, and returns the figure's path."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from .io import atomic_output
from .model import DetectorPrediction

BACKGROUND_LABELS = {
    "geo": "geo-ν",
    "world_reactors": "world reactors",
    "accidentals": "accidentals",
    "li9he8": r"$^9$Li/$^8$He",
    "atm_nc": "atmospheric ν NC",
    "fast_neutrons": "fast neutrons",
    "c13_alpha_n": r"$^{13}$C($\alpha$,n)$^{16}$O",
}


def _save(fig: plt.Figure, path: str | Path) -> Path:
    path = Path(path)
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_prediction(
    pred: DetectorPrediction, path: str | Path, *, title: str = "", exposure_days: float | None = None
) -> Path:
    """Expected prompt spectrum with the backgrounds and the IBD signal stacked, per MeV of visible
    energy (the binning is not uniform), on a linear and a logarithmic panel."""
    edges = pred.edges
    width = np.diff(edges)
    fig, (ax, axl) = plt.subplots(2, 1, figsize=(7.0, 7.0), sharex=True, height_ratios=[2, 1])
    order = sorted(pred.backgrounds, key=lambda n: pred.backgrounds[n].sum())
    layers = [(BACKGROUND_LABELS.get(n, n), pred.backgrounds[n]) for n in order]
    layers.append(("reactor IBD", pred.ibd))
    colours = plt.cm.tab10(np.linspace(0, 1, 10))
    for axis in (ax, axl):
        bottom = np.zeros_like(pred.ibd)
        for k, (label, counts) in enumerate(layers):
            top = bottom + counts / width
            axis.stairs(
                top,
                edges,
                baseline=bottom,
                fill=True,
                alpha=0.85,
                color=colours[k % 10],
                label=label if axis is ax else None,
            )
            bottom = top
        axis.stairs(bottom, edges, color="k", lw=0.8)
    axl.set_yscale("log")
    axl.set_ylim(bottom=1e-5 * float(np.max(pred.total / width)))  # five decades below the peak
    axl.set_xlabel(r"$E_\mathrm{vis}$ (prompt, reconstructed) [MeV]")
    ax.set_ylabel("events / MeV")
    axl.set_ylabel("events / MeV")
    ax.set_xlim(edges[0], edges[-1])
    subtitle = f"{pred.detector}"
    if exposure_days is not None:
        subtitle += f", {exposure_days:g} days: {pred.ibd.sum():.4g} IBD + {pred.background.sum():.4g} background"
    ax.set_title(f"{title}\n{subtitle}" if title else subtitle, fontsize=10)
    ax.legend(fontsize=8, frameon=False, ncol=2)
    return _save(fig, path)
