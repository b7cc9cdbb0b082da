"""GaussianMixture and KernelDensity against scikit-learn, and the properties of EM."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from sklearn.neighbors import KernelDensity as SkKernelDensity

import generative.gmm
from generative.gmm import GaussianMixture, KernelDensity

COV_TYPES = ["full", "tied", "diag", "spherical"]
# Short fits here stop before converging on purpose; the warning itself is tested below.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def X() -> np.ndarray:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(250, 2)) @ np.array([[1.0, 0.4], [0.0, 0.6]])
    b = rng.normal(size=(150, 2)) * 0.5 + [4.0, 1.0]
    c = rng.normal(size=(100, 2)) * [1.5, 0.3] + [0.0, 5.0]
    return np.concatenate([a, b, c])


def _same_start(X: np.ndarray, covariance_type: str, k: int = 4) -> dict:
    """An unconverged start both sides share: equal weights, the first k points (all from one blob) as means,
    and the precision of all the data for every component, in the compact form of ``covariance_type``."""
    precision = np.linalg.inv(np.cov(X.T))
    precisions = {
        "full": np.repeat(precision[None], k, axis=0),
        "tied": precision,
        "diag": np.repeat(np.diag(precision)[None], k, axis=0),
        "spherical": np.full(k, np.diag(precision).mean()),
    }[covariance_type]
    return dict(weights_init=np.full(k, 1.0 / k), means_init=X[:k].copy(), precisions_init=precisions)


def _sk_fit(X: np.ndarray, k: int, **kw) -> SkGaussianMixture:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return SkGaussianMixture(k, **kw).fit(X)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_same_log_likelihood_as_sklearn_from_same_start(X, covariance_type):
    kw = dict(covariance_type=covariance_type, max_iter=30, tol=0.0, **_same_start(X, covariance_type))
    ours, theirs = GaussianMixture(4, **kw).fit(X), _sk_fit(X, 4, **kw)
    # 30 iterations each, far from converged at the start: the whole climb is compared, not one step
    assert ours.n_iter_ == theirs.n_iter_ == 30
    assert theirs.lower_bounds_[-1] - theirs.lower_bounds_[0] > 0.1
    np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-9)
    assert ours.score(X) == pytest.approx(theirs.score(X), rel=1e-6)
    assert ours.lower_bound_ == pytest.approx(theirs.lower_bound_, rel=1e-6)
    np.testing.assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=1e-6)
    np.testing.assert_allclose(ours.weights_, theirs.weights_, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(ours.covariances_, theirs.covariances_, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)
    assert ours.bic(X) == pytest.approx(theirs.bic(X), rel=1e-6)
    assert ours.aic(X) == pytest.approx(theirs.aic(X), rel=1e-6)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_convergence_matches_sklearn(X, covariance_type):
    kw = dict(covariance_type=covariance_type, max_iter=500, tol=1e-6, **_same_start(X, covariance_type))
    ours, theirs = GaussianMixture(4, **kw).fit(X), _sk_fit(X, 4, **kw)
    assert ours.converged_ and theirs.converged_
    assert ours.n_iter_ == theirs.n_iter_ >= 30
    assert ours.score(X) == pytest.approx(theirs.score(X), rel=1e-9)


@pytest.mark.parametrize(
    "covariance_type, shape", [("full", (4, 2, 2)), ("tied", (2, 2)), ("diag", (4, 2)), ("spherical", (4,))]
)
def test_attribute_shapes(X, covariance_type, shape):
    gm = GaussianMixture(4, covariance_type=covariance_type, random_state=0).fit(X)
    assert gm.weights_.shape == (4,) and gm.means_.shape == (4, 2)
    assert gm.covariances_.shape == shape
    assert gm.full_covariances().shape == (4, 2, 2)
    assert gm.weights_.sum() == pytest.approx(1.0)
    assert gm.predict(X).shape == (len(X),)
    proba = gm.predict_proba(X)
    assert proba.shape == (len(X), 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(gm.predict(X), proba.argmax(axis=1))


@pytest.mark.parametrize("init_params", ["kmeans++", "random"])
def test_same_seed_same_fit_and_different_seeds_differ(X, init_params):
    fits = [GaussianMixture(3, init_params=init_params, random_state=s, max_iter=3).fit(X) for s in (7, 7, 8)]
    np.testing.assert_array_equal(fits[0].means_, fits[1].means_)
    assert not np.allclose(fits[0].means_, fits[2].means_)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_em_never_decreases_the_log_likelihood(X, covariance_type):
    gm = GaussianMixture(5, covariance_type=covariance_type, random_state=3, init_params="random")
    bounds = [gm.step(X) for _ in range(40)]
    assert np.all(np.diff(bounds) >= -1e-9)
    assert bounds[-1] > bounds[0]


def test_steps_equal_fit(X):
    start = _same_start(X, "full")
    fitted = GaussianMixture(4, max_iter=12, tol=0.0, **start).fit(X)
    stepped = GaussianMixture(4, tol=0.0, **start)
    for _ in range(12):
        stepped.step(X)
    np.testing.assert_allclose(stepped.means_, fitted.means_, rtol=1e-12)
    assert stepped.n_iter_ == 12 and stepped.lower_bound_ == pytest.approx(fitted.lower_bound_, rel=1e-12)


def test_n_init_keeps_the_best_start(X):
    # The first of the n_init starts is the single start of the same seed, so the best is at least as good.
    single = GaussianMixture(6, random_state=0, init_params="random", max_iter=5).fit(X)
    several = GaussianMixture(6, random_state=0, init_params="random", max_iter=5, n_init=6).fit(X)
    assert several.lower_bound_ > single.lower_bound_


def test_sample_follows_the_mixture(X):
    gm = GaussianMixture(3, random_state=0).fit(X)
    samples, labels = gm.sample(20_000, random_state=1)
    assert samples.shape == (20_000, 2) and labels.shape == (20_000,)
    np.testing.assert_allclose(np.bincount(labels) / 20_000, gm.weights_, atol=0.02)
    np.testing.assert_allclose(samples.mean(axis=0), gm.weights_ @ gm.means_, atol=0.05)
    np.testing.assert_array_equal(gm.sample(5, random_state=2)[0], gm.sample(5, random_state=2)[0])


def test_identical_points_give_a_degenerate_but_finite_fit():
    gm = GaussianMixture(2, reg_covar=1e-3, random_state=0).fit(np.ones((20, 2)))
    np.testing.assert_allclose(gm.means_, 1.0)
    np.testing.assert_allclose(gm.full_covariances(), 1e-3 * np.eye(2)[None].repeat(2, axis=0), rtol=1e-6)
    assert np.isfinite(gm.score(np.ones((20, 2))))


def test_collapse_without_reg_covar_is_explained():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [5.0, 5.0], [5.0, 6.0], [6.0, 5.0]])
    with pytest.raises(ValueError, match="reg_covar"):
        GaussianMixture(2, reg_covar=0.0, random_state=0).fit(X)


@pytest.mark.parametrize(
    "X, kwargs, message",
    [
        (np.zeros((2, 2)), dict(n_components=3), "at least 3 points"),
        (np.array([[0.0, np.nan], [1.0, 1.0]]), dict(n_components=1), "NaN or infinite"),
        (np.zeros((0, 2)), dict(n_components=1), "no rows"),
        (np.zeros((5, 2)), dict(n_components=1, covariance_type="round"), "covariance_type"),
        (np.zeros((5, 2)), dict(n_components=0), "positive integer"),
        (np.zeros((5, 2)), dict(n_components=1, reg_covar=-1.0), "reg_covar"),
    ],
)
def test_bad_input_raises_a_clear_value_error(X, kwargs, message):
    with pytest.raises(ValueError, match=message):
        GaussianMixture(**kwargs).fit(X)


def test_points_of_another_dimension_are_refused(X):
    gm = GaussianMixture(2, random_state=0, warm_start=True).fit(X)
    X3 = np.hstack([X, X[:, :1]])
    for call in (gm.predict, gm.score_samples, gm.fit, gm.step):
        with pytest.raises(ValueError, match="X has 3 features, but GaussianMixture is expecting 2"):
            call(X3)


def test_unfitted_model_says_so():
    with pytest.raises(ValueError, match="not fitted"):
        GaussianMixture(2).predict(np.zeros((3, 2)))


def test_sklearn_exception_and_warning_classes(X):
    assert generative.gmm.NotFittedError is NotFittedError
    assert generative.gmm.ConvergenceWarning is ConvergenceWarning
    with pytest.raises(NotFittedError):
        GaussianMixture(2).score(X)
    for fit in ("fit", "fit_predict"):
        with pytest.warns(ConvergenceWarning, match="did not converge") as record:
            getattr(GaussianMixture(3, max_iter=2, tol=0.0, random_state=0), fit)(X)
        assert record[0].filename == __file__  # the warning points at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # converged, or max_iter=0 (initialisation only): no warning
        GaussianMixture(3, random_state=0).fit(X)
        GaussianMixture(3, max_iter=0, random_state=0).fit(X)


def test_stand_in_classes_without_sklearn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.exceptions", None)  # import sklearn.exceptions -> ImportError
    generative.gmm._sklearn_exceptions.cache_clear()
    try:
        stand_in, warning = generative.gmm.NotFittedError, generative.gmm.ConvergenceWarning
        assert stand_in is not NotFittedError and issubclass(stand_in, (ValueError, AttributeError))
        assert issubclass(warning, UserWarning)
        with pytest.raises(stand_in, match="not fitted"):
            GaussianMixture(2).predict(np.zeros((3, 2)))
    finally:
        generative.gmm._sklearn_exceptions.cache_clear()


def test_fit_predict_warm_start_and_clone(X):
    gm = GaussianMixture(3, init_params="random", random_state=0, max_iter=4)
    np.testing.assert_array_equal(gm.fit_predict(X), gm.predict(X))
    # warm start: two fits of 4 iterations continue each other, equal to one fit of 8
    warm = GaussianMixture(3, init_params="random", random_state=0, max_iter=4, tol=0.0, warm_start=True)
    warm.fit(X).fit(X)
    cold = GaussianMixture(3, init_params="random", random_state=0, max_iter=8, tol=0.0).fit(X)
    np.testing.assert_allclose(warm.means_, cold.means_, rtol=1e-10)
    copy = clone(GaussianMixture(4, covariance_type="diag", reg_covar=1e-3))
    assert copy.get_params()["covariance_type"] == "diag" and not copy.is_initialized
    assert "covariance_type='diag'" in repr(copy)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_precisions_match_covariances(X, covariance_type):
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    full_prec = np.linalg.inv(gm.full_covariances())
    chol = gm.precisions_cholesky_
    if covariance_type in ("full", "tied"):
        np.testing.assert_allclose(chol @ np.swapaxes(chol, -1, -2), gm.precisions_, rtol=1e-10)
        assert np.allclose(np.tril(chol, -1), 0)  # upper triangular, as scikit-learn's
    else:
        np.testing.assert_allclose(chol**2, gm.precisions_, rtol=1e-10)
    np.testing.assert_allclose(np.linalg.inv(gm.full_covariances()), full_prec)
    expected = {"full": full_prec, "tied": full_prec[0], "diag": np.diagonal(full_prec, axis1=1, axis2=2),
                "spherical": full_prec[:, 0, 0]}[covariance_type]
    np.testing.assert_allclose(gm.precisions_, expected, rtol=1e-9)


def test_kmeans_init_finds_the_kmeans_centres(X):
    """init_params='kmeans' runs k-means to the end: its centres are those scikit-learn's KMeans finds."""
    ours = GaussianMixture(3, init_params="kmeans", max_iter=0, random_state=0).fit(X)
    theirs = KMeans(3, n_init=10, random_state=0).fit(X).cluster_centers_
    np.testing.assert_allclose(np.sort(ours.means_, axis=0), np.sort(theirs, axis=0), atol=1e-6)
    # the default seeds only: each point goes to its nearest k-means++ seed, no Lloyd iterations
    seeded = GaussianMixture(3, max_iter=0, random_state=0).fit(X)
    assert not np.allclose(np.sort(seeded.means_, axis=0), np.sort(theirs, axis=0), atol=1e-3)


@pytest.mark.parametrize("init_params", ["k-means++", "random_from_data"])
def test_seed_point_inits_start_at_data_points(X, init_params):
    gm = GaussianMixture(3, init_params=init_params, max_iter=0, random_state=0).fit(X)
    distances = np.sqrt(((gm.means_[:, None] - X[None]) ** 2).sum(-1)).min(axis=1)
    np.testing.assert_allclose(distances, 0.0, atol=1e-9)


def test_small_fits_run_on_one_thread_and_restore_the_count(X, monkeypatch):
    seen: list[int] = []
    e_step = GaussianMixture._e_step
    monkeypatch.setattr(GaussianMixture, "_e_step", lambda self, *a: seen.append(torch.get_num_threads()) or e_step(self, *a))
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        GaussianMixture(3, random_state=0).fit(X)
        GaussianMixture(3, random_state=0).step(X)
        assert set(seen) == {1} and torch.get_num_threads() == 2
        monkeypatch.setattr(generative.gmm, "_ONE_THREAD_ENTRIES", 10)  # a "large" problem keeps its threads
        seen.clear()
        GaussianMixture(3, random_state=0).fit(X)
        assert set(seen) == {2}
    finally:
        torch.set_num_threads(threads)


def test_gpu_normalisation_equals_the_cpu_one():
    """The torch path that normalises responsibilities on a GPU gives what the CPU's numpy path gives."""
    log_prob = torch.from_numpy(np.random.default_rng(0).normal(scale=30.0, size=(4, 500)))
    on_cpu, in_torch = log_prob.clone(), log_prob.clone()
    ll_cpu, ll_torch = generative.gmm._normalise(on_cpu), generative.gmm._normalise_torch(in_torch)
    assert ll_cpu == pytest.approx(ll_torch, rel=1e-12)
    assert ll_cpu == pytest.approx(float(torch.logsumexp(log_prob, dim=0).mean()), rel=1e-12)
    np.testing.assert_allclose(on_cpu.numpy(), in_torch.numpy(), rtol=1e-12)
    np.testing.assert_allclose(on_cpu.numpy(), torch.softmax(log_prob, dim=0).numpy(), rtol=1e-12, atol=1e-300)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_cuda_fit_equals_cpu_fit(X, covariance_type):
    kw = dict(covariance_type=covariance_type, max_iter=30, tol=0.0, **_same_start(X, covariance_type))
    cpu, cuda = GaussianMixture(4, **kw).fit(X), GaussianMixture(4, device="cuda", **kw).fit(X)
    np.testing.assert_allclose(cuda.lower_bounds_, cpu.lower_bounds_, rtol=1e-9)
    np.testing.assert_allclose(cuda.predict_proba(X), cpu.predict_proba(X), atol=1e-9)


def test_kde_matches_sklearn(X, monkeypatch):
    ours = KernelDensity(bandwidth=0.4).fit(X)
    theirs = SkKernelDensity(bandwidth=0.4).fit(X)
    queries = np.random.default_rng(1).uniform(-3, 6, size=(300, 2))
    expected = theirs.score_samples(queries)
    np.testing.assert_allclose(ours.score_samples(queries), expected, rtol=1e-9)
    monkeypatch.setattr("generative.kde._CHUNK_ELEMENTS", 1000)  # many small chunks: same answer
    np.testing.assert_allclose(ours.score_samples(queries), expected, rtol=1e-9)
    assert ours.score(queries) == pytest.approx(theirs.score(queries), rel=1e-9)


def test_kde_samples_lie_near_training_points(X):
    kde = KernelDensity(bandwidth=0.05).fit(X)
    samples = kde.sample(200, random_state=0)
    nearest = np.sqrt(((samples[:, None] - X[None]) ** 2).sum(-1)).min(axis=1)
    assert samples.shape == (200, 2) and nearest.max() < 0.3


@pytest.mark.parametrize("bandwidth", [0, -1.0, float("nan"), "wide"])
def test_kde_rejects_bad_bandwidths(X, bandwidth):
    with pytest.raises(ValueError, match="bandwidth"):
        KernelDensity(bandwidth=bandwidth).fit(X)
