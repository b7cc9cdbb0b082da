"""Train the face GAN on 64 x 64 CelebA crops, resumably, with small-data tricks.

    python -m generative.train.faces --data ../shared/data --minutes 60

Hinge loss, spectral normalisation in D, DiffAugment (translation, cutout, colour) on every image D
sees, horizontal flips of the real faces, and an exponential moving average of G's weights (the
exported generator). Checkpoints go to ``--checkpoints`` every few minutes; a rerun resumes there (or, without a checkpoint,
from the shipped weights).
``--export`` (or the end of ``--steps``) writes ``weights/faces-gan*.safetensors`` with manifest entries.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import load_file

from generative.faces import Discriminator, Generator
from generative.train import append_row, every, learning_curve, parser, save_checkpoint, start_run
from generative.weights import WEIGHTS_DIR, read_manifest, save_model

CROP_BOX = (9.5, 19.5, 79.5, 89.5)  # the standard CelebA-64 face box on the 89 x 109 images
CONFIG_G = {"z_dim": 128, "width": 32}
CONFIG_D = {"width": 32}


def load_faces(data: str, cache: Path) -> np.ndarray:
    """The 9,000 training faces cropped and resized to 64 x 64 (uint8, N x 64 x 64 x 3), cached as .npy."""
    path = cache / "faces_64_train.npy"
    if path.exists():
        return np.load(path)
    files = sorted((Path(data) / "faces" / "train_src").glob("*.jpg"))
    faces = np.stack([np.asarray(Image.open(f).convert("RGB").resize((64, 64), Image.Resampling.LANCZOS,
                                                                      box=CROP_BOX)) for f in files])
    np.save(path, faces)
    return faces


def diff_augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """DiffAugment (Zhao et al. 2020): colour, translation by up to 1/8, cutout of half size."""
    n = len(x)
    x = x + (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (torch.rand(n, 1, 1, 1, generator=gen) * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * (torch.rand(n, 1, 1, 1, generator=gen) + 0.5) + mean
    shift = torch.randint(-8, 9, (n, 2), generator=gen)
    padded = F.pad(x, (8, 8, 8, 8))
    x = torch.stack([padded[i, :, 8 + dy: 72 + dy, 8 + dx: 72 + dx] for i, (dy, dx) in enumerate(shift.tolist())])
    centre = torch.randint(0, 64, (n, 2), generator=gen)
    yy, xx = torch.meshgrid(torch.arange(64), torch.arange(64), indexing="ij")
    inside = ((yy[None] - centre[:, 0, None, None]).abs() < 16) & ((xx[None] - centre[:, 1, None, None]).abs() < 16)
    return x * (~inside[:, None]).float()


def main(argv: list[str] | None = None) -> None:
    """Resume, train for ``--minutes`` or until ``--steps``, checkpoint, export."""
    cli = parser(__doc__)
    cli.add_argument("--steps", type=int, default=200_000, help="total generator steps")
    cli.add_argument("--batch", type=int, default=32)
    args = cli.parse_args(argv)
    cache = start_run(args)
    g, d = Generator(**CONFIG_G), Discriminator(**CONFIG_D)
    g_ema = copy.deepcopy(g).eval().requires_grad_(False)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.0, 0.99))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.0, 0.99))
    ckpt_path = cache / "faces-gan.pt"
    step = 0
    if ckpt_path.exists():
        ckpt = torch.load(ckpt_path, weights_only=True)
        for module, key in ((g, "g"), (d, "d"), (g_ema, "g_ema"), (opt_g, "opt_g"), (opt_d, "opt_d")):
            module.load_state_dict(ckpt[key])
        step = int(ckpt["step"])
        print(f"resuming after step {step}")
    elif {"faces-gan", "faces-gan-d"} <= set(read_manifest()):
        # No checkpoint on this machine: continue from the shipped weights (fresh optimiser state).
        g.load_state_dict(load_file(WEIGHTS_DIR / "faces-gan.safetensors"))
        g_ema.load_state_dict(g.state_dict())
        d.load_state_dict(load_file(WEIGHTS_DIR / "faces-gan-d.safetensors"))
        step = int(read_manifest()["faces-gan"]["trained_steps"])
        print(f"no checkpoint: continuing from the shipped weights after step {step}")

    def checkpoint() -> None:
        save_checkpoint({"g": g.state_dict(), "d": d.state_dict(), "g_ema": g_ema.state_dict(),
                         "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "step": step}, ckpt_path)

    if not args.export:
        faces = torch.from_numpy(load_faces(args.data, cache)).permute(0, 3, 1, 2)  # uint8
        curve = learning_curve("faces-gan", ["step", "d_loss", "g_loss", "d_real", "d_fake", "seconds"], fresh=step == 0)
        gen = torch.Generator().manual_seed(step)
        start = time.time()
        save_now_and_then = every(180, checkpoint)
        logs: list[list[float]] = []
        while step < args.steps and (args.minutes is None or time.time() - start < 60 * args.minutes):
            idx = torch.randint(len(faces), (args.batch,), generator=gen)
            real = faces[idx].float() / 127.5 - 1
            flip = torch.rand(args.batch, generator=gen) < 0.5
            real[flip] = real[flip].flip(3)
            z = torch.randn(args.batch, CONFIG_G["z_dim"], generator=gen)
            fake = g(z)
            d_real, d_fake = d(diff_augment(real, gen)), d(diff_augment(fake.detach(), gen))
            d_loss = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            g_loss = -d(diff_augment(fake, gen)).mean()
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
            with torch.no_grad():
                for p_ema, p in zip(g_ema.parameters(), g.parameters()):
                    p_ema.lerp_(p, 1 - 0.999)
            step += 1
            logs.append([float(d_loss.detach()), float(g_loss.detach()), float(d_real.detach().mean()),
                         float(d_fake.detach().mean())])
            if step % 100 == 0:
                mean = np.mean(logs, axis=0)
                logs = []
                append_row(curve, [step, *(f"{v:.4f}" for v in mean), f"{time.time() - start:.0f}"])
                print(f"step {step}: d_loss {mean[0]:.3f} g_loss {mean[1]:.3f} D(real) {mean[2]:.2f} "
                      f"D(fake) {mean[3]:.2f}", flush=True)
            save_now_and_then()
        checkpoint()

    if args.export or step >= args.steps:
        common = {"data": "CelebA aligned, first 9,000 images (faces/train_src), 64 x 64 crop, flips",
                  "command": "python -m generative.train.faces --data ../shared/data", "trained_steps": step}
        save_model("faces-gan", g_ema, {"builder": "generative.faces:Generator", "config": CONFIG_G, **common})
        save_model("faces-gan-d", d, {"builder": "generative.faces:Discriminator", "config": CONFIG_D, **common})
        print(f"exported after {step} steps")


if __name__ == "__main__":
    main()
