"""What bfloat16 inference changes and what it saves: ``python -m bench.precision --data ../shared/data``.

On CPUs that compute bfloat16 natively the super-resolution and CycleGAN nets run in it
(:func:`generative.device.current_precision`); the manifest's figures are float32's. Here both precisions are
scored the same way, in one run:

- super-resolution: PSNR, SSIM and sharpness of both nets on Set5, Set14 and B100 (``bench.sr``'s protocol), and
  the mean |float32 - bfloat16| of their outputs in grey levels;
- CycleGAN: G on the test horses and F on the test zebras at 256 px (``bench.cyclegan``'s protocol), the
  classifier's shares, the cycle error, KID against the real photos of the other domain, and the mean
  |float32 - bfloat16| of the translations;
- speed (``--threads``): the SR tab's three results for a 512 x 512 photo and the horse-to-zebra tab's translation
  there and back of a 640 x 415 photo at 256 px, float32 and bfloat16 in turns (``--rounds``), as the tabs run them.

Writes bench/results/precision.json (never the manifest). ``--only speed`` skips the scores (no data needed).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

import generative
from bench import cyclegan as cyclegan_bench
from bench import sr as sr_bench
from bench.common import cpu_reference_ms, load_average, summary_ms, timings, write
from bench.inception import features, kid
from generative.device import native_bfloat16
from generative.images import load_rgb

PRECISIONS = ("float32", "bfloat16")
ASSETS = Path(__file__).resolve().parents[1] / "assets"


def in_precision(precision: str, fn: Callable[[], object]) -> object:
    """``fn()`` with the image networks in ``precision``."""
    generative.set_precision(precision)
    try:
        return fn()
    finally:
        generative.set_precision("auto")


def sr_scores(data: str) -> dict:
    """Per net: each precision's scores per set, and the mean |difference| of the outputs on B100."""
    result = {}
    for name in sr_bench.MODELS:
        up = generative.load(name, device="cpu")
        result[name] = {p: in_precision(p, lambda: sr_bench.scores({name: up}, data)[name]) for p in PRECISIONS}
        lows = [sr_bench.downscale_x2(sr_bench.crop_even(load_rgb(f)))
                for f in sorted((Path(data) / "sr" / "eval" / "B100").glob("*.png"))]
        outputs = {p: in_precision(p, lambda: [up(lr) for lr in lows]) for p in PRECISIONS}
        result[name]["mean_abs_difference_b100"] = round(float(np.mean(
            [cyclegan_bench.mean_abs(a, b) for a, b in zip(*outputs.values())])), 4)
    return result


def cyclegan_scores(data: str, cache: Path) -> dict:
    """Each precision's classifier shares, cycle error and KID; the mean |difference| of G's and F's outputs."""
    g, f = cyclegan_bench.generators(None)
    classifier = generative.load("horse-zebra-classifier", device="cpu")
    horses, zebras = cyclegan_bench.photos(data, "testA"), cyclegan_bench.photos(data, "testB")
    real = {"horses": cyclegan_bench.cached_features(horses, "testA", cache),
            "zebras": cyclegan_bench.cached_features(zebras, "testB", cache)}
    outputs, result = {}, {}
    for p in PRECISIONS:
        fake_zebras, fake_horses, cycled = outputs[p] = in_precision(
            p, lambda: cyclegan_bench.translations(g, f, horses, zebras))
        zebra_share, horse_share = cyclegan_bench.shares(classifier, fake_zebras, fake_horses)
        result[p] = {"zebra_share": round(zebra_share, 4), "horse_share": round(horse_share, 4),
                     "cycle_error_testA": round(cyclegan_bench.mean_abs(horses, cycled), 2),
                     "kid_x1e3_g_vs_testB": round(1e3 * kid(features(fake_zebras), real["zebras"]), 2),
                     "kid_x1e3_f_vs_testA": round(1e3 * kid(features(fake_horses), real["horses"]), 2)}
    result["mean_abs_difference"] = {
        name: round(cyclegan_bench.mean_abs(outputs["float32"][i], outputs["bfloat16"][i]), 4)
        for i, name in enumerate(("g_testA", "f_testB", "cycle_testA"))}
    return result


def speeds(rounds: int) -> dict:
    """The SR tab's three results (512 x 512 photo) and a horse-to-zebra translation, per precision, in turns."""
    from generative.ui import cyclegan as cyclegan_tab
    from generative.ui import sr as sr_tab

    photo, silent = load_rgb(ASSETS / "astronaut.jpg"), (lambda *args, **kwargs: None)
    jobs = {"sr_three_results_512": lambda: sr_tab._three(photo, silent),
            "horse_to_zebra_and_back_256": lambda: cyclegan_tab.translate(
                str(ASSETS / "horses_nokota.jpg"), "horse → zebra", cyclegan_tab.FAST, progress=silent)}
    seconds: dict[str, dict[str, list[float]]] = {job: {p: [] for p in PRECISIONS} for job in jobs}
    for _ in range(rounds + 1):  # the first round warms up: models load, oneDNN picks its kernels
        for job, fn in jobs.items():
            for p in PRECISIONS:
                seconds[job][p] += in_precision(p, lambda: timings(fn, repeats=1, warmup=0))
    result: dict[str, dict] = {job: {p: summary_ms(times[p][1:]) for p in PRECISIONS} for job, times in seconds.items()}
    for times in result.values():
        times["speedup"] = round(times["float32"]["median_ms"] / times["bfloat16"]["median_ms"], 2)
    return result


def main(argv: list[str] | None = None) -> dict:
    """Score and time both precisions, print them, write ``bench/results/precision.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "generative"), help="Inception features")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--only", choices=["speed"], help="just the speed (no data needed)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    result: dict = {"native_bfloat16": native_bfloat16(), "threads": args.threads,
                    "load_average_1_5_15": {"start": load_average()}, "cpu_reference_ms": {"start": cpu_reference_ms()}}
    if args.only is None:
        cache = Path(args.cache).expanduser()
        cache.mkdir(parents=True, exist_ok=True)
        result["sr"] = sr_scores(args.data)
        for name, scores in result["sr"].items():
            for p in PRECISIONS:
                cells = "  ".join(f"{s} {q['psnr']:.3f} dB / {q['ssim']:.4f}" for s, q in scores[p].items())
                print(f"{name:<11} {p:<9} {cells}")
            print(f"{name:<11} mean |float32 - bfloat16| on B100: {scores['mean_abs_difference_b100']} grey levels")
        result["cyclegan"] = cyclegan_scores(args.data, cache)
        for p in PRECISIONS:
            print(f"CycleGAN    {p:<9} {result['cyclegan'][p]}")
        print(f"CycleGAN    mean |float32 - bfloat16| (grey levels): {result['cyclegan']['mean_abs_difference']}")
    result["speed_ms"] = speeds(args.rounds)
    for job, times in result["speed_ms"].items():
        print(f"{job:<28} float32 {times['float32']['median_ms']:7.1f} ms   bfloat16 {times['bfloat16']['median_ms']:7.1f} "
              f"ms   {times['speedup']:.2f}x   ({args.threads} threads, median of {args.rounds})")
    result["load_average_1_5_15"]["end"] = load_average()
    result["cpu_reference_ms"]["end"] = cpu_reference_ms()
    if args.only is None:
        print(f"wrote {write('precision', result)}")
    return result


if __name__ == "__main__":
    main()
