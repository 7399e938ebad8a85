"""Isotope-spectra files (``spectra/huber_mueller.toml``): the reference antineutrino spectra per
isotope, energies per fission, the non-equilibrium and spent-fuel corrections and the reference
spectrum's shape uncertainty."""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ..files import read_regular
from . import rules
from .inputs import data_file, load_csv, resolve_input
from .objects import ISOTOPES, IsotopeSpectra
from .reading import Table, read_toml


def _csv_header(path, t: Table, key: str) -> list[str]:
    try:
        text = read_regular(path, rules.MAX_TABLE_BYTES).decode("utf-8-sig", errors="replace")
    except ValueError as exc:
        t.fail(key, f"{path}: {exc}")
    header = next((ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")), None)
    if header is None:
        t.fail(key, f"{path} holds no table")
    return [h.strip() for h in header.split(",")]


def read_spectra(name: str, form: str, cfile: str, key: str) -> IsotopeSpectra:
    path = resolve_input("spectra", name, cfile, key, "isotope-spectra model")
    data, _ = read_toml(path)
    t = Table(data, str(path), "", None, "spectra")
    if "cores" in data:
        raise ConfigError(cfile, key, f"{path} is a reactor-site file, not an isotope-spectra model")
    t.name("name", name)
    t.text("description")
    folder = path.parent
    ep = t.table("exp_poly")
    ep.text("source")
    fit_max = ep.number("fit_max")
    exp_poly = {}
    for iso in ISOTOPES:
        coeffs = ep.get(iso, list)
        if not 1 <= len(coeffs) <= 10:
            ep.fail(iso, "must be an array of 1-10 numbers (coefficients of exp(Σ α_k E^(k-1)))")
        exp_poly[iso] = tuple(ep.numbers(iso, lo=-1e3, hi=1e3))
    ep.finish()
    tab = t.table("table")
    tab.text("source")
    table_energy, table_density = {}, {}
    for iso in ISOTOPES:
        cols = load_csv(data_file(folder, tab.string(iso), tab, iso), ["E_MeV", "N_density"], tab, iso)
        if np.any(np.diff(cols["E_MeV"]) <= 0) or np.any(cols["N_density"] <= 0):
            tab.fail(iso, "needs strictly increasing energies and positive spectrum values")
        table_energy[iso], table_density[iso] = cols["E_MeV"], cols["N_density"]
    tab.finish()
    et = t.table("energy_per_fission")
    et.text("source")
    epf = tuple(et.number(iso) for iso in ISOTOPES)
    et.finish()
    nt = t.table("nonequilibrium")
    nt.text("source")
    neq_unc = nt.number("scale_uncertainty")
    neq_e, neq_c = {}, {}
    for iso in ISOTOPES:
        if nt.has(iso):
            cols = load_csv(data_file(folder, nt.string(iso), nt, iso), ["E_MeV", "C"], nt, iso)
            if np.any(np.diff(cols["E_MeV"]) <= 0):
                nt.fail(iso, "needs strictly increasing energies")
            neq_e[iso], neq_c[iso] = cols["E_MeV"], cols["C"]
    nt.finish()
    st = t.table("snf")
    st.text("source")
    snf_unc = st.number("scale_uncertainty")
    scol = st.string("column")
    spath = data_file(folder, st.string("table"), st, "table")
    if scol == "mean":
        names = [h for h in _csv_header(spath, st, "table") if h != "E_MeV"]
        cols = load_csv(spath, ["E_MeV", *names], st, "table")
        snf_c = np.mean([cols[n] for n in names], axis=0)
    else:
        cols = load_csv(spath, ["E_MeV", scol], st, "column")
        snf_c = cols[scol]
    snf_e = cols["E_MeV"]
    if np.any(np.diff(snf_e) <= 0):
        st.fail("table", f"{spath}: energies must be strictly increasing")
    st.finish()
    shape_e = shape_s = None
    if t.has("reference_shape"):
        rt = t.table("reference_shape")
        rt.text("source")
        ecol = rt.string("energy_column")
        vcol = rt.string("value_column")
        factor = {"percent": 0.01, "fraction": 1.0}[rt.choice("unit")]
        cols = load_csv(data_file(folder, rt.string("table"), rt, "table"), [ecol, vcol], rt, "table")
        order = np.argsort(cols[ecol], kind="stable")
        shape_e, inv = np.unique(cols[ecol][order], return_inverse=True)  # digitised: sort, average repeats
        shape_s = factor * np.bincount(inv, weights=cols[vcol][order]) / np.bincount(inv)
        if np.any(shape_s < 0):
            rt.fail("table", "uncertainties must be non-negative")
        rt.finish()
    t.finish()
    return IsotopeSpectra(
        name=name,
        form=form,
        exp_poly=exp_poly,
        exp_poly_fit_max=fit_max,
        table_energy=table_energy,
        table_density=table_density,
        energy_per_fission=epf,  # type: ignore[arg-type]
        nonequilibrium_energy=neq_e,
        nonequilibrium_correction=neq_c,
        snf_energy=snf_e,
        snf_correction=snf_c,
        nonequilibrium_uncertainty=neq_unc,
        snf_uncertainty=snf_unc,
        shape_energy=shape_e,
        shape_sigma=shape_s,
    )
