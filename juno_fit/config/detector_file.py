"""Detector files (``detector/*.toml``): target, efficiency, energy response, binning and
backgrounds. Ranges come from :mod:`~juno_fit.config.rules`; tables named here are read with the
checks of :func:`~juno_fit.config.reading.read_csv_columns` (regular file, bounded size, finite)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from . import rules
from .inputs import data_file, load_csv, resolve_input
from .objects import Background, Detector, Nonlinearity, Resolution
from .reading import Table, describe, is_real, merge, read_toml
from .site_file import read_site

MAX_EDGE_MEV = 100.0  # reconstructed energies of reactor antineutrino events lie far below 100 MeV


def _segment_edges(t: Table) -> np.ndarray:
    """Edges from ``segments = [[lo, hi, width], ...]``, counted before anything is allocated."""
    segs = t.get("segments", list)
    checked: list[tuple[float, float, float, int]] = []
    total = 0
    for i, seg in enumerate(segs):
        if not (isinstance(seg, list) and len(seg) == 3 and all(is_real(x) for x in seg)):
            t.fail(f"segments[{i}]", "must be [lo, hi, width] in MeV")
        lo, hi, width = (float(x) for x in seg)
        if not all(math.isfinite(x) for x in (lo, hi, width)):
            t.fail(f"segments[{i}]", f"entries must be finite, got {seg}")
        if not (0.0 <= lo < hi <= MAX_EDGE_MEV and width > 0):
            t.fail(f"segments[{i}]", f"needs 0 ≤ lo < hi ≤ {MAX_EDGE_MEV:g} MeV and width > 0, got {seg}")
        n = round((hi - lo) / width)
        total += n
        if total > rules.MAX_RECO_BINS:
            t.fail(f"segments[{i}]", f"makes more than {rules.MAX_RECO_BINS:,} bins in all (width {width:g} MeV)")
        if n < 1 or abs(n * width - (hi - lo)) > 1e-9 * max(1.0, hi):
            t.fail(f"segments[{i}]", f"width {width:g} does not divide [{lo:g}, {hi:g}]")
        if checked and abs(checked[-1][1] - lo) > 1e-12:
            t.fail(f"segments[{i}]", f"starts at {lo:g} but the previous segment ends at {checked[-1][1]:g}")
        checked.append((lo, hi, width, n))
    parts: list[float] = []
    for lo, hi, width, n in checked:
        seg_edges = lo + width * np.arange(n + 1)
        seg_edges[-1] = hi
        parts.extend(seg_edges[1:] if parts else seg_edges)
    return np.array(parts)


def bin_edges(t: Table) -> np.ndarray:
    """Reconstructed-energy bin edges: explicit ``edges`` or ``segments``, one of the two."""
    if t.has("edges") and t.has("segments"):
        # an override giving one form replaces the other form of the detector file
        from_override = [k for k in ("edges", "segments") if t.origin(k) is not None]
        if len(from_override) == 1:
            other = "segments" if from_override[0] == "edges" else "edges"
            t.data = {k: v for k, v in t.data.items() if k != other}
    if t.has("edges") == t.has("segments"):
        t.fail("", "give exactly one of 'edges' (explicit list) or 'segments' ([[lo, hi, width], ...])")
    if t.has("edges"):
        raw = t.get("edges", list)
        if len(raw) > rules.MAX_RECO_BINS + 1:
            t.fail("edges", f"has {len(raw)} edges (at most {rules.MAX_RECO_BINS + 1})")
        edges = np.array(t.numbers("edges", lo=0.0, hi=MAX_EDGE_MEV))
    else:
        edges = _segment_edges(t)
    key = "edges" if t.has("edges") else "segments"
    if len(edges) < 2:
        t.fail(key, "needs at least two bin edges")
    if np.any(np.diff(edges) <= 0):
        i = int(np.argmax(np.diff(edges) <= 0))
        t.fail(key, f"bin edges must be strictly increasing (edge {i + 1} = {edges[i + 1]:g} follows {edges[i]:g})")
    t.finish()
    return edges


def _column_names(t: Table, key: str, count: int | None = None) -> list[str]:
    value = t.get(key, list)
    if not all(isinstance(c, str) for c in value) or (count is not None and len(value) != count):
        want = f"{count} column names" if count else "an array of column names"
        t.fail(key, f"must be {want}, got {describe(value)}")
    for c in value:
        problem = rules.text_problem(c)
        if problem:
            t.fail(key, problem)
    return value


def nonlinearity(t: Table, folder: Path) -> Nonlinearity:
    model = t.choice("model")
    source = t.text("source")
    if model == "none":
        t.finish()
        empty = np.zeros(0)
        return Nonlinearity("none", empty, empty, np.zeros((0, 0)), source)
    path = data_file(folder, t.string("table"), t, "table")
    nominal_col = t.string("nominal")
    pull_cols = _column_names(t, "pulls") if t.has("pulls") else []
    t.used.add("pulls")
    cols = load_csv(path, ["E_MeV", nominal_col, *pull_cols], t, "table")
    energy = cols["E_MeV"]
    if np.any(np.diff(energy) <= 0) or energy[0] < 0:
        t.fail("table", f"{path}: energies must be non-negative and strictly increasing")
    nominal = cols[nominal_col]
    if np.any(nominal <= 0):
        t.fail("table", f"{path}: the nonlinearity must be positive")
    pulls = np.array([cols[c] for c in pull_cols]) if pull_cols else np.zeros((0, len(energy)))
    t.finish()
    return Nonlinearity("curves", energy, nominal, pulls, source)


def _table_shape(t: Table, folder: Path) -> dict[str, Any]:
    path = data_file(folder, t.string("table"), t, "table")
    xcol = t.string("energy_column")
    ycol = t.string("value_column")
    cols = load_csv(path, [xcol, ycol], t, "table")
    x, y = cols[xcol], cols[ycol]
    if np.any(y < 0) or np.any(x < 0) or np.any(x > MAX_EDGE_MEV):
        t.fail("table", f"{path}: energies must be in [0, {MAX_EDGE_MEV:g}] MeV and rates non-negative")
    if not np.any(y > 0):
        t.fail("table", f"{path}: the shape is zero everywhere")
    # Digitised tables can hold unsorted and repeated abscissae: sort and average the repeats.
    order = np.argsort(x, kind="stable")
    ux, inv = np.unique(x[order], return_inverse=True)
    if len(ux) < 2:
        t.fail("table", f"{path}: needs at least two distinct energies")
    return {"energy": ux, "density": np.bincount(inv, weights=y[order]) / np.bincount(inv)}


def _histogram_shape(t: Table, folder: Path) -> dict[str, Any]:
    path = data_file(folder, t.string("table"), t, "table")
    vcol = t.string("value_column")
    values = t.choice("values")
    scale = t.number("value_scale")
    if t.has("edge_columns") == t.has("center_width_columns"):
        t.fail("", "give exactly one of edge_columns = [lo, hi] or center_width_columns = [center, width]")
    key = "edge_columns" if t.has("edge_columns") else "center_width_columns"
    t.used.update(("edge_columns", "center_width_columns"))
    pair = _column_names(t, key, 2)
    cols = load_csv(path, [*pair, vcol], t, "table")
    if key == "edge_columns":
        lo, hi = cols[pair[0]], cols[pair[1]]
    else:
        lo = cols[pair[0]] - 0.5 * cols[pair[1]]
        hi = cols[pair[0]] + 0.5 * cols[pair[1]]
    if np.any(hi <= lo) or np.any(lo[1:] < hi[:-1] - 1e-9) or lo[0] < 0 or hi[-1] > MAX_EDGE_MEV:
        t.fail("table", f"{path}: histogram bins must be increasing, non-overlapping and in [0, {MAX_EDGE_MEV:g}] MeV")
    val = cols[vcol] * scale
    if np.any(val < 0) or not np.all(np.isfinite(val)) or not np.any(val > 0):
        t.fail("table", f"{path}: histogram values must be finite, non-negative and not all zero")
    return {"hist_lo": lo, "hist_hi": hi, "hist_density": val / (hi - lo) if values == "per_bin" else val}


def background(name: str, t: Table, folder: Path) -> Background:
    rate = t.number("rate_per_day")
    rate_unc = t.number("rate_uncertainty")
    shape_unc = t.number("shape_uncertainty")
    source = t.text("source")
    shape = t.choice("shape")
    extra: dict[str, Any] = {}
    if shape == "table":
        extra = _table_shape(t, folder)
    elif shape == "histogram":
        extra = _histogram_shape(t, folder)
    elif shape == "flat":
        rng = t.numbers("range", length=2, lo=0.0, hi=MAX_EDGE_MEV, what="[lo, hi] in MeV")
        if not rng[0] < rng[1]:
            t.fail("range", f"must be [lo, hi] in MeV with lo < hi, got {rng}")
        extra["flat_range"] = (rng[0], rng[1])
    t.finish()
    return Background(name, rate, rate_unc, shape_unc, shape, source=source, **extra)


def read_detector(dname: str, dt: Table, cfile: str) -> Detector:
    """Detector ``dname`` of a config: its detector file with overrides, and its site."""
    dpath = resolve_input("detector", dt.string("detector"), cfile, f"{dt.prefix}detector", "detector")
    spath = resolve_input("spectra", dt.string("site"), cfile, f"{dt.prefix}site", "site")
    override = dt.get("override", dict, {})
    site_override = dt.get("site_override", dict, {})
    dt.finish()

    data, _text = read_toml(dpath)
    origins: dict[str, tuple[str, str]] = {}
    if override:
        data = merge(data, override, cfile, f"{dt.prefix}override", "", origins)
    t = Table(data, str(dpath), "", origins, "detector")
    t.name("name", dname)
    t.text("description")
    t.text("source")
    folder = dpath.parent
    target_protons = t.number("target_protons")
    efficiency = t.number("efficiency")
    duty_cycle = t.number("duty_cycle")
    energy_scale = t.number("energy_scale")
    rt = t.table("resolution")
    res = Resolution(rt.number("a"), rt.number("b"), rt.number("c"))
    rt.text("source")
    rt.finish()
    if res.a == res.b == res.c == 0.0:
        rt.fail("", "a, b and c cannot all be zero (the response needs a finite resolution)")
    unc = {"efficiency": 0.0, "energy_scale": 0.0, "resolution_a": 0.0, "resolution_b": 0.0, "resolution_c": 0.0}
    if t.has("uncertainties"):
        ut = t.table("uncertainties")
        ut.text("source")
        for k in unc:
            unc[k] = ut.number(k)
        ut.finish()
    nl = nonlinearity(t.table("nonlinearity"), folder)
    edges = bin_edges(t.table("binning"))
    response_t = t.table("response", {})
    response_model = response_t.choice("model")
    response_step = response_t.number("step")
    if response_model == "matrix":
        k = np.round(edges / response_step)
        if np.any(np.abs(k * response_step - edges) > 1e-9):
            response_t.fail(
                "step", f"must divide every bin edge (the matrix response rebins onto them), got {response_step:g}"
            )
    response_t.finish()
    bkgs = []
    if t.has("backgrounds"):
        bt = t.table("backgrounds")
        for bname in bt.names():
            bkgs.append(background(bname, bt.table(bname), folder))
        bt.finish()
    t.finish()
    site = read_site(spath, dname, site_override, cfile, f"{dt.prefix}site_override")
    return Detector(
        name=dname,
        file=str(dpath),
        target_protons=target_protons,
        efficiency=efficiency,
        duty_cycle=duty_cycle,
        energy_scale=energy_scale,
        resolution=res,
        nonlinearity=nl,
        bin_edges=edges,
        backgrounds=tuple(bkgs),
        site=site,
        efficiency_uncertainty=unc["efficiency"],
        energy_scale_uncertainty=unc["energy_scale"],
        resolution_uncertainty=(unc["resolution_a"], unc["resolution_b"], unc["resolution_c"]),
        response_model=response_model,
        response_step=response_step,
    )
