"""Train a VAE on MNIST or Fashion-MNIST, resumably.

    python -m generative.train.vae --model vae-mnist-2d --data ../shared/data

Inputs and targets are dynamically binarised (a fresh Bernoulli draw of every pixel per epoch).
Every epoch: the test -ELBO on the statically binarised test set is logged to
``bench/results/train-<model>.csv``, and a checkpoint (model, optimiser, epoch) is written to
``--checkpoints`` (default ``~/.cache/generative``), from which a rerun resumes. When the last epoch
is done (or with ``--export``) the weights go to ``weights/<model>.safetensors`` with a manifest entry.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from generative import digits
from generative.train import append_row, learning_curve, load_checkpoint, parser, save_checkpoint, start_run
from generative.vae import VAE
from generative.weights import save_model

MODELS = {
    "vae-mnist-2d": dict(dataset="mnist", latent_dim=2, hidden=512, depth=2, epochs=120),
    "vae-mnist": dict(dataset="mnist", latent_dim=32, hidden=512, depth=2, epochs=200),
    "vae-fashion-2d": dict(dataset="fashion", latent_dim=2, hidden=512, depth=2, epochs=80),
}
BATCH = 128
LR_MAX, LR_MIN = 1e-3, 1e-5
KL_WARMUP_EPOCHS = 10


def learning_rate(epoch: int, epochs: int) -> float:
    """Cosine decay from LR_MAX to LR_MIN over the run."""
    return LR_MIN + 0.5 * (LR_MAX - LR_MIN) * (1 + math.cos(math.pi * epoch / epochs))


@torch.no_grad()
def test_elbo(model: VAE, test: torch.Tensor) -> tuple[float, float]:
    """Mean reconstruction and KL terms (nats) on the test images, one fixed z sample each."""
    model.eval()
    gen = torch.Generator().manual_seed(0)
    terms = [model.elbo_terms(batch, gen) for batch in test.split(1000)]
    model.train()
    return float(torch.cat([t[0] for t in terms]).mean()), float(torch.cat([t[1] for t in terms]).mean())


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, resume if a checkpoint exists, train, export."""
    cli = parser(__doc__, minutes=False)
    cli.add_argument("--model", choices=sorted(MODELS), required=True)
    cli.add_argument("--epochs", type=int, default=None, help="total epochs (default: the model's preset)")
    args = cli.parse_args(argv)
    spec = MODELS[args.model]
    epochs = args.epochs or spec["epochs"]
    ckpt_path = start_run(args) / f"{args.model}.pt"
    config = {k: spec[k] for k in ("latent_dim", "hidden", "depth")}
    model = VAE(**config)
    optimiser = torch.optim.Adam(model.parameters(), lr=LR_MAX)
    start = 0
    if ckpt_path.exists():
        ckpt = load_checkpoint(ckpt_path)
        missing, unexpected = model.load_state_dict(ckpt["model"], strict=False)
        assert not unexpected and set(missing) <= {"map_points", "map_labels", "class_means"}, (missing, unexpected)
        optimiser.load_state_dict(ckpt["optimiser"])
        start = int(ckpt["epoch"])
        print(f"resuming {args.model} after epoch {start}")

    train_images, _ = digits.load(args.data, spec["dataset"], "train")
    test_images, test_labels = digits.load(args.data, spec["dataset"], "test")
    train = torch.from_numpy(train_images.astype(np.float32)[:, None] / 255.0)
    test = torch.from_numpy(digits.binarize_static(test_images))
    curve = learning_curve(args.model, ["epoch", "lr", "kl_weight", "train_loss", "test_recon", "test_kl",
                                        "test_neg_elbo", "seconds"], fresh=start == 0 and not args.export)

    for epoch in range(start, 0 if args.export else epochs):
        t0 = time.time()
        lr = learning_rate(epoch, epochs)
        for group in optimiser.param_groups:
            group["lr"] = lr
        beta = min(1.0, (epoch + 1) / KL_WARMUP_EPOCHS)
        gen = torch.Generator().manual_seed(1000 + epoch)
        order = torch.randperm(len(train), generator=gen)
        total = 0.0
        for idx in order.split(BATCH):
            x = torch.bernoulli(train[idx], generator=gen)
            recon, kl = model.elbo_terms(x, gen)
            loss = (recon + beta * kl).mean()
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(idx)
        recon_t, kl_t = test_elbo(model, test)
        seconds = time.time() - t0
        append_row(curve, [epoch + 1, f"{lr:.3g}", beta, f"{total / len(train):.3f}", f"{recon_t:.3f}",
                                     f"{kl_t:.3f}", f"{recon_t + kl_t:.3f}", f"{seconds:.1f}"])
        save_checkpoint({"model": model.state_dict(), "optimiser": optimiser.state_dict(), "epoch": epoch + 1}, ckpt_path)
        print(f"{args.model} epoch {epoch + 1}/{epochs}: test -ELBO {recon_t + kl_t:.2f} "
              f"(recon {recon_t:.2f} + KL {kl_t:.2f}) in {seconds:.0f} s", flush=True)
        start = epoch + 1

    if start >= epochs or args.export:
        recon_t, kl_t = test_elbo(model, test)
        model.eval()
        model.summarise(test, torch.from_numpy(test_labels.astype(np.int64)))
        path = save_model(args.model, model, {
            "builder": "generative.vae:VAE",
            "config": config,
            "data": f"{digits.DATASETS[spec['dataset']]} train (60,000 images), dynamically binarised",
            "command": f"python -m generative.train.vae --model {args.model} --data ../shared/data",
            "trained_epochs": start,
            "metrics": {"test_neg_elbo_1sample_nats": round(recon_t + kl_t, 2)},
        })
        print(f"wrote {path} after {start} epochs")


if __name__ == "__main__":
    main()
