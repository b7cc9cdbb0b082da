"""Face GAN evaluation: FID and KID against the holdout faces, with the real-vs-real floor in the same run.

    python -m bench.faces --data ../shared/data

N = 1,000 everywhere (FID depends strongly on N): 1,000 generated faces (seeds 0-999, truncation 1)
and 1,000 training faces, each against the 1,000 holdout faces (faces/faces_64_holdout.npy). Also:
the share of generated faces in which the yuface detector finds a face (images upscaled to 128 px),
the discriminator's mean P(real) on holdout and generated faces, and the CPU time for one face.
Figures go to bench/results/faces.json and the manifest.
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
from generative.train.faces import load_faces
from generative.weights import update_metrics

N = 1000


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

    real_features = {}
    for name, images in (("holdout", holdout), ("train", train)):
        path = cache / f"inception_{name}_{N}.npy"
        if not path.exists():
            np.save(path, features(images))
        real_features[name] = np.load(path)
    gen_features = features(generated)
    one_face = summary_ms(timings(lambda: g.generate([123]), repeats=100, warmup=5))
    result = {
        "n": N,
        "fid_generated_vs_holdout": round(fid(gen_features, real_features["holdout"]), 2),
        "fid_train_vs_holdout_floor": round(fid(real_features["train"], real_features["holdout"]), 2),
        "kid_generated_vs_holdout_x1e3": round(1e3 * kid(gen_features, real_features["holdout"]), 2),
        "kid_train_vs_holdout_x1e3": round(1e3 * kid(real_features["train"], real_features["holdout"]), 2),
        "face_detected_generated": face_rate(generated),
        "face_detected_holdout": face_rate(holdout),
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
