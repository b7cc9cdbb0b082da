"""2x super-resolution speed on the CPU: training steps/s of the net's forms and recipes, and the deploy-form
256 -> 512 time of candidate net sizes against the FSRCNN(56,12,4) yardstick, each comparison taken in turns.

    OMP_NUM_THREADS=1 python -m bench.sr_speed --threads 1 --seconds 40 --only forms [--compile]
    OMP_NUM_THREADS=1 python -m bench.sr_speed --threads 1 --seconds 40 --only patches
    OMP_NUM_THREADS=1 python -m bench.sr_speed --threads 1 --seconds 40 --repeats 15 --only sizes [--sizes 32x4,40x4]
    python -m bench.sr_speed --seconds 20 --only encode

``forms``: one full training step (forward, L1, backward, Adam) of the shipped size (32 channels, 4 blocks; batch
16, 96-px HR patches) in the branch form and the collapsed form, each with and without channels_last, on a fixed
random batch (the speed does not depend on the pixels). ``patches``: the collapsed channels-last form at 64, 96 and
128 px HR patches (steps/s and HR megapixels/s), plus the time ``sample_batch`` takes to cut such a batch from the
training photos (``--data``). ``sizes``: the deploy-form :class:`generative.sr.Upscaler` of each candidate size
upscaling 256 x 256 to 512 x 512 as ``bench.sr`` times it, with FSRCNN in the same rounds, and each size's collapsed
channels-last training steps/s. ``encode``: the tab's four large outputs for a 512 x 512 photo (three 1024 x 1024
results and the difference map) saved as lossless WebP into an output-image cache the way Gradio saves them (one
after another) and with :func:`generative.ui.atomic_cache.encode_ahead` (two threads), each call on new pixels.
Variants run in turns (``--rounds``, ``--seconds`` per variant in all) so that a
change in the machine's load hits them alike; the load average goes into bench/results/sr-speed-<only>.json.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import numpy as np
import torch

from bench.common import write
from bench.sr import cpu_times
from generative.datasets import load_sr_photos
from generative.device import set_precision
from generative.sr import SRNet, Upscaler
from generative.train import CHECKPOINTS
from generative.train.sr import psnr_step, sample_batch

SIZES = "32x4,40x4,40x5,48x4,40x6,48x5,48x6"  # channels x blocks; 32x4 is the shipped size
FSRCNN_MACS = 25 * 56 + 56 * 12 + 4 * 9 * 12 * 12 + 12 * 56 + 81 * 56  # per LR pixel, FSRCNN(56, 12, 4) on Y


def macs_per_lr_pixel(channels: int, blocks: int) -> int:
    """Multiply-adds of the deploy-form net per LR pixel: 3x3 head, body and tail convs (3 -> c -> ... -> 12)."""
    return 9 * (3 * channels + blocks * channels * channels + channels * 12)


def trainer(channels: int, blocks: int, collapsed: bool, channels_last: bool, batch: int,
            patch: int, compiled: bool = False) -> Callable[[], float]:
    """One training step of a fresh net (``compiled``: through torch.compile) on a fixed random batch, as a function."""
    torch.manual_seed(0)
    net = SRNet(channels, blocks, collapsed=collapsed)
    lr_img, hr = torch.rand(batch, 3, patch // 2, patch // 2), torch.rand(batch, 3, patch, patch)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
        lr_img, hr = (t.contiguous(memory_format=torch.channels_last) for t in (lr_img, hr))
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    model = torch.compile(net) if compiled else net
    return lambda: psnr_step(model, opt, lr_img, hr, 1e-4)


def rates(steps: dict[str, Callable[[], object]], seconds: float, rounds: int) -> dict[str, dict]:
    """Calls per second of each function, taken in turns: ``rounds`` rounds, ``seconds`` per function in all."""
    counts, spent = dict.fromkeys(steps, 0), dict.fromkeys(steps, 0.0)
    per_round = {name: [] for name in steps}
    for step in steps.values():  # warm-up
        step()
    for _ in range(rounds):
        for name, step in steps.items():
            start, n = time.perf_counter(), 0
            while time.perf_counter() - start < seconds / rounds:
                step()
                n += 1
            elapsed = time.perf_counter() - start
            counts[name] += n
            spent[name] += elapsed
            per_round[name].append(round(n / elapsed, 3))
    return {name: {"per_second": round(counts[name] / spent[name], 3), "rounds": per_round[name],
                   "calls": counts[name]} for name in steps}


def forms(args: argparse.Namespace) -> dict:
    """Branch vs collapsed form, with and without channels_last (shipped size, batch 16, 96 px)."""
    steps = {f"{form}{', channels_last' if last else ''}": trainer(32, 4, form == "collapsed", last, 16, 96)
             for form in ("branches", "collapsed") for last in (False, True)}
    if args.compile:
        start = time.perf_counter()
        steps["collapsed, channels_last, torch.compile"] = step = trainer(32, 4, True, True, 16, 96, compiled=True)
        step()
        print(f"torch.compile: first step {time.perf_counter() - start:.0f} s")
    result = rates(steps, args.seconds, args.rounds)
    base = result["branches"]["per_second"]
    print("| form (32 ch, 4 blocks, batch 16, 96 px HR) | steps/s | vs branches | steps/s per round |\n|---|---|---|---|")
    for name, r in result.items():
        print(f"| {name} | {r['per_second']:.2f} | {r['per_second'] / base:.2f}x | {r['rounds']} |")
    return result


def patches(args: argparse.Namespace) -> dict:
    """Collapsed channels-last steps/s at 64, 96 and 128 px HR patches; and cutting such a batch from the photos."""
    images, _ = load_sr_photos(args.data, CHECKPOINTS)
    rng = np.random.default_rng(0)
    steps: dict[str, Callable[[], object]] = {f"train {p} px": trainer(32, 4, True, True, 16, p) for p in (64, 96, 128)}
    steps |= {f"sample {p} px": (lambda p=p: sample_batch(images, 16, p, rng)) for p in (64, 96, 128)}
    result = rates(steps, args.seconds, args.rounds)
    print("| HR patch (batch 16) | steps/s (net only) | HR Mpx/s | batches cut/s | steps/s with cutting |"
          "\n|---|---|---|---|---|")
    for p in (64, 96, 128):
        train, cut = result[f"train {p} px"]["per_second"], result[f"sample {p} px"]["per_second"]
        print(f"| {p} | {train:.2f} | {train * 16 * p * p / 1e6:.3f} | {cut:.1f} | {1 / (1 / train + 1 / cut):.2f} |")
    return result


def sizes(args: argparse.Namespace) -> dict:
    """Deploy-form 256 -> 512 time of each size against FSRCNN in the same rounds; collapsed training steps/s."""
    candidates = [tuple(int(v) for v in size.split("x")) for size in args.sizes.split(",")]
    upscalers = {f"c{c}b{b}": Upscaler(c, b).eval() for c, b in candidates}
    times = cpu_times(upscalers, args.threads, args.repeats)
    fsrcnn = times["FSRCNN(56,12,4) reference"]["median_ms"]
    steps = {f"c{c}b{b}": trainer(c, b, True, True, 16, 96) for c, b in candidates}
    training = rates(steps, args.seconds, args.rounds)
    base = training[next(iter(steps))]["per_second"]
    print(f"| size | multiply-adds / LR px | 256->512 ms (median of {args.repeats}) | vs FSRCNN | training steps/s "
          f"(batch 16, 96 px) | vs {next(iter(steps))} |\n|---|---|---|---|---|---|")
    for name, (c, b) in zip(upscalers, candidates):
        ms, rate = times[name]["median_ms"], training[name]["per_second"]
        print(f"| {name} | {macs_per_lr_pixel(c, b):,} | {ms:.1f} | {ms / fsrcnn:.2f} | {rate:.2f} | {rate / base:.2f} |")
    print(f"| FSRCNN(56,12,4) on Y | {FSRCNN_MACS:,} | {fsrcnn:.1f} | 1.00 | | |")
    return {"forward_256_to_512": times, "training": training,
            "macs_per_lr_pixel": {name: macs_per_lr_pixel(c, b) for name, (c, b) in zip(upscalers, candidates)},
            "fsrcnn_macs_per_lr_pixel": FSRCNN_MACS}


def encode(args: argparse.Namespace) -> dict:
    """The SR tab's large outputs for the 512 x 512 example saved one after another, and two at a time."""
    import tempfile

    from generative.ui import atomic_cache, sr

    img = sr._image(str(sr.ASSETS / "astronaut.jpg"))
    results = sr._three(img, lambda *a, **k: None)
    images = [*results, sr.difference(results[2], results[0])]
    calls = [0]

    def fresh() -> list[np.ndarray]:  # new pixels every call: an image encoded before is not encoded again
        calls[0] += 1
        out = [image.copy() for image in images]
        for image in out:
            image[0, :3, 0] = calls[0] % 256, calls[0] // 256 % 256, calls[0] // 65536 % 256
        return out

    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as ahead_cache:
        def one_after_another() -> None:
            for image in fresh():
                atomic_cache.save_img_array_to_cache(image, cache, "webp")

        def two_at_a_time() -> None:
            atomic_cache.encode_ahead(fresh(), "webp", ahead_cache)

        result = rates({"one after another": one_after_another, "encode_ahead": two_at_a_time}, args.seconds,
                       args.rounds)
    print("| four 1024 x 1024 lossless WebPs | ms per call |\n|---|---|")
    for name, r in result.items():
        print(f"| {name} | {1000 / r['per_second']:.0f} |")
    return result


def main(argv: list[str] | None = None) -> dict:
    """Run one comparison, print a Markdown table, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["forms", "patches", "sizes", "encode"], required=True)
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=40, help="timed seconds per variant, all rounds together")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=15, help="sizes: timed 256 -> 512 upscales per net")
    parser.add_argument("--compile", action="store_true", help="forms: also the collapsed form through torch.compile")
    parser.add_argument("--sizes", default=SIZES, help=f"sizes: candidates, channels x blocks (default {SIZES})")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    set_precision("float32")  # as before bfloat16 inference; bench.precision times that
    load_before = os.getloadavg()
    print(f"{args.only}: {args.threads} thread(s), load average {load_before[0]:.1f} before")
    result = {"forms": forms, "patches": patches, "sizes": sizes, "encode": encode}[args.only](args)
    load_after = os.getloadavg()
    print(f"load average {load_after[0]:.1f} after")
    path = write(f"sr-speed-{args.only}", {
        "threads": args.threads, "seconds_per_variant": args.seconds, "rounds": args.rounds, "result": result,
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in load_after]})
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
