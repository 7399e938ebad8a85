"""The command-line contract shared by the tests: run ``juno-fit`` in-process under a time limit, and
check its answer.

An answer is one strict-JSON object whose numbers are all finite. A refusal is exit code 2, nothing
on stdout and exactly one line ``juno-fit: error: ...`` on stderr, with no traceback and no raw
control, format or bidirectional character.

A plain module, not a test file: the tests import it as ``from cli_contract import ...`` (pytest's
default import mode puts the tests folder on ``sys.path``).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import signal
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Any

from juno_fit.cli import main

# Unicode bidirectional controls, which can reorder what a terminal shows.
BIDI = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C))

# Unicode categories that must not appear raw in an error line: control, format, surrogate,
# private use and unassigned.
UNCLEAN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})

ERROR_PREFIX = "juno-fit: error: "


# --------------------------------------------------------------------------------------------------
# Time limit
# --------------------------------------------------------------------------------------------------


class Hang(Exception):
    """The block did not return within its time limit.

    Deliberately not an OSError (nor a TimeoutError): code under test that catches OSError must not
    turn a hang into an ordinary error.
    """


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise Hang if the block runs longer than ``seconds`` (SIGALRM; the main thread only)."""

    def on_alarm(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# --------------------------------------------------------------------------------------------------
# Running the command line
# --------------------------------------------------------------------------------------------------


def run_cli(argv: Sequence[Any], *, limit: int = 60) -> tuple[int, str, str]:
    """``juno-fit ARGV`` in-process under a time limit of ``limit`` seconds: (exit code, stdout, stderr).

    Each item of ``argv`` is converted with ``str`` (so paths can be passed as they are)."""
    out, err = io.StringIO(), io.StringIO()
    with time_limit(limit), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


# --------------------------------------------------------------------------------------------------
# Answers: strict JSON with finite numbers
# --------------------------------------------------------------------------------------------------


def strict_json(text: str) -> Any:
    """Parse strict JSON: NaN, Infinity and -Infinity are refused."""

    def no_constant(name: str):
        raise ValueError(f"non-finite JSON constant {name}")

    return json.loads(text, parse_constant=no_constant)


def numbers(obj: Any) -> Iterator[float]:
    """Every number (int or float, not bool) in a parsed JSON document, as a float."""
    if isinstance(obj, dict):
        for v in obj.values():
            yield from numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from numbers(v)
    elif isinstance(obj, int | float) and not isinstance(obj, bool):
        yield float(obj)


def assert_finite_json(stdout: str) -> dict:
    """``stdout`` is one strict-JSON object whose numbers are all finite; returns it."""
    data = strict_json(stdout)
    assert isinstance(data, dict), f"a JSON object expected, got {type(data).__name__}"
    bad = [x for x in numbers(data) if not math.isfinite(x)]
    assert not bad, f"non-finite numbers in the JSON output: {bad[:5]}"
    return data


# --------------------------------------------------------------------------------------------------
# Refusals: exit code 2 and one clean error line
# --------------------------------------------------------------------------------------------------


def assert_clean_line(line: str) -> None:
    """No raw control, format or bidirectional character in an error line."""
    for ch in line:
        assert ch not in BIDI, f"raw bidirectional character U+{ord(ch):04X} in {line!r}"
        assert unicodedata.category(ch) not in UNCLEAN_CATEGORIES, f"raw control character U+{ord(ch):04X} in {line!r}"


def assert_refused(code: int, out: str, err: str, *needles: str) -> str:
    """Exit code 2 and exactly one clean ``juno-fit: error:`` line holding every needle; returns it."""
    assert "Traceback" not in err, err
    assert code == 2, f"exit code {code}; stderr: {err!r}"
    assert out == "", f"nothing on stdout expected, got {out[:300]!r}"
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {err!r}"
    assert err.endswith("\n")
    line = lines[0]
    assert line.startswith(ERROR_PREFIX), line
    assert_clean_line(line)
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    return line
