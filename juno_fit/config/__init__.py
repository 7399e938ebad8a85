"""Read juno-fit configuration files (TOML) into frozen, validated objects.

A config (``configs/*.toml``) names, for each detector, a detector description
(``detector/<name>.toml``) and a reactor site (``spectra/<name>.toml``), plus the true oscillation
parameters, the flux model, the IBD cross section, the exposure and the numerical settings. Any value
of a detector or site file can be overridden from the config (``[detectors.X.override]`` and
``[detectors.X.site_override]``, merged key by key).

Every key's type, default, range, unit and reason is one :class:`~juno_fit.config.rules.Rule`
(``rules.py``; the configuration reference ``docs/configuration.md`` is generated from it). Every
problem raises :class:`~juno_fit.errors.ConfigError` naming the file, the dotted key and the
accepted values; the command line prints it on one line and exits with code 2.

Modules: ``objects`` (the frozen results), ``rules`` (what is valid), ``reading`` (TOML, typed
tables, overrides, CSV), ``inputs`` (finding files), ``config_file``, ``detector_file``,
``site_file``, ``spectra_file`` (one per kind of input file) and ``checks`` (across keys: Δm² against
the grid, grid sizes). Units are converted here and nowhere else: baselines km → m, exposure
"6y"/"100d" → days.
"""

from __future__ import annotations

from .config_file import load_config
from .inputs import load_csv, resolve_config_path
from .objects import (
    DAYS_PER_YEAR,
    DERIVED_QUANTITIES,
    IBD,
    ISOTOPES,
    MODEL_FREE,
    MODEL_PARAMETERS,
    OSCILLATION_PARAMETERS,
    STATISTICS,
    SYSTEMATICS,
    Background,
    Config,
    Core,
    Detector,
    Fit,
    Flux,
    IsotopeSpectra,
    Nonlinearity,
    Numerics,
    Oscillation,
    ReferenceCovariance,
    Resolution,
    Site,
)
from .reading import parse_exposure, read_csv_columns, read_toml

__all__ = [
    "DAYS_PER_YEAR",
    "DERIVED_QUANTITIES",
    "IBD",
    "ISOTOPES",
    "MODEL_FREE",
    "MODEL_PARAMETERS",
    "OSCILLATION_PARAMETERS",
    "STATISTICS",
    "SYSTEMATICS",
    "Background",
    "Config",
    "Core",
    "Detector",
    "Fit",
    "Flux",
    "IsotopeSpectra",
    "Nonlinearity",
    "Numerics",
    "Oscillation",
    "ReferenceCovariance",
    "Resolution",
    "Site",
    "load_config",
    "load_csv",
    "parse_exposure",
    "read_csv_columns",
    "read_toml",
    "resolve_config_path",
]
