"""Exclusion limits and discovery of a sterile neutrino (juno_fit/exclusion_limits.py, ``juno-fit exclusion``),
and logarithmic contour axes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_contract import run_cli, strict_json

import juno_fit as jf

MIXINGS = np.linspace(0.0, 0.08, 9)
FREE = ["sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31", "sin2_theta14"]


def _sterile(fast_config, s14):
    return jf.load_config(
        fast_config,
        oscillation={"model": "sterile_3p1", "dm2_41": 2e-3, "sin2_theta14": s14},
        fit={"parameters": FREE},
    )


def test_standard_truth_gives_limits_and_no_signal(fast_config):
    model = jf.build_model(_sterile(fast_config, 0.0))
    lik = jf.Likelihood(model, jf.asimov(model))
    result = jf.exclusion(lik, mass_range=(1e-4, 2.5e-3), mass_points=4, mixing_values=MIXINGS, progress=False)
    assert result.valid.all()
    # with sin²θ14 = 0 the mass does not enter: the null column is one χ², the minimum (Asimov: 0)
    assert np.ptp(result.chi2[:, 0]) < 1e-6
    assert result.dchi2_standard == pytest.approx(0.0, abs=1e-4)
    # limits exist and the 95 % one lies above the 90 % one wherever both are in range
    for lim90, lim95 in zip(result.raster["90"], result.raster["95"], strict=True):
        assert lim90 is not None
        assert lim95 is None or lim95 > lim90
    assert result.levels["95"] == pytest.approx((3.841, 5.991), abs=1e-3)


def test_sterile_truth_is_found(fast_config):
    # Asimov data with Δm²41 = 2e-3 eV², sin²θ14 = 0.04 (sin²2θ14 = 0.154) at 100 days: the standard model
    # is disfavoured beyond the 2-dof 95 % level, and the truth lies inside the 95 % region
    model = jf.build_model(_sterile(fast_config, 0.04))
    lik = jf.Likelihood(model, jf.asimov(model))
    masses = (5e-4, 1e-3, 2e-3, 2.8e-3)
    result = jf.exclusion(
        lik, mass_range=(masses[0], masses[-1]), mass_points=4, mixing_values=MIXINGS, progress=False, log_mass=True
    )
    assert result.dchi2_standard > result.levels["95"][1]
    row = int(np.argmin(np.abs(result.masses - 2e-3)))
    col = int(np.argmin(np.abs(result.mixings - 0.04)))
    if abs(result.masses[row] - 2e-3) < 1e-9:
        assert result.chi2[row, col] - result.fmin < result.levels["95"][1]
    assert result.best_point[0] > 0.0


def test_cli_equals_api_and_refusals(fast_config, tmp_path):
    config = _sterile(fast_config, 0.0)
    path = tmp_path / "sterile.toml"
    with open(fast_config, encoding="utf-8") as f:
        text = f.read()
    text = text.replace('matter = "knp"', 'matter = "knp"\nmodel = "sterile_3p1"\ndm2_41 = 2e-3')
    text = text.replace(
        'parameters = ["sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31"]',
        'parameters = ["sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31", "sin2_theta14"]',
    )
    path.write_text(text, encoding="utf-8")
    assert jf.load_config(path).oscillation.extra == config.oscillation.extra
    model = jf.build_model(jf.load_config(path))
    result = jf.exclusion(
        jf.Likelihood(model, jf.asimov(model)),
        mass_range=(1e-4, 2e-3),
        mass_points=3,
        mixing_values=np.linspace(0.0, 0.06, 5),
        progress=False,
    )
    argv = ["exclusion", path, "--mass-range", "1e-4", "2e-3", "--mass-points", "3", "--mixing-range", "0", "0.06"]
    code, out, _ = run_cli([*argv, "--mixing-points", "5", "--workers", "1", "--json"], limit=120)
    assert code == 0
    doc, api_doc = strict_json(out), json.loads(result.to_json())
    doc.pop("seconds")
    api_doc.pop("seconds")
    assert doc == api_doc
    code, _, err = run_cli(["exclusion", fast_config, "--json"])
    assert code == 2
    assert "unknown parameter 'sin2_theta14'" in err
    code, _, err = run_cli(["contour", fast_config, "--params", "sin2_theta12", "dm2_21", "--log-a"])
    assert code == 2
    assert "--log-a: needs a positive range" in err


def test_log_contour_grid(fast_config):
    argv = ["contour", fast_config, "--params", "sin2_theta12", "dm2_21", "--points", "5", "--workers", "1"]
    argv += ["--range-a", "0.28", "0.34", "--log-a", "--json"]
    code, out, _ = run_cli(argv, limit=120)
    assert code == 0
    nodes = np.array(strict_json(out)["results"][0]["grid"]["a"])
    np.testing.assert_allclose(nodes, np.geomspace(0.28, 0.34, 5), rtol=1e-12)


def test_raster_limit_is_exact_for_a_parabola():
    from juno_fit.exclusion_limits import raster_limit

    xs = np.array([0.0, 0.005, 0.01, 0.02, 0.04])  # nodes far coarser than the limit's scale
    chi = 100.0 + (xs / 0.004) ** 2
    assert raster_limit(xs, chi, 3.841) == pytest.approx(0.004 * np.sqrt(3.841), rel=1e-12)
    assert raster_limit(xs, 100.0 + 0.0 * xs, 3.841) is None
