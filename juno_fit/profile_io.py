"""Profiled Δχ² surfaces as files: juno-fit's own (``scan --save``, ``contour --save``) and the maps
that collaborations publish, so that the two can be compared point by point.

Two formats, chosen by the file's suffix:

- HDF5 (``.h5``, ``.hdf5``): datasets ``axes/<name>`` (one per parameter, in order), ``dchi2`` (a 1-D
  array for a scan; a 2-D array for a grid, rows following the first parameter), ``valid`` (the same
  shape: the point's minimisation converged), and the provenance as attributes;
- CSV (``.csv``): the layout of JUNO's published Δχ² map (Fig. 4 of arXiv:2511.14593): ``#`` comment
  lines, one header line naming the columns, then one row per point with the parameter values and
  Δχ², the first parameter outermost.

Δχ² is relative to the global minimum (the smaller of the free fit and the grid).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np

from . import __version__
from .errors import DataError
from .files import atomic_output, read_regular

PROFILE_FORMAT = "juno-fit profile"
FORMAT_VERSION = 1
MAX_MAP_BYTES = 64 * 2**20  # a published map is a few hundred kB


@dataclass
class Profile:
    """A profiled Δχ² on a grid: ``names`` of the parameters, their ``axes`` (increasing node values)
    and ``dchi2`` with one dimension per axis (rows follow the first). ``valid`` marks converged points;
    ``meta`` carries the provenance (config, data, statistic, fmin)."""

    names: list[str]
    axes: list[np.ndarray]
    dchi2: np.ndarray
    valid: np.ndarray | None = None
    meta: dict[str, str | float] = field(default_factory=dict)

    def rows(self) -> np.ndarray:
        """One row per point: the parameter values, then Δχ² (the first parameter outermost)."""
        mesh = np.meshgrid(*self.axes, indexing="ij")
        return np.column_stack([m.ravel() for m in mesh] + [self.dchi2.ravel()])


def write_profile(profile: Profile, path: str | Path, *, force: bool = False) -> Path:
    """Write a profile atomically as HDF5 or CSV (by suffix); refuses to overwrite without ``force``."""
    path = Path(path)
    created = datetime.now(UTC).isoformat(timespec="seconds")
    with atomic_output(path, force=force) as tmp:
        if path.suffix.lower() == ".csv":
            lines = [f"# juno-fit {__version__} profiled Δχ² ({created})"]
            lines += [f"# {key}: {' '.join(str(value).split())}" for key, value in profile.meta.items()]
            lines.append("# Δχ² relative to the global minimum; every other free parameter minimised at each point")
            lines.append(",".join([*profile.names, "Delta chi^2"]))
            lines += [",".join(f"{v:.10g}" for v in row) for row in profile.rows()]
            tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        else:
            with h5py.File(tmp, "w", libver="latest") as f:
                f.attrs["format"] = PROFILE_FORMAT
                f.attrs["format_version"] = FORMAT_VERSION
                f.attrs["juno_fit_version"] = __version__
                f.attrs["created"] = created
                f.attrs["names"] = ",".join(profile.names)
                for key, value in profile.meta.items():
                    f.attrs[key] = value
                for name, axis in zip(profile.names, profile.axes, strict=True):
                    f[f"axes/{name}"] = np.asarray(axis, dtype=float)
                f["dchi2"] = np.asarray(profile.dchi2, dtype=float)
                if profile.valid is not None:
                    f["valid"] = np.asarray(profile.valid, dtype=bool)
    return path


def _grid_from_rows(path: Path, names: list[str], rows: np.ndarray) -> Profile:
    """Rebuild the grid of a one-row-per-point table; every node combination must appear once."""
    ndim = len(names)
    axes = [np.unique(rows[:, k]) for k in range(ndim)]
    shape = tuple(len(a) for a in axes)
    if int(np.prod(shape)) != len(rows):
        raise DataError(f"{path}: {len(rows)} rows do not fill a {' × '.join(map(str, shape))} grid of {names}")
    index = tuple(np.searchsorted(axes[k], rows[:, k]) for k in range(ndim))
    dchi2 = np.full(shape, np.nan)
    dchi2[index] = rows[:, ndim]
    if np.isnan(dchi2).any():
        raise DataError(f"{path}: some grid points appear twice and others are missing")
    return Profile(list(names), axes, dchi2)


def read_profile_csv(path: str | Path) -> Profile:
    """A Δχ² table with ``#`` comments, a header and one row per point (juno-fit's CSV or a published
    map such as JUNO's Fig. 4 table); the last column is Δχ², the others the parameter values."""
    path = Path(path)
    try:
        text = read_regular(path, MAX_MAP_BYTES).decode("utf-8-sig")
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the Δχ² table ({exc})") from None
    body = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if len(body) < 2:
        raise DataError(f"{path}: no Δχ² rows (expected a header and one row per point)")
    reader = csv.reader(io.StringIO("\n".join(body)))
    header = [h.strip() for h in next(reader)]
    try:
        rows = np.array([[float(v) for v in row] for row in reader if row], dtype=float)
    except ValueError as exc:
        raise DataError(f"{path}: a value is not a number ({exc})") from None
    if rows.ndim != 2 or rows.shape[1] != len(header) or len(header) < 2:
        raise DataError(f"{path}: every row needs {len(header)} values (header: {', '.join(header)})")
    if not np.all(np.isfinite(rows)):
        raise DataError(f"{path}: non-finite values")
    return _grid_from_rows(path, header[:-1], rows)


def read_profile(path: str | Path) -> Profile:
    """A profile written by :func:`write_profile` (HDF5 or CSV)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return read_profile_csv(path)
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != PROFILE_FORMAT:
                raise DataError(f"{path}: not a juno-fit profile file")
            names = str(f.attrs["names"]).split(",")
            axes = [np.asarray(f[f"axes/{n}"], dtype=float) for n in names]
            dchi2 = np.asarray(f["dchi2"], dtype=float)
            valid = np.asarray(f["valid"], dtype=bool) if "valid" in f else None
            meta = {k: (v.item() if hasattr(v, "item") else v) for k, v in f.attrs.items() if k != "names"}
    except (OSError, KeyError) as exc:
        raise DataError(f"{path}: cannot read the profile ({exc})") from None
    if dchi2.shape != tuple(len(a) for a in axes):
        raise DataError(f"{path}: dchi2 has shape {dchi2.shape}, the axes {[len(a) for a in axes]}")
    return Profile(names, axes, dchi2, valid, meta)
