"""The predict command: JSON contract, text output, plot output (CLI contract, DESIGN.md §3)."""

from __future__ import annotations

import json

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
