"""Tests of config validation (juno_fit.config) and of how the command line reports bad inputs.

Every bad input must end in one line ``juno-fit: error: <file>: <key>: <message>`` on stderr and exit
code 2, naming the file the user has to edit: the config file for values overridden from it, the
detector or site file for values read from there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from juno_fit.cli import main
from juno_fit.config import DAYS_PER_YEAR, load_config, parse_exposure
from juno_fit.errors import ConfigError
from juno_fit.resources import input_dir

NOMINAL = input_dir("configs") / "juno_nominal.toml"
DETECTOR = input_dir("detector") / "juno.toml"
SITE = input_dir("spectra") / "juno_site.toml"

CONFIG_NAME = "config.toml"
DETECTOR_NAME = "det.toml"
SITE_NAME = "site.toml"


# --------------------------------------------------------------------------------------------------
# Helpers: write modified copies of the shipped inputs into tmp_path
# --------------------------------------------------------------------------------------------------


def _replace(text: str, old: str, new: str) -> str:
    """Replace ``old``, which must occur exactly once (so that a changed input fails loudly)."""
    assert text.count(old) == 1, f"expected exactly one {old!r} in the input text"
    return text.replace(old, new)


def _write_config(
    tmp_path: Path,
    *,
    replace: tuple[tuple[str, str], ...] = (),
    prepend: str = "",
    append: str = "",
    detector: str | None = None,
    site: str | None = None,
) -> str:
    """Write the nominal config, modified, to tmp_path/config.toml and return its path."""
    text = NOMINAL.read_text(encoding="utf-8")
    for old, new in replace:
        text = _replace(text, old, new)
    if detector is not None:
        text = _replace(text, 'detector = "juno"', f'detector = "{detector}"')
    if site is not None:
        text = _replace(text, 'site = "juno_site"', f'site = "{site}"')
    path = tmp_path / CONFIG_NAME
    path.write_text(prepend + text + "\n" + append + "\n", encoding="utf-8")
    return str(path)


def _write_detector(tmp_path: Path, *replace: tuple[str, str], text: str | None = None) -> None:
    """Copy detector/juno.toml to tmp_path/det.toml with its data paths made absolute."""
    text = DETECTOR.read_text(encoding="utf-8") if text is None else text
    for old, new in replace:
        text = _replace(text, old, new)
    folder = DETECTOR.parent.as_posix()
    assert 'table = "' in text
    text = text.replace('table = "', f'table = "{folder}/')
    (tmp_path / DETECTOR_NAME).write_text(text, encoding="utf-8")


def _write_site(tmp_path: Path, *replace: tuple[str, str], text: str | None = None) -> None:
    """Copy spectra/juno_site.toml to tmp_path/site.toml, modified."""
    text = SITE.read_text(encoding="utf-8") if text is None else text
    for old, new in replace:
        text = _replace(text, old, new)
    (tmp_path / SITE_NAME).write_text(text, encoding="utf-8")


def _config_with_detector(tmp_path: Path, *replace: tuple[str, str], text: str | None = None) -> str:
    _write_detector(tmp_path, *replace, text=text)
    return _write_config(tmp_path, detector=DETECTOR_NAME)


def _config_with_site(tmp_path: Path, *replace: tuple[str, str], text: str | None = None) -> str:
    _write_site(tmp_path, *replace, text=text)
    return _write_config(tmp_path, site=SITE_NAME)


def _detector_with_edges(edges: str) -> str:
    """The detector text with its [binning] segments replaced by an explicit edges list."""
    text = DETECTOR.read_text(encoding="utf-8")
    new, n = re.subn(r"(?ms)^segments = \[.*?^\]\n", f"edges = {edges}\n", text)
    assert n == 1, "could not find the [binning] segments array in detector/juno.toml"
    return new


def _site_without_cores() -> str:
    """The site text with every [cores.X] table removed and an empty inline ``cores = {}``."""
    text = SITE.read_text(encoding="utf-8")
    head = text[: text.index("[cores.")]
    return head.replace("fission_fractions =", "cores = {}\nfission_fractions =", 1)


def _run_predict(argv: list[str]) -> tuple[int, str, str]:
    """Run ``juno-fit predict`` in-process, returning (code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["predict", *argv])
    return code, out.getvalue(), err.getvalue()


def _predict_json(argv: list[str]) -> dict:
    code, out, err = _run_predict([*argv, "--json"])
    assert code == 0, err
    return json.loads(out)


# --------------------------------------------------------------------------------------------------
# Bad inputs: one line on stderr, exit code 2, the right file and key
# --------------------------------------------------------------------------------------------------

Setup = Callable[[Path], list[str]]


def _cfg(**kwargs) -> Setup:
    return lambda tmp: [_write_config(tmp, **kwargs)]


def _det(*replace: tuple[str, str], text: Callable[[], str] | None = None) -> Setup:
    return lambda tmp: [_config_with_detector(tmp, *replace, text=None if text is None else text())]


def _site(*replace: tuple[str, str], text: Callable[[], str] | None = None) -> Setup:
    return lambda tmp: [_config_with_site(tmp, *replace, text=None if text is None else text())]


def _override(table: str, body: str) -> Setup:
    return _cfg(append=f"[{table}]\n{body}\n")


OSC = "[oscillation]\n"

BAD_INPUTS = [
    # 1. unknown keys (the message lists the accepted ones)
    pytest.param(
        _cfg(prepend="colour = 1\n"),
        "config",
        "colour",
        ("unknown key", "accepted", "experiment", "oscillation", "detectors"),
        id="unknown-key-top-level",
    ),
    pytest.param(
        _cfg(replace=((OSC, OSC + "sin2_theta23 = 0.5\n"),)),
        "config",
        "oscillation.sin2_theta23",
        ("unknown key", "accepted", "sin2_theta12", "dm2_31", "matter"),
        id="unknown-key-oscillation",
    ),
    pytest.param(
        _override("detectors.JUNO.override", "efficency = 0.5"),
        "config",
        "detectors.JUNO.override.efficency",
        ("unknown key", "accepted", "efficiency"),
        id="unknown-key-detector-override",
    ),
    pytest.param(
        _cfg(replace=(('site = "juno_site"', 'site = "juno_site"\ncolour = 1'),)),
        "config",
        "detectors.JUNO.colour",
        ("unknown key", "accepted", "detector", "site", "override"),
        id="unknown-key-detector-entry",
    ),
    pytest.param(
        _det(("efficiency = 0.822", "efficiency = 0.822\ncolour = 1")),
        "detector",
        "colour",
        ("unknown key", "accepted", "efficiency"),
        id="unknown-key-detector-file",
    ),
    # 2. wrong types
    pytest.param(
        _cfg(replace=(("sin2_theta12 = 0.307", 'sin2_theta12 = "0.3"'),)),
        "config",
        "oscillation.sin2_theta12",
        ("must be a number", "'0.3'"),
        id="wrong-type-sin2_theta12-string",
    ),
    pytest.param(
        _cfg(replace=(('exposure = "6y"', "exposure = true"),)),
        "config",
        "experiment.exposure",
        ('"100d"', '"6y"', "True"),
        id="wrong-type-exposure-bool",
    ),
    pytest.param(
        _override("detectors.JUNO.site_override.cores.TS1", 'power_gw = "4.6"'),
        "config",
        "detectors.JUNO.site_override.cores.TS1.power_gw",
        ("must be a number", "'4.6'"),
        id="wrong-type-power-site-override",
    ),
    pytest.param(
        _cfg(replace=(('site = "juno_site"', 'site = "juno_site"\noverride = 5'),)),
        "config",
        "detectors.JUNO.override",
        ("must be a table",),
        id="wrong-type-override-not-table",
    ),
    # 3. negative power
    pytest.param(
        _override("detectors.JUNO.site_override.cores.TS1", "power_gw = -1.0"),
        "config",
        "detectors.JUNO.site_override.cores.TS1.power_gw",
        ("[0, 50]", "-1"),
        id="negative-power-site-override",
    ),
    pytest.param(
        _site(("power_gw = 4.6\nbaseline_km = 52.77", "power_gw = -1.0\nbaseline_km = 52.77")),
        "site",
        "cores.TS1.power_gw",
        ("[0, 50]", "-1"),
        id="negative-power-site-file",
    ),
    # 4. efficiency > 1
    pytest.param(
        _override("detectors.JUNO.override", "efficiency = 1.2"),
        "config",
        "detectors.JUNO.override.efficiency",
        ("(0, 1]", "1.2"),
        id="efficiency-above-1-override",
    ),
    pytest.param(
        _det(("efficiency = 0.822", "efficiency = 1.2")),
        "detector",
        "efficiency",
        ("(0, 1]", "1.2"),
        id="efficiency-above-1-detector-file",
    ),
    pytest.param(
        _override("detectors.JUNO.override.resolution", "a = -0.03"),
        "config",
        "detectors.JUNO.override.resolution.a",
        ("[0, 1]",),
        id="resolution-negative-override",
    ),
    # 5. sin² outside [0, 1]
    pytest.param(
        _cfg(replace=(("sin2_theta13 = 0.0218", "sin2_theta13 = 1.5"),)),
        "config",
        "oscillation.sin2_theta13",
        ("(0, 1)", "1.5"),
        id="sin2_theta13-above-1",
    ),
    pytest.param(
        _cfg(replace=(("sin2_theta12 = 0.307", "sin2_theta12 = -0.1"),)),
        "config",
        "oscillation.sin2_theta12",
        ("(0, 1)", "-0.1"),
        id="sin2_theta12-negative",
    ),
    pytest.param(
        _cfg(replace=(("sin2_theta13 = 0.0218", "sin2_theta13 = nan"),)),
        "config",
        "oscillation.sin2_theta13",
        ("finite",),
        id="sin2_theta13-nan",
    ),
    # 6. missing referenced files
    pytest.param(
        _cfg(detector="./nope.toml"),
        "config",
        "detectors.JUNO.detector",
        ("not found", "nope.toml"),
        id="missing-detector-file",
    ),
    pytest.param(
        _cfg(site="missing/site.toml"),
        "config",
        "detectors.JUNO.site",
        ("not found", "missing/site.toml"),
        id="missing-site-file",
    ),
    pytest.param(
        _det(('table = "juno_lsnl_positron_2021band.csv"', 'table = "no_such_lsnl.csv"')),
        "detector",
        "nonlinearity.table",
        ("not found", "no_such_lsnl.csv"),
        id="missing-nonlinearity-csv",
    ),
    pytest.param(
        _override("detectors.JUNO.override.backgrounds.geo", 'table = "no_such_geo.csv"'),
        "config",
        "detectors.JUNO.override.backgrounds.geo.table",
        ("not found", "no_such_geo.csv"),
        id="missing-background-csv-override",
    ),
    # 7. malformed TOML
    pytest.param(
        _cfg(replace=(('exposure = "6y"', 'exposure = "6y'),)),
        "config",
        "",
        ("malformed TOML",),
        id="malformed-toml-config",
    ),
    pytest.param(
        _det(("efficiency = 0.822", "efficiency = = 0.822")),
        "detector",
        "",
        ("malformed TOML",),
        id="malformed-toml-detector-file",
    ),
    # 8. unknown names
    pytest.param(
        _cfg(detector="junoo"),
        "config",
        "detectors.JUNO.detector",
        ("unknown detector", "'junoo'", "accepted", "juno"),
        id="unknown-detector-name",
    ),
    pytest.param(
        _cfg(site="juno_sit"),
        "config",
        "detectors.JUNO.site",
        ("unknown site", "'juno_sit'", "accepted", "juno_site"),
        id="unknown-site-name",
    ),
    pytest.param(
        lambda tmp: ["no_such_config"],
        "no_such_config",
        "",
        ("unknown config name", "accepted", "juno_nominal"),
        id="unknown-config-name",
    ),
    pytest.param(
        _cfg(replace=(('spectra = "huber_mueller"', 'spectra = "huber_muller"'),)),
        "config",
        "flux.spectra",
        ("'huber_muller'", "accepted", "huber_mueller"),
        id="unknown-spectra-name",
    ),
    # 9. empty core list
    pytest.param(
        _site(text=_site_without_cores),
        "site",
        "cores",
        ("at least one core",),
        id="empty-core-list",
    ),
    # 10. bin edges
    pytest.param(
        _det(text=lambda: _detector_with_edges("[0.8, 1.0, 0.9, 2.0]")),
        "detector",
        "binning.edges",
        ("strictly increasing", "0.9"),
        id="non-increasing-bin-edges",
    ),
    pytest.param(
        _det(("[0.94, 7.44, 0.02]", "[0.94, 7.44, 0.03]")),
        "detector",
        "binning.segments[1]",
        ("width 0.03 does not divide",),
        id="segment-width-not-dividing-detector-file",
    ),
    pytest.param(
        _override("detectors.JUNO.override.binning", "segments = [[0.8, 12.0, 0.3]]"),
        "config",
        "detectors.JUNO.override.binning.segments[0]",
        ("width 0.3 does not divide",),
        id="segment-width-not-dividing-override",
    ),
    # 11. more values
    pytest.param(
        _cfg(replace=(("dm2_31 = 2.5283e-3", "dm2_31 = 0"),)),
        "config",
        "oscillation.dm2_31",
        ("non-zero",),
        id="dm2_31-zero",
    ),
    pytest.param(
        _cfg(replace=(('exposure = "6y"', 'exposure = "6 weeks"'),)),
        "config",
        "experiment.exposure",
        ('"100d"', '"6y"', "'6 weeks'"),
        id="exposure-6-weeks",
    ),
    pytest.param(
        lambda tmp: ["juno_nominal", "--exposure", "6 weeks"],
        "--exposure",
        "exposure",
        ('"100d"', '"6y"', "'6 weeks'"),
        id="exposure-option-6-weeks",
    ),
    pytest.param(
        _cfg(replace=(('matter = "knp"', 'matter = "maybe"'),)),
        "config",
        "oscillation.matter",
        ("'maybe'", "accepted", "vacuum", "knp", "exact"),
        id="matter-maybe",
    ),
    pytest.param(
        _cfg(replace=(('cross_section = "vogel_beacom"', 'cross_section = "vb"'),)),
        "config",
        "ibd.cross_section",
        ("accepted", "vogel_beacom", "strumia_vissani"),
        id="cross-section-unknown",
    ),
    pytest.param(
        _site(("U235 = 0.58, U238 = 0.07", "U235 = 0.68, U238 = 0.07")),
        "site",
        "fission_fractions",
        ("sum to 1", "1.1"),
        id="fission-fractions-sum-site-file",
    ),
    pytest.param(
        _override(
            "detectors.JUNO.site_override.cores.TS1.fission_fractions",
            "U235 = 0.9\nU238 = 0.07\nPu239 = 0.30\nPu241 = 0.05",
        ),
        "config",
        "detectors.JUNO.site_override.cores.TS1.fission_fractions",
        ("sum to 1", "1.32"),
        id="fission-fractions-sum-core-override",
    ),
    pytest.param(
        _override("detectors.JUNO.site_override.fission_fractions", "U235 = 0.9"),
        "config",
        "detectors.JUNO.site_override.fission_fractions",
        ("sum to 1", "1.32"),
        id="fission-fractions-sum-site-default-override",
    ),
    pytest.param(
        _override("detectors.JUNO.override.resolution", "a = 0.0\nb = 0.0\nc = 0.0"),
        "config",
        "detectors.JUNO.override.resolution",
        ("cannot all be zero",),
        id="resolution-all-zero-override",
    ),
    pytest.param(
        _cfg(replace=(("dm2_21 = 7.53e-5\n", ""),)),
        "config",
        "oscillation.dm2_21",
        ("missing required key",),
        id="missing-dm2_21",
    ),
    pytest.param(
        _override("detectors.JUNO.override.backgrounds.geo", 'shape = "gaussian"'),
        "config",
        "detectors.JUNO.override.backgrounds.geo.shape",
        ("'gaussian'", "accepted", "table", "histogram", "reactor", "flat"),
        id="background-unknown-shape-override",
    ),
    pytest.param(
        _det(('shape_uncertainty = 0.50\nshape = "flat"', 'shape_uncertainty = 0.50\nshape = "box"')),
        "detector",
        "backgrounds.atm_nc.shape",
        ("'box'", "accepted", "table", "histogram", "reactor", "flat"),
        id="background-unknown-shape-detector-file",
    ),
    pytest.param(
        _override("detectors.JUNO.site_override.cores.NEW", "power_gw = 1.0"),
        "config",
        "detectors.JUNO.site_override.cores.NEW.baseline_km",
        ("missing required key",),
        id="new-core-missing-baseline",
    ),
    pytest.param(
        _cfg(prepend='"a\\nb" = 1\n'),
        "config",
        "a\\nb",  # control characters in a key are escaped so the error stays on one line
        ("unknown key",),
        id="unknown-key-with-newline",
    ),
]


@pytest.mark.parametrize(("setup", "where", "key", "needles"), BAD_INPUTS)
def test_bad_input_is_one_line_error(tmp_path, capsys, setup, where, key, needles):
    """A bad input exits with 2 and one line naming the file to edit, the dotted key and the accepted values."""
    argv = setup(tmp_path)
    code = main(["predict", *argv])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert captured.err.endswith("\n")
    line = lines[0]
    assert line.startswith("juno-fit: error: ")
    file = {"config": CONFIG_NAME, "detector": DETECTOR_NAME, "site": SITE_NAME}.get(where)
    expected_file = str(tmp_path / file) if file else where
    prefix = f"juno-fit: error: {expected_file}: " + (f"{key}: " if key else "")
    assert line.startswith(prefix), f"expected prefix {prefix!r}, got {line!r}"
    message = line[len(prefix) :]
    assert message.strip()
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"


def test_bad_config_subprocess(tmp_path):
    """The real process exits with code 2 and writes one line, no traceback."""
    path = _write_config(tmp_path, replace=(('matter = "knp"', 'matter = "maybe"'),))
    proc = subprocess.run(
        [sys.executable, "-m", "juno_fit.cli", "predict", path],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"juno-fit: error: {path}: oscillation.matter: ")
    assert "accepted" in lines[0]


def test_load_config_raises_config_error(tmp_path):
    """load_config raises ConfigError carrying file, key and message separately."""
    path = _write_config(tmp_path, append="[detectors.JUNO.override]\nefficiency = 1.2")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.file == path
    assert info.value.key == "detectors.JUNO.override.efficiency"
    assert "(0, 1]" in info.value.message


# --------------------------------------------------------------------------------------------------
# Exposure parsing
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "days"),
    [
        pytest.param("100d", 100.0, id="100d"),
        pytest.param("6y", 6 * 365.25, id="6y"),
        pytest.param("20y", 20 * 365.25, id="20y"),
        pytest.param("2.5y", 2.5 * 365.25, id="2.5y"),
        pytest.param(2.5, 2.5, id="2.5-days"),
        pytest.param(100, 100.0, id="100-days-int"),
    ],
)
def test_parse_exposure(value, days):
    """Exposure strings and numbers become days (a year is 365.25 d)."""
    assert parse_exposure(value, "f.toml", "experiment.exposure") == days


def test_days_per_year_is_julian():
    """6 years of data taking are 6 × 365.25 days."""
    assert DAYS_PER_YEAR == 365.25


@pytest.mark.parametrize(
    "value",
    ["6 weeks", "6", "y", "", "-1d", "0d", 0, -3.0, True, float("inf"), [6], "1e400d"],
    ids=repr,
)
def test_parse_exposure_rejects(value):
    """Bad exposures raise ConfigError naming the given file and key."""
    with pytest.raises(ConfigError) as info:
        parse_exposure(value, "f.toml", "experiment.exposure")
    assert info.value.file == "f.toml"
    assert info.value.key == "experiment.exposure"


# --------------------------------------------------------------------------------------------------
# Overrides that work, through predict --json
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nominal_json():
    """``juno-fit predict juno_nominal --json`` (6 years)."""
    return _predict_json(["juno_nominal"])


def test_exposure_option_scales_events(nominal_json):
    """--exposure 100d replaces the config's 6y: event counts scale by 100/(6 × 365.25), rates do not."""
    short = _predict_json(["juno_nominal", "--exposure", "100d"])
    ratio = 100.0 / (6 * 365.25)
    assert short["events"]["ibd"] == pytest.approx(nominal_json["events"]["ibd"] * ratio, rel=1e-12, abs=0)
    assert short["events"]["background"] == pytest.approx(
        nominal_json["events"]["background"] * ratio, rel=1e-12, abs=0
    )
    assert short["ibd_per_day"]["total"] == pytest.approx(nominal_json["ibd_per_day"]["total"], rel=1e-12, abs=0)


def test_exposure_option_in_load_config():
    """load_config(exposure=...) replaces the config's exposure."""
    assert load_config("juno_nominal").exposure_days == 6 * 365.25
    assert load_config("juno_nominal", exposure="100d").exposure_days == 100.0


def test_efficiency_override_halves_ibd(tmp_path, nominal_json):
    """Half the detector efficiency halves the IBD rate and leaves the backgrounds unchanged."""
    half = load_config("juno_nominal").detectors[0].efficiency / 2
    path = _write_config(tmp_path, append=f"[detectors.JUNO.override]\nefficiency = {half!r}")
    assert load_config(path).detectors[0].efficiency == half
    out = _predict_json([path])
    assert out["ibd_per_day"]["total"] == pytest.approx(nominal_json["ibd_per_day"]["total"] / 2, rel=1e-12, abs=0)
    assert out["backgrounds_per_day"] == nominal_json["backgrounds_per_day"]


def test_site_override_switches_off_core(tmp_path, nominal_json):
    """TS1 at zero power contributes exactly nothing and the total drops by its nominal rate."""
    path = _write_config(tmp_path, append="[detectors.JUNO.site_override.cores.TS1]\npower_gw = 0.0")
    out = _predict_json([path])
    assert out["ibd_per_day"]["cores"]["TS1"] == 0.0
    expected = nominal_json["ibd_per_day"]["total"] - nominal_json["ibd_per_day"]["cores"]["TS1"]
    assert out["ibd_per_day"]["total"] == pytest.approx(expected, rel=1e-9, abs=0)
    assert out["ibd_per_day"]["cores"]["TS2"] == pytest.approx(
        nominal_json["ibd_per_day"]["cores"]["TS2"], rel=1e-9, abs=0
    )


def test_inverted_ordering_override(tmp_path, nominal_json):
    """A negative dm2_31 (inverted ordering) runs; the total rate changes, by less than 1 %."""
    text = NOMINAL.read_text(encoding="utf-8")
    match = re.search(r"(?m)^dm2_31 = ([0-9.eE+-]+)", text)
    assert match is not None
    assert float(match.group(1)) > 0
    path = _write_config(tmp_path, replace=((match.group(0), f"dm2_31 = -{match.group(1)}"),))
    config = load_config(path)
    assert config.oscillation.ordering == "inverted"
    total = _predict_json([path])["ibd_per_day"]["total"]
    nominal = nominal_json["ibd_per_day"]["total"]
    assert total != nominal
    assert abs(total / nominal - 1) < 0.01


def test_override_is_deep_merged(tmp_path):
    """Overriding resolution.a keeps b and c from the detector file; a site override changes one core."""
    nominal = load_config("juno_nominal")
    path = _write_config(
        tmp_path,
        append="[detectors.JUNO.override.resolution]\na = 0.03\n\n"
        "[detectors.JUNO.site_override.cores.YJ1]\nbaseline_km = 60.0",
    )
    det, det0 = load_config(path).detectors[0], nominal.detectors[0]
    assert det.resolution.a == 0.03
    assert (det.resolution.b, det.resolution.c) == (det0.resolution.b, det0.resolution.c)
    assert det.efficiency == det0.efficiency
    cores = {c.name: c for c in det.site.cores}
    cores0 = {c.name: c for c in det0.site.cores}
    assert cores["YJ1"].baseline_m == 60.0e3
    assert cores["YJ1"].power_gw == cores0["YJ1"].power_gw
    assert cores["TS1"] == cores0["TS1"]


def test_copied_detector_loads_like_shipped(tmp_path):
    """The copied detector file (data paths made absolute) is read to the same values as the shipped one."""
    det = load_config(_config_with_detector(tmp_path)).detectors[0]
    det0 = load_config("juno_nominal").detectors[0]
    assert det.file == str(tmp_path / DETECTOR_NAME)
    assert det.efficiency == det0.efficiency
    assert (det.bin_edges == det0.bin_edges).all()
    assert [b.name for b in det.backgrounds] == [b.name for b in det0.backgrounds]


# --------------------------------------------------------------------------------------------------
# Frozen results
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("get", "attr"),
    [
        pytest.param(lambda c: c, "exposure_days", id="Config"),
        pytest.param(lambda c: c.oscillation, "sin2_theta12", id="Oscillation"),
        pytest.param(lambda c: c.detectors[0], "efficiency", id="Detector"),
        pytest.param(lambda c: c.detectors[0].resolution, "a", id="Resolution"),
        pytest.param(lambda c: c.detectors[0].site, "cores", id="Site"),
        pytest.param(lambda c: c.detectors[0].site.cores[0], "power_gw", id="Core"),
        pytest.param(lambda c: c.detectors[0].backgrounds[0], "rate_per_day", id="Background"),
        pytest.param(lambda c: c.flux, "normalisation", id="Flux"),
        pytest.param(lambda c: c.ibd, "cross_section", id="IBD"),
        pytest.param(lambda c: c.numerics, "enu_max", id="Numerics"),
    ],
)
def test_load_config_is_frozen(get, attr):
    """Every object returned by load_config refuses attribute assignment."""
    obj = get(load_config("juno_nominal"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, attr, 0)


def test_override_edges_replace_detector_segments(tmp_path):
    """A config may switch the binning to explicit edges: the override's form replaces the file's."""
    path = _write_config(tmp_path, append="[detectors.JUNO.override.binning]\nedges = [1.0, 2.0, 4.0, 8.0]\n")
    np.testing.assert_array_equal(load_config(path).detectors[0].bin_edges, [1.0, 2.0, 4.0, 8.0])


def test_override_data_path_is_relative_to_config(tmp_path):
    """A data file named in an override is looked up next to the config, not next to the detector file."""
    src = DETECTOR.parent / "backgrounds" / "juno2022" / "geo.csv"
    (tmp_path / "my_geo.csv").write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    path = _write_config(tmp_path, append='[detectors.JUNO.override.backgrounds.geo]\ntable = "my_geo.csv"\n')
    geo = next(b for b in load_config(path).detectors[0].backgrounds if b.name == "geo")
    assert geo.energy is not None
    assert len(geo.energy) > 10


def test_unknown_site_lists_only_sites(tmp_path, capsys):
    """Sites and isotope-spectra models share spectra/: an unknown site lists sites only."""
    path = _write_config(tmp_path, replace=(('site = "juno_site"', 'site = "nowhere"'),))
    assert main(["predict", path]) == 2
    err = capsys.readouterr().err
    assert "juno_site" in err
    assert "huber_mueller" not in err


def test_fit_constraints_are_validated(tmp_path, capsys):
    path = _write_config(tmp_path, replace=(("[fit]\n", "[fit]\nconstraints = { sin2_theta99 = [0.02, 0.001] }\n"),))
    assert main(["predict", path]) == 2
    err = capsys.readouterr().err
    assert "fit.constraints.sin2_theta99" in err
    assert "accepted" in err
    path = _write_config(tmp_path, replace=(("[fit]\n", "[fit]\nconstraints = { sin2_theta13 = [0.02, -1.0] }\n"),))
    assert main(["predict", path]) == 2
    assert "sigma must be a finite number in (0, 1]" in capsys.readouterr().err
