"""Face GAN training speed on the CPU: steps per second of one full step (D and G, Adam, EMA), batch 32.

    python -m bench.faces_speed --threads 1

For each recipe, in the default (contiguous) memory format and in channels_last, from freshly built networks
on random faces. The candidates take turns, one step each per round, so that a changing load on a busy machine
hits them alike; 16 timed steps hold one lazy R1 step (every 16 steps) in the recipes with R1.
Figures go to bench/results/faces-speed.json.
"""

from __future__ import annotations

import argparse
import time

import torch

from bench.common import write
from generative.train.faces import RECIPES, Trainer

FORMATS = ("contiguous", "channels_last")


def steps_per_second(candidates: dict[str, Trainer], steps: int, warmup: int = 3) -> dict[str, float]:
    """Training steps per second of each trainer on random images (speed does not depend on the data), interleaved."""
    gen = torch.Generator().manual_seed(0)
    real = torch.rand(32, 3, 64, 64, generator=gen) * 2 - 1
    seconds = dict.fromkeys(candidates, 0.0)
    for round_ in range(warmup + steps):
        for name, trainer in candidates.items():
            start = time.perf_counter()
            trainer.step(real, gen)
            if round_ >= warmup:
                seconds[name] += time.perf_counter() - start
    return {name: round(steps / s, 3) for name, s in seconds.items()}


def main(argv: list[str] | None = None) -> dict:
    """Measure the chosen recipes in the chosen memory formats; print a table and write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--recipes", nargs="+", choices=sorted(RECIPES), default=list(RECIPES))
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    candidates = {}
    for recipe in args.recipes:
        for form in args.formats:
            trainer = candidates[f"{recipe}{'_channels_last' if form == 'channels_last' else ''}"] = Trainer(RECIPES[recipe])
            if form == "channels_last":
                trainer.channels_last()
    rows = steps_per_second(candidates, args.steps)
    print(f"steps per second, batch 32, {args.threads} thread(s), {args.steps} timed steps each, interleaved")
    for name, value in rows.items():
        print(f"{name:24s} {value:.3f}")
    path = write("faces-speed", {"threads": args.threads, "batch": 32, "timed_steps": args.steps, "interleaved": True,
                                 "steps_per_second": rows})
    print(f"wrote {path}")
    return rows


if __name__ == "__main__":
    main()
