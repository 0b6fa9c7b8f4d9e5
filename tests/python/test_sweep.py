"""ionflux.Sweep: config building, validation, running, interruption, and the CLI."""
import gc
import json
import os
import subprocess
import threading
import time

import h5py
import numpy as np
import pytest
from conftest import COARSE, assert_same_files

import ionflux
import ionflux.sweep as sweep_module
from ionflux import ParameterSet, Sweep, SweepResult, _core

VARY = {"C-rate": [0.5, 1, 2], "Negative particle radius [m]": {"linspace": [3e-6, 8e-6, 4]}}


# -- the config ----------------------------------------------------------------------------
def test_config_matches_the_json_format():
    ps = ParameterSet()
    ps["Separator porosity"] = 0.4
    ps["Electrolyte diffusivity [m2.s-1]"] = 3e-10
    s = Sweep(ps, vary={"C-rate": np.array([0.5, 1.0]), "Initial SOC": (1, 0.9),
                        "Negative particle radius [m]": {"linspace": [3e-6, 8e-6, np.int64(3)]}},
              mesh=COARSE, solver={"rtol": 1e-7}, period=30, t_end=9000, current=4, initial_soc=0.9)
    cfg = s.config()
    assert cfg == {
        "parameters": "Chen2020",
        "set": {"Separator porosity": 0.4, "Electrolyte diffusivity [m2.s-1]": 3e-10},
        "mesh": COARSE,
        "solver": {"rtol": 1e-7},
        "period": 30,
        "t_end": 9000,
        "current": 4,
        "initial_soc": 0.9,
        "vary": {"C-rate": [0.5, 1.0], "Initial SOC": [1, 0.9],
                 "Negative particle radius [m]": {"linspace": [3e-6, 8e-6, 3]}},
    }
    assert json.loads(s.to_json()) == cfg
    assert s.n_cells == 12
    assert s.varied == ["C-rate", "Initial SOC", "Negative particle radius [m]"]
    assert s.bytes_per_cell > 0
    assert "12 cells" in repr(s)


def test_config_sampling_keys_and_defaults():
    s = Sweep("Marquis2019", vary={"Separator porosity": {"uniform": [0.3, 0.6]}}, samples=5,
              sampling="latin_hypercube", seed=np.uint64(7), combine="zip")
    assert s.config() == {"parameters": "Marquis2019", "vary": {"Separator porosity": {"uniform": [0.3, 0.6]}},
                          "combine": "zip", "samples": 5, "sampling": "latin_hypercube", "seed": 7}
    assert s.n_cells == 5
    one = Sweep()
    assert one.config() == {"parameters": "Chen2020"} and one.n_cells == 1 and one.varied == []


def test_vary_accepts_array_likes():
    import pandas as pd
    import xarray as xr

    s = Sweep(vary={"C-rate": pd.Series([1, 2]), "Initial SOC": xr.DataArray([0.9, 1.0]),
                    "Negative particle radius [m]": {"linspace": np.array([3e-6, 5e-6, 3])}})
    assert s.config()["vary"] == {"C-rate": [1, 2], "Initial SOC": [0.9, 1.0],
                                  "Negative particle radius [m]": {"linspace": [3e-6, 5e-6, 3]}}
    assert s.n_cells == 12
    with pytest.raises(ValueError, match="must be a list of numbers or an object"):
        Sweep(vary={"C-rate": 1.0})


def test_config_is_a_copy_and_parameters_are_copied():
    ps = ParameterSet()
    s = Sweep(ps, vary={"C-rate": [1]})
    ps["Separator porosity"] = 0.4
    assert "set" not in s.config()
    cfg = s.config()
    cfg["vary"]["C-rate"].append(2)
    assert s.config()["vary"]["C-rate"] == [1]
    assert s.parameters == ParameterSet()


def test_to_json_file_is_read_by_the_cli(tmp_path, cli):
    s = Sweep(vary={"C-rate": [1, 2]}, mesh=COARSE)
    path = tmp_path / "cfg.json"
    text = s.to_json(path)
    assert json.loads(path.read_text()) == json.loads(text) == s.config()


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(vary={"Negative particle radius": [1e-6]}), KeyError, "did you mean 'Negative particle radius \\[m\\]'"),
    (dict(vary={"C-rat": [1]}), KeyError, "did you mean 'C-rate'"),
    (dict(vary={"Separator porosity": [0.5, 1.5]}), ValueError, "porosity"),
    (dict(vary={"C-rate": []}), ValueError, "empty list"),
    (dict(vary={"C-rate": {"linspace": [1, 2]}}), ValueError, "linspace"),
    (dict(vary={"C-rate": {"lnspace": [1, 2, 3]}}), ValueError, "linspace"),
    (dict(vary={"Separator porosity": {"uniform": [0.3, 0.6]}}), ValueError, "samples"),
    (dict(vary={"C-rate": [1, 2]}, samples=3), ValueError, "samples"),
    (dict(vary={"C-rate": [1, 2], "Initial SOC": [1, 0.9, 0.8]}, combine="zip"), ValueError, "length"),
    (dict(combine="product"), ValueError, "combine"),
    (dict(c_rate=1, current=5), ValueError, "not both"),
    (dict(c_rate=0), ValueError, "non-zero"),
    (dict(mesh={"x_n": 1}), ValueError, "mesh.x_n"),
    (dict(mesh={"xn": 8}), ValueError, "x_n"),
    (dict(solver={"rtol": 5}), ValueError, "rtol"),
    (dict(period=-1), ValueError, "period"),
    (dict(initial_soc=2), ValueError, "initial_soc"),
    (dict(parameters="Chen"), ValueError, "Chen2020"),
])
def test_bad_config_raises_at_construction(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Sweep(**kwargs)


def test_bad_types():
    with pytest.raises(TypeError, match="vary must be a dict"):
        Sweep(vary=[("C-rate", [1])])
    with pytest.raises(TypeError, match="cannot use a object"):
        Sweep(vary={"C-rate": [object()]})
    with pytest.raises(ValueError):
        Sweep(vary={"C-rate": [float("nan")]})
    with pytest.raises(TypeError):
        Sweep(parameters=1)


def test_unknown_parameter_is_a_key_error_with_clean_message():
    with pytest.raises(ionflux.UnknownParameterError) as e:
        Sweep(vary={"Separator porosty": [0.4]})
    assert not str(e.value).startswith("'")
    assert "unknown parameter 'Separator porosty'" in str(e.value)


# -- running ---------------------------------------------------------------------------------
def test_run_without_output_keeps_the_results_in_memory(tmp_path, monkeypatch):
    # issue 12: no output -> the memory sink; no file is written (before: a temporary .h5)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    res = Sweep(vary=VARY, mesh=COARSE).run(device="cpu", progress=False)
    assert isinstance(res, SweepResult)
    assert res.path is None and "in memory" in repr(res)
    assert os.listdir(tmp_path) == []
    assert res.complete and res.n_cells == 12
    assert res.run_info["device"] == "cpu" and res.run_info["cancelled"] is False
    assert res.run_info["status_counts"] == "cutoff_lower 12"
    # the GPU's streaming counters (docs/gpu.md): nothing streamed on the CPU
    assert res.run_info["device_slots"] == 0 and res.run_info["slot_refills"] == 0
    assert res.run_info["handed_to_cpu"] == 0 and res.run_info["taken_by_cpu"] == 0
    assert "memory" not in res.run_info


def test_run_to_a_file(tmp_path):
    out = tmp_path / "s.h5"
    res = Sweep(vary=VARY, mesh=COARSE).run(device="cpu", output=out, threads=1, progress=False)
    assert res.path == str(out)
    assert res.run_info["device_description"] == "CPU, 1 thread"
    del res
    gc.collect()
    assert out.exists()  # user files are kept
    assert ionflux.load(out).complete


def test_run_twice_and_memory_budget_chunks(tmp_path):
    s = Sweep(vary=VARY, mesh=COARSE, period=100, t_end=14400)
    a = s.run(device="cpu", output=tmp_path / "a.h5", progress=False)
    # on the CPU a chunk holds budget // (48 bytes x grid rows + 64) cells (solver/backends/batch.cpp
    # run_batch), grid rows = 14400 / 100 + 1 grid points + the end point: 12 cells in chunks of 5
    rows = 14400 // 100 + 2
    b = s.run(device="cpu", output=tmp_path / "b.h5", memory_budget=(48 * rows + 64) * 5, progress=False)
    assert a.run_info["chunks"] == 1 and b.run_info["chunks"] == 3
    assert_same_files(a.path, b.path)


def test_progress_bar(tmp_path, capsys):
    Sweep(vary=VARY, mesh=COARSE).run(device="cpu", output=tmp_path / "p.h5", progress=True)
    err = capsys.readouterr().err
    assert "ionflux sweep" in err and "12/12" in err
    Sweep(vary=VARY, mesh=COARSE).run(device="cpu", output=tmp_path / "q.h5", progress=False)
    assert "ionflux sweep" not in capsys.readouterr().err


def test_unknown_device():
    with pytest.raises(ValueError, match="unknown device 'gpu'; expected auto, cpu or cuda"):
        Sweep(mesh=COARSE).run(device="gpu", progress=False)


def test_cuda_device_when_unusable():
    if ionflux.cuda_available():
        pytest.skip("a GPU is usable here")
    with pytest.raises(ValueError, match="device 'cuda' requested but not usable"):
        Sweep(mesh=COARSE).run(device="cuda", progress=False)


def test_auto_device_runs():
    res = Sweep(mesh=COARSE).run(progress=False)
    expected = "cuda" if ionflux.cuda_available() else "cpu"
    assert res.run_info["device"] == expected and res.complete


def test_unwritable_output(tmp_path):
    with pytest.raises(ValueError, match="cannot create HDF5 file .*No such file or directory"):
        Sweep(mesh=COARSE).run(device="cpu", output=tmp_path / "missing_dir" / "x.h5", progress=False)
    with pytest.raises(ValueError, match="cannot create HDF5 file .*Is a directory"):
        Sweep(mesh=COARSE).run(device="cpu", output=tmp_path, progress=False)
    # a name that says another format: refused before it is written (an HDF5 file named .csv)
    with pytest.raises(ValueError, match=r"is an HDF5 file, not csv: give it the extension \.h5"):
        Sweep(mesh=COARSE).run(device="cpu", output=tmp_path / "results.csv", progress=False)
    assert not (tmp_path / "results.csv").exists()


def test_output_that_is_an_input_file_is_refused(tmp_path):
    # a placeholder in a drive-cycle file's name gives each cell its own file: an output
    # naming any cell's file (here the second's, no extension) or the parameter file is
    # refused before anything is written, and the file is left as it was
    tables = {1: "0,1\n10,2\n20,1\n", 2: "0,2\n10,3\n20,2\n"}
    for k, text in tables.items():
        (tmp_path / f"drive_{k}").write_text(text)
    sweep = Sweep(mesh=COARSE, experiment=[f"Discharge with current from {tmp_path}/drive_{{Id}} for 30 s"],
                  vary={"Id": [1, 2]})
    for k in tables:
        with pytest.raises(ValueError, match=rf"output '.*drive_{k}' is the drive-cycle file .*would destroy it"):
            sweep.run(device="cpu", output=tmp_path / f"drive_{k}", progress=False)
        assert (tmp_path / f"drive_{k}").read_text() == tables[k]
    params = tmp_path / "set.json"
    ParameterSet("Chen2020").to_json(params)
    text = params.read_text()
    with pytest.raises(ValueError, match=r"is the parameter file .*would destroy it"):
        Sweep(str(params), mesh=COARSE, vary={"C-rate": [1, 2]}).run(device="cpu", output=params, progress=False)
    assert params.read_text() == text
    res = sweep.run(device="cpu", output=tmp_path / "out.h5", progress=False)
    assert res.complete


def test_ctrl_c_stops_the_planning_of_a_large_sweep():
    # 10^6 cells take about 10 s to plan (each cell's record built and checked): Ctrl-C must
    # stop that within a moment, as a KeyboardInterrupt (the plan polls for signals)
    from conftest import ctrl_c_python
    code = ("import ionflux\n"
            "print('start', flush=True)\n"
            "ionflux.Sweep('Chen2020', vary={'C-rate': {'linspace': [1, 2, 20000]},"
            " 'Initial SOC': {'linspace': [0.5, 1, 50]}})\n"
            "print('planned', flush=True)\n")
    out, err, waited = ctrl_c_python(code, 1.0)
    assert "planned" not in out, "the plan finished before the signal: the test tested nothing"
    assert "KeyboardInterrupt" in err, err
    assert waited < 5.0, f"Ctrl-C took {waited:.1f} s to stop the plan"


@pytest.mark.parametrize("kwargs, match", [
    (dict(threads=0), "threads"), (dict(threads=1.5), "threads"), (dict(memory_budget=-1), "memory_budget"),
])
def test_bad_run_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Sweep(mesh=COARSE).run(device="cpu", progress=False, **kwargs)
    with pytest.raises(TypeError):
        Sweep(mesh=COARSE).run(device=None, progress=False)


def test_exceptions_from_the_thread_keep_type_and_message(monkeypatch):
    class Boom(RuntimeError):
        pass

    class FakeRunner:
        n_cells = 3

        def run(self, *args, **kwargs):
            raise Boom("solver exploded: details")

        def progress(self):
            return (0, 3, 0.0)

        def cancel(self):
            pass

    with pytest.raises(Boom, match="solver exploded: details"):
        sweep_module._drive(FakeRunner(), "unused.h5", "cpu", 0, 0, progress=True)


def test_bad_cells_do_not_stop_the_sweep(tmp_path):
    res = Sweep(vary={"Negative electrode active material volume fraction": [0.7, 0.9, 0.74]},
                mesh=COARSE).run(device="cpu", output=tmp_path / "bad.h5", progress=False)
    assert list(res.status_names) == ["cutoff_lower", "invalid_input", "cutoff_lower"]
    assert "must not exceed 1" in res.messages[1]
    assert np.all(np.isnan(res["Voltage [V]"][1]))
    assert res.summary["End reason"].tolist() == ["cutoff_lower", "invalid_input", "cutoff_lower"]


# -- agreement with the command-line program ----------------------------------------------
@pytest.mark.parametrize("kwargs", [
    dict(vary={"C-rate": [0.5, 1, 2], "Negative particle radius [m]": {"linspace": [3e-6, 8e-6, 3]},
               "Separator porosity": {"uniform": [0.3, 0.6]},
               "Positive particle diffusivity [m2.s-1]": {"loguniform": [1e-15, 1e-13]}},
         samples=3, seed=11, period=60),
    dict(vary={"Current [A]": [1, 2.5, 5], "Initial SOC": {"linspace": [1, 0.8, 3]},
               "Negative electrode thickness [m]": {"uniform": [6e-5, 9e-5]}},
         combine="zip", samples=3, sampling="latin_hypercube", seed=3, solver={"rtol": 1e-7, "atol": 1e-9}),
    dict(vary={"Negative electrode active material volume fraction": [0.7, 0.9]}, t_end=1800, c_rate=1.5),
])
def test_sweep_file_equals_cli(cli, tmp_path, kwargs):
    ps = ParameterSet()
    ps["Electrolyte conductivity [S.m-1]"] = 1.0
    s = Sweep(ps, mesh=COARSE, **kwargs)
    cfg = tmp_path / "cfg.json"
    s.to_json(cfg)
    a = s.run(device="cpu", output=tmp_path / "a.h5", progress=False)
    r = subprocess.run([cli, "sweep", str(cfg), "--output", str(tmp_path / "b.h5"), "--device", "cpu", "--quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert_same_files(a.path, tmp_path / "b.h5")
    # and load() of the CLI's file reads the same results
    b = ionflux.load(tmp_path / "b.h5")
    assert b.varied == a.varied if not any("uniform" in str(v) for v in kwargs["vary"].values()) \
        else sorted(b.varied) == sorted(a.varied)
    for name in ["Time [s]", "Voltage [V]", "Current [A]", "Discharge capacity [A.h]"]:
        np.testing.assert_array_equal(a[name], b[name])
    for name in a.inputs:
        np.testing.assert_array_equal(a.inputs[name], b.inputs[name])
    np.testing.assert_array_equal(a.status, b.status)
    assert list(a.messages) == list(b.messages)
    assert a.summary[sorted(a.summary.columns)].equals(b.summary[sorted(b.summary.columns)])
    assert b.complete and b.attrs["config"] == str(cfg)


# -- interruption ----------------------------------------------------------------------------
def _check_interrupted_file(path, n_cells, chunk):
    with h5py.File(path, "r") as f:  # a valid, closed file
        assert f.attrs["status"].startswith("interrupted")
    res = ionflux.load(path)
    assert not res.complete
    assert res.n_cells == n_cells
    status = res.status
    ran = status != -1
    assert 0 < ran.sum() < n_cells
    assert np.all(ran[:chunk])  # the first chunk was finished before the cancel
    last_ran = np.flatnonzero(ran).max()
    assert not ran[(last_ran // chunk + 1) * chunk:].any()  # nothing after the chunk in flight
    v, t = res["Voltage [V]"], res["Time [s]"]
    assert np.all(np.isnan(v[~ran])) and np.all(np.isnan(t[~ran]))
    assert np.all(t[ran, 0] == 0.0) and np.all(np.isfinite(v[ran, 0]))
    summary = res.summary
    assert np.all(np.isnan(summary["End time [s]"].to_numpy()[~ran]))
    assert set(summary["End reason"][~ran]) == {"not_run"}
    assert set(res.status_names[~ran]) == {"not_run"}
    assert np.all(np.isfinite(summary["End time [s]"].to_numpy()[ran]))
    return res


BIG = dict(vary={"C-rate": {"linspace": [0.5, 2, 40]}, "Negative particle radius [m]": {"linspace": [3e-6, 8e-6, 50]}},
           period=60, t_end=7200)


def test_keyboard_interrupt_cancels_and_keeps_finished_chunks(tmp_path, monkeypatch, capsys):
    s = Sweep(**BIG)  # 2000 cells at the default mesh: many seconds if not interrupted
    n_times = 7200 // 60 + 2
    chunk = 40
    start = time.monotonic()

    def ctrl_c(runner):  # what Ctrl-C in the calling thread does, once two chunks are done
        done = runner.progress()[0]
        if done >= 2 * chunk or time.monotonic() - start > 5:
            raise KeyboardInterrupt

    monkeypatch.setattr(sweep_module, "_poll_hook", ctrl_c)
    out = tmp_path / "int.h5"
    with pytest.raises(KeyboardInterrupt):
        s.run(device="cpu", output=out, memory_budget=(32 * n_times + 64) * chunk, progress=True)
    elapsed = time.monotonic() - start
    assert elapsed < 20
    assert "sweep interrupted" in capsys.readouterr().err
    _check_interrupted_file(out, s.n_cells, chunk)


def test_runner_cancel_from_another_thread(tmp_path):
    cfg = json.dumps({"vary": BIG["vary"], "period": 60, "t_end": 7200})
    runner = _core.SweepRunner(cfg)
    n_times = 7200 // 60 + 2
    chunk = 50
    out = str(tmp_path / "cancel.h5")
    info = {}
    th = threading.Thread(target=lambda: info.update(runner.run(out, "cpu", 0, (32 * n_times + 64) * chunk)))
    th.start()
    deadline = time.monotonic() + 10
    while runner.progress()[0] < 2 * chunk and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    runner.cancel()
    th.join(timeout=30)
    assert not th.is_alive()
    assert info["cancelled"] is True and info["not_run"] > 0
    res = _check_interrupted_file(out, runner.n_cells, chunk)
    assert (res.status == -1).sum() == info["not_run"]


CHILD = r"""
import signal
import sys
import ionflux

# Ctrl-C as in a terminal: a Python started with SIGINT ignored (a test runner launched in
# the background, e.g. `cmd &` in a script) inherits the ignore and installs no handler.
signal.signal(signal.SIGINT, signal.default_int_handler)
import ionflux.sweep as sm

s = ionflux.Sweep(vary={"C-rate": {"linspace": [0.5, 2, 100]},
                        "Negative particle radius [m]": {"linspace": [3e-6, 8e-6, 100]}}, period=60, t_end=7200)
said = []

def hook(runner):
    if not said and runner.progress()[0] >= 40:
        said.append(1)
        print("running", flush=True)

sm._poll_hook = hook
try:
    s.run(device="cpu", output=sys.argv[1], memory_budget=(32 * 122 + 64) * 40, progress=False)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(3)
print("finished", flush=True)
"""


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")
def test_real_ctrl_c_in_a_child_process(tmp_path):
    import signal
    import sys

    out = tmp_path / "sigint.h5"
    p = subprocess.Popen([sys.executable, "-c", CHILD, str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        assert p.stdout.readline().strip() == "running"
        p.send_signal(signal.SIGINT)
        stdout, stderr = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 3, stderr  # cleanly interrupted: no abort at exit
    assert stdout.strip() == "interrupted"
    assert "sweep interrupted" in stderr
    res = ionflux.load(out)
    assert not res.complete and res.attrs["status"].startswith("interrupted")
    assert 40 <= (res.status != -1).sum() < res.n_cells


@pytest.mark.skipif(not ionflux.cuda_available(), reason="no usable GPU")
def test_cuda_agrees_with_cpu(tmp_path):
    s = Sweep(vary=VARY, mesh=COARSE, period=60)
    cpu = s.run(device="cpu", output=tmp_path / "cpu.h5", progress=False)
    gpu = s.run(device="cuda", output=tmp_path / "gpu.h5", progress=False)
    assert gpu.run_info["device"] == "cuda" and gpu.complete
    np.testing.assert_array_equal(cpu.status, gpu.status)
    np.testing.assert_allclose(gpu.summary["Discharge capacity [A.h]"], cpu.summary["Discharge capacity [A.h]"],
                               rtol=1e-6)
    np.testing.assert_allclose(gpu["Voltage [V]"], cpu["Voltage [V]"], rtol=1e-6, atol=1e-6)


def test_initial_soc_as_a_voltage(cli, tmp_path):
    """PyBaMM's initial_soc="3.9 V" in a sweep (it had been refused: "must be a number"):
    the SOC of that open-circuit voltage, the same as Simulation's; where a parameter
    varies, each cell's own, from its parameters, as a Simulation of that cell finds it."""
    mesh = {"x_n": 5, "x_s": 5, "x_p": 5, "r_n": 5, "r_p": 5}
    res = Sweep("Chen2020", initial_soc="3.9 V", mesh=mesh, vary={"C-rate": [0.5, 1.0]}).run(progress=False)
    sim = ionflux.Simulation("Chen2020", initial_soc="3.9 V", mesh=mesh, c_rate=0.5).solve()
    assert res[0].initial_soc == sim.initial_soc == pytest.approx(0.6584056, abs=1e-7)
    np.testing.assert_array_equal(res.cell(0)["Voltage [V]"], sim["Voltage [V]"])
    thick = Sweep("Chen2020", initial_soc="3.9 V", mesh=mesh, c_rate=0.5,
                  vary={"Negative electrode thickness [m]": [6e-5, 1e-4]}).run(progress=False)
    for i, value in enumerate([6e-5, 1e-4]):
        ps = ionflux.ParameterSet("Chen2020")
        ps["Negative electrode thickness [m]"] = value
        own = ionflux.Simulation(ps, initial_soc="3.9 V", mesh=mesh, c_rate=0.5).solve()
        assert thick[i].initial_soc == own.initial_soc
        np.testing.assert_array_equal(thick.cell(i)["Voltage [V]"], own["Voltage [V]"])
    assert abs(thick[0].initial_soc - thick[1].initial_soc) > 0.01  # the thickness moves the SOC of 3.9 V
    with pytest.raises(ValueError, match=r"initial_soc \"3.9 V\" and a varied 'Initial SOC' both set the initial state"):
        Sweep("Chen2020", initial_soc="3.9 V", mesh=mesh, vary={"Initial SOC": [0.4, 0.5]})
    with pytest.raises(ValueError, match=r"outside the set's open-circuit voltages at 0% and 100% SOC, \[2.5, 4.2\] V"):
        Sweep("Chen2020", initial_soc="4.5 V", mesh=mesh)
    with pytest.raises(ValueError, match="initial_soc must be a number in \\[0, 1\\] or a voltage such as \"3.9 V\""):
        Sweep("Chen2020", initial_soc="3.9 W", mesh=mesh)
    # the CLI reads the same config key
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"initial_soc": "3.9 V", "mesh": mesh, "c_rate": 0.5}))
    run = subprocess.run([cli, "sweep", str(config), "--output", str(tmp_path / "c.h5"), "--quiet"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    np.testing.assert_array_equal(ionflux.load(tmp_path / "c.h5").cell(0)["Voltage [V]"], sim["Voltage [V]"])
    # ... and each cell's SOC is kept with the results (cells/initial_soc), in memory and in
    # the CLI's file, NaN for a cell whose window does not hold the voltage (its own
    # 100% SOC voltage 3.8 V, below 3.9 V: invalid_input)
    vary = {"Negative electrode thickness [m]": [6e-5, 1e-4, 8e-5],
            "Open-circuit voltage at 100% SOC [V]": [4.2, 4.2, 3.8]}
    config.write_text(json.dumps({"initial_soc": "3.9 V", "mesh": mesh, "c_rate": 0.5, "combine": "zip",
                                  "vary": vary}))
    run = subprocess.run([cli, "sweep", str(config), "--output", str(tmp_path / "v.h5"), "--quiet"],
                         capture_output=True, text=True)
    assert run.returncode == 0 and "invalid_input 1" in run.stderr, run.stderr  # one failed cell, warned
    with pytest.warns(ionflux.SolverWarning, match="invalid_input 1"):
        in_memory = Sweep("Chen2020", initial_soc="3.9 V", mesh=mesh, c_rate=0.5, combine="zip",
                          vary=vary).run(progress=False)
        from_file = ionflux.load(tmp_path / "v.h5")
    with h5py.File(tmp_path / "v.h5", "r") as f:
        kept = f["cells/initial_soc"][...]
    np.testing.assert_array_equal(kept[:2], [thick[0].initial_soc, thick[1].initial_soc])
    assert np.isnan(kept[2])
    for res_v in (from_file, in_memory):
        assert [res_v[i].initial_soc for i in range(3)] == [thick[0].initial_soc, thick[1].initial_soc, None]
        assert res_v.status_names[2] == "invalid_input"
        np.testing.assert_array_equal(res_v.cell(1)["Voltage [V]"], thick.cell(1)["Voltage [V]"])
    # where no parameter varies, the one SOC is the settings' initial_soc, and there is no
    # such dataset
    with h5py.File(tmp_path / "c.h5", "r") as f:
        assert "cells/initial_soc" not in f
        assert json.loads(f.attrs["settings"])["initial_soc"] == sim.initial_soc
    assert ionflux.load(tmp_path / "c.h5")[0].initial_soc == sim.initial_soc
