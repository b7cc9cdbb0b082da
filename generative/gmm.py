"""Gaussian mixture models fitted by expectation-maximisation, written in torch.

p(x) = sum_k pi_k N(x | mu_k, Sigma_k) is an *explicit* density: it can be evaluated at any x,
unlike the implicit density of a GAN. ``GaussianMixture`` is a drop-in for scikit-learn's: the same
constructor arguments, methods, attributes, shapes, dtypes, error messages, ``NotFittedError`` and
``ConvergenceWarning``; scikit-learn's own test file runs against it (tests/test_gmm_sklearn_suite.py).

Why it is fast: log N(x | mu_k, Sigma_k) is linear in the features phi(x) = [1, x, x x^T] (only the
part of x x^T the covariance type needs), so one EM iteration is one (K, F) x (F, N) matrix product,
one exp over the (K, N) result, and one (K, N) x (N, F) product that gives every weight, mean and
covariance at once. The features are built once per fit; nothing loops over components or points.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from generative.device import one_cpu_thread
from generative.kde import KernelDensity
from generative.points import check_points

__all__ = [
    "GaussianMixture", "KernelDensity", "expand_covariances", "CovarianceType", "NotFittedError", "ConvergenceWarning",
]

CovarianceType = Literal["full", "tied", "diag", "spherical"]
InitParams = Literal["kmeans++", "kmeans", "k-means++", "random", "random_from_data"]
COVARIANCE_TYPES: tuple[str, ...] = ("full", "tied", "diag", "spherical")
INIT_PARAMS: tuple[str, ...] = ("kmeans++", "kmeans", "k-means++", "random", "random_from_data")
_DTYPE = torch.float64
_TINY = 10 * np.finfo(np.float64).eps  # scikit-learn's guard against empty components
_LOG_2PI = math.log(2 * math.pi)
_ONE_THREAD_ENTRIES = 1 << 22  # CPU fits with at most this many feature entries (N x F) run on one torch thread

COLLAPSE_MESSAGE = (  # scikit-learn's wording
    "Fitting the mixture model failed because some components have ill-defined empirical covariance (for instance "
    "caused by singleton or collapsed samples). Try to decrease the number of components, increase reg_covar, "
    "or scale the input data."
)
NOT_FITTED_MESSAGE = (
    "This GaussianMixture instance is not fitted yet. Call 'fit' with appropriate arguments before using this "
    "estimator."
)
NOT_CONVERGED_MESSAGE = (
    "Best performing initialization did not converge. Try different init parameters, or increase max_iter, tol, "
    "or check for degenerate data."
)


@functools.cache
def _sklearn_exceptions() -> tuple[type[Exception], type[Warning]]:
    """scikit-learn's ``NotFittedError`` and ``ConvergenceWarning``, so that code written for it catches ours.

    Imported on first use (importing scikit-learn takes a second); stand-ins with the same bases without it.
    """
    try:
        from sklearn.exceptions import ConvergenceWarning, NotFittedError
    except ImportError:
        class NotFittedError(ValueError, AttributeError):
            """Raised when a model is used before it is fitted."""

        class ConvergenceWarning(UserWarning):
            """Warns that EM stopped at max_iter before the lower bound settled."""
    return NotFittedError, ConvergenceWarning


def __getattr__(name: str) -> type:
    if name == "NotFittedError":
        return _sklearn_exceptions()[0]
    if name == "ConvergenceWarning":
        return _sklearn_exceptions()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def _generator(random_state: object) -> np.random.Generator:
    """A numpy Generator from None, a seed, a Generator or a legacy RandomState (whose stream it advances)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return np.random.default_rng(random_state)
    raise ValueError(f"random_state must be None, an int, a numpy Generator or RandomState, got {random_state!r}")


@dataclass
class _Params:
    """A mixture as torch tensors, means in the design's centred coordinates: what an EM iteration reads and writes."""

    weights: torch.Tensor  # (K,)
    means: torch.Tensor  # (K, D)
    covariances: torch.Tensor  # scikit-learn's compact shape for the covariance type
    precisions: torch.Tensor  # the same shape
    half_log_det: torch.Tensor  # 0.5 log det of each precision: (K,), or () when tied


class _Design:
    """Centred points and their features phi(x) for one covariance type, as an (F, N) tensor.

    full: [1, x, x_i x_j for i <= j]; diag: [1, x, x^2]; spherical: [1, x, |x|^2]; tied: [1, x] (its
    quadratic term is the same for every component, so it is added to the log-likelihood in closed form).
    """

    def __init__(self, X: np.ndarray, covariance_type: str, device: torch.device) -> None:
        x = torch.tensor(X, dtype=_DTYPE, device=device)  # a copy: callers' arrays may be read-only
        self.n, self.d = x.shape
        self.shift = x.mean(dim=0)  # centring keeps E[x x^T] - mu mu^T accurate for far-off data
        self.x = x - self.shift
        xt = self.x.T.contiguous()  # (D, N): rows of features are written whole, never transposed
        d = self.d
        quadratic = {"full": d * (d + 1) // 2, "diag": d, "spherical": 1, "tied": 0}[covariance_type]
        self.features_t = torch.empty(1 + d + quadratic, self.n, dtype=_DTYPE, device=device)
        self.features_t[0] = 1.0
        self.features_t[1 : 1 + d] = xt
        if covariance_type == "full":
            rows, cols = torch.triu_indices(d, d, device=device)
            torch.mul(xt[rows], xt[cols], out=self.features_t[1 + d :])
        elif covariance_type == "diag":
            torch.mul(xt, xt, out=self.features_t[1 + d :])
        elif covariance_type == "spherical":
            torch.sum(xt * xt, dim=0, out=self.features_t[1 + d])
        else:
            self.scatter = xt @ self.x  # sum_n x x^T: all the tied M step needs besides the means


def _precisions(covariances: torch.Tensor, covariance_type: str, d: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Precisions and half their log-determinants (D features); a ValueError if a covariance is not positive
    definite."""
    if covariance_type in ("full", "tied"):
        chol, info = torch.linalg.cholesky_ex(covariances)
        if bool((info != 0).any()):
            raise ValueError(COLLAPSE_MESSAGE)
        half_log_det = -torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(dim=-1)
        return torch.cholesky_inverse(chol), half_log_det
    if bool((covariances <= 0).any()):
        raise ValueError(COLLAPSE_MESSAGE)
    log_var = torch.log(covariances)
    return 1.0 / covariances, -0.5 * (log_var.sum(dim=1) if covariance_type == "diag" else d * log_var)


@contextlib.contextmanager
def _threads_for(design: _Design) -> Iterator[None]:
    """One torch thread while EM runs on a small CPU problem (up to ``_ONE_THREAD_ENTRIES`` feature entries).

    Each operation is then tens of microseconds of arithmetic, and splitting it over threads only adds waiting:
    on a busy 2-core machine two threads made ``bench.gmm`` fits 8-60x slower (10k x 2 full: 4.6 s, not 81 ms).
    """
    features = design.features_t
    with one_cpu_thread(features.device.type == "cpu" and features.numel() <= _ONE_THREAD_ENTRIES):
        yield


def _normalise(log_prob: torch.Tensor) -> float:
    """Turn (K, N) weighted log-densities into responsibilities in place; return the mean log-likelihood."""
    if log_prob.device.type != "cpu":
        return _normalise_torch(log_prob)
    r = log_prob.numpy()  # the same memory: numpy's exp and reductions are ~35 % faster than torch's here (measured)
    top = r.max(axis=0)
    r -= top
    np.exp(r, out=r)
    total = r.sum(axis=0)
    r /= total
    return float((top + np.log(total)).mean())


def _normalise_torch(log_prob: torch.Tensor) -> float:
    """:func:`_normalise` in torch, for tensors on a GPU."""
    top = log_prob.amax(dim=0)
    log_prob.sub_(top).exp_()
    total = log_prob.sum(dim=0)
    log_prob.div_(total)
    return float((top + torch.log(total)).mean())


def _precision_cholesky(covariances: np.ndarray, covariance_type: str) -> np.ndarray:
    """scikit-learn's ``precisions_cholesky_``: upper-triangular U with U U^T = precision, or 1/sqrt(variance)."""
    if covariance_type in ("full", "tied"):
        inverse = np.linalg.inv(np.linalg.cholesky(covariances))
        return np.swapaxes(inverse, -1, -2)
    return 1.0 / np.sqrt(covariances)


class GaussianMixture:
    """A Gaussian mixture fitted by EM: scikit-learn's constructor, methods, attributes and exceptions.

    Beyond scikit-learn: :meth:`step` runs one EM iteration, so that a caller can animate EM; the default
    ``init_params='kmeans++'`` (k-means++ seeds, each point given to its nearest seed) leaves EM more of the
    work than scikit-learn's default ``'kmeans'``, which is also accepted; ``device`` runs EM on a GPU.
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
        init_params: InitParams = "kmeans++",
        weights_init: np.ndarray | None = None,
        means_init: np.ndarray | None = None,
        precisions_init: np.ndarray | None = None,
        random_state: int | np.random.Generator | np.random.RandomState | None = None,
        warm_start: bool = False,
        verbose: int = 0,
        verbose_interval: int = 10,
        device: str | torch.device = "cpu",
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
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.device = device

    # ------------------------------------------------------------------ scikit-learn estimator protocol
    def get_params(self, deep: bool = True) -> dict:
        """The constructor arguments, as scikit-learn's ``clone`` and grid searches read them."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params: object) -> GaussianMixture:
        """Change constructor arguments; returns self."""
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"Invalid parameter {name!r} for GaussianMixture; valid ones: {', '.join(valid)}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if not _same(v, defaults[k])]
        return f"GaussianMixture({', '.join(changed)})"

    # ------------------------------------------------------------------ validation
    def _check_parameters(self, X: np.ndarray) -> None:
        n, d = X.shape
        k = self.n_components
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"n_components must be a positive integer, got {k!r}")
        if n < k:
            raise ValueError(
                f"n_components={k} needs at least {k} points, but there are {n}: add points or lower the number "
                "of components"
            )
        if self.covariance_type not in COVARIANCE_TYPES:
            raise ValueError(f"covariance_type must be one of {COVARIANCE_TYPES}, got {self.covariance_type!r}")
        if self.init_params not in INIT_PARAMS:
            raise ValueError(f"init_params must be one of {INIT_PARAMS}, got {self.init_params!r}")
        if not (isinstance(self.reg_covar, (int, float)) and self.reg_covar >= 0 and math.isfinite(self.reg_covar)):
            raise ValueError(f"reg_covar must be a finite number >= 0, got {self.reg_covar!r}")
        if not (isinstance(self.tol, (int, float)) and self.tol >= 0):
            raise ValueError(f"tol must be a number >= 0, got {self.tol!r}")
        for name, least in (("max_iter", 0), ("n_init", 1), ("verbose_interval", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
                raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
        if self.weights_init is not None:
            self.weights_init = _check_weights(self.weights_init, k)
        if self.means_init is not None:
            self.means_init = _check_array(self.means_init, (k, d), "means")
        if self.precisions_init is not None:
            self.precisions_init = _check_precisions(self.precisions_init, self.covariance_type, k, d)

    def _validate_data(self, X: np.ndarray) -> tuple[np.ndarray, type]:
        """X as float64 points, and the float dtype the results keep (float32 stays float32, like scikit-learn)."""
        dtype = np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64
        return check_points(X), dtype

    # ------------------------------------------------------------------ the EM iteration
    def _coefficients(self, p: _Params) -> torch.Tensor:
        """(K, F) coefficients with log pi_k + log N(x | mu_k, Sigma_k) = coefficients @ phi(x) (tied: up to its
        shared quadratic term)."""
        prec, means = p.precisions, p.means
        quad: list[torch.Tensor] = []
        if self.covariance_type == "full":
            lin = (prec @ means[:, :, None])[:, :, 0]
            d = means.shape[1]
            rows, cols = torch.triu_indices(d, d, device=means.device)
            quad = [-prec[:, rows, cols] * torch.where(rows == cols, 0.5, 1.0).to(_DTYPE)]
        elif self.covariance_type == "tied":
            lin = means @ prec
        elif self.covariance_type == "diag":
            lin = prec * means
            quad = [-0.5 * prec]
        else:
            lin = prec[:, None] * means
            quad = [-0.5 * prec[:, None]]
        const = torch.log(p.weights) + p.half_log_det - 0.5 * ((lin * means).sum(dim=1) + means.shape[1] * _LOG_2PI)
        return torch.cat([const[:, None], lin, *quad], dim=1)

    def _weighted_log_prob(self, design: _Design, p: _Params) -> torch.Tensor:
        """log pi_k + log N(x_n | mu_k, Sigma_k), shape (K, N)."""
        log_prob = self._coefficients(p) @ design.features_t
        if self.covariance_type == "tied":
            log_prob -= 0.5 * ((design.x @ p.precisions) * design.x).sum(dim=1)
        return log_prob

    def _e_step(self, design: _Design, p: _Params) -> tuple[float, torch.Tensor]:
        """Mean log-likelihood and responsibilities (K, N): one product, one exp, one sum."""
        resp = self._coefficients(p) @ design.features_t
        log_likelihood = _normalise(resp)
        if self.covariance_type == "tied":  # the quadratic term all components share, in closed form
            log_likelihood -= 0.5 * float((p.precisions * design.scatter).sum()) / design.n
        return log_likelihood, resp

    def _m_step(self, design: _Design, resp: torch.Tensor, n_total: float | None = None) -> _Params:
        """Weights, means and covariances from the responsibility-weighted sums of the features."""
        d = design.d
        sums = resp @ design.features_t.T  # (K, F)
        nk = sums[:, 0] + _TINY
        means = sums[:, 1 : 1 + d] / nk[:, None]
        second = sums[:, 1 + d :]
        reg = self.reg_covar
        if self.covariance_type == "full":
            cov = second[:, _symmetric_index(d, design.x.device)].reshape(-1, d, d) / nk[:, None, None]
            cov = cov - means[:, :, None] * means[:, None, :]
            cov.diagonal(dim1=1, dim2=2).add_(reg)
        elif self.covariance_type == "tied":
            cov = (design.scatter - (nk[:, None] * means).T @ means) / nk.sum()
            cov.diagonal().add_(reg)
        elif self.covariance_type == "diag":
            cov = second / nk[:, None] - means * means + reg
        else:
            cov = (second[:, 0] / nk - (means * means).sum(dim=1)) / d + reg
        precisions, half_log_det = _precisions(cov, self.covariance_type, d)
        weights = nk / (nk.sum() if n_total is None else n_total)
        return _Params(weights, means, cov, precisions, half_log_det)

    # ------------------------------------------------------------------ initialisation
    def _initial_params(self, X: np.ndarray, design: _Design, rng: np.random.Generator) -> _Params:
        """The start: estimated from ``init_params`` responsibilities, with the given weights, means or precisions
        in place of the estimates (when all three are given nothing is estimated, as in scikit-learn)."""
        as_tensor = functools.partial(torch.as_tensor, dtype=_DTYPE, device=design.x.device)
        estimate = None
        if any(v is None for v in (self.weights_init, self.means_init, self.precisions_init)):
            estimate = self._m_step(design, as_tensor(self._initial_resp(X, rng)), n_total=design.n)
        weights = estimate.weights if self.weights_init is None else as_tensor(self.weights_init)
        means = estimate.means if self.means_init is None else as_tensor(self.means_init) - design.shift
        if self.precisions_init is None:
            return _Params(weights, means, estimate.covariances, estimate.precisions, estimate.half_log_det)
        precisions = as_tensor(self.precisions_init)
        full = self.covariance_type in ("full", "tied")
        covariances = torch.linalg.inv(precisions) if full else 1.0 / precisions
        return _Params(weights, means, covariances, precisions, _precisions(covariances, self.covariance_type, design.d)[1])

    def _initial_resp(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """(K, N) responsibilities to start from, as ``init_params`` says."""
        n, k = len(X), self.n_components
        if self.init_params == "random":
            resp = rng.uniform(size=(k, n))
            return resp / resp.sum(axis=0)
        resp = np.zeros((k, n))
        if self.init_params == "random_from_data":
            resp[np.arange(k), rng.choice(n, size=k, replace=False)] = 1.0
        elif self.init_params == "k-means++":  # only the seeds themselves, as in scikit-learn
            resp[np.arange(k), _kmeans_plusplus(X, k, rng)] = 1.0
        elif self.init_params == "kmeans":
            resp[_kmeans(X, k, rng), np.arange(n)] = 1.0
        else:  # kmeans++: every point to its nearest k-means++ seed
            resp[_nearest(X, X[_kmeans_plusplus(X, k, rng)]), np.arange(n)] = 1.0
        return resp

    def _params_from_attributes(self, design: _Design) -> _Params:
        """The fitted parameters as torch tensors, to continue EM from (warm start, step) or to score new points."""
        if design.d != self.means_.shape[1]:
            raise ValueError(
                f"X has {design.d} features, but GaussianMixture is expecting {self.means_.shape[1]} features as input."
            )
        as_tensor = functools.partial(torch.as_tensor, dtype=_DTYPE, device=design.x.device)
        cov = as_tensor(self.covariances_)
        return _Params(as_tensor(self.weights_), as_tensor(self.means_) - design.shift, cov,
                       *_precisions(cov, self.covariance_type, design.d))

    def _store(self, p: _Params, design: _Design, dtype: type) -> None:
        """Set scikit-learn's fitted attributes from torch parameters."""
        def out(t: torch.Tensor) -> np.ndarray:
            return t.detach().cpu().numpy().astype(dtype)

        self.weights_ = out(p.weights)
        self.means_ = out(p.means + design.shift)
        self.covariances_ = out(p.covariances)
        self.precisions_ = out(p.precisions)
        cholesky = _precision_cholesky(p.covariances.detach().cpu().numpy(), self.covariance_type)
        self.precisions_cholesky_ = cholesky.astype(dtype)
        self.n_features_in_ = design.d

    # ------------------------------------------------------------------ public API
    def fit(self, X: np.ndarray, y: object = None) -> GaussianMixture:
        """Run EM from ``n_init`` initialisations and keep the one with the best lower bound."""
        self._fit(X)
        return self

    def fit_predict(self, X: np.ndarray, y: object = None) -> np.ndarray:
        """Fit, then label each point with its most responsible component (the same labels as ``predict``)."""
        return self._fit(X)

    def _fit(self, X: np.ndarray) -> np.ndarray:
        X, dtype = self._validate_data(X)
        self._check_parameters(X)
        design = _Design(X, self.covariance_type, torch.device(self.device))
        with _threads_for(design):
            return self._run_em(X, dtype, design)

    def _run_em(self, X: np.ndarray, dtype: type, design: _Design) -> np.ndarray:
        """EM from each initialisation (or from the fitted parameters, warm), keeping the best; returns labels."""
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        rng = _generator(self.random_state)
        best: tuple[_Params, int, list[float]] | None = None
        max_lower_bound = -np.inf
        self.converged_ = False
        for init in range(self.n_init if do_init else 1):
            self._print_init_start(init)
            p = self._initial_params(X, design, rng) if do_init else self._params_from_attributes(design)
            if self.max_iter == 0:
                best = (p, 0, [])
                continue
            lower_bound = -np.inf if do_init else self.lower_bound_
            bounds: list[float] = []
            converged = False
            for n_iter in range(1, self.max_iter + 1):
                previous = lower_bound
                lower_bound, resp = self._e_step(design, p)
                p = self._m_step(design, resp)
                bounds.append(lower_bound)
                self._print_iteration(n_iter, lower_bound - previous)
                if abs(lower_bound - previous) < self.tol:
                    converged = True
                    break
            self._print_init_end(lower_bound, converged)
            if lower_bound > max_lower_bound or max_lower_bound == -np.inf:
                max_lower_bound = lower_bound
                best = (p, n_iter, bounds)
                self.converged_ = converged
        if not self.converged_ and self.max_iter > 0:
            warnings.warn(NOT_CONVERGED_MESSAGE, _sklearn_exceptions()[1], stacklevel=4)  # the caller of fit
        assert best is not None
        p, self.n_iter_, self.lower_bounds_ = best
        self.lower_bound_ = max_lower_bound
        self._store(p, design, dtype)
        return self._weighted_log_prob(design, p).argmax(dim=0).cpu().numpy()

    def step(self, X: np.ndarray) -> float:
        """Run one EM iteration (initialising on the first call) and return the mean log-likelihood.

        The returned value is the log-likelihood of the parameters *before* this M step, as in
        scikit-learn's ``lower_bound_``; ``converged_`` turns true once it changes by less than ``tol``.
        """
        X, dtype = self._validate_data(X)
        self._check_parameters(X)
        design = _Design(X, self.covariance_type, torch.device(self.device))
        with _threads_for(design):
            if self.is_initialized:
                p, previous = self._params_from_attributes(design), self.lower_bound_
            else:
                p, previous = self._initial_params(X, design, _generator(self.random_state)), -np.inf
                self.n_iter_, self.lower_bounds_ = 0, []
            lower_bound, resp = self._e_step(design, p)
            self._store(self._m_step(design, resp), design, dtype)
        self.lower_bound_ = lower_bound
        self.lower_bounds_ = [*self.lower_bounds_, lower_bound]
        self.n_iter_ += 1
        self.converged_ = bool(abs(lower_bound - previous) < self.tol)
        return lower_bound

    @property
    def is_initialized(self) -> bool:
        """True once parameters exist (after :meth:`fit` or the first :meth:`step`)."""
        return hasattr(self, "means_")

    def full_covariances(self) -> np.ndarray:
        """The (K, D, D) covariance matrices, whatever the covariance type."""
        self._require_fitted()
        return expand_covariances(self.covariances_, self.covariance_type, *self.means_.shape)

    def _require_fitted(self) -> None:
        if not self.is_initialized:
            raise _sklearn_exceptions()[0](NOT_FITTED_MESSAGE)

    def _log_prob_of(self, X: np.ndarray) -> tuple[torch.Tensor, type]:
        """(K, N) weighted log-densities of new points under the fitted mixture, and the result dtype."""
        self._require_fitted()
        X, dtype = self._validate_data(X)
        design = _Design(X, self.covariance_type, torch.device(self.device))
        return self._weighted_log_prob(design, self._params_from_attributes(design)), dtype

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """log p(x) for each row of X."""
        log_prob, dtype = self._log_prob_of(X)
        return torch.logsumexp(log_prob, dim=0).cpu().numpy().astype(dtype)

    def score(self, X: np.ndarray, y: object = None) -> float:
        """Mean log-likelihood per point."""
        return float(self.score_samples(X).astype(np.float64).mean())

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Responsibilities p(k | x), shape (N, K)."""
        log_prob, dtype = self._log_prob_of(X)
        return torch.softmax(log_prob, dim=0).T.cpu().numpy().astype(dtype)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The most responsible component of each point."""
        return self._log_prob_of(X)[0].argmax(dim=0).cpu().numpy()

    def sample(self, n_samples: int = 1, random_state: object = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n_samples`` points; returns (X, component labels) like scikit-learn."""
        self._require_fitted()
        if n_samples < 1:
            raise ValueError(
                f"Invalid value for 'n_samples': {n_samples} . The sampling requires at least one sample."
            )
        rng = _generator(self.random_state if random_state is None else random_state)
        weights = self.weights_.astype(np.float64)
        counts = rng.multinomial(n_samples, weights / weights.sum())
        labels = np.repeat(np.arange(self.n_components), counts)
        chol = np.linalg.cholesky(self.full_covariances())
        eps = rng.standard_normal((n_samples, self.means_.shape[1]))
        X = self.means_.astype(np.float64)[labels] + np.einsum("nij,nj->ni", chol[labels], eps)
        return X, labels

    def _n_parameters(self) -> int:
        k, d = self.means_.shape
        cov_params = {"full": k * d * (d + 1) // 2, "tied": d * (d + 1) // 2, "diag": k * d, "spherical": k}
        return int(cov_params[self.covariance_type] + k * d + k - 1)

    def bic(self, X: np.ndarray) -> float:
        """Bayesian information criterion: lower is better."""
        n = check_points(X).shape[0]
        return -2 * self.score(X) * n + self._n_parameters() * math.log(n)

    def aic(self, X: np.ndarray) -> float:
        """Akaike information criterion: lower is better."""
        n = check_points(X).shape[0]
        return -2 * self.score(X) * n + 2 * self._n_parameters()

    # ------------------------------------------------------------------ verbose output, as scikit-learn prints it
    def _print_init_start(self, init: int) -> None:
        if self.verbose >= 1:
            print(f"Initialization {init}")
            self._init_time = self._iter_time = time.time()

    def _print_iteration(self, n_iter: int, change: float) -> None:
        if self.verbose >= 1 and n_iter % self.verbose_interval == 0:
            if self.verbose == 1:
                print(f"  Iteration {n_iter}")
            else:
                now = time.time()
                print(f"  Iteration {n_iter}\t time lapse {now - self._iter_time:.5f}s\t ll change {change:.5f}")
                self._iter_time = now

    def _print_init_end(self, lower_bound: float, converged: bool) -> None:
        status = "converged" if converged else "did not converge"
        if self.verbose == 1:
            print(f"Initialization {status}.")
        elif self.verbose >= 2:
            print(f"Initialization {status}. time lapse {time.time() - self._init_time:.5f}s\t lower bound "
                  f"{lower_bound:.5f}.")


# ---------------------------------------------------------------------- helpers
def _same(a: object, b: object) -> bool:
    return a is b or (not isinstance(a, np.ndarray) and not isinstance(b, np.ndarray) and a == b)


@functools.cache
def _symmetric_index_cpu(d: int) -> torch.Tensor:
    rows, cols = np.triu_indices(d)
    position = np.empty((d, d), dtype=np.int64)
    position[rows, cols] = position[cols, rows] = np.arange(len(rows))
    return torch.from_numpy(position.reshape(-1))


def _symmetric_index(d: int, device: torch.device) -> torch.Tensor:
    """For each entry (i, j) of a D x D matrix, the position of x_min(i,j) x_max(i,j) among the i <= j features."""
    return _symmetric_index_cpu(d).to(device)


def _check_array(value: object, shape: tuple[int, ...], name: str) -> np.ndarray:
    arr = np.asarray(value)
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"The parameter '{name}' must be numeric, got dtype {arr.dtype}")
    arr = arr.astype(arr.dtype if arr.dtype in (np.float32, np.float64) else np.float64)
    if arr.shape != shape:
        raise ValueError(f"The parameter '{name}' should have the shape of {shape}, but got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"The parameter '{name}' contains NaN or infinite values")
    return arr


def _check_weights(weights: object, k: int) -> np.ndarray:
    weights = _check_array(weights, (k,), "weights")
    if (weights < 0).any() or (weights > 1).any():
        raise ValueError(  # scikit-learn's message, min and max in its order
            "The parameter 'weights' should be in the range [0, 1], but got max value "
            f"{weights.min():.5f}, min value {weights.max():.5f}"
        )
    atol = 1e-6 if weights.dtype == np.float32 else 1e-8
    if not np.allclose(abs(1.0 - weights.sum()), 0.0, atol=atol):
        raise ValueError(f"The parameter 'weights' should be normalized, but got sum(weights) = {weights.sum():.5f}")
    return weights


def _check_precisions(precisions: object, covariance_type: str, k: int, d: int) -> np.ndarray:
    shape = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[covariance_type]
    precisions = _check_array(precisions, shape, f"{covariance_type} precision")
    if covariance_type in ("diag", "spherical"):
        if (precisions <= 0).any():
            raise ValueError(f"'{covariance_type} precision' should be positive")
        return precisions
    matrices = precisions.reshape(-1, d, d)
    symmetric = np.isclose(matrices, np.swapaxes(matrices, 1, 2)).all()
    if not (symmetric and (np.linalg.eigvalsh(matrices) > 0).all()):
        raise ValueError(f"'{covariance_type} precision' should be symmetric, positive-definite")
    return precisions


def _nearest(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of each point's nearest centre."""
    distances = (X * X).sum(axis=1)[:, None] - 2 * X @ centres.T + (centres * centres).sum(axis=1)[None]
    return distances.argmin(axis=1)


def _kmeans_plusplus(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of k-means++ seeds: each new seed drawn with probability proportional to D(x)^2."""
    chosen = [int(rng.integers(len(X)))]
    closest = ((X - X[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        total = closest.sum()
        idx = int(rng.choice(len(X), p=closest / total)) if total > 0 else int(rng.integers(len(X)))
        chosen.append(idx)
        closest = np.minimum(closest, ((X - X[idx]) ** 2).sum(axis=1))
    return np.array(chosen)


def _kmeans(X: np.ndarray, k: int, rng: np.random.Generator, max_iter: int = 300, tol: float = 1e-4) -> np.ndarray:
    """k-means labels (Lloyd's algorithm from k-means++ seeds), stopping as scikit-learn's KMeans does:
    when the centres move by less than ``tol`` times the mean variance of the data."""
    centres = X[_kmeans_plusplus(X, k, rng)]
    threshold = tol * X.var(axis=0).mean()
    for _ in range(max_iter):
        labels = _nearest(X, centres)
        members = (labels == np.arange(k)[:, None]).astype(np.float64)  # (K, N) one-hot
        counts, sums = members.sum(axis=1), members @ X
        moved = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], centres)
        shift, centres = ((moved - centres) ** 2).sum(), moved
        if shift <= threshold:
            break
    return _nearest(X, centres)
