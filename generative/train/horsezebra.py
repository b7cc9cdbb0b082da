"""Train the horse-vs-zebra classifier on horse2zebra trainA/trainB; report its accuracy on testA/testB.

    python -m generative.train.horsezebra --data ../shared/data --threads 1

Random 96 px crops of the 104 px images with flips and brightness jitter, Adam 1e-3 with cosine decay,
balanced batches. Writes ``weights/horse-zebra-classifier.safetensors`` with its test accuracy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from generative.datasets import load_domain
from generative.horsezebra import CROP, LOAD, HorseZebraClassifier, prepare
from generative.train import parser, start_run
from generative.weights import save_model

CONFIG = {"width": 16}


def test_images(data: str, folder: str) -> np.ndarray:
    """The test images of ``folder`` as the classifier sees them (N, 96, 96, 3)."""
    files = sorted((Path(data) / "horse2zebra" / folder).glob("*.jpg"))
    return np.stack([prepare(np.asarray(Image.open(f).convert("RGB"))) for f in files])


def accuracy(model: HorseZebraClassifier, horses: np.ndarray, zebras: np.ndarray) -> tuple[float, float]:
    """Share of horses called horse, share of zebras called zebra."""
    model.eval()
    return float((model.prob_zebra(horses) < 0.5).mean()), float((model.prob_zebra(zebras) >= 0.5).mean())


def main(argv: list[str] | None = None) -> None:
    """Train for ``--epochs``, measure test accuracy, export."""
    cli = parser(__doc__, minutes=False, export=False)
    cli.add_argument("--epochs", type=int, default=30)
    cli.add_argument("--batch", type=int, default=32)
    args = cli.parse_args(argv)
    cache = start_run(args)
    rng = np.random.default_rng(0)
    domains = [load_domain(args.data, folder, LOAD, cache) for folder in ("trainA", "trainB")]
    model = HorseZebraClassifier(**CONFIG)
    steps_per_epoch = (len(domains[0]) + len(domains[1])) // args.batch
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs * steps_per_epoch)
    for epoch in range(args.epochs):
        model.train()
        losses = []
        for _ in range(steps_per_epoch):
            crops, labels = [], []
            for label, images in enumerate(domains):
                for i in rng.integers(len(images), size=args.batch // 2):
                    top, left = rng.integers(LOAD - CROP + 1, size=2)
                    crop = images[i, top: top + CROP, left: left + CROP]
                    crops.append(crop[:, ::-1] if rng.random() < 0.5 else crop)
                    labels.append(label)
            x = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float() / 127.5 - 1
            x = x * torch.empty(len(x), 1, 1, 1).uniform_(0.8, 1.2) + torch.empty(len(x), 1, 1, 1).uniform_(-0.1, 0.1)
            loss = F.binary_cross_entropy_with_logits(model(x), torch.tensor(labels, dtype=torch.float32))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
        print(f"epoch {epoch + 1}: loss {np.mean(losses):.3f}", flush=True)
    test_a, test_b = test_images(args.data, "testA"), test_images(args.data, "testB")
    acc_a, acc_b = accuracy(model, test_a, test_b)
    metrics = {"test_accuracy_horses_testA": round(acc_a, 4), "test_accuracy_zebras_testB": round(acc_b, 4),
               "test_accuracy": round((acc_a * len(test_a) + acc_b * len(test_b)) / (len(test_a) + len(test_b)), 4),
               "test_images": len(test_a) + len(test_b)}
    print(f"test accuracy: horses {acc_a:.3f} (n={len(test_a)}), zebras {acc_b:.3f} (n={len(test_b)})")
    save_model("horse-zebra-classifier", model, {
        "builder": "generative.horsezebra:HorseZebraClassifier", "config": CONFIG,
        "data": f"horse2zebra trainA (horses, label 0) / trainB (zebras, label 1), {LOAD} px, random {CROP} px "
                "crops, flips, brightness jitter",
        "command": "python -m generative.train.horsezebra --data ../shared/data", "trained_steps":
            args.epochs * steps_per_epoch, "metrics": metrics})


if __name__ == "__main__":
    main()
