"""Inputs that once crashed, hung or were silently accepted: each is now refused as a user error.

Every case runs ``juno-fit`` in-process and checks the command-line contract: exit code 2, exactly
one line ``juno-fit: error: ...`` on stderr (no traceback, no raw control or bidirectional
character), naming what is wrong. Cases that used to hang run under an alarm, so that a regression
fails the test instead of stalling the suite.
"""

from __future__ import annotations

import math
import os
import re
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from cli_contract import assert_finite_json, assert_refused, numbers, run_cli

from juno_fit.resources import input_dir

NOMINAL = input_dir("configs") / "juno_nominal.toml"
RELEASE_CSV = input_dir("detector") / "juno2025" / "fig3_panel_a_data.csv"


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def timed_run_cli(argv: list, *, limit: int = 60) -> tuple[int, str, str, float]:
    """``run_cli`` that also returns how long the command took: (exit code, stdout, stderr, seconds)."""
    start = time.monotonic()
    code, out, err = run_cli(argv, limit=limit)
    return code, out, err, time.monotonic() - start


def refused(argv: list, *needles: str, limit: int = 60) -> str:
    code, out, err = run_cli(argv, limit=limit)
    return assert_refused(code, out, err, *needles)


def _replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"expected exactly one {old!r} in the input text"
    return text.replace(old, new)


def nominal_with(
    tmp_path: Path, *, replace: tuple[tuple[str, str], ...] = (), append: str = "", name: str = "config.toml"
) -> str:
    """configs/juno_nominal.toml, modified, written to tmp_path; returns its path."""
    text = NOMINAL.read_text(encoding="utf-8")
    for old, new in replace:
        text = _replace(text, old, new)
    path = tmp_path / name
    path.write_text(text + "\n" + append + "\n", encoding="utf-8")
    return str(path)


# --------------------------------------------------------------------------------------------------
# Config files
# --------------------------------------------------------------------------------------------------

DEPTH = 5_000


@pytest.mark.parametrize(
    "document",
    [
        pytest.param("a = " + "[" * DEPTH + "]" * DEPTH + "\n", id="arrays"),
        pytest.param("a = " + "{b = " * DEPTH + "1" + "}" * DEPTH + "\n", id="inline-tables"),
        pytest.param("[" + ".".join(["a"] * DEPTH) + "]\nb = 1\n", id="table-header"),
    ],
)
def test_toml_nested_5000_levels(tmp_path, document):
    path = tmp_path / "deep.toml"
    path.write_text(document, encoding="utf-8")
    refused(["predict", path], str(path), "nested too deeply")


@pytest.mark.parametrize(
    ("append", "needles"),
    [
        pytest.param(
            "[detectors.JUNO.override.binning]\nsegments = [[0.8, 12.0, 1.12e-8]]",
            ("detectors.JUNO.override.binning.segments[0]", "10,000 bins"),
            id="segments-1e-8-wide",
        ),
        pytest.param(
            "[detectors.JUNO.site_override.cores.TS1]\nbaseline_km = { JUNO = 1e6 }",
            ("detectors.JUNO.site_override.cores.TS1.baseline_km", "12742"),
            id="baseline-1e6-km",
        ),
        pytest.param(
            "[detectors.JUNO.site_override.cores.TS1]\nbaseline_km = { JUNO = 1e12 }",
            ("detectors.JUNO.site_override.cores.TS1.baseline_km", "12742"),
            id="baseline-1e12-km",
        ),
        pytest.param(
            "[numerics]\ndm2_max = 1.0\npanel_phase = 0.01",
            ("numerics", "E_ν nodes", "300,000"),
            id="dm2_max-1-panel_phase-0.01",
        ),
        pytest.param(
            "".join(
                f"[detectors.JUNO.site_override.cores.{core}]\npower_gw = 0\n"
                for core in ("TS1", "TS2", "YJ1", "YJ2", "YJ3", "YJ4", "YJ5", "YJ6", "DYB")
            ),
            ("power_gw = 0", "at least one core"),
            id="all-cores-off",
        ),
        pytest.param(
            "[detectors.JUNO.override]\ntarget_protons = 1e300",
            ("detectors.JUNO.override.target_protons", "1e+36", "1e+300"),
            id="target_protons-1e300",
        ),
        pytest.param(
            "[detectors.JUNO.override.backgrounds.geo]\nrate_per_day = 1e9",
            ("detectors.JUNO.override.backgrounds.geo.rate_per_day", "1e+06"),
            id="background-rate-1e9",
        ),
        pytest.param(
            "[detectors.JUNO.override.backgrounds.geo]\nrate_per_day = 5.5e15",
            ("detectors.JUNO.override.backgrounds.geo.rate_per_day", "1e+06"),
            id="background-rate-5.5e15",
        ),
        pytest.param(
            "[detectors.JUNO.override.backgrounds.geo]\nrate_uncertainty = 1e30",
            ("detectors.JUNO.override.backgrounds.geo.rate_uncertainty", "0 or [1e-06, 10]"),
            id="background-rate-uncertainty-1e30",
        ),
        pytest.param(
            "[detectors.JUNO.override.backgrounds.geo]\nrate_uncertainty = 1e-300",
            ("detectors.JUNO.override.backgrounds.geo.rate_uncertainty", "0 or [1e-06, 10]"),
            id="background-rate-uncertainty-1e-300",  # a prior this narrow made MIGRAD run on for minutes
        ),
    ],
)
def test_config_override_refused(tmp_path, append, needles):
    path = nominal_with(tmp_path, append=append)
    refused(["predict", path], path, *needles)


def test_fine_grid_refused_or_quick(tmp_path):
    """0.1 keV fine bins at constant width: once a build that never ended; now refused or quick."""
    path = nominal_with(
        tmp_path,
        append="[numerics]\nedep_bin = 1e-4\nedep_onset_bin = 1e-5\nedep_bin_max = 1e-4\nedep_scale_energy = 0",
    )
    code, out, err, seconds = timed_run_cli(["predict", path, "--json"], limit=60)
    if code == 2:
        assert_refused(code, out, err, path, "numerics")
    else:
        assert code == 0, err
        assert "Traceback" not in err
        assert_finite_json(out)
    assert seconds < 60


def test_response_matrix_budget(tmp_path):
    """A wide resolution over 10,000 narrow reconstructed bins and 0.1 keV fine bins: a response
    band of about 1e9 entries, refused from the config before any matrix is built."""
    path = nominal_with(
        tmp_path,
        append="[numerics]\nedep_bin = 1e-4\nedep_bin_max = 1e-4\nedep_scale_energy = 0\n"
        "[detectors.JUNO.override.resolution]\na = 1.0\n"
        "[detectors.JUNO.override.binning]\nsegments = [[0.8, 10.8, 0.001]]",
    )
    code, out, err, seconds = timed_run_cli(["predict", path, "--json"], limit=60)
    assert_refused(code, out, err, path, "detectors.JUNO", "response matrix", "60,000,000")
    assert seconds < 10


@pytest.mark.parametrize(
    ("exposure", "days"),
    [
        pytest.param("1e300y", "(3.6525e+302 days)", id="1e300y"),
        pytest.param("1e-300d", "(1e-300 days)", id="1e-300d"),
        pytest.param("1e12y", "(3.6525e+14 days)", id="1e12y"),
    ],
)
def test_exposure_out_of_range(tmp_path, exposure, days):
    path = nominal_with(tmp_path, replace=(('exposure = "6y"', f'exposure = "{exposure}"'),))
    refused(["predict", path], path, "experiment.exposure", "1000 years", days)
    refused(["predict", "juno_nominal", "--exposure", exposure], "--exposure", "1000 years", days)


def test_dm2_31_above_dm2_max(tmp_path):
    path = nominal_with(tmp_path, replace=(("dm2_31 = 2.5283e-3", "dm2_31 = 0.5"),))
    refused(["predict", path], path, "oscillation.dm2_31", "dm2_max")


@pytest.mark.parametrize(
    ("pair", "needle"),
    [
        pytest.param("[nan, 0.0007]", "the mean", id="mean-nan"),
        pytest.param("[inf, 0.0007]", "the mean", id="mean-inf"),
        pytest.param("[0.02, inf]", "sigma", id="sigma-inf"),
        pytest.param("[-5.0, 0.0007]", "the mean", id="mean-negative"),
    ],
)
def test_constraint_refused(tmp_path, pair, needle):
    path = nominal_with(
        tmp_path, replace=(("minos = true", f"minos = true\nconstraints = {{ sin2_theta13 = {pair} }}"),)
    )
    refused(["predict", path], path, "fit.constraints.sin2_theta13", needle)


CHARACTERS = [
    pytest.param("\\u0000", id="NUL"),
    pytest.param("\\u202E", id="U+202E"),
    pytest.param("\\n", id="newline"),
]


@pytest.mark.parametrize("char", CHARACTERS)
def test_detector_name_with_control_character(tmp_path, char):
    path = nominal_with(tmp_path, replace=(("[detectors.JUNO]", f'[detectors."JU{char}NO"]'),))
    refused(["predict", path], path, "detectors.", "name ")


@pytest.mark.parametrize("char", CHARACTERS)
def test_core_name_with_control_character(tmp_path, char):
    path = nominal_with(
        tmp_path, append=f'[detectors.JUNO.site_override.cores."TS{char}9"]\npower_gw = 1.0\nbaseline_km = 52.0'
    )
    refused(["predict", path], path, "site_override.cores.", "name ")


@pytest.mark.parametrize("char", CHARACTERS)
def test_background_name_with_control_character(tmp_path, char):
    path = nominal_with(
        tmp_path,
        append=f'[detectors.JUNO.override.backgrounds."bkg{char}1"]\nrate_per_day = 1.0\nshape = "flat"\n'
        "range = [1.0, 2.0]",
    )
    refused(["predict", path], path, "override.backgrounds.bkg", "name ")


# --------------------------------------------------------------------------------------------------
# Paths that are not regular files
# --------------------------------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_predict_dev_zero():
    refused(["predict", "/dev/zero"], "/dev/zero", "device", limit=10)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_config_named_pipe(tmp_path):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    code, out, err, seconds = timed_run_cli(["predict", fifo], limit=10)
    assert_refused(code, out, err, str(fifo), "named pipe")
    assert seconds < 5


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_config_named_pipe_without_suffix(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, out, err, seconds = timed_run_cli(["predict", fifo], limit=10)
    assert_refused(code, out, err, str(fifo), "named pipe")
    assert seconds < 5


# --------------------------------------------------------------------------------------------------
# Outputs and options
# --------------------------------------------------------------------------------------------------


def test_fit_output_is_a_folder(tmp_path):
    folder = tmp_path / "out.h5"
    folder.mkdir()
    code, out, err, seconds = timed_run_cli(["fit", "juno_nominal", "-o", folder, "--force"], limit=30)
    assert_refused(code, out, err, "-o", "folder")
    assert seconds < 10
    assert folder.is_dir()
    assert list(folder.iterdir()) == []


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="no /proc")
def test_fit_output_unwritable_folder():
    code, out, err, seconds = timed_run_cli(["fit", "juno_nominal", "-o", "/proc/x.h5"], limit=30)
    assert_refused(code, out, err, "-o /proc/x.h5", "cannot write")
    assert seconds < 10


def test_contour_same_parameter_twice():
    refused(["contour", "juno_nominal", "--params", "dm2_21", "dm2_21"], "--params", "dm2_21", limit=30)


def test_toys_save_every_nan(tmp_path):
    target = tmp_path / "toys.h5"
    refused(["toys", "juno_nominal", "--n", "1", "-o", target, "--save-every", "nan"], "--save-every", limit=30)
    assert not target.exists()


def test_simulate_does_not_overwrite(tmp_path, fast_config):
    target = tmp_path / "existing.h5"
    target.write_bytes(b"not yet replaced\n")
    refused(["simulate", fast_config, "-o", target], str(target), "--force")
    assert target.read_bytes() == b"not yet replaced\n"
    assert not list(tmp_path.glob(".existing.h5.*"))


# --------------------------------------------------------------------------------------------------
# Data files
# --------------------------------------------------------------------------------------------------


def test_data_made_for_another_exposure(tmp_path, fast_config):
    """Data simulated for 50 days do not fit a 100-day config, unless the exposure is given."""
    data = tmp_path / "d.h5"
    code, _, err = run_cli(["simulate", fast_config, "--exposure", "50d", "-o", data])
    assert code == 0, err
    line = refused(["fit", fast_config, "--data", data, "--no-minos"], str(data), "exposure_days")
    assert "--exposure 50d" in line
    assert "--force-data" in line
    code, out, err = run_cli(["fit", fast_config, "--exposure", "50d", "--data", data, "--no-minos", "--json"])
    assert "Traceback" not in err
    assert code == 0, err
    assert_finite_json(out)
    code, out, err = run_cli(["fit", fast_config, "--force-data", "--data", data, "--no-minos", "--json"])
    assert code in (0, 1), err
    assert "Traceback" not in err


def _set(i: int, value: float):
    def change(c: np.ndarray) -> np.ndarray:
        c[i] = value
        return c

    return change


DATA_EDITS = [
    pytest.param("detectors-dataset", id="detectors-is-a-dataset"),
    pytest.param(_set(5, np.nan), id="counts-nan"),
    pytest.param(_set(5, np.inf), id="counts-inf"),
    pytest.param(lambda c: c.astype(np.complex128), id="counts-complex"),
    pytest.param(_set(5, -3.0), id="counts-negative"),
]


@pytest.fixture
def asimov_file(tmp_path, fast_config) -> tuple[str, Path]:
    data = tmp_path / "asimov.h5"
    code, _, err = run_cli(["simulate", fast_config, "-o", data])
    assert code == 0, err
    return fast_config, data


@pytest.mark.parametrize("edit", DATA_EDITS)
def test_broken_data_file(asimov_file, edit):
    config, data = asimov_file
    with h5py.File(data, "r+") as f:
        if edit == "detectors-dataset":
            del f["detectors"]
            f["detectors"] = np.arange(3.0)
        else:
            counts = f["detectors/JUNO/counts"][()]
            del f["detectors/JUNO/counts"]
            f["detectors/JUNO/counts"] = edit(counts.copy())
    refused(["fit", config, "--data", data, "--no-minos"], str(data))


def test_toy_with_fractional_counts(tmp_path, fast_config):
    data = tmp_path / "toy.h5"
    code, _, err = run_cli(["simulate", fast_config, "--toy", "3", "-o", data])
    assert code == 0, err
    with h5py.File(data, "r+") as f:
        assert f.attrs["kind"] in ("toy", b"toy")
        counts = f["detectors/JUNO/counts"][()]
        assert np.all(counts == np.round(counts))
        counts = counts.astype(float)
        counts[7] += 0.5
        del f["detectors/JUNO/counts"]
        f["detectors/JUNO/counts"] = counts
    refused(["fit", fast_config, "--data", data, "--no-minos"], str(data), "whole numbers")


def test_release_table_with_negative_error(tmp_path):
    lines = RELEASE_CSV.read_text(encoding="utf-8").splitlines()
    header = next(i for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#"))
    columns = [c.strip() for c in lines[header].split(",")]
    col = columns.index("Nobs_err")
    row = header + 3
    cells = lines[row].split(",")
    assert float(cells[col]) > 0
    cells[col] = str(-float(cells[col]))
    lines[row] = ",".join(cells)
    table = tmp_path / "release.csv"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused(["fit", "juno_2025_first_data", "--data", table, "--no-minos"], str(table), "Nobs_err")


# --------------------------------------------------------------------------------------------------
# A Daya Bay prediction is finite strict JSON
# --------------------------------------------------------------------------------------------------


def test_predict_dayabay_json():
    pytest.importorskip("dayabay_data_official")
    code, out, err = run_cli(["predict", "dayabay_nGd", "--json"], limit=120)
    assert "Traceback" not in err
    assert code == 0, err
    data = assert_finite_json(out)
    values = list(numbers(data))
    assert values
    assert all(math.isfinite(x) for x in values)
    assert re.fullmatch(r"\{.*\}\n", out, flags=re.S)


@pytest.mark.parametrize("where", [0.25, 0.5, 0.75, 0.9])
def test_damaged_data_file_refused_quickly(tmp_path, fast_config, where):
    """512 zero bytes written into a data set: refused at once (HDF5 metadata checksums, fixed-length
    strings, the content digest), or, where they hit only unused space, fitted with the content the
    digest vouches for; vlen strings in the global heap once made the HDF5 library loop."""
    data = tmp_path / "d.h5"
    code, _, err = run_cli(["simulate", fast_config, "-o", data])
    assert code == 0, err
    raw = data.read_bytes()
    k = int(where * len(raw))
    data.write_bytes(raw[:k] + b"\0" * 512 + raw[k + 512 :])
    code, out, err, seconds = timed_run_cli(["fit", fast_config, "--data", data, "--no-minos", "--json"], limit=60)
    if code == 2:
        assert_refused(code, out, err, str(data))
    else:
        assert code in (0, 1), err
        assert_finite_json(out)
    assert seconds < 20


def test_edited_counts_need_force_data(tmp_path, fast_config):
    """Counts changed after writing (still valid numbers) no longer match the content digest."""
    data = tmp_path / "d.h5"
    code, _, err = run_cli(["simulate", fast_config, "--toy", "1", "-o", data])
    assert code == 0, err
    with h5py.File(data, "r+") as f:
        counts = f["detectors/JUNO/counts"][()]
        counts[10] += 1.0
        f["detectors/JUNO/counts"][...] = counts
    refused(["fit", fast_config, "--data", data, "--no-minos"], "content_sha256", "--force-data")
    code, out, err = run_cli(["fit", fast_config, "--data", data, "--no-minos", "--force-data", "--json"])
    assert code in (0, 1), err
    assert_finite_json(out)


def test_empty_data_path_refused(fast_config):
    refused(["fit", fast_config, "--data", "", "--no-minos"], "--data: an empty path")


def test_fractional_toy_number_refused(tmp_path, fast_config):
    data = tmp_path / "d.h5"
    code, _, err = run_cli(["simulate", fast_config, "--toy", "1", "-o", data])
    assert code == 0, err
    with h5py.File(data, "r+") as f:
        f.attrs["toy"] = 3.5
    refused(["fit", fast_config, "--data", data, "--no-minos"], "attribute toy must be an integer")
