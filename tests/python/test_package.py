"""Package-level functions, exports, docstrings and typing files."""
import inspect
import pathlib
import re

import pytest

import ionflux
from ionflux import _core


def test_version_matches_core_and_cmake():
    assert ionflux.__version__ == _core.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", ionflux.__version__)
    cmake = pathlib.Path(__file__).resolve().parents[2] / "CMakeLists.txt"
    if cmake.exists():
        m = re.search(r"project\(ionflux VERSION ([0-9.]+)", cmake.read_text())
        assert m and m.group(1) == ionflux.__version__


def test_build_flags_are_bools():
    assert isinstance(ionflux.has_cuda(), bool)
    assert isinstance(ionflux.has_hdf5(), bool)
    assert isinstance(ionflux.cuda_available(), bool)
    assert ionflux.has_hdf5()  # the sweep tests need it
    if not ionflux.has_cuda():
        assert not ionflux.cuda_available()


def test_devices():
    devs = ionflux.devices()
    assert isinstance(devs, list) and devs
    assert devs[0]["name"] == "cpu"
    for d in devs:
        assert set(d) == {"name", "description"}
        assert isinstance(d["name"], str) and isinstance(d["description"], str) and d["description"]
    names = [d["name"] for d in devs]
    assert ("cuda" in names) == ionflux.cuda_available()


def test_parameter_sets():
    sets = ionflux.parameter_sets()
    assert "Chen2020" in sets and "Marquis2019" in sets
    assert sets == list(_core.builtin_sets())


def test_all_exports_exist():
    for name in ionflux.__all__:
        assert hasattr(ionflux, name), name
    for name in ["ParameterSet", "Simulation", "Solution", "Sweep", "SweepResult", "load", "has_cuda",
                 "has_hdf5", "devices", "parameter_sets", "__version__", "ParameterFunction"]:
        assert name in ionflux.__all__


def _public_members(obj):
    for name, member in inspect.getmembers(obj):
        if name.startswith("_"):
            continue
        if inspect.isfunction(member) or isinstance(member, property):
            yield name, member


@pytest.mark.parametrize("name", [n for n in ionflux.__all__ if n != "__version__"])
def test_numpydoc_docstrings(name):
    obj = getattr(ionflux, name)
    doc = inspect.getdoc(obj)
    assert doc and len(doc) > 20, f"{name} has no docstring"
    if inspect.isfunction(obj):
        sig = inspect.signature(obj)
        if sig.parameters:
            assert "Parameters\n----------" in doc, name
        assert "Returns\n-------" in doc, name
    if inspect.isclass(obj) and not issubclass(obj, BaseException):
        for mname, member in _public_members(obj):
            mdoc = inspect.getdoc(member)
            assert mdoc, f"{name}.{mname} has no docstring"


def test_typing_files_are_installed():
    pkg = pathlib.Path(ionflux.__file__).parent
    assert (pkg / "py.typed").exists()
    stub = pkg / "_core.pyi"
    assert stub.exists()
    text = stub.read_text()
    for name in ["ParameterSet", "SweepRunner", "simulate", "has_cuda", "has_hdf5", "devices", "builtin_sets",
                 "check_parameter_range", "cuda_available"]:
        assert name in text
        assert hasattr(_core, name)


def test_core_stub_lists_the_bound_methods():
    stub = (pathlib.Path(ionflux.__file__).parent / "_core.pyi").read_text()
    for cls in (_core.ParameterSet, _core.SweepRunner):
        for name in dir(cls):
            if not name.startswith("_"):
                assert re.search(rf"def {name}\b", stub), f"{cls.__name__}.{name} missing from _core.pyi"
