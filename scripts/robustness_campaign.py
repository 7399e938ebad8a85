"""Black-box robustness campaign for the ``juno-fit`` command line.

Runs ``juno-fit`` as subprocesses (``python -m juno_fit.cli`` with this interpreter), one at a time,
each in its own process group with a timeout and a memory limit, on hostile inputs, and writes a
Markdown report of how every run ended:

1. ``configs``: hand-written hostile configs, built by mutating the shipped configs (non-finite,
   negative, zero, huge, tiny and wrongly typed values of every numeric key, deleted and unknown keys,
   absurd exposures, binnings, grids and baselines, control and bidi characters in names, TOML nested
   5,000 deep, a 50 MB file, a named pipe, a directory, /dev/zero) and a few valid variations;
2. ``fuzz``: randomly mutated configs (reproducible with ``--seed``);
3. ``data``: damaged HDF5 data sets and JUNO 2025 release tables given to ``fit --data``;
4. ``outputs``: every command that writes a file, pointed at an existing file without ``--force``
   (the file must stay as it was, no temporary file may be left), and impossible output paths that
   must be refused before the fit runs;
5. ``kills``: ``fit -o``, ``simulate -o`` and ``toys -o`` killed with SIGKILL at a random time, then
   re-run: the output must be absent or complete, and no temporary file may be left after the re-run;
6. ``json``: strict JSON (no bare NaN or Infinity) and equal exit codes in text and ``--json`` mode;
7. ``reproducers``: a fixed list of cases with their exit code, time and first line of output.

The contract checked: a bad input is refused up front with exactly one stderr line
``juno-fit: error: <file>: <key>: <message>`` and exit code 2; a valid input exits 0 (1 for a fit
that did not converge or a scan with failed points) with finite JSON; nothing prints raw control or
bidi characters. The report says what each run did, whatever that is; it is a survey, not a test that
has to pass. Commands in the report are relative to a scratch folder (created with tempfile, removed
at the end unless ``--keep``).

Usage, from the repository root with the project's virtual environment::

    .venv/bin/python scripts/robustness_campaign.py             # everything (20-40 minutes)
    .venv/bin/python scripts/robustness_campaign.py --quick     # a small subset (a few minutes)
    .venv/bin/python scripts/robustness_campaign.py --only data --only kills --out robustness_data.md

Options: ``--quick``; ``--only PART`` (configs, fuzz, data, outputs, kills, json, reproducers;
repeatable or comma-separated); ``--out FILE.md`` (default scripts/results/robustness.md);
``--timeout SECONDS`` per run (default 60); ``--seed N`` for the fuzzing and the kill delays
(default 1); ``--memory-gb`` address-space limit of each run (default 4, protects the machine from
runaway allocations: exceeding it shows up as a traceback or a crash); ``--keep`` keeps the scratch
folder and prints where it is.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import json
import math
import os
import random
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHIPPED = ("juno_nominal", "juno_2025_first_data", "dayabay_nGd")
NOMINAL, FIRST, DAYABAY = SHIPPED
RELEASE_CSV = REPO / "detector" / "juno2025" / "fig3_panel_a_data.csv"
PARTS = ("configs", "fuzz", "data", "outputs", "kills", "json", "reproducers")
PART_TITLES = {
    "configs": "hand-written configs",
    "fuzz": "fuzzed configs",
    "data": "data files",
    "outputs": "output/overwrite checks",
    "kills": "SIGKILLs",
    "json": "strict JSON / exit codes",
    "reproducers": "reproducers",
}
SENTINEL = b"robustness campaign: this file must not be overwritten without --force\n"
RAW_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
NAN, INF = float("nan"), float("inf")
DELETE = object()  # marker in a list of changes: remove the key
OUTPUT_CAP = 16 * 1024 * 1024  # bytes of stdout/stderr kept per run
FIFO_TIMEOUT = 15.0  # a named pipe must be refused at once, not after the full timeout

PREDICT = ("predict", "{cfg}", "--json")
FIT = ("fit", "{cfg}", "--no-minos", "--json")

# [numerics] defaults (README "Writing a config"), the base of the mutations of keys a config omits.
NUMERICS_DEFAULTS = {
    "enu_max": 13.0,
    "edep_bin": 0.005,
    "edep_onset": 0.1,
    "edep_onset_bin": 0.001,
    "edep_scale_energy": 3.0,
    "edep_bin_max": 0.02,
    "panel_nodes": 3,
    "panel_phase": 2.0,
    "panel_max": 0.1,
    "dm2_max": 3.0e-3,
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# Running juno-fit
# --------------------------------------------------------------------------------------------------


@dataclass
class Run:
    """One finished (or killed) juno-fit process."""

    args: list[str]
    rc: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    truncated: bool = False

    @property
    def command(self) -> str:
        return "juno-fit " + " ".join(shlex.quote(a) for a in self.args)

    def first_line(self) -> str:
        for text in (self.stderr, self.stdout):
            for line in text.splitlines():
                if line.strip():
                    return line
        return ""


class Runner:
    """Starts ``python -m juno_fit.cli`` in the scratch folder, one process group per run."""

    def __init__(self, scratch: Path, timeout: float, memory_bytes: int) -> None:
        self.scratch = scratch
        self.timeout = timeout
        self.memory_bytes = memory_bytes
        self.env = dict(os.environ)
        self.env.pop("NUMBA_CACHE_DIR", None)  # the default cache next to the modules keeps runs fast
        self.env["MPLBACKEND"] = "Agg"
        self.env["PYTHONUNBUFFERED"] = "1"
        self.runs = 0

    def _limits(self) -> None:
        resource.setrlimit(resource.RLIMIT_AS, (self.memory_bytes, self.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 30, 1 << 30))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    def spawn(self, args: list[str]) -> tuple[subprocess.Popen[bytes], Any, Any, float]:
        # closed by finish() (_read_capped): the process may outlive this call (the SIGKILL part)
        out = tempfile.TemporaryFile()  # noqa: SIM115
        err = tempfile.TemporaryFile()  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "juno_fit.cli", *args],
            cwd=self.scratch,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=self.env,
            start_new_session=True,
            preexec_fn=self._limits,
        )
        self.runs += 1
        return proc, out, err, time.monotonic()

    @staticmethod
    def kill_group(proc: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)

    def finish(
        self, args: list[str], proc: subprocess.Popen[bytes], out: Any, err: Any, t0: float, timeout: float
    ) -> Run:
        timed_out = False
        try:
            rc: int | None = proc.wait(timeout=max(0.0, timeout - (time.monotonic() - t0)))
        except subprocess.TimeoutExpired:
            self.kill_group(proc)
            proc.wait()
            rc, timed_out = None, True
        seconds = time.monotonic() - t0
        self.kill_group(proc)  # stragglers of the group (worker processes)
        stdout, t1 = _read_capped(out)
        stderr, t2 = _read_capped(err)
        return Run(list(args), rc, stdout, stderr, seconds, timed_out, t1 or t2)

    def run(self, args: list[str], timeout: float | None = None) -> Run:
        proc, out, err, t0 = self.spawn(args)
        return self.finish(args, proc, out, err, t0, timeout or self.timeout)


def _read_capped(handle: Any) -> tuple[str, bool]:
    handle.seek(0)
    data = handle.read(OUTPUT_CAP + 1)
    handle.close()
    return data[:OUTPUT_CAP].decode("utf-8", errors="replace"), len(data) > OUTPUT_CAP


# --------------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------------

REFUSED, ACCEPTED = "refused cleanly", "accepted"
UNCLEAN, BAD_JSON = "refused uncleanly", "accepted, bad JSON"
TRACEBACK, HANG, INTERRUPTED = "traceback", "hang", "interrupted"

# problem labels (columns of the summary table)
P_TRACEBACK, P_HANG = "traceback", "hang"
P_NONPHYSICAL, P_VALID_REFUSED = "non-physical accepted", "valid refused"
P_RAW, P_UNCLEAN, P_JSON = "raw control characters printed", "unclean refusal", "invalid JSON"
P_HALF, P_TEMP, P_OVERWRITE = "file half-written", "temporary file left", "overwrite without --force"


class _NonFinite(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NonFinite(f"bare {name} in JSON")


def _walk_numbers(obj: Any) -> Iterator[float]:
    if isinstance(obj, bool):
        return
    if isinstance(obj, int | float):
        yield float(obj)
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _walk_numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk_numbers(v)


def json_problem(stdout: str, truncated: bool = False) -> str | None:
    """Why stdout is not one strict JSON object with finite numbers (None when it is)."""
    if truncated:
        return f"stdout longer than {OUTPUT_CAP} bytes"
    if not stdout.strip():
        return "empty stdout"
    try:
        obj = json.loads(stdout, parse_constant=_reject_constant)
    except _NonFinite as exc:
        return str(exc)
    except ValueError as exc:
        return f"not one JSON document ({exc})"
    if not isinstance(obj, dict):
        return "not a JSON object"
    if not all(math.isfinite(x) for x in _walk_numbers(obj)):
        return "non-finite number in JSON"
    return None


def categorise(run: Run, json_mode: bool) -> tuple[str, str | None]:
    """(category, detail) of one run."""
    if run.timed_out:
        return HANG, None
    if "Traceback" in run.stderr or run.rc not in (0, 1, 2, 130):
        return TRACEBACK, None
    if run.rc == 2:
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        if len(lines) == 1 and lines[0].startswith("juno-fit: error:"):
            return REFUSED, None
        return UNCLEAN, f"{len(lines)} stderr lines"
    if run.rc == 130:
        return INTERRUPTED, None
    if json_mode:
        problem = json_problem(run.stdout, run.truncated)
        if problem:
            return BAD_JSON, problem
    return ACCEPTED, None


@dataclass
class Result:
    """How one case ended, with the problems found (empty when it behaved as expected)."""

    part: str
    name: str
    command: str
    expect: str
    run: Run | None
    category: str
    problems: list[str] = field(default_factory=list)
    note: str = ""
    counts: bool = True  # whether it counts in the summary table


def judge(part: str, name: str, run: Run, expect: str, json_mode: bool, note: str = "") -> Result:
    """Classify ``run`` against the expectation "refuse", "accept" or "either"."""
    category, detail = categorise(run, json_mode)
    problems: list[str] = []
    if category == HANG:
        problems.append(P_HANG)
    elif category == TRACEBACK:
        problems.append(P_TRACEBACK)
    elif category == INTERRUPTED:
        problems.append("exit code 130")
    elif category.startswith("accepted") and expect == "refuse":
        problems.append(P_NONPHYSICAL)
    elif category.startswith("refused") and expect == "accept":
        problems.append(P_VALID_REFUSED)
    if category == UNCLEAN and P_VALID_REFUSED not in problems:
        problems.append(P_UNCLEAN)
    if category == BAD_JSON and P_NONPHYSICAL not in problems:
        problems.append(P_JSON)
    if RAW_CHARS.search(run.stdout) or RAW_CHARS.search(run.stderr):
        problems.append(P_RAW)
    if detail:
        note = f"{note}; {detail}" if note else detail
    return Result(part, name, run.command, expect, run, category, problems, note)


def not_run(part: str, name: str, command: str, why: str) -> Result:
    return Result(part, name, command, "", None, "not run", ["not run"], why)


# --------------------------------------------------------------------------------------------------
# TOML: read the shipped inputs, write mutated configs
# --------------------------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_string(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(f"\\U{ord(ch):08X}")
    out.append('"')
    return "".join(out)


def _toml_key(key: Any) -> str:
    key = str(key)
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _toml_string(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def toml_dumps(data: dict[str, Any]) -> str:
    """A small TOML writer: scalars and arrays inline, every nested table as a [dotted.header]."""
    lines: list[str] = []

    def table(prefix: tuple[str, ...], node: dict[str, Any]) -> None:
        scalars = [(k, v) for k, v in node.items() if not isinstance(v, dict)]
        tables = [(k, v) for k, v in node.items() if isinstance(v, dict)]
        if prefix and (scalars or not tables):
            lines.append("[" + ".".join(_toml_key(p) for p in prefix) + "]")
        lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in scalars)
        if prefix or scalars:
            lines.append("")
        for k, v in tables:
            table((*prefix, k), v)

    table((), data)
    return "\n".join(lines) + "\n"


_CACHE: dict[str, dict[str, Any]] = {}


def shipped(kind: str, name: str) -> dict[str, Any]:
    """A shipped input file (configs/, detector/, spectra/) parsed."""
    key = f"{kind}/{name}"
    if key not in _CACHE:
        _CACHE[key] = tomllib.loads((REPO / kind / f"{name}.toml").read_text(encoding="utf-8"))
    return copy.deepcopy(_CACHE[key])


def split(path: str | tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(path.split(".")) if isinstance(path, str) else path


def edited(base: str | dict[str, Any], *changes: tuple[str | tuple[Any, ...], Any]) -> dict[str, Any]:
    """A shipped config (or a dict) with (path, value) changes; value DELETE removes the key."""
    data = shipped("configs", base) if isinstance(base, str) else copy.deepcopy(base)
    for path, value in changes:
        keys = split(path)
        node: Any = data
        for k in keys[:-1]:
            if isinstance(node, dict):
                if not isinstance(node.get(k), dict | list):
                    node[k] = {}
                node = node[k]
            else:
                node = node[k]
        if value is DELETE:
            if isinstance(node, dict):
                node.pop(keys[-1], None)
            else:
                del node[keys[-1]]
        else:
            node[keys[-1]] = copy.deepcopy(value)
    return data


def config_text(base: str, *changes: tuple[str | tuple[Any, ...], Any]) -> str:
    return toml_dumps(edited(base, *changes))


def lookup(base: str, path: tuple[Any, ...]) -> Any:
    """The value a config path has: in the config, or for an override in the detector or site file."""
    cfg = shipped("configs", base)
    try:
        if path[:3] == ("detectors", "JUNO", "override"):
            node: Any = shipped("detector", cfg["detectors"]["JUNO"]["detector"])
            rest = path[3:]
        elif path[:3] == ("detectors", "JUNO", "site_override"):
            node = shipped("spectra", cfg["detectors"]["JUNO"]["site"])
            rest = path[3:]
        else:
            node, rest = cfg, path
        for k in rest:
            node = node[k]
        return node
    except (KeyError, IndexError, TypeError):
        if path[0] == "numerics":
            return NUMERICS_DEFAULTS.get(path[-1])
        return None


def present(base: str, path: tuple[Any, ...]) -> bool:
    node: Any = shipped("configs", base)
    for k in path:
        if not isinstance(node, dict) or k not in node:
            return False
        node = node[k]
    return True


# --------------------------------------------------------------------------------------------------
# Part 1: hand-written configs
# --------------------------------------------------------------------------------------------------


@dataclass
class Case:
    """A config case: the text written to cases/NAME.toml (or an explicit path) and the command."""

    name: str
    expect: str
    text: str | bytes | None = None
    args: tuple[str, ...] = PREDICT
    cfg: str | None = None
    setup: Callable[[Path], None] | None = None
    timeout: float | None = None
    note: str = ""


@dataclass
class NumKey:
    """A numeric key and its physical range (flag ``open``: lo itself excluded; ``hiopen``: hi excluded)."""

    base: str
    path: str
    lo: float
    hi: float
    flags: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        return split(self.path)

    def expect(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "refuse"
        if "int" in self.flags and not isinstance(value, int):
            return "refuse"
        x = float(value)
        if not math.isfinite(x):
            return "refuse"
        if "nonzero" in self.flags and abs(x) < 1e-100:
            return "refuse"
        above = x > self.lo if "open" in self.flags.split() else x >= self.lo
        below = x < self.hi if "hiopen" in self.flags.split() else x <= self.hi
        inside = above and below
        if not inside:
            return "refuse"
        return "either" if 0 < abs(x) < 1e-100 else "accept"


OVR = "detectors.JUNO.override"
SITE = "detectors.JUNO.site_override"
NUMERIC_KEYS = [
    NumKey(NOMINAL, "experiment.seed", 0, 2**63 - 1, "int"),
    NumKey(NOMINAL, "oscillation.sin2_theta12", 0.0, 1.0, "req open hiopen"),  # 0 < sin² < 1 (issue statement)
    NumKey(NOMINAL, "oscillation.sin2_theta13", 0.0, 1.0, "req open hiopen"),
    NumKey(NOMINAL, "oscillation.dm2_21", 0.0, 2.5e-3, "req open"),
    NumKey(NOMINAL, "oscillation.dm2_31", -3e-3, 3e-3, "req nonzero"),
    NumKey(NOMINAL, "oscillation.density", 0.0, 30.0),
    NumKey(NOMINAL, "oscillation.density_uncertainty", 0.0, 30.0, "fit"),
    NumKey(NOMINAL, "oscillation.electron_fraction", 0.0, 1.0),
    NumKey(NOMINAL, "flux.normalisation", 0.0, 2.0, "open"),
    NumKey(NOMINAL, "flux.normalisation_uncertainty", 0.0, 1.0, "fit"),
    NumKey(NOMINAL, "ibd.neutron_lifetime", 800.0, 1000.0),
    NumKey(NOMINAL, "numerics.enu_max", 2.0, 30.0),
    NumKey(NOMINAL, "numerics.edep_bin", 1e-4, 0.1),
    NumKey(NOMINAL, "numerics.edep_onset", 0.0, 2.0),
    NumKey(NOMINAL, "numerics.edep_onset_bin", 1e-5, 0.1),
    NumKey(NOMINAL, "numerics.edep_scale_energy", 0.0, 20.0),
    NumKey(NOMINAL, "numerics.edep_bin_max", 1e-4, 0.2),
    NumKey(NOMINAL, "numerics.panel_nodes", 2, 12, "int"),
    NumKey(NOMINAL, "numerics.panel_phase", 0.01, 3.0),
    NumKey(NOMINAL, "numerics.panel_max", 1e-3, 1.0),
    NumKey(NOMINAL, "numerics.dm2_max", 2.6e-3, 1.0),
    NumKey(NOMINAL, "fit.retries", 0, 50, "int fit"),
    NumKey(NOMINAL, f"{OVR}.target_protons", 0.0, 1e36, "open"),
    NumKey(NOMINAL, f"{OVR}.efficiency", 0.0, 1.0, "open"),
    NumKey(NOMINAL, f"{OVR}.duty_cycle", 0.0, 1.0, "open"),
    NumKey(NOMINAL, f"{OVR}.energy_scale", 0.0, 2.0, "open"),
    NumKey(NOMINAL, f"{OVR}.resolution.a", 0.0, 0.5),
    NumKey(NOMINAL, f"{OVR}.resolution.b", 0.0, 0.5),
    NumKey(NOMINAL, f"{OVR}.resolution.c", 0.0, 0.5),
    NumKey(NOMINAL, f"{OVR}.uncertainties.efficiency", 0.0, 1.0, "fit"),
    NumKey(NOMINAL, f"{OVR}.uncertainties.energy_scale", 0.0, 1.0, "fit"),
    NumKey(NOMINAL, f"{OVR}.uncertainties.resolution_a", 0.0, 0.5, "fit"),
    NumKey(NOMINAL, f"{OVR}.uncertainties.resolution_b", 0.0, 0.5, "fit"),
    NumKey(NOMINAL, f"{OVR}.uncertainties.resolution_c", 0.0, 0.5, "fit"),
    NumKey(NOMINAL, f"{OVR}.backgrounds.geo.rate_per_day", 0.0, 1e6),
    NumKey(NOMINAL, f"{OVR}.backgrounds.geo.rate_uncertainty", 0.0, 10.0, "fit"),
    NumKey(NOMINAL, f"{OVR}.backgrounds.geo.shape_uncertainty", 0.0, 10.0, "fit"),
    NumKey(NOMINAL, f"{OVR}.backgrounds.li9he8.rate_per_day", 0.0, 1e6),
    NumKey(NOMINAL, f"{SITE}.cores.TS1.power_gw", 0.0, 20.0),
    NumKey(NOMINAL, f"{SITE}.cores.TS1.baseline_km", 0.0, 13000.0, "open"),
    NumKey(NOMINAL, f"{SITE}.cores.DYB.baseline_km", 0.0, 13000.0, "open"),
    NumKey(NOMINAL, f"{SITE}.uncertainties.core_power", 0.0, 1.0, "fit"),
    NumKey(NOMINAL, f"{SITE}.fission_fractions.U235", 0.575, 0.585),  # the others stay: must sum to 1
    NumKey(FIRST, f"{OVR}.target_protons", 0.0, 1e36, "open"),
    NumKey(FIRST, f"{OVR}.backgrounds.li9he8.rate_per_day", 0.0, 1e6),
    NumKey(FIRST, "flux.normalisation", 0.0, 2.0, "open"),
    NumKey(DAYABAY, "fit.retries", 0, 50, "int fit"),
]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def numeric_key_cases() -> list[Case]:
    cases: list[Case] = []
    wrong_types = [("bool", True), ("array", None), ("table", None)]
    for i, k in enumerate(NUMERIC_KEYS):
        keys = k.keys
        base_value = lookup(k.base, keys)
        base_num = (
            float(base_value) if isinstance(base_value, int | float) and not isinstance(base_value, bool) else 1.0
        )
        integer = "int" in k.flags
        args = FIT if ("fit" in k.flags or k.base == DAYABAY) else PREDICT
        prefix = "" if k.base == NOMINAL else _slug(k.base) + "_"
        tag = prefix + _slug(k.path.replace(OVR, "ovr").replace(SITE, "site"))
        values: list[tuple[str, Any]] = [
            ("nan", NAN),
            ("inf", INF),
            ("-inf", -INF),
            ("negative", -3 if integer else -abs(base_num or 1.0)),
            ("zero", 0 if integer else 0.0),
            ("huge", 10**18 if integer else 1e300),
            ("tiny", 1e-300),
            ("string", str(base_value if base_value is not None else 1.0)),
        ]
        kind, value = wrong_types[i % 3]
        if kind == "array":
            value = [base_value if base_value is not None else 1.0]
        elif kind == "table":
            value = {"value": base_value if base_value is not None else 1.0}
        values.append((kind, value))
        for label, v in values:
            cases.append(
                Case(f"{tag}={label}", k.expect(v), config_text(k.base, (keys, v)), args, note=f"{k.path} = {v!r}")
            )
        if present(k.base, keys):
            cases.append(
                Case(
                    f"{tag}=deleted",
                    "refuse" if "req" in k.flags else "accept",
                    config_text(k.base, (keys, DELETE)),
                    args,
                    note=f"{k.path} deleted",
                )
            )
    return cases


def _nested(depth: int, kind: str) -> str:
    head = '[experiment]\nname = "deep"\nexposure = "6y"\n\n'
    if kind == "array":
        return head + "[oscillation]\nx = " + "[" * depth + "1" + "]" * depth + "\n"
    if kind == "inline":
        return head + "[oscillation]\nx = " + "{ a = " * depth + "1" + " }" * depth + "\n"
    return head + "[" + ".".join(["a"] * depth) + "]\nx = 1\n"


def exposure_cases() -> list[Case]:
    refuse = ["1e300y", "1e-300d", "1e12y", "0d", "-5d", "1001y", "", "6 years", "0x10d", "nan d", "-0d", "6y6d"]
    accept = ["1000y", "100d", "2.5y", "1e3y", " 6y "]
    cases = [
        Case(f"exposure={e!r}", "refuse", config_text(NOMINAL, ("experiment.exposure", e)), note=f"exposure = {e!r}")
        for e in refuse
    ]
    cases += [
        Case(f"exposure={e!r}", "accept", config_text(NOMINAL, ("experiment.exposure", e)), note=f"exposure = {e!r}")
        for e in accept
    ]
    for label, v, expect in [
        ("365", 365, "accept"),
        ("365.25", 365.25, "accept"),
        ("nan", NAN, "refuse"),
        ("inf", INF, "refuse"),
        ("-1", -1, "refuse"),
        ("0", 0, "refuse"),
        ("2^70", 2**70, "refuse"),
        ("true", True, "refuse"),
        ("array", ["6y"], "refuse"),
        ("table", {"y": 6}, "refuse"),
        ("deleted", DELETE, "refuse"),
    ]:
        cases.append(Case(f"exposure={label}", expect, config_text(NOMINAL, ("experiment.exposure", v))))
    cases.append(Case("first_data_exposure=0d", "refuse", config_text(FIRST, ("experiment.exposure", "0d"))))
    return cases


ALL_CORES = ("TS1", "TS2", "YJ1", "YJ2", "YJ3", "YJ4", "YJ5", "YJ6", "DYB")


def cores_off(base: str = NOMINAL) -> str:
    return config_text(base, *((f"{SITE}.cores.{c}.power_gw", 0.0) for c in ALL_CORES))


EDEP_TINY = (
    ("numerics.edep_bin", 1e-4),
    ("numerics.edep_onset_bin", 1e-5),
    ("numerics.edep_bin_max", 1e-4),
    ("numerics.edep_scale_energy", 0.0),
)
FINE_SEGMENTS = [[0.8, 12.0, 1.12e-8]]
GEO = f"{OVR}.backgrounds.geo"
TS1 = f"{SITE}.cores.TS1"
BASELINE = ("detectors", "JUNO", "site_override", "cores", "TS1", "baseline_km")


def special_cases() -> list[Case]:
    c: list[Case] = []

    def add(name: str, expect: str, *changes: Any, base: str = NOMINAL, args: tuple[str, ...] = PREDICT) -> None:
        c.append(Case(name, expect, config_text(base, *changes), args))

    # oscillation, grid, numerics
    add("dm2_31=0.5", "refuse", ("oscillation.dm2_31", 0.5))
    add("dm2_31=-0.5", "refuse", ("oscillation.dm2_31", -0.5))
    add("dm2_31=dm2_21", "refuse", ("oscillation.dm2_31", 7.53e-5))
    add("inverted_ordering", "accept", ("oscillation.dm2_31", -2.5283e-3))
    add("dm2_max=1+panel_phase=0.01", "refuse", ("numerics.dm2_max", 1.0), ("numerics.panel_phase", 0.01))
    add("dm2_max=1.0", "either", ("numerics.dm2_max", 1.0))
    add("panel_phase=0.01", "either", ("numerics.panel_phase", 0.01))
    add("panel_max=0.001", "either", ("numerics.panel_max", 0.001))
    add("panel_nodes=3.0", "refuse", ("numerics.panel_nodes", 3.0))
    add("panel_nodes=4", "accept", ("numerics.panel_nodes", 4))
    add("edep_tiny_set", "either", *EDEP_TINY)
    add("edep_onset>enu_max", "either", ("numerics.edep_onset", 2.0), ("numerics.enu_max", 2.0))
    add("matter=vaccum", "refuse", ("oscillation.matter", "vaccum"))
    add("matter=empty", "refuse", ("oscillation.matter", ""))
    add("matter=vacuum", "accept", ("oscillation.matter", "vacuum"))
    add("density=0", "accept", ("oscillation.density", 0.0))
    add("oscillation_table_deleted", "refuse", ("oscillation", DELETE))
    add("oscillation_is_string", "refuse", ("oscillation", "knp"))
    # flux, ibd
    add("form=table", "accept", ("flux.form", "table"))
    add("form=foo", "refuse", ("flux.form", "foo"))
    add("spectra=nonexistent", "refuse", ("flux.spectra", "nonexistent"))
    add("spectra=juno_site", "refuse", ("flux.spectra", "juno_site"))
    add("spectra=path_escape", "refuse", ("flux.spectra", "../../../../../../etc/passwd"))
    add("flux_deleted", "refuse", ("flux", DELETE))
    add("nonequilibrium=string", "refuse", ("flux.nonequilibrium", "yes"))
    add("cross_section=strumia_vissani", "accept", ("ibd.cross_section", "strumia_vissani"))
    add("cross_section=foo", "refuse", ("ibd.cross_section", "foo"))
    add("shape_correction_missing", "refuse", ("flux.shape_correction.table", "tables/none.csv"), base=FIRST)
    add("shape_correction_dev_zero", "refuse", ("flux.shape_correction.table", "/dev/zero"), base=FIRST)
    add("shape_correction_dir", "refuse", ("flux.shape_correction.table", "tables"), base=FIRST)
    # experiment, detectors
    add("model=foo", "refuse", ("experiment.model", "foo"))
    add("experiment_deleted", "refuse", ("experiment", DELETE))
    add("experiment.name_deleted", "accept", ("experiment.name", DELETE))
    add("seed=string", "refuse", ("experiment.seed", "42"))
    add("detectors_deleted", "refuse", ("detectors", DELETE))
    add("detectors_empty", "refuse", ("detectors", {}))
    add("detector_key_deleted", "refuse", ("detectors.JUNO.detector", DELETE))
    add("site_key_deleted", "refuse", ("detectors.JUNO.site", DELETE))
    add("detector=nonexistent", "refuse", ("detectors.JUNO.detector", "nonexistent"))
    add("detector=juno_site", "refuse", ("detectors.JUNO.detector", "juno_site"))
    add("detector=/dev/zero", "refuse", ("detectors.JUNO.detector", "/dev/zero"))
    add("site=juno", "refuse", ("detectors.JUNO.site", "juno"))
    add("site=nonexistent", "refuse", ("detectors.JUNO.site", "nonexistent"))
    add("detector=number", "refuse", ("detectors.JUNO.detector", 5))
    add("two_detectors", "either", ("detectors.JUNO2", {"detector": "juno", "site": "juno_site"}))
    # detector overrides
    add("efficiency=0.8", "accept", (f"{OVR}.efficiency", 0.8))
    add("efficiency=1.5", "refuse", (f"{OVR}.efficiency", 1.5))
    add("duty_cycle=2", "refuse", (f"{OVR}.duty_cycle", 2.0))
    add("resolution.a=0.028", "accept", (f"{OVR}.resolution.a", 0.028))
    add("resolution_is_number", "refuse", (f"{OVR}.resolution", 0.03))
    add("target_protons=1e300", "refuse", (f"{OVR}.target_protons", 1e300))
    add("override_unknown_key", "refuse", (f"{OVR}.foo", 1.0))
    add("override_is_string", "refuse", (OVR, "x"))
    add("nonlinearity_table_missing", "refuse", (f"{OVR}.nonlinearity.table", "none.csv"))
    add("nonlinearity_pulls_unknown", "refuse", (f"{OVR}.nonlinearity.pulls", ["pull9"]))
    # binning
    b = f"{OVR}.binning"
    add("segments_absurdly_fine", "refuse", (f"{b}.segments", FINE_SEGMENTS))
    add("segments_width_zero", "refuse", (f"{b}.segments", [[0.8, 12.0, 0.0]]))
    add("segments_width_negative", "refuse", (f"{b}.segments", [[0.8, 12.0, -0.1]]))
    add("segments_reversed", "refuse", (f"{b}.segments", [[12.0, 0.8, 0.1]]))
    add("segments_width_nan", "refuse", (f"{b}.segments", [[0.8, 12.0, NAN]]))
    add("segments_width_inf", "refuse", (f"{b}.segments", [[0.8, 12.0, INF]]))
    add("segments_hi_inf", "refuse", (f"{b}.segments", [[0.8, INF, 0.1]]))
    add("segments_gap", "refuse", (f"{b}.segments", [[0.8, 5.0, 0.1], [6.0, 12.0, 0.1]]))
    add("segments_empty", "refuse", (f"{b}.segments", []))
    add("segments_string", "refuse", (f"{b}.segments", "x"))
    add("segments_two_numbers", "refuse", (f"{b}.segments", [[0.8, 12.0]]))
    add("segments_bool_width", "refuse", (f"{b}.segments", [[0.8, 12.0, True]]))
    add("segments_huge_hi", "refuse", (f"{b}.segments", [[0.8, 1e300, 1e299]]))
    add("segments_coarse", "accept", (f"{b}.segments", [[0.8, 12.0, 0.1]]))
    add("edges_reversed", "refuse", (f"{b}.edges", [12.0, 8.0, 4.0, 0.8]))
    add("edges_single", "refuse", (f"{b}.edges", [0.8]))
    add("edges_nan", "refuse", (f"{b}.edges", [0.8, NAN, 12.0]))
    add("edges_negative", "refuse", (f"{b}.edges", [-1.0, 0.8, 12.0]))
    add("edges_duplicate", "refuse", (f"{b}.edges", [0.8, 5.0, 5.0, 12.0]))
    add("edges_strings", "refuse", (f"{b}.edges", ["0.8", "12"]))
    add("edges_huge", "refuse", (f"{b}.edges", [0.8, 12.0, 1e300]))
    add("edges_two", "accept", (f"{b}.edges", [0.8, 12.0]))
    add("edges_beyond_enu", "either", (f"{b}.edges", [0.8, 12.0, 50.0]))
    add("edges_and_segments_both", "either", (f"{b}.edges", [0.8, 12.0]), (f"{b}.segments", [[0.8, 12.0, 0.1]]))
    # backgrounds
    add("bg_rate_doubled", "accept", (f"{GEO}.rate_per_day", 2.4))
    add("bg_rate=1e9_fit", "either", (f"{GEO}.rate_per_day", 1e9), args=FIT)
    add("bg_rate=5.5e15_fit", "either", (f"{GEO}.rate_per_day", 5.5e15), args=FIT)
    add("bg_rate_uncertainty=1e30_fit", "refuse", (f"{GEO}.rate_uncertainty", 1e30), args=FIT)
    add("bg_shape=weird", "refuse", (f"{GEO}.shape", "weird"))
    add("bg_table_missing", "refuse", (f"{GEO}.table", "backgrounds/none.csv"))
    add("bg_table_dev_zero", "refuse", (f"{GEO}.table", "/dev/zero"))
    add("bg_table_path_escape", "refuse", (f"{GEO}.table", "../../../../../../../etc/passwd"))
    add("bg_flat_range_reversed", "refuse", (f"{OVR}.backgrounds.atm_nc.range", [12.0, 0.8]))
    add("bg_flat_range_nan", "refuse", (f"{OVR}.backgrounds.atm_nc.range", [0.8, NAN]))
    add("bg_flat_range_empty", "refuse", (f"{OVR}.backgrounds.atm_nc.range", [5.0, 5.0]))
    add("bg_value_scale_nan", "refuse", (f"{OVR}.backgrounds.li9he8.value_scale", NAN))
    add("bg_value_scale_negative", "refuse", (f"{OVR}.backgrounds.li9he8.value_scale", -10.0))
    add("bg_new_without_shape", "refuse", (f"{OVR}.backgrounds.new", {"rate_per_day": 1.0}))
    add(
        "bg_new_flat_valid",
        "accept",
        (f"{OVR}.backgrounds.new", {"rate_per_day": 0.1, "shape": "flat", "range": [0.8, 12.0]}),
    )
    # site overrides
    add("all_cores_off", "refuse", *((f"{SITE}.cores.{c}.power_gw", 0.0) for c in ALL_CORES))
    c.append(Case("all_cores_off_fit", "refuse", cores_off(), FIT))
    add("TS1_off", "accept", (f"{TS1}.power_gw", 0.0))
    add("only_DYB_on", "accept", *((f"{SITE}.cores.{c}.power_gw", 0.0) for c in ALL_CORES[:-1]))
    add("power_gw=-1", "refuse", (f"{TS1}.power_gw", -1.0))
    add("power_gw=string", "refuse", (f"{TS1}.power_gw", "4.6"))
    for label, v, expect in [
        ("1e6", 1e6, "refuse"),
        ("1e12", 1e12, "refuse"),
        ("nan", NAN, "refuse"),
        ("-1", -1.0, "refuse"),
        ("0", 0.0, "refuse"),
        ("string", "52", "refuse"),
        ("60", 60.0, "accept"),
    ]:
        add(f"baseline_table_JUNO={label}", expect, (BASELINE, {"JUNO": v}))
    add("baseline_table_other_detector", "refuse", (BASELINE, {"OTHER": 52.0}))
    add("baseline_table_empty", "refuse", (BASELINE, {}))
    add("baseline_array", "refuse", (BASELINE, [52.0]))
    ff = f"{TS1}.fission_fractions"
    for label, v, expect in [
        ("nan", {"U235": NAN, "U238": 0.07, "Pu239": 0.30, "Pu241": 0.05}, "refuse"),
        ("negative", {"U235": -0.58, "U238": 0.07, "Pu239": 1.46, "Pu241": 0.05}, "refuse"),
        ("sum_2", {"U235": 1.16, "U238": 0.14, "Pu239": 0.60, "Pu241": 0.10}, "refuse"),
        ("missing_Pu241", {"U235": 0.63, "U238": 0.07, "Pu239": 0.30}, "refuse"),
        ("extra_Cf252", {"U235": 0.58, "U238": 0.07, "Pu239": 0.30, "Pu241": 0.05, "Cf252": 0.0}, "refuse"),
        ("inf", {"U235": INF, "U238": 0.07, "Pu239": 0.30, "Pu241": 0.05}, "refuse"),
        ("string", "0.58", "refuse"),
        ("valid_other", {"U235": 0.60, "U238": 0.07, "Pu239": 0.28, "Pu241": 0.05}, "accept"),
    ]:
        add(f"TS1_fission_fractions_{label}", expect, (ff, v))
    add("new_core_valid", "accept", (f"{SITE}.cores.HZ1", {"power_gw": 2.9, "baseline_km": 265.0}))
    add("new_core_no_baseline", "refuse", (f"{SITE}.cores.HZ1", {"power_gw": 2.9}))
    add("core_unknown_key", "refuse", (f"{TS1}.foo", 1.0))
    add("site_unknown_key", "refuse", (f"{SITE}.foo", 1.0))
    add("cores_table_empty_override", "either", (f"{SITE}.cores", {}))
    add("fission_correlation_nan", "refuse", (f"{SITE}.uncertainties.fission_fraction_correlation", [[NAN] * 4] * 4))
    # fit
    cs = "fit.constraints.sin2_theta13"
    for label, v, expect in [
        ("[nan,0.0007]", [NAN, 0.0007], "refuse"),
        ("[inf,0.0007]", [INF, 0.0007], "refuse"),
        ("[-inf,0.0007]", [-INF, 0.0007], "refuse"),
        ("[0.0218,inf]", [0.0218, INF], "refuse"),
        ("[0.0218,nan]", [0.0218, NAN], "refuse"),
        ("[-5.0,0.0007]", [-5.0, 0.0007], "refuse"),
        ("[1.5,0.0007]", [1.5, 0.0007], "refuse"),
        ("[1e300,0.0007]", [1e300, 0.0007], "refuse"),
        ("[0.0218,-0.0007]", [0.0218, -0.0007], "refuse"),
        ("[0.0218,0]", [0.0218, 0.0], "refuse"),
        ("[0.0218,1e300]", [0.0218, 1e300], "refuse"),
        ("[0.0218,1e-300]", [0.0218, 1e-300], "either"),
        ("[0.0218]", [0.0218], "refuse"),
        ("[0.0218,0.0007,1]", [0.0218, 0.0007, 1.0], "refuse"),
        ("[str,0.0007]", ["a", 0.0007], "refuse"),
        ("[true,0.0007]", [True, 0.0007], "refuse"),
        ("scalar", 0.0218, "refuse"),
        ("table", {"mean": 0.0218, "sigma": 0.0007}, "refuse"),
        ("[0.0218,0.0007]", [0.0218, 0.0007], "accept"),
    ]:
        add(f"constraint_sin2_theta13={label}", expect, (cs, v), args=FIT)
    add("constraint_unknown_param", "refuse", ("fit.constraints.foo", [1.0, 0.1]), args=FIT)
    add("constraint_dm2_31_wrong_sign", "either", ("fit.constraints.dm2_31", [-2.5e-3, 3e-5]), args=FIT)
    add("constraints_is_array", "refuse", ("fit.constraints", [[0.0218, 0.0007]]), args=FIT)
    add("first_data_constraint_nan", "refuse", (cs, [NAN, 0.0007]), base=FIRST, args=FIT)
    add("parameters=[foo]", "refuse", ("fit.parameters", ["foo"]), args=FIT)
    add("parameters=[]", "either", ("fit.parameters", []), args=FIT)
    add("parameters_duplicate", "refuse", ("fit.parameters", ["dm2_31", "dm2_31"]), args=FIT)
    add("parameters=string", "refuse", ("fit.parameters", "dm2_31"), args=FIT)
    add("parameters=[1]", "refuse", ("fit.parameters", [1]), args=FIT)
    add("parameters=[dm2_31]", "accept", ("fit.parameters", ["dm2_31"]), args=FIT)
    add("statistic=chi2", "refuse", ("fit.statistic", "chi2"), args=FIT)
    for stat in ("cnp", "pearson", "neyman"):
        add(f"statistic={stat}", "accept", ("fit.statistic", stat), args=FIT)
    add("minos=string", "refuse", ("fit.minos", "yes"), args=FIT)
    add("retries=2.5", "refuse", ("fit.retries", 2.5), args=FIT)
    add("fit_deleted", "accept", ("fit", DELETE), args=FIT)
    add("systematics_unknown", "refuse", ("systematics.foo", True), args=FIT)
    add("systematics_string", "refuse", ("systematics.efficiency", "yes"), args=FIT)
    add(
        "systematics_all_off",
        "accept",
        *((f"systematics.{k}", False) for k in shipped("configs", NOMINAL)["systematics"]),
        args=FIT,
    )
    # unknown keys in every table
    for table in ("experiment", "oscillation", "flux", "ibd", "numerics", "fit", "systematics"):
        add(f"unknown_key_in_{table}", "refuse", (f"{table}.foo", 1.0))
    add("unknown_top_level_table", "refuse", ("foo.bar", 1.0))
    # Daya Bay (fits of the Asimov data set)
    add("dayabay_control", "accept", base=DAYABAY, args=FIT)
    for label, path, v in [
        ("release=zip", "dayabay.release", "zip"),
        ("ordering=sideways", "dayabay.ordering", "sideways"),
        ("cnp_variance=nan", "dayabay.cnp_variance", NAN),
        ("background_sigma=1", "dayabay.background_sigma", 1),
        ("statistic=poisson", "fit.statistic", "poisson"),
        ("parameters=[foo]", "fit.parameters", ["foo"]),
        ("spectrum=maybe", "fit.spectrum", "maybe"),
        ("exposure=100d", "experiment.exposure", "100d"),
        ("systematics_string", "systematics.solar", "yes"),
        ("unknown_key", "dayabay.foo", 1),
        ("model=DayaBay", "experiment.model", "DayaBay"),
        ("detectors_table", "detectors.JUNO", {"detector": "juno", "site": "juno_site"}),
    ]:
        add(f"dayabay_{label}", "refuse", (path, v), base=DAYABAY, args=FIT)
    # first data
    add("first_data_control", "accept", base=FIRST)
    add("first_data_efficiency=2", "refuse", (f"{OVR}.efficiency", 2.0), base=FIRST)
    # controls and valid variations
    add("nominal_control", "accept")
    add("nominal_control_fit", "accept", args=FIT)
    add("first_data_control_fit", "accept", base=FIRST, args=FIT)
    return c


def name_cases() -> list[Case]:
    """Control and bidi characters in names: refused, or printed escaped."""
    cases: list[Case] = []
    for label, ch in (("NUL", "\x00"), ("RLO", "\u202e"), ("newline", "\n"), ("ESC", "\x1b[31m"), ("C1", "\x85")):
        bad = f"JU{ch}NO"
        for where, changes in (
            ("experiment_name", [("experiment.name", bad)]),
            ("description", [("experiment.description", f"desc{ch}ription")]),
            (
                "detector_name",
                [(("detectors", bad), {"detector": "juno", "site": "juno_site"}), ("detectors.JUNO", DELETE)],
            ),
            (
                "core_name",
                [(("detectors", "JUNO", "site_override", "cores", f"TS{ch}9"), {"power_gw": 1.0, "baseline_km": 60.0})],
            ),
            (
                "background_name",
                [
                    (
                        ("detectors", "JUNO", "override", "backgrounds", f"bg{ch}x"),
                        {"rate_per_day": 0.1, "shape": "flat", "range": [0.8, 12.0]},
                    )
                ],
            ),
            ("unknown_key", [(("oscillation", f"key{ch}x"), 1.0)]),
        ):
            expect = "refuse" if where == "unknown_key" else "either"
            cases.append(Case(f"name_{label}_in_{where}", expect, config_text(NOMINAL, *changes)))
    return cases


def file_cases() -> list[Case]:
    """Malformed TOML, deep nesting, huge files and paths that are not regular files."""
    good = (REPO / "configs" / f"{NOMINAL}.toml").read_text(encoding="utf-8")
    cases = [
        Case("toml_duplicate_key", "refuse", good.replace('exposure = "6y"', 'exposure = "6y"\nexposure = "6y"')),
        Case("toml_duplicate_table", "refuse", good + "\n[oscillation]\nsin2_theta12 = 0.3\n"),
        Case("toml_unterminated_string", "refuse", good.replace('exposure = "6y"', 'exposure = "6y')),
        Case("toml_unclosed_header", "refuse", good.replace("[oscillation]", "[oscillation")),
        Case("toml_invalid_utf8", "refuse", good.encode() + b"\n# \xff\xfe\xc3\x28\n"),
        Case("toml_utf16", "refuse", good.encode("utf-16")),
        Case("toml_utf8_bom", "either", b"\xef\xbb\xbf" + good.encode()),
        Case("toml_empty_file", "refuse", ""),
        Case("toml_only_comments", "refuse", "# nothing here\n"),
        Case("toml_nul_bytes", "refuse", b"\x00" * 4096),
        Case("toml_binary", "refuse", bytes(random.Random(7).randrange(256) for _ in range(4096))),
        Case("toml_nested_5000_arrays", "refuse", _nested(5000, "array")),
        Case("toml_nested_5000_inline_tables", "refuse", _nested(5000, "inline")),
        Case("toml_nested_5000_dotted_header", "refuse", _nested(5000, "dotted")),
        Case("toml_50MB", "refuse", good + "\n" + ("# " + "x" * 98 + "\n") * 500_000),
        Case("toml_50MB_string", "refuse", good.replace('"6y"', '"6y"\nfoo = "' + "x" * 50_000_000 + '"', 1)),
        Case("config_fifo", "refuse", cfg="cases/fifo.toml", setup=_make_fifo("cases/fifo.toml"), timeout=FIFO_TIMEOUT),
        Case("config_directory", "refuse", cfg="cases/adir.toml", setup=_make_dir("cases/adir.toml")),
        Case("config_dev_zero", "refuse", cfg="/dev/zero"),
        Case("config_dev_null", "refuse", cfg="/dev/null"),
        Case("config_missing", "refuse", cfg="cases/missing.toml"),
        Case("config_empty_name", "refuse", cfg=""),
        Case("config_unknown_name", "refuse", cfg="no_such_config"),
    ]
    return cases


def _make_fifo(rel: str) -> Callable[[Path], None]:
    def setup(scratch: Path) -> None:
        path = scratch / rel
        if not path.exists():
            os.mkfifo(path)

    return setup


def _make_dir(rel: str) -> Callable[[Path], None]:
    def setup(scratch: Path) -> None:
        (scratch / rel).mkdir(parents=True, exist_ok=True)

    return setup


def hand_cases() -> list[Case]:
    return numeric_key_cases() + exposure_cases() + special_cases() + name_cases() + file_cases()


def run_case(camp: Campaign, part: str, case: Case) -> Result:
    folder = camp.scratch / "cases"
    folder.mkdir(exist_ok=True)
    if case.cfg is not None:
        cfg = case.cfg
    else:
        cfg = f"cases/{_slug(part + '_' + case.name)[:120]}.toml"
        data = case.text.encode("utf-8") if isinstance(case.text, str) else (case.text or b"")
        (camp.scratch / cfg).write_bytes(data)
    if case.setup:
        case.setup(camp.scratch)
    args = [a.replace("{cfg}", cfg) for a in case.args]
    run = camp.runner.run(args, case.timeout)
    return judge(part, case.name, run, case.expect, "--json" in args, case.note)


def part_configs(camp: Campaign) -> list[Result]:
    cases = hand_cases()
    if camp.quick:
        cases = cases[::12]
    return camp.run_all("configs", cases, lambda c: run_case(camp, "configs", c))


# --------------------------------------------------------------------------------------------------
# Part 2: fuzzed configs
# --------------------------------------------------------------------------------------------------

FUZZ_INSERT = [
    (OVR, ["target_protons", "efficiency", "duty_cycle", "energy_scale", "name", "binning", "resolution", "foo"]),
    (f"{OVR}.resolution", ["a", "b", "c", "source"]),
    (f"{OVR}.binning", ["edges", "segments"]),
    (f"{OVR}.uncertainties", ["efficiency", "energy_scale", "resolution_a", "resolution_b", "resolution_c"]),
    (GEO, ["rate_per_day", "rate_uncertainty", "shape_uncertainty", "shape", "table", "range"]),
    (TS1, ["power_gw", "baseline_km", "fission_fractions", "snf", "label"]),
    (f"{SITE}.uncertainties", ["core_power", "fission_fractions", "fission_fraction_correlation"]),
    ("numerics", list(NUMERICS_DEFAULTS)),
    ("experiment", ["seed", "exposure", "model", "name", "description"]),
    ("oscillation", ["matter", "density", "density_uncertainty", "electron_fraction", "dm2_31"]),
    ("fit", ["retries", "constraints", "minos", "statistic", "parameters", "spectrum"]),
    ("fit.constraints", ["sin2_theta13", "dm2_31", "dm2_21", "sin2_theta12"]),
    ("flux", ["normalisation", "normalisation_uncertainty", "form", "spectra", "snf"]),
]
PLAUSIBLE = [0.5, 1.0, 52.0, 0.02, [0.0218, 0.0007], [[0.8, 12.0, 0.2]], [0.8, 6.0, 12.0], "100d", "flat", True]


def _fuzz_value(rng: random.Random, original: Any) -> Any:
    pool: list[Any] = [
        NAN, INF, -INF, 1e300, -1e300, 1e-300, -1.0, 0, 0.0, 1, -7, 2**63 - 1, "", "x", "100d", "nan", "-5d",
        True, False, [], [1.0, 2.0], [NAN, 1.0], [[0.8, 12.0, 0.5]], [[0.8, 12.0, 1e-9]], {}, {"a": 1},
        {"JUNO": 1e6}, "\u202e", "a\nb", "\x00", "x" * 10000,
    ]  # fmt: skip
    if isinstance(original, int | float) and not isinstance(original, bool):
        pool += [original * 10, -original, original * 1e6, original * 1e-6, original + 1]
    elif isinstance(original, str) and original:
        pool += [original.upper(), original + "x", original[:-1]]
    return copy.deepcopy(rng.choice(pool))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    for k, v in items:
        yield (*prefix, k), v
        yield from _paths(v, (*prefix, k))


def _show(path: tuple[Any, ...]) -> str:
    return ".".join(f"[{k}]" if isinstance(k, int) else str(k) for k in path)


def fuzz_case(rng: random.Random, index: int) -> Case:
    base = rng.choices(SHIPPED, weights=(5, 3, 2))[0]
    data = shipped("configs", base)
    ops: list[str] = []
    duplicate = False
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        op = rng.choice(("replace", "replace", "replace", "delete", "insert", "insert", "rename", "duplicate"))
        paths = list(_paths(data))
        if op == "replace" and paths:
            leaves = [(p, v) for p, v in paths if not isinstance(v, dict | list)] or paths
            path, old = rng.choice(leaves)
            value = _fuzz_value(rng, old)
            data = edited(data, (path, value))
            ops.append(f"{_show(path)} = {value!r:.60}")
        elif op == "delete" and paths:
            path, _ = rng.choice(paths)
            data = edited(data, (path, DELETE))
            ops.append(f"delete {_show(path)}")
        elif op == "insert":
            table, keys = rng.choice(FUZZ_INSERT)
            key = rng.choice(keys)
            value = copy.deepcopy(rng.choice(PLAUSIBLE)) if rng.random() < 0.3 else _fuzz_value(rng, None)
            data = edited(data, ((*split(table), key), value))
            ops.append(f"insert {table}.{key} = {value!r:.60}")
        elif op == "rename":
            tables = [(p, v) for p, v in [((), data), *paths] if isinstance(v, dict) and v]
            path, node = rng.choice(tables)
            old = rng.choice(list(node))
            new = rng.choice((old + "_x", old.upper(), old[:-1] or "x", old + "s", "_" + old))
            parent = edited(data, ((*path, new), node[old]), ((*path, old), DELETE)) if path else None
            if parent is None:
                data[new] = data.pop(old)
            else:
                data = parent
            ops.append(f"rename {_show((*path, old))} -> {new}")
        else:
            duplicate = True
            ops.append("duplicate a table")
    text = toml_dumps(data)
    if duplicate:
        headers = [m.start() for m in re.finditer(r"(?m)^\[[^\]\n]+\]$", text)]
        if headers:
            start = rng.choice(headers)
            end = next((h for h in headers if h > start), len(text))
            text += "\n" + text[start:end]
    args = FIT if base == DAYABAY or rng.random() < 0.2 else PREDICT
    return Case(f"fuzz_{index:03d}_{base}", "either", text, args, note="; ".join(ops))


def fuzz_cases(seed: int, n: int) -> list[Case]:
    rng = random.Random(seed)
    return [fuzz_case(rng, i) for i in range(n)]


def part_fuzz(camp: Campaign) -> list[Result]:
    cases = fuzz_cases(camp.seed, 20 if camp.quick else 220)
    return camp.run_all("fuzz", cases, lambda c: run_case(camp, "fuzz", c))


# --------------------------------------------------------------------------------------------------
# Part 3: damaged data files
# --------------------------------------------------------------------------------------------------

COUNTS, EDGES = "detectors/JUNO/counts", "detectors/JUNO/edges"


def _replace(f: h5py.File, path: str, data: Any) -> None:
    del f[path]
    f.create_dataset(path, data=data)


def _with_counts(fn: Callable[[np.ndarray], Any]) -> Callable[[h5py.File], None]:
    def edit(f: h5py.File) -> None:
        _replace(f, COUNTS, fn(np.array(f[COUNTS][()], dtype=float)))

    return edit


def _with_edges(fn: Callable[[np.ndarray], Any]) -> Callable[[h5py.File], None]:
    def edit(f: h5py.File) -> None:
        _replace(f, EDGES, fn(np.array(f[EDGES][()], dtype=float)))

    return edit


def _set_bin(value: Any, i: int = 100) -> Callable[[np.ndarray], np.ndarray]:
    def fn(c: np.ndarray) -> np.ndarray:
        c = c.astype(np.result_type(c, np.asarray(value)))
        c[i] = value
        return c

    return fn


def _attr(name: str, value: Any) -> Callable[[h5py.File], None]:
    def edit(f: h5py.File) -> None:
        if value is DELETE:
            del f.attrs[name]
        else:
            f.attrs[name] = value

    return edit


def _delete(path: str) -> Callable[[h5py.File], None]:
    def edit(f: h5py.File) -> None:
        del f[path]

    return edit


def _detectors_dataset(f: h5py.File) -> None:
    del f["detectors"]
    f.create_dataset("detectors", data=np.arange(10.0))


def _rename_detector(f: h5py.File) -> None:
    f.move("detectors/JUNO", "detectors/JUNO2")


def _extra_detector(f: h5py.File) -> None:
    f.copy("detectors/JUNO", "detectors/OTHER")


def _counts_group(f: h5py.File) -> None:
    del f[COUNTS]
    f.create_group(COUNTS)


def _truth_mismatch(f: h5py.File) -> None:
    _replace(f, "truth/values", np.array(f["truth/values"][()])[:-3])


def _toy_as_float(f: h5py.File) -> None:
    f.attrs["kind"] = "toy"
    _replace(f, COUNTS, np.array(f[COUNTS][()], dtype=float) + 0.5)


@dataclass
class DataCase:
    name: str
    expect: str
    source: str  # base, toy, d100, first, csv, or "" for a special path
    edit: Callable[[h5py.File], None] | Callable[[bytes], bytes] | None = None
    kind: str = "h5"  # h5 (edit an HDF5 copy), bytes (edit the raw bytes), csv (edit the text), path
    config: str = NOMINAL
    extra: tuple[str, ...] = ()
    path: str | None = None
    timeout: float | None = None


def _csv_edit(
    fn: Callable[[list[str], list[list[str]]], tuple[list[str], list[list[str]]]],
) -> Callable[[bytes], bytes]:
    """Apply fn(header, rows) to the data lines of the release CSV (comment lines kept)."""

    def edit(raw: bytes) -> bytes:
        lines = raw.decode("utf-8").splitlines()
        i = next(j for j, line in enumerate(lines) if line.startswith("Ec,"))
        header = lines[i].split(",")
        rows = [line.split(",") for line in lines[i + 1 :] if line.strip()]
        header, rows = fn(header, rows)
        body = [",".join(header)] + [",".join(r) for r in rows]
        return ("\n".join(lines[:i] + body) + "\n").encode("utf-8")

    return edit


def _column(name: str, fn: Callable[[int, str], str]) -> Callable[[bytes], bytes]:
    def change(header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
        j = header.index(name)
        for i, r in enumerate(rows):
            r[j] = fn(i, r[j])
        return header, rows

    return _csv_edit(change)


def _drop_column(name: str) -> Callable[[bytes], bytes]:
    def change(header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
        j = header.index(name)
        return header[:j] + header[j + 1 :], [r[:j] + r[j + 1 :] for r in rows]

    return _csv_edit(change)


def _negate(i: int, v: str) -> str:
    return str(-float(v))


def data_cases() -> list[DataCase]:
    rnd = random.Random(11)
    d: list[DataCase] = [
        DataCase("control_asimov", "accept", "base"),
        DataCase("control_toy", "accept", "toy"),
        DataCase("control_100d_with_100d", "accept", "d100", extra=("--exposure", "100d")),
        DataCase("control_release_csv", "accept", "csv", config=FIRST),
        # raw bytes
        DataCase("truncated_half", "refuse", "base", lambda b: b[: len(b) // 2], "bytes"),
        DataCase("truncated_1kB", "refuse", "base", lambda b: b[:1024], "bytes"),
        DataCase("zero_bytes", "refuse", "base", lambda b: b"", "bytes"),
        DataCase("random_bytes", "refuse", "base", lambda b: bytes(rnd.randrange(256) for _ in range(65536)), "bytes"),
        DataCase("text_file", "refuse", "base", lambda b: b"this is not an HDF5 file\n", "bytes"),
        DataCase("json_file", "refuse", "base", lambda b: b'{"counts": [1, 2, 3]}\n', "bytes"),
        DataCase("hdf5_signature_then_garbage", "refuse", "base", lambda b: b[:8] + b"\x00" * 4096, "bytes"),
        DataCase(
            "bytes_zeroed_at_3_4",
            "either",
            "base",
            lambda b: b[: 3 * len(b) // 4] + b"\x00" * 512 + b[3 * len(b) // 4 + 512 :],
            "bytes",
        ),
        # attributes
        DataCase("no_format_attribute", "refuse", "base", _attr("format", DELETE)),
        DataCase("format_fit_result", "refuse", "base", _attr("format", "juno-fit fit result")),
        DataCase("format_ensemble", "refuse", "base", _attr("format", "juno-fit ensemble")),
        DataCase("format_int", "refuse", "base", _attr("format", 7)),
        DataCase("format_bytes_array", "refuse", "base", _attr("format", np.array([b"juno-fit", b"dataset"]))),
        DataCase("format_version_99", "refuse", "base", _attr("format_version", 99)),
        DataCase("format_version_string", "refuse", "base", _attr("format_version", "one")),
        DataCase("format_version_nan", "refuse", "base", _attr("format_version", NAN)),
        DataCase("kind_garbage", "refuse", "base", _attr("kind", "garbage")),
        DataCase("kind_int", "refuse", "base", _attr("kind", 3)),
        DataCase("seed_string", "refuse", "base", _attr("seed", "abc")),
        DataCase("toy_float", "refuse", "toy", _attr("toy", 3.5)),
        DataCase("throw_nuisances_string", "refuse", "base", _attr("throw_nuisances", "maybe")),
        DataCase("config_name_int", "either", "base", _attr("config_name", 12)),
        DataCase("config_text_deleted", "either", "base", _attr("config_text", DELETE)),
        # structure
        DataCase("detectors_is_dataset", "refuse", "base", _detectors_dataset),
        DataCase("detectors_missing", "refuse", "base", _delete("detectors")),
        DataCase("detector_group_missing", "refuse", "base", _delete("detectors/JUNO")),
        DataCase("detector_renamed", "refuse", "base", _rename_detector),
        DataCase("extra_detector", "refuse", "base", _extra_detector),
        DataCase("counts_missing", "refuse", "base", _delete(COUNTS)),
        DataCase("edges_missing", "refuse", "base", _delete(EDGES)),
        DataCase("counts_is_group", "refuse", "base", _counts_group),
        DataCase("truth_missing", "refuse", "base", _delete("truth")),
        DataCase("truth_names_missing", "refuse", "base", _delete("truth/names")),
        DataCase("truth_length_mismatch", "refuse", "base", _truth_mismatch),
        DataCase(
            "truth_values_nan",
            "either",
            "base",
            lambda f: _replace(f, "truth/values", np.full(f["truth/values"].shape, NAN)),
        ),
        # counts
        DataCase("counts_nan_one_bin", "refuse", "base", _with_counts(_set_bin(NAN))),
        DataCase("counts_all_nan", "refuse", "base", _with_counts(lambda c: np.full_like(c, NAN))),
        DataCase("counts_+inf", "refuse", "base", _with_counts(_set_bin(INF))),
        DataCase("counts_-inf", "refuse", "base", _with_counts(_set_bin(-INF))),
        DataCase("counts_negative", "refuse", "base", _with_counts(_set_bin(-5.0))),
        DataCase("counts_tiny_negative", "refuse", "base", _with_counts(_set_bin(-1e-300))),
        DataCase("counts_complex", "refuse", "base", _with_counts(lambda c: c.astype(complex) + 1j)),
        DataCase("counts_1e300_one_bin", "refuse", "base", _with_counts(_set_bin(1e300))),
        DataCase("counts_strings", "refuse", "base", _with_counts(lambda c: np.array([b"%g" % x for x in c]))),
        DataCase("counts_2d", "refuse", "base", _with_counts(lambda c: np.vstack([c, c]))),
        DataCase("counts_one_short", "refuse", "base", _with_counts(lambda c: c[:-1])),
        DataCase("counts_one_long", "refuse", "base", _with_counts(lambda c: np.append(c, 1.0))),
        DataCase("counts_empty", "refuse", "base", _with_counts(lambda c: c[:0])),
        DataCase("counts_scalar", "refuse", "base", _with_counts(lambda c: np.float64(c.sum()))),
        DataCase("counts_bool", "refuse", "base", _with_counts(lambda c: c > 100)),
        # rounding changes the Asimov counts: the content digest refuses it (--force-data fits it)
        DataCase("counts_int64", "either", "base", _with_counts(lambda c: np.round(c).astype(np.int64))),
        DataCase("counts_float32", "either", "base", _with_counts(lambda c: c.astype(np.float32))),
        DataCase("counts_all_zero", "either", "base", _with_counts(np.zeros_like)),
        # edges
        DataCase("edges_reversed", "refuse", "base", _with_edges(lambda e: e[::-1].copy())),
        DataCase("edges_shifted", "refuse", "base", _with_edges(lambda e: e + 0.01)),
        DataCase("edges_nan", "refuse", "base", _with_edges(_set_bin(NAN, 5))),
        DataCase("edges_one_short", "refuse", "base", _with_edges(lambda e: e[:-1])),
        DataCase("edges_in_keV", "refuse", "base", _with_edges(lambda e: e * 1000.0)),
        DataCase("edges_2d", "refuse", "base", _with_edges(lambda e: np.vstack([e, e]))),
        # toys, exposures, other configs
        DataCase("toy_non_integer_counts", "refuse", "toy", _with_counts(lambda c: c + 0.5)),
        DataCase("asimov_marked_toy", "refuse", "base", _toy_as_float),
        DataCase("toy_marked_asimov", "either", "toy", _attr("kind", "asimov")),
        DataCase("100d_data_with_6y_config", "refuse", "d100"),
        DataCase("first_data_file_with_nominal", "refuse", "first"),
        # the release table
        DataCase("csv_negated_Nobs_err", "refuse", "csv", _column("Nobs_err", _negate), "csv", FIRST),
        DataCase("csv_nan_Nobs", "refuse", "csv", _column("Nobs", lambda i, v: "nan" if i == 10 else v), "csv", FIRST),
        DataCase(
            "csv_empty_Nobs_cell", "refuse", "csv", _column("Nobs", lambda i, v: "" if i == 10 else v), "csv", FIRST
        ),
        DataCase("csv_inf_Nobs", "refuse", "csv", _column("Nobs", lambda i, v: "inf" if i == 10 else v), "csv", FIRST),
        DataCase(
            "csv_negative_Nobs", "refuse", "csv", _column("Nobs", lambda i, v: "-3" if i == 10 else v), "csv", FIRST
        ),
        DataCase(
            "csv_1e300_Nobs", "refuse", "csv", _column("Nobs", lambda i, v: "1e300" if i == 10 else v), "csv", FIRST
        ),
        DataCase(
            "csv_text_Nobs", "refuse", "csv", _column("Nobs", lambda i, v: "many" if i == 10 else v), "csv", FIRST
        ),
        DataCase("csv_nan_Npred", "either", "csv", _column("Npred_Bipo", lambda i, v: "nan"), "csv", FIRST),
        DataCase(
            "csv_extra_column",
            "either",
            "csv",
            _csv_edit(lambda h, r: ([*h, "extra"], [[*x, "1"] for x in r])),
            "csv",
            FIRST,
        ),
        DataCase("csv_missing_Nobs", "refuse", "csv", _drop_column("Nobs"), "csv", FIRST),
        DataCase("csv_missing_Nobs_err", "refuse", "csv", _drop_column("Nobs_err"), "csv", FIRST),
        DataCase("csv_missing_Ec", "refuse", "csv", _drop_column("Ec"), "csv", FIRST),
        DataCase("csv_header_only", "refuse", "csv", _csv_edit(lambda h, r: (h, [])), "csv", FIRST),
        DataCase("csv_row_dropped", "refuse", "csv", _csv_edit(lambda h, r: (h, r[:-1])), "csv", FIRST),
        DataCase("csv_row_duplicated", "refuse", "csv", _csv_edit(lambda h, r: (h, [*r, r[-1]])), "csv", FIRST),
        DataCase("csv_Ec_shifted", "refuse", "csv", _column("Ec", lambda i, v: str(float(v) + 0.05)), "csv", FIRST),
        DataCase("csv_semicolons", "refuse", "csv", lambda b: b.replace(b",", b";"), "csv", FIRST),
        DataCase("csv_non_utf8", "refuse", "csv", lambda b: b + b"\xff\xfe,\xc3\x28\n", "csv", FIRST),
        DataCase("csv_binary", "refuse", "csv", lambda b: bytes(rnd.randrange(256) for _ in range(8192)), "csv", FIRST),
        DataCase("csv_with_nominal_config", "refuse", "csv"),
        # paths that are not regular files
        DataCase("data_fifo", "refuse", "", kind="fifo", path="data/fifo.h5", timeout=FIFO_TIMEOUT),
        DataCase("data_directory", "refuse", "", kind="dir", path="data/adir.h5"),
        DataCase("data_dev_zero", "refuse", "", kind="path", path="/dev/zero", timeout=FIFO_TIMEOUT),
        DataCase("data_missing", "refuse", "", kind="path", path="data/missing.h5"),
        DataCase("data_empty_path", "refuse", "", kind="path", path=""),
    ]
    return d


def build_data_file(camp: Campaign, case: DataCase) -> str:
    """Create the damaged file of a case under data/ and return its path relative to the scratch folder."""
    if case.kind == "fifo":
        _make_fifo(case.path or "")(camp.scratch)
        return case.path or ""
    if case.kind == "dir":
        _make_dir(case.path or "")(camp.scratch)
        return case.path or ""
    if case.kind == "path":
        return case.path or ""
    source = camp.source(case.source)
    suffix = ".csv" if case.source == "csv" else ".h5"
    rel = f"data/{_slug(case.name)}{suffix}"
    target = camp.scratch / rel
    if case.edit is None:
        shutil.copyfile(source, target)
    elif case.kind in ("bytes", "csv"):
        target.write_bytes(case.edit(source.read_bytes()))  # type: ignore[arg-type]
    else:
        shutil.copyfile(source, target)
        with h5py.File(target, "r+") as f:
            case.edit(f)  # type: ignore[arg-type]
    return rel


def data_args(case: DataCase, rel: str) -> list[str]:
    return ["fit", case.config, "--data", rel, "--no-minos", "--json", *case.extra]


def run_data_case(camp: Campaign, case: DataCase) -> Result:
    try:
        rel = build_data_file(camp, case)
    except Exception as exc:  # the base data set could not be made: the package is broken there
        return not_run("data", case.name, f"fit {case.config} --data ...", f"setup failed: {exc}")
    run = camp.runner.run(data_args(case, rel), case.timeout)
    return judge("data", case.name, run, case.expect, True)


def part_data(camp: Campaign) -> list[Result]:
    cases = data_cases()
    if camp.quick:
        cases = [c for i, c in enumerate(cases) if c.name.startswith("control") or i % 6 == 0]
    return camp.run_all("data", cases, lambda c: run_data_case(camp, c))


# --------------------------------------------------------------------------------------------------
# Part 4: outputs
# --------------------------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hidden_files(folder: Path) -> list[str]:
    try:
        return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))
    except OSError:
        return []


CHEAP = ("juno_nominal", "--exposure", "100d")


@dataclass
class OutputCheck:
    name: str
    args: tuple[str, ...]  # "{t}" is the target file
    target: str
    prepare: str = "sentinel"  # sentinel, ensemble
    timeout: float | None = None
    slow: bool = False


def output_checks() -> list[OutputCheck]:
    return [
        OutputCheck("predict --plot", ("predict", *CHEAP, "--plot", "{t}"), "F.png"),
        OutputCheck("fit --plot", ("fit", *CHEAP, "--no-minos", "--plot", "{t}"), "F.png"),
        OutputCheck("fit --plot-pulls", ("fit", *CHEAP, "--no-minos", "--plot-pulls", "{t}"), "F.png"),
        OutputCheck("fit --plot-correlation", ("fit", *CHEAP, "--no-minos", "--plot-correlation", "{t}"), "F.png"),
        OutputCheck("fit -o", ("fit", *CHEAP, "--no-minos", "-o", "{t}"), "F.h5"),
        OutputCheck("simulate -o", ("simulate", *CHEAP, "-o", "{t}"), "F.h5"),
        OutputCheck(
            "scan --plot", ("scan", *CHEAP, "--param", "sin2_theta12", "--points", "3", "--plot", "{t}"), "F.png"
        ),
        OutputCheck(
            "contour --plot",
            (
                "contour",
                *CHEAP,
                "--params",
                "sin2_theta12",
                "dm2_21",
                "--points",
                "5",
                "--workers",
                "1",
                "--plot",
                "{t}",
            ),
            "F.png",
        ),
        OutputCheck("nmo --plot", ("nmo", *CHEAP, "--plot", "{t}"), "F.png"),
        OutputCheck("bench -o", ("bench", "-o", "{t}", "--no-starts"), "F.json", timeout=600, slow=True),
        OutputCheck("merge -o", ("merge", "ens/a.h5", "-o", "{t}"), "F.h5", prepare="sentinel+ensemble"),
        OutputCheck(
            "toys -o other ensemble",
            ("toys", "juno_nominal", "--exposure", "50d", "--n", "2", "--workers", "1", "-o", "{t}"),
            "F.h5",
            prepare="ensemble",
        ),
        OutputCheck("toys -o non-ensemble", ("toys", *CHEAP, "--n", "2", "--workers", "1", "-o", "{t}"), "F.h5"),
        OutputCheck("predict --plot DIR", ("predict", *CHEAP, "--plot", "{t}"), "adir", prepare="dir"),
        OutputCheck("simulate -o DIR --force", ("simulate", *CHEAP, "-o", "{t}", "--force"), "adir", prepare="dir"),
    ]


def _snapshot(path: Path) -> str:
    if path.is_dir():
        return "dir:" + ",".join(sorted(p.name for p in path.iterdir()))
    if path.exists():
        return sha256(path)
    return "absent"


def run_output_check(camp: Campaign, check: OutputCheck) -> Result:
    folder_rel = f"out/{_slug(check.name)}"
    folder = camp.scratch / folder_rel
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / check.target
    args = [a.replace("{t}", f"{folder_rel}/{check.target}") for a in check.args]
    try:
        if "ensemble" in check.prepare:
            ensemble = camp.ensemble()
            if check.prepare == "ensemble":
                shutil.copyfile(ensemble, target)
        if "sentinel" in check.prepare:
            target.write_bytes(SENTINEL)
        if check.prepare == "dir":
            target.mkdir(exist_ok=True)
            (target / "keep.txt").write_bytes(SENTINEL)
    except Exception as exc:
        return not_run("outputs", check.name, " ".join(args), f"setup failed: {exc}")
    before = _snapshot(target)
    run = camp.runner.run(args, check.timeout)
    res = judge("outputs", check.name, run, "refuse", "--json" in args)
    if _snapshot(target) != before:
        res.problems.append(P_OVERWRITE)
    left = hidden_files(folder) + (hidden_files(target) if target.is_dir() else [])
    if left:
        res.problems.append(P_TEMP)
        res.note = f"left: {', '.join(left)}"
    return res


def run_early_refusal(camp: Campaign, name: str, output: str, reference: float, make_dir: bool) -> Result:
    """``fit -o`` onto a path that cannot be written: refused before the (slow) fit, unchanged."""
    slow = camp.slow_config()
    folder = camp.scratch / "out" / _slug(name)
    folder.mkdir(parents=True, exist_ok=True)
    if make_dir:
        output = f"out/{_slug(name)}/{output}"
        (camp.scratch / output).mkdir(exist_ok=True)
        (camp.scratch / output / "keep.txt").write_bytes(SENTINEL)
    before = _snapshot(camp.scratch / output)
    run = camp.runner.run(["fit", slow, "--no-minos", "-o", output, "--force"])
    res = judge("outputs", name, run, "refuse", False)
    limit = max(3.0, 0.5 * reference)
    res.note = f"{run.seconds:.1f} s (the fit itself takes {reference:.1f} s)"
    if run.seconds > limit and not run.timed_out:
        res.problems.append("late refusal")
    if make_dir and _snapshot(camp.scratch / output) != before:
        res.problems.append(P_OVERWRITE)
    if hidden_files(folder):
        res.problems.append(P_TEMP)
    return res


def part_outputs(camp: Campaign) -> list[Result]:
    checks = [c for c in output_checks() if not (camp.quick and c.slow)]
    results = camp.run_all("outputs", checks, lambda c: run_output_check(camp, c))
    reference = camp.slow_fit_seconds()
    for name, output, make_dir in (
        ("fit -o DIR --force", "adir", True),
        ("fit -o /proc/x.h5", "/proc/x.h5", False),
    ):
        res = run_early_refusal(camp, name, output, reference, make_dir)
        camp.record(res)
        results.append(res)
    return results


# --------------------------------------------------------------------------------------------------
# Part 5: SIGKILLs
# --------------------------------------------------------------------------------------------------


def h5_problem(path: Path, kind: str) -> str | None:
    """Why ``path`` is not a complete juno-fit file of ``kind`` (None when it is)."""
    try:
        with h5py.File(path, "r") as f:
            fmt = f.attrs.get("format")
            fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
            if fmt != f"juno-fit {kind}":
                return f"format attribute {fmt!r}"
            if kind == "dataset":
                for det in f["detectors"].values():
                    counts, edges = det["counts"][()], det["edges"][()]
                    if len(edges) != len(counts) + 1 or not np.all(np.isfinite(counts)):
                        return "inconsistent counts/edges"
                f["truth/values"][()]
            elif kind == "fit result":
                values = f["parameters/values"][()]
                if not np.all(np.isfinite(values)):
                    return "non-finite parameter values"
    except Exception as exc:
        return f"unreadable ({type(exc).__name__}: {exc})"
    return None


@dataclass
class KillSpec:
    label: str
    args: tuple[str, ...]  # "{o}" is the output
    kind: str  # dataset, fit result, ensemble
    rerun_force: bool
    count: int


def part_kills(camp: Campaign) -> list[Result]:
    rng = random.Random(camp.seed * 1_000_003 + 17)
    slow = camp.slow_config()
    specs = [
        KillSpec("fit -o", ("fit", slow, "--no-minos", "-o", "{o}"), "fit result", True, 7),
        KillSpec("simulate -o", ("simulate", slow, "-o", "{o}"), "dataset", True, 7),
        KillSpec(
            "toys -o",
            ("toys", *CHEAP, "--n", "8", "--workers", "1", "--save-every", "0.5", "-o", "{o}"),
            "ensemble",
            False,
            8,
        ),
    ]
    results: list[Result] = []
    for spec in specs:
        count = (2 if spec.kind == "ensemble" else 1) if camp.quick else spec.count
        ref_rel = f"kills/{_slug(spec.label)}_reference/F.h5"
        (camp.scratch / ref_rel).parent.mkdir(parents=True, exist_ok=True)
        ref_args = [a.replace("{o}", ref_rel) for a in spec.args]
        ref = camp.runner.run(ref_args)
        log(f"[kills] reference {spec.label}: exit {ref.rc}, {ref.seconds:.1f} s")
        if ref.rc not in (0, 1):
            res = judge("kills", f"{spec.label} reference run", ref, "accept", False)
            camp.record(res)
            results.append(res)
            continue
        for i in range(count):
            frac = rng.uniform(0.05, 0.97) if i % 2 == 0 else rng.uniform(0.8, 1.0)
            res = kill_once(camp, spec, i, frac * ref.seconds)
            camp.record(res)
            results.append(res)
    return results


def _valid_output(camp: Campaign, path: Path, kind: str) -> str | None:
    if kind != "ensemble":
        return h5_problem(path, kind)
    rel = str(path.relative_to(camp.scratch))
    run = camp.runner.run(["summary", rel, "--json"])
    if run.rc != 0:
        return f"summary exits {run.rc}: {run.first_line()[:120]}"
    problem = json_problem(run.stdout)
    return f"summary JSON: {problem}" if problem else None


def kill_once(camp: Campaign, spec: KillSpec, i: int, delay: float) -> Result:
    folder_rel = f"kills/{_slug(spec.label)}_{i}"
    folder = camp.scratch / folder_rel
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "F.h5"
    args = [a.replace("{o}", f"{folder_rel}/F.h5") for a in spec.args]
    proc, fout, ferr, t0 = camp.runner.spawn(args)
    killed = False
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        camp.runner.kill_group(proc)
        killed = True
    killed_run = camp.runner.finish(args, proc, fout, ferr, t0, camp.timeout)
    problems: list[str] = []
    notes = [
        f"SIGKILL after {delay:.2f} s"
        if killed
        else f"finished (exit {killed_run.rc}) before the kill at {delay:.2f} s"
    ]
    after_kill = hidden_files(folder)
    if after_kill:
        notes.append(f"after the kill: {', '.join(after_kill)}")
    if out.exists():
        problem = _valid_output(camp, out, spec.kind)
        if problem:
            problems.append(P_HALF)
            notes.append(f"output after the kill: {problem}")
        else:
            notes.append("complete output after the kill")
    else:
        notes.append("no output after the kill")
    rerun_args = [*args, "--force"] if spec.rerun_force else args
    rerun = camp.runner.run(rerun_args)
    res = judge("kills", f"{spec.label} #{i}", rerun, "accept", False)
    res.command = (
        " ".join(shlex.quote(a) for a in ["juno-fit", *args])
        + " ; SIGKILL ; re-run"
        + (" --force" if spec.rerun_force else "")
    )
    left = hidden_files(folder)
    if left:
        problems.append(P_TEMP)
        notes.append(f"left after the re-run: {', '.join(left)}")
    if res.category == ACCEPTED:
        problem = _valid_output(camp, out, spec.kind) if out.exists() else "no output after the re-run"
        if problem:
            problems.append("re-run output invalid")
            notes.append(problem)
    res.problems = problems + res.problems
    res.note = "; ".join(notes)
    return res


# --------------------------------------------------------------------------------------------------
# Part 6: strict JSON and exit codes
# --------------------------------------------------------------------------------------------------


def part_json(camp: Campaign) -> list[Result]:
    results: list[Result] = []
    strict = [
        ("fit on NaN counts", "counts_nan_one_bin", ["fit", NOMINAL, "--data", "{d}", "--json"]),
        ("fit on +inf counts", "counts_+inf", ["fit", NOMINAL, "--data", "{d}", "--no-minos", "--json"]),
        ("fit on all-zero counts", "counts_all_zero", ["fit", NOMINAL, "--data", "{d}", "--no-minos", "--json"]),
        ("fit on NaN truth", "truth_values_nan", ["fit", NOMINAL, "--data", "{d}", "--no-minos", "--json"]),
        (
            "scan on NaN counts",
            "counts_nan_one_bin",
            ["scan", NOMINAL, "--data", "{d}", "--param", "dm2_31", "--points", "3", "--json"],
        ),
        ("fit on NaN release cell", "csv_nan_Nobs", ["fit", FIRST, "--data", "{d}", "--no-minos", "--json"]),
    ]
    by_name = {c.name: c for c in data_cases()}
    for name, data, args in strict:
        try:
            rel = build_data_file(camp, by_name[data])
        except Exception as exc:
            res = not_run("json", name, " ".join(args), f"setup failed: {exc}")
        else:
            run = camp.runner.run([a.replace("{d}", rel) for a in args])
            res = judge("json", name, run, "either", True)
            bare = re.search(r"(?<![\"\w])(NaN|-?Infinity)(?![\"\w])", run.stdout)
            if bare and P_JSON not in res.problems:
                res.problems.append(P_JSON)
            if bare:
                res.note = f"bare {bare.group(1)} on stdout"
        camp.record(res)
        results.append(res)
    pairs = [
        ("scan", ["scan", *CHEAP, "--param", "dm2_31", "--points", "3"]),
        ("scan, extreme range", ["scan", *CHEAP, "--param", "sin2_theta12", "--range", "0.0", "1.0", "--points", "3"]),
        (
            "scan, range outside limits",
            ["scan", *CHEAP, "--param", "sin2_theta12", "--range", "-1.0", "2.0", "--points", "3"],
        ),
        ("scan, NaN data", ["scan", NOMINAL, "--data", "{nan}", "--param", "dm2_31", "--points", "3"]),
        ("contour", ["contour", *CHEAP, "--params", "sin2_theta12", "dm2_21", "--points", "5", "--workers", "1"]),
        (
            "contour, extreme range",
            [
                "contour",
                *CHEAP,
                "--params",
                "sin2_theta12",
                "dm2_21",
                "--points",
                "3",
                "--workers",
                "1",
                "--range-a",
                "0",
                "1",
            ],
        ),
        (
            "contour, same parameter twice",
            ["contour", *CHEAP, "--params", "dm2_21", "dm2_21", "--points", "3", "--workers", "1"],
        ),
        ("nmo", ["nmo", *CHEAP]),
        ("nmo, 1 day", ["nmo", "juno_nominal", "--exposure", "1d"]),
    ]
    for name, args in pairs:
        if "{nan}" in args:
            try:
                nan_rel = build_data_file(camp, by_name["counts_nan_one_bin"])
            except Exception as exc:
                res = not_run("json", name, " ".join(args), f"setup failed: {exc}")
                camp.record(res)
                results.append(res)
                continue
            args = [a.replace("{nan}", nan_rel) for a in args]
        text_run = camp.runner.run(args)
        json_run = camp.runner.run([*args, "--json"])
        res = judge("json", f"exit codes: {name}", json_run, "either", True)
        res.note = f"exit code {text_run.rc} in text mode, {json_run.rc} with --json"
        if text_run.rc != json_run.rc:
            res.problems.append("exit code differs between text and --json")
        text_cat, _ = categorise(text_run, False)
        if text_cat in (TRACEBACK, HANG) and text_cat not in res.problems:
            res.problems.append(f"{text_cat} in text mode")
        camp.record(res)
        results.append(res)
    return results


# --------------------------------------------------------------------------------------------------
# Part 7: reproducers
# --------------------------------------------------------------------------------------------------


@dataclass
class Reproducer:
    name: str
    args: list[str]
    setup: Callable[[], Any] | None = None
    expect: str = "refuse"
    timeout: float | None = None
    slow: bool = False


def reproducers(camp: Campaign) -> list[Reproducer]:
    by_name = {c.name: c for c in data_cases()}

    def cfg(name: str, text: str, args: tuple[str, ...] = ("predict", "{cfg}")) -> Reproducer:
        rel = f"repro/{_slug(name)}.toml"
        return Reproducer(name, [a.replace("{cfg}", rel) for a in args], lambda: camp.write(rel, text), "refuse")

    def data(name: str, case: str, config: str = NOMINAL) -> Reproducer:
        rel = f"data/{_slug(case)}" + (".csv" if by_name[case].source == "csv" else ".h5")
        return Reproducer(name, ["fit", config, "--data", rel], lambda: build_data_file(camp, by_name[case]))

    def existing(rel: str) -> Callable[[], None]:
        return lambda: camp.write(rel, SENTINEL)

    fit = ("fit", "{cfg}")
    cs = "fit.constraints.sin2_theta13"
    out: list[Reproducer] = [
        Reproducer(
            "100d data set fitted with the 6-year config",
            ["fit", NOMINAL, "--data", "repro/d.h5"],
            lambda: camp.runner.run(["simulate", NOMINAL, "--exposure", "100d", "-o", "repro/d.h5", "--force"]),
        ),
        cfg("TOML nested 5,000 deep", _nested(5000, "array")),
        cfg("segments [[0.8, 12.0, 1.12e-8]]", config_text(NOMINAL, (f"{OVR}.binning.segments", FINE_SEGMENTS))),
        cfg("baseline_km = { JUNO = 1e6 } on TS1", config_text(NOMINAL, (BASELINE, {"JUNO": 1e6}))),
        cfg(
            "dm2_max = 1.0, panel_phase = 0.01",
            config_text(NOMINAL, ("numerics.dm2_max", 1.0), ("numerics.panel_phase", 0.01)),
        ),
        cfg("all nine cores at power_gw = 0 (predict)", cores_off()),
        Reproducer("predict /dev/zero", ["predict", "/dev/zero"], timeout=FIFO_TIMEOUT),
        data("data file with /detectors a dataset", "detectors_is_dataset"),
        Reproducer(
            "fit -o adir --force (a folder)",
            ["fit", NOMINAL, "-o", "repro/adir", "--force"],
            lambda: (camp.scratch / "repro" / "adir").mkdir(parents=True, exist_ok=True),
        ),
        Reproducer("fit -o /proc/x.h5", ["fit", NOMINAL, "-o", "/proc/x.h5"]),
        Reproducer("predict dayabay_nGd", ["predict", DAYABAY], expect="accept"),
        cfg("baseline_km = { JUNO = 1e12 } on TS1", config_text(NOMINAL, (BASELINE, {"JUNO": 1e12}))),
        cfg(
            "edep_bin 1e-4, edep_onset_bin 1e-5, edep_bin_max 1e-4, edep_scale_energy 0",
            config_text(NOMINAL, *EDEP_TINY),
        ),
        cfg("background rate_per_day = 1e9 (fit)", config_text(NOMINAL, (f"{GEO}.rate_per_day", 1e9)), fit),
        data("data file with one bin at 1e300", "counts_1e300_one_bin"),
        Reproducer(
            "named-pipe config",
            ["predict", "repro/fifo.toml"],
            lambda: _make_fifo("repro/fifo.toml")(camp.scratch),
            timeout=FIFO_TIMEOUT,
        ),
    ]
    for e in ("1e300y", "1e-300d", "1e12y"):
        out.append(cfg(f'exposure = "{e}"', config_text(NOMINAL, ("experiment.exposure", e))))
    out.append(cfg("dm2_31 = 0.5", config_text(NOMINAL, ("oscillation.dm2_31", 0.5))))
    for label, v in (
        ("[nan, 0.0007]", [NAN, 0.0007]),
        ("[inf, 0.0007]", [INF, 0.0007]),
        ("[0.0218, inf]", [0.0218, INF]),
        ("[-5.0, 0.0007]", [-5.0, 0.0007]),
    ):
        out.append(cfg(f"constraints sin2_theta13 = {label}", config_text(NOMINAL, (cs, v)), fit))
    out += [
        cfg("target_protons = 1e300", config_text(NOMINAL, (f"{OVR}.target_protons", 1e300))),
        cfg("background rate 5.5e15/day (fit)", config_text(NOMINAL, (f"{GEO}.rate_per_day", 5.5e15)), fit),
        cfg("rate_uncertainty = 1e30 (fit)", config_text(NOMINAL, (f"{GEO}.rate_uncertainty", 1e30)), fit),
        cfg("all cores off (fit)", cores_off(), fit),
        data("data counts NaN", "counts_nan_one_bin"),
        data("data counts +inf", "counts_+inf"),
        data("data counts complex", "counts_complex"),
        data("negated Nobs_err in the release CSV", "csv_negated_Nobs_err", FIRST),
        Reproducer(
            "contour --params dm2_21 dm2_21",
            ["contour", *CHEAP, "--params", "dm2_21", "dm2_21", "--points", "3", "--workers", "1"],
        ),
        Reproducer(
            "toys --save-every nan",
            ["toys", *CHEAP, "--n", "2", "--workers", "1", "--save-every", "nan", "-o", "repro/toys.h5", "--force"],
        ),
    ]
    for label, ch in (("NUL", "\x00"), ("U+202E", "\u202e"), ("newline", "\n")):
        r = cfg(
            f"name with {label}",
            config_text(
                NOMINAL,
                (("detectors", f"JU{ch}NO"), {"detector": "juno", "site": "juno_site"}),
                ("detectors.JUNO", DELETE),
            ),
        )
        r.expect = "either"
        out.append(r)
    out += [
        Reproducer(
            "predict --plot existing.png",
            ["predict", *CHEAP, "--plot", "repro/existing.png"],
            existing("repro/existing.png"),
        ),
        Reproducer(
            "fit --plot existing.png",
            ["fit", *CHEAP, "--no-minos", "--plot", "repro/existing_fit.png"],
            existing("repro/existing_fit.png"),
        ),
        Reproducer(
            "bench -o existing.json",
            ["bench", "-o", "repro/existing.json", "--no-starts"],
            existing("repro/existing.json"),
            timeout=600,
            slow=True,
        ),
    ]
    return out


def run_reproducer(camp: Campaign, rep: Reproducer) -> Result:
    (camp.scratch / "repro").mkdir(exist_ok=True)
    try:
        if rep.setup:
            rep.setup()
    except Exception as exc:
        return not_run("reproducers", rep.name, " ".join(rep.args), f"setup failed: {exc}")
    run = camp.runner.run(rep.args, rep.timeout)
    return judge("reproducers", rep.name, run, rep.expect, "--json" in rep.args)


def part_reproducers(camp: Campaign) -> list[Result]:
    reps = [r for r in reproducers(camp) if not (camp.quick and r.slow)]
    return camp.run_all("reproducers", reps, lambda r: run_reproducer(camp, r))


# --------------------------------------------------------------------------------------------------
# The campaign: shared inputs, running, report
# --------------------------------------------------------------------------------------------------


class Campaign:
    def __init__(self, scratch: Path, args: argparse.Namespace) -> None:
        self.scratch = scratch
        self.quick: bool = args.quick
        self.seed: int = args.seed
        self.timeout: float = args.timeout
        self.runner = Runner(scratch, args.timeout, int(args.memory_gb * (1 << 30)))
        self.results: dict[str, list[Result]] = {}
        self._sources: dict[str, Path] = {}
        self._ensemble: Path | None = None
        self._slow_seconds: float | None = None
        for sub in ("cases", "data", "out", "kills", "ens", "repro"):
            (scratch / sub).mkdir(exist_ok=True)

    def write(self, rel: str, data: str | bytes) -> None:
        path = self.scratch / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    def record(self, res: Result) -> None:
        status = "ok" if not res.problems else ", ".join(res.problems)
        secs = f"{res.run.seconds:.1f} s" if res.run else "-"
        log(f"[{res.part}] {res.name}: {res.category} ({secs}) {status}")

    def run_all(self, part: str, items: list[Any], fn: Callable[[Any], Result]) -> list[Result]:
        results = []
        for i, item in enumerate(items):
            try:
                res = fn(item)
            except Exception as exc:  # a bug of this script must not stop the campaign
                res = not_run(part, getattr(item, "name", str(i)), "", f"campaign error: {type(exc).__name__}: {exc}")
            log(f"{i + 1}/{len(items)}")
            self.record(res)
            results.append(res)
        return results

    def source(self, kind: str) -> Path:
        """The undamaged inputs of the data part: data sets made by ``juno-fit simulate``, the CSV."""
        if kind == "csv":
            return RELEASE_CSV
        if kind not in self._sources:
            extra = {
                "base": [NOMINAL],
                "toy": [NOMINAL, "--toy", "3"],
                "d100": [NOMINAL, "--exposure", "100d"],
                "first": [FIRST],
            }[kind]
            rel = f"data/source_{kind}.h5"
            run = self.runner.run(["simulate", *extra, "-o", rel, "--force"])
            if run.rc != 0 or not (self.scratch / rel).is_file():
                raise RuntimeError(f"juno-fit simulate {' '.join(extra)} failed (exit {run.rc}): {run.first_line()}")
            self._sources[kind] = self.scratch / rel
        return self._sources[kind]

    def ensemble(self) -> Path:
        if self._ensemble is None:
            run = self.runner.run(["toys", *CHEAP, "--n", "2", "--workers", "1", "-o", "ens/a.h5", "--force"])
            if run.rc != 0:
                raise RuntimeError(f"juno-fit toys failed (exit {run.rc}): {run.first_line()}")
            self._ensemble = self.scratch / "ens" / "a.h5"
        return self._ensemble

    def slow_config(self) -> str:
        """juno_nominal with finer numerics: a fit of several seconds, so a late refusal shows."""
        rel = "cases/slow_fit.toml"
        if not (self.scratch / rel).exists():
            text = config_text(
                NOMINAL, ("numerics.panel_phase", 0.2), ("numerics.edep_bin", 0.001), ("numerics.edep_bin_max", 0.002)
            )
            self.write(rel, text)
        return rel

    def slow_fit_seconds(self) -> float:
        if self._slow_seconds is None:
            run = self.runner.run(["fit", self.slow_config(), "--no-minos", "--json"])
            log(f"[outputs] reference fit of the slow config: exit {run.rc}, {run.seconds:.1f} s")
            self._slow_seconds = run.seconds
        return self._slow_seconds


PART_FUNCTIONS: dict[str, Callable[[Campaign], list[Result]]] = {
    "configs": part_configs,
    "fuzz": part_fuzz,
    "data": part_data,
    "outputs": part_outputs,
    "kills": part_kills,
    "json": part_json,
    "reproducers": part_reproducers,
}


# --------------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------------


def clean(text: str, scratch: Path, limit: int = 220) -> str:
    """One line for a Markdown table: scratch and repository paths shortened, control characters
    escaped, pipes escaped."""
    text = text.replace(str(scratch) + "/", "").replace(str(scratch), ".").replace(str(REPO), "<repo>")
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def code(text: str) -> str:
    if not text:
        return ""
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"


COLUMNS = [
    ("tried", lambda r: True),
    ("refused cleanly", lambda r: r.category == REFUSED),
    ("accepted", lambda r: r.category in (ACCEPTED, BAD_JSON)),
    ("tracebacks", lambda r: r.category == TRACEBACK),
    ("hangs", lambda r: r.category == HANG),
    ("non-physical accepted", lambda r: P_NONPHYSICAL in r.problems),
    ("valid refused", lambda r: P_VALID_REFUSED in r.problems),
    ("raw characters", lambda r: P_RAW in r.problems),
    ("unclean refusals", lambda r: P_UNCLEAN in r.problems),
    ("invalid JSON", lambda r: P_JSON in r.problems),
    ("files half-written", lambda r: P_HALF in r.problems),
    ("temporary files left", lambda r: P_TEMP in r.problems),
    ("overwrites without --force", lambda r: P_OVERWRITE in r.problems),
    ("failing", lambda r: bool(r.problems)),
]
FILE_COLUMNS = {"files half-written", "temporary files left", "overwrites without --force"}
FILE_PARTS = {"outputs", "kills"}


def _traceback_key(res: Result) -> str:
    if res.run is None:
        return ""
    lines = [line.strip() for line in res.run.stderr.splitlines() if line.strip()]
    last = lines[-1] if lines else f"exit code {res.run.rc}"
    return re.sub(r"0x[0-9a-f]+", "0x…", last)


def report(camp: Campaign, parts: list[str], meta: dict[str, str], scratch: Path) -> str:
    out: list[str] = ["# juno-fit robustness campaign", ""]
    out.append(
        f"Run {meta['date']} on juno-fit {meta['version']}, commit `{meta['commit']}` ({meta['dirty']}); "
        f"{meta['mode']}; seed {camp.seed}; timeout {camp.timeout:g} s and {meta['memory']} of address space per run; "
        f"{camp.runner.runs} juno-fit processes in {meta['minutes']} minutes. "
        "Written by `scripts/robustness_campaign.py`."
    )
    out += [
        "",
        "Contract: a bad input is refused with exactly one stderr line `juno-fit: error: <file>: <key>: <message>` "
        "and exit code 2; a valid input exits 0 (1: fit not converged, scan with failed points) and `--json` prints "
        "one object with finite numbers. Expectations: *refuse* (non-physical or malformed), *accept* (valid "
        "variation), *either* (fuzzed and borderline inputs: a clean refusal or a clean result). Categories: "
        "refused cleanly (exit 2, one line starting `juno-fit: error:`, no traceback); accepted (exit 0/1); "
        "traceback (a Python traceback, or an exit code outside 0, 1, 2, 130, e.g. killed by the memory limit); "
        "hang (timeout, process group killed); unclean refusal (exit 2 with more than one stderr line); invalid "
        "JSON (bare NaN/Infinity, non-finite or unparsable); raw characters (C0/C1 controls other than newline "
        "and tab, or bidi controls U+202A–U+202E, U+2066–U+2069, in stdout or stderr). Paths in commands are "
        "relative to the scratch folder of the run.",
        "",
        "## Summary",
        "",
        "| part | " + " | ".join(name for name, _ in COLUMNS) + " |",
        "|---|" + "---:|" * len(COLUMNS),
    ]
    for part in parts:
        if part == "reproducers":
            continue
        rs = [r for r in camp.results.get(part, []) if r.counts]
        cells = []
        for name, pred in COLUMNS:
            if name in FILE_COLUMNS and part not in FILE_PARTS:
                cells.append("–")
            else:
                cells.append(str(sum(1 for r in rs if pred(r))))
        out.append(f"| {PART_TITLES[part]} | " + " | ".join(cells) + " |")
    everything = [r for p in parts for r in camp.results.get(p, [])]
    tracebacks = Counter(_traceback_key(r) for r in everything if r.category == TRACEBACK)
    if tracebacks:
        out += [
            "",
            "### Tracebacks by their last line",
            "",
            "| count | last line of stderr | example |",
            "|---:|---|---|",
        ]
        for key, n in tracebacks.most_common():
            example = next(r for r in everything if r.category == TRACEBACK and _traceback_key(r) == key)
            out.append(
                f"| {n} | {code(clean(key, scratch))} | {clean(example.part + ': ' + example.name, scratch, 80)} |"
            )
    if "reproducers" in parts:
        out += [
            "",
            "## Reproducers",
            "",
            "| case | command | exit code | seconds | first line | outcome |",
            "|---|---|---:|---:|---|---|",
        ]
        for r in camp.results.get("reproducers", []):
            rc = "timeout" if r.run and r.run.timed_out else (str(r.run.rc) if r.run else "-")
            secs = f"{r.run.seconds:.1f}" if r.run else "-"
            first = r.run.first_line() if r.run else r.note
            outcome = r.category + (f" ({', '.join(r.problems)})" if r.problems else "")
            out.append(
                f"| {clean(r.name, scratch, 80)} | {code(clean(r.command, scratch, 160))} | {rc} | {secs} | "
                f"{code(clean(first, scratch, 200))} | {clean(outcome, scratch, 120)} |"
            )
    out += ["", "## Failing cases", ""]
    for part in parts:
        failing = [r for r in camp.results.get(part, []) if r.problems]
        out += [f"### {PART_TITLES[part]}: {len(failing)} failing", ""]
        for r in failing:
            expect = f" (expected: {r.expect})" if r.expect else ""
            out.append(f"- **{clean(r.name, scratch, 120)}**{expect}: {clean(', '.join(r.problems), scratch)}")
            out.append(f"  - command: {code(clean(r.command, scratch, 300))}")
            if r.note:
                out.append(f"  - {clean(r.note, scratch, 300)}")
            if r.run is not None:
                rc = "timeout" if r.run.timed_out else r.run.rc
                lines = [line for line in r.run.stderr.splitlines() if line.strip()][:3]
                if lines:
                    out.append(f"  - exit code {rc}, {r.run.seconds:.1f} s; stderr:")
                    out.append("")
                    out.append("    ```text")
                    out += ["    " + clean(line, scratch, 300).replace("\\|", "|") for line in lines]
                    out.append("    ```")
                    out.append("")
                else:
                    out.append(f"  - exit code {rc}, {r.run.seconds:.1f} s; stderr empty")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def metadata(camp: Campaign, started: float) -> dict[str, str]:
    version = camp.runner.run(["--version"], 30)
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=30, check=False
        ).stdout.strip()
        status = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(REPO), "status", "--porcelain"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        commit, status = "unknown", ""
    changed = len([line for line in status.splitlines() if line.strip()])
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": (version.stdout.strip().removeprefix("juno-fit ") or f"unknown (exit {version.rc})"),
        "commit": commit[:12] or "unknown",
        "dirty": f"{changed} uncommitted changes in the working tree" if changed else "clean working tree",
        "memory": f"{camp.runner.memory_bytes / (1 << 30):g} GiB",
        "minutes": f"{(time.monotonic() - started) / 60:.1f}",
        "mode": "quick subset" if camp.quick else "full run",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small subset of every part (smoke run)")
    parser.add_argument("--only", action="append", metavar="PART", help=f"run only these parts: {', '.join(PARTS)}")
    parser.add_argument("--out", default=str(REPO / "scripts" / "results" / "robustness.md"), metavar="FILE.md")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="per run (default 60)")
    parser.add_argument("--seed", type=int, default=1, help="fuzzing and kill delays (default 1)")
    parser.add_argument("--memory-gb", type=float, default=4.0, help="address-space limit per run (default 4)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    parts = list(PARTS)
    if args.only:
        wanted = {p.strip() for item in args.only for p in item.split(",") if p.strip()}
        unknown = wanted - set(PARTS)
        if unknown:
            parser.error(f"unknown part(s) {', '.join(sorted(unknown))} (accepted: {', '.join(PARTS)})")
        parts = [p for p in PARTS if p in wanted]
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="robustness-")).resolve()
    try:
        camp = Campaign(scratch, args)
        for part in parts:
            log(f"== {PART_TITLES[part]} ==")
            try:
                camp.results[part] = PART_FUNCTIONS[part](camp)
            except Exception as exc:  # a bug of this script: report it, keep the other parts
                camp.results[part] = [not_run(part, "(whole part)", "", f"campaign error: {type(exc).__name__}: {exc}")]
                log(f"[{part}] campaign error: {type(exc).__name__}: {exc}")
        meta = metadata(camp, started)
        text = report(camp, parts, meta, scratch)
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        log(f"wrote {out} ({meta['minutes']} minutes)")
    finally:
        if args.keep:
            log(f"scratch folder kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
