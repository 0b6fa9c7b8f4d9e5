"""What the sweep-file tests share (test_resume.py, test_watch_and_faults.py): the CLI
under test, a 300-cell sweep config that runs a few seconds on one thread, and small
readers of the HDF5 files it writes."""

import os
import subprocess

CLI = os.environ.get("IONFLUX_CLI")
HAVE_CLI = bool(CLI) and os.path.exists(CLI)

# 300 cells of a short discharge-rest-charge protocol on a coarse mesh: a few seconds on
# one thread.
CONFIG = {
    "parameters": "Chen2020",
    "mesh": {"x_n": 8, "x_s": 6, "x_p": 8, "r_n": 8, "r_p": 8},
    "period": 60,
    "experiment": [["Discharge at {C-rate}C until 3.0 V", "Rest for 10 minutes", "Charge at 1C until 4.1 V"]],
    "vary": {"Negative electrode thickness [m]": {"linspace": [6.0e-5, 1.0e-4, 10]},
             "C-rate": {"linspace": [0.5, 3.0, 30]}},
    "combine": "grid",
}
N_CELLS = 300


def sweep(*args, env=None, **kw):
    """`ionflux sweep ARGS`, its output captured."""
    return subprocess.run([CLI, "sweep", *args], capture_output=True, text=True, env=env, **kw)


def datasets(f):
    """Every dataset of an open h5py file, by path."""
    import h5py

    out = {}
    f.visititems(lambda name, obj: out.__setitem__(name, obj) if isinstance(obj, h5py.Dataset) else None)
    return out
