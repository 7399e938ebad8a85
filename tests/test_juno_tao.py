"""JUNO + TAO (configs/juno_tao.toml): TAO as a second detector of the same experiment, the reactor flux
one model seen by both (shared nuisances and a free reference shape on an E_ν mesh), the detector
nuisances separate; the free-shape stage ([flux.free_shape], physics/flux.py) with its exact gradient."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from juno_fit.config import load_config
from juno_fit.datasets import asimov
from juno_fit.errors import ConfigError
from juno_fit.likelihood import Likelihood
from juno_fit.model import Model
from juno_fit.physics import flux as fluxmod
from juno_fit.resources import input_dir


@pytest.fixture(scope="module")
def config():
    return load_config("juno_tao", exposure="100d")


@pytest.fixture(scope="module")
def model(config):
    return Model(config)


def test_free_shape_modes_are_hat_functions_on_the_mesh():
    nodes = (2.0, 2.5, 3.0, 3.5)
    enu = np.array([1.9, 2.0, 2.25, 2.5, 3.2, 3.5, 9.0])
    m = fluxmod.free_shape_modes(enu, nodes)
    assert m.shape == (7, 4)
    np.testing.assert_allclose(m.sum(axis=1), 1.0, rtol=0, atol=1e-15)  # a partition of unity
    np.testing.assert_allclose(m[2], [0.5, 0.5, 0.0, 0.0])  # halfway between the first two nodes
    np.testing.assert_allclose(m[4], [0.0, 0.0, 0.6, 0.4])
    np.testing.assert_allclose(m[0], [1.0, 0.0, 0.0, 0.0])  # constant below the first node
    np.testing.assert_allclose(m[6], [0.0, 0.0, 0.0, 1.0])  # and beyond the last
    assert fluxmod.free_shape_modes(enu, None).shape == (7, 0)


def test_config_has_two_detectors_sharing_the_flux_model(config, model):
    assert [d.name for d in config.detectors] == ["JUNO", "TAO"]
    names = model.parameters.names
    shape = [n for n in names if n.startswith("flux.shape.")]
    assert len(shape) == 73  # 1.8 … 9.0 MeV by 0.1 MeV
    assert all(model.parameters[n].error is None and not model.parameters[n].fixed for n in shape)
    # one flux model: each core's and the correlated nuisances once, read by both detectors
    for n in ("flux.norm", "flux.core.TS1", "flux.core.TS2", "flux.ff.TS1.U235", "flux.snf", "flux.noneq"):
        assert names.count(n) == 1
    # detector systematics separate
    for n in ("eff", "lsnl.pull0", "res.a"):
        assert f"det.JUNO.{n}" in names
        assert f"det.TAO.{n}" in names
    assert "bkg.TAO.fast_neutrons.rate" in names
    # TAO replaces juno_nominal's TAO-derived bin-to-bin uncertainty
    assert not config.fit.systematics["reference_shape"]


def test_tao_rate_matches_the_design_at_its_stated_precision(model):
    """The CDR-era numbers: ~2000 IBD/day after the efficiency in ~1 t (PHYSICS.md §7.1 [S]); the inputs
    (fiducial mass, efficiency, core-2 distance) are known to ~20 %, so the model must agree to 25 %."""
    tao = model.detectors[1]
    days = model.config.exposure_days * tao.det.duty_cycle
    pred = model.predict(model.parameters.values())[1]
    per_day = pred.ibd.sum() / days
    assert 1500 < per_day < 2500, per_day
    # B/S ≈ 10 % (CDR abstract)
    assert sum(b.sum() for b in pred.backgrounds.values()) / pred.ibd.sum() == pytest.approx(0.1, rel=0.25)


def test_a_shape_weight_moves_both_detectors_in_the_same_energy_region(model):
    theta = model.parameters.values()
    k = model.parameters.index("flux.shape.22")  # E_ν = 4.0 MeV, prompt ≈ 3.2 MeV
    base = model.predict(theta)
    theta[k] = 0.05
    moved = model.predict(theta)
    peaks = []
    for b, m in zip(base, moved, strict=True):
        centres = 0.5 * (b.edges[1:] + b.edges[:-1])
        ratio = m.ibd / b.ibd
        peak = centres[np.argmax(ratio)]
        assert 2.9 < peak < 3.5, (b.detector, peak)
        # the 5 % bump of a 0.2 MeV-wide hat, smeared by each detector's resolution
        assert 1.01 < ratio.max() < 1.05
        far = (centres < 2.0) | (centres > 4.5)
        np.testing.assert_allclose(ratio[far], 1.0, rtol=0, atol=1e-3)
        peaks.append(ratio.max())
    assert peaks[1] > peaks[0]  # TAO resolves the bump better (1.5 %/√E against JUNO's 3 %)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_gradient_of_shared_flux_and_shape_weights_matches_finite_differences(config, backend):
    model = Model(config, backend=backend)
    lik = Likelihood(model, asimov(model).arrays(model))
    theta = model.parameters.values()
    rng = np.random.default_rng(5)
    shape = [model.parameters.index(f"flux.shape.{k}") for k in range(73)]
    theta[shape] = 0.01 * rng.standard_normal(73)
    theta[model.parameters.index("flux.core.TS1")] = 1.004
    _value, grad = lik.value_and_grad(theta)
    checks = [*shape[:3], shape[22], shape[40], shape[-1], model.parameters.index("flux.core.TS1")]
    checks += [model.parameters.index(n) for n in ("det.TAO.eff", "det.TAO.res.a", "bkg.TAO.fast_neutrons.rate")]
    for i in checks:
        h = 1e-5 * max(abs(theta[i]), 0.01)
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        fd = (lik(up) - lik(down)) / (2 * h)
        assert grad[i] == pytest.approx(fd, rel=2e-5, abs=1e-4), model.parameters.names[i]


def test_free_shape_off_fixes_the_weights(config):
    off = dataclasses.replace(
        config, fit=dataclasses.replace(config.fit, systematics={**config.fit.systematics, "free_shape": False})
    )
    params = Model(off).parameters
    assert all(params[f"flux.shape.{k}"].fixed for k in range(73))


@pytest.mark.parametrize(
    ("edit", "key", "message"),
    [
        ("stop = 9.0", "stop = 1.5", "flux.free_shape.stop"),
        ("step = 0.1", "step = 0.07", "flux.free_shape.step"),
        ("step = 0.1", "step = 0.005", "at most 1000"),
        ("\nuncertainty = 0.0\n", "\nuncertainty = -0.1\n", "flux.free_shape.uncertainty"),
        ("\nuncertainty = 0.0\n", "\nuncertainty = 1e-300\n", "flux.free_shape.uncertainty"),
    ],
)
def test_bad_free_shape_is_a_one_line_error(tmp_path, edit, key, message):
    text = (input_dir("configs") / "juno_tao.toml").read_text(encoding="utf-8")
    assert edit in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(edit, key), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    msg = str(exc.value)
    assert "\n" not in msg
    assert "bad.toml" in msg
    assert message in msg, msg
