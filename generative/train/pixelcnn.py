"""Train the gated PixelCNN on binarised MNIST, resumably.

    python -m generative.train.pixelcnn --data ../shared/data --threads 1 --steps 4500

Training images are dynamically binarised (a fresh Bernoulli draw of every pixel each time they are
used); the learning rate follows a cosine from LR_MAX to LR_MIN over ``--steps``. Every ``--eval-every``
seconds the exact test NLL on the first ``--eval-images`` statically binarised test images (seed 0, as
``bench.vae``) is logged to ``bench/results/train-pixelcnn-mnist.csv``; checkpoints (model, optimiser,
step, training seconds) go to ``--checkpoints`` every few minutes, from which a rerun resumes, or
without a checkpoint from the shipped weights. At the end of ``--steps`` (or with ``--export``) the NLL
on all 10,000 test images is measured and the weights go to ``weights/pixelcnn-mnist.safetensors``.
A larger ``--steps`` on a rerun continues training (the cosine is recomputed for the new horizon).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from torch.nn import functional as F

from generative import digits
from generative.metric_names import EXACT_NLL
from generative.pixelcnn import PIXELS, PixelCNN
from generative.train import append_row, every, learning_curve, load_checkpoint, parser, save_checkpoint, start_run
from generative.weights import WEIGHTS_DIR, read_manifest, save_model

NAME = "pixelcnn-mnist"
CONFIG = dict(channels=24, layers=10, kernel=3, first_kernel=7, head=64)
LR_MAX, LR_MIN, WARMUP = 2e-3, 1e-5, 200
BATCH = 32


def learning_rate(step: int, steps: int) -> float:
    """Linear warm-up over WARMUP steps, then a cosine from LR_MAX to LR_MIN at ``steps``."""
    if step < WARMUP:
        return LR_MAX * (step + 1) / WARMUP
    progress = min(1.0, (step - WARMUP) / max(1, steps - WARMUP))
    return LR_MIN + 0.5 * (LR_MAX - LR_MIN) * (1 + math.cos(math.pi * progress))


@torch.no_grad()
def test_nll(model: PixelCNN, x: torch.Tensor, batch: int = 500) -> float:
    """Mean exact -log p(x) in nats over the images x (N, 1, 28, 28) of 0/1."""
    was_training = model.training
    model.eval()
    nll = torch.cat([-model.log_prob(b) for b in x.split(batch)]).mean().item()
    model.train(was_training)
    return nll


def resume(model: PixelCNN, optimiser: torch.optim.Optimizer, ckpt_path: Path) -> tuple[int, float]:
    """Load the checkpoint, else the shipped weights (fresh optimiser); return (step, training seconds)."""
    if ckpt_path.exists():
        ckpt = load_checkpoint(ckpt_path)
        model.load_state_dict(ckpt["model"])
        optimiser.load_state_dict(ckpt["optimiser"])
        print(f"resuming after step {int(ckpt['step'])}")
        return int(ckpt["step"]), float(ckpt["seconds"])
    entry = read_manifest().get(NAME)
    if entry:
        model.load_state_dict(load_file(WEIGHTS_DIR / entry["file"]))
        print(f"no checkpoint: continuing from the shipped weights after step {entry['trained_steps']}")
        return int(entry["trained_steps"]), float(entry.get("train_cpu_seconds", 0.0))
    return 0, 0.0


def main(argv: list[str] | None = None) -> None:
    """Resume, train until ``--steps`` (or ``--minutes``), checkpoint, evaluate and export."""
    cli = parser(__doc__)
    cli.add_argument("--steps", type=int, default=4500, help="total optimiser steps (the cosine's horizon)")
    cli.add_argument("--batch", type=int, default=BATCH)
    cli.add_argument("--eval-every", type=float, default=600, help="seconds between test-NLL rows of the curve")
    cli.add_argument("--eval-images", type=int, default=500, help="test images for the curve's NLL")
    args = cli.parse_args(argv)
    ckpt_path = start_run(args) / f"{NAME}.pt"
    model = PixelCNN(**CONFIG)
    optimiser = torch.optim.Adam(model.parameters(), lr=LR_MAX)
    step, seconds = resume(model, optimiser, ckpt_path)

    test_images, _ = digits.load(args.data, "mnist", "test")
    test = torch.from_numpy(digits.binarize_static(test_images))

    def checkpoint() -> None:
        save_checkpoint({"model": model.state_dict(), "optimiser": optimiser.state_dict(), "step": step,
                         "seconds": seconds}, ckpt_path)

    if not args.export:
        train_images, _ = digits.load(args.data, "mnist", "train")
        train = torch.from_numpy(train_images.astype(np.float32)[:, None] / 255.0)
        per_epoch = len(train) // args.batch
        curve = learning_curve(NAME, ["step", "epoch", "lr", "train_nll", "test_nll", "test_images", "seconds"],
                               fresh=step == 0)
        losses: list[float] = []

        def log() -> None:
            nll = test_nll(model, test[: args.eval_images])
            train_nll = float(np.mean(losses)) if losses else float("nan")
            losses.clear()
            append_row(curve, [step, f"{step / per_epoch:.2f}", f"{learning_rate(step, args.steps):.3g}",
                               f"{train_nll:.2f}", f"{nll:.2f}", args.eval_images, f"{seconds:.0f}"])
            print(f"step {step}/{args.steps} (epoch {step / per_epoch:.2f}): train {train_nll:.2f}, "
                  f"test {nll:.2f} nats on {args.eval_images} images, {seconds / 60:.1f} min", flush=True)

        save_now_and_then, log_now_and_then = every(180, checkpoint), every(args.eval_every, log)
        started, last = time.time(), time.time()
        while step < args.steps and (args.minutes is None or time.time() - started < 60 * args.minutes):
            epoch, position = divmod(step, per_epoch)
            gen = torch.Generator().manual_seed(1000 + epoch)
            order = torch.randperm(len(train), generator=gen)
            gen.manual_seed(10**6 + step)
            x = torch.bernoulli(train[order[position * args.batch: (position + 1) * args.batch]], generator=gen)
            for group in optimiser.param_groups:
                group["lr"] = learning_rate(step, args.steps)
            loss = F.binary_cross_entropy_with_logits(model(x), x, reduction="sum") / len(x)
            optimiser.zero_grad(set_to_none=True)
            (loss / PIXELS).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            losses.append(float(loss.detach()))
            step += 1
            seconds += time.time() - last
            last = time.time()
            save_now_and_then()
            log_now_and_then()
        checkpoint()
        if losses:
            log()

    if args.export or step >= args.steps:
        export(model, test, step, seconds, args.steps)


def export(model: PixelCNN, test: torch.Tensor, step: int, seconds: float, horizon: int) -> None:
    """Measure the exact NLL on all test images and write the weights with their manifest entry."""
    nll = test_nll(model, test)
    path = save_model(NAME, model, {
        "builder": "generative.pixelcnn:PixelCNN",
        "config": CONFIG,
        "data": "MNIST train (60,000 images), dynamically binarised",
        "command": f"python -m generative.train.pixelcnn --data ../shared/data --threads 1 --steps {horizon}",
        "trained_steps": step,
        "schedule": f"Adam, batch {BATCH}, cosine learning rate {LR_MAX:g} -> {LR_MIN:g} over {horizon} steps",
        "train_cpu_seconds": round(seconds),
        "metrics": {EXACT_NLL: round(nll, 2), "test_bits_per_dim": round(nll / PIXELS / math.log(2), 4),
                    "dataset": f"mnist test, all {len(test)} images, static binarisation seed 0",
                    "measured_by": "python -m generative.train.pixelcnn --export"},
    })
    print(f"wrote {path} after {step} steps: test NLL {nll:.2f} nats")


if __name__ == "__main__":
    main()
