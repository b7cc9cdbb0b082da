"""Face GAN evaluation: FID and KID against the holdout faces, with the real-vs-real floor in the same run.

    python -m bench.faces --data ../shared/data

N = 1,000 everywhere (FID depends strongly on N): 1,000 generated faces (seeds 0-999, truncation 1)
and 1,000 training faces, each against the 1,000 holdout faces (faces/faces_64_holdout.npy). Also:
the share of generated faces in which the yuface detector finds a face (images upscaled to 128 px),
the discriminator's mean P(real) on holdout and generated faces, and the CPU time for one face.

Variety: recall and coverage (Naeem et al. 2020, k = 5 nearest neighbours in the same Inception
features, ``pip install prdc``) of the generated faces against the holdout faces, next to the values of
the training faces (real vs real) and of a collapsed reference: 50 training faces, each repeated 20 times
(perfect faces, no variety). Coverage is the share of holdout faces that have a generated face within
their 5-NN radius: a collapsed generator covers only its few modes.
Also a grid of seeds 0-63 at ψ = 1 (docs/faces-seeds-0-63.png).
Figures go to bench/results/faces.json and the manifest.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import generative
from bench.common import RESULTS, summary_ms, timings, write
from bench.inception import features, fid, kid
from generative.datasets import load_faces
from generative.metric_names import FID, FID_FLOOR
from generative.weights import update_metrics

N = 1000
NEAREST_K = 5
COLLAPSED_MODES = 50
GRID_PNG = RESULTS.parents[1] / "docs" / "faces-seeds-0-63.png"


def variety(real: np.ndarray, other: np.ndarray) -> dict:
    """Recall and coverage of the feature set ``other`` against ``real`` (k = 5)."""
    from prdc import compute_prdc

    scores = compute_prdc(real_features=real, fake_features=other, nearest_k=NEAREST_K)
    return {"recall": round(float(scores["recall"]), 3), "coverage": round(float(scores["coverage"]), 3)}


def save_grid(faces: np.ndarray, path: Path) -> None:
    """An 8 x 8 grid of 64 faces at their own 64 x 64 pixels, as a PNG."""
    rows = [np.concatenate(list(faces[r * 8: r * 8 + 8]), axis=1) for r in range(8)]
    path.parent.mkdir(exist_ok=True)
    Image.fromarray(np.concatenate(rows)).save(path, optimize=True)


def face_rate(images: np.ndarray) -> float:
    """Share of images in which yuface (pip install yuface) detects a face, after upscaling to 128 px."""
    import yuface

    found = 0
    for image in images:
        big = np.asarray(Image.fromarray(image).resize((128, 128), Image.Resampling.BICUBIC))
        confs, _, _ = yuface.detect(np.ascontiguousarray(big[:, :, ::-1]), conf=0.5)
        found += len(confs) > 0
    return found / len(images)


def main(argv: list[str] | None = None) -> dict:
    """Measure, print a table, write JSON and the manifest's metrics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "generative"))
    args = parser.parse_args(argv)
    cache = Path(args.cache).expanduser()
    cache.mkdir(parents=True, exist_ok=True)
    g, d = generative.load("faces-gan", device="cpu"), generative.load("faces-gan-d", device="cpu")
    holdout = np.load(Path(args.data) / "faces" / "faces_64_holdout.npy")[:N]
    train = load_faces(args.data, cache)[:N]
    generated = np.concatenate([g.generate(list(range(s, s + 100))) for s in range(0, N, 100)])
    save_grid(generated[:64], GRID_PNG)

    real_features = {}
    for name, images in (("holdout", holdout), ("train", train)):
        path = cache / f"inception_{name}_{N}.npy"
        if not path.exists():
            np.save(path, features(images))
        real_features[name] = np.load(path)
    gen_features = features(generated)
    collapsed = np.repeat(real_features["train"][:COLLAPSED_MODES], N // COLLAPSED_MODES, axis=0)
    diversity = {name: variety(real_features["holdout"], other) for name, other in
                 (("generated", gen_features), ("train", real_features["train"]), ("collapsed", collapsed))}
    one_face = summary_ms(timings(lambda: g.generate([123]), repeats=100, warmup=5))
    result = {
        "n": N,
        FID: round(fid(gen_features, real_features["holdout"]), 2),
        FID_FLOOR: round(fid(real_features["train"], real_features["holdout"]), 2),
        "kid_generated_vs_holdout_x1e3": round(1e3 * kid(gen_features, real_features["holdout"]), 2),
        "kid_train_vs_holdout_x1e3": round(1e3 * kid(real_features["train"], real_features["holdout"]), 2),
        "face_detected_generated": face_rate(generated),
        "face_detected_holdout": face_rate(holdout),
        **{f"{figure}_{name}": diversity[name][figure] for name in diversity for figure in ("recall", "coverage")},
        "d_prob_real_holdout": round(float(d.prob_real(holdout).mean()), 3),
        "d_prob_real_generated": round(float(d.prob_real(generated).mean()), 3),
        "cpu_ms_per_face": one_face["median_ms"],
        "torch_threads": torch.get_num_threads(),
    }
    floor = result["fid_train_vs_holdout_floor"]
    print(f"\nFace GAN, N = {N} against the holdout faces")
    print(f"FID generated {result['fid_generated_vs_holdout']:.2f} | real-vs-real floor {floor:.2f} "
          f"(goal <= 2 x floor = {2 * floor:.1f})")
    print(f"KID x 1e3: generated {result['kid_generated_vs_holdout_x1e3']:.2f} | "
          f"floor {result['kid_train_vs_holdout_x1e3']:.2f}")
    print(f"Variety vs holdout (k = {NEAREST_K}), recall / coverage: generated {result['recall_generated']:.3f} / "
          f"{result['coverage_generated']:.3f} | training faces (real vs real) {result['recall_train']:.3f} / "
          f"{result['coverage_train']:.3f} | collapsed reference {result['recall_collapsed']:.3f} / "
          f"{result['coverage_collapsed']:.3f}")
    print(f"yuface finds a face in {100 * result['face_detected_generated']:.1f} % of generated faces "
          f"({100 * result['face_detected_holdout']:.1f} % of holdout faces)")
    print(f"D's mean P(real): holdout {result['d_prob_real_holdout']:.3f}, generated {result['d_prob_real_generated']:.3f}")
    print(f"CPU time for one face: {one_face['median_ms']:.1f} ms (median)")
    update_metrics("faces-gan", {**result, "measured_by": "python -m bench.faces"})
    path = write("faces", result)
    print(f"\nwrote {path}")
    return result


if __name__ == "__main__":
    main()
