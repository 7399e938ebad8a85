"""Finding input files: a config by name or path, the detector, site and isotope-spectra files a
config names, and the CSV tables those name. Only regular files are accepted (a folder, a named pipe
or a device is refused before it is opened for reading)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..files import regular_file_problem
from ..resources import available, input_dir
from .reading import Table, read_csv_columns


def resolve_config_path(name_or_path: str | Path) -> Path:
    """A config given by name (``juno_nominal``) or by path (``configs/x.toml``, ``./x.toml``)."""
    text = str(name_or_path)
    if not text or "\x00" in text:
        raise ConfigError(repr(text), "", "not a config name or path")
    if "/" in text or text.endswith(".toml") or Path(text).exists():
        problem = regular_file_problem(text)
        if problem:
            raise ConfigError(text, "", f"{problem} (a config is a .toml file or a shipped name)")
        return Path(text)
    path = input_dir("configs") / f"{text}.toml"
    if not path.is_file():
        names = ", ".join(available("configs")) or "none"
        raise ConfigError(text, "", f"unknown config name (accepted: {names}, or a path to a .toml file)")
    return path


def is_site(path: Path) -> bool:
    """Whether a TOML file in spectra/ describes a reactor site (it has cores)."""
    try:
        return "cores" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
        return False


def resolve_input(kind: str, name: str, file: str, key: str, label: str) -> Path:
    """Resolve ``name`` to a TOML file of ``kind``: a bare name is looked up among the shipped inputs,
    a path (with a slash or a .toml suffix) relative to the referring file."""
    is_path = "/" in name or name.endswith(".toml")
    if is_path:
        path = Path(name)
        if not path.is_absolute():
            path = Path(file).parent / path
        problem = regular_file_problem(path)
        if problem:
            raise ConfigError(file, key, f"{label} file {path}: {problem}")
        return path
    path = input_dir(kind) / f"{name}.toml"
    if not path.is_file():
        names = available(kind)
        if kind == "spectra":  # sites and isotope-spectra models share spectra/: list the right kind
            names = [n for n in names if (label == "site") == is_site(input_dir(kind) / f"{n}.toml")]
        listed = ", ".join(names) or "none"
        shown = name if len(name) <= 40 else name[:37] + "..."
        raise ConfigError(file, key, f"unknown {label} {shown!r} (accepted: {listed}, or a path to a .toml file)")
    return path


def data_file(folder: Path, name: str, t: Table, key: str) -> Path:
    """A data file named in an input file, relative to that file's folder, or to the config's folder
    when the name came from a config override."""
    path = Path(name)
    origin = t.origin(key)
    if origin is not None:
        folder = Path(origin[0]).parent
    if not path.is_absolute():
        path = folder / path
    problem = regular_file_problem(path)
    if problem:
        t.fail(key, f"data file {path}: {problem}")
    return path


def load_csv(path: Path, columns: list[str], t: Table, key: str) -> dict[str, np.ndarray]:
    """:func:`read_csv_columns` with errors reported against ``key`` of the file being validated."""
    try:
        return read_csv_columns(path, columns)
    except ValueError as exc:
        t.fail(key, str(exc))
        raise  # unreachable: fail raises
