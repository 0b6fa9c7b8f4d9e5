"""One name for the summary's discharge capacity: "Discharge capacity [A.h]" everywhere
(docs/hdf5_layout.md, "Names"). The old "End discharge capacity [A.h]" of res[name],
res.cell(i) and res.to_xarray() still reads, with a DeprecationWarning naming the new one."""
import warnings

import numpy as np
import pytest
from conftest import COARSE

from ionflux import Sweep

OLD = "End discharge capacity [A.h]"
NEW = "Discharge capacity [A.h]"


@pytest.fixture(scope="module")
def res():
    # two C-rates x two porosities: a grid (to_xarray has one dimension per input)
    return Sweep(vary={"C-rate": [1, 2], "Separator porosity": [0.4, 0.5]}, mesh=COARSE,
                 period=120).run(device="cpu", progress=False)


def test_the_new_name_everywhere_without_warnings(res):
    expected = res.summary[NEW].to_numpy()
    assert np.all(expected > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none of these warns
        cell = res.cell(2)
        assert cell["summary"][NEW] == expected[2]
        assert cell[NEW].shape == cell["Time [s]"].shape  # next to the outputs: the per-time series
        assert res[2].summary[NEW] == expected[2]
        maps = res.to_xarray(outputs=False)
        np.testing.assert_array_equal(maps[NEW].values.ravel(), expected)
        assert OLD not in maps.data_vars and "time index" not in maps.dims
        assert res[NEW].shape == (4, res.n_times)  # the per-time output
        ds = res.to_xarray()
        assert ds[NEW].dims[-1] == "time index"
    assert OLD not in res.variables and NEW in res.variables


def test_the_old_name_reads_with_a_deprecation_warning(res):
    expected = res.summary[NEW].to_numpy()
    with pytest.warns(DeprecationWarning, match=r"'Discharge capacity \[A.h\]' everywhere; read it as res.summary"):
        np.testing.assert_array_equal(res[OLD], expected)
    cell = res.cell(1)
    with pytest.warns(DeprecationWarning, match=r"res.cell\(i\)\[\"summary\"\]\[\"Discharge capacity \[A.h\]\"\]"):
        assert cell[OLD] == expected[1]
    with pytest.warns(DeprecationWarning, match="Discharge capacity"):
        assert cell.get(OLD) == expected[1]
    ds = res.to_xarray()
    with pytest.warns(DeprecationWarning, match=r"outputs=False"):
        np.testing.assert_array_equal(ds[OLD].values.ravel(), expected)
    with pytest.warns(DeprecationWarning):  # also after a selection
        assert float(ds.sel({"C-rate": 2.0, "Separator porosity": 0.5})[OLD]) == expected[3]


def test_the_file_and_memory_agree_on_the_name(res, tmp_path):
    import ionflux

    h5py = pytest.importorskip("h5py")
    path = tmp_path / "s.h5"
    Sweep(vary={"C-rate": [1, 2], "Separator porosity": [0.4, 0.5]}, mesh=COARSE, period=120).run(
        device="cpu", output=path, progress=False)
    with h5py.File(path, "r") as f:
        assert f"summary/{NEW}" in f and f"summary/{OLD}" not in f
        np.testing.assert_array_equal(f[f"summary/{NEW}"][...], res.summary[NEW].to_numpy())
    loaded = ionflux.load(path)
    with pytest.warns(DeprecationWarning):
        np.testing.assert_array_equal(loaded[OLD], loaded.summary[NEW].to_numpy())
