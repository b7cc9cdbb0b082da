"""A GAN on 2-D points, small enough to train live on a CPU and to watch every sample.

A generator G turns noise z ~ N(0, I) into points; a discriminator D scores points as real or fake.
The two are trained against each other with one of four classic losses. A GAN is an *implicit* model:
it samples, but gives no p(x). Everything here is plain torch on float32; no gradio.

    from generative.gan2d import Gan2D
    gan = Gan2D(points, seed=0)          # the defaults are the stable setting
    gan.step(500)                        # 500 iterations (each: d_steps D updates, one G update)
    gan.sample(1000)                     # (1000, 2) numpy array
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import ParamSpec, TypeVar

import numpy as np
import torch
from torch.nn import functional as F

from generative.device import one_cpu_thread
from generative.points import check_points

P = ParamSpec("P")
R = TypeVar("R")

LOSSES: tuple[str, ...] = ("minimax", "non-saturating", "hinge", "wgan-gp")
MAX_ITERATIONS_PER_CALL = 100_000


@dataclass(frozen=True)
class Settings:
    """Hyper-parameters of a :class:`Gan2D`; the defaults are the stable setting (covers the 8-ring)."""

    loss: str = "hinge"
    lr_g: float = 1.5e-3
    lr_d: float = 3e-3
    d_steps: int = 1
    noise_dim: int = 4
    hidden: int = 64
    batch: int = 128
    gp_weight: float = 1.0

    def check(self) -> Settings:
        """Self, or a ValueError that says which value is impossible and what is allowed."""
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}; got {self.loss!r}")
        for name in ("lr_g", "lr_d"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and 0 < value <= 0.1):
                raise ValueError(f"{name} (a learning rate) must be a number in (0, 0.1]; got {value!r}")
        limits = {"d_steps": (1, 10), "noise_dim": (2, 8), "hidden": (4, 512), "batch": (8, 4096)}
        for name, (low, high) in limits.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number from {low} to {high}; got {value!r}")
        if not (isinstance(self.gp_weight, (int, float)) and math.isfinite(self.gp_weight) and self.gp_weight >= 0):
            raise ValueError(f"gp_weight must be a number >= 0; got {self.gp_weight!r}")
        return self


SCENARIOS: dict[str, Settings] = {
    "stable: covers all 8 modes": Settings(),
    "mode collapse": Settings(loss="non-saturating", lr_g=5e-3, lr_d=5e-4),
    "too-strong D, minimax loss: vanishing gradient": Settings(loss="minimax", lr_g=1e-4, lr_d=5e-3, d_steps=5),
}
"""Settings that show the classic behaviours on the 8-ring preset within a minute (see tests/test_gan2d.py)."""


@dataclass
class History:
    """One entry per iteration: the last D loss, the G loss, and mean D(real), D(fake) as probabilities."""

    d_loss: list[float]
    g_loss: list[float]
    d_real: list[float]
    d_fake: list[float]

    def __len__(self) -> int:
        return len(self.g_loss)


def single_threaded(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` with one torch thread (then restore the count) and without autograd.

    These networks are so small that splitting an operation over threads only adds waiting; on a busy
    2-core machine two threads made 50 iterations take seconds instead of about 150 ms.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with one_cpu_thread(), torch.no_grad():
            return fn(*args, **kwargs)

    return wrapper


class MLP:
    """A two-hidden-layer perceptron with hand-written backpropagation, its parameters in one flat tensor.

    On networks this small, autograd's and the optimiser's per-call bookkeeping cost several times more than
    the arithmetic, so the forward and backward passes are written out. Initialised as ``torch.nn.Linear``.
    ``slope`` is the leaky-ReLU slope for negative inputs (0: plain ReLU).
    """

    def __init__(self, n_in: int, hidden: int, n_out: int, slope: float, generator: torch.Generator) -> None:
        self.slope = slope
        shapes = [(n_in, hidden), (hidden,), (hidden, hidden), (hidden,), (hidden, n_out), (n_out,)]
        sizes = [math.prod(shape) for shape in shapes]
        self.theta = torch.empty(sum(sizes))
        self.grad = torch.zeros_like(self.theta)
        self.params = [v.view(shape) for v, shape in zip(self.theta.split(sizes), shapes)]
        self.grads = [v.view(shape) for v, shape in zip(self.grad.split(sizes), shapes)]
        for i in range(0, 6, 2):
            bound = 1 / math.sqrt(shapes[i][0])
            for p in self.params[i : i + 2]:
                p.uniform_(-bound, bound, generator=generator)

    def _slopes(self, pre: torch.Tensor) -> torch.Tensor:
        """1 where ``pre`` > 0, else ``slope``: the same numbers as ``torch.where(pre > 0, 1.0, slope)``, from
        sign and clamp because a comparison into a bool tensor costs several times more on tensors this small."""
        positive = torch.sign(pre).clamp_(min=0)
        return positive.mul_(1 - self.slope).add_(self.slope) if self.slope else positive

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple]:
        """(output, what :meth:`backward` needs)."""
        w1, b1, w2, b2, w3, b3 = self.params
        pre1 = torch.addmm(b1, x, w1)
        s1 = self._slopes(pre1)
        h1 = pre1 * s1
        pre2 = torch.addmm(b2, h1, w2)
        s2 = self._slopes(pre2)
        h2 = pre2 * s2
        return torch.addmm(b3, h2, w3), (x, s1, h1, s2, h2)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward(x)[0]

    def backward(self, cache: tuple, d_out: torch.Tensor, accumulate: bool) -> torch.Tensor:
        """Gradient with respect to the input; with ``accumulate``, parameter gradients are added to ``grad``."""
        x, s1, h1, s2, h2 = cache
        _, _, w2, _, w3, _ = self.params
        g1, gb1, g2, gb2, g3, gb3 = self.grads
        d_pre2 = (d_out @ w3.T) * s2
        d_pre1 = (d_pre2 @ w2.T) * s1
        if accumulate:
            g3.addmm_(h2.T, d_out)
            gb3.add_(d_out.sum(0))
            g2.addmm_(h1.T, d_pre2)
            gb2.add_(d_pre2.sum(0))
            g1.addmm_(x.T, d_pre1)
            gb1.add_(d_pre1.sum(0))
        return d_pre1 @ self.params[0].T

    def add_gradient_penalty(self, x: torch.Tensor, weight: float) -> None:
        """Add the gradient of ``weight * mean((|d out / d x| - 1)^2)`` (WGAN-GP) to ``grad``; needs n_out = 1.

        The activations are piecewise linear, so d out / d x = W1 (s1 * (W2 (s2 * w3))) with the slopes s
        fixed at x, and the penalty's gradient follows by the chain rule through these three products.
        """
        _, s1, _, s2, _ = self.forward(x)[1]
        w1, _, w2, _, w3, _ = self.params
        g1, _, g2, _, g3, _ = self.grads
        u = s2 * w3[:, 0]
        v = (u @ w2.T) * s1
        g = v @ w1.T
        norm = g.norm(dim=1, keepdim=True).clamp_min(1e-12)
        c = (2 * weight / len(x)) * (norm - 1) / norm * g
        g1.addmm_(c.T, v)
        d_a = (c @ w1) * s1
        g2.addmm_(d_a.T, u)
        g3[:, 0].add_(((d_a @ w2) * s2).sum(0))

    @staticmethod
    def input_gradient_penalty(model: MLP, x: torch.Tensor) -> torch.Tensor:
        """mean((|d out / d x| - 1)^2) at x (for the record and the tests)."""
        _, s1, _, s2, _ = model.forward(x)[1]
        w1, _, w2, _, w3, _ = model.params
        g = (((s2 * w3[:, 0]) @ w2.T) * s1) @ w1.T
        return ((g.norm(dim=1) - 1) ** 2).mean()


class Adam:
    """Adam on one flat parameter tensor (five tensor operations per update)."""

    def __init__(self, model: MLP, lr: float, betas: tuple[float, float] = (0.5, 0.9), eps: float = 1e-8) -> None:
        self.model, self.lr, self.betas, self.eps = model, lr, betas, eps
        self.m, self.v, self.t = torch.zeros_like(model.theta), torch.zeros_like(model.theta), 0

    def step(self) -> None:
        """Update the parameters from ``model.grad`` and zero it."""
        (b1, b2), g = self.betas, self.model.grad
        self.t += 1
        self.m.lerp_(g, 1 - b1)
        self.v.mul_(b2).addcmul_(g, g, value=1 - b2)
        denom = (self.v / (1 - b2**self.t)).sqrt_().add_(self.eps)
        self.model.theta.addcdiv_(self.m, denom, value=-self.lr / (1 - b1**self.t))
        g.zero_()


# d(loss)/d(logit) per sample, times the batch size: (real, fake) for D, and fake for G
def _d_loss_and_grads(loss: str, l_real: torch.Tensor, l_fake: torch.Tensor) -> tuple[float, torch.Tensor, torch.Tensor]:
    if loss in ("minimax", "non-saturating"):  # -log D(x) - log(1 - D(G(z)))
        value = F.softplus(-l_real).mean() + F.softplus(l_fake).mean()
        return float(value), -torch.sigmoid(-l_real), torch.sigmoid(l_fake)
    if loss == "hinge":
        value = F.relu(1 - l_real).mean() + F.relu(1 + l_fake).mean()
        return float(value), torch.sign(1 - l_real).clamp_(min=0).neg_(), torch.sign(l_fake + 1).clamp_(min=0)
    return float(l_fake.mean() - l_real.mean()), -torch.ones_like(l_real), torch.ones_like(l_fake)


def _g_loss_and_grad(loss: str, l_fake: torch.Tensor) -> tuple[float, torch.Tensor]:
    if loss == "minimax":  # log(1 - D(G(z))), minimised: it saturates when D is sure
        return float(-F.softplus(l_fake).mean()), -torch.sigmoid(l_fake)
    if loss == "non-saturating":  # -log D(G(z))
        return float(F.softplus(-l_fake).mean()), -torch.sigmoid(-l_fake)
    return float(-l_fake.mean()), -torch.ones_like(l_fake)  # hinge and WGAN-GP


class Gan2D:
    """A generator and a discriminator (two-hidden-layer MLPs) trained on fixed 2-D points.

    The points are standardised inside (one shift, one scale), so any units work; every method takes and
    returns points in the caller's units. The same points, seed and settings give the same run.
    """

    def __init__(self, points: np.ndarray, seed: int = 0, **settings) -> None:
        unknown = set(settings) - {f.name for f in fields(Settings)}
        if unknown:
            raise ValueError(f"unknown setting(s) {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(f.name for f in fields(Settings))}")
        self.settings = replace(Settings(), **settings).check()
        points = check_points(points, "points")
        if points.shape[1] != 2:
            raise ValueError(f"points must have two columns (x, y); got {points.shape[1]}")
        if len(points) < 2:
            raise ValueError(f"a GAN needs at least 2 distinct points to learn from; got {len(points)}")
        scale = float(points.std(axis=0).mean())
        if not scale > 1e-9 * max(1.0, float(np.abs(points).max())):
            raise ValueError("all points are identical: a GAN needs points that differ to learn a distribution")
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= seed < 2**63:
            raise ValueError(f"seed must be a whole number >= 0; got {seed!r}")
        self.seed = int(seed)
        self.shift, self.scale = points.mean(axis=0), scale
        self.points = points
        self._real = torch.from_numpy((points - self.shift) / scale).float()
        s = self.settings
        self._rng = torch.Generator().manual_seed(self.seed)
        self.generator = MLP(s.noise_dim, s.hidden, 2, 0.0, self._rng)
        self.discriminator = MLP(2, s.hidden, 1, 0.2, self._rng)
        self._opt_g = Adam(self.generator, s.lr_g)
        self._opt_d = Adam(self.discriminator, s.lr_d)
        self.history = History([], [], [], [])
        self.critic_midpoint = 0.0  # WGAN-GP only: the critic value halfway between real and fake, for prob_real

    # ------------------------------------------------------------------ training
    @property
    def iterations(self) -> int:
        """Iterations run so far (each is ``d_steps`` D updates and one G update)."""
        return len(self.history)

    def _noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.settings.noise_dim, generator=self._rng)

    def _d_update(self) -> tuple[float, torch.Tensor, torch.Tensor]:
        """One discriminator update on a real and a fake batch; (loss, logits on real, logits on fake)."""
        s, d = self.settings, self.discriminator
        real = self._real[torch.randint(len(self._real), (s.batch,), generator=self._rng)]
        fake = self.generator(self._noise(s.batch))
        logits, cache = d.forward(torch.cat([real, fake]))
        l_real, l_fake = logits[: s.batch, 0], logits[s.batch:, 0]
        value, g_real, g_fake = _d_loss_and_grads(s.loss, l_real, l_fake)
        d.backward(cache, torch.cat([g_real, g_fake])[:, None] / s.batch, accumulate=True)
        if s.loss == "wgan-gp":
            t = torch.rand(s.batch, 1, generator=self._rng)
            between = t * real + (1 - t) * fake
            d.add_gradient_penalty(between, s.gp_weight)
            value += s.gp_weight * float(MLP.input_gradient_penalty(d, between))
        self._opt_d.step()
        return value, l_real, l_fake

    def _g_update(self) -> float:
        s, g, d = self.settings, self.generator, self.discriminator
        fake, g_cache = g.forward(self._noise(s.batch))
        logits, d_cache = d.forward(fake)
        value, grad = _g_loss_and_grad(s.loss, logits[:, 0])
        g.backward(g_cache, d.backward(d_cache, grad[:, None] / s.batch, accumulate=False), accumulate=True)
        self._opt_g.step()
        return value

    def _probability(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(logits - self.critic_midpoint)

    @single_threaded
    def step(self, n: int = 1) -> None:
        """Run ``n`` iterations: ``d_steps`` discriminator updates, then one generator update, each."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_ITERATIONS_PER_CALL:
            raise ValueError(f"n (iterations) must be a whole number from 1 to {MAX_ITERATIONS_PER_CALL:,}; got {n!r}")
        s, h = self.settings, self.history
        for _ in range(int(n)):
            for _ in range(s.d_steps):
                d_loss, l_real, l_fake = self._d_update()
            if s.loss == "wgan-gp":
                self.critic_midpoint = float(l_real.mean() + l_fake.mean()) / 2
            g_loss = self._g_update()
            if not (math.isfinite(d_loss) and math.isfinite(g_loss)):
                raise FloatingPointError(
                    f"training diverged at iteration {len(h) + 1} (a loss became NaN or infinite): "
                    "lower the learning rates and start again")
            h.d_loss.append(d_loss)
            h.g_loss.append(g_loss)
            h.d_real.append(float(self._probability(l_real).mean()))
            h.d_fake.append(float(self._probability(l_fake).mean()))

    # ------------------------------------------------------------------ looking at the model
    def _to_model(self, points: np.ndarray) -> torch.Tensor:
        points = check_points(points, "points")
        if points.shape[1] != 2:
            raise ValueError(f"points must have two columns (x, y); got {points.shape[1]}")
        return torch.from_numpy((points - self.shift) / self.scale).float()

    def _to_data(self, x: torch.Tensor) -> np.ndarray:
        return x.double().numpy() * self.scale + self.shift

    @staticmethod
    def _check_count(n: int, name: str = "n") -> int:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= 1_000_000:
            raise ValueError(f"{name} must be a whole number from 1 to 1,000,000; got {n!r}")
        return int(n)

    def noise(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` noise vectors z ~ N(0, I) from their own seed (the training stream is left alone)."""
        n = self._check_count(n)
        return torch.randn(n, self.settings.noise_dim, generator=torch.Generator().manual_seed(seed)).numpy()

    @single_threaded
    def generate(self, z: np.ndarray) -> np.ndarray:
        """G(z) for noise vectors z of shape (n, noise_dim), in data units."""
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.settings.noise_dim:
            raise ValueError(f"z must have shape (n, {self.settings.noise_dim}); got {z.shape}")
        return self._to_data(self.generator(torch.from_numpy(z)))

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` generated points, shape (n, 2); the same seed gives the same noise."""
        return self.generate(self.noise(n, seed))

    @single_threaded
    def prob_real(self, points: np.ndarray) -> np.ndarray:
        """The discriminator's P(real) at each point, shape (n,).

        For WGAN-GP the critic outputs an unbounded score, not a probability: this is then the logistic
        function of the score minus its midpoint between the last real and fake batches, so 0.5 still
        marks the boundary between "looks real" and "looks fake".
        """
        return self._probability(self.discriminator(self._to_model(points))[:, 0]).double().numpy()

    @single_threaded
    def generator_pull(self, n: int = 64, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """(fake points, pull): where the generator's loss pushes each of ``n`` generated points.

        ``pull`` is minus the gradient of the per-sample G loss with respect to the standardised point, in
        data units, shape (n, 2): a saturated loss (minimax against a confident D) shows as near-zero pulls.
        """
        x = self.generator(torch.from_numpy(self.noise(n, seed)))
        logits, cache = self.discriminator.forward(x)
        _, grad = _g_loss_and_grad(self.settings.loss, logits[:, 0])
        pull = -self.discriminator.backward(cache, grad[:, None], accumulate=False)
        return self._to_data(x), pull.double().numpy() * self.scale

    @single_threaded
    def generator_grid(self, lines: int = 11, points_per_line: int = 41, extent: float = 2.5) -> np.ndarray:
        """G's image of a square grid in the first two noise dimensions (the others at 0).

        Returns (2 * lines, points_per_line, 2): the images of ``lines`` horizontal then ``lines``
        vertical lines over [-extent, extent]^2, so drawing them shows how G folds the noise plane.
        """
        lines, points_per_line = self._check_count(lines, "lines"), self._check_count(points_per_line, "points_per_line")
        t = torch.linspace(-extent, extent, points_per_line)
        levels = torch.linspace(-extent, extent, lines)
        z = torch.zeros(2 * lines, points_per_line, self.settings.noise_dim)
        z[:lines, :, 0], z[:lines, :, 1] = t, levels[:, None]
        z[lines:, :, 0], z[lines:, :, 1] = levels[:, None], t
        return self._to_data(self.generator(z.reshape(-1, self.settings.noise_dim))).reshape(2 * lines, -1, 2)


@single_threaded
def energy_distance(x: np.ndarray, y: np.ndarray) -> float:
    """Energy distance 2 E|X - Y| - E|X - X'| - E|Y - Y'| between the empirical distributions of two point sets.

    Sample-based, so it scores an implicit model (a GAN) and explicit ones (GMM, KDE) alike; it is >= 0, and 0
    only for identical sets. Compare models on the same held-out set with the same number of samples.
    """
    a = torch.from_numpy(check_points(x, "x"))
    b = torch.from_numpy(check_points(y, "y"))
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"x and y must have the same number of columns; got {a.shape[1]} and {b.shape[1]}")
    return max(0.0, float(2 * torch.cdist(a, b).mean() - torch.cdist(a, a).mean() - torch.cdist(b, b).mean()))


@single_threaded
def precision_recall(points: np.ndarray, samples: np.ndarray, neighbours: int = 3) -> tuple[float, float]:
    """(precision, recall) of samples against data points, by nearest neighbours.

    A sample is *precise* if a data point lies within r of it; a data point is *recalled* if a sample lies
    within r of it. r is twice the median distance from a data point to its ``neighbours``-th nearest other
    data point. Low recall with high precision is the signature of mode collapse.
    """
    a = torch.from_numpy(check_points(points, "points"))
    b = torch.from_numpy(check_points(samples, "samples"))
    if len(a) <= neighbours:
        raise ValueError(f"precision and recall need more than {neighbours} data points; got {len(a)}")
    within = torch.cdist(a, a)
    r = 2 * float(within.kthvalue(neighbours + 1, dim=1).values.median())
    cross = torch.cdist(a, b)
    return float((cross.min(dim=0).values <= r).double().mean()), float((cross.min(dim=1).values <= r).double().mean())


def mode_shares(samples: np.ndarray, centres: np.ndarray, radius: float) -> np.ndarray:
    """Fraction of ``samples`` within ``radius`` of each centre (a sample counts for its nearest centre)."""
    samples, centres = check_points(samples, "samples"), check_points(centres, "centres")
    dist = np.sqrt(((samples[:, None, :] - centres[None]) ** 2).sum(-1))
    nearest = dist.argmin(axis=1)
    close = dist[np.arange(len(samples)), nearest] <= radius
    return np.bincount(nearest[close], minlength=len(centres)) / len(samples)
