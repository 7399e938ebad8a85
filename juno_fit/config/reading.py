"""Reading input files: TOML with bounded size and nesting, typed access to its tables checked
against :mod:`~juno_fit.config.rules`, key-by-key overrides, and CSV tables.

Every problem raises :class:`~juno_fit.errors.ConfigError` naming the file, the dotted key and the
accepted values; a value that came from a config override is blamed on the config's key.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..files import read_regular
from . import rules
from .objects import DAYS_PER_YEAR

_MISSING = object()


def nesting_depth(value: Any) -> int:
    """How many tables and arrays are nested in ``value`` (0 for a scalar); iterative, so a hostile
    document cannot exhaust the stack."""
    depth, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        depth = max(depth, level)
        if level > rules.MAX_NESTING:
            return level
        stack.extend((child, level + 1) for child in children)
    return depth


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """Parse a TOML input file: a regular file of at most MAX_TOML_BYTES, UTF-8, nested at most
    MAX_NESTING deep. Any problem is a ConfigError naming the file."""
    try:
        raw = read_regular(path, rules.MAX_TOML_BYTES)
    except ValueError as exc:
        raise ConfigError(str(path), "", str(exc)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), "", f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "", f"malformed TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(str(path), "", f"nested too deeply (at most {rules.MAX_NESTING} levels)") from None
    if nesting_depth(data) > rules.MAX_NESTING:
        raise ConfigError(str(path), "", f"nested too deeply (at most {rules.MAX_NESTING} levels)")
    return data, text


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {
        float: "a number",
        int: "an integer",
        str: "a string",
        bool: "true or false",
        list: "an array",
        dict: "a table",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def is_real(value: Any) -> bool:
    """A TOML integer or float (not a boolean)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _rule_text(rule: rules.Rule) -> str:
    unit = f" {rule.unit}" if rule.unit and not rule.unit.startswith(("relative", "absolute", "a fraction")) else ""
    why = f"; {rule.why}" if rule.why else ""
    return f"{rule.interval()}{unit}{why}"


class Table:
    """A TOML table being validated: typed getters that name file and key, range checks from the
    rules (``schema`` is the table's place in them, e.g. ``detector.resolution``), unknown-key
    detection.

    ``origins`` maps dotted keys that came from a config override to (config file, config key), so
    an error in an overridden value names the line the user wrote.
    """

    def __init__(
        self,
        data: Any,
        file: str,
        prefix: str = "",
        origins: dict[str, tuple[str, str]] | None = None,
        schema: str = "",
    ):
        self.file = file
        self.prefix = prefix
        self.schema = schema
        self.origins = origins if origins is not None else {}
        if not isinstance(data, dict):
            self.fail("", f"must be a table, got {describe(data)}")
        self.data: dict[str, Any] = data
        self.used: set[str] = set()

    # ----- where -----
    def path(self, key: str) -> str:
        return f"{self.prefix}{key}" if key else self.prefix.rstrip(".")

    def origin(self, key: str) -> tuple[str, str] | None:
        """(config file, config key) when ``key`` or a value under it came from a config override."""
        dotted = self.path(key)
        parts = dotted.split(".")
        plain_parts = [re.sub(r"\[\d+\]", "", p) for p in parts]
        for n in range(len(parts), 0, -1):
            probe = ".".join(plain_parts[:n])
            if probe in self.origins:
                file, ckey = self.origins[probe]
                rest = parts[n - 1][len(plain_parts[n - 1]) :] + "".join("." + p for p in parts[n:])
                return file, ckey + rest
        plain = ".".join(plain_parts)
        for okey, (file, ckey) in self.origins.items():
            if okey.startswith(plain + "."):  # a check on a table whose member was overridden
                return file, ckey[: len(ckey) - (len(okey) - len(plain))]
        return None

    def fail(self, key: str, message: str) -> None:
        origin = self.origin(key)
        if origin is not None:
            raise ConfigError(origin[0], origin[1], message)
        raise ConfigError(self.file, self.path(key), message)

    def rule(self, key: str) -> rules.Rule | None:
        return rules.rule(f"{self.schema}.{key}" if self.schema else key)

    def _default(self, key: str, default: Any) -> Any:
        if default is _MISSING:
            r = self.rule(key)
            if r is not None and not r.required:
                return r.default
        return default

    # ----- access -----
    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is _MISSING:
                self.fail(key, "missing required key")
            return default
        return self.data[key]

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = _MISSING) -> Any:
        default = self._default(key, default)
        value = self.raw(key, default)
        if key not in self.data:
            return value
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = any(
            (isinstance(value, k) and not (k in (int, float) and isinstance(value, bool)))
            or (k is float and is_real(value))
            for k in kinds
        )
        if not ok:
            self.fail(key, f"must be {_type_name(kind)}, got {describe(value)}")
        return float(value) if kinds == (float,) else value

    def number(
        self,
        key: str,
        default: Any = _MISSING,
        *,
        lo: float | None = None,
        hi: float | None = None,
        lo_open: bool = False,
        hi_open: bool = False,
    ) -> float:
        """A finite number inside the rule's range (or the one given here)."""
        value = self.get(key, float, default)
        if value is None:
            return value
        r = self.rule(key)
        if lo is None and hi is None and r is not None:
            check = r
        else:
            check = rules.Rule("number", "", lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open)
        if not math.isfinite(value):
            self.fail(key, f"must be a finite number in {_rule_text(check)}, got {value}")
        if not check.accepts(value):
            self.fail(key, f"must be in {_rule_text(check)}, got {value:g}")
        return value

    def integer(self, key: str, default: Any = _MISSING) -> int:
        value = self.get(key, int, default)
        r = self.rule(key)
        if r is not None and key in self.data and not r.accepts(float(value)):
            self.fail(key, f"must be an integer in {r.interval()}, got {value}")
        return value

    def choice(self, key: str, choices: tuple[str, ...] | None = None, default: Any = _MISSING) -> str:
        r = self.rule(key)
        choices = choices or (r.choices if r else ())
        value = self.get(key, str, default)
        if value not in choices:
            shown = value if len(value) <= 40 else value[:37] + "..."
            self.fail(key, f"unknown value {shown!r} (accepted: {', '.join(choices)})")
        return value

    def text(self, key: str, default: Any = _MISSING) -> str:
        """Free text (a label, description or source): printable, bounded in length."""
        value = self.get(key, str, default)
        problem = rules.text_problem(value) if isinstance(value, str) else None
        if problem:
            self.fail(key, problem)
        return value

    def name(self, key: str, default: Any = _MISSING) -> str:
        """An identifier (letters, digits, _ + -)."""
        value = self.get(key, str, default)
        problem = rules.identifier_problem(value) if isinstance(value, str) else None
        if problem:
            self.fail(key, f"name {value!r} {problem}")
        return value

    def string(self, key: str, default: Any = _MISSING) -> str:
        """A file or column name: printable text."""
        return self.text(key, default)

    def names(self) -> list[str]:
        """The keys of this table as user-chosen names (detectors, cores, backgrounds), checked."""
        for key in self.data:
            problem = rules.identifier_problem(key)
            if problem:
                self.fail(key, f"name {key!r} {problem}")
        return list(self.data)

    def numbers(
        self, key: str, *, length: int | None = None, lo: float | None = None, hi: float | None = None, what: str = ""
    ) -> list[float]:
        """An array of finite numbers (each in [lo, hi] when given), optionally of fixed length."""
        value = self.get(key, list)
        shape = f"[{', '.join(['x'] * length)}]" if length else "an array of numbers"
        if length is not None and len(value) != length:
            self.fail(key, f"must be {what or shape}, got {len(value)} entries")
        for i, x in enumerate(value):
            if not is_real(x):
                self.fail(key, f"entry {i} must be a number{(' (' + what + ')') if what else ''}, got {describe(x)}")
            if not math.isfinite(x):
                self.fail(key, f"entry {i} must be finite, got {x}")
            if (lo is not None and x < lo) or (hi is not None and x > hi):
                self.fail(key, f"entry {i} must be in [{lo:g}, {hi:g}], got {x:g}")
        return [float(x) for x in value]

    def table(self, key: str, default: Any = _MISSING) -> Table:
        value = self.raw(key, default)
        if not isinstance(value, dict):
            self.fail(key, f"must be a table, got {describe(value)}")
        schema = f"{self.schema}.{key}" if self.schema else key
        return Table(value, self.file, f"{self.path(key)}.", self.origins, schema)

    def finish(self) -> None:
        unknown = [k for k in self.data if k not in self.used]
        if unknown:
            accepted = ", ".join(sorted(self.used)) or "none"
            self.fail(unknown[0], f"unknown key (accepted here: {accepted})")


def merge(
    base: dict[str, Any], override: dict[str, Any], file: str, key: str, at: str, origins: dict[str, tuple[str, str]]
) -> dict[str, Any]:
    """Deep-merge ``override`` into a copy of ``base``, recording where each overridden key came from."""
    out = copy.deepcopy(base)
    for k, v in override.items():
        dotted = f"{at}{k}"
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v, file, f"{key}.{k}", f"{dotted}.", origins)
        else:
            out[k] = copy.deepcopy(v)
            origins[dotted] = (file, f"{key}.{k}")
    return out


def parse_exposure(value: Any, file: str, key: str) -> float:
    """Exposure in days of data taking from "100d", "6y", "2.5y" or a number of days, inside the
    accepted range (rules: ``config.experiment.exposure``)."""
    r = rules.RULES["config.experiment.exposure"]
    accepted = f'like "100d", "6y" or a number of days, from {r.lo * 24:g} hour to {r.hi / DAYS_PER_YEAR:g} years'
    if is_real(value):
        days = float(value)
    elif isinstance(value, str):
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([dy])\s*", value[:100])
        if not m:
            raise ConfigError(file, key, f"must be {accepted}, got {describe(value)}")
        days = float(m.group(1)) * (DAYS_PER_YEAR if m.group(2) == "y" else 1.0)
    else:
        raise ConfigError(file, key, f"must be {accepted}, got {describe(value)}")
    if not r.accepts(days):
        raise ConfigError(file, key, f"must be {accepted}, got {value!r} ({days:g} days)")
    return days


# --------------------------------------------------------------------------------------------------
# CSV tables
# --------------------------------------------------------------------------------------------------


def read_csv_columns(path: Path, columns: list[str]) -> dict[str, np.ndarray]:
    """Named columns of a comma-separated table with ``#`` comment lines and one header line: a
    regular file of at most MAX_TABLE_BYTES whose entries are finite numbers.

    Raises ValueError with a message naming the problem (the caller adds file and key).
    """
    try:
        raw = read_regular(path, rules.MAX_TABLE_BYTES)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    if not lines:
        raise ValueError(f"{path} holds no table")
    header = [h.strip() for h in lines[0].split(",")]
    missing = [c for c in columns if c not in header]
    if missing:
        shown = ", ".join(header) if len(", ".join(header)) < 300 else ", ".join(header)[:297] + "..."
        raise ValueError(f"{path} has no column {missing[0]!r} (columns: {shown})")
    rows = []
    for number, ln in enumerate(lines[1:], start=2):
        cells = ln.split(",")
        if len(cells) < len(header):
            raise ValueError(f"{path}: data row {number - 1} has {len(cells)} entries, the header {len(header)}")
        try:
            rows.append([float(x) for x in cells[: len(header)]])
        except ValueError as exc:
            raise ValueError(f"{path}: non-numeric entry in data row {number - 1} ({exc})") from None
    if len(rows) < 2:
        raise ValueError(f"{path} needs at least two rows of data")
    table = np.array(rows)
    out = {c: table[:, header.index(c)] for c in columns}
    for c, values in out.items():
        if not np.all(np.isfinite(values)):
            row = int(np.argmax(~np.isfinite(values))) + 1
            raise ValueError(f"{path}: column {c!r} is not finite in data row {row}")
    return out
