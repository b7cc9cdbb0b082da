"""Face GAN training speed on the CPU: steps per second of one full step (D and G, Adam, EMA), batch 32.

    python -m bench.faces_speed --threads 1

Compares the default (contiguous) memory format with channels_last, for each recipe, from the shipped
weights on random faces. Figures go to bench/results/faces-speed.json.
"""

from __future__ import annotations

import argparse
import time

import torch

from bench.common import write
from generative.train.faces import RECIPES, Trainer


def steps_per_second(recipe: str, channels_last: bool, steps: int, warmup: int = 3) -> float:
    """Training steps per second of ``recipe`` on random images (speed does not depend on the data)."""
    trainer = Trainer(RECIPES[recipe])
    if channels_last:
        trainer.channels_last()
    gen = torch.Generator().manual_seed(0)
    real = torch.rand(32, 3, 64, 64, generator=gen) * 2 - 1
    for _ in range(warmup):
        trainer.step(real, gen)
    start = time.perf_counter()
    for _ in range(steps):
        trainer.step(real, gen)
    return steps / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> dict:
    """Measure every recipe in both memory formats; print a table and write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = {f"{recipe}{'_channels_last' if cl else ''}": round(steps_per_second(recipe, cl, args.steps), 3)
            for recipe in RECIPES for cl in (False, True)}
    print(f"steps per second, batch 32, {args.threads} thread(s), {args.steps} timed steps each")
    for name, value in rows.items():
        print(f"{name:24s} {value:.3f}")
    path = write("faces-speed", {"threads": args.threads, "batch": 32, "timed_steps": args.steps,
                                 "steps_per_second": rows})
    print(f"wrote {path}")
    return rows


if __name__ == "__main__":
    main()
