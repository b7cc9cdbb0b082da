"""Train the horse <-> zebra CycleGAN on horse2zebra trainA/trainB, resumably, at a CPU-sized resolution.

    python -m generative.train.cyclegan --data ../shared/data --threads 1 --minutes 90

The CycleGAN recipe: ResNet-block generators with instance norm, 70 x 70 PatchGAN discriminators, LSGAN
loss, cycle loss (lambda 10) and identity loss (0.5 lambda), a pool of 50 past fakes per discriminator,
resize to ``--load`` px then random ``--crop`` px crops with flips, Adam 2e-4 (0.5, 0.999), the learning
rate falling linearly to 0 over the second half of ``--steps``. Checkpoints go to ``--checkpoints`` every
3 minutes; a rerun resumes there (or, without a checkpoint, from the shipped generators).
``--export`` (or the end of ``--steps``) writes ``weights/cyclegan-{horse2zebra,zebra2horse}.safetensors``.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import load_file

from generative.cyclegan import PatchDiscriminator, ResnetGenerator, Translator
from generative.train import append_row, every, learning_curve, parser, save_checkpoint, start_run
from generative.weights import WEIGHTS_DIR, read_manifest, save_model

CONFIG_G = {"ngf": 24, "n_blocks": 6}
CONFIG_D = {"ndf": 32, "n_layers": 3}
NAMES = ("cyclegan-horse2zebra", "cyclegan-zebra2horse")
LAMBDA_CYCLE, LAMBDA_IDT = 10.0, 5.0
POOL = 50


def load_domain(data: str, folder: str, size: int, cache: Path) -> np.ndarray:
    """All images of ``horse2zebra/<folder>`` resized to size x size (uint8, N x size x size x 3), cached."""
    path = cache / f"horse2zebra_{folder}_{size}.npy"
    if path.exists():
        return np.load(path)
    files = sorted((Path(data) / "horse2zebra" / folder).glob("*.jpg"))
    images = np.stack([np.asarray(Image.open(f).convert("RGB").resize((size, size), Image.Resampling.BICUBIC))
                       for f in files])
    np.save(path, images)
    return images


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


def batch_of(images: np.ndarray, batch: int, crop: int, rng: np.random.Generator) -> torch.Tensor:
    """A random batch of random crops, half of them flipped, in [-1, 1]."""
    size = images.shape[1]
    out = []
    for i in rng.integers(len(images), size=batch):
        top, left = rng.integers(size - crop + 1, size=2)
        patch = images[i, top: top + crop, left: left + crop]
        out.append(patch[:, ::-1] if rng.random() < 0.5 else patch)
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float() / 127.5 - 1


def lsgan(scores: torch.Tensor, real: bool) -> torch.Tensor:
    return F.mse_loss(scores, torch.full_like(scores, float(real)))


def main(argv: list[str] | None = None) -> None:
    """Resume, train for ``--minutes`` or until ``--steps``, checkpoint, export."""
    cli = parser(__doc__)
    cli.add_argument("--steps", type=int, default=10_500, help="total iterations (one batch of each domain)")
    cli.add_argument("--batch", type=int, default=1)
    cli.add_argument("--load", type=int, default=128, help="images are resized to this square size")
    cli.add_argument("--crop", type=int, default=112, help="random crops of this size are trained on")
    args = cli.parse_args(argv)
    cache = start_run(args)
    g, f = ResnetGenerator(**CONFIG_G), ResnetGenerator(**CONFIG_G)  # G: horse -> zebra, F: zebra -> horse
    d_a, d_b = PatchDiscriminator(**CONFIG_D), PatchDiscriminator(**CONFIG_D)  # D_B judges zebras, D_A horses
    opt_g = torch.optim.Adam([*g.parameters(), *f.parameters()], lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam([*d_a.parameters(), *d_b.parameters()], lr=2e-4, betas=(0.5, 0.999))
    pool_a, pool_b = ImagePool(), ImagePool()
    ckpt_path = cache / "cyclegan.pt"
    step = 0
    if ckpt_path.exists():
        ckpt = torch.load(ckpt_path, weights_only=True)
        for module, key in ((g, "g"), (f, "f"), (d_a, "d_a"), (d_b, "d_b"), (opt_g, "opt_g"), (opt_d, "opt_d")):
            module.load_state_dict(ckpt[key])
        pool_a, pool_b = ImagePool(list(ckpt["pool_a"])), ImagePool(list(ckpt["pool_b"]))
        step = int(ckpt["step"])
        print(f"resuming after step {step}")
    elif set(NAMES) <= set(read_manifest()):
        # No checkpoint on this machine: continue from the shipped generators (fresh discriminators).
        for net, name in ((g, NAMES[0]), (f, NAMES[1])):
            state = load_file(WEIGHTS_DIR / f"{name}.safetensors")
            net.load_state_dict({k.removeprefix("net."): v for k, v in state.items()})
        step = int(read_manifest()[NAMES[0]]["trained_steps"])
        print(f"no checkpoint: continuing from the shipped generators after step {step}")

    def checkpoint() -> None:
        save_checkpoint({"g": g.state_dict(), "f": f.state_dict(), "d_a": d_a.state_dict(), "d_b": d_b.state_dict(),
                         "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "step": step,
                         "pool_a": pool_a.images, "pool_b": pool_b.images}, ckpt_path)

    if not args.export:
        horses = load_domain(args.data, "trainA", args.load, cache)
        zebras = load_domain(args.data, "trainB", args.load, cache)
        curve = learning_curve("cyclegan", ["step", "epochs_a", "lr", "loss_g_gan", "loss_f_gan", "loss_cycle",
                                            "loss_idt", "loss_d_b", "loss_d_a", "seconds"], fresh=step == 0)
        rng = np.random.default_rng(step)
        random.seed(step)
        start = time.time()
        save_now_and_then = every(180, checkpoint)
        logs: list[list[float]] = []
        while step < args.steps and (args.minutes is None or time.time() - start < 60 * args.minutes):
            lr = 2e-4 * min(1.0, 2 * (args.steps - step) / args.steps)
            for opt in (opt_g, opt_d):
                for group in opt.param_groups:
                    group["lr"] = lr
            real_a, real_b = batch_of(horses, args.batch, args.crop, rng), batch_of(zebras, args.batch, args.crop, rng)
            # Generators: fool both discriminators, close both cycles, leave the target domain alone.
            d_a.requires_grad_(False)
            d_b.requires_grad_(False)
            fake_b, fake_a = g(real_a), f(real_b)
            loss_g_gan, loss_f_gan = lsgan(d_b(fake_b), True), lsgan(d_a(fake_a), True)
            loss_cycle = F.l1_loss(f(fake_b), real_a) + F.l1_loss(g(fake_a), real_b)
            loss_idt = F.l1_loss(g(real_b), real_b) + F.l1_loss(f(real_a), real_a)
            loss = loss_g_gan + loss_f_gan + LAMBDA_CYCLE * loss_cycle + LAMBDA_IDT * loss_idt
            opt_g.zero_grad(set_to_none=True)
            loss.backward()
            opt_g.step()
            # Discriminators: real vs a fake from the pool, halved as in the paper.
            d_a.requires_grad_(True)
            d_b.requires_grad_(True)
            loss_d_b = 0.5 * (lsgan(d_b(real_b), True) + lsgan(d_b(pool_b.query(fake_b)), False))
            loss_d_a = 0.5 * (lsgan(d_a(real_a), True) + lsgan(d_a(pool_a.query(fake_a)), False))
            opt_d.zero_grad(set_to_none=True)
            (loss_d_b + loss_d_a).backward()
            opt_d.step()
            step += 1
            logs.append([float(v.detach()) for v in (loss_g_gan, loss_f_gan, loss_cycle, loss_idt, loss_d_b,
                                                      loss_d_a)])
            if step % 50 == 0:
                mean = np.mean(logs, axis=0)
                logs = []
                epochs = step * args.batch / len(horses)
                append_row(curve, [step, f"{epochs:.2f}", f"{lr:.2e}", *(f"{v:.4f}" for v in mean),
                                   f"{time.time() - start:.0f}"])
                print(f"step {step} ({epochs:.2f} epochs): G {mean[0]:.3f} F {mean[1]:.3f} cycle {mean[2]:.3f} "
                      f"idt {mean[3]:.3f} D_B {mean[4]:.3f} D_A {mean[5]:.3f}", flush=True)
            save_now_and_then()
        checkpoint()

    if args.export or step >= args.steps:
        common = {"builder": "generative.cyclegan:Translator", "config": CONFIG_G,
                  "data": f"horse2zebra trainA (horses) / trainB (zebras), resized to {args.load} px, random "
                          f"{args.crop} px crops, flips",
                  "command": f"python -m generative.train.cyclegan --data ../shared/data --threads 1 --steps {args.steps}",
                  "trained_steps": step}
        for net, name in ((g, NAMES[0]), (f, NAMES[1])):
            translator = Translator(**CONFIG_G)
            translator.net.load_state_dict(net.state_dict())
            save_model(name, translator, common)
        print(f"exported after {step} steps")


if __name__ == "__main__":
    main()
