"""CycleGAN training speed on the CPU: iterations per second (G, F, both discriminators, Adam; batch 1) for each
generator form, with and without channels_last; and each form's 256 x 256 forward time against the original
ResNet-9/ngf-64 generator (the tab's speed goal is 3.5x faster than that).

    OMP_NUM_THREADS=1 python -m bench.cyclegan_speed --threads 1 --seconds 60
    python -m bench.cyclegan_speed --threads 2 --norms   # torch's InstanceNorm2d against generative's InstanceNorm

Random crops (speed does not depend on the data) of ``--crop`` px, as the training script sees them. The forms
run in turns of ``seconds / rounds`` so that a change in the machine's load hits them all alike; the load
average before and after goes into bench/results/cyclegan-speed.json.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import torch
from torch import nn

from bench.common import summary_ms, timings, write
from generative.cyclegan import InstanceNorm, ResnetGenerator, Translator
from generative.device import set_precision
from generative.train.cyclegan import CONFIG_G, Trainer

FORMS = {"transpose-zeros (shipped)": {"upsample": "transpose", "padding": "zeros"},
         "resize-reflect": {"upsample": "resize", "padding": "reflect"}}


def trainers(crop: int) -> dict[str, tuple[Trainer, torch.Tensor, torch.Tensor]]:
    """A fresh trainer and a fixed pair of random crops for every form, contiguous and channels-last."""
    gen = torch.Generator().manual_seed(0)
    real_a, real_b = (torch.rand(1, 3, crop, crop, generator=gen) * 2 - 1 for _ in range(2))
    out = {}
    for name, form in FORMS.items():
        for channels_last in (False, True):
            torch.manual_seed(0)
            trainer = Trainer({**CONFIG_G, **form})
            if channels_last:
                trainer.channels_last()
            out[f"{name}{', channels_last' if channels_last else ''}"] = (trainer, real_a, real_b)
    return out


def multiply_adds(net: torch.nn.Module, x: torch.Tensor) -> int:
    """Multiply-adds of the convolutions in one forward pass (load-independent, unlike a timing)."""
    total = 0

    def count(module: torch.nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        kernel = module.weight[0, 0].numel()
        if isinstance(module, torch.nn.ConvTranspose2d):
            total += inputs[0].numel() * module.out_channels * kernel
        else:
            total += output.numel() * module.in_channels * kernel

    hooks = [m.register_forward_hook(count) for m in net.modules()
             if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    net(x)
    for hook in hooks:
        hook.remove()
    return total


@torch.no_grad()
def forward_ms(repeats: int) -> dict[str, dict]:
    """Each form's (fresh weights) and the original generator's 256 x 256 forward pass: time, taken in turns so
    that load changes hit all alike, and multiply-adds."""
    x = torch.rand(1, 3, 256, 256) * 2 - 1
    nets = {name: ResnetGenerator(**CONFIG_G, **form).eval() for name, form in FORMS.items()}
    nets["original ngf 64, 9 blocks"] = ResnetGenerator(64, 9).eval()
    seconds: dict[str, list[float]] = {name: [] for name in nets}
    for name, net in nets.items():
        net(x)  # warm-up
    for _ in range(repeats):
        for name, net in nets.items():
            seconds[name] += timings(lambda net=net: net(x), repeats=1, warmup=0)
    return {name: {**summary_ms(seconds[name]), "gmacs": round(multiply_adds(net, x) / 1e9, 3)}
            for name, net in nets.items()}


NORM_FORWARDS = {"InstanceNorm2d": nn.InstanceNorm2d.forward, "group norm": InstanceNorm.forward}


def both_norms(call: Callable[[], object], turns: int, per_turn: int = 1) -> dict[str, dict]:
    """Milliseconds of ``call`` with each instance-norm forward of :data:`NORM_FORWARDS` in :class:`InstanceNorm`,
    taken in turns (``turns`` rounds of ``per_turn`` calls each, after one warm-up call); the group norm after."""
    times: dict[str, list[float]] = {kind: [] for kind in NORM_FORWARDS}
    try:
        for _ in range(turns):
            for kind, forward in NORM_FORWARDS.items():
                InstanceNorm.forward = forward
                times[kind] += timings(call, repeats=per_turn, warmup=1)
    finally:
        InstanceNorm.forward = NORM_FORWARDS["group norm"]
    return {kind: summary_ms(t) for kind, t in times.items()}


def norms(repeats: int) -> dict:
    """The same instance norm two ways, in turns: torch's ``InstanceNorm2d`` and :class:`InstanceNorm` (a group norm
    with one group per channel), on the generator's feature maps of a 256 x 256 photo (contiguous and channels-last,
    forward without gradients, and forward + backward as in training), the whole generator of the tab, and a whole
    training iteration of the colour form."""
    shapes = {"24 x 256 x 256": (1, 24, 256, 256), "48 x 128 x 128": (1, 48, 128, 128), "96 x 64 x 64": (1, 96, 64, 64)}
    result: dict = {}
    for shape_name, shape in shapes.items():
        norm = InstanceNorm(shape[1])
        for layout in ("contiguous", "channels_last"):
            x = torch.randn(shape)
            x = x.contiguous(memory_format=torch.channels_last) if layout == "channels_last" else x
            xg = x.detach().clone().requires_grad_()
            with torch.no_grad():
                result[f"{shape_name}, {layout}, forward"] = both_norms(lambda: norm(x), repeats)
            result[f"{shape_name}, {layout}, forward + backward"] = both_norms(lambda: norm(xg).sum().backward(),
                                                                               repeats)
    translator = Translator(**CONFIG_G, upsample="resize", padding="reflect").eval()
    x = (torch.rand(1, 3, 256, 256) * 2 - 1).contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        result["generator forward, 256 x 256, channels_last"] = both_norms(lambda: translator.net(x), repeats)
    torch.manual_seed(0)
    trainer = Trainer({**CONFIG_G, "upsample": "resize", "padding": "reflect", "colour": True})
    trainer.channels_last()
    real_a, real_b = (torch.rand(1, 3, 128, 128) * 2 - 1 for _ in range(2))
    result["training iteration, 128 px crops, channels_last"] = both_norms(lambda: trainer.step(real_a, real_b),
                                                                           repeats // 3, per_turn=3)
    return result


def main(argv: list[str] | None = None) -> dict:
    """Time every form in turns; print a table and write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=60, help="timed seconds per form, all rounds together")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--crop", type=int, default=112)
    parser.add_argument("--repeats", type=int, default=5, help="timed 256 x 256 forward passes per generator")
    parser.add_argument("--norms", action="store_true", help="only the two instance norms (cyclegan-norms.json)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    set_precision("float32")  # as before bfloat16 inference; bench.precision times that
    if args.norms:
        result = {"threads": args.threads, **norms(max(args.repeats, 15))}
        print(f"instance norm, median ms, {args.threads} thread(s):")
        for case, timing in result.items():
            if case != "threads":
                old, new = timing["InstanceNorm2d"]["median_ms"], timing["group norm"]["median_ms"]
                print(f"{case:50s} InstanceNorm2d {old:7.2f}  group norm {new:7.2f}  ({old / new:.1f}x)")
        print(f"wrote {write('cyclegan-norms', result)}")
        return result
    runs = trainers(args.crop)
    load_before = os.getloadavg()
    counts, seconds = dict.fromkeys(runs, 0), dict.fromkeys(runs, 0.0)
    for trainer, real_a, real_b in runs.values():  # warm-up
        trainer.step(real_a, real_b)
    for _ in range(args.rounds):
        for name, (trainer, real_a, real_b) in runs.items():
            start = time.perf_counter()
            while time.perf_counter() - start < args.seconds / args.rounds:
                trainer.step(real_a, real_b)
                counts[name] += 1
            seconds[name] += time.perf_counter() - start
    rates = {name: round(counts[name] / seconds[name], 3) for name in runs}
    base = rates[next(iter(runs))]
    print(f"CycleGAN training iterations per second, batch 1, {args.crop} px crops, {args.threads} thread(s), "
          f"{args.seconds:.0f} s per form in {args.rounds} rounds; load average {load_before[0]:.1f} before")
    for name, rate in rates.items():
        print(f"{name:40s} {rate:6.3f} it/s  ({rate / base:.2f}x, {counts[name]} iterations)")
    forward = forward_ms(args.repeats)
    original = forward["original ngf 64, 9 blocks"]["median_ms"]
    print("256 x 256 forward pass:")
    for name, timing in forward.items():
        print(f"{name:40s} {timing['median_ms']:7.1f} ms  ({original / timing['median_ms']:.2f}x faster than the original;"
              f" {timing['gmacs']} G multiply-adds)")
    result = {"threads": args.threads, "crop": args.crop, "batch": 1, "seconds_per_form": args.seconds,
              "rounds": args.rounds, "iterations_per_second": rates, "iterations": counts,
              "relative_to_shipped": {name: round(rate / base, 3) for name, rate in rates.items()},
              "forward_256": forward,
              "forward_speedup_vs_original": {name: round(original / t["median_ms"], 2) for name, t in forward.items()},
              "multiply_add_ratio_original_over_form": {
                  name: round(forward["original ngf 64, 9 blocks"]["gmacs"] / t["gmacs"], 2) for name, t in forward.items()},
              "load_average_before": [round(v, 2) for v in load_before],
              "load_average_after": [round(v, 2) for v in os.getloadavg()]}
    print(f"wrote {write('cyclegan-speed', result)}")
    return result


if __name__ == "__main__":
    main()
