"""ionflux.ParameterSet and ParameterFunction."""
import json

import numpy as np
import pytest

import ionflux
from ionflux import ParameterFunction, ParameterSet


@pytest.fixture
def ps():
    return ParameterSet("Chen2020")


def test_default_is_chen2020():
    assert ParameterSet().name == "Chen2020"


def test_scalar_and_function_values(ps):
    v = ps["Negative electrode thickness [m]"]
    assert isinstance(v, float) and v == 8.52e-05
    f = ps["Negative electrode OCP [V]"]
    assert isinstance(f, ParameterFunction)
    assert f.name == "graphite_LGM50_ocp_Chen2020"
    assert repr(f) == "<function graphite_LGM50_ocp_Chen2020>"
    assert f == ParameterFunction("graphite_LGM50_ocp_Chen2020")
    assert f != ParameterFunction("other") and f != "graphite_LGM50_ocp_Chen2020"
    assert len({f, ParameterFunction(f.name)}) == 1


def test_mapping_protocol(ps):
    names = list(ps)
    assert len(ps) == len(names) == len(set(names)) > 50
    assert names[:2] == list(ps.keys())[:2]
    assert "Separator porosity" in ps
    assert "Separator porosty" not in ps and 3 not in ps
    items = dict(ps.items())
    assert items["Separator porosity"] == 0.47
    assert list(ps.values())[names.index("Separator porosity")] == 0.47
    assert ps.get("nope", 1.5) == 1.5
    assert ps.get("Separator porosity") == 0.47
    d = ps.to_dict()
    assert list(d) == names and d == items
    json.dumps(d, default=lambda f: f.name)


def test_iteration_order_is_set_order():
    m = ParameterSet("Marquis2019")
    assert list(m) == list(ionflux._core.ParameterSet("Marquis2019").names())


def test_unknown_key_suggests_closest(ps):
    with pytest.raises(KeyError, match="did you mean 'Negative electrode porosity'") as e:
        ps["Negative electrode porosty"]
    assert isinstance(e.value, ionflux.UnknownParameterError)
    assert str(e.value).startswith("unknown parameter 'Negative electrode porosty' in set Chen2020")
    with pytest.raises(KeyError, match="did you mean"):
        ps["negative particle radius"] = 1e-6
    with pytest.raises(KeyError, match="unknown parameter"):
        ps["zzzzzzzzzzzzzzzzzzzzzzzzzz"]
    with pytest.raises(KeyError):
        ps[42]


def test_set_value_and_changed(ps):
    assert ps.changed() == {}
    ps["Negative electrode porosity"] = 0.3
    ps["Negative particle radius [m]"] = np.float64(4e-6)
    ps["Current function [A]"] = 2  # int accepted
    assert ps["Negative electrode porosity"] == 0.3
    assert ps["Current function [A]"] == 2.0
    ch = ps.changed()
    assert ch == {"Current function [A]": 2.0, "Negative electrode porosity": 0.3,
                  "Negative particle radius [m]": 4e-6}
    assert list(ch) == [n for n in ps if n in ch]  # set order
    ps["Negative electrode porosity"] = 0.25  # back to the base value
    assert "Negative electrode porosity" not in ps.changed()


def test_setting_out_of_range_raises_with_range(ps):
    with pytest.raises(ValueError, match=r"'Negative electrode porosity' must be in \(0, 1\), got 1.5"):
        ps["Negative electrode porosity"] = 1.5
    assert ps["Negative electrode porosity"] == 0.25  # unchanged
    with pytest.raises(ValueError, match="porosity"):
        ps["Separator porosity"] = 0
    with pytest.raises(ValueError, match="positive"):
        ps["Negative electrode thickness [m]"] = -1e-5
    with pytest.raises(ValueError, match="finite"):
        ps["Negative electrode thickness [m]"] = float("nan")


def test_setting_wrong_type_raises_type_error(ps):
    for bad in ["0.3", None, True, [0.3], complex(1, 1)]:
        with pytest.raises(TypeError, match="must be set to a number"):
            ps["Negative electrode porosity"] = bad


def test_function_replaced_by_constant_and_restored(ps):
    key = "Electrolyte diffusivity [m2.s-1]"
    original = ps[key]
    ps[key] = 3e-10
    assert ps[key] == 3e-10
    assert ps.changed() == {key: 3e-10}
    ps["Separator porosity"] = 0.4
    ps[key] = original
    assert ps[key] == original
    assert ps.changed() == {"Separator porosity": 0.4}
    ps[key] = original  # already the function: no-op
    with pytest.raises(ValueError, match="own function"):
        ps[key] = ParameterFunction("made_up_function")
    with pytest.raises(ValueError, match="own function"):
        ps["Separator porosity"] = ParameterFunction("electrolyte_diffusivity_Nyman2008")


def test_cannot_delete(ps):
    with pytest.raises(TypeError, match="cannot remove parameter 'Separator porosity'"):
        del ps["Separator porosity"]
    with pytest.raises(TypeError):
        ps.pop("Separator porosity")
    with pytest.raises(TypeError):
        ps.clear()
    assert "Separator porosity" in ps


def test_copy_is_independent(ps):
    ps["Separator porosity"] = 0.4
    c = ps.copy()
    assert c == ps and c is not ps and c.name == ps.name
    c["Separator porosity"] = 0.5
    assert ps["Separator porosity"] == 0.4
    assert c.changed() == {"Separator porosity": 0.5}
    assert ParameterSet(ps) == ps


def test_update_is_atomic(ps):
    ps.update({"Separator porosity": 0.4, "Negative electrode porosity": 0.3})
    assert ps.changed() == {"Negative electrode porosity": 0.3, "Separator porosity": 0.4}
    with pytest.raises(ValueError, match="porosity"):
        ps.update({"Positive electrode porosity": 0.3, "Negative electrode porosity": 7})
    assert ps["Positive electrode porosity"] == 0.335  # nothing applied
    with pytest.raises(KeyError, match="did you mean"):
        ps.update([("Separator porosty", 0.4)])
    ps.update([("Separator porosity", 0.45)])
    assert ps["Separator porosity"] == 0.45


def test_equality():
    a, b = ParameterSet(), ParameterSet()
    assert a == b
    b["Separator porosity"] = 0.4
    assert a != b
    assert a != ParameterSet("Marquis2019")
    assert a == a.to_dict()
    assert (a == 3) is False


def test_repr_shows_name_count_and_entries(ps):
    r = repr(ps)
    assert "Chen2020" in r and f"{len(ps)} parameters" in r
    assert "[m]" in r  # units come with the names
    ps["Separator porosity"] = 0.4
    r = repr(ps)
    assert "1 changed" in r and "Separator porosity: 0.4 (changed)" in r
    html = ps._repr_html_()
    assert "<table>" in html and "Separator porosity" in html and "was 0.47" in html


def test_search(ps):
    found = ps.search("negative porosity")
    assert found == {"Negative electrode porosity": 0.25}
    assert ps.search("zzz") == {}


def test_unknown_set_name():
    with pytest.raises(ValueError, match="did you mean 'Chen2020'"):
        ParameterSet("Chen")
    with pytest.raises(TypeError):
        ParameterSet(5)


def test_check_cross_parameter_constraints(ps):
    ps.check()
    ps["Negative electrode active material volume fraction"] = 0.9  # allowed alone ...
    with pytest.raises(ValueError, match="must not exceed 1"):  # ... but not with porosity 0.25
        ps.check()


def test_check_value():
    ParameterSet.check_value("Separator porosity", 0.5)
    with pytest.raises(ValueError, match=r"must be in \(0, 1\]"):
        ParameterSet.check_value("Separator porosity", 1.5)


def test_marquis_loads():
    m = ParameterSet("Marquis2019")
    assert m.name == "Marquis2019"
    assert m["Nominal cell capacity [A.h]"] > 0
