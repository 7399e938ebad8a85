"""Profiled Δχ² surfaces as files (``scan --save``, ``contour --save``, the grid in ``contour --json``)
and JUNO's published Δχ² map (Fig. 4 of arXiv:2511.14593) read by the same reader."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from juno_fit.cli import main
from juno_fit.errors import DataError
from juno_fit.profile_io import Profile, read_profile, read_profile_csv, write_profile

ROOT = Path(__file__).resolve().parents[1]
OFFICIAL = ROOT / "detector" / "juno2025" / "fig4_JUNO_DeltaChi2_59.1days.csv"
RELEASE = ROOT / "detector" / "juno2025" / "fig3_panel_a_data.csv"


def test_official_map_is_a_100_by_100_grid_with_the_published_minimum():
    p = read_profile_csv(OFFICIAL)
    assert p.names == ["Delta m^2_21 [x 10^{-5} eV^2]", "sin^2(theta_12)"]
    dm2, s12 = p.axes
    assert p.dchi2.shape == (100, 100)
    assert (dm2[0], dm2[-1], s12[0], s12[-1]) == (6.9, 8.1, 0.26, 0.36)
    i, j = np.unravel_index(np.argmin(p.dchi2), p.dchi2.shape)
    # the published point, sin²θ12 = 0.3092, Δm²21 = 7.50 × 10⁻⁵ eV², within one grid step
    assert abs(s12[j] - 0.3092) < 0.00102
    assert abs(dm2[i] - 7.50) < 0.0122
    assert p.dchi2.min() == pytest.approx(0.003)


@pytest.mark.parametrize("suffix", [".csv", ".h5"])
def test_profile_round_trip(tmp_path, suffix):
    axes = [np.linspace(0.28, 0.34, 7), np.linspace(7.2e-5, 7.8e-5, 5)]
    dchi2 = np.add.outer((axes[0] - 0.31) ** 2 * 1e4, (axes[1] - 7.5e-5) ** 2 * 1e14)
    profile = Profile(["sin2_theta12", "dm2_21"], axes, dchi2, np.ones_like(dchi2, bool), {"config": "x", "fmin": 1.5})
    path = write_profile(profile, tmp_path / f"p{suffix}")
    back = read_profile(path)
    assert back.names[:2] == ["sin2_theta12", "dm2_21"]
    for a, b in zip(back.axes, axes, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9)
    np.testing.assert_allclose(back.dchi2, dchi2, rtol=1e-9, atol=1e-12)
    with pytest.raises(DataError, match="exists"):
        write_profile(profile, path)


def test_csv_rows_follow_the_first_parameter_outermost(tmp_path):
    profile = Profile(["a", "b"], [np.array([1.0, 2.0]), np.array([10.0, 20.0, 30.0])], np.arange(6.0).reshape(2, 3))
    path = write_profile(profile, tmp_path / "p.csv")
    rows = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    assert rows[0] == "a,b,Delta chi^2"
    assert rows[1:4] == ["1,10,0", "1,20,1", "1,30,2"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b,chi2\n1,1,0\n1,2,1\n2,1,2\n", "do not fill"),
        ("a,b,chi2\n1,1,0\n1,1,1\n2,1,2\n2,2,3\n", "appear twice"),
        ("a,b,chi2\n1,1,x\n", "not a number"),
        ("a,b,chi2\n1,1,nan\n", "non-finite"),
        ("# only a comment\n", "no Δχ² rows"),
    ],
)
def test_malformed_tables_are_refused(tmp_path, text, message):
    path = tmp_path / "m.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        read_profile_csv(path)


def test_contour_json_grid_and_save_on_the_official_nodes(tmp_path, capsys):
    # A corner of the official map's grid: --range with --points-a/--points-b gives exactly those
    # nodes, end points included; the JSON grid and the saved CSV hold the same profiled Δχ².
    out = tmp_path / "grid.csv"
    args = ["contour", "juno_2025_first_data", "--data", str(RELEASE), "--params", "sin2_theta12", "dm2_21"]
    args += ["--range-a", "0.30", "0.32", "--points-a", "6", "--range-b", "7.3e-5", "7.7e-5", "--points-b", "5"]
    assert main([*args, "--save", str(out), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)["results"][0]
    grid = res["grid"]
    np.testing.assert_allclose(grid["a"], np.linspace(0.30, 0.32, 6))
    np.testing.assert_allclose(grid["b"], np.linspace(7.3e-5, 7.7e-5, 5))
    dchi2 = np.array(grid["dchi2"])
    assert dchi2.shape == (6, 5)
    assert dchi2.min() >= 0
    saved = read_profile_csv(out)
    np.testing.assert_allclose(saved.dchi2, dchi2, rtol=1e-8, atol=1e-8)
    # the same grid again without --force is refused before any work
    assert main([*args, "--save", str(out)]) == 2
    assert "exists" in capsys.readouterr().err


def test_scan_save_hdf5(tmp_path, capsys):
    out = tmp_path / "scan.h5"
    args = ["scan", "juno_2025_first_data", "--data", str(RELEASE), "--param", "dm2_21"]
    assert main([*args, "--range", "7.2e-5", "7.8e-5", "--points", "7", "--save", str(out), "--json"]) == 0
    points = np.array(json.loads(capsys.readouterr().out)["points"])
    saved = read_profile(out)
    assert saved.names == ["dm2_21"]
    assert saved.meta["statistic"] == "cnp"
    np.testing.assert_allclose(saved.axes[0], points[:, 0])
    np.testing.assert_allclose(saved.dchi2, points[:, 1])
    assert saved.valid.all()


def test_save_refuses_several_configs_and_bad_suffixes(tmp_path, capsys):
    base = ["contour", "juno_2025_first_data", "--params", "sin2_theta12", "dm2_21", "--points", "5"]
    assert main([*base, "--exposure", "100d", "--exposure", "1y", "--save", str(tmp_path / "g.csv")]) == 2
    assert "one config at one exposure" in capsys.readouterr().err
    assert main([*base, "--save", str(tmp_path / "g.txt")]) == 2
    assert "--save" in capsys.readouterr().err
