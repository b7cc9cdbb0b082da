"""VAE evaluation: test -ELBO (reconstruction + KL) and the importance-weighted NLL, in nats.

    python -m bench.vae --data ../shared/data           # all VAEs in the manifest, k = 1000
    python -m bench.vae --models vae-mnist --images 2000

The 10,000 test images are statically binarised with seed 0 (generative.digits.binarize_static).
The figures go to bench/results/vae.json and into each model's manifest entry.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

import generative
from bench.common import RESULTS, summary_ms, timings, write
from generative import digits
from generative.metric_names import IWAE_NLL, TEST_NEG_ELBO
from generative.weights import read_manifest, update_metrics

GOALS = {"vae-mnist": (IWAE_NLL, 88.0), "vae-mnist-2d": (TEST_NEG_ELBO, 145.0)}


@torch.no_grad()
def evaluate(name: str, data: str, k: int, n_images: int) -> dict:
    """-ELBO split and IWAE NLL on the first ``n_images`` statically binarised test images."""
    model = generative.load(name, device="cpu")
    dataset = "fashion" if "fashion" in name else "mnist"
    images, _ = digits.load(data, dataset, "test")
    x = torch.from_numpy(digits.binarize_static(images))[:n_images]
    gen = torch.Generator().manual_seed(0)
    recon, kl = zip(*(model.elbo_terms(batch, gen) for batch in x.split(1000)))
    recon, kl = torch.cat(recon).mean().item(), torch.cat(kl).mean().item()
    start = time.time()
    nll = torch.cat([model.importance_nll(batch, k=k, generator=gen) for batch in x.split(100)]).mean().item()
    z = torch.zeros(1, model.latent_dim)
    decode = summary_ms(timings(lambda: (model.decode(z) * 255).to(torch.uint8).numpy(), repeats=300, warmup=20))
    return {
        "dataset": f"{dataset} test, first {n_images} images, static binarisation seed 0",
        "test_recon_nats": round(recon, 2),
        "test_kl_nats": round(kl, 2),
        TEST_NEG_ELBO: round(recon + kl, 2),
        "iwae_k": k,
        IWAE_NLL: round(nll, 2),
        "iwae_seconds": round(time.time() - start, 1),
        "decode_one_cpu_ms": decode["median_ms"],
        "decode_one_cpu_p90_ms": decode["p90_ms"],
    }


def main(argv: list[str] | None = None) -> dict:
    """Evaluate, print a table, write JSON and the manifest's metrics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--models", nargs="*", default=None, help="default: every vae-* in the manifest")
    parser.add_argument("--k", type=int, default=1000, help="importance samples per image")
    parser.add_argument("--images", type=int, default=10_000, help="test images to use (default all)")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    names = args.models or [n for n in read_manifest() if n.startswith("vae-")]
    results = {name: evaluate(name, args.data, args.k, args.images) for name in names}
    print(f"\n{'model':<16}{'recon':>8}{'KL':>7}{'-ELBO':>8}{'NLL (k=' + str(args.k) + ')':>14}{'decode ms':>11}  goal")
    for name, r in results.items():
        metric, goal = GOALS.get(name, (None, None))
        verdict = f"{metric} <= {goal}: {'met' if r[metric] <= goal else 'NOT met'}" if metric else ""
        print(f"{name:<16}{r['test_recon_nats']:>8.2f}{r['test_kl_nats']:>7.2f}{r['test_neg_elbo_nats']:>8.2f}"
              f"{r['iwae_nll_nats']:>14.2f}{r['decode_one_cpu_ms']:>11.2f}  {verdict}")
        if args.images == 10_000:
            update_metrics(name, {**r, "measured_by": f"python -m bench.vae --k {args.k}"})
    previous = RESULTS / "vae.json"
    earlier = json.loads(previous.read_text()) if previous.exists() else {}
    if earlier.get("k") == args.k and earlier.get("images") == args.images:  # keep other models' figures
        results = {**earlier.get("models", {}), **results}
    path = write("vae", {"k": args.k, "images": args.images, "models": results})
    print(f"\nwrote {path}")
    return results


if __name__ == "__main__":
    main()
