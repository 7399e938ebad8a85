"""Ensembles on Dask: reproducibility across worker counts, resumption after SIGKILL and Ctrl-C, an
external scheduler, merge and summary, and their refusals of foreign or damaged files."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import FAST_SYSTEMATICS, write_fast_config

from juno_fit.cli import main
from juno_fit.ensemble import read_ensemble, same_toy
from juno_fit.progress import Progress

N = 16

# the quick systematics of the CLI tests, without the two bin-to-bin covariances
SYSTEMATICS = FAST_SYSTEMATICS.replace("reference_shape = true", "reference_shape = false").replace(
    "background_shapes = true", "background_shapes = false"
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("ensemble")


@pytest.fixture(scope="module")
def config(folder):
    """juno_nominal at 100 days with a few systematics (a toy fit takes a fraction of a second)."""
    return write_fast_config(folder, SYSTEMATICS, name="quick.toml")


def _toys(config, out, *extra):
    return main(["toys", config, "--n", str(N), "-o", str(out), *extra])


@pytest.fixture(scope="module")
def reference(config, folder):
    """The uninterrupted run: 16 toys on two workers."""
    out = folder / "reference.h5"
    assert _toys(config, out, "--workers", "2") == 0
    return read_ensemble(out)


def _assert_same(ens, ref, indices=range(N)):
    assert sorted(ens.records) == list(indices)
    for k in indices:
        assert same_toy(ens.records[k], ref.records[k]), f"toy {k} differs"


def _digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _default_sigint() -> None:
    # A test run started as a background job of a non-interactive shell inherits SIGINT ignored, and
    # Python keeps it ignored: give the child the default Ctrl-C, as an interactive terminal would.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _spawn(config, out, *extra):
    cmd = [sys.executable, "-m", "juno_fit.cli", "toys", config, "--n", str(N), "-o", str(out), *extra]
    return subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        text=True,
        preexec_fn=_default_sigint,
    )


def _wait_for_toys(proc, out, at_least, timeout=120.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the run ended before it could be interrupted: {proc.communicate()}")
        if out.exists():
            try:
                n = len(read_ensemble(out).records)
            except Exception:
                n = 0
            if n >= at_least:
                return n
        time.sleep(0.05)
    pytest.fail("no progress in time")


def test_reference_run_is_complete_and_sensible(reference):
    assert sorted(reference.records) == list(range(N))
    a = reference.arrays()
    assert a["valid"].all()
    j = reference.spec.parameters.index("sin2_theta12")
    # toys fluctuate: the fitted values differ from toy to toy, the truth does not
    assert len(np.unique(a["values"][:, j])) == N
    assert np.all(a["truth"][:, j] == a["truth"][0, j])


def test_one_and_two_workers_give_bit_identical_results(config, folder, reference):
    out = folder / "one_worker.h5"
    assert _toys(config, out, "--workers", "1", "--chunk", "3") == 0
    _assert_same(read_ensemble(out), reference)


def test_sigkill_halfway_then_rerun_completes_exactly(config, folder, reference):
    out = folder / "killed.h5"
    proc = _spawn(config, out, "--workers", "1", "--chunk", "1", "--save-every", "0")
    saved = _wait_for_toys(proc, out, N // 2)
    os.killpg(proc.pid, signal.SIGKILL)  # the client, its scheduler and its worker at once
    proc.communicate()
    partial = read_ensemble(out)
    assert saved <= len(partial.records) < N  # killed halfway: some toys, not all
    _assert_same(partial, reference, sorted(partial.records))
    assert _toys(config, out, "--workers", "1") == 0
    _assert_same(read_ensemble(out), reference)  # exactly 0..N-1, none lost or duplicated, same results


def test_killed_worker_is_replaced_and_the_ensemble_completes(config, folder, reference):
    """SIGKILL one of two workers mid-run: Dask reruns its tasks on the survivor (and the nanny starts
    a new worker); the ensemble ends complete and identical."""
    import threading

    from juno_fit.config import load_config
    from juno_fit.ensemble import run_ensemble
    from juno_fit.parallel import dask_client

    out = folder / "worker_killed.h5"
    killed = threading.Event()
    seen: list[int] = []  # toys on disk when the worker was killed
    with dask_client(2) as client:
        pids = client.run(os.getpid)  # worker address → process id

        def killer() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not killed.is_set():
                try:
                    n = len(read_ensemble(out).records) if out.exists() else 0
                except Exception:
                    n = 0
                if n >= 3:
                    victim = min(pids.values())
                    os.kill(victim, signal.SIGKILL)
                    seen.append(n)
                    killed.set()
                    return
                time.sleep(0.05)

        thread = threading.Thread(target=killer)
        thread.start()
        result = run_ensemble(
            load_config(config), N, out, chunk=1, flush_seconds=0.0, client=client, show_progress=False
        )
        thread.join()
    assert killed.is_set()
    assert seen[0] < N  # killed mid-run
    assert result["fitted"] == N
    _assert_same(read_ensemble(out), reference)


def test_ctrl_c_saves_what_is_done_and_exits_130(config, folder, reference):
    out = folder / "interrupted.h5"
    proc = _spawn(config, out, "--workers", "1", "--chunk", "1", "--save-every", "0")
    _wait_for_toys(proc, out, 3)
    proc.send_signal(signal.SIGINT)  # Ctrl-C reaches the client
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "interrupted" in err
    assert "rerun" in err
    partial = read_ensemble(out)
    assert 3 <= len(partial.records) < N
    _assert_same(partial, reference, sorted(partial.records))


def test_external_scheduler_and_worker(config, folder, reference, capsys):
    sched_file = folder / "scheduler.json"
    env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False")
    scheduler = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--dashboard-address",
            "127.0.0.1:0",
            "--scheduler-file",
            str(sched_file),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_worker",
                address,
                "--nthreads",
                "1",
                "--nworkers",
                "1",
                "--no-dashboard",
                "--local-directory",
                str(folder / "worker-space"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        out = folder / "remote.h5"
        assert main(["toys", config, "--n", "5", "-o", str(out), "--scheduler", address, "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["fitted"] == 5
        assert result["workers"] == 1
        _assert_same(read_ensemble(out), reference, range(5))
    finally:
        for proc in (worker, scheduler):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()


def test_unreachable_scheduler_is_a_user_error(config, folder, capsys):
    out = folder / "never.h5"
    assert main(["toys", config, "--n", "2", "-o", str(out), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "--scheduler" in err[0]
    assert not out.exists()


def test_split_runs_merge_into_the_whole(config, folder, reference, capsys):
    a, b, merged = folder / "first.h5", folder / "second.h5", folder / "merged.h5"
    assert main(["toys", config, "--n", "6", "-o", str(a), "--workers", "1"]) == 0
    assert main(["toys", config, "--first", "6", "--n", "10", "-o", str(b), "--workers", "1"]) == 0
    assert main(["merge", str(a), str(b), str(a), "-o", str(merged)]) == 0  # a repeated input is harmless
    _assert_same(read_ensemble(merged), reference)
    # never over an input, never over an existing file without --force
    assert main(["merge", str(a), str(b), "-o", str(a)]) == 2
    assert main(["merge", str(a), str(b), "-o", str(merged)]) == 2
    assert "--force" in capsys.readouterr().err


def test_resume_refuses_a_different_ensemble(config, folder, reference, capsys):
    out = folder / "reference.h5"
    before = _digest(out)
    assert main(["toys", config, "--exposure", "200d", "--n", "2", "-o", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "different ensemble" in err
    assert "exposure_days" in err
    assert _digest(out) == before


@pytest.fixture(scope="module")
def bad_files(folder, config):
    """A file that is not HDF5, a foreign HDF5 file (a data set), and a truncated ensemble."""
    junk = folder / "junk.h5"
    junk.write_bytes(b"this is not HDF5\n" * 10)
    foreign = folder / "dataset.h5"
    assert main(["simulate", config, "-o", str(foreign)]) == 0
    truncated = folder / "truncated.h5"
    data = (folder / "reference.h5").read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    return {"not HDF5": junk, "foreign": foreign, "truncated": truncated}


@pytest.mark.parametrize("kind", ["not HDF5", "foreign", "truncated"])
def test_merge_and_summary_refuse_bad_files_without_damage(bad_files, folder, reference, capsys, kind):
    bad = bad_files[kind]
    good = folder / "reference.h5"
    digests = {p: _digest(p) for p in (bad, good)}
    out = folder / f"merged-{kind.replace(' ', '_')}.h5"
    capsys.readouterr()
    assert main(["merge", str(good), str(bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert str(bad) in err[0]
    assert not out.exists()
    assert main(["summary", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert str(bad) in err[0]
    assert {p: _digest(p) for p in digests} == digests
    assert not any(p.name.startswith(f".{out.name}.") for p in folder.iterdir())  # no temporary left behind


def test_summary_json_matches_the_arrays(folder, reference, capsys):
    assert main(["summary", str(folder / "reference.h5"), "--json", "--plot", str(folder / "plots")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["toys"] == N
    assert out["converged"] == N
    assert set(out["parameters"]) == {"sin2_theta12", "sin2_theta13", "dm2_21", "dm2_31"}
    a = reference.arrays()
    j = reference.spec.parameters.index("dm2_21")
    pulls = (a["values"][:, j] - a["truth"][:, j]) / a["errors"][:, j]
    s = out["parameters"]["dm2_21"]
    assert s["pull_mean"] == pytest.approx(np.mean(pulls), rel=1e-12)
    assert s["pull_width"] == pytest.approx(np.std(pulls, ddof=1), rel=1e-12)
    assert s["coverage_1sigma"] == pytest.approx(np.mean(np.abs(pulls) <= 1), abs=1e-12)
    assert s["width"] == pytest.approx(np.std(a["values"][:, j], ddof=1), rel=1e-12)
    for name in out["parameters"]:
        assert (folder / "plots" / f"{name}.png").stat().st_size > 10_000
    capsys.readouterr()
    assert main(["summary", str(folder / "reference.h5")]) == 0
    text = capsys.readouterr().out
    assert "16 converged" in text
    assert "coverage" in text


def test_nmo_ensemble_in_the_inverted_ordering(config, folder, capsys):
    out = folder / "nmo.h5"
    argv = ["toys", config, "--n", "2", "--nmo", "--true-ordering", "inverted", "-o", str(out), "--workers", "1"]
    assert main(argv) == 0
    ens = read_ensemble(out)
    assert ens.spec.nmo
    assert ens.spec.true_ordering == "inverted"
    a = ens.arrays()
    j = ens.spec.parameters.index("dm2_31")
    assert np.all(a["truth"][:, j] < 0)  # the inverted truth
    assert np.all(a["values"][:, j] < 0)  # fitted in the true (inverted) ordering
    assert np.all(a["dm2_31_wrong"] > 0)  # and in the wrong one
    np.testing.assert_array_equal(a["dchi2"], a["fval_wrong"] - a["fval"])
    capsys.readouterr()
    assert main(["summary", str(out), "--json", "--plot", str(folder / "nmo_plots")]) == 0
    s = json.loads(capsys.readouterr().out)["nmo"]
    median = np.median(a["dchi2"])
    assert s["dchi2_median"] == pytest.approx(median)
    assert s["median_sensitivity"] == pytest.approx(np.sign(median) * np.sqrt(abs(median)))
    assert (folder / "nmo_plots" / "dchi2_nmo.png").stat().st_size > 5_000


def test_progress_line_has_rate_and_time_left():
    stream = io.StringIO()
    p = Progress(100, "toys", stream=stream, log_every=0.0)
    p.start -= 10.0  # pretend 10 s have passed
    p.update(25)
    line = stream.getvalue().strip().splitlines()[-1]
    assert line.startswith("toys: 25/100 (25 %)")
    assert "2.50 toys/s" in line
    assert "left 30s" in line
    p.close()
