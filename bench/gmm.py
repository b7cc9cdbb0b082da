"""GMM benchmark: our torch EM against scikit-learn from the same start, and one Step through the app.

    python -m bench.gmm            # prints a table, writes bench/results/gmm.json
"""

from __future__ import annotations

import argparse
import tempfile
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from bench.common import summary_ms, timings, write
from generative.gmm import GaussianMixture


def make_data(n: int, k: int, seed: int) -> tuple[np.ndarray, dict]:
    """n 2-D points from k random Gaussians, and a shared start: uniform weights, k data points as means."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(k, 2))
    shapes = rng.normal(size=(k, 2, 2)) * 0.8
    labels = rng.integers(k, size=n)
    X = centres[labels] + np.einsum("nij,nj->ni", shapes[labels], rng.standard_normal((n, 2)))
    start = {
        "weights_init": np.full(k, 1.0 / k),
        "means_init": X[rng.choice(n, size=k, replace=False)],
        "precisions_init": np.repeat(np.linalg.inv(np.cov(X.T))[None], k, axis=0),
    }
    return X, start


def fit_comparison(n: int = 10_000, k: int = 5, repeats: int = 7, seed: int = 0) -> dict:
    """Fit both implementations from the same start; log-likelihoods and fit times."""
    X, start = make_data(n, k, seed)
    # init_params="random": scikit-learn computes (then discards) an initialisation even when all three
    # initial parameters are given; random is its cheapest, so its timing is not burdened by a k-means run.
    kwargs = dict(covariance_type="full", max_iter=500, tol=1e-6, init_params="random", **start)
    ours = GaussianMixture(k, **kwargs)
    theirs = SkGaussianMixture(k, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t_ours = timings(lambda: ours.fit(X), repeats)
        t_theirs = timings(lambda: theirs.fit(X), repeats)
    ll_ours, ll_theirs = ours.score(X), theirs.score(X)
    return {
        "points": n, "components": k, "covariance_type": "full", "tol": 1e-6,
        "log_likelihood": {"ours": ll_ours, "sklearn": ll_theirs,
                           "relative_difference": abs(ll_ours - ll_theirs) / abs(ll_theirs)},
        "iterations": {"ours": ours.n_iter_, "sklearn": theirs.n_iter_},
        "fit_time": {"ours": summary_ms(t_ours), "sklearn": summary_ms(t_theirs)},
        "speedup": round(float(np.median(t_theirs) / np.median(t_ours)), 2),
    }


def app_step_round_trip(repeats: int = 30) -> dict:
    """Milliseconds for one Step click's request through the running app's queue (gradio_client)."""
    from gradio_client import Client, handle_file

    import app
    from generative.ui import launch_options

    app.demo.queue(default_concurrency_limit=2)
    _, url, _ = app.demo.launch(prevent_thread_lock=True, quiet=True, server_name="127.0.0.1", **launch_options())
    result = {}
    try:
        client = Client(url, verbose=False)
        client.predict("blobs", 0, False, api_name="/gmm_preset")
        step = lambda: client.predict(3, "full", 0, "1e-6", False, api_name="/gmm_step")  # noqa: E731
        result["300 points (blobs preset)"] = summary_ms(timings(step, repeats, warmup=2))
        X, _ = make_data(10_000, 5, 1)
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as fh:
            np.savetxt(fh, X, delimiter=",", header="x,y", comments="")
        client.predict(handle_file(fh.name), False, api_name="/gmm_csv")
        step = lambda: client.predict(5, "full", 0, "1e-6", False, api_name="/gmm_step")  # noqa: E731
        result["10,000 points (CSV)"] = summary_ms(timings(step, repeats, warmup=2))
    finally:
        app.demo.close()
    return result


def main(argv: list[str] | None = None) -> dict:
    """Run both benchmarks, print a table and write bench/results/gmm.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed fits per implementation")
    args = parser.parse_args(argv)
    fit = fit_comparison(repeats=args.repeats)
    step = app_step_round_trip()
    print(f"\nEM on {fit['points']:,} 2-D points, K = {fit['components']}, full covariances, same start")
    print(f"{'':<14}{'log-lik/point':>16}{'iterations':>12}{'fit median ms':>15}{'p90 ms':>9}")
    for who in ("ours", "sklearn"):
        t = fit["fit_time"][who]
        print(f"{who:<14}{fit['log_likelihood'][who]:>16.10f}{fit['iterations'][who]:>12}"
              f"{t['median_ms']:>15.1f}{t['p90_ms']:>9.1f}")
    print(f"relative log-likelihood difference {fit['log_likelihood']['relative_difference']:.2e}; "
          f"ours is {fit['speedup']}x faster")
    print("\nOne Step through the running app (gradio_client round trip, includes drawing the canvas)")
    for what, t in step.items():
        print(f"{what:<28} median {t['median_ms']:.0f} ms, p90 {t['p90_ms']:.0f} ms (n = {t['n']})")
    path = write("gmm", {"fit": fit, "app_step": step})
    print(f"\nwrote {path}")
    return {"fit": fit, "app_step": step}


if __name__ == "__main__":
    main()
