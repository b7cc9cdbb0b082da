"""One likelihood table for every model: test NLL on binarised MNIST, parameters, training and sampling time.

    python -m bench.likelihood          # after the training scripts' exports and python -m bench.vae

Every NLL is on the 10,000 MNIST test images statically binarised with seed 0 and is reused, not re-derived:
the exact NLLs of the mixture of Bernoullis and the PixelCNN were measured by their training scripts when
they exported the weights (the manifest drops them when the weights change), the VAEs' importance-weighted
bounds (k = 1000) by ``bench.vae`` (bench/results/vae.json). This script adds the time to sample one digit
(and the PixelCNN's 16, as its tab does), and the GAN row says why it has no likelihood.
Writes bench/results/likelihood.json (rows and the table).
"""

from __future__ import annotations

import argparse
import csv
import json
import math

import torch

import generative
from bench.common import RESULTS, summary_ms, timings, write
from generative.metric_names import EXACT_NLL, IWAE_NLL, TEST_NEG_ELBO
from generative.weights import read_manifest

PIXELS = 784
FAMILIES = {"tractable": "explicit, tractable", "approximate": "explicit, approximate", "implicit": "implicit"}


def bits_per_dim(nats: float) -> float:
    """Nats per image -> bits per pixel."""
    return nats / PIXELS / math.log(2)


def curve_seconds(name: str, column: str = "seconds", cumulative: bool = False) -> float | None:
    """Training seconds from a learning curve: per-row times summed, or a running clock summed over restarts."""
    path = RESULTS / f"train-{name}.csv"
    if not path.exists():
        return None
    values = [float(row[column]) for row in csv.DictReader(path.open()) if row.get(column)]
    if not cumulative:
        return sum(values)
    total, last = 0.0, 0.0
    for value in values:
        if value < last:  # the clock restarted with a resumed run
            total += last
        last = value
    return total + last


def sample_ms(fn) -> float:
    """Median milliseconds of one call of ``fn`` (a few repeats)."""
    return summary_ms(timings(fn, repeats=5, warmup=1))["median_ms"]


@torch.no_grad()
def exact_rows() -> list[dict]:
    """The tractable models whose exported weights carry a measured exact test NLL."""
    manifest, rows = read_manifest(), []
    if EXACT_NLL in manifest.get("bernoulli-mnist", {}).get("metrics", {}):
        mixture = generative.load("bernoulli-mnist", device="cpu")
        rows.append({"model": f"Mixture of Bernoullis (K = {mixture.n_components}, EM)", "name": "bernoulli-mnist",
                     "family": FAMILIES["tractable"], "nll_kind": "exact",
                     "sample_one_ms": sample_ms(lambda: mixture.sample(1, random_state=0))})
    if EXACT_NLL in manifest.get("pixelcnn-mnist", {}).get("metrics", {}):
        model = generative.load("pixelcnn-mnist", device="cpu")
        rows.append({"model": "Gated PixelCNN (FVBN)", "name": "pixelcnn-mnist", "family": FAMILIES["tractable"],
                     "nll_kind": "exact", "sample_one_ms": sample_ms(lambda: model.sample(1, seed=0)),
                     "sample_16_ms": sample_ms(lambda: model.sample(16, seed=0))})  # the tab's batch
    for row in rows:
        entry = manifest[row["name"]]
        row["nll_nats"], row["training_seconds"] = entry["metrics"][EXACT_NLL], entry.get("train_cpu_seconds")
    return rows


@torch.no_grad()
def vae_rows() -> list[dict]:
    """The MNIST VAEs: the importance-weighted bound that ``bench.vae`` measured, and a sampling time."""
    measured = json.loads((RESULTS / "vae.json").read_text())
    rows = []
    for name, label in (("vae-mnist-2d", "VAE, 2-D latent"), ("vae-mnist", "VAE, 32-D latent")):
        figures = measured["models"].get(name)
        if figures is None or name not in read_manifest():
            continue
        model = generative.load(name, device="cpu")
        rows.append({"model": label, "name": name, "family": FAMILIES["approximate"],
                     "nll_nats": figures[IWAE_NLL], "nll_kind": f"upper bound (IWAE, k = {figures['iwae_k']})",
                     "neg_elbo_nats": figures[TEST_NEG_ELBO],
                     "training_seconds": curve_seconds(name),
                     "sample_one_ms": sample_ms(lambda: torch.bernoulli(model.decode(torch.randn(1, model.latent_dim))))})
    return rows


def gan_row() -> list[dict]:
    """The face GAN: it has no likelihood to report, and the row says why."""
    entry = read_manifest().get("faces-gan")
    if entry is None:
        return []
    return [{"model": "Face GAN (not MNIST)", "name": "faces-gan", "family": FAMILIES["implicit"],
             "nll_nats": None, "nll_kind": "none: a GAN only samples; its images lie on a 128-D surface in pixel "
                                          "space, so p(x) is not defined (judged by FID instead)",
             "training_seconds": curve_seconds("faces-gan", cumulative=True),
             "sample_one_ms": entry["metrics"].get("cpu_ms_per_face")}]


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def markdown(rows: list[dict]) -> str:
    """The table, lowest NLL first, the GAN last."""
    lines = ["| model | family | test NLL (nats) | bits/dim | which NLL | parameters | CPU training | sample one |",
             "|---|---|---:|---:|---|---:|---:|---:|"]
    for r in rows:
        nll = "—" if r["nll_nats"] is None else f"{r['nll_nats']:.2f}"
        bpd = "—" if r["nll_nats"] is None else f"{bits_per_dim(r['nll_nats']):.3f}"
        ms = "—" if r["sample_one_ms"] is None else f"{r['sample_one_ms']:.1f} ms"
        lines.append(f"| {r['model']} | {r['family']} | {nll} | {bpd} | {r['nll_kind']} | {r['parameters']:,} | "
                     f"{_duration(r['training_seconds'])} | {ms} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    """Collect the figures, time the sampling, print the markdown table, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = [*exact_rows(), *vae_rows()]
    rows.sort(key=lambda r: r["nll_nats"])
    rows += gan_row()
    manifest = read_manifest()
    for r in rows:
        r["parameters"] = manifest[r["name"]]["parameters"]
        if r["nll_nats"] is not None:
            r["bits_per_dim"] = round(bits_per_dim(r["nll_nats"]), 4)
    table = markdown(rows)
    print(table)
    path = write("likelihood", {"dataset": "mnist test, all 10000 images, static binarisation seed 0",
                                "rows": rows, "markdown": table})
    print(f"\nwrote {path}")
    return {"rows": rows}


if __name__ == "__main__":
    main()
