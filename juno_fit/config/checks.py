"""Checks across keys: what no single key's range can say.

- Oscillation: |Δm²31| and Δm²21 (true values and constraint means) at most ``[numerics] dm2_max``,
  the fastest oscillation the E_ν grid resolves.
- Size: the fine deposited-energy bins and the E_ν nodes a config implies, computed in closed form
  from ``[numerics]`` and the longest baseline, before any grid is built, against the budgets of
  :mod:`~juno_fit.config.rules`.
"""

from __future__ import annotations

import math

from ..constants import IBD_THRESHOLD, OSC_PHASE
from ..errors import ConfigError
from . import rules
from .objects import Detector, Fit, Numerics, Oscillation


def fine_bin_count(num: Numerics) -> float:
    """Number of fine deposited-energy bins of :func:`juno_fit.physics.grid.edep_bin_edges` (to one
    bin): onset bins, then width ``edep_bin`` growing ∝ E above ``edep_scale_energy`` up to
    ``edep_bin_max``; the deposited energy reaches at most ``enu_max``."""
    n_onset = num.edep_onset / num.edep_onset_bin
    a, b = num.edep_onset, num.enu_max
    w, s = num.edep_bin, num.edep_scale_energy
    widest = max(num.edep_bin_max, w)
    if s <= 0 or widest <= w:
        return n_onset + max(b - a, 0.0) / w + 1
    e2 = s * widest / w  # where the growing width reaches the cap

    def span(lo: float, hi: float) -> tuple[float, float]:
        return max(a, lo), min(b, hi)

    count = 0.0
    lo, hi = span(0.0, s)
    count += max(hi - lo, 0.0) / w
    lo, hi = span(s, e2)
    count += (s / w) * math.log(hi / lo) if hi > lo else 0.0
    lo, hi = span(e2, math.inf)
    count += max(hi - lo, 0.0) / widest
    return n_onset + count + 1


def enu_node_count(num: Numerics, baseline_m: float) -> float:
    """Number of E_ν nodes of :func:`juno_fit.physics.grid.make_enu_grid` for one baseline (to one
    panel): panel width min(panel_max, panel_phase E² / k) with k = 2 OSC_PHASE dm2_max L."""
    a, b = IBD_THRESHOLD, num.enu_max
    rate = 2.0 * OSC_PHASE * num.dm2_max * baseline_m
    if rate == 0.0:
        return num.panel_nodes * ((b - a) / num.panel_max + 1)
    cross = math.sqrt(num.panel_max * rate / num.panel_phase)  # below it the phase limits the width
    panels = 0.0
    lo, hi = a, min(b, cross)
    if hi > lo:
        panels += rate / num.panel_phase * (1.0 / lo - 1.0 / hi)
    lo = max(a, cross)
    if b > lo:
        panels += (b - lo) / num.panel_max
    return num.panel_nodes * (panels + 1)


def response_entry_bound(det: Detector, num: Numerics, fine_bins: float) -> float:
    """Upper bound of the response band's entries: every fine bin reaches the reconstructed bins
    within ±5σ of it (physics/response.py clamps there), σ taken at the highest energy, counted in
    the narrowest reconstructed bin."""
    top = max(num.enu_max, float(det.bin_edges[-1]))
    a, b, c = det.resolution.a, det.resolution.b, det.resolution.c
    sigma = math.sqrt(a * a * top + b * b * top * top + c * c)
    narrowest = float(min(det.bin_edges[1:] - det.bin_edges[:-1]))
    per_bin = min(len(det.bin_edges) - 1, 10.0 * sigma / narrowest + 2.0)
    return fine_bins * per_bin


def check_oscillation(osc: Oscillation, fit: Fit, num: Numerics, cfile: str) -> None:
    dm2_max = num.dm2_max
    why = f"at most [numerics] dm2_max = {dm2_max:g} eV², the fastest oscillation the E_ν grid resolves"
    if abs(osc.dm2_31) > dm2_max:
        raise ConfigError(cfile, "oscillation.dm2_31", f"|dm2_31| = {abs(osc.dm2_31):g} must be {why}")
    if osc.dm2_21 > dm2_max:
        raise ConfigError(cfile, "oscillation.dm2_21", f"dm2_21 = {osc.dm2_21:g} must be {why}")
    for name, value in osc.extra:
        if name.startswith("dm2_") and name != "dm2_41" and abs(value) > dm2_max:  # Δm²41: averaged beyond
            raise ConfigError(cfile, f"oscillation.{name}", f"{name} = {value:g} must be {why}")
    for name, (mean, _sigma) in fit.constraints.items():
        if name.startswith("dm2_") and abs(mean) > dm2_max:
            raise ConfigError(cfile, f"fit.constraints.{name}", f"the mean {mean:g} must be {why}")


def check_sizes(detectors: tuple[Detector, ...], num: Numerics, cfile: str) -> None:
    fine = fine_bin_count(num)
    if fine > rules.MAX_FINE_BINS:
        raise ConfigError(
            cfile,
            "numerics",
            f"edep_bin = {num.edep_bin:g}, edep_onset_bin = {num.edep_onset_bin:g}, edep_bin_max = "
            f"{num.edep_bin_max:g}, edep_scale_energy = {num.edep_scale_energy:g} and enu_max = {num.enu_max:g} "
            f"make {fine:,.0f} fine deposited-energy bins (at most {rules.MAX_FINE_BINS:,}); widen the bins",
        )
    for det in detectors:
        entries = response_entry_bound(det, num, fine)
        if entries > rules.MAX_MATRIX_ENTRIES:
            raise ConfigError(
                cfile,
                f"detectors.{det.name}",
                f"the resolution (a, b, c) = ({det.resolution.a:g}, {det.resolution.b:g}, {det.resolution.c:g}), "
                f"{len(det.bin_edges) - 1} reconstructed bins and {fine:,.0f} fine bins make a response matrix of up "
                f"to {entries:,.0f} entries (at most {rules.MAX_MATRIX_ENTRIES:,}); use fewer or wider bins",
            )
        longest = max(core.baseline_m for core in det.site.cores)
        nodes = enu_node_count(num, longest)
        if nodes > rules.MAX_ENU_NODES:
            raise ConfigError(
                cfile,
                "numerics",
                f"dm2_max = {num.dm2_max:g}, panel_phase = {num.panel_phase:g}, panel_max = {num.panel_max:g} "
                f"and panel_nodes = {num.panel_nodes} with detector {det.name}'s longest baseline "
                f"{longest / 1e3:g} km make {nodes:,.0f} E_ν nodes (at most {rules.MAX_ENU_NODES:,}); "
                "lower dm2_max or raise panel_phase",
            )
