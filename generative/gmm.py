"""Gaussian mixture models fitted by expectation-maximisation, written in torch.

p(x) = sum_k pi_k N(x | mu_k, Sigma_k) is an *explicit* density: it can be evaluated at any x,
unlike the implicit density of a GAN. The interface follows scikit-learn's ``GaussianMixture``:
numpy arrays in, numpy arrays out, learned attributes end in ``_``. Inside, every E and M step is
one vectorised float64 torch computation over all points and components.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import torch

from generative.kde import KernelDensity
from generative.points import check_points

__all__ = ["GaussianMixture", "KernelDensity", "expand_covariances", "CovarianceType"]

CovarianceType = Literal["full", "tied", "diag", "spherical"]
COVARIANCE_TYPES: tuple[str, ...] = ("full", "tied", "diag", "spherical")
INIT_PARAMS: tuple[str, ...] = ("kmeans++", "random")
_DTYPE = torch.float64
_TINY = 10 * np.finfo(np.float64).eps  # scikit-learn's guard against empty components

COLLAPSE_MESSAGE = (
    "Fitting failed: a component's covariance became singular (for instance it collapsed onto "
    "a single point or a line of points). Increase reg_covar, lower the number of components, "
    "or scale the data."
)


def expand_covariances(
    covariances: np.ndarray, covariance_type: str, n_components: int, n_features: int
) -> np.ndarray:
    """Return the (K, D, D) covariance matrices that scikit-learn's compact form stands for."""
    cov = np.asarray(covariances, dtype=np.float64)
    if covariance_type == "full":
        return cov
    if covariance_type == "tied":
        return np.broadcast_to(cov, (n_components, n_features, n_features)).copy()
    if covariance_type == "diag":
        return cov[:, :, None] * np.eye(n_features)[None]
    if covariance_type == "spherical":
        return cov.reshape(n_components)[:, None, None] * np.eye(n_features)[None]
    raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}, got {covariance_type!r}")


class GaussianMixture:
    """A Gaussian mixture fitted by EM, with scikit-learn's constructor, methods and attributes.

    Extra to scikit-learn: :meth:`step` runs one EM iteration, so that a caller can animate EM.
    """

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: CovarianceType = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: Literal["kmeans++", "random"] = "kmeans++",
        weights_init: np.ndarray | None = None,
        means_init: np.ndarray | None = None,
        precisions_init: np.ndarray | None = None,
        random_state: int | None = None,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.n_steps_ = 0

    # ------------------------------------------------------------------ validation
    def _check_parameters(self, X: np.ndarray) -> None:
        if not isinstance(self.n_components, (int, np.integer)) or self.n_components < 1:
            raise ValueError(f"n_components must be a positive integer, got {self.n_components!r}")
        if X.shape[0] < self.n_components:
            raise ValueError(
                f"n_components={self.n_components} needs at least {self.n_components} points, "
                f"but there are {X.shape[0]}: add points or lower the number of components"
            )
        if self.covariance_type not in COVARIANCE_TYPES:
            raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}, got {self.covariance_type!r}")
        if self.init_params not in INIT_PARAMS:
            raise ValueError(f"init_params must be one of {INIT_PARAMS}, got {self.init_params!r}")
        if not (self.reg_covar >= 0 and math.isfinite(self.reg_covar)):
            raise ValueError(f"reg_covar must be a finite number >= 0, got {self.reg_covar!r}")
        if not (self.tol >= 0):
            raise ValueError(f"tol must be >= 0, got {self.tol!r}")
        if self.max_iter < 1 or self.n_init < 1:
            raise ValueError("max_iter and n_init must be at least 1")

    # ------------------------------------------------------------------ torch core
    def full_covariances(self) -> np.ndarray:
        """The (K, D, D) covariance matrices, whatever the covariance type."""
        self._require_fitted()
        return expand_covariances(self.covariances_, self.covariance_type, *self.means_.shape)

    def _estimate_weighted_log_prob(self, stats: _Design) -> torch.Tensor:
        """log pi_k + log N(x_n | mu_k, Sigma_k), shape (N, K), as one matrix product.

        (x - mu)^T P (x - mu) = x^T P x - 2 mu^T P x + mu^T P mu is linear in the features
        [1, x, x x^T], so all N x K log-densities are ``features @ coefficients``.
        """
        d = stats.n_features
        chol, info = torch.linalg.cholesky_ex(torch.from_numpy(self.full_covariances()))
        if bool((info != 0).any()):
            raise ValueError(COLLAPSE_MESSAGE)
        precision = torch.cholesky_inverse(chol)  # (K, D, D)
        means = torch.from_numpy(self.means_) - stats.shift  # (K, D)
        p_mu = (precision @ means[:, :, None])[:, :, 0]  # (K, D)
        log_det = 2.0 * torch.log(torch.diagonal(chol, dim1=1, dim2=2)).sum(dim=1)  # (K,)
        const = -0.5 * ((p_mu * means).sum(dim=1) + log_det + d * math.log(2 * math.pi))
        const = const + torch.log(torch.from_numpy(self.weights_))
        coef = torch.cat([const[:, None], p_mu, -0.5 * precision.reshape(-1, d * d)], dim=1)  # (K, F)
        return stats.features @ coef.T

    def _e_step(self, stats: _Design) -> tuple[float, torch.Tensor]:
        """Mean log-likelihood and responsibilities (N, K)."""
        weighted = self._estimate_weighted_log_prob(stats)
        log_norm = torch.logsumexp(weighted, dim=1)
        return float(log_norm.mean()), torch.exp(weighted - log_norm[:, None])

    def _m_step(self, stats: _Design, resp: torch.Tensor) -> None:
        """Weights, means and covariances from the responsibility-weighted sums of 1, x and x x^T."""
        n, d = stats.features.shape[0], stats.n_features
        sums = resp.T @ stats.features  # (K, F)
        nk = sums[:, 0] + _TINY  # scikit-learn's guard against empty components
        means = sums[:, 1 : 1 + d] / nk[:, None]  # (K, D), centred coordinates
        second = sums[:, 1 + d :].reshape(-1, d, d)  # sum_n r_nk x_n x_n^T
        eye = torch.eye(d, dtype=_DTYPE)
        outer = means[:, :, None] * means[:, None, :]
        if self.covariance_type == "full":
            cov = second / nk[:, None, None] - outer + self.reg_covar * eye
        elif self.covariance_type == "tied":
            cov = (second.sum(dim=0) - (nk[:, None, None] * outer).sum(dim=0)) / nk.sum() + self.reg_covar * eye
        else:
            diag = torch.diagonal(second, dim1=1, dim2=2) / nk[:, None] - means**2 + self.reg_covar
            cov = diag if self.covariance_type == "diag" else diag.mean(dim=1)
        self.weights_ = (nk / n).numpy()
        self.means_ = (means + stats.shift).numpy()
        self.covariances_ = cov.numpy()

    # ------------------------------------------------------------------ initialisation
    def _initialize(self, X: np.ndarray, rng: np.random.Generator) -> None:
        n, d = X.shape
        given = (self.weights_init, self.means_init, self.precisions_init)
        if any(v is None for v in given):
            if self.init_params == "random":
                resp = rng.uniform(size=(n, self.n_components))
                resp /= resp.sum(axis=1, keepdims=True)
            else:  # kmeans++ seeding, then every point to its nearest centre
                centres = _kmeans_plusplus(X, self.n_components, rng)
                nearest = ((X[:, None, :] - centres[None]) ** 2).sum(-1).argmin(axis=1)
                resp = np.zeros((n, self.n_components))
                resp[np.arange(n), nearest] = 1.0
            self._m_step(_Design(X), torch.from_numpy(resp))
        if self.weights_init is not None:
            self.weights_ = np.asarray(self.weights_init, dtype=np.float64).copy()
        if self.means_init is not None:
            self.means_ = np.asarray(self.means_init, dtype=np.float64).copy()
        if self.precisions_init is not None:
            prec = np.asarray(self.precisions_init, dtype=np.float64)
            self.covariances_ = np.linalg.inv(prec) if self.covariance_type in ("full", "tied") else 1.0 / prec
        self._check_shapes(d)
        self.n_steps_ = 0
        self.converged_ = False
        self.n_iter_ = 0
        self.lower_bound_ = -np.inf

    def _check_shapes(self, d: int) -> None:
        k = self.n_components
        expected = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[self.covariance_type]
        if self.weights_.shape != (k,) or self.means_.shape != (k, d) or self.covariances_.shape != expected:
            raise ValueError(
                f"initial parameters have the wrong shapes: weights {self.weights_.shape} (want {(k,)}), "
                f"means {self.means_.shape} (want {(k, d)}), covariances {self.covariances_.shape} (want {expected})"
            )

    # ------------------------------------------------------------------ public API
    def fit(self, X: np.ndarray, y: object = None) -> GaussianMixture:
        """Run EM from ``n_init`` initialisations and keep the one with the best lower bound."""
        X = check_points(X)
        self._check_parameters(X)
        rng = np.random.default_rng(self.random_state)
        stats = _Design(X)
        best: dict | None = None
        for _ in range(self.n_init):
            self._initialize(X, rng)
            lower_bound = -np.inf
            for it in range(1, self.max_iter + 1):
                previous = lower_bound
                lower_bound, resp = self._e_step(stats)
                self._m_step(stats, resp)
                self.n_iter_ = it
                if abs(lower_bound - previous) < self.tol:
                    self.converged_ = True
                    break
            self.lower_bound_ = lower_bound
            if best is None or lower_bound > best["lower_bound_"]:
                best = self._snapshot()
        assert best is not None
        self.__dict__.update(best)
        self.n_steps_ = self.n_iter_
        return self

    def step(self, X: np.ndarray) -> float:
        """Run one EM iteration (initialising on the first call) and return the mean log-likelihood.

        The returned value is the log-likelihood of the parameters *before* this M step, as in
        scikit-learn's ``lower_bound_``; ``converged_`` turns true once it changes by less than ``tol``.
        """
        X = check_points(X)
        self._check_parameters(X)
        if not self.is_initialized:
            self._initialize(X, np.random.default_rng(self.random_state))
        stats = _Design(X)
        previous = self.lower_bound_
        lower_bound, resp = self._e_step(stats)
        self._m_step(stats, resp)
        self.lower_bound_ = lower_bound
        self.n_steps_ += 1
        self.n_iter_ = self.n_steps_
        self.converged_ = bool(abs(lower_bound - previous) < self.tol)
        return lower_bound

    @property
    def is_initialized(self) -> bool:
        """True once parameters exist (after :meth:`fit` or the first :meth:`step`)."""
        return hasattr(self, "means_")

    def _snapshot(self) -> dict:
        keys = ("weights_", "means_", "covariances_", "converged_", "n_iter_", "lower_bound_")
        return {k: getattr(self, k) for k in keys}

    def _require_fitted(self) -> None:
        if not self.is_initialized:
            raise ValueError("This GaussianMixture is not fitted yet: call fit(X) or step(X) first")

    def _weighted_log_prob(self, X: np.ndarray) -> torch.Tensor:
        self._require_fitted()
        X = check_points(X)
        if X.shape[1] != self.means_.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features, the model was fitted on {self.means_.shape[1]}")
        return self._estimate_weighted_log_prob(_Design(X))

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """log p(x) for each row of X."""
        return torch.logsumexp(self._weighted_log_prob(X), dim=1).numpy()

    def score(self, X: np.ndarray, y: object = None) -> float:
        """Mean log-likelihood per point."""
        return float(self.score_samples(X).mean())

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Responsibilities p(k | x), shape (N, K)."""
        return torch.softmax(self._weighted_log_prob(X), dim=1).numpy()

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The most responsible component of each point."""
        return self._weighted_log_prob(X).argmax(dim=1).numpy()

    def sample(self, n_samples: int = 1, random_state: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n_samples`` points; returns (X, component labels) like scikit-learn."""
        self._require_fitted()
        if n_samples < 1:
            raise ValueError(f"n_samples must be at least 1, got {n_samples}")
        rng = np.random.default_rng(self.random_state if random_state is None else random_state)
        d = self.means_.shape[1]
        cov = self.full_covariances()
        counts = rng.multinomial(n_samples, self.weights_ / self.weights_.sum())
        labels = np.repeat(np.arange(self.n_components), counts)
        chol = np.linalg.cholesky(cov)
        eps = rng.standard_normal((n_samples, d))
        X = self.means_[labels] + np.einsum("nij,nj->ni", chol[labels], eps)
        return X, labels

    def _n_parameters(self) -> int:
        k, d = self.means_.shape
        cov_params = {
            "full": k * d * (d + 1) // 2,
            "tied": d * (d + 1) // 2,
            "diag": k * d,
            "spherical": k,
        }[self.covariance_type]
        return int(cov_params + k * d + k - 1)

    def bic(self, X: np.ndarray) -> float:
        """Bayesian information criterion: lower is better."""
        n = check_points(X).shape[0]
        return -2 * self.score(X) * n + self._n_parameters() * math.log(n)

    def aic(self, X: np.ndarray) -> float:
        """Akaike information criterion: lower is better."""
        n = check_points(X).shape[0]
        return -2 * self.score(X) * n + 2 * self._n_parameters()


class _Design:
    """The features [1, x, vec(x x^T)] of centred points: EM's sufficient statistics are sums of them."""

    def __init__(self, X: np.ndarray) -> None:
        x = torch.tensor(X, dtype=_DTYPE)  # a copy: callers' arrays may be read-only
        self.n_features = x.shape[1]
        self.shift = x.mean(dim=0)  # centring keeps x x^T - mu mu^T accurate for far-off data
        xc = x - self.shift
        outer = (xc[:, :, None] * xc[:, None, :]).reshape(len(xc), -1)
        self.features = torch.cat([torch.ones(len(xc), 1, dtype=_DTYPE), xc, outer], dim=1)


def _kmeans_plusplus(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding: each new centre is drawn with probability proportional to D(x)^2."""
    centres = [X[rng.integers(len(X))]]
    closest = ((X - centres[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        total = closest.sum()
        idx = rng.choice(len(X), p=closest / total) if total > 0 else rng.integers(len(X))
        centres.append(X[idx])
        closest = np.minimum(closest, ((X - X[idx]) ** 2).sum(axis=1))
    return np.stack(centres)
