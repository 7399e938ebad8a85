"""Property tests (Hypothesis): whatever a user writes into a config or a data file, juno-fit either
answers (exit code 0, or 1 for a fit that did not converge) with strict JSON whose numbers are all
finite, or refuses with exit code 2 and exactly one line on stderr. It never raises another
exception, never prints a traceback and never hangs.

Configs are mutated from the shipped juno_2025_first_data and juno_nominal configs, extended with
detector and site overrides that repeat the shipped values, so that the mutations reach every kind
of input file: a key is given another type, a non-finite, huge, negative or zero value, a random
string, a value at or just beyond the edge of its accepted range (from the rules), another accepted
choice; or it is deleted, or an unknown key is added. Data files written by ``juno-fit simulate``
have their counts, edges, attributes and structure mutated the same way.

The default run is small; the ``slow`` tests run many more examples.
"""

from __future__ import annotations

import copy
import math
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from cli_contract import assert_finite_json, assert_refused, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from juno_fit.config import rules
from juno_fit.resources import input_dir

TIME_LIMIT_S = 30

# --------------------------------------------------------------------------------------------------
# A small TOML writer (tables as [headers], everything else inline; every key quoted)
# --------------------------------------------------------------------------------------------------


def _string(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_string(str(k))} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def dumps(doc: dict) -> str:
    lines: list[str] = []

    def table(data: dict, header: tuple[str, ...]) -> None:
        plain = [(k, v) for k, v in data.items() if not isinstance(v, dict)]
        subs = [(k, v) for k, v in data.items() if isinstance(v, dict)]
        if header and (plain or not subs):
            lines.append("[" + ".".join(_string(k) for k in header) + "]")
        lines.extend(f"{_string(k)} = {_value(v)}" for k, v in plain)
        for k, v in subs:
            table(v, (*header, k))

    table(doc, ())
    return "\n".join(lines) + "\n"


def same(a: Any, b: Any) -> bool:
    """Equality that counts NaN equal to NaN (and keeps int and float apart); the order of the keys
    of a table does not matter (the writer puts sub-tables last)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


# --------------------------------------------------------------------------------------------------
# Base configs
# --------------------------------------------------------------------------------------------------

_FILE_KEYS = {"table", "source", "description", "label", "name", "nominal", "value_column", "energy_column"}


def _override_part(data: Any) -> Any:
    """The values of a detector or site file that can be overridden from a config without naming
    a file relative to it: numbers, booleans, choices and arrays of numbers."""
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            if k in _FILE_KEYS or (isinstance(v, list) and any(isinstance(x, str) for x in v)):
                continue
            part = _override_part(v)
            if part is not None:
                out[k] = part
        return out
    return data


def _base(config: str) -> dict:
    doc = tomllib.loads((input_dir("configs") / f"{config}.toml").read_text(encoding="utf-8"))
    for entry in doc["detectors"].values():
        det = tomllib.loads((input_dir("detector") / f"{entry['detector']}.toml").read_text(encoding="utf-8"))
        site = tomllib.loads((input_dir("spectra") / f"{entry['site']}.toml").read_text(encoding="utf-8"))
        entry["override"] = _override_part(det)
        entry["site_override"] = _override_part(site)
    return doc


BASES = {name: _base(name) for name in ("juno_2025_first_data", "juno_nominal")}


# --------------------------------------------------------------------------------------------------
# Config mutations
# --------------------------------------------------------------------------------------------------

Key = tuple[str | int, ...]


def _paths(doc: Any, prefix: Key = ()) -> Iterator[Key]:
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for k, v in items:
        yield (*prefix, k)
        yield from _paths(v, (*prefix, k))


def _tables(doc: Any, prefix: Key = ()) -> Iterator[Key]:
    if isinstance(doc, dict):
        yield prefix
        for k, v in doc.items():
            yield from _tables(v, (*prefix, k))


def _node(doc: Any, key: Key) -> Any:
    for k in key:
        doc = doc[k]
    return doc


def schema_path(key: Key) -> str:
    """Where a config key's rule lives: detector and site overrides follow the rules of those files."""
    names = [k for k in key if isinstance(k, str)]
    if len(names) >= 3 and names[0] == "detectors" and names[2] in ("override", "site_override"):
        return ".".join(["detector" if names[2] == "override" else "site", *names[3:]])
    return ".".join(["config", *names])


NAMES = ["juno", "juno2025", "juno_site", "huber_mueller", "juno_nominal", "nope", "nope.toml", "/dev/null"]
NAMES += ["/dev/zero", ".", "..", "", "tables/hm_U235.csv", "JUNO"]


def _edge_values(rule: rules.Rule | None) -> list[Any]:
    """Accepted choices and values at or just beyond the edges of a key's accepted range."""
    if rule is None:
        return []
    if rule.kind == "choice":
        return list(rule.choices)
    if rule.kind == "bool":
        return [True, False]
    if rule.kind in ("string", "name", "text"):
        return NAMES
    out: list[Any] = []
    for bound, away in ((rule.lo, -math.inf), (rule.hi, math.inf)):
        if bound is None:
            continue
        if rule.kind == "integer":
            out += [int(bound), int(bound) + (-1 if away < 0 else 1)]
        elif rule.kind == "duration":
            out += [bound, f"{bound}d", f"{math.nextafter(bound, away)}d", f"{bound / 365.25}y"]
        else:
            out += [float(bound), math.nextafter(float(bound), away)]
    if rule.lo is not None and rule.hi is not None and rule.kind == "number":
        out.append((rule.lo + rule.hi) / 2)
    return out


OTHER_TYPES = ["text", True, 1, 2.5, [], [1.0, 2.0], ["a", "b"], {}, {"a": 1}]
NON_FINITE = [math.nan, math.inf, -math.inf]
HUGE = [1e300, -1e300, 1e36, 1e18, 2**62, 1.7976931348623157e308]
FACTORS = [1e-6, 1e-3, 0.5, 0.999, 1.001, 2.0, 10.0, 1e3, 1e6]
UNKNOWN_KEYS = ["colour", "Exposure", "dm2_32", "override", "cores", "a.b", "", " "]

OPERATIONS = ("type", "nonfinite", "huge", "negative", "zero", "string", "scale", "edge", "delete", "unknown")


@st.composite
def mutated_configs(draw) -> tuple[dict, list[str]]:
    """A base config with one to three mutations, and a description of them."""
    name = draw(st.sampled_from(sorted(BASES)))
    doc = copy.deepcopy(BASES[name])
    done = [name]
    for _ in range(draw(st.sampled_from([1, 1, 2, 3]))):  # one mutation half of the time
        op = draw(st.sampled_from(OPERATIONS))
        if op == "unknown":
            where = draw(st.sampled_from(list(_tables(doc))))
            key = draw(st.sampled_from(UNKNOWN_KEYS) | st.text(min_size=1, max_size=8))
            _node(doc, where)[key] = copy.deepcopy(draw(st.sampled_from([1, "x", True, {}, [1]])))
            done.append(f"unknown key {key!r} in {where}")
            continue
        paths = list(_paths(doc))
        if not paths:
            break
        keys = [p for p in paths if isinstance(p[-1], str)]
        elements = [p for p in paths if isinstance(p[-1], int)]
        pool = elements if elements and draw(st.integers(0, 4)) == 0 else keys or elements
        key = draw(st.sampled_from(pool))
        parent, last = _node(doc, key[:-1]), key[-1]
        old = parent[last]
        if op == "delete":
            del parent[last]
            done.append(f"delete {key}")
            continue
        real = isinstance(old, int | float) and not isinstance(old, bool)
        if op == "type":
            new = draw(st.sampled_from(OTHER_TYPES))
        elif op == "nonfinite":
            new = draw(st.sampled_from(NON_FINITE))
        elif op == "huge":
            new = draw(st.sampled_from(HUGE))
        elif op == "negative":
            new = -abs(old) if real and old != 0 else draw(st.sampled_from([-1, -1.0, -1e-300]))
        elif op == "zero":
            new = draw(st.sampled_from([0, 0.0, -0.0]))
        elif op == "string":
            new = draw(st.text(max_size=12))
        elif op == "scale":
            new = old * draw(st.sampled_from(FACTORS)) if real else draw(st.sampled_from(FACTORS))
        else:  # edge
            choices = _edge_values(rules.rule(schema_path(key))) or [*NON_FINITE, 0.0, -1.0]
            new = draw(st.sampled_from(choices))
        parent[last] = copy.deepcopy(new)  # never share the (mutable) constants drawn from
        done.append(f"{op}: {key} = {new!r} (was {old!r})")
    return doc, done


# --------------------------------------------------------------------------------------------------
# Running the command line and checking its answer
# --------------------------------------------------------------------------------------------------


def check_cli(argv: list[str], answers: tuple[int, ...]) -> int:
    """Run ``juno-fit ARGV`` in-process under TIME_LIMIT_S and check the contract; returns the exit code."""
    code, stdout, stderr = run_cli(argv, limit=TIME_LIMIT_S)
    assert "Traceback" not in stderr, stderr
    if code in answers:
        assert_finite_json(stdout)
        return code
    assert_refused(code, stdout, stderr)
    return code


# --------------------------------------------------------------------------------------------------
# The writer itself
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BASES))
def test_base_configs_round_trip_and_predict(tmp_path, name):
    """The extended bases equal the shipped configs: they predict, and the writer round-trips them."""
    text = dumps(BASES[name])
    assert same(tomllib.loads(text), BASES[name])
    path = tmp_path / "base.toml"
    path.write_text(text, encoding="utf-8")
    assert check_cli(["predict", str(path), "--json"], (0,)) == 0


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(case=mutated_configs())
def test_toml_writer_round_trips(case):
    doc, _ = case
    assert same(tomllib.loads(dumps(doc)), doc)


# --------------------------------------------------------------------------------------------------
# Config property
# --------------------------------------------------------------------------------------------------


def _predict_property(tmp_path: Path, case: tuple[dict, list[str]]) -> None:
    doc, done = case
    path = tmp_path / "mutated.toml"
    path.write_text(dumps(doc), encoding="utf-8")
    try:
        check_cli(["predict", str(path), "--json"], (0,))
    except BaseException as exc:
        exc.add_note("mutations: " + "; ".join(done))
        raise


CONFIG_SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


@settings(max_examples=30, **CONFIG_SETTINGS)
@given(case=mutated_configs())
def test_mutated_config_predicts_or_is_refused(tmp_path, case):
    _predict_property(tmp_path, case)


@pytest.mark.slow
@settings(max_examples=400, **CONFIG_SETTINGS)
@given(case=mutated_configs())
def test_mutated_config_predicts_or_is_refused_many(tmp_path, case):
    _predict_property(tmp_path, case)


# --------------------------------------------------------------------------------------------------
# One key at a time: every accepted choice, and every value at the edge of a key's range
# --------------------------------------------------------------------------------------------------


def _single_changes(kinds: tuple[str, ...], *, first_per_rule: bool) -> list:
    """(base, key, value) for each key of a base whose rule is of one of ``kinds`` and each of its
    edge values other than the current one; with ``first_per_rule``, only the first key of each rule
    (one background, one core, one systematic) per base."""
    cases, seen = [], set()
    for name, doc in BASES.items():
        for key in _paths(doc):
            if not isinstance(key[-1], str):
                continue
            rule = rules.rule(schema_path(key))
            if rule is None or rule.kind not in kinds or (first_per_rule and (name, id(rule)) in seen):
                continue
            seen.add((name, id(rule)))
            current = _node(doc, key)
            for value in _edge_values(rule):
                if not same(value, current):
                    ident = f"{name}:{'.'.join(map(str, key))}={value!r}"
                    cases.append(pytest.param(name, key, value, id=ident))
    return cases


def _single_change_property(tmp_path: Path, name: str, key: Key, value: Any) -> None:
    doc = copy.deepcopy(BASES[name])
    _node(doc, key[:-1])[key[-1]] = value
    _predict_property(tmp_path, (doc, [name, f"{key} = {value!r}"]))


@pytest.mark.parametrize(("name", "key", "value"), _single_changes(("choice", "bool"), first_per_rule=True))
def test_every_accepted_choice(tmp_path, name, key, value):
    _single_change_property(tmp_path, name, key, value)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "key", "value"), _single_changes(("number", "integer", "duration", "string", "name"), first_per_rule=False)
)
def test_every_edge_value(tmp_path, name, key, value):
    _single_change_property(tmp_path, name, key, value)


# --------------------------------------------------------------------------------------------------
# Data-file property
# --------------------------------------------------------------------------------------------------

ELEMENT_VALUES = [math.nan, math.inf, -math.inf, -1.0, -0.0, 0.0, 0.5, 1e-300, 1e12, 1e300]
ATTRIBUTE_VALUES: list[Any] = [math.nan, math.inf, -1.0, 0.0, 50.0, 100.0, 1e300, -5, 2**62, True]
ATTRIBUTE_VALUES += ["100", "toy", "asimov", "external", "bogus", "", b"bytes", "juno-fit dataset"]
ATTRIBUTES = ["exposure_days", "kind", "format", "format_version", "seed", "toy", "throw_nuisances"]
ATTRIBUTES += ["config_text", "config_name", "juno_fit_version", "created"]
ARRAY_CHANGES = ["shorter", "longer", "empty", "complex", "int", "bytes", "bool", "2-D", "scalar"]
ARRAY_CHANGES += ["float32", "reversed", "zeros", "times 1e9", "times -1"]
NODES = ["detectors", "detectors/JUNO", "detectors/JUNO/counts", "detectors/JUNO/edges", "truth"]
NODES += ["truth/names", "truth/values"]


def _changed_array(values: np.ndarray, change: str) -> np.ndarray:
    n = len(values)
    return {
        "shorter": lambda: values[:-1],
        "longer": lambda: np.append(values, values[-1] + 1.0),
        "empty": lambda: values[:0],
        "complex": lambda: values.astype(np.complex128) + 0.5j,
        "int": lambda: np.round(values).astype(np.int64),
        "bytes": lambda: np.array([b"1.0"] * n),
        "bool": lambda: values > np.median(values),
        "2-D": lambda: values.reshape(1, n),
        "scalar": lambda: np.float64(values[0]),
        "float32": lambda: values.astype(np.float32),
        "reversed": lambda: values[::-1].copy(),
        "zeros": lambda: np.zeros(n),
        "times 1e9": lambda: values * 1e9,
        "times -1": lambda: -values,
    }[change]()


def _replace_dataset(f: h5py.File, name: str, value: Any) -> None:
    del f[name]
    f[name] = value


@st.composite
def data_mutations(draw) -> tuple[str, list[tuple]]:
    """Which simulated file to start from (asimov or toy) and one or two edits of it."""
    base = draw(st.sampled_from(["asimov", "toy"]))
    edits = []
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(["element", "array", "attribute", "delete-attribute", "node"]))
        if kind == "element":
            target = draw(st.sampled_from(["counts", "edges"]))
            edits.append((kind, target, draw(st.integers(0, 10_000)), draw(st.sampled_from(ELEMENT_VALUES))))
        elif kind == "array":
            edits.append((kind, draw(st.sampled_from(["counts", "edges"])), draw(st.sampled_from(ARRAY_CHANGES))))
        elif kind == "attribute":
            edits.append((kind, draw(st.sampled_from(ATTRIBUTES)), draw(st.sampled_from(ATTRIBUTE_VALUES))))
        elif kind == "delete-attribute":
            edits.append((kind, draw(st.sampled_from(ATTRIBUTES))))
        else:
            what = draw(st.sampled_from(["delete", "dataset", "rename", "extra detector"]))
            edits.append((kind, draw(st.sampled_from(NODES)), what))
    return base, edits


def _apply(path: Path, edits: list[tuple]) -> None:
    with h5py.File(path, "r+") as f:
        for edit in edits:
            kind = edit[0]
            if kind in ("element", "array"):
                name = f"detectors/JUNO/{edit[1]}"
                if name not in f or not isinstance(f[name], h5py.Dataset) or f[name].ndim != 1:
                    continue
                values = np.asarray(f[name][()])
                if values.dtype.kind != "f" or len(values) == 0:
                    continue
                if kind == "element":
                    values = values.copy()
                    values[edit[2] % len(values)] = edit[3]
                else:
                    values = _changed_array(values, edit[2])
                _replace_dataset(f, name, values)
            elif kind == "attribute":
                f.attrs[edit[1]] = edit[2]
            elif kind == "delete-attribute":
                if edit[1] in f.attrs:
                    del f.attrs[edit[1]]
            else:
                name, what = edit[1], edit[2]
                if name not in f:
                    continue
                if what == "delete":
                    del f[name]
                elif what == "dataset":
                    _replace_dataset(f, name, np.arange(3.0))
                elif what == "rename":
                    f.move(name, name + "_renamed")
                elif "detectors/JUNO" in f and isinstance(f["detectors/JUNO"], h5py.Group):
                    f.copy("detectors/JUNO", "detectors/EXTRA")


@pytest.fixture
def simulated(tmp_path, fast_config) -> dict[str, Path]:
    """An Asimov data set and pseudo-experiment 2 of the fast config."""
    files = {"asimov": tmp_path / "asimov.h5", "toy": tmp_path / "toy.h5"}
    for argv in (["-o", files["asimov"]], ["--toy", "2", "-o", files["toy"]]):
        code, _, err = run_cli(["simulate", fast_config, *argv], limit=TIME_LIMIT_S)
        assert code == 0, err
    return files


def _fit_property(tmp_path: Path, config: str, files: dict[str, Path], case: tuple[str, list[tuple]]) -> None:
    base, edits = case
    path = tmp_path / "mutated.h5"
    shutil.copyfile(files[base], path)
    _apply(path, edits)
    try:
        check_cli(["fit", config, "--data", str(path), "--no-minos", "--json"], (0, 1))
    except BaseException as exc:
        exc.add_note(f"data: {base} with {edits}")
        raise


def test_simulated_files_fit(tmp_path, fast_config, simulated):
    """Unmutated, both files fit (the property's starting points are good data)."""
    for base in ("asimov", "toy"):
        _fit_property(tmp_path, fast_config, simulated, (base, []))


@settings(max_examples=10, **CONFIG_SETTINGS)
@given(case=data_mutations())
def test_mutated_data_fits_or_is_refused(tmp_path, fast_config, simulated, case):
    _fit_property(tmp_path, fast_config, simulated, case)


@pytest.mark.slow
@settings(max_examples=100, **CONFIG_SETTINGS)
@given(case=data_mutations())
def test_mutated_data_fits_or_is_refused_many(tmp_path, fast_config, simulated, case):
    _fit_property(tmp_path, fast_config, simulated, case)
