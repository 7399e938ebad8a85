"""The Daya Bay nGd model built from the collaboration's full data release (dayabay.py).

Reference numbers marked "official model" were measured with the collaboration's own model
(dayabay-model 1.7.1, dag-modelling 0.14.4) on the same release (dayabay-data-official 1.0.1, HDF5),
at its nominal parameters; the published fit is F. P. An et al., PRL 130, 161802 (2023).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

pytest.importorskip(
    "dayabay_data_official", reason="the Daya Bay data release is an optional extra: pip install 'juno-fit[dayabay]'"
)

from juno_fit.cli import main
from juno_fit.config import load_config
from juno_fit.errors import ConfigError
from juno_fit.experiments.dayabay import (
    DayaBayLikelihood,
    DayaBayModel,
    pee_kernel,
    pee_numpy,
    raw_adjoint_kernel,
    raw_adjoint_numpy,
    raw_kernel,
    raw_numpy,
    solar_phase_kernel,
)
from juno_fit.fitting import fit
from juno_fit.likelihood import Likelihood
from juno_fit.model import Model

# PRL 130, 161802 (2023): sin²2θ13 = 0.0851 ± 0.0024; Δm²32 = (2.466 ± 0.060)e-3 (NO), −(2.571 ± 0.060)e-3 (IO).
PUBLISHED = {
    "normal": {"sin2_2theta13": (0.0851, 0.0024), "dm2_32": (2.466e-3, 0.060e-3)},
    "inverted": {"sin2_2theta13": (0.0851, 0.0024), "dm2_32": (-2.571e-3, 0.060e-3)},
}


@pytest.fixture(scope="module")
def config():
    return load_config("dayabay_nGd")


@pytest.fixture(scope="module")
def model(config):
    return Model(config)


@pytest.fixture(scope="module")
def official_model(config):
    """The collaboration's convention for the absolute background-rate uncertainties (see the config)."""
    return Model(dataclasses.replace(config, background_sigma="official"))


def _osc_grid():
    enu = np.linspace(1.81, 12.0, 257)
    baselines = np.array([[362.4, 1900.0], [1650.0, 1550.0]])  # metres
    return enu, baselines


# ------------------------------------------------------------------- kernels and their NumPy twins
def test_pee_kernel_matches_its_numpy_twin_and_its_derivatives_are_right():
    enu, base = _osc_grid()
    args = (0.0851, 2.47e-3, 0.851, 7.53e-5, 5067.731)  # the release: Δm²[eV²] L[km] × 5067.73 / (4 E[MeV])
    solar = solar_phase_kernel(enu, base, args[3], args[4])
    np.testing.assert_allclose(solar[0] ** 2 + solar[1] ** 2, 1.0, rtol=0, atol=1e-15)
    p, dp = pee_kernel(enu, base, *args, True, solar)
    p_np, dp_np = pee_numpy(enu, base, *args)
    np.testing.assert_allclose(p, p_np, rtol=0, atol=1e-14)
    np.testing.assert_allclose(dp, dp_np, rtol=1e-10, atol=1e-15)
    p_only, empty = pee_kernel(enu, base, *args, False, solar)
    np.testing.assert_array_equal(p_only, p)
    assert empty.size == 0
    assert np.all((p > 0.8) & (p <= 1.0))
    for q, h in enumerate((1e-6, 1e-9, 1e-6, 1e-9)):  # central differences in each parameter
        up, dn = list(args), list(args)
        up[q] += h
        dn[q] -= h
        fd = (pee_numpy(enu, base, *up)[0] - pee_numpy(enu, base, *dn)[0]) / (2 * h)
        scale = np.abs(fd).max()
        np.testing.assert_allclose(dp_np[q], fd, rtol=0, atol=2e-6 * scale, err_msg=f"parameter {q}")


def test_raw_and_adjoint_kernels_match_their_numpy_twins():
    rng = np.random.default_rng(5)
    n_det, n_r, n_pts, n_bins, n_pairs = 3, 4, 200, 37, 5
    p = rng.uniform(0.8, 1.0, (n_det, n_r, n_pts))
    dp = rng.normal(size=(4, n_det, n_r, n_pts))
    f = rng.uniform(0.9, 1.1, n_pts)
    a = rng.uniform(0, 1, (n_pairs, n_r, n_pts))
    b = rng.uniform(0, 0.1, (n_pairs, n_r, n_pts))
    bins = np.sort(rng.integers(0, n_bins, n_pts)).astype(np.int64)
    det_of_pair = np.array([0, 1, 2, 0, 2], dtype=np.int64)
    np.testing.assert_allclose(
        raw_kernel(p, f, a, b, bins, det_of_pair, n_bins), raw_numpy(p, f, a, b, bins, det_of_pair, n_bins), rtol=1e-13
    )
    adj = rng.normal(size=(n_pairs, n_bins))
    g, gf = raw_adjoint_kernel(p, dp, f, a, b, bins, det_of_pair, adj)
    g_np, gf_np = raw_adjoint_numpy(p, dp, f, a, b, bins, det_of_pair, adj)
    np.testing.assert_allclose(g, g_np, rtol=1e-11)
    np.testing.assert_allclose(gf, gf_np, rtol=1e-11, atol=1e-13)


def test_numpy_backend_gives_the_same_spectra(model, config):
    twin = DayaBayModel(config, backend="numpy", release=model.release)
    theta = model.theta(sin2_2theta13=0.09, dm2_32=2.6e-3)
    theta[model.i_spec] = np.linspace(-0.1, 0.1, len(model.i_spec))
    theta[model.i_escale[3]] = 1.004
    np.testing.assert_allclose(twin.total(theta), model.total(theta), rtol=1e-12)


# ---------------------------------------------------- the official model's numbers at its nominal point
def test_nominal_counts_match_the_official_model(model):
    theta = model.parameters.values()
    k = model.pairs.index(("6AD", "AD11"))
    # official model: AD11 in the 6AD period, IBD before the detector response 102199.46 (main 101372.3,
    # non-equilibrium 613.1, SNF 214.0), accidentals 1252.44, ⁹Li/⁸He 435.42, AmC 41.34. The official
    # numbers are printed to 7 digits; the integration (same mesh, same order) agrees far better.
    assert model.raw(theta)[k].sum() == pytest.approx(102199.46, rel=1e-7)
    bkg = model.backgrounds(theta)
    assert bkg["accidentals"][k].sum() == pytest.approx(1252.44, abs=0.006)
    assert bkg["lithium_helium"][k].sum() == pytest.approx(435.42, abs=0.006)
    assert bkg["amc"][k].sum() == pytest.approx(41.34, abs=0.006)
    # official model: 5,841,496 expected events in the 546 bins (21 spectra × 26 bins)
    total = model.total(theta)
    assert total.shape == (546,)
    assert total.sum() == pytest.approx(5841496, abs=1.0)
    # the observed spectra: the release's 5.55 million IBD candidates within the final binning
    data = np.concatenate(model.real_data())
    assert 5.4e6 < data.sum() < 5.6e6
    assert np.all(data == np.round(data))


def test_chi2_at_the_nominal_point_matches_the_official_model(model, official_model):
    # official model on real data at its nominal point: stat-only CNP χ² 25930.42 (printed to 7 digits,
    # hence rel 1e-6), covariance CNP χ² 705.12741983 (full systematic covariance, its background
    # convention). Our default (relative) convention differs only through three background groups.
    theta = model.parameters.values()
    stat = DayaBayLikelihood(model, model.real_data())
    r = stat.d - stat.mu0
    from juno_fit.experiments.dayabay import cnp_variance

    var, _ = cnp_variance(stat.d, stat.mu0)
    assert float(np.sum(r * r / var)) == pytest.approx(25930.42, rel=1e-6)
    official = Likelihood(official_model, official_model.real_data())
    assert official(theta) == pytest.approx(705.12741983, rel=2e-7)
    relative = Likelihood(model, model.real_data())
    assert relative(theta) != pytest.approx(705.12741983, rel=1e-5)  # the conventions really differ
    assert relative(theta) == pytest.approx(705.127, rel=2e-3)


def test_hdf5_and_root_give_the_same_chi2(model, config):
    root_model = Model(dataclasses.replace(config, release_format="root"))
    assert root_model.release.source != model.release.source
    a = Likelihood(model, model.real_data())
    b = Likelihood(root_model, root_model.real_data())
    for theta in (model.parameters.values(), model.theta(sin2_2theta13=0.08, dm2_32=2.5e-3)):
        assert b(theta) == pytest.approx(a(theta), rel=1e-10)


def test_covariance_is_symmetric_positive_and_built_from_the_active_groups(model):
    lik = Likelihood(model, model.real_data())
    v = lik.v_syst
    assert v.shape == (546, 546)
    np.testing.assert_array_equal(v, v.T)
    assert np.linalg.eigvalsh(v).min() > -1e-6 * np.abs(v).max()
    # the Huber–Mueller uncorrelated part (analytic Jacobian) alone is smaller than everything together
    only_hm = model.covariance(None, ["hm_uncorrelated"])
    assert 0 < np.trace(only_hm) < np.trace(v)
    # its analytic columns agree with finite differences of the model
    theta = model.parameters.values()
    direction = model.nuisances.groups["hm_uncorrelated"][40]
    ((i, s),) = direction.items()
    up, dn = theta.copy(), theta.copy()
    up[i] += 0.5 * s
    dn[i] -= 0.5 * s
    fd = model.total(up) - model.total(dn)
    j = model._jacobian_hm_uncorrelated(theta, [direction])[:, 0]
    np.testing.assert_allclose(j, fd, rtol=1e-9, atol=1e-9 * np.abs(fd).max())


def test_exact_gradient_matches_finite_differences(model):
    lik = Likelihood(model, model.real_data())
    theta = model.theta(sin2_2theta13=0.083, dm2_32=2.43e-3)
    theta[model.i_spec] = np.linspace(-0.05, 0.02, len(model.i_spec))
    value, grad = lik.value_and_grad(theta)
    assert value == pytest.approx(lik(theta), rel=1e-12)
    checks = [model.parameters.index("sin2_2theta13"), model.parameters.index("dm2_32"), *model.i_spec[[0, 7, 18]]]
    for i in checks:
        h = 1e-5 * max(abs(theta[i]), 1e-2)
        up, dn = theta.copy(), theta.copy()
        up[i] += h
        dn[i] -= h
        fd = (lik(up) - lik(dn)) / (2 * h)
        assert grad[i] == pytest.approx(fd, rel=2e-5, abs=1e-6 * abs(fd) + 1e-3), model.parameters.names[i]


def test_matter_option_moves_the_prediction_slightly_and_keeps_the_exact_gradient(model, config):
    osc = dataclasses.replace(config.oscillation, matter="knp", density=2.45)
    matter = DayaBayModel(dataclasses.replace(config, oscillation=osc), release=model.release)
    theta = model.theta(sin2_2theta13=0.085, dm2_32=2.47e-3)
    vac, mat = model.total(theta), matter.total(theta)
    rel = np.abs(mat / vac - 1.0)
    # a L ≪ 1 at Daya Bay: the spectra move by parts in 1e5 (P_ee by a few × 1e-5), not by nothing
    assert 1e-7 < rel.max() < 1e-4
    for backend in ("numba", "numpy"):
        m = matter if backend == "numba" else DayaBayModel(matter.config, backend="numpy", release=model.release)
        lik = Likelihood(m, m.real_data())
        value, grad = lik.value_and_grad(theta)
        assert value == pytest.approx(lik(theta), rel=1e-12)
        for name in ("sin2_2theta13", "dm2_32", "sin2_2theta12", "dm2_21"):
            i = m.parameters.index(name)
            h = 1e-5 * abs(theta[i])
            up, dn = theta.copy(), theta.copy()
            up[i] += h
            dn[i] -= h
            fd = (lik(up) - lik(dn)) / (2 * h)
            assert grad[i] == pytest.approx(fd, rel=2e-5, abs=1e-3), (backend, name)


def _pulls_config(config, *, hm=True, background_sigma=None):
    from juno_fit.experiments.dayabay import DYB_SYSTEMATICS

    systematics = {g: hm or not g.startswith("hm_") for g in DYB_SYSTEMATICS}
    cfg = dataclasses.replace(config, fit=dataclasses.replace(config.fit, statistic="pulls", systematics=systematics))
    return dataclasses.replace(cfg, background_sigma=background_sigma or config.background_sigma)


def test_pull_gradient_matches_finite_differences_in_every_free_parameter(model, config):
    pulls = DayaBayModel(_pulls_config(config), release=model.release)
    lik = Likelihood(pulls, pulls.real_data())
    assert lik.statistic == "pulls"
    assert lik.exact_gradient
    params = pulls.parameters
    free = [i for i, p in enumerate(params) if not p.fixed]
    assert len(free) == 173  # 21 + every nuisance but the Huber–Mueller ones (kept as a covariance matrix)
    sigma = np.array([p.error or 1e-3 for p in params])
    rng = np.random.default_rng(11)
    theta = params.values()
    theta[free] += 0.5 * sigma[free] * rng.normal(size=len(free))
    theta[params.index("sin2_2theta13")], theta[params.index("dm2_32")] = 0.085, 2.47e-3
    theta[pulls.i_spec] = -0.05
    value, grad = lik.value_and_grad(theta)
    assert value == pytest.approx(lik(theta), rel=1e-12)
    for i in free:
        # central difference of 1e-4 σ: small, because the nonlinearity map is piecewise linear and a
        # wider step (1e-3 σ) can straddle one of its nodes (then off by ~1e-4 for the LSNL pulls);
        # truncation and rounding stay below 1e-6 relative here
        h = 1e-4 * sigma[i]
        up, dn = theta.copy(), theta.copy()
        up[i] += h
        dn[i] -= h
        fd = (lik(up) - lik(dn)) / (2 * h)
        assert grad[i] == pytest.approx(fd, rel=1e-5, abs=1e-6 / sigma[i]), params.names[i]


# ------------------------------------------------------------------------------------------ fits
def test_asimov_fit_returns_its_inputs(model):
    truth = model.theta(sin2_2theta13=0.0851, dm2_32=2.466e-3)
    truth[model.i_spec] = 0.02 * np.sin(np.arange(len(model.i_spec)))
    lik = Likelihood(model, model.expected(truth))
    start = model.parameters.values()  # 0.0856 and 2.453e-3, spectrum factors at 0
    result = fit(lik, start=start, minos=[])
    assert result.valid
    assert result.fval < 1e-6
    for name in ("sin2_2theta13", "dm2_32"):
        assert result.values[name] == pytest.approx(truth[model.parameters.index(name)], rel=1e-5), name
    spec = np.array([result.values[model.parameters.names[i]] for i in model.i_spec])
    np.testing.assert_allclose(spec, truth[model.i_spec], atol=1e-4)
    # the errors of an Asimov fit at the published point are close to the published ones
    assert result.errors["sin2_2theta13"] == pytest.approx(0.0024, rel=0.15)
    assert result.errors["dm2_32"] == pytest.approx(0.060e-3, rel=0.15)


@pytest.mark.slow
@pytest.mark.parametrize("ordering", ["normal", "inverted"])
def test_real_data_fit_reproduces_the_published_result(config, ordering, capsys):
    import json

    assert main(["fit", "dayabay_nGd", "--data", "real", "--ordering", ordering, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    pub = PUBLISHED[ordering]
    # within 0.25 σ of the published values and errors within 10 % (the bars)
    for name, (value, error) in pub.items():
        got = out["parameters"][name]
        assert abs(got["value"] - value) < 0.25 * error, (name, got)
        assert got["error"] == pytest.approx(error, rel=0.10), (name, got)
    assert out["ndof"] == 525
    assert 1.0 < out["fval"] / out["ndof"] < 1.15


@pytest.mark.slow
def test_official_convention_fit_reproduces_the_official_model(official_model):
    # official model, real data, covariance CNP, free spectrum (21 free parameters): sin²2θ13 0.0854238,
    # Δm²32 2.470832e-3, χ² 557.9756 (its reference fit file: 0.08542382, 2.4708321e-3). MIGRAD stops
    # at EDM < 2e-4 on both sides, so values agree to a small fraction of their errors, not bit for bit.
    lik = Likelihood(official_model, official_model.real_data())
    result = fit(lik, minos=[])
    assert result.valid
    assert result.values["sin2_2theta13"] == pytest.approx(0.0854238, abs=0.01 * 0.0023)
    assert result.values["dm2_32"] == pytest.approx(2.470832e-3, abs=0.01 * 0.059e-3)
    assert result.fval == pytest.approx(557.9756, abs=2e-3)


@pytest.mark.slow
def test_pull_fit_reproduces_the_official_pull_fit(model, config):
    # official model, real data, stat CNP χ² + pull terms of every nuisance but the Huber–Mueller ones
    # (173 free parameters), its background convention: sin²2θ13 0.085387, Δm²32 2.474495e-3,
    # χ² 578.337 = 572.229 (CNP) + 6.108 (pulls); its MIGRAD (strategy 0, numerical gradient) stopped
    # at its EDM tolerance, so the values agree to a small fraction of the error, not bit for bit.
    pulls = DayaBayModel(_pulls_config(config, hm=False, background_sigma="official"), release=model.release)
    lik = Likelihood(pulls, pulls.real_data())
    result = fit(lik, minos=[])
    assert result.valid
    assert len(result.free) == 173
    assert result.values["sin2_2theta13"] == pytest.approx(0.085387, abs=0.01 * 0.0023)
    assert result.values["dm2_32"] == pytest.approx(2.474495e-3, abs=0.01 * 0.059e-3)
    assert result.fval == pytest.approx(578.337, abs=0.01)


# ----------------------------------------------------------------------------------- user errors
def test_bad_dayabay_config_values_are_one_line_errors(tmp_path):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "configs" / "dayabay_nGd.toml").read_text(encoding="utf-8")
    cases = [
        (text.replace('release = "hdf5"', 'release = "npz"'), "dayabay.release", "hdf5, root"),
        (text.replace('cnp_variance = "nominal"', 'cnp_variance = "fresh"'), "dayabay.cnp_variance", "nominal"),
        (text.replace('statistic = "covariance"', 'statistic = "poisson"'), "fit.statistic", "pulls"),
        (
            text.replace('parameters = ["sin2_2theta13", "dm2_32"]', 'parameters = ["theta"]'),
            "fit.parameters",
            "dm2_32",
        ),
        (text.replace("solar = true", "solar = 1"), "systematics.solar", "true or false"),
        (text.replace("hm_uncorrelated = true", "hm_uncorrelated = true\nbump = true"), "bump", ""),
        (text.replace('ordering = "normal"', 'ordering = "normal"\nmatter = "exact"'), "dayabay.matter", "knp"),
        (text.replace('ordering = "normal"', 'ordering = "normal"\ndensity = -1.0'), "dayabay.density", "22.6"),
        (text.replace('ordering = "normal"', 'ordering = "normal"\ndensity = nan'), "dayabay.density", "finite"),
    ]
    for k, (bad, key, accepted) in enumerate(cases):
        path = tmp_path / f"bad{k}.toml"
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(ConfigError) as exc:
            load_config(path)
        msg = str(exc.value)
        assert "\n" not in msg
        assert path.name in msg, msg
        assert key in msg, msg
        assert accepted in msg, msg


def test_cli_refuses_what_a_dayabay_config_cannot_do(capsys):
    assert main(["fit", "dayabay_nGd", "--exposure", "6y", "--data", "real"]) == 2
    assert "exposure" in capsys.readouterr().err
    assert main(["fit", "juno_nominal", "--data", "real"]) == 2
    assert "Daya Bay" in capsys.readouterr().err


def test_toy_ensembles_and_result_files_work_for_daya_bay(tmp_path, capsys):
    import json

    out = tmp_path / "toys.h5"
    assert main(["toys", "dayabay_nGd", "--n", "2", "--workers", "1", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["summary", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["toys"] == 2
    assert summary["converged"] == 2
    assert set(summary["parameters"]) == {"sin2_2theta13", "dm2_32"}
    assert abs(summary["parameters"]["sin2_2theta13"]["pull_mean"]) < 4  # two Poisson toys around the truth
    assert main(["toys", "dayabay_nGd", "--n", "2", "--nmo", "-o", str(tmp_path / "nmo.h5")]) == 2
    assert "JUNO configs only" in capsys.readouterr().err
    # a pseudo-experiment written by simulate is read back and fitted, with a result file
    data, result = tmp_path / "toy.h5", tmp_path / "result.h5"
    assert main(["simulate", "dayabay_nGd", "-o", str(data), "--toy", "1"]) == 0
    assert main(["fit", "dayabay_nGd", "--data", str(data), "--no-minos", "-o", str(result)]) == 0
    assert result.exists()
