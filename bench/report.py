"""Write ``bench/REPORT.md`` from the JSON records in ``bench/results/`` (``python -m bench.report``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from bench.common import RESULTS

REPORT = Path(__file__).resolve().parent / "REPORT.md"


def _load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _table(header: list[str], rows: list[list]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(str(c) for c in row) + " |" for row in rows)]


def _machine(r: dict) -> str:
    m = r["machine"]
    return f"{m['cpu_count']} CPU cores ({m['processor']}), torch {m['torch']} with {m['torch_threads']} threads"


def gmm(r: dict) -> list[str]:
    fit = r["fit"]
    ll, t = fit["log_likelihood"], fit["fit_time"]
    lines = [f"EM on {fit['points']:,} 2-D points, K = {fit['components']}, {fit['covariance_type']} covariances, "
             "the same start for both (`python -m bench.gmm`):", ""]
    lines += _table(["", "ours", "scikit-learn"], [
        ["final log-likelihood per point", f"{ll['ours']:.10f}", f"{ll['sklearn']:.10f}"],
        ["iterations", fit["iterations"]["ours"], fit["iterations"]["sklearn"]],
        ["fit time (median)", f"{t['ours']['median_ms']:.1f} ms", f"{t['sklearn']['median_ms']:.1f} ms"]])
    return lines


def vae(r: dict) -> list[str]:
    rows = [[f"`{name}`", m["test_recon_nats"], m["test_kl_nats"], m["test_neg_elbo_nats"], m["iwae_nll_nats"],
             f"{m['decode_one_cpu_ms']} ms"] for name, m in r["models"].items()]
    return [f"Nats per test image (10,000 binarised MNIST / Fashion-MNIST test images; NLL: IWAE bound, k = {r['k']}; "
            "`python -m bench.vae`). Anchors: IWAE paper's one-layer VAE NLL 86.76 on MNIST; goal NLL ≤ 88 (32-D), "
            "−ELBO ≤ 145 (2-D).", "",
            *_table(["model", "reconstruction", "KL", "−ELBO", "NLL", "decode one"], rows)]


def faces(r: dict) -> list[str]:
    floor = r["fid_train_vs_holdout_floor"]
    return [f"N = {r['n']} generated faces against the 1,000 holdout faces (`python -m bench.faces`).", "",
            *_table(["figure", "generator", "anchor"], [
                ["FID", r["fid_generated_vs_holdout"], f"real-vs-real floor {floor}; goal ≤ 2 × floor = {2 * floor:.1f}"],
                ["KID × 10³", r["kid_generated_vs_holdout_x1e3"], f"floor {r['kid_train_vs_holdout_x1e3']}"],
                ["faces found by yuface", f"{100 * r['face_detected_generated']:.1f} %",
                 f"holdout {100 * r['face_detected_holdout']:.1f} %; goal ≥ 95 %"],
                ["D's mean P(real)", r["d_prob_real_generated"], f"holdout faces {r['d_prob_real_holdout']}"],
                ["CPU time per face", f"{r['cpu_ms_per_face']} ms", "goal ≤ 20 ms"]])]


def latency(r: dict) -> list[str]:
    rows = [[a["tab"], f"`{a['api_name']}`", f"{a['first_call_ms']:.0f} ms", f"{a['median_ms']:.0f} ms",
             f"{a['p90_ms']:.0f} ms"] for a in r["actions"]]
    return [f"Cold start (`python app.py` until the first page answers): **{r['cold_start_s']:.1f} s**. "
            "Each tab's main action through the running app with gradio_client (`python -m bench.latency`); "
            "the first call loads the tab's model.", "",
            *_table(["tab", "endpoint", "first call", "median", "p90"], rows)]


def load(r: dict) -> list[str]:
    rows = [[f"`{e['api_name']}`", e["calls"], e["errors"], e["most_processing_at_once"], f"{e['median_ms']:.0f} ms",
             f"{e['p90_ms']:.0f} ms"] for e in r["endpoints"]]
    held = "held" if r["limit_held"] else "**exceeded**"
    return [f"{r['clients']} concurrent gradio_client users, each running every tab's main action {r['rounds']} times "
            f"(`python -m bench.load`): **{r['errors']} errors**, server peak RSS **{r['peak_rss_mb']} MB** (goal ≤ 2 GB), "
            f"concurrency limit {r['concurrency_limit']} per event {held}; wall time {r['wall_s']} s.", "",
            *_table(["endpoint", "calls", "errors", "most running at once", "median", "p90"], rows)]


def spaces(r: dict) -> list[str]:
    tabs = ", ".join(f"{t['tab']} {t['first_call_s']} s" for t in r["tabs"])
    return [f"A fresh venv from `requirements.txt` alone ({r['install_s']} s to install), `python app.py` with "
            f"`GRADIO_SERVER_NAME=0.0.0.0`, port 7860 (`python -m bench.spaces`): first page after "
            f"{r['cold_start_s']} s; first answer of each tab: {tabs}."]


SECTIONS: list[tuple[str, str, Callable[[dict], list[str]]]] = [
    ("GMM playground: EM against scikit-learn", "gmm", gmm),
    ("VAEs", "vae", vae),
    ("Face GAN", "faces", faces),
    ("Latency of every tab", "latency", latency),
    ("Load", "load", load),
    ("As a Hugging Face Space", "spaces", spaces),
]


def main() -> Path:
    """Render every section whose record exists; name the missing ones."""
    lines = ["# Benchmark report", "",
             "Written by `python -m bench.report` from the records in `bench/results/` (`python -m bench` re-measures "
             "everything first). Each section names the command that measured it and the machine it ran on.", ""]
    for title, name, render in SECTIONS:
        record = _load(name)
        lines += [f"## {title}", ""]
        if record is None:
            lines += [f"Not measured yet: run `python -m bench.{name}`.", ""]
            continue
        lines += [*render(record), "", f"Machine: {_machine(record)}.", ""]
    REPORT.write_text("\n".join(lines))
    print(f"wrote {REPORT}")
    return REPORT


if __name__ == "__main__":
    main()
