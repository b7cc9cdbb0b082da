"""scikit-learn's own GaussianMixture tests, run against ``generative.gmm.GaussianMixture``.

The test file is loaded from the installed scikit-learn at test time (nothing is copied), its
``GaussianMixture`` is swapped for ours, and the two fixtures scikit-learn's conftest provides are
supplied here; so a new scikit-learn release checks us again. Skipped: the three tests that call
scikit-learn's private methods or patch its private functions.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

import generative.gmm

pytest.importorskip("sklearn")
_SPEC = importlib.util.find_spec("sklearn.mixture.tests.test_gaussian_mixture")
if _SPEC is None or _SPEC.origin is None:  # a scikit-learn build without its tests
    pytest.skip("scikit-learn's test_gaussian_mixture.py is not installed", allow_module_level=True)
_suite = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_suite)
_suite.GaussianMixture = generative.gmm.GaussianMixture

PRIVATE = {
    "test_gaussian_mixture_precisions_init_diag": "calls scikit-learn's private _estimate_gaussian_parameters",
    "test_gaussian_mixture_precisions_init": "calls the private _set_parameters and _initialize(X, resp)",
    "test_gaussian_mixture_all_init_does_not_estimate_gaussian_parameters":
        "patches scikit-learn's private _estimate_gaussian_parameters",
}

for _name, _test in vars(_suite).items():
    if _name.startswith("test_") and callable(_test):
        globals()[_name] = pytest.mark.skip(reason=PRIVATE[_name])(_test) if _name in PRIVATE else _test


def test_the_suite_runs_against_our_class():
    """The swapped import is what the loaded tests see, and every skipped test still exists."""
    assert _suite.GaussianMixture is generative.gmm.GaussianMixture
    assert set(PRIVATE) <= set(vars(_suite))


def _seeds() -> list[int]:
    """scikit-learn's convention: SKLEARN_TESTS_GLOBAL_RANDOM_SEED="0-9" or "all"; 42 by default."""
    value = os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", "42")
    if value == "all":
        return list(range(100))
    first, _, last = value.partition("-")
    return list(range(int(first), int(last or first) + 1))


@pytest.fixture(params=_seeds())
def global_random_seed(request) -> int:
    """The seed scikit-learn's randomised tests use."""
    return request.param


@pytest.fixture(params=[np.float64, np.float32], ids=["float64", "float32"])
def global_dtype(request) -> type:
    """Both float dtypes (scikit-learn runs float32 only with SKLEARN_RUN_FLOAT32_TESTS=1; we always do)."""
    return request.param
