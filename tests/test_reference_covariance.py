"""The measured reference spectrum's uncertainty (``[flux.reference_covariance]``): the reader of Daya
Bay's unfolded-spectrum file (arXiv:2501.00746), its eigenmodes, the model's nuisances and their
exact gradient."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from juno_fit.cli import main
from juno_fit.config import load_config
from juno_fit.config.reference_file import SPECTRA, parse_unfolded_spectra
from juno_fit.datasets import asimov
from juno_fit.likelihood import Likelihood
from juno_fit.model import Model
from juno_fit.physics import flux as fluxmod

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "spectra" / "tables" / "dayabay2025_unfolded_tot_U235_Pu239.txt"
CONFIG = "juno_2025_first_data"


@pytest.fixture(scope="module")
def config():
    return load_config(CONFIG)


@pytest.fixture(scope="module")
def parsed():
    return parse_unfolded_spectra(TABLE.read_text())


def test_file_holds_three_spectra_and_their_joint_covariance(parsed):
    spectra, cov = parsed
    assert list(spectra) == list(SPECTRA)
    for block in spectra.values():
        assert block.shape == (25, 4)
        np.testing.assert_allclose(block[0, :2], [1.80, 2.05])
        np.testing.assert_allclose(block[-1, :2], [7.80, 9.50])
    assert cov.shape == (75, 75)
    np.testing.assert_allclose(cov, cov.T, rtol=1e-5, atol=1e-15)
    assert np.linalg.eigvalsh(cov)[0] > 0
    # Daya Bay's total yield, 5.84 ± 0.07 × 10⁻⁴³ cm²/fission (arXiv:2501.00746): the integral of the
    # total spectrum, to the 4-digit rounding of the file's contents.
    total = spectra["total"]
    assert np.sum(total[:, 2] * (total[:, 1] - total[:, 0])) == pytest.approx(5.84, abs=0.01)


def test_config_reads_the_total_spectrum_relative_covariance(config, parsed):
    ref = config.flux.reference_covariance
    spectra, cov = parsed
    total = spectra["total"]
    assert ref.spectrum == "total"
    np.testing.assert_allclose(ref.relative, cov[50:, 50:] / np.outer(total[:, 2], total[:, 2]), rtol=1e-12)
    # the eigenmodes reproduce the covariance (no mode is dropped for this file)
    modes = ref.modes()
    assert modes.shape == (25, 25)
    np.testing.assert_allclose(modes @ modes.T, ref.relative, atol=1e-12)
    # relative uncertainty per bin: ~1.4 % near the peak, 11.6 % in the lowest bin
    sigma = np.sqrt(np.diag(ref.relative))
    assert sigma[0] == pytest.approx(0.116, abs=0.001)
    assert 0.013 < sigma[6] < 0.015


def test_reference_modes_interpolate_between_bin_centres(config):
    ref = config.flux.reference_covariance
    centres = ref.centres
    enu = np.concatenate([[1.0], centres, [12.0]])
    m = fluxmod.reference_modes(enu, ref)
    np.testing.assert_allclose(m[1:-1], ref.modes(), atol=1e-15)
    np.testing.assert_allclose(m[0], ref.modes()[0])  # constant below the first centre
    np.testing.assert_allclose(m[-1], ref.modes()[-1])  # and above the last
    assert fluxmod.reference_modes(enu, None).shape == (len(enu), 0)


def test_rate_uncertainty_on_the_juno_spectrum_is_daya_bays_yield_uncertainty(config):
    # The covariance carries the reference spectrum's rate uncertainty: on JUNO's oscillated spectrum
    # it must come out near Daya Bay's 1.2 % on the total yield (0.07/5.84); the spectrum-weighted
    # value is larger because the per-bin errors exceed 1.2 % (1.4 % near the peak).
    model = Model(config)
    theta = model.parameters.values()
    base = model.predict(theta)[0].ibd.sum()
    derivs = []
    for k in range(25):
        t = theta.copy()
        t[model.parameters.index(f"flux.ref.pc{k}")] = 1.0
        derivs.append(model.predict(t)[0].ibd.sum() / base - 1)
    assert 0.012 < np.sqrt(np.sum(np.square(derivs))) < 0.015


def test_switch_off_fixes_the_modes(config):
    off = dataclasses.replace(
        config, fit=dataclasses.replace(config.fit, systematics={**config.fit.systematics, "reference_spectrum": False})
    )
    params = Model(off).parameters
    assert all(params[f"flux.ref.pc{k}"].fixed for k in range(25))
    assert not Model(config).parameters["flux.ref.pc0"].fixed


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_gradient_of_the_reference_modes_matches_finite_differences(config, backend):
    model = Model(config, backend=backend)
    data = asimov(model).arrays(model)
    lik = Likelihood(model, data)
    theta = model.parameters.values()
    rng = np.random.default_rng(3)
    idx = [model.parameters.index(f"flux.ref.pc{k}") for k in range(25)]
    theta[idx] = 0.5 * rng.standard_normal(25)
    theta[model.parameters.index("flux.norm")] = 1.01
    _value, grad = lik.value_and_grad(theta)
    h = 1e-4
    for i in idx[:6] + idx[-3:] + [model.parameters.index("flux.norm")]:
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        fd = (lik(up) - lik(down)) / (2 * h)
        assert grad[i] == pytest.approx(fd, rel=1e-5, abs=1e-7), model.parameters.names[i]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("1.64391e-03  4.81844e-04", "1.64391e-03  9.81844e-04", 1), "not symmetric"),
        (lambda t: t.replace("1.80  2.05  0.3028  0.0464", "1.80  2.05  0.3028  0.0164", 1), "does not match"),
        (lambda t: t.replace("2.05  2.30  0.6054", "2.10  2.30  0.6054", 1), "not contiguous"),
        (lambda t: t[: t.index("# The covariance")], "expected 3 spectra and a covariance"),
        (lambda t: t.replace("0.2998", "zero", 1), "not a number"),
    ],
)
def test_damaged_reference_file_is_a_one_line_error(tmp_path, capsys, edit, message):
    text = edit(TABLE.read_text())
    (tmp_path / "ref.txt").write_text(text)
    cfg = (ROOT / "configs" / f"{CONFIG}.toml").read_text()
    cfg = cfg.replace('table = "tables/dayabay2025_unfolded_tot_U235_Pu239.txt"', f'table = "{tmp_path / "ref.txt"}"')
    cfg = cfg.replace(
        'table = "tables/juno2025_reference_ratio.csv"',
        f'table = "{ROOT / "spectra" / "tables"}/juno2025_reference_ratio.csv"',
    )
    cfg = cfg.replace('detector = "juno2025"', f'detector = "{ROOT / "detector" / "juno2025.toml"}"')
    (tmp_path / "c.toml").write_text(cfg)
    assert main(["predict", str(tmp_path / "c.toml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "flux.reference_covariance.table" in err[0]
    assert message in err[0]


def test_forecast_uses_the_2025_uncertainty_model(capsys):
    # `precision` of the 2025 config at a longer exposure keeps its uncertainty model (the reference
    # covariance among them): errors shrink with exposure, and systematics widen every parameter.
    args = ["precision", CONFIG, "--exposure", "59.1d", "--exposure", "200d", "--json"]
    assert main(args) == 0
    res = json.loads(capsys.readouterr().out)["exposures"]
    for name in ("sin2_theta12", "dm2_21"):
        short, long = res["59.1d"][name], res["200d"][name]
        assert long["rel"] < short["rel"]
        assert long["rel_stat"] < short["rel_stat"]
        assert long["rel"] > long["rel_stat"]
    model = Model(load_config(CONFIG, exposure="200d"))
    assert not model.parameters["flux.ref.pc0"].fixed
