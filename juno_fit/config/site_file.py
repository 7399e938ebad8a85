"""Reactor-site files (``spectra/*_site.toml``): cores with power, baseline and fission fractions,
and the uncertainties of the reactor model. Ranges come from :mod:`~juno_fit.config.rules`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from . import rules
from .objects import ISOTOPES, Core, Site
from .reading import Table, merge, read_toml


def fractions(t: Table, key: str) -> tuple[float, float, float, float]:
    """The four isotopes' fission fractions of table ``key``, summing to 1 within 0.01."""
    ft = t.table(key)
    values = tuple(ft.number(iso) for iso in ISOTOPES)
    ft.finish()
    total = sum(values)
    if abs(total - 1.0) > 0.01:
        t.fail(key, f"fission fractions must sum to 1 (within 0.01), got {total:.4f}")
    return values  # type: ignore[return-value]


def correlation(t: Table, key: str, n: int) -> np.ndarray:
    """An n×n correlation matrix: symmetric, unit diagonal, entries in [-1, 1], positive definite."""
    raw = t.get(key, list)
    if len(raw) != n or not all(isinstance(row, list) and len(row) == n for row in raw):
        t.fail(key, f"must be a {n}×{n} array of numbers")
    try:
        m = np.array(raw, dtype=float)
    except (TypeError, ValueError):
        t.fail(key, f"must be a {n}×{n} array of numbers")
    if not np.all(np.isfinite(m)):
        t.fail(key, "entries must be finite")
    if not np.allclose(m, m.T) or not np.allclose(np.diag(m), 1.0) or np.any(np.abs(m) > 1):
        t.fail(key, "must be symmetric with unit diagonal and entries in [-1, 1]")
    if np.min(np.linalg.eigvalsh(m)) <= 0:
        t.fail(key, "must be positive definite")
    return m


def _baseline_km(c: Table, detector: str) -> float:
    """A core's baseline to ``detector``: one number, or a table by detector name (each checked)."""
    r = rules.RULES["site.cores.*.baseline_km"]
    if not (c.has("baseline_km") and isinstance(c.data["baseline_km"], dict)):
        return c.number("baseline_km")
    bt = c.table("baseline_km")
    bt.names()
    if detector not in bt.data:
        given = ", ".join(list(bt.data)[:10]) or "none"
        bt.fail("", f"has no baseline for detector {detector!r} (given: {given})")
    values = {det: bt.number(det, lo=r.lo, hi=r.hi) for det in bt.data}
    bt.finish()
    return values[detector]


def read_site(path: Path, detector: str, overrides: dict[str, Any], cfile: str, ckey: str) -> Site:
    """The site of ``path`` as seen by ``detector``, with the config's overrides merged in."""
    data, _text = read_toml(path)
    origins: dict[str, tuple[str, str]] = {}
    if overrides:
        data = merge(data, overrides, cfile, ckey, "", origins)
    t = Table(data, str(path), "", origins, "site")
    name = t.name("name")
    t.text("description")
    t.text("source")
    default_ff = fractions(t, "fission_fractions") if t.has("fission_fractions") else None
    cores_t = t.table("cores")
    if not cores_t.data:
        cores_t.fail("", "must list at least one core (empty core list)")
    cores = []
    for cname in cores_t.names():
        c = cores_t.table(cname)
        label = c.text("label", cname)
        c.text("source")
        power = c.number("power_gw")
        baseline_km = _baseline_km(c, detector)
        if c.has("fission_fractions"):
            ff = fractions(c, "fission_fractions")
        elif default_ff is not None:
            ff = default_ff
        else:
            c.fail("fission_fractions", "missing (set it here or as the site's default fission_fractions)")
        snf = c.get("snf", bool)
        c.finish()
        cores.append(Core(cname, label, power, baseline_km * 1e3, ff, snf))
    if not any(core.power_gw > 0 for core in cores):
        cores_t.fail(
            "",
            f"every core has power_gw = 0, so detector {detector!r} sees no reactor signal "
            "(at least one core must have power_gw > 0)",
        )
    power_unc, ff_sigma, ff_corr = 0.0, (0.0, 0.0, 0.0, 0.0), np.eye(4)
    if t.has("uncertainties"):
        ut = t.table("uncertainties")
        ut.text("source")
        power_unc = ut.number("core_power")
        if ut.has("fission_fractions"):
            ft = ut.table("fission_fractions")
            ff_sigma = tuple(ft.number(iso, 0.0) for iso in ISOTOPES)
            ft.finish()
        if ut.has("fission_fraction_correlation"):
            ff_corr = correlation(ut, "fission_fraction_correlation", len(ISOTOPES))
        ut.finish()
    t.finish()
    return Site(
        name=name,
        file=str(path),
        cores=tuple(cores),
        core_power_uncertainty=power_unc,
        fission_fraction_sigma=ff_sigma,  # type: ignore[arg-type]
        fission_fraction_correlation=ff_corr,
    )
