"""GMM benchmark: our torch EM against scikit-learn from the same start, and one Step through the app.

    python -m bench.gmm                 # prints tables, writes bench/results/gmm.json
    python -m bench.gmm --skip-app      # only the EM comparison

For every covariance type and data size both implementations start from the same unconverged
parameters (uniform weights, K data points as means, the data's precision for every component) and
run to tol 1e-6; fits alternate ours / scikit-learn so that background load hits both alike, and the
medians are compared. With a CUDA GPU, ours also runs there (``device="cuda"``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from bench.common import summary_ms, timings, write
from generative.gmm import COVARIANCE_TYPES, GaussianMixture

SIZES = ((10_000, 2, 7), (100_000, 2, 5), (10_000, 16, 5))  # points, dimensions, timed fits per side
K, TOL, MAX_ITER = 5, 1e-6, 1000


def make_data(n: int, k: int, seed: int, d: int = 2) -> tuple[np.ndarray, dict]:
    """n d-dimensional points from k random Gaussians, and a shared start: uniform weights, k data points as
    means, the precision of all the data for every component (full covariance form)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(k, d))
    shapes = rng.normal(size=(k, d, d)) * 0.8
    labels = rng.integers(k, size=n)
    X = centres[labels] + np.einsum("nij,nj->ni", shapes[labels], rng.standard_normal((n, d)))
    start = {
        "weights_init": np.full(k, 1.0 / k),
        "means_init": X[rng.choice(n, size=k, replace=False)],
        "precisions_init": np.repeat(np.linalg.inv(np.cov(X.T))[None], k, axis=0),
    }
    return X, start


def start_for(start: dict, covariance_type: str) -> dict:
    """The shared start with its precisions in the compact form of ``covariance_type``."""
    full = start["precisions_init"]
    precisions = {
        "full": full,
        "tied": full[0],
        "diag": np.diagonal(full, axis1=1, axis2=2).copy(),
        "spherical": np.diagonal(full, axis1=1, axis2=2).mean(axis=1),
    }[covariance_type]
    return {**start, "precisions_init": precisions}


def _alternating(fns: dict[str, object], repeats: int) -> dict[str, list[float]]:
    """Seconds per call of each function, calls interleaved, after one untimed call each."""
    for fn in fns.values():
        fn()
    out: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            out[name].append(time.perf_counter() - start)
    return out


def fit_comparison(n: int, d: int, covariance_type: str, repeats: int, seed: int = 0) -> dict:
    """Fit both implementations from the same start; log-likelihoods, iterations and fit times."""
    X, start = make_data(n, K, seed, d)
    # init_params="random": all three initial parameters are given, so neither side computes an initialisation.
    kwargs = dict(covariance_type=covariance_type, max_iter=MAX_ITER, tol=TOL, init_params="random",
                  **start_for(start, covariance_type))
    models = {"ours": GaussianMixture(K, **kwargs), "sklearn": SkGaussianMixture(K, **kwargs)}
    if torch.cuda.is_available():
        models["ours_cuda"] = GaussianMixture(K, device="cuda", **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        seconds = _alternating({name: (lambda m=m: m.fit(X)) for name, m in models.items()}, repeats)
    ll = {name: m.score(X) for name, m in models.items()}
    result = {
        "points": n, "dimensions": d, "components": K, "covariance_type": covariance_type, "tol": TOL,
        "log_likelihood": {**ll, "relative_difference": abs(ll["ours"] - ll["sklearn"]) / abs(ll["sklearn"])},
        "iterations": {name: m.n_iter_ for name, m in models.items()},
        "converged": {name: bool(m.converged_) for name, m in models.items()},
        "fit_time": {name: summary_ms(s) for name, s in seconds.items()},
        "speedup": round(float(np.median(seconds["sklearn"]) / np.median(seconds["ours"])), 2),
    }
    if "ours_cuda" in models:
        result["speedup_cuda"] = round(float(np.median(seconds["sklearn"]) / np.median(seconds["ours_cuda"])), 2)
    return result


def app_step_round_trip(repeats: int = 30) -> dict:
    """Milliseconds for one Step click's request through the running app's queue (gradio_client)."""
    from gradio_client import Client, handle_file

    import app
    from generative.ui import launch_options, queued

    queued(app.demo)
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


def print_fits(fits: list[dict]) -> None:
    cuda = any("ours_cuda" in f["fit_time"] for f in fits)
    print(f"\nEM from the same unconverged start to tol {TOL:g}, K = {K}; medians of interleaved fits")
    print(f"{'data':<12}{'covariance':<11}{'log-lik/point (ours | sklearn)':>34}{'rel. diff':>10}{'iters':>10}"
          f"{'ours ms':>10}{'sklearn ms':>11}{'speedup':>9}" + (f"{'cuda ms':>9}{'x':>7}" if cuda else ""))
    for f in fits:
        ll, t = f["log_likelihood"], f["fit_time"]
        row = (f"{f['points']:,} x {f['dimensions']:<3}"[:12].ljust(12) + f"{f['covariance_type']:<11}"
               f"{ll['ours']:>16.8f} | {ll['sklearn']:<15.8f}{ll['relative_difference']:>10.1e}"
               f"{f['iterations']['ours']:>5}/{f['iterations']['sklearn']:<4}"
               f"{t['ours']['median_ms']:>10.1f}{t['sklearn']['median_ms']:>11.1f}{f['speedup']:>8.2f}x")
        if cuda:
            row += f"{t['ours_cuda']['median_ms']:>9.1f}{f['speedup_cuda']:>6.2f}x"
        print(row)


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmarks, print tables and write bench/results/gmm.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=None, help="timed fits per side (default: 7 / 5 / 5 by size)")
    parser.add_argument("--skip-app", action="store_true", help="skip the Step round trip through the app")
    args = parser.parse_args(argv)
    fits = [fit_comparison(n, d, ct, args.repeats or repeats) for n, d, repeats in SIZES for ct in COVARIANCE_TYPES]
    print_fits(fits)
    result: dict = {"threads": {"torch": torch.get_num_threads()}, "fits": fits}
    if not args.skip_app:
        result["app_step"] = app_step_round_trip()
        print("\nOne Step through the running app (gradio_client round trip, includes drawing the canvas)")
        for what, t in result["app_step"].items():
            print(f"{what:<28} median {t['median_ms']:.0f} ms, p90 {t['p90_ms']:.0f} ms (n = {t['n']})")
    path = write("gmm", result)
    print(f"\nwrote {path}")
    return result


if __name__ == "__main__":
    main()
