"""Detector response (physics/response.py): count conservation, mean and width of a line, LSNL."""

from __future__ import annotations

import numpy as np
import pytest

from juno_fit.physics import response as resp
from juno_fit.physics.banded import BandedMatrix

RES = (0.0261, 0.0082, 0.0123)  # JUNO set A (PHYSICS.md §1.4)
RECO = np.concatenate([[0.8], np.arange(0.94, 7.44 + 1e-9, 0.02), [7.8, 8.2, 12.0]])
FINE = np.arange(1.02, 12.2, 0.005)


def _matrix(v_edges, reco=RECO):
    row0, ptr, values = resp.response_matrix_kernel(v_edges, *RES, reco, 7.0)
    return BandedMatrix(row0, ptr, values, len(reco) - 1)


def _fold(h, v_edges, reco=RECO):
    return _matrix(v_edges, reco) @ h


def test_kernel_matches_twin():
    # banded matrix (window ±7σ) against the dense twin with the same clamped Φ: they differ by the
    # kernel's Φ table only, exact to 5.3e-12 (two edges per entry)
    v = FINE * (1.0 + 0.03 * np.tanh(FINE - 3))
    np.testing.assert_allclose(_matrix(v).dense(), resp.response_matrix_numpy(v, *RES, RECO, 7.0), rtol=0, atol=1.2e-11)
    rng = np.random.default_rng(1)
    h = rng.random(len(FINE) - 1)
    np.testing.assert_allclose(_fold(h, v), resp.response_matrix_numpy(v, *RES, RECO, 7.0) @ h, rtol=1e-10)


@pytest.mark.parametrize("energy", [1.5, 3.0, 5.0, 7.0])
def test_line_conserves_counts_with_right_mean_and_width(energy):
    # Must show: a fine-grid delta at E lands in reco bins with the right mean and width.
    # One fine bin of 5 keV at E holds 1000 events, far from the ends of the binned range: the sum is
    # 1000 less the clamped tails 2Φ(−7) = 2.6e-12 (tolerance 3e-12); the mean is E to 0.2 keV (bin-centre estimate
    # with 20 keV bins, symmetric around a line) and the width is σ(E) after removing the two
    # uniform-bin variances (20 keV and 5 keV widths / √12), to 1 %.
    k = np.searchsorted(FINE, energy) - 1
    h = np.zeros(len(FINE) - 1)
    h[k] = 1000.0
    out = _fold(h, FINE)
    assert out.sum() == pytest.approx(1000.0, rel=3e-12)
    fine = RECO[1:-4]
    centres = 0.5 * (fine[1:] + fine[:-1])
    counts = out[1 : len(centres) + 1]
    line = 0.5 * (FINE[k] + FINE[k + 1])
    mean = np.sum(counts * centres) / counts.sum()
    assert mean == pytest.approx(line, abs=2e-4)
    var = np.sum(counts * (centres - mean) ** 2) / counts.sum() - (0.02**2 + 0.005**2) / 12
    assert np.sqrt(var) == pytest.approx(resp.resolution_sigma(line, *RES), rel=0.01)


def test_events_outside_the_range_are_lost():
    # A fine bin at 12.19 MeV, above the last edge (12 MeV): only the Gaussian tail below 12 MeV
    # stays, Φ((12 - E)/σ) of it (uniform 5 keV bin: exact to O(w²/σ²) = 1e-3 of the fraction).
    from scipy.stats import norm

    h = np.zeros(len(FINE) - 1)
    h[-1] = 10.0
    centre = 0.5 * (FINE[-1] + FINE[-2])
    kept = norm.cdf((12.0 - centre) / resp.resolution_sigma(centre, *RES))
    assert _fold(h, FINE).sum() == pytest.approx(10.0 * kept, rel=1e-3)
    assert kept < 0.1


def test_normal_cdf_table():
    # the kernel's Φ: cubic Hermite table, error bound h⁴ max|Φ⁗|/384 ≈ 5e-12 for h = 1/128
    from scipy.special import ndtr

    x = np.linspace(-10.0, 10.0, 100_001)
    assert np.max(np.abs(resp.normal_cdf(x) - ndtr(x))) < 6e-12


def test_resolution_convention():
    # σ/E = sqrt(a²/E + b² + c²/E²) = 3.00 % at 1 MeV for set A (PHYSICS.md §1.4 [C]).
    assert resp.resolution_sigma(1.0, *RES) == pytest.approx(0.0300, abs=5e-5)


def test_visible_edges_apply_scale_and_pulls(nominal_config):
    nl = nominal_config.detectors[0].nonlinearity
    f0, dp = resp.nonlinearity_at(FINE, nl)
    v = resp.visible_edges(FINE, f0, dp, np.array([0.0, 1.0, 0.0, -0.5]), 1.01)
    expected = 1.01 * FINE * (f0 + dp[1] - 0.5 * dp[3])
    np.testing.assert_allclose(v, expected, rtol=1e-15)
    # the published positron curve: E_vis/E_dep = 0.8948 at 1.022 MeV, 1.0131 at 4.862 MeV
    # (JUNO 2025 release, Extended Data Fig. 2)
    f_pub, _ = resp.nonlinearity_at(np.array([1.022, 4.862]), nl)
    np.testing.assert_allclose(f_pub, [0.8948, 1.0131], rtol=1e-12)


def _lsnl_table(name):
    from pathlib import Path

    from juno_fit.config import read_csv_columns

    path = Path(__file__).resolve().parents[1] / "detector" / name
    cols = read_csv_columns(path, ["E_MeV", "nominal", "pull0", "pull1", "pull2", "pull3"])
    quad = np.sqrt(sum((cols[f"pull{k}"] - cols["nominal"]) ** 2 for k in range(4)))
    return cols["E_MeV"], quad, path


def test_pull_curves_span_the_published_band():
    # The four pull modes add in quadrature to the half-width of the published 2025 1σ band at every
    # table point (our construction, scripts/build_juno_lsnl_table.py); the CSV stores 6 decimals.
    import csv

    _energy, quad, path = _lsnl_table("juno_lsnl_positron.csv")
    with (path.parent / "juno2025" / "edfig2_positron_FullNL.csv").open() as fh:
        rows = [[float(x) for x in r] for r in list(csv.reader(fh))[1:]]
    band = np.array([0.5 * (r[3] - r[2]) for r in rows])
    np.testing.assert_allclose(quad, band, atol=2e-6)


def test_2021_band_has_the_study_pull_range():
    # juno.toml's table spans the range of the 2021 JUNO pull curves (PHYSICS.md §6.2): half-widths
    # 0.0045 at 1.022 MeV, 0.0015 at 3 MeV, 0.0007 at 4-5 MeV, 0.001 at 8-10 MeV (6-decimal CSV).
    energy, quad, _ = _lsnl_table("juno_lsnl_positron_2021band.csv")
    for e, width in [(1.022, 0.0045), (3.0, 0.0015), (4.0, 0.0007), (5.0, 0.0007), (8.0, 0.001), (10.0, 0.001)]:
        assert np.interp(e, energy, quad) == pytest.approx(width, abs=3e-6)
