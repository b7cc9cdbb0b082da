"""Train the horse <-> zebra CycleGAN on horse2zebra trainA/trainB, resumably, at a CPU-sized resolution.

    python -m generative.train.cyclegan --data ../shared/data --threads 1 --minutes 90
    python -m generative.train.cyclegan --data ../shared/data --threads 1 --upsample resize --padding reflect

The CycleGAN recipe: ResNet-block generators with instance norm, 70 x 70 PatchGAN discriminators, LSGAN
loss, cycle loss (lambda 10) and identity loss (0.5 lambda), a pool of 50 past fakes per discriminator,
resize to ``--load`` px then random ``--crop`` px crops with flips, Adam 2e-4 (0.5, 0.999), the learning
rate falling linearly to 0 over the second half of ``--steps``. Checkpoints go to ``--checkpoints`` every
3 minutes; a rerun resumes there (or, without a checkpoint, from the shipped generators, whose new
discriminators first train alone for ``--d-warmup`` steps). A rerun with another
``--steps``, ``--identity`` or ``--cycle`` continues under them; each leg is kept in the checkpoint and named in the manifest.
``--export`` (or the end of ``--steps``) writes ``weights/cyclegan-{horse2zebra,zebra2horse}.safetensors``.

``--upsample resize`` (resize-convolutions) and ``--padding reflect`` train the generator form that prints no
grid, ``--skip`` one that adds its input to its output (see ``generative.cyclegan.ResnetGenerator``); such a run
keeps its own checkpoint and learning curve (e.g. ``cyclegan-resize-reflect``), starts from scratch, and ships
its weights only with ``--export``.
``--colour`` gives the generators the photo's channel means and stds (``ColourFilm``, its own run name);
``--init CKPT`` starts such a run from another run's checkpoint (its nets, pools and step; the new layers start at
zero, so the generators begin exactly where that run was).
``--keep-f`` keeps F, the zebra -> horse generator, as shipped: only its colour layers train (by the cycle and
identity losses) and D_A is not used, so a restart with new discriminators cannot spoil F (as it did twice) while G
learns to make zebras that this F turns back into the horse. ``--grid W`` adds W times a penalty on the 2-pixel
grid each generator adds to its input (:func:`grid_penalty`). ``--anchor-f W`` (with ``--keep-f``) adds W times
|F(y) - F0(y)| on real zebras y, F0 being the kept F without its colour layers. ``--name`` names a trial's
checkpoint and curve; a trial started with ``--init`` from a keep-f run keeps that run's F.
``--channels-last`` stores the nets channels-last (speed: ``python -m bench.cyclegan_speed``).
``--load-max 256`` takes each crop at a random scale, from the image as if resized to between ``--load`` and 256 px:
the nets then also see the animals at the size the tab and ``bench.cyclegan`` translate them (256 px photos),
not only at the training size, for the cost of a ``--load`` run.
"""

from __future__ import annotations

import argparse
import copy
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import load_file

from generative.cyclegan import PADDING, UPSAMPLING, PatchDiscriminator, ResnetGenerator, Translator
from generative.datasets import load_domain
from generative.train import append_row, every, learning_curve, load_checkpoint, parser, save_checkpoint, start_run
from generative.weights import WEIGHTS_DIR, read_manifest, save_model

CONFIG_G = {"ngf": 24, "n_blocks": 6}
CONFIG_D = {"ndf": 32, "n_layers": 3}
NAMES = ("cyclegan-horse2zebra", "cyclegan-zebra2horse")
LAMBDA_CYCLE, LAMBDA_IDT = 10.0, 5.0
POOL = 50
KEPT_F = "F kept as shipped but for its colour layers"  # names the legs run with --keep-f


class ImagePool:
    """The buffer of past fakes (Shrivastava et al.): half the time D sees an older fake instead."""

    def __init__(self, images: list[torch.Tensor] | None = None) -> None:
        self.images = images or []

    def query(self, image: torch.Tensor) -> torch.Tensor:
        image = image.detach()
        if len(self.images) < POOL:
            self.images.append(image)
            return image
        if random.random() < 0.5:
            i = random.randrange(POOL)
            self.images[i], image = image, self.images[i]
        return image


def batch_of(images: np.ndarray, batch: int, crop: int, rng: np.random.Generator,
             smallest: int | None = None) -> torch.Tensor:
    """A random batch of random crops, half of them flipped, in [-1, 1]. With ``smallest`` (below the images' side),
    each crop is taken at a random scale: from the image as if resized to a side between ``smallest`` and its own."""
    size = images.shape[1]
    out = []
    for i in rng.integers(len(images), size=batch):
        side = crop if smallest is None else min(size, round(crop * size / rng.uniform(smallest, size)))
        top, left = rng.integers(size - side + 1, size=2)
        patch = images[i, top: top + side, left: left + side]
        if side != crop:
            patch = np.asarray(Image.fromarray(patch).resize((crop, crop), Image.Resampling.BICUBIC))
        out.append(patch[:, ::-1] if rng.random() < 0.5 else patch)
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float() / 127.5 - 1


def lsgan(scores: torch.Tensor, real: bool) -> torch.Tensor:
    return F.mse_loss(scores, torch.full_like(scores, float(real)))


def nyquist_energy(images: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) in [-1, 1] -> (N,): spectral energy of the grey image (Hann window) in the 3 x 3 bins around the
    three period-2 frequencies, where a 2-pixel grid puts its energy (the figure ``bench.cyclegan`` reports), plus
    that of uint8 rounding noise, so that a flat input does not make any output infinitely costly."""
    grey = images.mean(dim=1)
    h, w = grey.shape[-2:]
    window = torch.outer(torch.hann_window(h, periodic=False), torch.hann_window(w, periodic=False))
    power = torch.fft.fft2((grey - grey.mean(dim=(1, 2), keepdim=True)) * window).abs() ** 2
    rows, cols = torch.arange(-1, 2) + h // 2, torch.arange(-1, 2) + w // 2
    near = [(rows, torch.arange(-1, 2) % w), (torch.arange(-1, 2) % h, cols), (rows, cols)]
    energy = sum(power[:, r[:, None], c[None, :]].sum(dim=(1, 2)) for r, c in near)
    return energy + 27 * float((window ** 2).sum()) / 12 * (2 / 255) ** 2


def grid_penalty(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """How much more 2-pixel grid the output ``y`` holds than its input ``x``: the mean over the batch of
    max(0, log of the ratio of their :func:`nyquist_energy`). 0 when nothing is added."""
    return F.relu(torch.log(nyquist_energy(y) / nyquist_energy(x.detach()))).mean()


@dataclass
class Trainer:
    """G (horse -> zebra), F (zebra -> horse), D_A (judges horses), D_B (judges zebras), their optimisers and
    image pools; :meth:`step` runs one CycleGAN iteration."""

    config_g: dict = field(default_factory=lambda: dict(CONFIG_G))
    lambda_idt: float = LAMBDA_IDT
    lambda_cycle: float = LAMBDA_CYCLE
    keep_f: bool = False  # F fixed but for its colour layers; no adversarial term for F, D_A unused
    grid_weight: float = 0.0
    anchor_weight: float = 0.0  # with keep_f: F's output on real zebras held to that of F without colour layers

    def __post_init__(self) -> None:
        self.g, self.f = ResnetGenerator(**self.config_g), ResnetGenerator(**self.config_g)
        self.d_a, self.d_b = PatchDiscriminator(**CONFIG_D), PatchDiscriminator(**CONFIG_D)
        if self.keep_f:
            for key, parameter in self.f.named_parameters():
                parameter.requires_grad_(key.startswith("film."))
        trained = [p for p in (*self.g.parameters(), *self.f.parameters()) if p.requires_grad]
        self.opt_g = torch.optim.Adam(trained, lr=2e-4, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam([*self.d_a.parameters(), *self.d_b.parameters()], lr=2e-4, betas=(0.5, 0.999))
        self.pool_a, self.pool_b = ImagePool(), ImagePool()
        self.memory_format = torch.contiguous_format
        self.f_reference: ResnetGenerator | None = None

    def anchor_f(self) -> None:
        """Keep a copy of F with its colour layers at zero, the function F had when it was kept (``keep_f``): the
        target of the anchor term. Called once F's weights are loaded (a start or a resume)."""
        self.f_reference = copy.deepcopy(self.f).requires_grad_(False)
        for key, parameter in self.f_reference.named_parameters():
            if key.startswith("film."):
                parameter.zero_()

    def modules(self) -> dict:
        """The nets and optimisers a checkpoint holds, by key."""
        return {"g": self.g, "f": self.f, "d_a": self.d_a, "d_b": self.d_b, "opt_g": self.opt_g, "opt_d": self.opt_d}

    def load_pools(self, ckpt: dict) -> None:
        """The image pools of past fakes that ``ckpt`` saved."""
        self.pool_a, self.pool_b = ImagePool(list(ckpt["pool_a"])), ImagePool(list(ckpt["pool_b"]))

    def channels_last(self) -> None:
        """Channels-last memory format for the four nets and their inputs."""
        self.memory_format = torch.channels_last
        for net in (self.g, self.f, self.d_a, self.d_b):
            net.to(memory_format=torch.channels_last)

    def set_lr(self, lr: float) -> None:
        """Set the learning rate of both optimisers."""
        for opt in (self.opt_g, self.opt_d):
            for group in opt.param_groups:
                group["lr"] = lr

    def step(self, real_a: torch.Tensor, real_b: torch.Tensor) -> list[float]:
        """One iteration on a batch of horses and one of zebras; returns the losses G-GAN, F-GAN, cycle,
        identity, D_B, D_A, grid, anchor (F-GAN and D_A are 0 with ``keep_f``, grid and anchor 0 without their
        weights)."""
        real_a = real_a.contiguous(memory_format=self.memory_format)
        real_b = real_b.contiguous(memory_format=self.memory_format)
        g, f, d_a, d_b = self.g, self.f, self.d_a, self.d_b
        # Generators: fool both discriminators, close both cycles, leave the target domain alone.
        d_a.requires_grad_(False)
        d_b.requires_grad_(False)
        fake_b, fake_a = g(real_a), f(real_b)
        zero = torch.zeros(())
        loss_g_gan = lsgan(d_b(fake_b), True)
        loss_f_gan = zero if self.keep_f else lsgan(d_a(fake_a), True)
        loss_cycle = F.l1_loss(f(fake_b), real_a) + F.l1_loss(g(fake_a), real_b)
        loss_idt = F.l1_loss(g(real_b), real_b) + F.l1_loss(f(real_a), real_a)
        loss_grid = grid_penalty(real_a, fake_b) + grid_penalty(real_b, fake_a) if self.grid_weight else zero
        if self.anchor_weight and self.f_reference is not None:
            with torch.no_grad():
                kept = self.f_reference(real_b)
            loss_anchor = F.l1_loss(fake_a, kept)
        else:
            loss_anchor = zero
        loss = (loss_g_gan + loss_f_gan + self.lambda_cycle * loss_cycle + self.lambda_idt * loss_idt
                + self.grid_weight * loss_grid + self.anchor_weight * loss_anchor)
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        d_losses = self._d_update(real_a, real_b, fake_a, fake_b)
        return [float(v.detach()) for v in (loss_g_gan, loss_f_gan, loss_cycle, loss_idt)] + d_losses + [
            float(loss_grid.detach()), float(loss_anchor.detach())]

    def d_step(self, real_a: torch.Tensor, real_b: torch.Tensor) -> list[float]:
        """One step of the discriminators alone against the (fixed) generators; returns the losses D_B, D_A."""
        real_a = real_a.contiguous(memory_format=self.memory_format)
        real_b = real_b.contiguous(memory_format=self.memory_format)
        with torch.no_grad():
            fake_b = self.g(real_a)
            fake_a = None if self.keep_f else self.f(real_b)  # D_A is unused with keep_f
        return self._d_update(real_a, real_b, fake_a, fake_b)

    def _d_update(self, real_a: torch.Tensor, real_b: torch.Tensor, fake_a: torch.Tensor | None,
                  fake_b: torch.Tensor) -> list[float]:
        """Discriminators: real vs a fake from the pool, halved as in the paper (D_B alone with ``keep_f``)."""
        d_a, d_b = self.d_a, self.d_b
        d_a.requires_grad_(True)
        d_b.requires_grad_(True)
        loss_d_b = 0.5 * (lsgan(d_b(real_b), True) + lsgan(d_b(self.pool_b.query(fake_b)), False))
        loss_d_a = torch.zeros(()) if self.keep_f else 0.5 * (
            lsgan(d_a(real_a), True) + lsgan(d_a(self.pool_a.query(fake_a)), False))
        self.opt_d.zero_grad(set_to_none=True)
        (loss_d_b + loss_d_a).backward()
        self.opt_d.step()
        return [float(loss_d_b.detach()), float(loss_d_a.detach())]


def run_name(config_g: dict) -> str:
    """``cyclegan`` for the shipped generator form, else e.g. ``cyclegan-resize-reflect``: names the checkpoint
    and the learning curve, so that runs of different forms never resume from each other."""
    form = (config_g.get("upsample", "transpose"), config_g.get("padding", "zeros"), config_g.get("skip", False),
            config_g.get("colour", False))
    if form == ("transpose", "zeros", False, False):
        return "cyclegan"
    return f"cyclegan-{form[0]}-{form[1]}{'-skip' if form[2] else ''}{'-colour' if form[3] else ''}"


def init_from(trainer: Trainer, ckpt: dict) -> None:
    """Load another run's nets, discriminator optimiser and pools into ``trainer``; generator layers that run
    lacks (``ColourFilm``) keep their zero start, and the generators' optimiser starts afresh."""
    for key in ("g", "f"):
        missing, unexpected = getattr(trainer, key).load_state_dict(ckpt[key], strict=False)
        if unexpected or any(not k.startswith("film.") for k in missing):
            raise SystemExit(f"--init: generator keys differ beyond the colour layers: {missing + unexpected}")
    for key in ("d_a", "d_b", "opt_d"):
        trainer.modules()[key].load_state_dict(ckpt[key])
    trainer.load_pools(ckpt)


def load_shipped(net: ResnetGenerator, model: str) -> None:
    """The shipped weights of ``model`` into ``net``; colour layers the shipped form lacks keep their zero start."""
    state = load_file(WEIGHTS_DIR / f"{model}.safetensors")
    missing, unexpected = net.load_state_dict({k.removeprefix("net."): v for k, v in state.items()}, strict=False)
    if unexpected or any(not k.startswith("film.") for k in missing):
        raise SystemExit(f"{model}: generator keys differ beyond the colour layers: {missing + unexpected}")


def schedule_text(history: list[list]) -> str:
    """A run continued with other settings, leg by leg: its first step, ``--steps``, identity weight and what
    else differed from the paper's recipe (crops at random scales, another cycle weight)."""
    legs = [", ".join([f"from step {start}: --steps {steps}, identity {identity:g}", *extras])
            for start, steps, identity, *extras in history]
    return ("learning rate 2e-4, falling linearly to 0 over the second half of --steps; the run was continued "
            "with other settings: " + "; ".join(legs))


def learning_rate(step: int, steps: int) -> float:
    """2e-4, falling linearly to 0 over the second half of ``steps``."""
    return 2e-4 * min(1.0, 2 * (steps - step) / steps)


def training_pair(horses: np.ndarray, zebras: np.ndarray, args: argparse.Namespace,
                  rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of horse crops and one of zebra crops, as the run's flags ask."""
    smallest = args.load if args.load_max else None
    return (batch_of(horses, args.batch, args.crop, rng, smallest),
            batch_of(zebras, args.batch, args.crop, rng, smallest))


def warm_up_discriminators(trainer: Trainer, steps: int,
                           next_pair: Callable[[], tuple[torch.Tensor, torch.Tensor]]) -> None:
    """Train D_A and D_B alone for ``steps`` steps against the fixed generators, on batches from ``next_pair``."""
    for i in range(1, steps + 1):
        losses = trainer.d_step(*next_pair())
        if i % 100 == 0 or i == steps:
            print(f"discriminators alone, step {i}/{steps}: D_B {losses[0]:.3f} D_A {losses[1]:.3f}", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Resume, train for ``--minutes`` or until ``--steps``, checkpoint, export."""
    cli = parser(__doc__)
    cli.add_argument("--steps", type=int, default=10_500, help="total iterations (one batch of each domain)")
    cli.add_argument("--batch", type=int, default=1)
    cli.add_argument("--load", type=int, default=128, help="images are resized to this square size")
    cli.add_argument("--crop", type=int, default=112, help="random crops of this size are trained on")
    cli.add_argument("--load-max", type=int, default=None,
                     help="crops at random scales: from images as if resized to between --load and this size "
                          "(the size the tab and bench.cyclegan use is 256)")
    cli.add_argument("--upsample", choices=UPSAMPLING, default="transpose", help="generator upsampling layers")
    cli.add_argument("--padding", choices=PADDING, default="zeros", help="padding of the generator's stride-2 convs")
    cli.add_argument("--skip", action="store_true", help="generators add the input to their output (global skip)")
    cli.add_argument("--colour", action="store_true", help="generators see the photo's channel means and stds")
    cli.add_argument("--init", help="a checkpoint of another run to start this one from (with --colour)")
    cli.add_argument("--channels-last", action="store_true", help="channels-last memory format (CPU speed)")
    cli.add_argument("--identity", type=float, default=LAMBDA_IDT / LAMBDA_CYCLE,
                     help="identity loss weight as a share of the cycle weight (0.5 in the paper)")
    cli.add_argument("--cycle", type=float, default=LAMBDA_CYCLE, help="cycle loss weight (10 in the paper)")
    cli.add_argument("--d-warmup", type=int, default=1000,
                     help="on a start from the shipped generators (new discriminators), steps of the discriminators "
                          "alone before the generators train")
    cli.add_argument("--keep-f", action="store_true",
                     help="F (zebra -> horse) stays as shipped but for its colour layers; D_A is not used")
    cli.add_argument("--grid", type=float, default=0.0, help="weight of the penalty on an added 2-pixel grid")
    cli.add_argument("--anchor-f", type=float, default=0.0,
                     help="with --keep-f: weight of |F(zebra) - kept F(zebra)|, so that F's colour layers bring G's "
                          "zebras back without changing what F makes of real zebras")
    cli.add_argument("--name", help="the run's checkpoint and curve name (default: from the generator form)")
    args = cli.parse_args(argv)
    if args.anchor_f and not args.keep_f:
        raise SystemExit("--anchor-f holds the kept F: use it with --keep-f")
    cache = start_run(args)
    config_g = {**CONFIG_G, "upsample": args.upsample, "padding": args.padding, "skip": args.skip,
                "colour": args.colour}
    name = args.name or run_name(config_g)
    trainer = Trainer(config_g, lambda_idt=args.identity * args.cycle, lambda_cycle=args.cycle, keep_f=args.keep_f,
                      grid_weight=args.grid, anchor_weight=args.anchor_f)
    if args.channels_last:
        trainer.channels_last()
    g, f = trainer.g, trainer.f
    ckpt_path = cache / f"{name}.pt"
    step = 0
    origin = ""  # where a run that did not start from scratch began
    shipped_start = False
    history: list[list] = []  # [first step, --steps, identity weight(, scales)(, cycle weight)] of each leg
    shipped = read_manifest()
    if ckpt_path.exists():
        ckpt = load_checkpoint(ckpt_path)
        for key, module in trainer.modules().items():
            module.load_state_dict(ckpt[key])
        trainer.load_pools(ckpt)
        step = int(ckpt["step"])
        print(f"resuming after step {step}")
        history = [list(leg) for leg in ckpt.get("history", [])]
        origin = ckpt.get("origin", "")
    elif args.init:
        ckpt = load_checkpoint(Path(args.init).expanduser())
        init_from(trainer, ckpt)
        step = int(ckpt["step"])
        history = [list(leg) for leg in ckpt.get("history", [])]
        origin = f"{Path(args.init).name} after step {step}"
        print(f"starting from {args.init} after step {step}")
    elif set(NAMES) <= set(shipped) and (run_name({**shipped[NAMES[0]]["config"], "colour": args.colour})
                                         == run_name(config_g)):
        # No checkpoint on this machine: continue from the shipped generators (fresh discriminators); a --colour
        # run from shipped generators without colour layers starts those at zero (the shipped function).
        for net, model in ((g, NAMES[0]), (f, NAMES[1])):
            load_shipped(net, model)
        step = int(shipped[NAMES[0]]["trained_steps"])
        shipped_start = True
        origin = f"the shipped generators after step {step}, with new discriminators"
        print(f"no checkpoint: continuing from the shipped generators after step {step}")
    elif args.export:
        raise SystemExit(f"nothing to export: no checkpoint {ckpt_path} for the {name} form")

    f_was_kept = any(KEPT_F in leg for leg in history)  # F is already the kept one (a resume, or --init from such a run)
    extras = ([f"crops at scales {args.load}-{args.load_max} px"] if args.load_max else []) + (
        [f"cycle weight {args.cycle:g}"] if args.cycle != LAMBDA_CYCLE else []) + (
        ["generators see the photo's channel means and stds"] if args.colour else []) + (
        [KEPT_F] if args.keep_f else []) + (
        [f"grid penalty weight {args.grid:g}"] if args.grid else []) + (
        [f"F anchored to the kept F on zebras, weight {args.anchor_f:g}"] if args.anchor_f else [])
    if not args.export and (not history or history[-1][1:] != [args.steps, args.identity, *extras]):
        history.append([step, args.steps, args.identity, *extras])

    def checkpoint() -> None:
        save_checkpoint({**{key: module.state_dict() for key, module in trainer.modules().items()}, "step": step,
                         "pool_a": trainer.pool_a.images, "pool_b": trainer.pool_b.images, "config_g": config_g,
                         "history": history, "origin": origin}, ckpt_path)

    if not args.export:
        horses = load_domain(args.data, "trainA", args.load_max or args.load, cache)
        zebras = load_domain(args.data, "trainB", args.load_max or args.load, cache)
        # the curve's loss columns, by their place in Trainer.step's list: grid and anchor only when they are trained
        losses = {"loss_g_gan": 0, "loss_f_gan": 1, "loss_cycle": 2, "loss_idt": 3, "loss_d_b": 4, "loss_d_a": 5,
                  **({"loss_grid": 6} if args.grid else {}), **({"loss_anchor": 7} if args.anchor_f else {})}
        curve = learning_curve(name, ["step", "epochs_a", "lr", *losses, "seconds"], fresh=step == 0)
        rng = np.random.default_rng(step)
        random.seed(step)
        if shipped_start and args.d_warmup > 0:
            trainer.set_lr(learning_rate(step, args.steps))
            warm_up_discriminators(trainer, args.d_warmup, lambda: training_pair(horses, zebras, args, rng))
            origin += f" trained alone for {args.d_warmup} steps first"
        if args.keep_f and not f_was_kept:
            load_shipped(f, NAMES[1])
            origin += "; F the shipped zebra -> horse generator"
        if args.anchor_f:
            trainer.anchor_f()
        start = time.time()
        save_now_and_then = every(180, checkpoint)
        logs: list[list[float]] = []
        while step < args.steps and (args.minutes is None or time.time() - start < 60 * args.minutes):
            lr = learning_rate(step, args.steps)
            trainer.set_lr(lr)
            logs.append(trainer.step(*training_pair(horses, zebras, args, rng)))
            step += 1
            if step % 50 == 0:
                mean = np.mean(logs, axis=0)
                logs = []
                epochs = step * args.batch / len(horses)
                append_row(curve, [step, f"{epochs:.2f}", f"{lr:.2e}", *(f"{mean[i]:.4f}" for i in losses.values()),
                                   f"{time.time() - start:.0f}"])
                print(f"step {step} ({epochs:.2f} epochs): G {mean[0]:.3f} F {mean[1]:.3f} cycle {mean[2]:.3f} "
                      f"idt {mean[3]:.3f} D_B {mean[4]:.3f} D_A {mean[5]:.3f} grid {mean[6]:.3f} anchor {mean[7]:.3f}",
                      flush=True)
            save_now_and_then()
        checkpoint()

    if args.export or (step >= args.steps and name == "cyclegan"):
        form = "" if name == "cyclegan" else f" --upsample {args.upsample} --padding {args.padding}"
        if args.skip:
            form += " --skip"
        if args.colour:
            form += " --colour"
        if args.identity != LAMBDA_IDT / LAMBDA_CYCLE:
            form += f" --identity {args.identity}"
        if args.cycle != LAMBDA_CYCLE:
            form += f" --cycle {args.cycle:g}"
        if args.keep_f:
            form += " --keep-f"
        if args.grid:
            form += f" --grid {args.grid:g}"
        if args.anchor_f:
            form += f" --anchor-f {args.anchor_f:g}"
        if args.name:
            form += f" --name {args.name}"
        if (args.load, args.crop) != (128, 112) or args.load_max:
            form += f" --load {args.load} --crop {args.crop}" + (f" --load-max {args.load_max}" if args.load_max else "")
        common = {"builder": "generative.cyclegan:Translator", "config": config_g,
                  "data": f"horse2zebra trainA (horses) / trainB (zebras), resized to {args.load} px"
                          + (f" to {args.load_max} px (a random scale per crop)" if args.load_max else "")
                          + f", random {args.crop} px crops, flips",
                  "command": f"python -m generative.train.cyclegan --data ../shared/data --threads 1 --steps {args.steps}"
                             f"{form}",
                  "trained_steps": step}
        if len(history) > 1:
            common["schedule"] = schedule_text(history)
        if origin:
            common["started_from"] = origin
        for net, model in ((g, NAMES[0]), (f, NAMES[1])):
            translator = Translator(**config_g)
            translator.net.load_state_dict(net.state_dict())
            save_model(model, translator, common)
        print(f"exported after {step} steps")
    elif step >= args.steps:
        print(f"{name} reached {step} steps; ship it with --export once bench.cyclegan says it is better")


if __name__ == "__main__":
    main()
