"""Shared fixtures of the Python package tests."""
import os
import pathlib
import shutil

import matplotlib

matplotlib.use("Agg")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]

#: A coarse mesh: fast, for tests where exact numbers do not matter.
COARSE = {"x_n": 8, "x_s": 6, "x_p": 8, "r_n": 6, "r_p": 6}


@pytest.fixture
def coarse():
    return dict(COARSE)


def find_cli():
    """The built ``ionflux`` program: $IONFLUX_CLI, else build/ionflux; None if absent."""
    env = os.environ.get("IONFLUX_CLI")
    if env:
        return env if os.path.isfile(env) and os.access(env, os.X_OK) else None
    path = REPO / "build" / "ionflux"
    if path.is_file() and os.access(path, os.X_OK):
        return str(path)
    return shutil.which("ionflux")


@pytest.fixture
def cli():
    path = find_cli()
    if path is None:
        pytest.skip("the ionflux program is not built (set IONFLUX_CLI or build build/ionflux)")
    return path


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def read_groups(path, groups=("cells", "inputs", "summary")):
    """Every dataset under `groups` as numpy arrays (strings decoded), keyed by path."""
    out = {}
    with h5py.File(path, "r") as f:
        for g in groups:
            for name, ds in f[g].items():
                data = ds[...]
                if data.dtype.kind == "O":
                    data = np.array([v.decode() if isinstance(v, bytes) else v for v in data], dtype=object)
                out[f"{g}/{name}"] = data
    return out


def assert_same_files(a, b):
    """Every dataset in /cells, /inputs, /summary equal (NaN-aware, bit for bit)."""
    da, db = read_groups(a), read_groups(b)
    assert sorted(da) == sorted(db)
    for key in da:
        x, y = da[key], db[key]
        assert x.shape == y.shape, key
        assert x.dtype == y.dtype, key
        if x.dtype.kind == "f":
            np.testing.assert_array_equal(x, y, err_msg=key)  # NaN == NaN here
        else:
            assert (x == y).all(), key


def ctrl_c_python(code, after):
    """Runs `code` in a child Python that imports this ionflux (Python's own Ctrl-C
    handler installed, also where SIGINT comes in ignored from a shell's background job),
    waits for its first output line, "start", then `after` seconds, and sends SIGINT.
    Returns (stdout after "start", stderr, seconds from the signal to the child's end)."""
    import signal
    import subprocess
    import sys
    import time

    import ionflux

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(os.path.dirname(ionflux.__file__))]
                                        + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    code = "import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n" + code
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env)
    assert p.stdout.readline().strip() == "start"
    time.sleep(after)
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    return out, err, time.monotonic() - t0


def interrupt_sweep_run(sweep, path, monkeypatch, **run_options):
    """Runs `sweep` into the file `path` and interrupts it (KeyboardInterrupt, as Ctrl-C)
    at the first progress poll after some cell finished: the file of an interrupted run
    (status "interrupted..."). Returns how many cells the file holds."""
    from ionflux import sweep as isweep

    def hook(runner):
        if runner.progress()[0] > 0:
            raise KeyboardInterrupt

    monkeypatch.setattr(isweep, "_poll_hook", hook)
    with pytest.raises(KeyboardInterrupt):
        sweep.run(output=path, progress=False, **run_options)
    monkeypatch.setattr(isweep, "_poll_hook", None)
    with h5py.File(path, "r") as f:
        assert f.attrs["status"].startswith("interrupted")
        return int((f["cells/status"][:] != -1).sum())
