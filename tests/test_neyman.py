"""Feldman–Cousins constructions (juno_fit/neyman.py, neyman_intervals.py, ``juno-fit fc`` and
``coverage``): critical values and intervals on known distributions, identical results for any number of
workers, resumption after SIGKILL, merging of split runs, refusals, and coverage."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import write_fast_config
from scipy.stats import chi2

from juno_fit.cli import main
from juno_fit.ensemble import same_toy
from juno_fit.neyman import (
    KEY_STRIDE,
    Construction,
    ConstructionSpec,
    DataProfile,
    read_construction,
)
from juno_fit.neyman_intervals import critical_values, intervals_1d, region_area

TOYS = 6
POINTS = ["--params", "sin2_theta12", "--range-a", "0.29", "0.33", "--points", "3"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("neyman")


@pytest.fixture(scope="module")
def config(folder):
    """juno_nominal at 100 days with a few systematics."""
    return write_fast_config(folder, name="quick.toml")


def _fc(config, out, *extra):
    return main(["fc", config, *POINTS, "--toys", str(TOYS), "-o", str(out), *extra])


@pytest.fixture(scope="module")
def reference(config, folder):
    out = folder / "reference.h5"
    assert _fc(config, out, "--workers", "2") == 0
    return read_construction(out)


def _assert_same(c, ref, keys=None):
    keys = sorted(ref.records) if keys is None else keys
    assert sorted(c.records) == sorted(keys)
    for k in keys:
        assert same_toy(c.records[k], ref.records[k]), f"toy {k % KEY_STRIDE} of point {k // KEY_STRIDE} differs"


# --------------------------------------------------------------------------------------------------
# Critical values and intervals on known inputs
# --------------------------------------------------------------------------------------------------


def _synthetic(samples: list[np.ndarray], grid, dchi2) -> Construction:
    spec = ConstructionSpec("c", "", 1.0, 1, "poisson", "d", False, ("a",), (tuple(grid),), ("a",))
    records = {}
    for p, s in enumerate(samples):
        for k, v in enumerate(s):
            records[p * KEY_STRIDE + k] = {"dchi2": float(v), "valid": True}
    n = len(grid)
    data = DataProfile(0.0, np.zeros(1), np.asarray(dchi2, dtype=float), np.zeros((n, 1)), np.ones(n, bool))
    return Construction(spec, data, records)


def test_critical_values_of_chi2_toys_are_the_chi2_quantiles():
    rng = np.random.default_rng(1)
    n = 20000
    c = _synthetic([chi2.rvs(1, size=n, random_state=rng) for _ in range(3)], [0.0, 1.0, 2.0], [5.0, 0.0, 5.0])
    crit = critical_values(c)
    for label, alpha in (("68.27", 0.6827), ("90", 0.90), ("95", 0.95)):
        exact = chi2.ppf(alpha, 1)
        values, errors = crit["critical"][label], crit["critical_error"][label]
        # the binomial error is that of the quantile: about √(α(1−α)/n)/pdf(x_α)
        expected_error = np.sqrt(alpha * (1 - alpha) / n) / chi2.pdf(exact, 1)
        np.testing.assert_allclose(errors, expected_error, rtol=0.3)
        assert np.all(np.abs(values - exact) < 4 * errors), label


def test_intervals_are_where_the_data_is_below_the_critical_value():
    x = np.linspace(0.0, 1.0, 11)
    f = (x - 0.5) ** 2 / 0.04 - 1.0  # ≤ 0 on [0.3, 0.7]
    (only,) = intervals_1d(x, f)
    assert only["interval"] == pytest.approx([0.3, 0.7], abs=1e-12)
    assert not only["open_low"]
    assert not only["open_high"]
    two = intervals_1d(x, np.cos(2 * np.pi * x * 2))  # ≤ 0 on (1/8, 3/8) and (5/8, 7/8)
    assert len(two) == 2
    edge = intervals_1d(x, x - 0.25)
    assert edge[0]["open_low"]
    assert edge[0]["interval"] == pytest.approx([0.0, 0.25])
    assert intervals_1d(x, np.ones(11)) == []


def test_region_area_of_a_disc():
    x = y = np.linspace(-2.0, 2.0, 41)
    gx, gy = np.meshgrid(x, y, indexing="ij")
    # a convex f interpolated bilinearly on a 0.1 grid lies above f between nodes: the area comes out
    # smaller by about h²/4 of the curvature per unit length (measured 0.27 %)
    assert region_area(x, y, gx**2 + gy**2 - 1.0) == pytest.approx(np.pi, rel=5e-3)


# --------------------------------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------------------------------


def test_reference_run_is_complete_and_sensible(reference, capsys):
    assert len(reference.records) == 3 * TOYS
    assert all(r["valid"] for r in reference.records.values())
    assert np.all(np.array([r["dchi2"] for r in reference.records.values()]) >= 0)
    # Asimov data at sin²θ12 = 0.307 (σ ≈ 0.006 at 100 days): the middle grid point (0.31) is nearest
    assert reference.data.dchi2[1] < 1.0 < min(reference.data.dchi2[0], reference.data.dchi2[2])
    assert np.median([r["calls"] for r in reference.records.values()]) < 25  # Newton fits, both


def test_one_and_two_workers_give_identical_results(config, folder, reference):
    out = folder / "one.h5"
    assert _fc(config, out, "--workers", "1", "--chunk", "2") == 0
    _assert_same(read_construction(out), reference)


def test_sigkill_halfway_then_rerun_completes_exactly(config, folder, reference):
    out = folder / "killed.h5"
    cmd = [sys.executable, "-m", "juno_fit.cli", "fc", config, *POINTS, "--toys", str(TOYS), "-o", str(out)]
    cmd += ["--workers", "1", "--chunk", "1", "--save-every", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, text=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the run ended before it could be killed: {proc.communicate()}")
        try:
            if len(read_construction(out).records) >= TOYS:
                break
        except Exception:
            pass
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    partial = read_construction(out)
    assert TOYS <= len(partial.records) < 3 * TOYS
    _assert_same(partial, reference, sorted(partial.records))
    assert _fc(config, out, "--workers", "1") == 0
    _assert_same(read_construction(out), reference)


def test_split_runs_merge_into_the_whole(config, folder, reference, capsys):
    a, b, merged = folder / "a.h5", folder / "b.h5", folder / "merged.h5"
    assert main(["fc", config, *POINTS, "--toys", "2", "-o", str(a), "--workers", "1"]) == 0
    assert main(["fc", config, *POINTS, "--first", "2", "--toys", "4", "-o", str(b), "--workers", "1"]) == 0
    assert main(["merge", str(a), str(b), "-o", str(merged)]) == 0
    _assert_same(read_construction(merged), reference)
    capsys.readouterr()
    assert main(["fc", config, *POINTS, "--toys", str(TOYS), "-o", str(merged), "--json", "--workers", "1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["run"]["fitted"] == 0  # nothing left to do
    assert set(doc["critical"]) == {"68.27", "90", "95", "99.73"}
    assert len(doc["dchi2_data"]) == len(doc["points"]) == 3
    (wilks,) = doc["intervals"]["68.27"]["wilks"]
    assert wilks["interval"][0] < 0.31 < wilks["interval"][1]  # the grid point next to the truth 0.307


def test_refusals(config, folder, reference, capsys):
    out = folder / "reference.h5"
    before = out.read_bytes()
    other = ["--params", "sin2_theta12", "--range-a", "0.29", "0.34", "--points", "3"]
    assert main(["fc", config, *other, "--toys", "2", "-o", str(out), "--workers", "1"]) == 2
    assert "different construction" in capsys.readouterr().err
    assert out.read_bytes() == before
    for argv, message in (
        (["--params", "theta", "--range-a", "0", "1"], "unknown parameter"),
        (["--params", "sin2_theta12", "--range-a", "-0.1", "0.3"], "within its limits"),
        (["--params", "sin2_theta12"], "--range-a"),
        (["--params", "a", "b", "c", "--range-a", "0", "1"], "one or two"),
    ):
        assert main(["fc", config, *argv, "--toys", "2", "-o", str(folder / "x.h5")]) == 2, argv
        assert message in capsys.readouterr().err, argv
        assert not (folder / "x.h5").exists()


def test_two_parameter_construction_and_its_plot(config, folder, capsys):
    out, plot = folder / "two.h5", folder / "two.png"
    argv = ["fc", config, "--params", "sin2_theta12", "dm2_21", "--range-a", "0.29", "0.33"]
    argv += ["--range-b", "7.3e-5", "7.8e-5", "--points", "3", "--toys", "3", "-o", str(out)]
    assert main([*argv, "--workers", "1", "--json", "--plot", str(plot)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["points"]) == 9
    assert doc["regions"]["95"]["wilks_area"] > doc["regions"]["68.27"]["wilks_area"] > 0
    assert plot.stat().st_size > 10_000


def test_coverage_runs_and_reports_binomial_errors(config, folder, capsys):
    argv = ["coverage", config, "--param", "sin2_theta12", "--truth", "0.3", "--toys", "8"]
    assert main([*argv, "-o", str(folder / "cov"), "--workers", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (row,) = doc["points"]
    assert row["toys"] == 8
    cov, err = row["wilks_68.27"]
    assert 0 <= cov <= 1
    assert err == pytest.approx(np.sqrt(cov * (1 - cov) / 8))
    assert main([*argv, "-o", str(folder / "cov"), "--workers", "1", "--json"]) == 0  # resumed: same table
    assert json.loads(capsys.readouterr().out)["points"] == doc["points"]


def test_api_gives_the_command_lines_document(config, folder, reference, capsys):
    import juno_fit as jf

    model = jf.build_model(jf.load_config(config))
    lik = jf.Likelihood(model, jf.asimov(model))
    grid = [np.linspace(0.29, 0.33, 3)]
    result = jf.feldman_cousins(lik, ["sin2_theta12"], grid, TOYS, output=folder / "reference.h5", progress=False)
    assert result.document["run"]["fitted"] == 0  # every toy is already in the file
    assert main(["fc", config, *POINTS, "--toys", str(TOYS), "-o", str(folder / "reference.h5"), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    for key in ("critical", "critical_error", "dchi2_data", "intervals", "points", "toys_per_point"):
        assert json.loads(json.dumps(result.to_dict()[key])) == cli[key], key
    assert "Feldman–Cousins" in repr(result)
    result.plot()
