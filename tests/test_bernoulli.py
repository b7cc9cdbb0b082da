"""The mixture of Bernoullis: EM on data drawn from a known mixture, exact scores, sampling, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp

from generative.bernoulli import BernoulliMixture


def known_mixture(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows drawn from 3 well-separated Bernoulli prototypes over 40 binary features."""
    rng = np.random.default_rng(seed)
    probs = np.full((3, 40), 0.1)
    for k in range(3):
        probs[k, 13 * k: 13 * k + 14] = 0.9
    weights = np.array([0.5, 0.3, 0.2])
    labels = rng.choice(3, size=n, p=weights)
    return (rng.random((n, 40)) < probs[labels]).astype(np.float32), probs, weights


def test_em_recovers_the_prototypes_and_weights():
    x, probs, weights = known_mixture()
    model = BernoulliMixture(3, n_features=40, random_state=0).fit(x)
    order = [int(np.argmin(np.abs(model.means_ - p).sum(axis=1))) for p in probs]
    assert sorted(order) == [0, 1, 2]
    np.testing.assert_allclose(model.means_[order], probs, atol=0.06)
    np.testing.assert_allclose(model.weights_[order], weights, atol=0.03)
    assert model.converged_


def test_more_components_fit_better_and_em_never_decreases_the_likelihood():
    x, *_ = known_mixture()
    one = BernoulliMixture(1, n_features=40).fit(x)
    np.testing.assert_allclose(one.means_[0], (x.sum(0) + 1e-2) / (len(x) + 2e-2), atol=1e-5)  # K = 1 is the mean
    three = BernoulliMixture(3, n_features=40, random_state=0).fit(x)
    assert three.score(x) > one.score(x) + 3
    bounds = [BernoulliMixture(3, n_features=40, max_iter=i, tol=0, random_state=0).fit(x).lower_bound_
              for i in (1, 2, 4, 8)]
    assert all(b <= a + 1e-6 for b, a in zip(bounds, bounds[1:]))


def test_score_samples_is_the_exact_log_likelihood():
    x, *_ = known_mixture(200)
    model = BernoulliMixture(3, n_features=40, random_state=1).fit(x)
    mu, pi = model.means_, model.weights_
    brute = logsumexp(np.log(pi) + x @ np.log(mu).T + (1 - x) @ np.log(1 - mu).T, axis=1)
    np.testing.assert_allclose(model.score_samples(x), brute, rtol=1e-4)
    np.testing.assert_allclose(model.predict_proba(x).sum(axis=1), 1.0, atol=1e-5)


def test_sampling_is_binary_and_deterministic_by_seed():
    x, *_ = known_mixture()
    model = BernoulliMixture(3, n_features=40, random_state=0).fit(x)
    a, labels = model.sample(500, random_state=3)
    b, _ = model.sample(500, random_state=3)
    c, _ = model.sample(500, random_state=4)
    assert a.shape == (500, 40) and set(np.unique(a)) <= {0.0, 1.0} and labels.shape == (500,)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    np.testing.assert_allclose(a.mean(axis=0), (model.weights_ @ model.means_), atol=0.08)


@pytest.mark.parametrize("bad, message", [
    (np.full((5, 40), 0.5), "binary"),
    (np.zeros((5, 39)), "shape"),
    (np.zeros((0, 40)), "empty"),
])
def test_bad_data_is_refused_with_a_reason(bad, message):
    with pytest.raises(ValueError, match=message):
        BernoulliMixture(2, n_features=40).fit(bad)


def test_impossible_settings_are_refused():
    with pytest.raises(ValueError, match="positive integer"):
        BernoulliMixture(0)
    with pytest.raises(ValueError, match="at least"):
        BernoulliMixture(5, n_features=40).fit(np.zeros((3, 40)))
    with pytest.raises(ValueError, match="at least 1"):
        BernoulliMixture(2, n_features=40).sample(0)
