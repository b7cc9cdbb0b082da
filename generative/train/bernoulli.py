"""Fit the mixture of Bernoullis to binarised MNIST by EM, choosing K by held-out likelihood.

    python -m generative.train.bernoulli --data ../shared/data --threads 1

The 60,000 training images are binarised once (seed 1); EM (until the mean log-likelihood changes by less
than 0.01 nats) fits every K of ``--components`` on the first ``--fit-images`` and scores the last 10,000;
the K with the best held-out log-likelihood is kept. Its exact NLL on
the 10,000 test images (static binarisation seed 0, as ``bench.vae``) goes into the manifest with the
weights (``weights/bernoulli-mnist.safetensors``); every K's figures go to
``bench/results/train-bernoulli-mnist.csv``. EM takes minutes, so there is nothing to resume.
"""

from __future__ import annotations

import math
import time

from generative import digits
from generative.bernoulli import BernoulliMixture
from generative.metric_names import EXACT_NLL
from generative.train import append_row, learning_curve, parser, start_run
from generative.weights import save_model

NAME = "bernoulli-mnist"
HELD_OUT = 10_000
TOL = 1e-2  # nats per image


def main(argv: list[str] | None = None) -> None:
    """Fit each K, keep the best on held-out images, measure its test NLL, export."""
    cli = parser(__doc__, minutes=False, export=False)
    cli.add_argument("--components", type=int, nargs="+", default=[10, 25, 50, 100, 200, 400])
    cli.add_argument("--fit-images", type=int, default=20_000, help="training images EM sees (from the first)")
    args = cli.parse_args(argv)
    start_run(args)
    train_images, _ = digits.load(args.data, "mnist", "train")
    test_images, _ = digits.load(args.data, "mnist", "test")
    train = digits.binarize_static(train_images, seed=1).reshape(len(train_images), -1)
    test = digits.binarize_static(test_images).reshape(len(test_images), -1)
    fit_part, held_out = train[: min(args.fit_images, len(train) - HELD_OUT)], train[-HELD_OUT:]
    curve = learning_curve(NAME, ["components", "iterations", "train_nll", "held_out_nll", "seconds"], fresh=True)
    best: tuple[float, BernoulliMixture, float] | None = None
    total = 0.0
    for k in args.components:
        t0 = time.time()
        model = BernoulliMixture(k, tol=TOL, random_state=0).fit(fit_part)
        seconds = time.time() - t0
        total += seconds
        held = -model.score(held_out)
        append_row(curve, [k, model.n_iter_, f"{-model.lower_bound_:.2f}", f"{held:.2f}", f"{seconds:.0f}"])
        print(f"K={k}: {model.n_iter_} EM iterations, train {-model.lower_bound_:.2f}, held-out {held:.2f} nats, "
              f"{seconds:.0f} s", flush=True)
        if best is None or held < best[0]:
            best = (held, model, seconds)
    assert best is not None
    held, model, seconds = best
    nll = -model.score(test)
    path = save_model(NAME, model, {
        "builder": "generative.bernoulli:BernoulliMixture",
        "config": {"n_components": model.n_components},
        "data": f"MNIST train, binarised once (seed 1): first {len(fit_part):,} images to fit, last 10,000 to choose K",
        "command": f"python -m generative.train.bernoulli --data ../shared/data --threads 1 --fit-images {len(fit_part)}",
        "trained_steps": model.n_iter_,
        "train_cpu_seconds": round(seconds),
        "metrics": {EXACT_NLL: round(nll, 2), "test_bits_per_dim": round(nll / 784 / math.log(2), 4),
                    "held_out_nll_nats": round(held, 2), "components_tried": args.components,
                    "all_fits_cpu_seconds": round(total),
                    "dataset": f"mnist test, all {len(test)} images, static binarisation seed 0",
                    "measured_by": "python -m generative.train.bernoulli"},
    })
    print(f"kept K={model.n_components}: test NLL {nll:.2f} nats; wrote {path}")


if __name__ == "__main__":
    main()
