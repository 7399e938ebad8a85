"""Figures drawn on matplotlib axes: spectra, profiles, contours, the mass-ordering sensitivity, pulls,
correlations and toy distributions.

Every ``draw_*`` function draws on the axes it is given, or on a new figure (``matplotlib.pyplot``,
so that a notebook shows it inline) when none is given, and returns the axes. It computes nothing of
the physics: it takes arrays and result dictionaries. :mod:`juno_fit.plots` writes the same figures to
PNG or PDF files; the result objects' ``plot(ax=None)`` methods call these functions.
"""

from __future__ import annotations

from typing import Any

import matplotlib
import matplotlib.ticker
import numpy as np

__all__ = [
    "draw_contours",
    "draw_correlation",
    "draw_exclusion",
    "draw_feldman_cousins",
    "draw_fit_spectrum",
    "draw_nmo",
    "draw_prediction",
    "draw_profile",
    "draw_pulls",
    "draw_toy_dchi2",
    "draw_toy_parameter",
]

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
    "sin2_theta14": (r"$\sin^2\theta_{14}$", 1.0),
    "dm2_41": (r"$\Delta m^2_{41}$ [eV$^2$]", 1.0),
    "sigma_rel": (r"$\sigma_\mathrm{rel} = \sigma_p/p$", 1.0),
    "eta_ee": (r"$\eta_{ee}$", 1.0),
}
SIGMA_STYLES = {"1": ("-", 1.0), "2": ("--", 0.8), "3": (":", 0.8)}
ENERGY_LABEL = r"$E_\mathrm{vis}$ (prompt, reconstructed) [MeV]"


def _axis(name: str) -> tuple[str, float]:
    return PARAM_AXES.get(name, (name, 1.0))


def new_axes(nrows: int = 1, ncols: int = 1, **kwargs: Any):
    """A new pyplot figure's axes (shown inline in a notebook)."""
    import matplotlib.pyplot as plt

    return plt.subplots(nrows, ncols, **kwargs)[1]


def _title(ax, title: str) -> None:
    if title:
        ax.set_title(title, fontsize=10)


def _background_layers(pred: Any) -> list[tuple[str, np.ndarray]]:
    """(label, counts) of each background, smallest total first (the order they are stacked in)."""
    order = sorted(pred.backgrounds, key=lambda n: pred.backgrounds[n].sum())
    return [(BACKGROUND_LABELS.get(n, n), pred.backgrounds[n]) for n in order]


def _stack(
    axis, edges: np.ndarray, layers: list[tuple[str, np.ndarray]], *, alpha: float, labelled: bool = True
) -> np.ndarray:
    """Fill ``layers`` (label, counts per bin) on top of each other, per MeV, in tab10 colours; returns
    the top of the stack."""
    width = np.diff(edges)
    colours = matplotlib.colormaps["tab10"](np.linspace(0, 1, 10))
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


def draw_prediction(pred: Any, axes=None, *, title: str = "", exposure_days: float | None = None):
    """Expected prompt spectrum of one detector (a :class:`~juno_fit.stages.DetectorPrediction`) with
    the backgrounds and the IBD signal stacked, in events per MeV of visible energy (the binning is not
    uniform), on a linear and a logarithmic panel.

    Parameters
    ----------
    pred : DetectorPrediction
        ``model.predict(theta)[k]``.
    axes : pair of Axes, optional
        The linear and the logarithmic panel (default: a new figure with both).
    title : str
        Figure title.
    exposure_days : float, optional
        Adds the event counts of this exposure to the title.

    Returns
    -------
    tuple of Axes
    """
    if axes is None:
        axes = new_axes(2, 1, figsize=(7.0, 7.0), sharex=True, height_ratios=[2, 1])
    ax, axl = axes
    edges = pred.edges
    width = np.diff(edges)
    layers = [*_background_layers(pred), ("reactor IBD", pred.ibd)]
    for axis in (ax, axl):
        top = _stack(axis, edges, layers, alpha=0.85, labelled=axis is ax)
        axis.stairs(top, edges, color="k", lw=0.8)
    axl.set_yscale("log")
    axl.set_ylim(bottom=1e-5 * float(np.max(pred.total / width)))  # five decades below the peak
    axl.set_xlabel(ENERGY_LABEL)
    ax.set_ylabel("events / MeV")
    axl.set_ylabel("events / MeV")
    ax.set_xlim(edges[0], edges[-1])
    subtitle = f"{pred.detector}"
    if exposure_days is not None:
        subtitle += f", {exposure_days:g} days: {pred.ibd.sum():.4g} IBD + {pred.background.sum():.4g} background"
    ax.set_title(f"{title}\n{subtitle}" if title else subtitle, fontsize=10)
    ax.legend(fontsize=8, frameon=False, ncol=2)
    return axes


def draw_fit_spectrum(
    pred: Any, data: np.ndarray, axes=None, *, title: str = "", unoscillated: np.ndarray | None = None
):
    """Data points with statistical errors, the best-fit backgrounds stacked under the best-fit IBD
    spectrum, and a residual panel (data − fit)/√fit, per MeV of visible energy.

    Parameters
    ----------
    pred : DetectorPrediction
        The prediction at the best fit.
    data : array
        Observed counts per bin.
    axes : pair of Axes, optional
        Spectrum and residual panel (default: a new figure).
    title : str
        Panel title (default: the detector's name).
    unoscillated : array, optional
        Counts per bin of the IBD signal without oscillation: drawn, on top of the backgrounds, as a
        dashed line.

    Returns
    -------
    tuple of Axes
    """
    if axes is None:
        axes = new_axes(2, 1, figsize=(7.0, 6.5), sharex=True, height_ratios=[3, 1])
    ax, axr = axes
    edges = pred.edges
    width = np.diff(edges)
    centres = 0.5 * (edges[1:] + edges[:-1])
    total = pred.total
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
    top = float(np.nanmax(np.maximum(total, data + np.sqrt(np.maximum(data, 0))) / width))
    ax.set_ylim(0.0, 1.45 * top)  # headroom: the legend sits above the spectrum, not on the data
    ax.legend(fontsize=8, frameon=False, ncol=2, loc="upper right")
    ax.set_title(title or pred.detector, fontsize=10)
    resid = (data - total) / np.sqrt(np.where(total > 0, total, 1.0))
    axr.axhline(0.0, color="C3", lw=1.0)
    axr.plot(centres, resid, "o", ms=2.0, color="k")
    axr.set_ylabel(r"(data $-$ fit)/$\sqrt{\mathrm{fit}}$")
    axr.set_xlabel(ENERGY_LABEL)
    lim = max(3.0, float(np.nanmax(np.abs(resid))) * 1.1)
    axr.set_ylim(-lim, lim)
    return axes


def draw_profile(name: str, x: np.ndarray, dchi2: np.ndarray, ax=None, *, intervals: dict | None = None, title=""):
    """Δχ² profile of one parameter with the 1, 2, 3σ levels (Δχ² = 1, 4, 9) and their crossings.

    Parameters
    ----------
    name : str
        Parameter name (sets the axis label and its display scale, e.g. 10⁻³ eV² for ``dm2_31``).
    x, dchi2 : array
        Scan points and their Δχ².
    ax : Axes, optional
    intervals : dict, optional
        ``{"1": (lo, hi), ...}``: vertical lines at the crossings.
    title : str

    Returns
    -------
    Axes
    """
    ax = new_axes(figsize=(6.0, 4.2)) if ax is None else ax
    label, scale = _axis(name)
    x = np.asarray(x, dtype=float)
    ax.plot(x * scale, dchi2, "-", color="C0", lw=1.5)
    ax.plot(x * scale, dchi2, "o", color="C0", ms=2.5)
    for key, level in (("1", 1.0), ("2", 4.0), ("3", 9.0)):
        ax.axhline(level, color="0.4", lw=0.8, ls=SIGMA_STYLES[key][0])
        ax.text(float(np.max(x)) * scale, level, f"{key}σ ", va="bottom", ha="right", fontsize=8, color="0.3")
        if intervals and intervals.get(key):
            for v in intervals[key]:
                if v is not None:
                    ax.axvline(v * scale, color="0.6", lw=0.6, ls=SIGMA_STYLES[key][0])
    ax.set_xlabel(label)
    ax.set_ylabel(r"$\Delta\chi^2$")
    ax.set_ylim(0, max(10.0, float(np.nanmax(dchi2)) * 1.05))
    _title(ax, title)
    return ax


def draw_contours(
    names: tuple[str, str], sets: list[dict], ax=None, *, title: str = "", references=None, log=(False, False)
):
    """2D confidence contours (Δχ² = 2.30, 6.18, 11.83) of one or several fits.

    Parameters
    ----------
    names : (str, str)
        The two parameters (x, y).
    sets : list of dict
        Each ``{"label", "lines": {"1": [array (n, 2), ...], "2": ..., "3": ...}, "best": (x, y)}``.
    ax : Axes, optional
    title : str
    references : list of dict, optional
        Published results drawn as points with 1σ error bars: ``{"label", "x": (value, error),
        "y": (value, error)}``.
    log : (bool, bool)
        Logarithmic x and y axes.

    Returns
    -------
    Axes
    """
    ax = new_axes(figsize=(6.0, 5.0)) if ax is None else ax
    (lx, sx), (ly, sy) = _axis(names[0]), _axis(names[1])
    for k, item in enumerate(sets):
        colour = f"C{k}"
        for key, lines in item["lines"].items():
            style, width = SIGMA_STYLES[key]
            for n, line in enumerate(lines):
                line = np.asarray(line, dtype=float)
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
    if log[0]:
        ax.set_xscale("log")
    if log[1]:
        ax.set_yscale("log")
    if not any(log):
        ax.ticklabel_format(useOffset=False)
    _title(ax, title)
    return ax


def draw_nmo(years: np.ndarray, sigma: np.ndarray, ax=None, *, sigma_vacuum: np.ndarray | None = None, title=""):
    """Median mass-ordering sensitivity √Δχ²_NMO versus exposure (years of data taking).

    Returns
    -------
    Axes
    """
    ax = new_axes(figsize=(6.0, 4.2)) if ax is None else ax
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
    _title(ax, title)
    return ax


def pulls_height(n: int) -> float:
    """Figure height (inches) that fits ``n`` pull labels."""
    return max(3.0, 0.16 * n + 1.0)


def draw_pulls(pulls: dict[str, float], ax=None, *, title: str = ""):
    """Nuisance pulls (fit − prior)/σ with the ±1σ band.

    Returns
    -------
    Axes
    """
    ax = new_axes(figsize=(6.0, pulls_height(len(pulls)))) if ax is None else ax
    names = list(pulls)
    values = np.array([pulls[n] for n in names], dtype=float)
    y = np.arange(len(names))
    ax.axvspan(-1, 1, color="0.9")
    ax.axvline(0, color="0.5", lw=0.8)
    ax.plot(values, y, "o", ms=3, color="C0")
    ax.set_yticks(y, names, fontsize=6)
    ax.invert_yaxis()
    ax.set_xlabel(r"pull $(\hat\theta - \theta_0)/\sigma$")
    if len(values):
        ax.set_xlim(min(-2.0, values.min() - 0.3), max(2.0, values.max() + 0.3))
    _title(ax, title)
    return ax


def correlation_size(n: int) -> float:
    """Figure height (inches) of an n × n correlation matrix."""
    return max(4.5, 0.14 * n + 2.0)


def draw_correlation(names: list[str], covariance: np.ndarray, ax=None, *, title: str = ""):
    """Correlation matrix of the free parameters, from their covariance.

    Returns
    -------
    Axes
    """
    n = len(names)
    if ax is None:
        ax = new_axes(figsize=(correlation_size(n) + 1.0, correlation_size(n)))
    sigma = np.sqrt(np.diag(covariance))
    corr = covariance / np.outer(sigma, sigma)
    image = ax.imshow(corr, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="correlation")
    labels = [_axis(nm)[0] if nm in PARAM_AXES else nm for nm in names]
    fontsize = 9 if n <= 12 else 5
    ax.set_xticks(range(n), labels, rotation=90, fontsize=fontsize)
    ax.set_yticks(range(n), labels, fontsize=fontsize)
    _title(ax, title)
    return ax


def draw_toy_parameter(name: str, values, errors, truth, axes=None, *, title: str = ""):
    """Two panels for one parameter of an ensemble: the fitted values with the true value, and the
    pulls (fit − truth)/error with a unit Gaussian scaled to the number of toys.

    Returns
    -------
    tuple of Axes
    """
    if axes is None:
        axes = new_axes(1, 2, figsize=(10.0, 4.0))
    ax, axp = axes
    label, scale = _axis(name)
    values, errors, truth = (np.asarray(x, dtype=float) for x in (values, errors, truth))
    ok = errors > 0.01 * np.median(errors) if len(errors) else errors > 0  # as juno_fit.ensemble.summarise
    pulls = (values[ok] - truth[ok]) / errors[ok]
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
        ax.figure.suptitle(title, fontsize=10)
    return axes


def draw_toy_dchi2(dchi2: np.ndarray, ax=None, *, title: str = ""):
    """Distribution of Δχ²_NMO = χ²_min(wrong ordering) − χ²_min(true) over an ensemble, with its median.

    Returns
    -------
    Axes
    """
    ax = new_axes(figsize=(6.0, 4.2)) if ax is None else ax
    dchi2 = np.asarray(dchi2, dtype=float)
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
    _title(ax, title)
    return ax


def draw_exclusion(result: Any, ax=None, *, title: str = ""):
    """An exclusion plot: per confidence level the raster-scan upper limits (solid) and the 2-dof region
    boundaries (dashed), in (sin²2θ, Δm²) on logarithmic axes; the excluded side is to the right.

    Parameters
    ----------
    result : ExclusionResult
    ax : Axes, optional
    title : str

    Returns
    -------
    Axes
    """
    ax = new_axes(figsize=(6.0, 5.0)) if ax is None else ax

    def s2t(s):
        s = np.asarray(s, dtype=float)
        return 4.0 * s * (1.0 - s)

    for k, key in enumerate(result.raster):
        limits = np.array([np.nan if v is None else v for v in result.raster[key]], dtype=float)
        ax.plot(s2t(limits), result.masses, "-", color=f"C{k}", lw=1.5, label=f"{key} % CL, raster (1 dof)")
        for n, line in enumerate(result.regions.get(key, [])):
            ax.plot(
                s2t(line[:, 0]), line[:, 1], "--", color=f"C{k}", lw=1.0, label=f"{key} % CL, 2 dof" if n == 0 else None
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())  # decade labels only
    ax.set_xlabel(r"$\sin^2 2\theta_{14}$" if result.mixing == "sin2_theta14" else result.mixing)
    ax.set_ylabel(r"$\Delta m^2_{41}$ [eV$^2$]" if result.mass == "dm2_41" else result.mass)
    ax.legend(fontsize=8, frameon=False)
    _title(ax, title)
    return ax


def draw_feldman_cousins(doc: dict, ax=None, *, title: str = ""):
    """A Feldman–Cousins construction (the ``--json`` document of ``juno-fit fc``). One parameter: Δχ² of
    the data and the critical values at 68.27, 90 and 95 % with their binomial bands, beside Wilks'
    constant levels. Two parameters: the map of the 90 % critical value with the FC regions (solid)
    and the Wilks regions (dashed) at 68.27, 90 and 95 %.

    Parameters
    ----------
    doc : dict
        :func:`juno_fit.neyman_intervals.analyse` of a construction.
    ax : Axes, optional
    title : str

    Returns
    -------
    Axes
    """
    levels = ("68.27", "90", "95")
    names = doc["params"]
    if len(names) == 1:
        ax = new_axes(figsize=(6.4, 4.4)) if ax is None else ax
        label, scale = _axis(names[0])
        x = np.asarray(doc["points"], dtype=float) * scale
        ax.plot(x, doc["dchi2_data"], "-o", color="k", ms=2.5, lw=1.4, label=r"$\Delta\chi^2$ of the data")
        for k, lvl in enumerate(levels):
            crit = np.asarray(doc["critical"][lvl], dtype=float)
            err = np.asarray(doc["critical_error"][lvl], dtype=float)
            ax.plot(x, crit, "-", color=f"C{k}", lw=1.2, label=f"FC critical value, {lvl} %")
            ax.fill_between(x, crit - err, crit + err, color=f"C{k}", alpha=0.25, lw=0)
            ax.axhline(doc["intervals"][lvl]["wilks_critical"], color=f"C{k}", lw=0.8, ls="--")
        top = max(float(np.nanmax(doc["critical"]["95"])) * 1.6, 6.0)
        ax.set_ylim(0, top)
        ax.set_xlabel(label)
        ax.set_ylabel(r"$\Delta\chi^2$")
        ax.legend(fontsize=8, loc="upper center", title="dashed: Wilks (1 dof)", title_fontsize=8)
    else:
        ax = new_axes(figsize=(6.4, 5.2)) if ax is None else ax
        (la, sa), (lb, sb) = _axis(names[0]), _axis(names[1])
        xs = np.asarray(doc["grid"][names[0]], dtype=float)
        ys = np.asarray(doc["grid"][names[1]], dtype=float)
        crit = np.asarray(doc["critical"]["90"], dtype=float).reshape(len(xs), len(ys))
        mesh = ax.pcolormesh(xs * sa, ys * sb, crit.T, shading="nearest", cmap="viridis")
        ax.figure.colorbar(mesh, ax=ax, label=r"90 % critical $\Delta\chi^2$ (Wilks: 4.61)")
        for k, lvl in enumerate(levels):
            for kind, style in (("fc_lines", "-"), ("wilks_lines", "--")):
                for n, line in enumerate(doc["regions"][lvl][kind]):
                    line = np.asarray(line, dtype=float)
                    lab = f"{'FC' if kind == 'fc_lines' else 'Wilks'} {lvl} %" if n == 0 else None
                    ax.plot(line[:, 0] * sa, line[:, 1] * sb, style, color=f"C{k + 1}", lw=1.3, label=lab)
        best = doc["best_fit"]
        ax.plot(best[names[0]] * sa, best[names[1]] * sb, "k+", ms=9)
        ax.set_xlabel(la)
        ax.set_ylabel(lb)
        ax.legend(fontsize=7, loc="upper right")
    _title(ax, title)
    return ax
