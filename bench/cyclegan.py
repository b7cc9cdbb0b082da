"""CycleGAN evaluation: KID/FID against the real photos of the other domain, with the untranslated baseline and
the train-vs-test floor in the same run; the classifier's verdict; the cycle error; CPU speed against the original.

    python -m bench.cyclegan --data ../shared/data

Every test photo is resized to 256 x 256 (as the official test script does) and translated there.
N = all test photos: 79 horses (testA), 95 zebras (testB); FID is strongly biased at such N, so compare
it only within this run. Figures go to bench/results/cyclegan.json and the manifest.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import generative
from bench.common import summary_ms, timings, write
from bench.inception import features, fid, kid
from generative.cyclegan import ResnetGenerator
from generative.weights import update_metrics

SIZE = 256
NAMES = ("cyclegan-horse2zebra", "cyclegan-zebra2horse")


def photos(data: str, folder: str) -> np.ndarray:
    """All photos of ``horse2zebra/<folder>`` resized to SIZE x SIZE, (N, SIZE, SIZE, 3) uint8."""
    files = sorted((Path(data) / "horse2zebra" / folder).glob("*.jpg"))
    return np.stack([np.asarray(Image.open(f).convert("RGB").resize((SIZE, SIZE), Image.Resampling.BICUBIC))
                     for f in files])


def cached_features(images: np.ndarray, folder: str, cache: Path) -> np.ndarray:
    """Inception features of the real photos of ``folder``, cached in ``cache`` (they do not depend on the model)."""
    path = cache / f"inception_horse2zebra_{folder}_{SIZE}_{len(images)}.npy"
    if not path.exists():
        np.save(path, features(images))
    return np.load(path)


def cpu_ms(net: torch.nn.Module, repeats: int) -> dict:
    """Time of one 256 x 256 forward pass (batch 1, no grad)."""
    x = torch.rand(1, 3, SIZE, SIZE) * 2 - 1
    with torch.no_grad():
        return summary_ms(timings(lambda: net(x), repeats=repeats, warmup=2))


def main(argv: list[str] | None = None) -> dict:
    """Measure, print a table, write JSON and the manifest's metrics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "generative"))
    args = parser.parse_args(argv)
    cache = Path(args.cache).expanduser()
    cache.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    g, f = (generative.load(name, device="cpu") for name in NAMES)
    classifier = generative.load("horse-zebra-classifier", device="cpu")
    horses, zebras = photos(args.data, "testA"), photos(args.data, "testB")
    fake_zebras = np.stack([g(x) for x in horses])
    fake_horses = np.stack([f(y) for y in zebras])
    cycled = np.stack([f(y) for y in fake_zebras])

    feats = {"horses": cached_features(horses, "testA", cache), "zebras": cached_features(zebras, "testB", cache),
             "g_horses": features(fake_zebras), "f_zebras": features(fake_horses)}
    for name, folder in (("train_horses", "trainA"), ("train_zebras", "trainB")):
        feats[name] = cached_features(photos(args.data, folder), folder, cache)

    def pair(a: str, b: str) -> dict:
        return {"fid": round(fid(feats[a], feats[b]), 2), "kid_x1e3": round(1e3 * kid(feats[a], feats[b]), 2),
                "n": [len(feats[a]), len(feats[b])]}

    distances = {
        "g_testA_vs_testB": pair("g_horses", "zebras"), "baseline_testA_vs_testB": pair("horses", "zebras"),
        "floor_trainB_vs_testB": pair("train_zebras", "zebras"),
        "f_testB_vs_testA": pair("f_zebras", "horses"), "baseline_testB_vs_testA": pair("zebras", "horses"),
        "floor_trainA_vs_testA": pair("train_horses", "horses"),
    }
    share_zebra = float((classifier.prob_zebra(fake_zebras) >= 0.5).mean())
    share_horse = float((classifier.prob_zebra(fake_horses) < 0.5).mean())
    classifier_real = {"horses_called_horse": float((classifier.prob_zebra(horses) < 0.5).mean()),
                       "zebras_called_zebra": float((classifier.prob_zebra(zebras) >= 0.5).mean())}
    cycle_error = float(np.abs(horses.astype(np.float64) - cycled).mean())
    small, original = cpu_ms(g.net, args.repeats), cpu_ms(ResnetGenerator(ngf=64, n_blocks=9).eval(), args.repeats)
    image = horses[0]
    wrapper = summary_ms(timings(lambda: g(image), repeats=args.repeats, warmup=1))
    result = {
        "size": SIZE, "distances": distances,
        "classifier_zebra_share_g_testA": round(share_zebra, 4),
        "classifier_horse_share_f_testB": round(share_horse, 4),
        "classifier_on_real_test_photos": classifier_real,
        "cycle_error_testA_grey_levels": round(cycle_error, 2),
        "cpu_ms_256_g": small, "cpu_ms_256_original_ngf64_9blocks": original,
        "cpu_ms_256_g_uint8_in_out": wrapper,
        "speedup_vs_original": round(original["median_ms"] / small["median_ms"], 2),
        "parameters": {"g": sum(p.numel() for p in g.parameters()),
                       "original": sum(p.numel() for p in ResnetGenerator(64, 9).parameters())},
        "torch_threads": torch.get_num_threads(),
    }
    print(f"\nCycleGAN at {SIZE} x {SIZE}; N = {len(horses)} test horses, {len(zebras)} test zebras")
    print(f"{'pair':28s} {'FID':>8s} {'KID x1e3':>9s}")
    for name, value in distances.items():
        print(f"{name:28s} {value['fid']:8.2f} {value['kid_x1e3']:9.2f}")
    print(f"classifier: G(testA) called zebra {share_zebra:.1%}, F(testB) called horse {share_horse:.1%} "
          f"(real test photos: {classifier_real})")
    print(f"cycle error mean |x - F(G(x))| on testA: {cycle_error:.2f} grey levels (of 255)")
    print(f"CPU, {result['torch_threads']} threads, 256 x 256: G {small['median_ms']:.1f} ms, original "
          f"{original['median_ms']:.1f} ms ({result['speedup_vs_original']:.2f}x faster)")
    path = write("cyclegan", result)
    metrics = {k: result[k] for k in ("classifier_zebra_share_g_testA", "classifier_horse_share_f_testB",
                                      "cycle_error_testA_grey_levels", "speedup_vs_original")}
    update_metrics(NAMES[0], {**metrics, "kid_x1e3_vs_testB": distances["g_testA_vs_testB"]["kid_x1e3"],
                              "fid_vs_testB": distances["g_testA_vs_testB"]["fid"],
                              "fid_kid_n": distances["g_testA_vs_testB"]["n"],
                              "cpu_ms_256": small["median_ms"]})
    update_metrics(NAMES[1], {**metrics, "kid_x1e3_vs_testA": distances["f_testB_vs_testA"]["kid_x1e3"],
                              "fid_vs_testA": distances["f_testB_vs_testA"]["fid"],
                              "fid_kid_n": distances["f_testB_vs_testA"]["n"],
                              "cpu_ms_256": cpu_ms(f.net, args.repeats)["median_ms"]})
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
