"""The one sampler of functions into tables (ionflux._sampling.sample_table), used by
ParameterSet.tabulate (Python callables) and by the PyBaMM conversion (_pybamm.tabulate)."""
import numpy as np
import pytest

import ionflux
from ionflux import ParameterSet, TabulationWarning
from ionflux import _sampling
from ionflux._sampling import SamplingError, sample_table


def test_fixed_points_vectorised_and_pointwise():
    s = sample_table(np.sin, 0.0, 1.0, points=11)
    np.testing.assert_array_equal(s.x, np.linspace(0, 1, 11))
    np.testing.assert_array_equal(s.y, np.sin(np.linspace(0, 1, 11)))
    assert s.deviation is None and s.trimmed is None
    # a function of one float (math.sin fails on arrays) is called point by point
    import math
    np.testing.assert_array_equal(sample_table(math.sin, 0.0, 1.0, points=11).y, s.y)
    with pytest.raises(SamplingError) as e:
        sample_table(math.sin, 0.0, 1.0, points=11, pointwise=False)
    assert e.value.kind == "call" and e.value.at is None


def test_not_finite_is_an_error_or_trimmed():
    with pytest.raises(SamplingError) as e:
        sample_table(np.log, 0.0, 1.0, points=11)
    assert e.value.kind == "not finite" and e.value.at == 0.0 and e.value.value == -np.inf
    s = sample_table(np.log, 0.0, 1.0, points=101, trim=True)
    # only x = 0 is cut: 100 points from 0.01 to 1
    assert s.trimmed == (0.0, 0.01, 1.0) and s.x.size == 100 and np.isfinite(s.y).all()
    with pytest.raises(SamplingError) as e:  # a hole inside is not trimmed
        sample_table(lambda x: 1 / (x - 0.5), 0.0, 1.0, points=101, trim=True)
    assert e.value.kind == "not finite inside"


def test_refinement_stops_at_the_tolerance_or_the_cap():
    # exp on [0, 1]: not-a-knot spline error ~ h^4 max|f''''| / 384 relative to the range
    # e - 1: at 2001 points (h = 5e-4) about 4e-16, so the first grid is kept
    s = sample_table(np.exp, 0.0, 1.0, points=2001, tolerance=1e-9)
    assert s.x.size == 2001 and s.deviation <= 1e-9
    # exp(40 x): spline error ~ h^4 40^4 / 384 of its range, 4e-10 at 2001 points, 3e-11 at
    # 4001, 2e-12 at 8001: all above 1e-14, so the grid doubles (2 n - 1) up to the cap
    s = sample_table(lambda x: np.exp(40 * x), 0.0, 1.0, points=2001, tolerance=1e-14, max_points=8001)
    assert s.x.size == 8001 and s.deviation > 1e-14


def test_both_tabulators_use_the_one_sampler(monkeypatch):
    calls = []
    real = _sampling.sample_table

    def spy(*a, **k):
        calls.append(k)
        return real(*a, **k)

    monkeypatch.setattr(_sampling, "sample_table", spy)
    import ionflux.parameters as parameters
    monkeypatch.setattr(parameters, "sample_table", spy)
    ps = ParameterSet("Chen2020")
    with pytest.warns(TabulationWarning):
        ps["Negative electrode OCP [V]"] = lambda sto: 0.2 + 0.1 * (1 - sto)
    assert calls and all(k.get("tolerance") is None for k in calls)
    pybamm = pytest.importorskip("pybamm")
    calls.clear()
    pv = pybamm.ParameterValues("Chen2020")
    pv["Negative electrode OCP [V]"] = lambda sto: pybamm.arcsinh(pybamm.sinh(0.2 + 0.1 * (1 - sto)))
    with pytest.warns(ionflux.PyBaMMConversionWarning):
        ParameterSet(pv)
    assert any(k.get("tolerance") == 1e-9 and k.get("trim") for k in calls)
