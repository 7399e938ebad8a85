"""What the commands share: option checks, strict JSON output, output-file checks, the likelihood of a
config on its data, progress lines and the Dask client."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence

from ..errors import JunoFitError
from ..files import check_output
from ..results import finite as _finite

MAX_POINTS = 10_000  # scan points


MAX_GRID_POINTS = 1_000  # contour grid points per axis (a million profiled fits)


def _print_json(obj) -> None:
    """One strict JSON object on stdout."""
    print(json.dumps(_finite(obj), allow_nan=False))


PROFILE_SUFFIXES = (".h5", ".hdf5", ".csv")


def _save_profile(args, config, lik, names, axes, dchi2, valid, fmin) -> None:
    """Write a scan or grid (``--save``) with its provenance."""
    from ..profile_io import Profile, write_profile

    meta = {
        "config": config.name,
        "exposure_days": float(getattr(config, "exposure_days", float("nan"))),
        "data": _data_source(args.data),
        "statistic": lik.statistic,
        "fmin": float(fmin),
    }
    write_profile(Profile(names, axes, dchi2, valid, meta), args.save, force=args.force)
    print(f"wrote {args.save}", file=sys.stderr)


def _check_outputs(args: argparse.Namespace, *outputs: tuple[str, str | None, tuple[str, ...]]) -> None:
    """Refuse every output path of a command before any work: (option, path, accepted suffixes)."""
    force = getattr(args, "force", False)
    seen: set[str] = set()
    for option, path, suffixes in outputs:
        if path is None:
            continue
        check_output(path, force=force, option=option, suffixes=suffixes)
        key = os.path.realpath(path)
        if key in seen:
            raise JunoFitError(f"{option} {path}: also the target of another option; give each output its own file")
        seen.add(key)


def _plot_paths(path: str | None, detectors: Sequence[str]) -> list[str]:
    if path is None:
        return []
    return [path] if len(detectors) == 1 else [_suffixed(path, d) for d in detectors]


def _load(args: argparse.Namespace, names: Sequence[str], exposure: str | None = None):
    """The config of one name, or the joint config of several (``juno_fit.joint``): the oscillation
    parameters shared, every other parameter per experiment unless ``--share`` names it."""
    from ..config import load_config

    if len(names) == 1:
        return load_config(names[0], exposure=exposure)
    from ..joint import JointConfig

    if exposure is not None:
        raise JunoFitError("--exposure: a joint fit keeps each config's own exposure; set it in the configs")
    return JointConfig(
        tuple(load_config(n) for n in names),
        shared=tuple(getattr(args, "share", None) or ()),
        keep_constraints=getattr(args, "keep_constraints", False),
    )


def _data_list(data, n_configs: int) -> list[str | None]:
    """``--data`` (given once per config, or not at all) as one entry per config; "asimov" is None."""
    files = [] if data is None else ([data] if isinstance(data, str) else list(data))
    if not files:
        return [None] * n_configs
    if len(files) != n_configs:
        raise JunoFitError(f"--data: give it once per config ({n_configs}), got {len(files)}")
    return [None if f == "asimov" else f for f in files]


def _likelihood_for(config, data_file, force_data: bool = False):
    """The likelihood of a config (or a joint config) on its data: a file per config, or Asimov data."""
    from ..datasets import asimov
    from ..io import read_data
    from ..likelihood import Likelihood, warm_model

    model = warm_model(config)
    parts = getattr(model, "parts", None)
    files = _data_list(data_file, len(parts) if parts is not None else 1)
    if parts is None:
        dataset = read_data(files[0], model, force=force_data) if files[0] is not None else asimov(model)
        return Likelihood(model, dataset.arrays(model))
    arrays = []
    nominal = model.part_thetas(model.parameters.values())
    for part, theta, f in zip(parts, nominal, files, strict=True):
        arrays += read_data(f, part, force=force_data).arrays(part) if f is not None else part.expected(theta)
    return Likelihood(model, arrays)


def _data_source(data) -> str:
    files = [] if data is None else ([data] if isinstance(data, str) else list(data))
    return " + ".join(str(f) for f in files) if files else "asimov"


def _add_configs(p: argparse.ArgumentParser, *, what: str = "a joint fit") -> None:
    p.add_argument(
        "configs",
        nargs="+",
        metavar="CONFIG",
        help=f"config name (e.g. juno_nominal) or path to a .toml file; several: {what} (oscillation shared)",
    )
    p.add_argument("--exposure", help='replace the config\'s exposure ("100d", "6y", or days)')
    _add_joint_options(p)


def _add_joint_options(p: argparse.ArgumentParser, when: str = "joint fit:") -> None:
    """``--share`` and ``--keep-constraints`` of a joint fit (juno_fit/joint.py)."""
    p.add_argument(
        "--share",
        action="append",
        metavar="NAME",
        help=f"{when} a further parameter name the configs share (default: each experiment its own)",
    )
    p.add_argument(
        "--keep-constraints",
        action="store_true",
        help=f"{when} keep a config's external constraint on an oscillation parameter another config measures",
    )


def _progress(label: str, unit: str = ""):
    """A ``progress(done, total)`` callback drawing a progress line with rate and time left on stderr."""
    from ..progress import Progress

    return Progress(0, label, unit=unit).callback


def _client(args: argparse.Namespace):
    """A Dask client when ``--scheduler`` is given or ``--workers`` > 1, else a null context (serial)."""

    workers = getattr(args, "workers", 1)
    scheduler = getattr(args, "scheduler", None)
    if workers is not None and workers < 1:
        raise JunoFitError(f"--workers: need at least 1, got {workers}")
    if scheduler or workers is None or workers > 1:
        from ..parallel import dask_client

        return dask_client(workers, scheduler)
    return contextlib.nullcontext(None)


def _suffixed(path: str, tag: str) -> str:
    stem, dot, ext = path.rpartition(".")
    return f"{stem}_{tag}.{ext}" if dot else f"{path}_{tag}"


def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", help="config name (e.g. juno_nominal) or path to a .toml file")
    p.add_argument("--exposure", help='replace the config\'s exposure ("100d", "6y", or days)')


def _add_parallel(p: argparse.ArgumentParser, default_workers: int | None = 1) -> None:
    p.add_argument(
        "--workers",
        type=int,
        default=default_workers,
        metavar="K",
        help=f"Dask worker processes on this machine (default: {default_workers or 'cores'}; 1 runs in this process)",
    )
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster, e.g. tcp://host:8786")
