"""Watching a running sweep, and faults in the output path (issue 15, items 3 and 4).

* A reader (h5py as a SWMR reader, and `ionflux.load`) opens the file while `ionflux
  sweep` writes it and sees 0 < finished < n cells, each equal to the same cell of an
  uninterrupted run; the final file equals that run's (the reading changed nothing).
* A reader that has the file open when a run starts on it (a new run over it, or
  `--resume`) is waited for while it closes the file within a moment; one that keeps it
  open gets one error that says so, and the file is left as it was (HDF5 would have
  truncated it before finding the lock taken).
* A write that fails (injected inside HDF5 with IONFLUX_FAULT_H5_WRITE, or a real one:
  the file size limit of `ulimit -f`) ends the run with one error line that says what
  failed, in which file and how many cells are safe in it; those cells read back equal
  to the uninterrupted run's, and (for the injected fault) `--resume` completes the
  file to exactly that run.

The expected values are the uninterrupted run made here by the same binary with the
same options: these tests check that watching and failing lose or change nothing, not
the physics.
"""

import json
import os
import re
import resource
import signal
import subprocess
import time
import warnings

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

from sweep_file_cases import CLI, CONFIG, HAVE_CLI, N_CELLS, datasets, sweep  # noqa: E402

pytestmark = pytest.mark.skipif(not HAVE_CLI, reason="needs the ionflux CLI (IONFLUX_CLI)")

# sweep_file_cases.CONFIG, 300 cells; --memory-budget 400000 cuts it into 12 chunks of 26 cells, so
# a reader or a fault finds some chunks written and some not.
N = N_CELLS
OPTS = ["--threads", "1", "--memory-budget", "400000"]
PER_CELL = ["cells/status", "cells/count", "cells/message", "summary/End time [s]", "summary/End reason",
            "summary/Discharge capacity [A.h]", "summary/Energy [W.h]", "summary/Steps"]
SERIES = ["cells/Time [s]", "cells/Voltage [V]", "cells/Current [A]"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("watch")
    cfg = d / "cfg.json"
    cfg.write_text(json.dumps(CONFIG))
    ref = d / "ref.h5"
    p = sweep(str(cfg), "--output", str(ref), *OPTS, "--quiet")
    assert p.returncode == 0, p.stderr
    return d, cfg, ref



def assert_cells_equal(f, r, cells):
    """Rows `cells` of f equal those of the reference r: per-cell datasets and each
    cell's outputs (through offset/count)."""
    for name in PER_CELL:
        x, y = f[name][cells], r[name][cells]
        if x.dtype.kind == "f":
            np.testing.assert_array_equal(x, y, err_msg=name)
        else:
            assert (x == y).all(), name
    fo, fc = f["cells/offset"][:], f["cells/count"][:]
    ro, rc = r["cells/offset"][:], r["cells/count"][:]
    for name in SERIES:
        x, y = f[name], r[name][:]
        for i in cells:
            assert fc[i] > 0, f"cell {i} has no outputs"
            np.testing.assert_array_equal(x[fo[i]:fo[i] + fc[i]], y[ro[i]:ro[i] + rc[i]], err_msg=f"{name}, cell {i}")


def assert_same_file(got, ref, also_own=()):
    """Every dataset equal (NaN-aware) and the same attributes, but for the run's own
    (and `also_own`)."""
    with h5py.File(got, "r") as g, h5py.File(ref, "r") as r:
        G, R = datasets(g), datasets(r)
        assert sorted(G) == sorted(R)
        for name in sorted(R):
            x, y = G[name][()], R[name][()]
            assert x.shape == y.shape, name
            if x.dtype.kind == "f":
                np.testing.assert_array_equal(x, y, err_msg=name)
            else:
                assert (x == y).all(), name
        own = {"created", "wall time [s]", "runs", *also_own}  # the run's own, and a resumed file's history
        assert {k: v for k, v in g.attrs.items() if k not in own} == {k: v for k, v in r.attrs.items() if k not in own}


def test_a_running_sweep_can_be_watched_and_the_reading_changes_nothing(setup):
    import ionflux

    d, cfg, ref = setup
    out = d / "watched.h5"
    p = subprocess.Popen([CLI, "sweep", str(cfg), "--output", str(out), *OPTS, "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen_h5py = seen_load = 0
    with h5py.File(ref, "r") as r:
        while p.poll() is None:
            time.sleep(0.05)
            try:
                f = h5py.File(out, "r", swmr=True)
            except OSError:  # not created yet, or not yet switched to SWMR writing
                continue
            with f:
                done = np.flatnonzero(f["cells/status"][:] != -1)
                if 0 < len(done) < N and not seen_h5py:
                    assert_cells_equal(f, r, done)  # finished cells: complete and equal to the uninterrupted run's
                    seen_h5py = len(done)
            if seen_h5py and not seen_load:
                # (the run may finish between the h5py read above and this load: then there
                # is nothing left to warn about, and the loop looks again only while it runs)
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    res = ionflux.load(out)
                done = np.flatnonzero(res.status != -1)
                if 0 < len(done) < N:
                    assert any(issubclass(w.category, ionflux.SolverWarning) and "not_run" in str(w.message)
                               for w in caught), [str(w.message) for w in caught]  # the cells still to come
                    v = res["Voltage [V]"]
                    assert np.isfinite(v[done, 0]).all() and np.isnan(v[res.status == -1]).all()
                    assert (res.messages[done] != "").all()
                    seen_load = len(done)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert seen_h5py and seen_load, "the sweep finished before a reader saw it part way"
    print(f"  a SWMR reader saw {seen_h5py} of {N} cells, ionflux.load {seen_load}")
    assert_same_file(out, ref)


def test_a_run_waits_for_a_reader_that_closes_the_file_and_names_one_that_keeps_it_open(setup):
    import threading

    d, cfg, ref = setup
    out = d / "read_while_started.h5"
    p = sweep(str(cfg), "--output", str(out), *OPTS, "--quiet")
    assert p.returncode == 0, p.stderr
    for extra in ([], ["--resume"]):
        before = out.read_bytes()
        # a reader that keeps the file open: one error naming the cause, the file untouched
        with h5py.File(out, "r", swmr=True):
            p = sweep(str(cfg), "--output", str(out), *OPTS, "--quiet", *extra)
        assert p.returncode != 0
        lines = error_lines(p.stderr)
        assert len(lines) == 1 and f"'{out}'" in lines[0] and "another process has it open" in lines[0], p.stderr
        assert out.read_bytes() == before, extra
        # a reader that closes it 1 s after the run started: the run waits for it (the run
        # cannot have taken the file before then) and completes
        f = h5py.File(out, "r", swmr=True)
        closer = threading.Timer(1.0, f.close)
        t0 = time.monotonic()
        closer.start()
        p = sweep(str(cfg), "--output", str(out), *OPTS, "--quiet", *extra)
        took = time.monotonic() - t0
        closer.join()
        assert p.returncode == 0, p.stderr
        assert took >= 0.9, f"the run ended {took:.2f} s after it started, before the reader closed the file"
        assert_same_file(out, ref, also_own=["device"] if extra else [])  # resumed: "none (every cell was ...)"
    # with HDF5's locks turned off (HDF5_USE_FILE_LOCKING=FALSE) the run neither waits for
    # a reader nor refuses the file: the user chose to go without locks
    env = dict(os.environ, HDF5_USE_FILE_LOCKING="FALSE")
    with h5py.File(out, "r", swmr=True):
        p = sweep(str(cfg), "--output", str(out), *OPTS, "--quiet", "--resume", env=env)
    assert p.returncode == 0, p.stderr


def wait_mid_run(p, out):
    """Polls `out` as a SWMR reader while the sweep `p` runs, until 0 < k < N of its cells
    are in it; returns k, or 0 if the sweep ended first."""
    while p.poll() is None:
        time.sleep(0.05)
        try:
            with h5py.File(out, "r", swmr=True) as f:
                k = int((f["cells/status"][:] != -1).sum())
        except OSError:  # not created yet, or not yet switched to SWMR writing
            continue
        if 0 < k < N:
            return k
    return 0


def test_a_second_run_on_a_file_being_written_is_refused_and_the_first_completes(setup):
    # HDF5 drops its own lock once SWMR writing starts; a second sweep to the same output
    # (or a --resume of it) then truncated and wrote the file under the first, which ended
    # "complete" with a file that could not be read (a new-user audit). The writer now holds
    # a shared lock of its own: readers still open the file, a second writer is refused.
    d, cfg, ref = setup
    out = d / "two_writers.h5"
    first = subprocess.Popen([CLI, "sweep", str(cfg), "--output", str(out), *OPTS, "--quiet"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # a reader still gets in (wait_mid_run reads the file)
        assert wait_mid_run(first, out), "the first sweep finished before a second could start on its file"
        first.send_signal(signal.SIGSTOP)  # held mid-run, its file open for writing
        for extra in ([], ["--resume"]):
            p = sweep(str(cfg), "--output", str(out), *OPTS, "--quiet", *extra)
            assert p.returncode == 2, p.stderr
            lines = error_lines(p.stderr)
            assert len(lines) == 1 and "another ionflux run is writing it" in lines[0], p.stderr
    finally:
        first.send_signal(signal.SIGCONT)
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert_same_file(out, ref)  # the first run's file, whole and readable


def error_lines(err):
    return [line for line in err.splitlines() if line.startswith("error:")]


def safe_cells(err, path):
    lines = error_lines(err)
    assert len(lines) == 1, err  # one clear error
    assert f"'{path}'" in lines[0], lines[0]  # which file
    m = re.search(r"; (\d+) of (\d+) cells are safe in it", lines[0])
    assert m and int(m.group(2)) == N, lines[0]  # how many cells are safe
    return lines[0], int(m.group(1))


def test_an_injected_write_failure_ends_the_run_with_one_error_and_keeps_the_written_cells(setup):
    import ionflux

    d, cfg, ref = setup
    out = d / "fault.h5"
    env = dict(os.environ, IONFLUX_FAULT_H5_WRITE="4")  # the 4th chunk's write fails inside HDF5
    p = sweep(str(cfg), "--output", str(out), *OPTS, "--quiet", env=env)
    assert p.returncode == 1, p.stderr
    line, k = safe_cells(p.stderr, out)
    assert "cannot write /cells/Voltage [V]" in line  # what failed
    # the 3 chunks before were written, the 4th (of the same size) not
    m = re.search(r"the chunk of cells \[(\d+), (\d+)\) was not written", line)
    assert m and int(m.group(1)) == k and int(m.group(2)) - k == k // 3 and k % 3 == 0, line
    with h5py.File(out, "r") as f, h5py.File(ref, "r") as r:
        assert f.attrs["status"].startswith("failed: cannot write")
        status = f["cells/status"][:]
        assert (status[:k] != -1).all() and (status[k:] == -1).all()
        assert_cells_equal(f, r, np.arange(k))
    with pytest.warns(ionflux.SolverWarning):
        assert (ionflux.load(out).status != -1).sum() == k
    # nothing lost: the file continues to exactly the uninterrupted run
    q = sweep(str(cfg), "--output", str(out), *OPTS, "--resume", "--quiet")
    assert q.returncode == 0, q.stderr
    assert_same_file(out, ref)
    with h5py.File(out, "r") as f:  # the history: the failed run, then the one that completed the file
        runs = f.attrs["runs"].split("\n")
        assert len(runs) == 2 and runs[0].startswith("failed: cannot write") and runs[1].startswith("complete after "), runs


# A constant-current sweep with an output every second: its file grows chunk by chunk
# (the per-output series), where the protocol sweep's grows mostly at its first chunk
# (per-step and per-cycle datasets), so a size limit at half the file falls part way.
CC_CONFIG = {
    "parameters": "Chen2020",
    "mesh": {"x_n": 8, "x_s": 6, "x_p": 8, "r_n": 8, "r_p": 8},
    "period": 1,
    "vary": {"C-rate": {"linspace": [0.5, 3.0, 200]}},
}
CC_OPTS = ["--threads", "1", "--memory-budget", "4000000"]


def test_a_real_write_failure_file_size_limit_keeps_the_written_cells_and_resumes(tmp_path):
    # `ulimit -f`: the kernel refuses to grow the file past the limit (EFBIG, with
    # SIGXFSZ ignored, as a full disk's ENOSPC fails the write); the limit is half the
    # size of the complete file, so the run fails part way.
    cfg = tmp_path / "cc.json"
    cfg.write_text(json.dumps(CC_CONFIG))
    ref, out = tmp_path / "ref.h5", tmp_path / "full.h5"
    p = sweep(str(cfg), "--output", str(ref), *CC_OPTS, "--quiet")
    assert p.returncode == 0, p.stderr
    limit = os.path.getsize(ref) // 2

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    p = subprocess.run([CLI, "sweep", str(cfg), "--output", str(out), *CC_OPTS, "--quiet"], capture_output=True,
                       text=True, preexec_fn=limit_file_size)
    assert p.returncode == 1, p.stderr  # an error, not a crash
    lines = error_lines(p.stderr)
    assert len(lines) == 1 and "File too large" in lines[0] and f"'{out}'" in lines[0], p.stderr
    m = re.search(r"; (\d+) of 200 cells are safe in it", lines[0])
    assert m, lines[0]
    k = int(m.group(1))
    assert 0 < k < 200, lines[0]
    # the cells said to be safe read back (as a SWMR reader: the writer could not
    # close the file), equal to the uninterrupted run's
    with h5py.File(out, "r", swmr=True) as f, h5py.File(ref, "r") as r:
        done = np.flatnonzero(f["cells/status"][:] != -1)
        assert len(done) == k
        assert_cells_equal(f, r, done)
    # with the limit gone, --resume completes the file to exactly the uninterrupted run
    q = sweep(str(cfg), "--output", str(out), *CC_OPTS, "--resume", "--quiet")
    assert q.returncode == 0, q.stderr
    assert_same_file(out, ref)


def test_a_file_removed_while_written_ends_the_run_with_one_error(setup):
    # Removing the file does not make the writes fail (they go on into the removed
    # file, which nobody can open): the writer notices it at the next chunk and stops.
    d, cfg, ref = setup
    out = d / "removed.h5"
    p = subprocess.Popen([CLI, "sweep", str(cfg), "--output", str(out), *OPTS, "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    removed = wait_mid_run(p, out) > 0
    if removed:
        out.unlink()
    _, err = p.communicate(timeout=300)
    assert removed, "the sweep finished before the file could be removed part way"
    assert p.returncode == 1, err
    lines = error_lines(err)
    assert len(lines) == 1, err
    assert f"HDF5 file '{out}' was removed or replaced while the sweep was writing it" in lines[0]
    assert f"0 of {N} cells are safe in it" in lines[0]
    assert not out.exists()


def test_sweep_run_raises_one_error_on_a_write_failure_and_keeps_the_written_cells(tmp_path, monkeypatch):
    # Python's Sweep.run(output=...) writes through the same writer: the same error,
    # as a RuntimeError, and the cells written before read back with ionflux.load.
    import ionflux

    monkeypatch.setenv("IONFLUX_FAULT_H5_WRITE", "2")  # read when the file is created
    out = tmp_path / "py.h5"
    s = ionflux.Sweep("Chen2020", vary={"C-rate": {"linspace": [0.5, 3.0, 60]}}, mesh=CONFIG["mesh"], period=60)
    with pytest.raises(RuntimeError, match=r"; (\d+) of 60 cells are safe in it") as e:
        s.run(output=str(out), threads=1, memory_budget=400000, progress=False)
    k = int(re.search(r"; (\d+) of 60 cells are safe in it", str(e.value)).group(1))
    assert 0 < k < 60 and f"'{out}'" in str(e.value)
    with pytest.warns(ionflux.SolverWarning, match="not_run"):
        res = ionflux.load(out)
    assert (res.status != -1).sum() == k
