"""2x super-resolution: PSNR / SSIM / sharpness on Set5, Set14, B100 and CPU time against an FSRCNN yardstick.

    python -m bench.sr --data ../shared/data

Protocol: HR cropped to even size, LR = Pillow bicubic x1/2 (antialiased), PSNR and SSIM on Y
(BT.601) with 2 border pixels shaved. Sharpness: the mean Sobel gradient magnitude of the
result's Y divided by that of the original HR (same shave), averaged over the images of a set;
1.0 means as much edge contrast as the original, bicubic and PSNR-trained nets stay below
(blur). CPU time: upscaling a 256 x 256 image to 512 x 512 with ``--threads`` threads (2), median
of interleaved repeats, against FSRCNN(d=56, s=12, m=4) with random weights on the Y channel
(the network alone, its usual single-channel form) timed in the same run.
The nets run in float32 (``python -m bench.precision`` scores them in bfloat16, as the tab runs them on CPUs that
compute it natively). Figures go to bench/results/sr.json and the manifest; with ``--checkpoint`` (a training
run's ``.pt``, in its own net size) to bench/results/sr-checkpoints.json only.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

import generative
from bench.common import summary_ms, write
from generative.images import load_rgb
from generative.metric_names import BICUBIC, per_set
from generative.srmetrics import bicubic_x2, crop_even, downscale_x2, psnr_y, sharpness, ssim_y
from generative.train.sr import checkpoint_upscaler
from generative.weights import update_metrics

SETS = ("Set5", "Set14", "B100")
MODELS = ("sr-x2-psnr", "sr-x2-gan")
GOALS = {"Set5": 37.3, "Set14": 32.9, "B100": 31.6}


def fsrcnn(d: int = 56, s: int = 12, m: int = 4) -> nn.Sequential:
    """FSRCNN x2 (Dong et al. 2016) on one channel: the speed yardstick (weights stay random)."""
    layers: list[nn.Module] = [nn.Conv2d(1, d, 5, padding=2), nn.PReLU(d), nn.Conv2d(d, s, 1), nn.PReLU(s)]
    for _ in range(m):
        layers += [nn.Conv2d(s, s, 3, padding=1), nn.PReLU(s)]
    layers += [nn.Conv2d(s, d, 1), nn.PReLU(d), nn.ConvTranspose2d(d, 1, 9, stride=2, padding=4, output_padding=1)]
    return nn.Sequential(*layers).eval()


def cpu_times(upscalers: dict, threads: int, repeats: int) -> dict[str, dict]:
    """Interleaved timings of 256 -> 512 for each method and for FSRCNN, at ``threads`` threads."""
    torch.set_num_threads(threads)
    img = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    y = torch.rand(1, 1, 256, 256)
    reference = fsrcnn()
    jobs = {"bicubic": lambda: bicubic_x2(img), **{n: (lambda u=u: u(img)) for n, u in upscalers.items()}}
    with torch.no_grad():
        jobs["FSRCNN(56,12,4) reference"] = lambda: reference(y)
        seconds: dict[str, list[float]] = {name: [] for name in jobs}
        for job in jobs.values():
            job()  # warm-up
        for _ in range(repeats):
            for name, job in jobs.items():
                start = time.perf_counter()
                job()
                seconds[name].append(time.perf_counter() - start)
    return {name: summary_ms(values) for name, values in seconds.items()}


def scores(methods: dict[str, Callable[[np.ndarray], np.ndarray]], data: str) -> dict[str, dict[str, dict]]:
    """Per method and set: mean PSNR, SSIM and sharpness (the protocol above) and the number of images."""
    quality: dict[str, dict[str, dict]] = {m: {} for m in methods}
    for set_name in SETS:
        files = sorted((Path(data) / "sr" / "eval" / set_name).glob("*.png"))
        per_image = {m: [] for m in methods}
        for f in files:
            hr = crop_even(load_rgb(f))
            lr = downscale_x2(hr)
            for m, method in methods.items():
                out = method(lr)
                per_image[m].append((psnr_y(out, hr), ssim_y(out, hr), sharpness(out, hr)))
        for m in methods:
            psnr, ssim, sharp = np.mean(per_image[m], axis=0)
            quality[m][set_name] = {"psnr": round(float(psnr), 3), "ssim": round(float(ssim), 4),
                                    "sharpness": round(float(sharp), 3), "images": len(files)}
    return quality


def main(argv: list[str] | None = None) -> dict:
    """Measure, print a table, write JSON and the manifest's metrics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--checkpoint", type=Path, nargs="+", default=None,
                        help="score these training checkpoints instead of the shipped nets (manifest left alone)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    generative.set_precision("float32")  # the manifest's figures; bench.precision measures bfloat16's
    if args.checkpoint:
        upscalers = {path.stem: checkpoint_upscaler(path.expanduser()) for path in args.checkpoint}
    else:
        upscalers = {name: generative.load(name, device="cpu") for name in MODELS if name in generative.available()}
    methods = {"bicubic": bicubic_x2, **upscalers}
    quality = scores(methods, args.data)
    times = cpu_times(upscalers, args.threads, args.repeats)

    print("\n2x super-resolution, Y channel, shave 2, LR = Pillow bicubic x1/2")
    print(f"{'method':<28}" + "".join(f"{s + ' PSNR/SSIM/sharp':>26}" for s in SETS) + f"{'CPU ms 256->512':>18}")
    for m in methods:
        cells = "".join(f"{q['psnr']:>12.2f} {q['ssim']:>6.4f} {q['sharpness']:>6.3f}" for q in quality[m].values())
        print(f"{m:<28}{cells}{times[m]['median_ms']:>18.1f}")
    fsrcnn_ms = times["FSRCNN(56,12,4) reference"]["median_ms"]
    print(f"{'FSRCNN(56,12,4) reference':<28}{'':>78}{fsrcnn_ms:>18.1f}")
    print("goals for sr-x2-psnr: " + ", ".join(f"{s} >= {g}" for s, g in GOALS.items())
          + f", CPU time <= FSRCNN ({args.threads} threads)")

    result = {"protocol": "HR cropped to even size; LR = Pillow bicubic x1/2 (antialiased); PSNR/SSIM on Y "
                          "(BT.601), 2 border pixels shaved; sharpness = mean Sobel gradient magnitude of Y relative "
                          "to the HR image (1.0 = as sharp as the original)",
              "quality": quality, "cpu_ms_256_to_512": times, "threads": args.threads}
    if args.checkpoint:
        result["checkpoints"] = {path.stem: str(path) for path in args.checkpoint}
        print(f"\nwrote {write('sr-checkpoints', result)}")
        return result
    for m in upscalers:
        metrics = {per_set(s, k): v for s, q in quality[m].items() for k, v in q.items() if k != "images"}
        update_metrics(m, {**metrics, BICUBIC: {per_set(s, k): v for s, q in quality["bicubic"].items()
                                                for k, v in q.items() if k != "images"},
                           "cpu_ms_256_to_512": times[m]["median_ms"], "fsrcnn_cpu_ms_same_run": fsrcnn_ms,
                           "cpu_threads": args.threads, "measured_by": "python -m bench.sr --data ../shared/data"})
    path = write("sr", result)
    print(f"\nwrote {path}")
    return result


if __name__ == "__main__":
    main()
