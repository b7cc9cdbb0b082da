"""Train the face GAN on 64 x 64 CelebA crops, resumably, with small-data tricks.

    python -m generative.train.faces --data ../shared/data --threads 1 --minutes 60

Hinge loss, spectral normalisation in D, DiffAugment (colour, translation and, in the "base" recipe, cutout) on
every image D sees, horizontal flips of the real faces, an exponential moving average of G's weights (the exported
generator; "sg2-slow" keeps a second, slower one, exported with ``--ema slow``), and in the "r1" recipe a lazy R1
penalty on real images; the other recipes (:data:`RECIPES`) add measures against mode collapse. Checkpoints go to
``--checkpoints`` every few minutes; a rerun resumes there (or, without a checkpoint, from the shipped weights,
which every recipe's networks start from with the shipped function: see :func:`warm_start`; D then trains alone for
``--d-warmup`` steps and G's rate rises over ``--g-ramp`` steps, and "sg2-restart" keeps the new D alive). The curve
gets an FID row (``--fid-n`` faces vs as many holdout faces) every ``--fid-every`` minutes and at the end.
``--export`` writes the checkpoint as ``weights/faces-gan*.safetensors`` (the generator with its average w for
truncation) with manifest entries.
"""

from __future__ import annotations

import argparse
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

import generative
from generative.datasets import load_faces
from generative.faces import Discriminator, Generator, MinibatchStd
from generative.train import append_row, every, learning_curve, load_checkpoint, parser, save_checkpoint, start_run
from generative.weights import WEIGHTS_DIR, WeightsError, read_manifest, save_model

CONFIG_G = {"z_dim": 128, "width": 32}
CONFIG_D = {"width": 32}
LONE_SPREAD_FACES = 1024  # training faces on which an export measures D's minibatch spread for lone images


@dataclass(frozen=True)
class Recipe:
    """What a training step does: networks, loss, learning rates, Adam betas, augmentation, R1 penalty, EMA."""

    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta2: float = 0.99
    cutout: bool = True  # DiffAugment's cutout (colour and translation are always on)
    r1_gamma: float = 0.0  # R1 gradient penalty on real images, gamma / 2 * |grad D|^2
    r1_every: int = 16  # lazy regularisation (StyleGAN2): the penalty every this many steps, scaled up
    loss: str = "hinge"  # or "logistic": the non-saturating loss of StyleGAN
    ema_decay: float = 0.999  # G's EMA; half-life ln 2 / (1 - decay) steps: 690 at 0.999, 140 at 0.995
    slow_ema_decay: float = 0.0  # a second, slower EMA of G kept beside the first and scored with it (0: none)
    mapping_blocks: int = 0  # residual MLP blocks z -> w in G (generative.faces.MappingBlock)
    minibatch_std: bool = False  # minibatch standard deviation feature map before D's last conv
    spectral_norm: bool = True  # spectral normalisation of D's layers
    d_steps: int = 1  # D steps per G step

    @property
    def config_g(self) -> dict:
        """The generator's constructor arguments."""
        return {**CONFIG_G, "mapping_blocks": self.mapping_blocks}

    @property
    def config_d(self) -> dict:
        """The discriminator's constructor arguments."""
        return {**CONFIG_D, "minibatch_std": self.minibatch_std, "spectral_norm": self.spectral_norm}


_R1 = Recipe(cutout=False, r1_gamma=0.05)
_R1_EMA = replace(_R1, ema_decay=0.995)
RECIPES = {
    "base": Recipe(),  # hinge loss, spectral-norm D, DiffAugment colour + translation + cutout
    "r1": _R1,  # base without cutout, with a lazy R1 penalty (gamma 0.05) on top of spectral norm
    "r1-ema": _R1_EMA,  # r1 with a 5x shorter EMA, so that a run of a few hundred steps shows in the EMA generator
    "mbstd": replace(_R1_EMA, minibatch_std=True),  # r1-ema + minibatch std in D: D sees how much a group of faces varies
    "mapping": replace(_R1_EMA, mapping_blocks=4),  # r1-ema + a mapping network z -> w of 4 residual MLP blocks (8 layers)
    # StyleGAN2-like: D without spectral norm, non-saturating loss, lazy R1 gamma 0.0256 (0.0002 * 64^2 / 32), mbstd, mapping
    "sg2": replace(_R1_EMA, loss="logistic", spectral_norm=False, r1_gamma=0.0256, minibatch_std=True, mapping_blocks=4),
}
# sg2's late phase, to resume an sg2 run with: half the learning rates and G's EMA over 5x more steps (half-life 690),
# against the step-to-step swing of the EMA generator's FID (±3 between checkpoints of the long run)
RECIPES["sg2-late"] = replace(RECIPES["sg2"], lr_g=1e-4, lr_d=1e-4, ema_decay=0.999)
# sg2-late with a second EMA of half-life 3,466 steps beside the first: does a longer average beat that swing?
RECIPES["sg2-slow"] = replace(RECIPES["sg2-late"], slow_ema_decay=0.9998)
# sg2-slow for a run that restarts from the shipped weights without its checkpoint's D: a new D beside a trained G
# dies (outputs ~0 for every face) at one D step per G step; three, at D's rate of 2e-4, keep it alive
RECIPES["sg2-restart"] = replace(RECIPES["sg2-slow"], lr_d=2e-4, d_steps=3)
LOSSES = {  # (D's loss on its logits for real and fake, G's loss on D's logits for fake)
    "hinge": (lambda real, fake: F.relu(1 - real).mean() + F.relu(1 + fake).mean(), lambda fake: -fake.mean()),
    "logistic": (lambda real, fake: F.softplus(-real).mean() + F.softplus(fake).mean(), lambda fake: F.softplus(-fake).mean()),
}


def diff_augment(x: torch.Tensor, gen: torch.Generator, cutout: bool = True) -> torch.Tensor:
    """DiffAugment (Zhao et al. 2020): colour, translation by up to 1/8, cutout of half size."""
    n = len(x)
    x = x + (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (torch.rand(n, 1, 1, 1, generator=gen) * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * (torch.rand(n, 1, 1, 1, generator=gen) + 0.5) + mean
    shift = torch.randint(-8, 9, (n, 2), generator=gen)
    rows = torch.arange(64)[None] + 8 + shift[:, :1]  # (n, 64) source rows in the padded image
    cols = torch.arange(64)[None] + 8 + shift[:, 1:]
    x = F.pad(x, (8, 8, 8, 8))[torch.arange(n)[:, None, None], :, rows[:, :, None], cols[:, None, :]]
    x = x.permute(0, 3, 1, 2)
    if not cutout:
        return x
    centre = torch.randint(0, 64, (n, 2), generator=gen)
    yy, xx = torch.meshgrid(torch.arange(64), torch.arange(64), indexing="ij")
    inside = ((yy[None] - centre[:, 0, None, None]).abs() < 16) & ((xx[None] - centre[:, 1, None, None]).abs() < 16)
    return x * (~inside[:, None]).float()


def ema_update(ema: nn.Module, net: nn.Module, decay: float) -> None:
    """Move each parameter of ``ema`` toward ``net``'s: p_ema <- decay * p_ema + (1 - decay) * p."""
    with torch.no_grad():
        for p_ema, p in zip(ema.parameters(), net.parameters(), strict=True):
            p_ema.lerp_(p, 1 - decay)


@dataclass
class Trainer:
    """G, D, the EMA copy of G, their optimisers and the recipe; :meth:`step` runs one training step."""

    recipe: Recipe
    step_count: int = 0
    origin: str = "random initialisation"  # where the run started, for the manifest
    d_only_steps: int = 0  # steps of D alone (d_step)
    g: Generator = field(init=False)
    d: Discriminator = field(init=False)

    def __post_init__(self) -> None:
        self.g, self.d = Generator(**self.recipe.config_g), Discriminator(**self.recipe.config_d)
        self.g_ema = copy.deepcopy(self.g).eval().requires_grad_(False)
        self.g_slow = copy.deepcopy(self.g_ema) if self.recipe.slow_ema_decay else None
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=self.recipe.lr_g, betas=(0.0, self.recipe.beta2))
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=self.recipe.lr_d, betas=(0.0, self.recipe.beta2))

    def modules(self) -> dict:
        """Everything a checkpoint holds, by key."""
        slow = {"g_slow": self.g_slow} if self.g_slow is not None else {}
        return {"g": self.g, "d": self.d, "g_ema": self.g_ema, **slow, "opt_g": self.opt_g, "opt_d": self.opt_d}

    def averages(self) -> dict[str, Generator]:
        """The EMA generators by name: "fast" (``ema_decay``) and, if the recipe keeps one, "slow"."""
        return {"fast": self.g_ema, **({"slow": self.g_slow} if self.g_slow is not None else {})}

    def channels_last(self) -> None:
        """Channels-last memory format for both nets (faster convolutions on the CPU)."""
        for net in (self.g, self.d, *self.averages().values()):
            net.to(memory_format=torch.channels_last)

    def step(self, real: torch.Tensor, gen: torch.Generator,
             more_real: Callable[[], torch.Tensor] | None = None) -> list[float]:
        """``recipe.d_steps`` D steps (the last on ``real`` (N, 3, 64, 64) in [-1, 1], the others on new batches of
        ``more_real``) and one G step; returns the losses and D's outputs of the last."""
        r = self.recipe
        if r.d_steps > 1 and more_real is None:
            raise ValueError(f"this recipe takes {r.d_steps} D steps per G step: pass more_real")
        for _ in range(r.d_steps - 1):
            self.d_step(more_real(), gen)
        fake = self.g(torch.randn(len(real), self.g.z_dim, generator=gen))
        d_loss, d_real, d_fake = self._d_step(real, fake, gen, self.step_count)
        g_loss = LOSSES[r.loss][1](self.d(diff_augment(fake, gen, r.cutout)))
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        ema_update(self.g_ema, self.g, r.ema_decay)
        if self.g_slow is not None:
            ema_update(self.g_slow, self.g, r.slow_ema_decay)
        self.step_count += 1
        return [float(d_loss.detach()), float(g_loss.detach()), float(d_real.detach().mean()),
                float(d_fake.detach().mean())]

    def d_step(self, real: torch.Tensor, gen: torch.Generator) -> list[float]:
        """A step of D alone (G, its averages and the step count stay as they are), e.g. to bring a discriminator
        that G has moved away from up to date; returns D's loss and outputs."""
        with torch.no_grad():
            fake = self.g(torch.randn(len(real), self.g.z_dim, generator=gen))
        d_loss, d_real, d_fake = self._d_step(real, fake, gen, self.d_only_steps)
        self.d_only_steps += 1
        return [float(d_loss.detach()), float(d_real.detach().mean()), float(d_fake.detach().mean())]

    def _d_step(self, real: torch.Tensor, fake: torch.Tensor, gen: torch.Generator,
                count: int) -> tuple[torch.Tensor, ...]:
        r = self.recipe
        penalise = r.r1_gamma > 0 and count % r.r1_every == 0  # lazy R1 on every r1_every-th step
        real = real.detach().requires_grad_(penalise)
        d_real, d_fake = self.d(diff_augment(real, gen, r.cutout)), self.d(diff_augment(fake.detach(), gen, r.cutout))
        d_loss = LOSSES[r.loss][0](d_real, d_fake)
        if penalise:
            (grad,) = torch.autograd.grad(d_real.sum(), real, create_graph=True)
            d_loss = d_loss + r.r1_every * r.r1_gamma / 2 * grad.square().sum((1, 2, 3)).mean()
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        return d_loss, d_real, d_fake


def real_batch(faces: torch.Tensor, size: int, gen: torch.Generator) -> torch.Tensor:
    """A random batch of training faces (uint8 N x 3 x 64 x 64) as floats in [-1, 1], half of them mirrored."""
    real = faces[torch.randint(len(faces), (size,), generator=gen)].float() / 127.5 - 1
    flip = torch.rand(size, generator=gen) < 0.5
    real[flip] = real[flip].flip(3)
    return real


def _weighted_layers(d: Discriminator) -> list[nn.Module]:
    return [m for m in d.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def _spectral_norm_layers(d: Discriminator) -> int:
    return sum(parametrize.is_parametrized(m, "weight") for m in _weighted_layers(d))


def _copy_padded(target: torch.Tensor, source: torch.Tensor) -> None:
    """``source`` into the leading part of each dimension of ``target``, zeros elsewhere."""
    target.zero_()
    target[tuple(slice(0, size) for size in source.shape)] = source


def _has_minibatch_std(d: Discriminator) -> bool:
    return any(isinstance(m, MinibatchStd) for m in d.modules())


@torch.no_grad()
def warm_start_discriminator(d: Discriminator, source: Discriminator) -> None:
    """Give ``d`` the function of ``source`` (in eval mode) where ``d`` can hold it: a new minibatch-std channel's
    weights start at zero, and a layer without spectral norm takes a spectral-norm source's W / sigma. A source
    with minibatch std, or without spectral norm, fits only a ``d`` with the same (else :class:`WeightsError`)."""
    source.eval()
    if _has_minibatch_std(source) and not _has_minibatch_std(d):
        raise WeightsError("its discriminator has a minibatch-std layer and this recipe's has none")
    if _spectral_norm_layers(d) > _spectral_norm_layers(source):
        raise WeightsError("its discriminator has no spectral norm and this recipe's has")
    for target, layer in zip(_weighted_layers(d), _weighted_layers(source), strict=True):
        if parametrize.is_parametrized(target, "weight"):
            _copy_padded(target.parametrizations.weight.original, layer.parametrizations.weight.original)
            power, source_power = target.parametrizations.weight[0], layer.parametrizations.weight[0]
            power._u.copy_(source_power._u)
            _copy_padded(power._v, source_power._v)  # v's entries run over input channels first, as the weight's
        else:
            _copy_padded(target.weight, layer.weight)  # in eval mode: W / sigma without a power iteration
        target.bias.copy_(layer.bias)


def warm_start(trainer: Trainer) -> None:
    """Start from the shipped weights (fresh optimiser state) with their function: new mapping blocks are the
    identity and D's new parts start neutral (:func:`warm_start_discriminator`). Networks that cannot hold the
    shipped function (fewer mapping blocks, no minibatch std, spectral norm where the shipped D has none) raise
    :class:`WeightsError`."""
    shipped = read_manifest()["faces-gan"]
    try:
        missing, unexpected = trainer.g.load_state_dict(generative.load("faces-gan", device="cpu").state_dict(),
                                                        strict=False)
        if unexpected or any(not key.startswith("mapping_net.") for key in missing):
            raise WeightsError("its generator has parts this recipe's has not: " + ", ".join(unexpected or missing))
        warm_start_discriminator(trainer.d, generative.load("faces-gan-d", device="cpu"))
    except WeightsError as exc:
        raise WeightsError(f"this recipe cannot start from the shipped face GAN (`{shipped['command']}`): {exc}; "
                           "start it with --from-scratch") from None
    for average in trainer.averages().values():
        average.load_state_dict(trainer.g.state_dict())
    trainer.step_count = int(shipped["trained_steps"])
    trainer.origin = f"the shipped weights after step {trainer.step_count} (`{shipped['command']}`)"


def checkpoint(trainer: Trainer, recipe: str, ckpt_path: Path) -> None:
    """Save everything :func:`resume` needs to continue the run of ``recipe``."""
    save_checkpoint({**{k: m.state_dict() for k, m in trainer.modules().items()}, "step": trainer.step_count,
                     "recipe": recipe, "origin": trainer.origin}, ckpt_path)


def resume(trainer: Trainer, ckpt_path: Path, recipe: str, from_scratch: bool = False) -> bool:
    """Load the checkpoint if there is one (trained with ``recipe`` or one with the same networks), else the
    shipped weights (:func:`warm_start`) unless ``from_scratch``, else nothing; True if it took the shipped ones."""
    if ckpt_path.exists():
        ckpt = load_checkpoint(ckpt_path)
        before = RECIPES[ckpt["recipe"]]
        if (before.config_g, before.config_d) != (trainer.recipe.config_g, trainer.recipe.config_d):
            raise SystemExit(f"{ckpt_path} holds recipe {ckpt['recipe']!r}, whose networks differ from {recipe!r}'s: "
                             "pick another --name (or the same recipe)")
        for key, module in trainer.modules().items():
            module.load_state_dict(ckpt[key] if key != "g_slow" else ckpt.get(key, ckpt["g_ema"]))  # slow starts as fast
        for opt, lr in ((trainer.opt_g, trainer.recipe.lr_g), (trainer.opt_d, trainer.recipe.lr_d)):
            for group in opt.param_groups:  # the recipe's rates, not those saved with the optimiser's state
                group["lr"] = lr
        trainer.step_count = int(ckpt["step"])
        trainer.origin = ckpt.get("origin", trainer.origin)
        print(f"resuming after step {trainer.step_count}")
        return False
    if not from_scratch and {"faces-gan", "faces-gan-d"} <= set(read_manifest()):
        try:
            warm_start(trainer)
        except WeightsError as exc:
            raise SystemExit(f"{ckpt_path} does not exist and {exc}") from None
        print(f"no checkpoint: continuing from the shipped weights after step {trainer.step_count}")
        return True
    return False


def main(argv: list[str] | None = None) -> None:
    """Resume, train for ``--minutes`` or until ``--steps``, checkpoint, export."""
    cli = parser(__doc__)
    cli.add_argument("--steps", type=int, default=200_000, help="total generator steps")
    cli.add_argument("--batch", type=int, default=32)
    cli.add_argument("--recipe", choices=sorted(RECIPES), default="r1", help="training recipe (see RECIPES)")
    cli.add_argument("--name", default="faces-gan", help="checkpoint and learning-curve name")
    cli.add_argument("--fid-every", type=float, default=35, help="minutes between FID measurements (0: only at the end)")
    cli.add_argument("--from-scratch", action="store_true",
                     help="without a checkpoint, start from random weights instead of the shipped ones")
    cli.add_argument("--weights", type=Path, default=WEIGHTS_DIR,
                     help="folder the --export weights and manifest entries go to (default: the shipped weights/)")
    cli.add_argument("--fid-n", type=int, default=1000,
                     help="faces per FID measurement (0: no FID; 1000 as in bench.faces)")
    cli.add_argument("--d-warmup", type=int, default=500,
                     help="steps of D alone before training goes on from the shipped weights (whose D is older "
                          "than their G)")
    cli.add_argument("--g-ramp", type=int, default=500,
                     help="from the shipped weights, G's learning rate rises linearly from 0 over this many steps "
                          "(its Adam state starts afresh)")
    cli.add_argument("--ema", choices=["fast", "slow"], default="fast",
                     help="which EMA generator --export writes (slow: recipes with slow_ema_decay)")
    args = cli.parse_args(argv)
    cache = start_run(args)
    trainer = Trainer(RECIPES[args.recipe])
    ckpt_path = cache / f"{args.name}.pt"
    shipped_start = resume(trainer, ckpt_path, args.recipe, args.from_scratch)
    trainer.channels_last()

    if not args.export:
        faces = torch.from_numpy(load_faces(args.data, cache)).permute(0, 3, 1, 2)  # uint8
        columns = ["step", "d_loss", "g_loss", "d_real", "d_fake", "seconds", "recipe", "fid", "fid_n", "recall",
                   "coverage"]
        curve = learning_curve(args.name, columns, fresh=trainer.step_count == 0)
        gen = torch.Generator().manual_seed(trainer.step_count)
        start = time.time()
        save_now_and_then = every(180, lambda: checkpoint(trainer, args.recipe, ckpt_path))
        fid_now_and_then = every(60 * args.fid_every, lambda: measure_fid(trainer, args, cache, curve))
        if shipped_start and args.d_warmup > 0:
            warm_up_discriminator(trainer, faces, args.batch, args.d_warmup, gen)
            trainer.origin += f", then {args.d_warmup} steps of D alone"
        if shipped_start and args.g_ramp > 0:
            trainer.origin += f", G's learning rate rising from 0 over {args.g_ramp} steps"
        first_step = trainer.step_count
        logs: list[list[float]] = []
        while trainer.step_count < args.steps and (args.minutes is None or time.time() - start < 60 * args.minutes):
            if shipped_start and args.g_ramp > 0:
                ramp_g_rate(trainer, min(1.0, (trainer.step_count - first_step + 1) / args.g_ramp))
            logs.append(trainer.step(real_batch(faces, args.batch, gen), gen,
                                     lambda: real_batch(faces, args.batch, gen)))
            if trainer.step_count % 100 == 0:
                mean = np.mean(logs, axis=0)
                logs = []
                append_row(curve, [trainer.step_count, *(f"{v:.4f}" for v in mean), f"{time.time() - start:.0f}",
                                   args.recipe, "", "", "", ""])
                print(f"step {trainer.step_count}: d_loss {mean[0]:.3f} g_loss {mean[1]:.3f} D(real) {mean[2]:.2f} "
                      f"D(fake) {mean[3]:.2f}", flush=True)
            save_now_and_then()
            if args.fid_every > 0:
                fid_now_and_then()
        checkpoint(trainer, args.recipe, ckpt_path)
        if args.fid_n > 0:
            measure_fid(trainer, args, cache, curve)

    if args.export:
        export(trainer, args, load_faces(args.data, cache)[:LONE_SPREAD_FACES])


def ramp_g_rate(trainer: Trainer, share: float) -> None:
    """Set G's learning rate to ``share`` of the recipe's."""
    for group in trainer.opt_g.param_groups:
        group["lr"] = share * trainer.recipe.lr_g


def warm_up_discriminator(trainer: Trainer, faces: torch.Tensor, batch: int, steps: int,
                          gen: torch.Generator) -> None:
    """Train D alone for ``steps`` steps on batches of ``faces`` against the (fixed) generator."""
    for i in range(1, steps + 1):
        d_loss, d_real, d_fake = trainer.d_step(real_batch(faces, batch, gen), gen)
        if i % 100 == 0 or i == steps:
            print(f"D alone, step {i}/{steps}: d_loss {d_loss:.3f} D(real) {d_real:.2f} D(fake) {d_fake:.2f}",
                  flush=True)


def measure_fid(trainer: Trainer, args: argparse.Namespace, cache: Path, curve: Path) -> None:
    """FID, recall and coverage of ``args.fid_n`` faces from each EMA generator (ψ = 1, seeds 0..n-1) against as
    many holdout faces, written as rows of the learning curve (the slow EMA's recipe column says so)."""
    from bench.faces import variety
    from bench.inception import features, fid

    n = args.fid_n
    holdout_path = cache / f"inception_holdout_{n}.npy"
    if not holdout_path.exists():
        np.save(holdout_path, features(np.load(Path(args.data) / "faces" / "faces_64_holdout.npy")[:n]))
    holdout = np.load(holdout_path)
    for name, average in trainer.averages().items():
        g = copy.deepcopy(average).to(memory_format=torch.contiguous_format)
        generated = features(np.concatenate([g.generate(list(range(s, min(n, s + 100)))) for s in range(0, n, 100)]))
        score, spread = fid(generated, holdout), variety(holdout, generated)
        label = args.recipe if name == "fast" else f"{args.recipe} ({name} EMA)"
        append_row(curve, [trainer.step_count, "", "", "", "", "", label, f"{score:.2f}", n, spread["recall"],
                           spread["coverage"]])
        print(f"FID (N = {n}, {name} EMA) {score:.2f}, recall {spread['recall']:.3f}, "
              f"coverage {spread['coverage']:.3f}", flush=True)


def export(trainer: Trainer, args: argparse.Namespace, real_faces: np.ndarray) -> None:
    """Write ``weights/faces-gan*.safetensors`` (G with its average w; D with the spread a lone image gets in its
    minibatch-std layer, measured on ``real_faces``) and their manifest entries."""
    averages = trainer.averages()
    if args.ema not in averages:
        raise SystemExit(f"recipe {args.recipe!r} keeps no {args.ema} EMA: export --ema fast")
    g = copy.deepcopy(averages[args.ema]).to(memory_format=torch.contiguous_format)
    g.estimate_w_avg()
    d = copy.deepcopy(trainer.d).to(memory_format=torch.contiguous_format).eval()
    config_d = dict(trainer.recipe.config_d)
    if config_d.get("minibatch_std"):
        config_d["lone_spread"] = round(d.real_group_spread(real_faces), 5)
    common = {"data": "CelebA aligned, first 9,000 images (faces/train_src), 64 x 64 crop, flips",
              "command": f"python -m generative.train.faces --data ../shared/data --recipe {args.recipe} "
                         f"--name {args.name}" + (" --ema slow" if args.ema == "slow" else ""),
              "started_from": trainer.origin, "trained_steps": trainer.step_count}
    args.weights.mkdir(parents=True, exist_ok=True)
    save_model("faces-gan", g, {"builder": "generative.faces:Generator", "config": trainer.recipe.config_g, **common},
               args.weights)
    save_model("faces-gan-d", d, {"builder": "generative.faces:Discriminator", "config": config_d, **common},
               args.weights)
    print(f"exported after {trainer.step_count} steps to {args.weights}")


if __name__ == "__main__":
    main()
