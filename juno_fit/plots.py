"""Figures (matplotlib, non-interactive backend). Every function writes PNG or PDF by the file's
suffix, atomically, and returns the figure's path."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from .files import atomic_output
from .stages import DetectorPrediction

BACKGROUND_LABELS = {
    "geo": "geo-ν",
    "world_reactors": "world reactors",
    "accidentals": "accidentals",
    "li9he8": r"$^9$Li/$^8$He",
    "atm_nc": "atmospheric ν NC",
    "fast_neutrons": "fast neutrons",
    "c13_alpha_n": r"$^{13}$C($\alpha$,n)$^{16}$O",
    "bipo": r"$^{214}$Bi–$^{214}$Po",
    "double_neutrons": "double neutrons",
    "lithium_helium": r"$^9$Li/$^8$He",  # Daya Bay release names
    "amc": "AmC",
    "alpha_neutron": r"$^{13}$C($\alpha$,n)$^{16}$O",
}


def _save(fig: plt.Figure, path: str | Path) -> Path:
    path = Path(path)
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    return path


def _background_layers(pred: DetectorPrediction) -> list[tuple[str, np.ndarray]]:
    """(label, counts) of each background, smallest total first (the order they are stacked in)."""
    order = sorted(pred.backgrounds, key=lambda n: pred.backgrounds[n].sum())
    return [(BACKGROUND_LABELS.get(n, n), pred.backgrounds[n]) for n in order]


def _stack(
    axis, edges: np.ndarray, layers: list[tuple[str, np.ndarray]], *, alpha: float, labelled: bool = True
) -> np.ndarray:
    """Fill ``layers`` (label, counts per bin) on top of each other, per MeV, in tab10 colours; returns
    the top of the stack."""
    width = np.diff(edges)
    colours = plt.cm.tab10(np.linspace(0, 1, 10))
    bottom = np.zeros(len(width))
    for k, (label, counts) in enumerate(layers):
        top = bottom + counts / width
        axis.stairs(
            top,
            edges,
            baseline=bottom,
            fill=True,
            alpha=alpha,
            color=colours[k % 10],
            label=label if labelled else None,
        )
        bottom = top
    return bottom


def plot_prediction(
    pred: DetectorPrediction, path: str | Path, *, title: str = "", exposure_days: float | None = None
) -> Path:
    """Expected prompt spectrum with the backgrounds and the IBD signal stacked, per MeV of visible
    energy (the binning is not uniform), on a linear and a logarithmic panel."""
    edges = pred.edges
    width = np.diff(edges)
    fig, (ax, axl) = plt.subplots(2, 1, figsize=(7.0, 7.0), sharex=True, height_ratios=[2, 1])
    layers = [*_background_layers(pred), ("reactor IBD", pred.ibd)]
    for axis in (ax, axl):
        top = _stack(axis, edges, layers, alpha=0.85, labelled=axis is ax)
        axis.stairs(top, edges, color="k", lw=0.8)
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


# --------------------------------------------------------------------------------------------------
# Fit results, scans, contours, mass ordering
# --------------------------------------------------------------------------------------------------

# LaTeX label and display scale of each oscillation parameter
PARAM_AXES = {
    "sin2_theta12": (r"$\sin^2\theta_{12}$", 1.0),
    "sin2_theta13": (r"$\sin^2\theta_{13}$", 1.0),
    "sin2_2theta13": (r"$\sin^2 2\theta_{13}$", 1.0),
    "sin2_2theta12": (r"$\sin^2 2\theta_{12}$", 1.0),
    "dm2_21": (r"$\Delta m^2_{21}$ [$10^{-5}$ eV$^2$]", 1e5),
    "dm2_31": (r"$\Delta m^2_{31}$ [$10^{-3}$ eV$^2$]", 1e3),
    "dm2_32": (r"$\Delta m^2_{32}$ [$10^{-3}$ eV$^2$]", 1e3),
    "matter.density": (r"$\rho$ [g/cm$^3$]", 1.0),
}
SIGMA_STYLES = {"1": ("-", 1.0), "2": ("--", 0.8), "3": (":", 0.8)}


def _axis(name: str) -> tuple[str, float]:
    return PARAM_AXES.get(name, (name, 1.0))


def plot_fit_spectrum(
    pred: DetectorPrediction,
    data: np.ndarray,
    path: str | Path,
    *,
    title: str = "",
    unoscillated: np.ndarray | None = None,
) -> Path:
    """Data points with statistical errors, the best-fit backgrounds stacked under the best-fit IBD
    spectrum, and a residual panel (data − fit)/√fit, per MeV of visible energy. ``unoscillated``
    (counts per bin of the IBD signal without oscillation) adds it, on top of the backgrounds, as a
    dashed line."""
    edges = pred.edges
    width = np.diff(edges)
    centres = 0.5 * (edges[1:] + edges[:-1])
    total = pred.total
    fig, (ax, axr) = plt.subplots(2, 1, figsize=(7.0, 6.5), sharex=True, height_ratios=[3, 1])
    _stack(ax, edges, _background_layers(pred), alpha=0.8)
    ax.stairs(total / width, edges, color="C3", lw=1.2, label="best fit (IBD + backgrounds)")
    if unoscillated is not None:
        ax.stairs((unoscillated + pred.background) / width, edges, color="0.3", lw=1.0, ls="--", label="no oscillation")
    ax.errorbar(
        centres,
        data / width,
        yerr=np.sqrt(np.maximum(data, 0)) / width,
        fmt="o",
        ms=2.0,
        color="k",
        lw=0.8,
        label="data",
    )
    ax.set_ylabel("events / MeV")
    ax.set_xlim(edges[0], edges[-1])
    ax.legend(fontsize=8, frameon=False, ncol=2)
    ax.set_title(title or pred.detector, fontsize=10)
    resid = (data - total) / np.sqrt(np.where(total > 0, total, 1.0))
    axr.axhline(0.0, color="C3", lw=1.0)
    axr.plot(centres, resid, "o", ms=2.0, color="k")
    axr.set_ylabel(r"(data $-$ fit)/$\sqrt{\mathrm{fit}}$")
    axr.set_xlabel(r"$E_\mathrm{vis}$ (prompt, reconstructed) [MeV]")
    lim = max(3.0, float(np.nanmax(np.abs(resid))) * 1.1)
    axr.set_ylim(-lim, lim)
    return _save(fig, path)


def plot_profile(
    name: str, x: np.ndarray, dchi2: np.ndarray, path: str | Path, *, intervals: dict | None = None, title: str = ""
) -> Path:
    """Δχ² profile of one parameter with the 1, 2, 3σ levels (Δχ² = 1, 4, 9) and the crossings."""
    label, scale = _axis(name)
    fig, ax = plt.subplots(figsize=(6.0, 4.2))
    ax.plot(np.asarray(x) * scale, dchi2, "-", color="C0", lw=1.5)
    ax.plot(np.asarray(x) * scale, dchi2, "o", color="C0", ms=2.5)
    for key, level in (("1", 1.0), ("2", 4.0), ("3", 9.0)):
        ax.axhline(level, color="0.4", lw=0.8, ls=SIGMA_STYLES[key][0])
        ax.text(float(np.max(x)) * scale, level, f"{key}σ ", va="bottom", ha="right", fontsize=8, color="0.3")
        if intervals and intervals.get(key):
            lo, hi = intervals[key]
            for v in (lo, hi):
                if v is not None:
                    ax.axvline(v * scale, color="0.6", lw=0.6, ls=SIGMA_STYLES[key][0])
    ax.set_xlabel(label)
    ax.set_ylabel(r"$\Delta\chi^2$")
    ax.set_ylim(0, max(10.0, float(np.nanmax(dchi2)) * 1.05))
    if title:
        ax.set_title(title, fontsize=10)
    return _save(fig, path)


def plot_contours(
    names: tuple[str, str],
    sets: list[dict],
    path: str | Path,
    *,
    title: str = "",
    references: list[dict] | None = None,
) -> Path:
    """2D confidence contours (Δχ² = 2.30, 6.18, 11.83) of one or several configs/exposures. Each set:
    {"label", "lines": {"1": [array (n, 2), ...], "2": ..., "3": ...}, "best": (x, y)}. Each reference
    (a published result) is drawn as a point with 1σ error bars: {"label", "x": (value, error),
    "y": (value, error)}."""
    (lx, sx), (ly, sy) = _axis(names[0]), _axis(names[1])
    fig, ax = plt.subplots(figsize=(6.0, 5.0))
    for k, item in enumerate(sets):
        colour = f"C{k}"
        for key, lines in item["lines"].items():
            style, width = SIGMA_STYLES[key]
            for n, line in enumerate(lines):
                ax.plot(
                    line[:, 0] * sx,
                    line[:, 1] * sy,
                    ls=style,
                    color=colour,
                    lw=width * 1.4,
                    label=f"{item['label']} {key}σ" if n == 0 else None,
                )
        ax.plot(item["best"][0] * sx, item["best"][1] * sy, "+", color=colour, ms=10, mew=1.5)
    for ref in references or []:
        (x, ex), (y, ey) = ref["x"], ref["y"]
        ax.errorbar(
            x * sx, y * sy, xerr=ex * sx, yerr=ey * sy, fmt="s", ms=4, color="k", capsize=3, lw=1.0, label=ref["label"]
        )
    ax.set_xlabel(lx)
    ax.set_ylabel(ly)
    ax.legend(fontsize=8, frameon=False)
    ax.ticklabel_format(useOffset=False)
    if title:
        ax.set_title(title, fontsize=10)
    return _save(fig, path)


def plot_nmo(
    years: np.ndarray, sigma: np.ndarray, path: str | Path, *, sigma_vacuum: np.ndarray | None = None, title: str = ""
) -> Path:
    """Median mass-ordering sensitivity √Δχ²_NMO versus exposure."""
    fig, ax = plt.subplots(figsize=(6.0, 4.2))
    ax.plot(years, sigma, "o-", color="C0", label="matter (KNP)")
    if sigma_vacuum is not None:
        ax.plot(years, sigma_vacuum, "s--", color="C1", label="vacuum")
    for level in (1, 2, 3):
        ax.axhline(level, color="0.6", lw=0.6, ls=":")
    ax.set_xlabel("exposure [years of data taking]")
    ax.set_ylabel(r"$\sqrt{\Delta\chi^2_\mathrm{NMO}}$")
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    ax.legend(fontsize=9, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    return _save(fig, path)


def plot_pulls(pulls: dict[str, float], path: str | Path, *, title: str = "") -> Path:
    """Nuisance pulls (fit − prior)/σ with the ±1σ band."""
    names = list(pulls)
    values = np.array([pulls[n] for n in names])
    fig, ax = plt.subplots(figsize=(6.0, max(3.0, 0.16 * len(names) + 1.0)))
    y = np.arange(len(names))
    ax.axvspan(-1, 1, color="0.9")
    ax.axvline(0, color="0.5", lw=0.8)
    ax.plot(values, y, "o", ms=3, color="C0")
    ax.set_yticks(y, names, fontsize=6)
    ax.invert_yaxis()
    ax.set_xlabel(r"pull $(\hat\theta - \theta_0)/\sigma$")
    ax.set_xlim(min(-2.0, values.min() - 0.3), max(2.0, values.max() + 0.3))
    if title:
        ax.set_title(title, fontsize=10)
    return _save(fig, path)


def plot_correlation(names: list[str], covariance: np.ndarray, path: str | Path, *, title: str = "") -> Path:
    """Correlation matrix of the free parameters."""
    sigma = np.sqrt(np.diag(covariance))
    corr = covariance / np.outer(sigma, sigma)
    n = len(names)
    size = max(4.5, 0.14 * n + 2.0)
    fig, ax = plt.subplots(figsize=(size + 1.0, size))
    image = ax.imshow(corr, cmap="RdBu_r", vmin=-1, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="correlation")
    labels = [_axis(nm)[0] if nm in PARAM_AXES else nm for nm in names]
    fontsize = 9 if n <= 12 else 5
    ax.set_xticks(range(n), labels, rotation=90, fontsize=fontsize)
    ax.set_yticks(range(n), labels, fontsize=fontsize)
    if title:
        ax.set_title(title, fontsize=10)
    return _save(fig, path)


def plot_toy_parameter(
    name: str, values: np.ndarray, errors: np.ndarray, truth: np.ndarray, path: str | Path, *, title: str = ""
) -> Path:
    """Two panels for one parameter of an ensemble: the fitted values with the true value, and the
    pulls (fit − truth)/error with a unit Gaussian scaled to the number of toys."""
    label, scale = _axis(name)
    values, errors, truth = (np.asarray(x, dtype=float) for x in (values, errors, truth))
    ok = errors > 0.01 * np.median(errors) if len(errors) else errors > 0  # as juno_fit.ensemble.summarise
    pulls = (values[ok] - truth[ok]) / errors[ok]
    fig, (ax, axp) = plt.subplots(1, 2, figsize=(10.0, 4.0))
    bins = max(10, min(60, int(np.sqrt(max(len(values), 1))) * 2))
    lo, hi = np.percentile(values, [0.5, 99.5]) if len(values) else (0.0, 1.0)
    pad = 0.05 * (hi - lo) if hi > lo else 1e-9 * max(abs(lo), 1.0)
    lo, hi = min(lo - pad, truth.min()), max(hi + pad, truth.max())
    outside = int(np.sum((values < lo) | (values > hi)))
    ax.hist(
        values * scale,
        bins=bins,
        range=(lo * scale, hi * scale),
        color="C0",
        alpha=0.8,
        label=f"toys ({outside} outside the range)" if outside else "toys",
    )
    for t in np.unique(truth):
        ax.axvline(t * scale, color="C3", lw=1.2, label="truth" if t == truth[0] else None)
    ax.set_xlabel(f"fitted {label}")
    ax.set_ylabel("toys")
    ax.legend(fontsize=8, frameon=False)
    ax.ticklabel_format(useOffset=False)
    edges = np.linspace(-5, 5, 41)
    axp.hist(np.clip(pulls, -5, 5), bins=edges, color="C0", alpha=0.8, label="toys (clipped at ±5)")
    x = np.linspace(-5, 5, 400)
    width = edges[1] - edges[0]
    axp.plot(x, len(pulls) * width * np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi), color="C3", lw=1.2, label="N(0, 1)")
    if len(pulls) > 1:
        axp.set_title(f"mean {np.mean(pulls):+.3f}, width {np.std(pulls, ddof=1):.3f}", fontsize=9)
    axp.set_xlabel(f"pull of {label.split(' [')[0]}")
    axp.set_ylabel("toys")
    axp.legend(fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def plot_toy_dchi2(dchi2: np.ndarray, path: str | Path, *, title: str = "") -> Path:
    """Distribution of Δχ²_NMO = χ²_min(wrong ordering) − χ²_min(true) over an ensemble, with its median."""
    dchi2 = np.asarray(dchi2, dtype=float)
    fig, ax = plt.subplots(figsize=(6.0, 4.2))
    ax.hist(dchi2, bins=max(10, min(60, int(np.sqrt(max(len(dchi2), 1))) * 2)), color="C0", alpha=0.8)
    if len(dchi2):
        med = float(np.median(dchi2))
        ax.axvline(med, color="C3", lw=1.2, label=f"median {med:.2f}")
        ax.axvline(0.0, color="0.4", lw=0.8, ls=":")
        ax.legend(fontsize=8, frameon=False)
    ax.set_xlabel(
        r"$\Delta\chi^2_\mathrm{NMO} = \chi^2_\mathrm{min}(\mathrm{wrong}) - \chi^2_\mathrm{min}(\mathrm{true})$"
    )
    ax.set_ylabel("toys")
    if title:
        ax.set_title(title, fontsize=10)
    return _save(fig, path)
