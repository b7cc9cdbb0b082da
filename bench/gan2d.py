"""GAN lab benchmark: one Step of 50 iterations plus redraw through the running app, and Run's frame rate.

    python -m bench.gan2d          # prints a table, writes bench/results/gan2d.json

Also times the parts in process (training only, the canvas, the status line) and the mode coverage of the
settings presets on the 8-ring for five seeds. Goals (issue 16): Step median <= 150 ms, Run >= 5 frames/s.
"""

from __future__ import annotations

import argparse
import os
import time

from bench.common import summary_ms, timings, write
from generative.gan2d import SCENARIOS, Gan2D, mode_shares
from generative.toydata import RING8_CENTRES, RING8_STD, preset

RING = "8 Gaussians on a ring"
STEP_ARGS = ("hinge", "1.5e-3", "3e-3", 1, 4, 0, 50)


def load_average() -> float:
    """The 1-minute load average: other processes on the machine slow every figure here."""
    return round(os.getloadavg()[0], 2)


def in_process(repeats: int) -> dict:
    """Milliseconds of the Step handler's parts, called directly (no server)."""
    from generative.ui import gan2d as tab

    lab = tab.Lab()
    tab.load_preset(lab, RING, tab.SHOW_CHOICES)
    tab.step(lab, *STEP_ARGS, tab.SHOW_CHOICES)
    gan = lab.gan
    return {
        "train_50_iterations": summary_ms(timings(lambda: gan.step(50), repeats)),
        "canvas": summary_ms(timings(lambda: tab._canvas(lab, tab.SHOW_CHOICES), repeats)),
        "status": summary_ms(timings(lambda: tab._status(lab), repeats)),
        "step_handler": summary_ms(timings(lambda: tab.step(lab, *STEP_ARGS, tab.SHOW_CHOICES), repeats)),
    }


def through_app(repeats: int, run_seconds: float) -> dict:
    """One Step round trip through ``python app.py`` run as a user runs it (gradio_client with its defaults; and
    the call followed by its pictures fetched over one kept-alive connection, see ``bench.latency``), the size of
    those pictures, and frames per second of Run."""
    from bench.actions import Served, output_urls, running_app
    from generative.ui import gan2d as tab

    with running_app(port=7873) as (url, _, proc):
        served = Served(url, proc.pid)
        client, lean = served.client, served.lean
        for each in (client, lean):  # two sessions, each with its own lab
            each.predict(RING, tab.SHOW_CHOICES, api_name="/gan2d_preset")
        reset = lambda: client.predict(tab.SHOW_CHOICES, api_name="/gan2d_reset")  # noqa: E731
        reset_ms = summary_ms(timings(reset, repeats, warmup=2))  # the same two pictures back, no training
        step = lambda: client.predict(*STEP_ARGS, tab.SHOW_CHOICES, api_name="/gan2d_step")  # noqa: E731
        step_ms = summary_ms(timings(step, repeats, warmup=2))
        one_connection = summary_ms(timings(
            lambda: served.fetch(lean.predict(*STEP_ARGS, tab.SHOW_CHOICES, api_name="/gan2d_step")), repeats, warmup=2))
        pictures = output_urls(lean.predict(*STEP_ARGS, tab.SHOW_CHOICES, api_name="/gan2d_step"))
        step_kb = round(sum(len(served.files.get(url).content) for url in pictures) / 1024, 1)
        client.predict(tab.SHOW_CHOICES, api_name="/gan2d_reset")
        job = client.submit(*STEP_ARGS, tab.SHOW_CHOICES, api_name="/gan2d_run")
        start = time.perf_counter()
        while len(job.outputs()) < 2:  # the first frames include starting up
            time.sleep(0.01)
        first, t0 = len(job.outputs()), time.perf_counter()
        time.sleep(run_seconds)
        frames, elapsed = len(job.outputs()) - first, time.perf_counter() - t0
        job.cancel()
        return {"step_50_iterations_round_trip": step_ms, "reset_round_trip": reset_ms,
                "step_50_iterations_outputs_over_one_connection": one_connection, "step_pictures_kb": step_kb,
                "run": {"frames": frames, "seconds": round(elapsed, 2), "frames_per_second": round(frames / elapsed, 2),
                        "iterations_per_frame": STEP_ARGS[-1], "first_frames_after_s": round(t0 - start, 2)}}


def coverage(seeds: int = 5, iterations: int = 3000, every: int = 250) -> dict:
    """Ring modes covered (6-20 % of 1,000 samples each) by each settings preset, per seed, and when."""
    points = preset(RING, 0)
    out = {}
    for name, settings in SCENARIOS.items():
        rows = []
        for seed in range(seeds):
            gan, first_all, start = Gan2D(points, seed=seed, **vars(settings)), None, time.perf_counter()
            while gan.iterations < iterations:
                gan.step(every)
                shares = mode_shares(gan.sample(1000, seed=123), RING8_CENTRES, 4 * RING8_STD)
                covered = int(((shares >= 0.06) & (shares <= 0.20)).sum())
                if covered == 8 and first_all is None:
                    first_all = gan.iterations
            rows.append({"seed": seed, "modes_at_end": covered, "first_all_8_at": first_all,
                         "ms_per_iteration": round(1000 * (time.perf_counter() - start) / iterations, 3)})
        out[name] = rows
    return out


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmarks, print a table and write bench/results/gan2d.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed Steps")
    parser.add_argument("--run-seconds", type=float, default=10.0, help="how long to count Run's frames")
    parser.add_argument("--no-coverage", action="store_true", help="skip the mode-coverage runs (a few minutes)")
    args = parser.parse_args(argv)
    result = {"load_average_before": load_average(), "in_process": in_process(args.repeats)}
    result.update(through_app(args.repeats, args.run_seconds))
    if not args.no_coverage:
        result["coverage_8_ring"] = coverage()
    result["load_average_after"] = load_average()
    print(f"\nGAN lab, 8-ring preset, stable settings (load average {result['load_average_before']} before, "
          f"{result['load_average_after']} after)")
    for what, t in result["in_process"].items():
        print(f"  in process  {what:<22} median {t['median_ms']:7.1f} ms  p90 {t['p90_ms']:7.1f} ms")
    t = result["step_50_iterations_round_trip"]
    print(f"  Step of 50 iterations + redraw through the app: median {t['median_ms']:.0f} ms, p90 {t['p90_ms']:.0f} ms "
          f"(goal <= 150 ms); Reset (same pictures, no training) median {result['reset_round_trip']['median_ms']:.0f} ms")
    t = result["step_50_iterations_outputs_over_one_connection"]
    print(f"  the same Step, its pictures fetched over one kept-alive connection: median {t['median_ms']:.0f} ms, "
          f"p90 {t['p90_ms']:.0f} ms; its pictures (canvas and curves) {result['step_pictures_kb']} KB, what a Run frame sends")
    print(f"  Run: {result['run']['frames_per_second']} frames/s over {result['run']['seconds']} s (goal >= 5)")
    for name, rows in result.get("coverage_8_ring", {}).items():
        print(f"  {name:<48} modes at 3,000: {[r['modes_at_end'] for r in rows]}, "
              f"first all 8 at: {[r['first_all_8_at'] for r in rows]}")
    path = write("gan2d", result)
    print(f"\nwrote {path}")
    return result


if __name__ == "__main__":
    main()
