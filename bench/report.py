"""Write ``bench/REPORT.md`` from the JSON records in ``bench/results/`` (``python -m bench.report``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from bench.common import RESULTS
from generative.metric_names import FID, FID_FLOOR, IWAE_NLL, TEST_NEG_ELBO

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
    rows = [[f"{f['points']:,} × {f['dimensions']}", f["covariance_type"],
             f"{f['log_likelihood']['ours']:.8f}", f"{f['log_likelihood']['sklearn']:.8f}",
             f"{f['iterations']['ours']} / {f['iterations']['sklearn']}",
             f"{f['fit_time']['ours']['median_ms']:.1f} ms", f"{f['fit_time']['sklearn']['median_ms']:.1f} ms",
             f"{f['speedup']}×"] for f in r["fits"]]
    return [f"EM from the same unconverged start to tol {r['fits'][0]['tol']:g}, K = {r['fits'][0]['components']}, "
            "medians of interleaved fits (`python -m bench.gmm`):", "",
            *_table(["data", "covariance", "log-lik/point ours", "scikit-learn", "iterations", "ours", "scikit-learn",
                     "speed-up"], rows)]


def vae(r: dict) -> list[str]:
    rows = [[f"`{name}`", m["test_recon_nats"], m["test_kl_nats"], m[TEST_NEG_ELBO], m[IWAE_NLL],
             f"{m['decode_one_cpu_ms']} ms"] for name, m in r["models"].items()]
    return [f"Nats per test image (10,000 binarised MNIST / Fashion-MNIST test images; NLL: IWAE bound, k = {r['k']}; "
            "`python -m bench.vae`). Anchors: IWAE paper's one-layer VAE NLL 86.76 on MNIST; goal NLL ≤ 88 (32-D), "
            "−ELBO ≤ 145 (2-D).", "",
            *_table(["model", "reconstruction", "KL", "−ELBO", "NLL", "decode one"], rows)]


def faces(r: dict) -> list[str]:
    floor = r[FID_FLOOR]
    return [f"N = {r['n']} generated faces against the 1,000 holdout faces (`python -m bench.faces`).", "",
            *_table(["figure", "generator", "anchor"], [
                ["FID", r[FID], f"real-vs-real floor {floor}; goal ≤ 2 × floor = {2 * floor:.1f}"],
                ["KID × 10³", r["kid_generated_vs_holdout_x1e3"], f"floor {r['kid_train_vs_holdout_x1e3']}"],
                ["faces found by yuface", f"{100 * r['face_detected_generated']:.1f} %",
                 f"holdout {100 * r['face_detected_holdout']:.1f} %; goal ≥ 95 %"],
                ["D's mean P(real)", r["d_prob_real_generated"], f"holdout faces {r['d_prob_real_holdout']}"],
                ["CPU time per face", f"{r['cpu_ms_per_face']} ms", "goal ≤ 20 ms"]])]


def cyclegan(r: dict) -> list[str]:
    d = r["distances"]
    rows = [[label, f"{d[key]['fid']}", f"{d[key]['kid_x1e3']}", " / ".join(str(n) for n in d[key]["n"])]
            for label, key in [("G(testA) vs real zebras", "g_testA_vs_testB"),
                               ("baseline: testA horses vs real zebras", "baseline_testA_vs_testB"),
                               ("floor: trainB vs testB zebras", "floor_trainB_vs_testB"),
                               ("F(testB) vs real horses", "f_testB_vs_testA"),
                               ("baseline: testB zebras vs real horses", "baseline_testB_vs_testA"),
                               ("floor: trainA vs testA horses", "floor_trainA_vs_testA")]]
    real = r["classifier_on_real_test_photos"]
    return [f"Test photos at {r['size']} × {r['size']} px (`python -m bench.cyclegan`).", "",
            *_table(["pair", "FID", "KID × 10³", "N"], rows), "",
            f"Horse-vs-zebra classifier trained here (on the real test photos: horses called horse "
            f"{100 * real['horses_called_horse']:.1f} %, zebras called zebra {100 * real['zebras_called_zebra']:.1f} %): "
            f"G(testA) called zebra **{100 * r['classifier_zebra_share_g_testA']:.1f} %**, F(testB) called horse "
            f"**{100 * r['classifier_horse_share_f_testB']:.1f} %** (goal ≥ 80 % each). Cycle error mean |x − F(G(x))| on "
            f"testA: {r['cycle_error_testA_grey_levels']} grey levels. CPU time per 256 × 256 image: G "
            f"{r['cpu_ms_256_g']['median_ms']} ms vs the original ResNet-9/ngf-64 generator "
            f"{r['cpu_ms_256_original_ngf64_9blocks']['median_ms']} ms in the same run ({r['speedup_vs_original']}× faster; "
            "goal ≥ 3.5×)."]


def sr(r: dict) -> list[str]:
    q, t = r["quality"], r["cpu_ms_256_to_512"]
    sets = list(next(iter(q.values())))
    rows = [[f"`{m}`" if m != "bicubic" else m,
             *(f"{q[m][s]['psnr']:.2f} / {q[m][s]['ssim']:.4f} / {q[m][s]['sharpness']:.2f}" for s in sets),
             f"{t[m]['median_ms']:.0f} ms"] for m in q]
    rows.append(["FSRCNN(56,12,4) speed reference", *([""] * len(sets)),
                 f"{t['FSRCNN(56,12,4) reference']['median_ms']:.0f} ms"])
    return [f"PSNR (dB) / SSIM / sharpness per set (`python -m bench.sr`). Protocol: {r['protocol']}. CPU time: "
            f"256 → 512 with {r['threads']} threads. Goals for `sr-x2-psnr`: Set5 ≥ 37.3, Set14 ≥ 32.9, B100 ≥ 31.6 "
            "at no more CPU time than FSRCNN; `sr-x2-gan`: ≥ 1 dB above bicubic and sharper than `sr-x2-psnr`.", "",
            *_table(["method", *sets, "CPU time"], rows)]


def precision(r: dict) -> list[str]:
    c = r["cyclegan"]
    rows = [[f"`{name}` {p}", *(f"{q[s]['psnr']:.3f} / {q[s]['ssim']:.4f}" for s in q)]
            for name, scores in r["sr"].items() for p, q in scores.items() if p in ("float32", "bfloat16")]
    cycle = [[p, f"{c[p]['kid_x1e3_g_vs_testB']:.2f} / {c[p]['kid_x1e3_f_vs_testA']:.2f}",
              f"{100 * c[p]['zebra_share']:.1f} / {100 * c[p]['horse_share']:.1f} %", f"{c[p]['cycle_error_testA']:.2f}"]
             for p in ("float32", "bfloat16")]
    speed = [[job, f"{t['float32']['median_ms']:.0f} ms", f"{t['bfloat16']['median_ms']:.0f} ms", f"{t['speedup']:.2f}×"]
             for job, t in r["speed_ms"].items()]
    sets = list(next(iter(r["sr"].values()))["float32"])
    return [f"The SR and CycleGAN nets in float32 and in bfloat16 (`python -m bench.precision`), which the tabs use on "
            f"CPUs that compute it natively ({'as' if r['native_bfloat16'] else 'unlike'} this one). Super-resolution, PSNR "
            "(dB) / SSIM:", "",
            *_table(["net", *sets], rows), "",
            "Mean |float32 − bfloat16| of the outputs (grey levels): SR on B100 "
            + ", ".join(f"`{n}` {s['mean_abs_difference_b100']}" for n, s in r["sr"].items())
            + "; CycleGAN " + ", ".join(f"{k} {v}" for k, v in c["mean_abs_difference"].items()) + ".", "",
            *_table(["CycleGAN", "KID×10³ G / F", "zebra / horse share", "cycle error"], cycle), "",
            *_table([f"tab's work ({r['threads']} threads)", "float32", "bfloat16", "speed-up"], speed)]


def latency(r: dict) -> list[str]:
    lines = [f"Cold start (`python app.py` until the first page answers): **{r['cold_start_s']:.1f} s** (goal < 10 s; "
             "models load lazily, on a tab's first call). "
             "Each tab's main action through the running app with gradio_client, outputs downloaded "
             "(`python -m bench.latency`); the first call loads the tab's model. Goal: median ≤ 300 ms per action, "
             "≤ 1 s for a 512 × 512 photo upscaled three ways."]
    before = r.get("before")
    if before is None:
        fetch = r["file_fetch_ms"]
        rows = [[a["tab"], f"`{a['api_name']}`", f"{a['first_call_ms']:.0f} ms", f"{a['median_ms']:.0f} ms",
                 f"{a['p90_ms']:.0f} ms", str(a["output_files"]), f"{a['one_connection_median_ms']:.0f} ms",
                 f"{a['server_cpu_ms_mean']:.0f} ms"] for a in r["actions"]]
        return [*lines, "", *_table(["tab", "endpoint", "first call", "median", "p90", "output files",
                                     "median, outputs over one connection", "server CPU"], rows), "",
                "The median and p90 are gradio_client's `predict` with its defaults: it downloads the output files "
                "one after another, each through a new HTTP client (a new connection). "
                "\"Outputs over one connection\": the same call without those downloads, followed by the output "
                "files fetched one after another over one kept-alive connection, as a browser keeps its connection: "
                "the app's own time. Server CPU: the app process's CPU time per call. "
                f"One output file of `{fetch['file']}` in the same run: {fetch['new_connection']} ms over a new "
                f"connection, {fetch['kept_alive_connection']} ms over a kept-alive one; of the first, "
                f"{fetch['tls_context']} ms is the new client building its TLS context (loading the certificate "
                "store, even for an http:// address) before it connects: the client's cost, not the app's."]
    old = {a["tab"]: a for a in before["actions"]}
    load = r.get("load_average_1_5_15", {})
    lines[0] += (f" Before/after: commit `{before['commit']}` served beside the present app, calls alternating between "
                 f"the two so both see the same load (`python -m bench.latency --before {before['commit']}`); "
                 f"{r['actions'][0]['n']} calls each, both apps at niceness {r.get('nice', 0)}. Load average (1 min) "
                 f"{load.get('start', ['?'])[0]} at the start, {load.get('end', ['?'])[0]} at the end: other "
                 "processes shared the 2 cores, so absolute times are above an idle machine's; the ratio is the "
                 "measurement.")
    rows = [[a["tab"], f"`{a['api_name']}`", f"{old[a['tab']]['median_ms']:.0f} ms", f"{a['median_ms']:.0f} ms",
             f"{old[a['tab']]['median_ms'] / a['median_ms']:.1f}×", f"{old[a['tab']]['p90_ms']:.0f} ms",
             f"{a['p90_ms']:.0f} ms", f"{old[a['tab']]['server_cpu_ms_mean']:.0f} ms",
             f"{a['server_cpu_ms_mean']:.0f} ms"] for a in r["actions"] if a["tab"] in old]
    return [*lines, "", *_table(["action", "endpoint", "median before", "median after", "speed-up", "p90 before",
                                 "p90 after", "server CPU before", "server CPU after"], rows), "",
            "Server CPU: the app process's CPU time per call (mean over its threads' user + system time, 10 ms "
            "ticks, spin-waiting threads included): what a call costs the server, which crowded cores inflate far "
            "less than the wait."]


def _speed(r: dict) -> str:
    speed = r.get("cpu_reference_ms")
    if speed is None:
        return ""
    return (f"; machine speed {speed['start']} ms at the start, {speed['end']} ms at the end (a fixed one-thread "
            "job, `bench.common.cpu_reference_ms`: this virtual machine's speed moves with its neighbours' load)")


def browser_latency(r: dict) -> list[str]:
    load = r["load_average_1_5_15"]
    rows = [[a["action"], f"{a['first_call_ms']:.0f} ms", f"{a['median_ms']:.0f} ms", f"{a['p90_ms']:.0f} ms"]
            for a in r["actions"]]
    return [f"What a person waits in Chromium, from the click or the chosen file until every new output picture has "
            f"loaded (`python -m bench.browser_latency`; {r['actions'][0]['n']} calls per action after the untimed "
            f"first ones, each drawing something new). Load average (1 min) {load['start'][0]} at the start, "
            f"{load['end'][0]} at the end{_speed(r)}. Goals: median ≤ 300 ms per action (GAN lab Step ≤ 150 ms), ≤ 1 s for the "
            "512 × 512 upscale.", "",
            *_table(["action", "first call", "median", "p90"], rows)]


def load(r: dict) -> list[str]:
    rows = [[f"`{e['api_name']}`", e["calls"], e["errors"], e["most_processing_at_once"], f"{e['median_ms']:.0f} ms",
             f"{e['p90_ms']:.0f} ms"] for e in r["endpoints"]]
    held = "held" if r["limit_held"] else "**exceeded**"
    return [f"{r['clients']} concurrent gradio_client users, each running every tab's main action {r['rounds']} times "
            f"(`python -m bench.load`): **{r['errors']} errors**, server peak RSS **{r['peak_rss_mb']} MB** (goal ≤ 2 GB), "
            f"concurrency limit {r['concurrency_limit']} per event {held} (counted on the server, which times each "
            f"run); wall time {r['wall_s']} s. Latency is what a user waits, queueing included.", "",
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
    ("CycleGAN, horse ↔ zebra", "cyclegan", cyclegan),
    ("2x super-resolution", "sr", sr),
    ("bfloat16 inference", "precision", precision),
    ("Latency of every tab", "latency", latency),
    ("Latency in the browser", "browser_latency", browser_latency),
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
