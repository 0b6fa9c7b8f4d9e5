"""A Python sweep is the same sweep as `ionflux sweep` on its config (issue 12, one road).

`Sweep` builds its batch from the ParameterSet object and the per-cell arrays (no JSON
text, no parameter file); `Sweep.to_json()` writes the config the CLI reads. Both must
give the same file: every dataset bitwise, and the same root attributes (bar the
creation time, the source and the run's own counters), so that the validation, default
end times and per-cell protocols are the same code for both.
"""
import numpy as np
import pytest

import ionflux
from sweep_file_cases import HAVE_CLI, datasets, sweep as cli_sweep

h5py = pytest.importorskip("h5py")
pytestmark = pytest.mark.skipif(not HAVE_CLI, reason="the ionflux program is not built (IONFLUX_CLI)")

COARSE = {"x_n": 6, "x_s": 5, "x_p": 6, "r_n": 6, "r_p": 6}

# attributes of a run, not of the sweep: when and where it ran, and the source's name
RUN_ATTRIBUTES = {"created", "config", "wall time [s]", "device"}


def ocp_n(sto):
    """Chen2020's graphite OCP in numpy (a Python function: sampled into a table)."""
    return (1.9793 * np.exp(-39.3631 * sto) + 0.2482 - 0.0909 * np.tanh(29.8538 * (sto - 0.1234))
            - 0.04478 * np.tanh(14.9159 * (sto - 0.2769)) - 0.0205 * np.tanh(30.4444 * (sto - 0.6103)))


def number_changed():
    ps = ionflux.ParameterSet("Chen2020")
    ps["Separator porosity"] = 0.45
    return ionflux.Sweep(ps, vary={"Negative electrode thickness [m]": np.linspace(6e-5, 9e-5, 3),
                                   "C-rate": [0.5, 2.0]}, mesh=COARSE, period=120)


def user_functions():
    ps = ionflux.ParameterSet("Chen2020")
    with pytest.warns(ionflux.TabulationWarning):
        ps["Negative electrode OCP [V]"] = ocp_n
    ps["Positive particle diffusivity [m2.s-1]"] = "4e-15 * (1 + 0.2 * sto)"
    return ionflux.Sweep(ps, vary={"Positive particle radius [m]": {"uniform": [3e-6, 7e-6]},
                                   "Initial SOC": {"uniform": [0.7, 1.0]}},
                         samples=5, sampling="latin_hypercube", seed=7, mesh=COARSE, c_rate=1.5)


def protocol_thermal():
    return ionflux.Sweep("Chen2020", thermal="lumped", cycles=2, mesh=COARSE, period=300, experiment=[(
        "Discharge at {C-rate}C until 3.0 V", "Rest for 5 minutes", "Charge at 1C until {Hold voltage [V]} V")],
        vary={"C-rate": np.array([1.0, 2.0]), "Hold voltage [V]": [4.0, 4.1],
              "Nominal cell capacity [A.h]": [5.0, 4.5]}, combine="zip")


@pytest.mark.parametrize("make", [number_changed, user_functions, protocol_thermal])
def test_python_sweep_equals_the_cli_on_its_config(tmp_path, make):
    sweep = make()
    a, b, config = tmp_path / "python.h5", tmp_path / "cli.h5", tmp_path / "config.json"
    sweep.run(output=a, device="cpu", threads=1, progress=False)
    sweep.to_json(config)
    done = cli_sweep(str(config), "--output", str(b), "--device", "cpu", "--threads", "1", "--quiet")
    assert done.returncode == 0, done.stderr
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        da, db = datasets(fa), datasets(fb)
        assert sorted(da) == sorted(db)
        for name in da:
            x, y = da[name][()], db[name][()]
            if x.dtype.kind == "f":
                assert np.array_equal(x, y, equal_nan=True), name  # bitwise: the same code ran
            else:
                assert np.array_equal(x, y), name
        attrs_a = {k: v for k, v in fa.attrs.items() if k not in RUN_ATTRIBUTES}
        attrs_b = {k: v for k, v in fb.attrs.items() if k not in RUN_ATTRIBUTES}
        assert attrs_a.keys() == attrs_b.keys()
        for k in attrs_a:
            assert attrs_a[k] == attrs_b[k], k  # the parameters, t_end rule, fingerprint, ...


def test_a_sweep_never_writes_its_set_as_a_file(monkeypatch):
    # The old road wrote the set as a parameter file inside a JSON config (to_json) and
    # the solver parsed it again; the set object now goes to the solver as it is.
    ps = ionflux.ParameterSet("Chen2020")
    ps["Positive particle diffusivity [m2.s-1]"] = "4e-15 * (1 + 0.2 * sto)"  # written inline on the old road

    def no_file(*args, **kwargs):
        raise AssertionError("the set was written as a parameter file")

    monkeypatch.setattr(ionflux.ParameterSet, "to_json", no_file)
    monkeypatch.setattr(ionflux.ParameterSet, "_config_parameters", no_file)
    sweep = ionflux.Sweep(ps, vary={"C-rate": np.array([1.0, 2.0])}, mesh=COARSE)
    res = sweep.run(device="cpu", threads=1, progress=False)
    assert list(res.status_names) == ["cutoff_lower"] * 2


def test_relative_drive_cycles_are_read_from_the_sweeps_folder_on_every_road(tmp_path, monkeypatch):
    # A relative drive-cycle file in a Python Sweep is read from the working directory of
    # the moment the Sweep was made (its config's "base_dir"): by Sweep.run, and by
    # `ionflux sweep` on to_json()'s file written into another folder that holds a file of
    # the same name (it had read that one, a 2 A charge, without a word; a Dask worker in
    # another working directory did the same).
    (tmp_path / "sub").mkdir()
    t = np.arange(0.0, 121.0, 10.0)
    np.savetxt(tmp_path / "dc.csv", np.column_stack([t, 5.0 + 3.0 * np.sin(t / 20.0)]), delimiter=",")
    np.savetxt(tmp_path / "sub" / "dc.csv", np.column_stack([t, np.full_like(t, -2.0)]), delimiter=",")
    monkeypatch.chdir(tmp_path)
    sweep = ionflux.Sweep("Chen2020", experiment=["Discharge with current from dc.csv", "Rest for 1 minute"],
                          vary={"Negative particle radius [m]": [4e-6, 8e-6]}, mesh=COARSE, period=10)
    assert sweep.config()["base_dir"] == str(tmp_path)
    monkeypatch.chdir(tmp_path / "sub")  # a later working directory changes nothing
    mem = sweep.run(device="cpu", threads=1, progress=False)
    sweep.to_json(tmp_path / "sub" / "cfg.json")
    done = cli_sweep(str(tmp_path / "sub" / "cfg.json"), "--output", str(tmp_path / "cli.h5"), "--quiet")
    assert done.returncode == 0, done.stderr
    cli = ionflux.load(tmp_path / "cli.h5")
    for res in (mem, cli):
        assert list(res.status_names) == ["finished"] * 2
        np.testing.assert_allclose(res.cell(0)["Current [A]"][0], 5.0, rtol=1e-12)
    np.testing.assert_array_equal(mem.read("Voltage [V]"), cli.read("Voltage [V]"))
