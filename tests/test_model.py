"""The experiment model (model.py): published rates, invariants, backends, stage caching."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from juno_fit.model import Model
from juno_fit.physics import oscillation

# arXiv:2204.13249 Table 2 (PHYSICS.md §1.2 [S]): selected IBD rate per day per core.
TABLE2 = {"TS1": 7.5, "TS2": 7.6, "YJ1": 4.8, "YJ2": 4.7, "YJ3": 4.8, "YJ4": 4.8, "YJ5": 4.9, "YJ6": 4.9, "DYB": 3.0}


@pytest.fixture(scope="module")
def nominal_rates(nominal_model):
    pred = nominal_model.predict(cores=True)[0]
    det = nominal_model.detectors[0]
    days = nominal_model.config.exposure_days * det.det.duty_cycle
    return pred, {k: v.sum() / days for k, v in pred.ibd_cores.items()}, pred.ibd.sum() / days


def test_total_ibd_rate(nominal_rates):
    # Must show: within 2 % of 47.0 /day (sum of Table 2). The published per-core values are rounded
    # to 0.1/day (±1 % each) and the flux normalisation (Daya Bay measured/HM = 0.952 ± 0.028) is an
    # input choice; 2 % is the tolerance.
    _pred, _cores, total = nominal_rates
    assert total == pytest.approx(47.0, rel=0.02)


@pytest.mark.parametrize("core", list(TABLE2))
def test_rate_per_core(nominal_rates, core):
    # Must show: each core within 3 % of Table 2 (values rounded to 0.1/day: up to 2 % rounding for
    # the 3.0/day Daya Bay entry, plus the normalisation choice).
    _pred, cores, _total = nominal_rates
    assert cores[core] == pytest.approx(TABLE2[core], rel=0.03)


def test_daya_bay_share(nominal_rates):
    # Must show: the Daya Bay complex's share near 6.4 % (Table 2); ±0.3 percentage point from rounding.
    _pred, cores, total = nominal_rates
    assert 100 * cores["DYB"] / total == pytest.approx(6.4, abs=0.3)


def test_cores_add_up_to_total(nominal_rates):
    pred, _cores, _total = nominal_rates
    np.testing.assert_allclose(sum(pred.ibd_cores.values()), pred.ibd, rtol=1e-12, atol=1e-12)


def test_no_prediction_below_threshold(nominal_config):
    # Must show: no prediction below threshold. Extend the binning down to 0 MeV: the lowest prompt
    # energy is 1.022 MeV (E_vis ≈ 0.915 MeV with the LSNL); 8σ below it (σ ≈ 30 keV) nothing remains.
    det = nominal_config.detectors[0]
    edges = np.concatenate([np.arange(0.0, 0.8, 0.02), det.bin_edges])
    cfg = dataclasses.replace(nominal_config, detectors=(dataclasses.replace(det, bin_edges=edges),))
    pred = Model(cfg).predict()[0]
    centres = 0.5 * (edges[1:] + edges[:-1])
    assert np.all(pred.ibd[centres < 0.6] == 0.0)
    assert pred.ibd[(centres > 0.85) & (centres < 1.0)].sum() > 0


def test_numpy_backend_agrees(nominal_config, nominal_model):
    # Every stage through the NumPy twins: same counts to 1e-8 relative (the response kernel's
    # ±6σ window moves Φ(-6) = 1e-9 of each fine bin's content into the window's edge bins).
    theta = nominal_model.parameters.values()
    theta[nominal_model.parameters.index("det.lsnl.pull1")] = 0.7
    theta[nominal_model.parameters.index("flux.snf")] = 1.3
    twin = Model(nominal_config, backend="numpy")
    np.testing.assert_allclose(twin.expected(theta)[0], nominal_model.expected(theta)[0], rtol=1e-8)


def test_exposure_and_duty_cycle(nominal_config, nominal_model):
    # Reactor signal ∝ days × duty cycle; backgrounds ∝ days only.
    short = Model(dataclasses.replace(nominal_config, exposure_days=100.0)).predict()[0]
    full = nominal_model.predict()[0]
    ratio = 100.0 / nominal_config.exposure_days
    np.testing.assert_allclose(short.ibd, full.ibd * ratio, rtol=1e-12)
    np.testing.assert_allclose(short.background, full.background * ratio, rtol=1e-12)
    det = nominal_config.detectors[0]
    no_duty = dataclasses.replace(det, duty_cycle=1.0)
    pred = Model(dataclasses.replace(nominal_config, detectors=(no_duty,))).predict()[0]
    np.testing.assert_allclose(pred.ibd, full.ibd / det.duty_cycle, rtol=1e-12)
    np.testing.assert_allclose(pred.background, full.background, rtol=1e-12)


def test_backgrounds_have_configured_rates(nominal_config, nominal_model):
    pred = nominal_model.predict()[0]
    for bkg in nominal_config.detectors[0].backgrounds:
        assert pred.backgrounds[bkg.name].sum() / nominal_config.exposure_days == pytest.approx(
            bkg.rate_per_day, rel=1e-12
        )


def test_oscillation_reduces_rate_by_the_mean_survival_probability(nominal_model):
    # ⟨P_ee⟩ at ~52.5 km is about 0.3 (solar-driven deficit near the first Δm²21 maximum). Check the
    # model's suppression against P_ee averaged over the unoscillated event spectrum of one core.
    det = nominal_model.detectors[0]
    theta = nominal_model.parameters.values()
    osc_rate = det.fine_spectrum(theta).sum()
    unosc = det.fine_spectrum(theta, oscillate=False).sum()
    assert 0.25 < osc_rate / unosc < 0.40


def test_matter_effect_changes_spectrum(nominal_config, nominal_model):
    vac = Model(
        dataclasses.replace(
            nominal_config, oscillation=dataclasses.replace(nominal_config.oscillation, matter="vacuum")
        )
    )
    a, b = nominal_model.expected(nominal_model.parameters.values())[0], vac.expected(vac.parameters.values())[0]
    rel = np.abs(a / b - 1.0)
    assert 1e-3 < rel.max() < 0.03  # percent-level shape change, as the P_ee difference


def test_stage_caching_skips_unchanged_stages(nominal_config, monkeypatch):
    model = Model(nominal_config)
    theta = model.parameters.values()
    model.expected(theta)
    calls = {"osc": 0}
    real = oscillation.survival

    def counting(*args, **kw):
        calls["osc"] += 1
        return real(*args, **kw)

    monkeypatch.setattr(oscillation, "survival", counting)
    moved = theta.copy()
    moved[model.parameters.index("bkg.geo.rate")] = 1.1
    moved[model.parameters.index("det.escale")] = 1.002
    model.expected(moved)
    assert calls["osc"] == 0  # detector and background parameters do not recompute oscillations
    moved[model.parameters.index("dm2_31")] *= 1.001
    model.expected(moved)
    assert calls["osc"] == len(model.detectors[0].groups)


@pytest.mark.parametrize(
    ("change", "lo", "hi"),
    [
        # Strumia–Vissani is 0.3-0.6 % above Vogel–Beacom at reactor energies (test_ibd.py)
        ("sv", 1.001, 1.008),
        # tabulated vs fitted Huber–Mueller: same conversion, different interpolation and extrapolation
        ("table", 0.99, 1.01),
        # switching off both corrections lowers the rate by the non-equilibrium (~0.6 %) and SNF (~0.3 %)
        # low-energy contributions
        ("nocorr", 0.985, 0.9995),
    ],
)
def test_model_options(nominal_config, nominal_rates, change, lo, hi):
    cfg = nominal_config
    if change == "sv":
        cfg = dataclasses.replace(cfg, ibd=dataclasses.replace(cfg.ibd, cross_section="strumia_vissani"))
    elif change == "table":
        cfg = dataclasses.replace(
            cfg, flux=dataclasses.replace(cfg.flux, spectra=dataclasses.replace(cfg.flux.spectra, form="table"))
        )
    else:
        cfg = dataclasses.replace(cfg, flux=dataclasses.replace(cfg.flux, snf=False, nonequilibrium=False))
    pred, _cores, _total = nominal_rates
    model = Model(cfg)
    ratio = model.predict()[0].ibd.sum() / pred.ibd.sum()
    assert lo < ratio < hi
