"""Files, build locks and thread pools: juno_fit.files, juno_fit._numba.compile_lock,
juno_fit.threads; and the configuration reference kept in step with the rules."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_contract import time_limit

from juno_fit._numba import compile_lock
from juno_fit.config import reference_doc, rules
from juno_fit.errors import DataError, JunoFitError
from juno_fit.files import atomic_output, check_output, clean_stale_temporaries, read_regular

ROOT = Path(__file__).resolve().parents[1]


def one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert text
    assert "\n" not in text, text
    assert "\r" not in text, text
    return text


def dead_pid() -> int:
    """The process number of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# --------------------------------------------------------------------------------------------------
# read_regular
# --------------------------------------------------------------------------------------------------


def test_read_regular_reads_a_small_file(tmp_path):
    path = tmp_path / "a.toml"
    path.write_bytes(b"x" * 100)
    assert read_regular(path, 100) == b"x" * 100


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_read_regular_refuses_a_named_pipe_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    start = time.monotonic()
    with time_limit(10), pytest.raises(ValueError, match="named pipe") as info:
        read_regular(fifo, 1000)
    assert time.monotonic() - start < 5
    one_line(info)


def test_read_regular_refuses_a_folder(tmp_path):
    with time_limit(10), pytest.raises(ValueError, match="folder") as info:
        read_regular(tmp_path, 1000)
    one_line(info)


def test_read_regular_refuses_a_too_large_file(tmp_path):
    path = tmp_path / "big.toml"
    path.write_bytes(b"x" * 101)
    with time_limit(10), pytest.raises(ValueError, match="at most 100") as info:
        read_regular(path, 100)
    one_line(info)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_read_regular_refuses_a_device():
    with time_limit(10), pytest.raises(ValueError, match="device") as info:
        read_regular("/dev/zero", 1000)
    one_line(info)


def test_read_regular_missing_file(tmp_path):
    with pytest.raises(ValueError, match="not found") as info:
        read_regular(tmp_path / "nope.toml", 1000)
    one_line(info)


# --------------------------------------------------------------------------------------------------
# check_output
# --------------------------------------------------------------------------------------------------


def test_check_output_accepts_a_new_file_and_leaves_nothing(tmp_path):
    target = tmp_path / "out.h5"
    assert check_output(target, suffixes=(".h5",)) == target
    assert list(tmp_path.iterdir()) == []  # the writability probe is removed


def test_check_output_refuses_an_existing_file_without_force(tmp_path):
    target = tmp_path / "out.h5"
    target.write_bytes(b"old")
    with pytest.raises(JunoFitError, match="exists; pass --force") as info:
        check_output(target, option="-o")
    assert one_line(info).startswith(f"-o {target}")
    assert check_output(target, force=True) == target
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.h5"]


def test_check_output_refuses_a_folder_even_with_force(tmp_path):
    folder = tmp_path / "out.h5"
    folder.mkdir()
    for force in (False, True):
        with pytest.raises(JunoFitError, match="is a folder") as info:
            check_output(folder, force=force)
        one_line(info)


def test_check_output_refuses_a_missing_folder(tmp_path):
    with pytest.raises(JunoFitError, match="does not exist") as info:
        check_output(tmp_path / "nope" / "out.h5", option="--plot")
    assert one_line(info).startswith("--plot ")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="no /proc")
def test_check_output_refuses_an_unwritable_folder():
    with pytest.raises(JunoFitError, match="cannot write") as info:
        check_output("/proc/x.h5")
    one_line(info)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write in any folder")
def test_check_output_refuses_a_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(JunoFitError, match="cannot write") as info:
            check_output(folder / "out.h5")
        one_line(info)
    finally:
        folder.chmod(0o700)


def test_check_output_refuses_a_wrong_suffix_and_bad_names(tmp_path):
    with pytest.raises(JunoFitError, match="unknown file type") as info:
        check_output(tmp_path / "plot.txt", option="--plot", suffixes=(".png", ".pdf"))
    one_line(info)
    for bad in ("", "a\x00b.h5"):
        with pytest.raises(JunoFitError, match="not a valid file name") as info:
            check_output(bad)
        one_line(info)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_check_output_refuses_to_replace_a_named_pipe(tmp_path):
    fifo = tmp_path / "out.h5"
    os.mkfifo(fifo)
    with time_limit(10), pytest.raises(JunoFitError, match="named pipe") as info:
        check_output(fifo, force=True)
    one_line(info)


# --------------------------------------------------------------------------------------------------
# atomic_output and stale temporary files
# --------------------------------------------------------------------------------------------------


def test_atomic_output_writes_through_a_named_temporary(tmp_path):
    target = tmp_path / "out.h5"
    with atomic_output(target) as tmp:
        assert tmp.parent == tmp_path
        assert re.fullmatch(rf"\.out\.h5\.{os.getpid()}\.[a-z0-9_]{{8}}\.h5", tmp.name), tmp.name
        tmp.write_bytes(b"new")
        assert not target.exists()
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.h5"]


def test_atomic_output_removes_its_temporary_on_error(tmp_path):
    target = tmp_path / "out.h5"
    target.write_bytes(b"old")
    seen = []

    def write_and_fail() -> None:
        with atomic_output(target) as tmp:
            seen.append(tmp)
            tmp.write_bytes(b"half written")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        write_and_fail()
    assert seen
    assert not seen[0].exists()
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.h5"]


def test_atomic_output_without_force_keeps_an_existing_file(tmp_path):
    target = tmp_path / "out.h5"
    target.write_bytes(b"old")
    with pytest.raises(DataError, match="exists"), atomic_output(target, force=False):
        pytest.fail("must not be reached")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.h5"]


def test_clean_stale_temporaries(tmp_path):
    target = tmp_path / "out.h5"
    dead = tmp_path / f".out.h5.{dead_pid()}.abcdefgh.h5"
    mine = tmp_path / f".out.h5.{os.getpid()}.abcdefgh.h5"
    old_alive = tmp_path / f".out.h5.{os.getppid()}.zyxwvuts.h5"
    fresh_alive = tmp_path / f".out.h5.{os.getppid()}.abcd1234.h5"
    other = tmp_path / f".other.h5.{dead_pid()}.abcdefgh.h5"
    for path in (dead, mine, old_alive, fresh_alive, other):
        path.write_bytes(b"partial")
    two_days_ago = time.time() - 2 * 86_400
    os.utime(old_alive, (two_days_ago, two_days_ago))
    removed = clean_stale_temporaries(target)
    assert sorted(removed) == sorted([dead, old_alive])
    assert not dead.exists()
    assert not old_alive.exists()
    assert mine.exists()
    assert fresh_alive.exists()
    assert other.exists()


def test_writing_removes_stale_temporaries(tmp_path):
    target = tmp_path / "out.h5"
    dead = tmp_path / f".out.h5.{dead_pid()}.abcdefgh.h5"
    dead.write_bytes(b"partial")
    with atomic_output(target) as tmp:
        tmp.write_bytes(b"new")
    assert not dead.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out.h5"]


# --------------------------------------------------------------------------------------------------
# compile_lock
# --------------------------------------------------------------------------------------------------


def test_compile_lock_is_per_key(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    key_a, key_b = "a" * 20, "b" * 20
    got_a, got_b = threading.Event(), threading.Event()
    release_b = threading.Event()
    errors: list[BaseException] = []

    def take(key: str, got: threading.Event, hold: threading.Event | None = None) -> None:
        try:
            with compile_lock(key):
                got.set()
                if hold is not None:
                    hold.wait(30)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            got.set()

    with compile_lock(key_a):
        assert (tmp_path / f"juno_fit_build.{key_a[:16]}.lock").exists()
        tb = threading.Thread(target=take, args=(key_b, got_b, release_b), daemon=True)
        ta = threading.Thread(target=take, args=(key_a, got_a), daemon=True)
        tb.start()
        assert got_b.wait(10), "compile_lock('b') waited for another key's lock"
        ta.start()
        assert not got_a.wait(1.0), "compile_lock('a') was taken while it was held"
    assert got_a.wait(10), "compile_lock('a') was not taken after it was released"
    release_b.set()
    ta.join(10)
    tb.join(10)
    assert not errors, errors
    assert (tmp_path / f"juno_fit_build.{key_b[:16]}.lock").exists()


# --------------------------------------------------------------------------------------------------
# Thread pools
# --------------------------------------------------------------------------------------------------

THREAD_PROBE = """
import json
import numpy  # first, before juno_fit could set any thread variable
import juno_fit
from threadpoolctl import threadpool_info
from juno_fit.threads import limited_threads, thread_count

with limited_threads() as n:
    pools = [(p.get("internal_api"), p["num_threads"]) for p in threadpool_info()]
print(json.dumps({"count": thread_count(), "n": n, "pools": pools}))
"""

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def _probe_threads(**env_vars: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    env.update(env_vars)
    proc = subprocess.run(
        [sys.executable, "-c", THREAD_PROBE],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_limited_threads_with_numpy_imported_first():
    result = _probe_threads()
    assert result["count"] == 1
    assert result["n"] == 1
    assert result["pools"], "threadpoolctl found no BLAS/OpenMP pool to check"
    for api, n in result["pools"]:
        assert n == 1, f"{api} pool runs {n} threads inside limited_threads()"


def test_thread_count_follows_the_users_choice():
    result = _probe_threads(OMP_NUM_THREADS="2")
    assert result["count"] == 2
    assert result["n"] == 2


# --------------------------------------------------------------------------------------------------
# The configuration reference and the rules
# --------------------------------------------------------------------------------------------------


def test_docs_configuration_is_generated_from_the_rules():
    docs = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert docs == reference_doc.reference_markdown(), (
        "docs/configuration.md is out of date; regenerate with `python -m juno_fit.config > docs/configuration.md`"
    )


def _schema(path: Path) -> str:
    folder = path.parent.name
    if folder == "configs":
        return "config"
    if folder == "detector":
        return "detector"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return "site" if "cores" in data else "spectra"


def _keys(table: dict, prefix: str) -> Iterator[str]:
    """Schema paths of every key; a table that has a rule of its own (overrides, constraints, a
    baseline per detector) is not walked."""
    for key, value in table.items():
        path = f"{prefix}.{key}"
        if isinstance(value, dict) and rules.rule(path) is None:
            yield from _keys(value, path)
        else:
            yield path


SHIPPED = sorted(
    [
        *(ROOT / "configs").glob("*.toml"),
        *(ROOT / "detector").glob("*.toml"),
        *(ROOT / "spectra").glob("*.toml"),
    ]
)


def test_shipped_inputs_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in SHIPPED}
    assert {"configs/juno_nominal.toml", "detector/juno.toml", "spectra/juno_site.toml"} <= names
    assert {_schema(p) for p in SHIPPED} == {"config", "detector", "site", "spectra"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_shipped_key_has_a_rule(path):
    schema = _schema(path)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    keys = list(_keys(data, schema))
    assert keys
    missing = [k for k in keys if rules.rule(k) is None]
    assert not missing, f"keys without a rule in juno_fit/config/rules.py: {missing}"
