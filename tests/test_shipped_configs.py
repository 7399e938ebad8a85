"""Every shipped config works with every command that applies to it, and the commands that do not
apply to it refuse it cleanly (exit 2, one line).

The loop is over ``configs/*.toml``: a config added later is tested without touching this file.
Commands run in-process through ``juno_fit.cli.main`` with small settings (few scan points, a 5 × 5
contour grid, two toys); each must end with its documented exit code and, with ``--json``, one
strict-JSON object whose numbers are all finite (a ``null`` is allowed only where the output
documents one, such as an interval outside the scan range).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from cli_contract import assert_finite_json, assert_refused, run_cli

from juno_fit.resources import input_dir

CONFIGS = sorted(p.stem for p in input_dir("configs").glob("*.toml"))

# A generous limit on each command: it fails a command that hangs instead of stalling the suite.
COMMAND_LIMIT_S = 600


def _kind(name: str) -> str:
    data = tomllib.loads((input_dir("configs") / f"{name}.toml").read_text(encoding="utf-8"))
    return data.get("experiment", {}).get("model", "juno")


def _needs_release(name: str) -> None:
    if _kind(name) == "dayabay":
        pytest.importorskip("dayabay_data_official", reason="Daya Bay's data release is not installed")


def _ok(argv: list[str], codes: tuple[int, ...] = (0,)) -> dict | None:
    code, out, err = run_cli(argv, limit=COMMAND_LIMIT_S)
    assert "Traceback" not in err, err
    assert code in codes, f"{' '.join(argv)} exited {code}: {err[-2000:]}"
    if "--json" not in argv:
        return None
    return assert_finite_json(out)


def _refused(argv: list[str]) -> str:
    code, out, err = run_cli(argv, limit=COMMAND_LIMIT_S)
    assert code == 2, f"{' '.join(argv)} exited {code}: {err[-2000:]}"
    return assert_refused(code, out, err)


def _exposure(name: str) -> list[str]:
    """A short exposure for the JUNO-like configs (their commands run at any exposure); none for a
    Daya Bay config (its release fixes the exposure)."""
    return [] if _kind(name) == "dayabay" else ["--exposure", "100d"]


def _scan_param(name: str) -> str:
    return "sin2_2theta13" if _kind(name) == "dayabay" else "dm2_31"


def _contour_params(name: str) -> list[str]:
    return ["sin2_2theta13", "dm2_32"] if _kind(name) == "dayabay" else ["sin2_theta12", "dm2_21"]


@pytest.mark.parametrize("name", CONFIGS)
def test_predict(name):
    _needs_release(name)
    data = _ok(["predict", name, "--json"])
    assert data
    _ok(["predict", name])


@pytest.mark.parametrize("name", CONFIGS)
def test_simulate_then_fit_its_data(name, tmp_path):
    """simulate (Asimov and a toy) at the config's own exposure, then fit each: the Asimov fit returns
    the true point, the toy fit converges."""
    _needs_release(name)
    asimov, toy = tmp_path / "asimov.h5", tmp_path / "toy.h5"
    _ok(["simulate", name, "-o", str(asimov)])
    _ok(["simulate", name, "--toy", "3", "-o", str(toy)])
    result = _ok(["fit", name, "--data", str(asimov), "--no-minos", "--json"], codes=(0, 1))
    assert result["valid"]
    for pname, p in result["parameters"].items():
        if p["free"] and pname.startswith(("sin2", "dm2")):
            assert p["error"] > 0
    _ok(["fit", name, "--data", str(toy), "--no-minos", "--json"], codes=(0, 1))


@pytest.mark.parametrize("name", CONFIGS)
def test_fit_with_outputs(name, tmp_path):
    """fit with MINOS, a result file and every plot; a second run without --force is refused and
    leaves the files as they were."""
    _needs_release(name)
    out, plot = tmp_path / "r.h5", tmp_path / "fit.png"
    argv = ["fit", name, *_exposure(name), "-o", str(out), "--plot", str(plot), "--json"]
    data = _ok(argv, codes=(0,))
    assert data["valid"]
    before = out.read_bytes()
    assert "exists; pass --force" in _refused(argv)
    assert out.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("name", CONFIGS)
def test_scan(name):
    _needs_release(name)
    data = _ok(["scan", name, *_exposure(name), "--param", _scan_param(name), "--points", "3", "--json"])
    assert len(data["points"]) == 3
    assert not data["failed_points"]


@pytest.mark.slow
@pytest.mark.parametrize("name", CONFIGS)
def test_contour(name):
    _needs_release(name)
    argv = ["contour", name, *_exposure(name), "--params", *_contour_params(name), "--points", "5", "--workers", "1"]
    data = _ok([*argv, "--json"])
    assert data["results"][0]["failed_points"] == 0


@pytest.mark.parametrize("name", CONFIGS)
def test_toys_summary_merge(name, tmp_path):
    _needs_release(name)
    a, b, merged = tmp_path / "a.h5", tmp_path / "b.h5", tmp_path / "m.h5"
    base = ["toys", name, *_exposure(name), "--n", "2", "--workers", "1"]
    _ok([*base, "-o", str(a), "--json"])
    _ok([*base, "--first", "2", "-o", str(b), "--json"])
    _ok(["merge", str(a), str(b), "-o", str(merged)])
    data = _ok(["summary", str(merged), "--json"])
    assert data["toys"] == 4


@pytest.mark.parametrize("name", CONFIGS)
def test_ordering_and_precision(name):
    """nmo and precision apply to the JUNO-like configs; a Daya Bay config is refused by both with one
    line (no ordering test; its release fixes the exposure)."""
    _needs_release(name)
    if _kind(name) == "dayabay":
        assert "nmo needs a JUNO-like config" in _refused(["nmo", name, "--json"])
        assert "exposure" in _refused(["precision", name, "--exposure", "100d", "--json"])
        return
    data = _ok(["nmo", name, "--exposure", "100d", "--json"])
    assert data["exposures"]["100d"]["dchi2"] >= 0
    data = _ok(["precision", name, "--exposure", "100d", "--json"])
    assert data["exposures"]


def test_every_shipped_config_is_covered():
    assert {"juno_nominal", "juno_2025_first_data", "dayabay_nGd"} <= set(CONFIGS)
    assert all(Path(input_dir("configs") / f"{n}.toml").is_file() for n in CONFIGS)
