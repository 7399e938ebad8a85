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


@pytest.fixture
def fast_config(tmp_path):
    """juno_nominal at 100 days with a few systematics (fits in about a second): a config file."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "configs" / "juno_nominal.toml").read_text(encoding="utf-8")
    text = text.replace('exposure = "6y"', 'exposure = "100d"')
    text = text[: text.index("[systematics]")] + FAST_SYSTEMATICS
    path = tmp_path / "fast.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)
