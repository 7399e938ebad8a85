"""The wheel carries the physics inputs: an installed juno-fit finds configs, detectors and spectra
by name from any working directory (DESIGN.md §1)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
    )
    return next(out.glob("juno_fit-*.whl"))


def _walk(node, folder: str, names: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"table", "U235", "U238", "Pu239", "Pu241"} and isinstance(value, str):
                names.add(f"juno_fit/_inputs/{folder}/{value}")
            _walk(value, folder, names)


def _referenced_files() -> set[str]:
    """Every data file the shipped inputs name, as wheel paths."""
    names = set()
    for kind in ("configs", "detector", "spectra"):
        for toml in (ROOT / kind).glob("*.toml"):
            names.add(f"juno_fit/_inputs/{kind}/{toml.name}")
    for toml in [*(ROOT / "detector").glob("*.toml"), *(ROOT / "spectra").glob("*.toml")]:
        _walk(tomllib.loads(toml.read_text(encoding="utf-8")), toml.parent.name, names)
    return names


@pytest.mark.slow
def test_wheel_contains_inputs(wheel):
    content = set(zipfile.ZipFile(wheel).namelist())
    missing = _referenced_files() - content
    assert not missing
    assert "juno_fit/_inputs/configs/juno_nominal.toml" in content


@pytest.mark.slow
def test_installed_wheel_predicts_by_name(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)], check=True
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    code = (
        "import juno_fit, json, sys; from juno_fit.cli import main; "
        "assert juno_fit.__file__.startswith(sys.argv[1]), juno_fit.__file__; "
        "sys.exit(main(['predict', 'juno_nominal', '--json', '--exposure', '100d']))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(target)], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    import json

    assert json.loads(run.stdout)["bins"] == 340


def test_wheel_is_typed_and_single_versioned(wheel):
    # PEP 561: the marker ships in the wheel; the version has one source (juno_fit/__init__.py)
    import juno_fit

    names = zipfile.ZipFile(wheel).namelist()
    assert "juno_fit/py.typed" in names
    assert wheel.name.startswith(f"juno_fit-{juno_fit.__version__}-")
    citation = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert f"version: {juno_fit.__version__}" in citation or f'version: "{juno_fit.__version__}"' in citation
