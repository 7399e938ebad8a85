"""Joint fits across experiments (juno_fit/joint.py): the shared oscillation parameters, the map into
each part with its Jacobian, the summed statistic and its exact gradient, and the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest

import juno_fit as jf
from juno_fit.cli import main
from juno_fit.config import load_config
from juno_fit.errors import ConfigError
from juno_fit.joint import CONVERSIONS, JointConfig, JointModel
from juno_fit.likelihood import Likelihood
from juno_fit.model import build_model

RELEASE = "detector/juno2025/fig3_panel_a_data.csv"


@pytest.fixture(scope="module")
def juno_pair():
    """Two JUNO-like experiments: the 2022 design study (Asimov) and the 2025 release's model."""
    cfg = JointConfig((load_config("juno_nominal", exposure="100d"), load_config("juno_2025_first_data")))
    return JointModel(cfg)


def test_conversions_are_the_definitions_and_their_derivatives():
    x = np.array([0.0219, 7.5e-5])
    assert CONVERSIONS["sin2_2theta13"][1](x) == pytest.approx(4 * 0.0219 * (1 - 0.0219), rel=1e-15)
    assert CONVERSIONS["dm2_32"][1](np.array([2.53e-3, 7.5e-5])) == pytest.approx(2.455e-3, rel=1e-12)
    for name, (_reads, f, df) in CONVERSIONS.items():
        x = np.array([0.3, 7.5e-5][: len(_reads)])
        for k in range(len(x)):
            h = 1e-7 * abs(x[k])
            up, dn = x.copy(), x.copy()
            up[k] += h
            dn[k] -= h
            assert df(x)[k] == pytest.approx((f(up) - f(dn)) / (2 * h), rel=1e-7), name


def test_joint_registry_shares_oscillation_and_separates_the_rest(juno_pair):
    m = juno_pair
    names = m.parameters.names
    for n in ("sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31"):
        assert names.count(n) == 1
    # both parts have flux.norm and det.eff: per experiment, prefixed with the config name
    assert "juno_nominal:flux.norm" in names
    assert "juno_2025_first_data:flux.norm" in names
    assert "flux.norm" not in names
    # each part sees the joint value of a shared parameter and its own value of everything else
    theta = m.theta(dm2_31=2.6e-3, **{"juno_nominal:flux.norm": 1.01})
    t0, t1 = m.part_thetas(theta)
    assert t0[m.parts[0].parameters.index("dm2_31")] == 2.6e-3
    assert t1[m.parts[1].parameters.index("dm2_31")] == 2.6e-3
    assert t0[m.parts[0].parameters.index("flux.norm")] == 1.01
    assert t1[m.parts[1].parameters.index("flux.norm")] == 1.0
    # the 2025 config constrains θ13 and Δm²31 externally, the design-study config fits them without
    # a prior: the constraints are dropped, unless kept on request
    assert m.parameters["sin2_theta13"].error is None
    assert m.parameters["dm2_31"].error is None
    assert len(m.notes) == 2
    assert all("juno_nominal measures it" in n for n in m.notes)
    kept = JointModel(JointConfig(m.config.parts, keep_constraints=True))
    assert kept.parameters["sin2_theta13"].error == pytest.approx(0.0007)
    assert kept.parameters["sin2_theta13"].prior_mean == pytest.approx(0.0219)
    assert kept.notes == []


def test_joint_statistic_is_the_sum_and_its_gradient_is_exact(juno_pair):
    m = juno_pair
    data = m.expected(m.theta(dm2_31=2.55e-3, sin2_theta12=0.31))
    lik = Likelihood(m, data)
    theta = m.theta(dm2_31=2.52e-3, sin2_theta12=0.305, dm2_21=7.45e-5)
    thetas = m.part_thetas(theta)
    parts = sum(p(t) for p, t in zip(lik.parts, thetas, strict=True))
    assert lik(theta) == pytest.approx(parts, rel=1e-12)  # no shared prior left (see above)
    value, grad = lik.value_and_grad(theta)
    assert value == pytest.approx(lik(theta), rel=1e-12)
    for name in (
        "sin2_theta12",
        "sin2_theta13",
        "dm2_21",
        "dm2_31",
        "juno_nominal:flux.norm",
        "juno_2025_first_data:det.eff",
    ):
        i = m.parameters.index(name)
        h = 1e-6 * abs(theta[i])
        up, dn = theta.copy(), theta.copy()
        up[i] += h
        dn[i] -= h
        fd = (lik(up) - lik(dn)) / (2 * h)
        assert grad[i] == pytest.approx(fd, rel=1e-5, abs=1e-6 * abs(fd) + 1e-4), name


def test_joint_config_refuses_a_single_or_repeated_config():
    cfg = load_config("juno_nominal")
    with pytest.raises(ConfigError, match="at least two"):
        JointConfig((cfg,))
    with pytest.raises(ConfigError, match="at most once"):
        JointConfig((cfg, cfg))


def test_share_option_makes_parts_share_a_nuisance():
    cfg = JointConfig(
        (load_config("juno_nominal", exposure="100d"), load_config("juno_2025_first_data")), shared=("flux.norm",)
    )
    m = JointModel(cfg)
    assert "flux.norm" in m.parameters.names
    theta = m.theta(**{"flux.norm": 1.02})
    for part, t in zip(m.parts, m.part_thetas(theta), strict=True):
        assert t[part.parameters.index("flux.norm")] == 1.02


def test_cli_joint_fit_needs_one_data_per_config(capsys):
    code = main(["fit", "juno_nominal", "juno_2025_first_data", "--data", RELEASE])
    assert code == 2
    assert "once per config" in capsys.readouterr().err


def test_cli_joint_fit_of_two_juno_like_experiments(capsys):
    code = main(
        ["fit", "juno_nominal", "juno_2025_first_data", "--exposure", "100d", "--data", "asimov", "--data", RELEASE]
    )
    assert code == 2  # a joint fit keeps each config's exposure
    assert "--exposure" in capsys.readouterr().err
    code = main(
        ["fit", "juno_2025_first_data", "juno_nominal", "--data", RELEASE, "--data", "asimov", "--json", "--no-minos"]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(out["parameters"]) >= {"sin2_theta12", "juno_nominal:flux.norm", "juno_2025_first_data:flux.norm"}
    # the 6-year Asimov part dominates Δm²31; the release part alone cannot pin it to this precision
    alone = build_model(load_config("juno_nominal"))
    assert out["parameters"]["dm2_31"]["value"] == pytest.approx(alone.parameters["dm2_31"].value, rel=2e-3)


# ------------------------------------------------------------------------ with Daya Bay's release
def test_juno_and_dayabay_joint_links_dm2_32_through_dm2_21():
    pytest.importorskip("dayabay_data_official", reason="the Daya Bay data release is an optional extra")
    m = JointModel(JointConfig((load_config("juno_2025_first_data"), load_config("dayabay_nGd"))))
    assert any("constraint on sin2_theta13 dropped" in n for n in m.notes)
    assert any("solar" in n for n in m.notes)
    assert m.parameters["sin2_theta13"].error is None
    assert m.parameters["dm2_31"].error is None
    theta = m.theta(dm2_31=-2.5e-3, dm2_21=7.4e-5, sin2_theta13=0.022, sin2_theta12=0.31)
    dyb = m.parts[1]
    t = m.part_thetas(theta)[1]
    assert t[dyb.parameters.index("dm2_32")] == pytest.approx(-2.5e-3 - 7.4e-5, rel=1e-14)
    assert t[dyb.parameters.index("sin2_2theta13")] == pytest.approx(4 * 0.022 * 0.978, rel=1e-14)
    assert t[dyb.parameters.index("sin2_2theta12")] == pytest.approx(4 * 0.31 * 0.69, rel=1e-14)
    data = m.expected(m.theta())
    lik = Likelihood(m, data)
    _value, grad = lik.value_and_grad(theta)
    for name in ("sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31"):
        i = m.parameters.index(name)
        h = 1e-6 * abs(theta[i])
        up, dn = theta.copy(), theta.copy()
        up[i] += h
        dn[i] -= h
        fd = (lik(up) - lik(dn)) / (2 * h)
        assert grad[i] == pytest.approx(fd, rel=1e-5), name


def test_cli_joint_nmo_and_precision_run_at_each_configs_own_exposure(capsys):
    assert main(["nmo", "juno_nominal", "juno_2025_first_data", "--exposure", "6y"]) == 2
    assert "own exposure" in capsys.readouterr().err
    assert main(["nmo", "juno_nominal", "juno_2025_first_data", "--json"]) == 0
    joint = json.loads(capsys.readouterr().out)["exposures"]["own"]["dchi2"]
    assert main(["nmo", "juno_nominal", "--json"]) == 0
    alone = json.loads(capsys.readouterr().out)["exposures"]["6y"]["dchi2"]
    # 59 more days of data at the same true point cannot lower the Asimov Δχ²_NMO, and add little
    assert alone <= joint < alone + 0.5
    assert main(["precision", "juno_nominal", "juno_2025_first_data", "--json"]) == 0
    table = json.loads(capsys.readouterr().out)["exposures"]["own"]
    assert main(["precision", "juno_nominal", "--exposure", "6y", "--json"]) == 0
    single = json.loads(capsys.readouterr().out)["exposures"]["6y"]
    for name in ("sin2_theta12", "dm2_21", "dm2_31"):
        assert table[name]["rel"] <= single[name]["rel"] * (1 + 1e-3), name
        assert table[name]["rel_stat"] <= table[name]["rel"], name


def test_joint_nmo_and_precision_refusals_match_between_cli_and_api(capsys):
    # one check function each (juno_fit.studies.check_nmo / check_precision), called by the command line
    # before its cluster starts and by the API
    joint = JointConfig((jf.load_config("juno_nominal"), jf.load_config("juno_2025_first_data")))
    both = ["juno_nominal", "juno_2025_first_data"]
    for argv, call in (
        (["nmo", *both, "--exposure", "1y"], lambda: jf.nmo(joint, ["1y"])),
        (["nmo", *both, "--vacuum"], lambda: jf.nmo(joint, vacuum=True)),
        (["precision", *both, "--exposure", "1y"], lambda: jf.precision(joint, ["1y"])),
        (["precision", "juno_nominal"], lambda: jf.precision("juno_nominal", None)),
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()[-1]
        with pytest.raises(jf.JunoFitError) as info:
            call()
        assert str(info.value) in err, (argv, err)
