"""Shared fixtures. Building the nominal model takes about a second (fold matrices, Numba compilation
on first use), so it is built once per test session."""

from __future__ import annotations

import pytest

from juno_fit.config import load_config
from juno_fit.model import Model


@pytest.fixture(scope="session")
def nominal_config():
    return load_config("juno_nominal")


@pytest.fixture(scope="session")
def nominal_model(nominal_config):
    return Model(nominal_config)


FAST_SYSTEMATICS = """
[systematics]
flux_normalisation = true
core_power = false
fission_fractions = false
snf = false
nonequilibrium = false
reference_shape = true
efficiency = true
energy_scale = false
nonlinearity = false
resolution = false
matter_density = false
background_rates = true
background_shapes = true
"""


def write_fast_config(folder, systematics: str = FAST_SYSTEMATICS, name: str = "fast.toml") -> str:
    """juno_nominal at 100 days with the ``[systematics]`` table ``systematics`` (by default a few,
    so that a fit takes about a second), written as ``folder/name``; returns its path."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "configs" / "juno_nominal.toml").read_text(encoding="utf-8")
    text = text.replace('exposure = "6y"', 'exposure = "100d"')
    path = Path(folder) / name
    path.write_text(text[: text.index("[systematics]")] + systematics, encoding="utf-8")
    return str(path)


@pytest.fixture
def fast_config(tmp_path):
    """juno_nominal at 100 days with a few systematics (fits in about a second): a config file."""
    return write_fast_config(tmp_path)
