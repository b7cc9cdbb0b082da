"""CycleGAN evaluation: KID/FID against the real photos of the other domain, with the untranslated baseline and
the train-vs-test floor in the same run; the classifier's verdict; the cycle error; CPU speed against the original;
grid texture and how much of the scene around the animal changes.

    python -m bench.cyclegan --data ../shared/data
    python -m bench.cyclegan --data ../shared/data --only artefacts   # seconds: grid texture and scene change
    python -m bench.cyclegan --data ../shared/data --checkpoint ~/.cache/generative/cyclegan-resize-reflect.pt

Also the tab's two examples there and back (docs/cyclegan-examples.png; a checkpoint's in ``--cache``).

Every test photo is resized to 256 x 256 (as the official test script does) and translated there, in float32
(``python -m bench.precision`` scores bfloat16, which the tab uses on CPUs that compute it natively).
N = all test photos: 79 horses (testA), 95 zebras (testB); FID is strongly biased at such N, so compare
it only within this run. Figures go to bench/results/cyclegan.json and the manifest; ``--only artefacts``
writes bench/results/cyclegan-artefacts.json only. ``--checkpoint`` scores a training run's checkpoint instead of
the shipped weights (a trial, before anything is exported): its figures go to
bench/results/trial-<checkpoint name>[-artefacts].json and never into the manifest.

**Grid texture** (:func:`grid_peaks`): a stride-2 transposed conv, or zero padding seen by only two sides of
the image, leaves a pattern repeating every 2 or 4 pixels. Its energy sits at the spectrum's bins of those
periods; a photo has no peak there. The figure is the peak-to-neighbourhood ratio of G(x)'s spectrum at
those bins, divided by the same ratio of x: 1 = no grid added.

**Scene change** (:func:`scene_change`): mean |x - G(x)| on the outer eighth of each side (the band) against
the central half of the frame. In these test photos the animal is big and centred, so the band is mostly
sky, grass, fences and walls: a user sees change there as stripes on the scene. Limits: legs, heads or
tails reach the band in some photos and the centre holds some background, so even a perfect model scores
above 0; it compares models, it is not a segmentation.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import generative
from bench.common import summary_ms, timings, write
from bench.inception import features, fid, kid
from generative.cyclegan import ResnetGenerator, Translator
from generative.images import load_rgb
from generative.metric_names import HORSE_SHARE, ZEBRA_SHARE
from generative.train import load_checkpoint
from generative.weights import update_metrics

SIZE = 256
NAMES = ("cyclegan-horse2zebra", "cyclegan-zebra2horse")
GRID_PERIODS = (2, 4)
GRID_LIMIT = 4.0  # the most grid energy, relative to the input's, that still passes
ASSETS = Path(__file__).resolve().parents[1] / "assets"
COMMITTED_PHOTOS = ("horses_nokota.jpg", "chelsea_cat.jpg", "astronaut.jpg", "sr_coffee.png")
EXAMPLES_PNG = ASSETS.parent / "docs" / "cyclegan-examples.png"  # for the shipped weights; a trial's goes to --cache


def save_examples(g: Callable, f: Callable, path: Path) -> None:
    """The tab's examples (the horses and the zebra in assets/) at 256 px: rows x | there | back again (horse ->
    zebra -> horse, then zebra -> horse -> zebra), as a PNG."""
    rows = []
    for name, there, back in (("horses_nokota.jpg", g, f), ("zebra_tuxpaint.png", f, g)):
        x = np.asarray(Image.fromarray(load_rgb(ASSETS / name)).resize((SIZE, SIZE), Image.Resampling.BICUBIC))
        y = there(x)
        rows.append(np.concatenate([x, y, back(y)], axis=1))
    path.parent.mkdir(exist_ok=True)
    Image.fromarray(np.concatenate(rows)).save(path, optimize=True)


def photos(data: str, folder: str) -> np.ndarray:
    """All photos of ``horse2zebra/<folder>`` resized to SIZE x SIZE, (N, SIZE, SIZE, 3) uint8."""
    files = sorted((Path(data) / "horse2zebra" / folder).glob("*.jpg"))
    return np.stack([np.asarray(Image.open(f).convert("RGB").resize((SIZE, SIZE), Image.Resampling.BICUBIC))
                     for f in files])


def committed_photos() -> np.ndarray:
    """Example photos shipped in assets/ (horses under a sky, a cat, a portrait, a cup), resized to SIZE x SIZE."""
    return np.stack([np.asarray(Image.open(ASSETS / name).convert("RGB").resize((SIZE, SIZE),
                                                                                Image.Resampling.BICUBIC))
                     for name in COMMITTED_PHOTOS])


def grid_peaks(image: np.ndarray) -> dict[int, float]:
    """How far the spectrum of ``image`` (H, W[, 3]) peaks at the frequencies of a 2- and a 4-pixel grid.

    Grey image, Hann window, power spectrum; for each period p the bins (k H/p, l W/p) except DC (for p = 4,
    also except the period-2 bins). Peak = energy in the 3 x 3 bins around each (the window's main lobe);
    background = 9 x the median energy 3 to 6 bins away, never below that of uint8 rounding noise.
    Returns {p: peak / background}: about 1 for a photo, hundreds for a visible checkerboard.
    """
    grey = np.asarray(image, dtype=np.float64)
    grey = grey.mean(axis=2) if grey.ndim == 3 else grey
    h, w = grey.shape[0] // 4 * 4, grey.shape[1] // 4 * 4
    grey = grey[:h, :w]
    window = np.outer(np.hanning(h), np.hanning(w))
    power = np.abs(np.fft.fft2((grey - grey.mean()) * window)) ** 2
    floor = (window ** 2).sum() / 12  # expected power per bin of uniform rounding noise (variance 1/12)
    offsets = np.arange(-6, 7)
    distance = np.maximum.outer(np.abs(offsets), np.abs(offsets))
    ratios = {}
    for period in GRID_PERIODS:
        peak = background = 0.0
        for k in range(period):
            for m in range(period):
                if (k, m) == (0, 0) or (period == 4 and k % 2 == 0 and m % 2 == 0):
                    continue
                block = power[np.ix_((k * h // period + offsets) % h, (m * w // period + offsets) % w)]
                peak += block[distance <= 1].sum()
                background += 9 * max(float(np.median(block[distance >= 3])), floor)
        ratios[period] = float(peak / background)
    return ratios


def grid_excess(x: np.ndarray, y: np.ndarray) -> dict[int, float]:
    """Grid peaks of the output ``y`` relative to those of its input ``x`` (floored at 1): 1 = nothing added."""
    px, py = grid_peaks(x), grid_peaks(y)
    return {p: py[p] / max(1.0, px[p]) for p in GRID_PERIODS}


def artefacts(translate: Callable[[np.ndarray], np.ndarray], photos: np.ndarray) -> dict:
    """Grid excess of ``translate`` on ``photos`` (median and worst per period, share over GRID_LIMIT), and
    on a flat sky-blue and a smooth sky gradient (where any texture is the network's own)."""
    excess = [grid_excess(x, translate(x)) for x in photos]
    yy, xx = np.mgrid[:SIZE, :SIZE] / SIZE
    sky = np.stack([150 + 60 * yy + 10 * xx, 190 + 30 * yy, 240 - 10 * yy], axis=2).round().astype(np.uint8)
    flat = np.broadcast_to(np.array([120, 170, 235], np.uint8), (SIZE, SIZE, 3)).copy()
    result = {"n_photos": len(photos)}
    for p in GRID_PERIODS:
        values = np.array([e[p] for e in excess])
        result[f"period{p}"] = {"median": round(float(np.median(values)), 2), "max": round(float(values.max()), 2),
                                "share_over_limit": round(float((values > GRID_LIMIT).mean()), 3)}
    for name, image in (("flat_sky", flat), ("sky_gradient", sky)):
        out = translate(image)
        result[name] = {f"period{p}": round(v, 2) for p, v in grid_excess(image, out).items()}
        result[name]["std_grey_levels"] = round(float(out.astype(np.float64).mean(axis=2).std()), 2)
    return result


def scene_change(translate: Callable[[np.ndarray], np.ndarray], photos: np.ndarray) -> dict:
    """Mean |x - G(x)| (grey levels) on the outer band (SIZE/8 wide) and in the central half, their ratio,
    and the band's mean colour shift G(x) - x per channel (R, G, B)."""
    band = np.ones((SIZE, SIZE), bool)
    band[SIZE // 8: -SIZE // 8, SIZE // 8: -SIZE // 8] = False
    centre = np.zeros((SIZE, SIZE), bool)
    centre[SIZE // 4: -SIZE // 4, SIZE // 4: -SIZE // 4] = True
    diffs = np.stack([translate(x).astype(np.float64) - x for x in photos])
    band_change, centre_change = float(np.abs(diffs[:, band]).mean()), float(np.abs(diffs[:, centre]).mean())
    return {"n_photos": len(photos), "band_change": round(band_change, 2), "centre_change": round(centre_change, 2),
            "band_over_centre": round(band_change / centre_change, 3),
            "band_colour_shift_rgb": [round(float(v), 2) for v in diffs[:, band].mean(axis=(0, 1))]}


def scene_and_grid(g: Callable, f: Callable, horses: np.ndarray, zebras: np.ndarray) -> dict:
    """The cheap figures: grid texture of G and F on the committed photos and the test photos; scene change."""
    mine = committed_photos()
    return {"grid_g": artefacts(g, np.concatenate([mine, horses])), "grid_f": artefacts(f, np.concatenate([mine, zebras])),
            "grid_limit": GRID_LIMIT, "scene_g_testA": scene_change(g, horses), "scene_f_testB": scene_change(f, zebras)}


def print_scene_and_grid(result: dict) -> None:
    """One table of the cheap figures."""
    print(f"grid excess (G(x) peak / x peak at the 2- and 4-pixel bins; 1 = none added, limit {GRID_LIMIT}):")
    for key in ("grid_g", "grid_f"):
        r = result[key]
        print(f"  {key}: N = {r['n_photos']} photos, median p2 {r['period2']['median']}, p4 {r['period4']['median']}"
              f" (worst {r['period2']['max']}, {r['period4']['max']}; over the limit "
              f"{r['period2']['share_over_limit']:.0%}, {r['period4']['share_over_limit']:.0%}); "
              f"flat sky p2 {r['flat_sky']['period2']}, sky gradient p2 {r['sky_gradient']['period2']}")
    for key in ("scene_g_testA", "scene_f_testB"):
        r = result[key]
        print(f"  {key}: N = {r['n_photos']}, mean |x - G(x)| band {r['band_change']} vs centre {r['centre_change']}"
              f" (ratio {r['band_over_centre']}); band colour shift RGB {r['band_colour_shift_rgb']}")


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


def generators(checkpoint: str | None) -> tuple[Translator, Translator]:
    """G and F: the shipped ones, or those of a ``generative.train.cyclegan`` checkpoint (with its config)."""
    if checkpoint is None:
        return generative.load(NAMES[0], device="cpu"), generative.load(NAMES[1], device="cpu")
    from generative.train.cyclegan import CONFIG_G

    state = load_checkpoint(Path(checkpoint).expanduser())
    config = state.get("config_g", CONFIG_G)  # checkpoints written before config_g was saved hold the shipped form
    nets = []
    for key in ("g", "f"):
        translator = Translator(**config)
        translator.net.load_state_dict(state[key])
        nets.append(translator.eval())
    print(f"scoring {checkpoint}: {config}, after {int(state['step'])} iterations")
    return nets[0], nets[1]


def translations(g: Callable, f: Callable, horses: np.ndarray, zebras: np.ndarray) -> tuple[np.ndarray, ...]:
    """G(horses), F(zebras) and the horses' cycle F(G(horses))."""
    fake_zebras = np.stack([g(x) for x in horses])
    return fake_zebras, np.stack([f(y) for y in zebras]), np.stack([f(y) for y in fake_zebras])


def shares(classifier: Callable, fake_zebras: np.ndarray, fake_horses: np.ndarray) -> tuple[float, float]:
    """The classifier's share of G's outputs called zebra and of F's called horse."""
    return (float((classifier.prob_zebra(fake_zebras) >= 0.5).mean()),
            float((classifier.prob_zebra(fake_horses) < 0.5).mean()))


def mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    """Mean |a - b| in grey levels: the cycle error when b = F(G(a))."""
    return float(np.abs(a.astype(np.float64) - b).mean())


def main(argv: list[str] | None = None) -> dict:
    """Measure, print a table, write JSON and (for the shipped weights) the manifest's metrics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "generative"))
    parser.add_argument("--only", choices=["artefacts"], help="just the grid texture and scene change (seconds)")
    parser.add_argument("--checkpoint", help="a training checkpoint to score instead of the shipped weights")
    args = parser.parse_args(argv)
    cache = Path(args.cache).expanduser()
    cache.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    generative.set_precision("float32")  # the manifest's figures; bench.precision measures bfloat16's
    g, f = generators(args.checkpoint)
    out = "cyclegan" if args.checkpoint is None else f"trial-{Path(args.checkpoint).stem}"
    horses, zebras = photos(args.data, "testA"), photos(args.data, "testB")
    cheap = scene_and_grid(g, f, horses, zebras)
    print_scene_and_grid(cheap)
    if args.only == "artefacts":
        print(f"wrote {write(f'{out}-artefacts', cheap)}")
        return cheap
    classifier = generative.load("horse-zebra-classifier", device="cpu")
    fake_zebras, fake_horses, cycled = translations(g, f, horses, zebras)

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
    share_zebra, share_horse = shares(classifier, fake_zebras, fake_horses)
    classifier_real = {"horses_called_horse": float((classifier.prob_zebra(horses) < 0.5).mean()),
                       "zebras_called_zebra": float((classifier.prob_zebra(zebras) >= 0.5).mean())}
    cycle_error = mean_abs(horses, cycled)
    small, original = cpu_ms(g.net, args.repeats), cpu_ms(ResnetGenerator(ngf=64, n_blocks=9).eval(), args.repeats)
    image = horses[0]
    wrapper = summary_ms(timings(lambda: g(image), repeats=args.repeats, warmup=1))
    result = {
        "size": SIZE, "distances": distances,
        ZEBRA_SHARE: round(share_zebra, 4),
        HORSE_SHARE: round(share_horse, 4),
        "classifier_on_real_test_photos": classifier_real,
        "cycle_error_testA_grey_levels": round(cycle_error, 2),
        "cpu_ms_256_g": small, "cpu_ms_256_original_ngf64_9blocks": original,
        "cpu_ms_256_g_uint8_in_out": wrapper,
        "speedup_vs_original": round(original["median_ms"] / small["median_ms"], 2),
        "parameters": {"g": sum(p.numel() for p in g.parameters()),
                       "original": sum(p.numel() for p in ResnetGenerator(64, 9).parameters())},
        "torch_threads": torch.get_num_threads(), **cheap,
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
    path = write(out, result)
    examples = EXAMPLES_PNG if args.checkpoint is None else cache / f"{out}-examples.png"
    save_examples(g, f, examples)
    print(f"wrote {path} and {examples}")
    if args.checkpoint is not None:
        return result
    metrics = {k: result[k] for k in (ZEBRA_SHARE, HORSE_SHARE,
                                      "cycle_error_testA_grey_levels", "speedup_vs_original")}
    update_metrics(NAMES[0], {**metrics, "kid_x1e3_vs_testB": distances["g_testA_vs_testB"]["kid_x1e3"],
                              "grid_excess_period2_median": cheap["grid_g"]["period2"]["median"],
                              "scene_band_over_centre_testA": cheap["scene_g_testA"]["band_over_centre"],
                              "fid_vs_testB": distances["g_testA_vs_testB"]["fid"],
                              "fid_kid_n": distances["g_testA_vs_testB"]["n"],
                              "cpu_ms_256": small["median_ms"]})
    update_metrics(NAMES[1], {**metrics, "kid_x1e3_vs_testA": distances["f_testB_vs_testA"]["kid_x1e3"],
                              "grid_excess_period2_median": cheap["grid_f"]["period2"]["median"],
                              "scene_band_over_centre_testB": cheap["scene_f_testB"]["band_over_centre"],
                              "fid_vs_testA": distances["f_testB_vs_testA"]["fid"],
                              "fid_kid_n": distances["f_testB_vs_testA"]["n"],
                              "cpu_ms_256": cpu_ms(f.net, args.repeats)["median_ms"]})
    return result


if __name__ == "__main__":
    main()
