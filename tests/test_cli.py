"""The predict command: JSON contract, text output, plot output (CLI contract, DESIGN.md §3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from juno_fit.cli import main


@pytest.fixture(scope="module")
def predict_json():
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["predict", "juno_nominal", "--json"]) == 0
    return out.getvalue()


def test_json_is_one_object_with_the_documented_keys(predict_json):
    data = json.loads(predict_json)  # exactly one JSON document on stdout
    assert set(data) == {"ibd_per_day", "backgrounds_per_day", "events", "bins"}
    assert set(data["ibd_per_day"]) == {"total", "unoscillated", "cores"}
    assert list(data["ibd_per_day"]["cores"]) == ["TS1", "TS2", "YJ1", "YJ2", "YJ3", "YJ4", "YJ5", "YJ6", "DYB"]
    assert set(data["backgrounds_per_day"]) == {
        "geo",
        "world_reactors",
        "accidentals",
        "li9he8",
        "atm_nc",
        "fast_neutrons",
        "c13_alpha_n",
    }
    assert set(data["events"]) == {"ibd", "background"}
    assert data["bins"] == 340


def test_json_numbers_are_consistent(predict_json, nominal_config):
    data = json.loads(predict_json)
    rates = data["ibd_per_day"]
    assert sum(rates["cores"].values()) == pytest.approx(rates["total"], rel=1e-12)
    assert rates["unoscillated"] > 2.5 * rates["total"]  # ⟨P_ee⟩ ≈ 0.32 at JUNO
    days = nominal_config.exposure_days
    duty = nominal_config.detectors[0].duty_cycle
    assert data["events"]["ibd"] == pytest.approx(rates["total"] * days * duty, rel=1e-12)
    assert data["events"]["background"] == pytest.approx(sum(data["backgrounds_per_day"].values()) * days, rel=1e-12)


def test_text_output(capsys):
    assert main(["predict", "juno_nominal"]) == 0
    out = capsys.readouterr().out
    assert "TS1" in out
    assert "total" in out
    assert "340 bins" in out


def test_plot_is_written_atomically(tmp_path, capsys):
    target = tmp_path / "spectrum.png"
    assert main(["predict", "juno_nominal", "--plot", str(target)]) == 0
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["spectrum.png"]  # no temporary file left behind
    import os

    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # as a normally created file, not mkstemp's 0600
    pdf = tmp_path / "spectrum.pdf"
    assert main(["predict", "juno_nominal", "--plot", str(pdf)]) == 0
    assert pdf.read_bytes()[:4] == b"%PDF"


def test_plot_into_missing_folder_is_a_user_error(tmp_path, capsys):
    assert main(["predict", "juno_nominal", "--plot", str(tmp_path / "nope" / "x.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "does not exist" in err[0]


def test_unknown_command_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2


# ----- simulate / fit / precision -----


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_simulate_then_fit_json(fast_config, tmp_path, capsys):
    data = tmp_path / "toy.h5"
    assert main(["simulate", fast_config, "-o", str(data), "--toy", "11"]) == 0
    capsys.readouterr()
    out = _json(capsys, ["fit", fast_config, "--data", str(data), "--json", "--no-minos"])
    assert set(out) >= {"parameters", "derived", "fval", "ndof", "valid", "nfev", "statistic"}
    assert out["statistic"] == "poisson"
    assert out["valid"] is True
    assert out["ndof"] == 336
    p = out["parameters"]["dm2_31"]
    assert set(p) == {"value", "error", "minos", "free"}
    assert p["free"] is True
    assert p["minos"] is None
    assert set(out["derived"]) == {"dm2_32", "dm2_ee", "sin2_2theta13"}
    # a Poisson toy at 100 days: χ²/ndf near 1 (the 336-bin deviance has σ ≈ √(2·336) ≈ 26)
    assert 200 < out["fval"] < 480


def test_fit_asimov_with_minos_and_result_file(fast_config, tmp_path, capsys):
    result = tmp_path / "result.h5"
    out = _json(capsys, ["fit", fast_config, "--json", "-o", str(result)])
    lo, hi = out["parameters"]["sin2_theta12"]["minos"]
    assert lo < 0 < hi
    assert out["fval"] < 1e-6
    import h5py

    with h5py.File(result) as f:
        assert f.attrs["format"] == "juno-fit fit result"
        assert "[oscillation]" in f.attrs["config_text"]
        names = [n.decode() for n in f["parameters/names"][()]]
        assert names[0] == "sin2_theta12"
    # never overwrite without --force
    assert main(["fit", fast_config, "-o", str(result)]) == 2
    assert "--force" in capsys.readouterr().err


def test_fit_refuses_foreign_or_mismatched_data(fast_config, tmp_path, capsys):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5")
    assert main(["fit", fast_config, "--data", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "not an HDF5 file" in err[0]
    other = tmp_path / "other.h5"
    assert main(["simulate", fast_config, "-o", str(other)]) == 0
    text = Path(fast_config).read_text() + "\n[detectors.JUNO.override.binning]\nedges = [1.0, 2.0, 3.0]\n"
    rebinned = tmp_path / "rebinned.toml"
    rebinned.write_text(text)
    capsys.readouterr()
    assert main(["fit", str(rebinned), "--data", str(other)]) == 2
    assert "does not match" in capsys.readouterr().err


def test_simulate_asimov_refuses_nuisance_throw(fast_config, tmp_path, capsys):
    assert main(["simulate", fast_config, "-o", str(tmp_path / "x.h5"), "--throw-nuisances"]) == 2
    assert not (tmp_path / "x.h5").exists()


def test_precision_json(fast_config, capsys):
    out = _json(capsys, ["precision", fast_config, "--exposure", "100d", "--exposure", "1y", "--json"])
    assert list(out["exposures"]) == ["100d", "1y"]
    row = out["exposures"]["100d"]
    assert set(row) == {"sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31"}
    for name, cell in row.items():
        assert set(cell) == {"rel", "rel_stat"}
        assert cell["rel"] >= cell["rel_stat"] > 0, name
    # statistics dominate: more exposure, better precision (√(365/100) ≈ 1.9 for pure statistics)
    assert out["exposures"]["1y"]["dm2_31"]["rel_stat"] < row["dm2_31"]["rel_stat"] / 1.8
