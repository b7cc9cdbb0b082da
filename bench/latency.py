"""Cold start and the CPU latency of every tab's main action through the running app.

    python -m bench.latency [--repeats 20] [--before COMMIT]

Starts ``python app.py`` in a subprocess (cold start = until the first page answers), then calls each tab's main
action with gradio_client: the first call (which loads the tab's model) and ``--repeats`` more, each timed two
ways. First as gradio_client's ``predict`` waits with its defaults: it downloads the output files one after
another, each through a new HTTP client whose TLS context (the certificate store, loaded even for an http://
address) costs the client about 20 ms (``file_fetch_ms`` in the JSON). Then
the call alone, followed by its output files fetched one after another over one kept-alive connection, as a
browser keeps its connection (the app's own time). Also the server process's CPU time per call (all its threads),
which other processes on the machine do not inflate. ``--before COMMIT`` also serves that commit of the app
(exported with ``git archive``) beside this one and alternates the calls between the two, so that both see the
same machine load (other processes on the cores slow both alike): the before/after table of a speed change.
``bench.browser_latency`` times the same actions as a person sees them, in Chromium.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.actions import ACTIONS, ROOT, Action, Served, _asset, output_urls, running_app, served
from bench.common import load_average, summary_ms, timings, write

# Beyond each tab's main action: the speed goal for a photo-sized upscale (three methods, 512 x 512 -> 1024 x 1024).
EXTRA = [Action("2x super-resolution, 512 × 512 photo", "/sr_upscale", ("sr-x2-psnr", "sr-x2-gan"),
                lambda: (_asset("astronaut.jpg"), "GAN net", 0.5, 0.5, 64))]


@contextlib.contextmanager
def exported(commit: str) -> Iterator[Path]:
    """The repository at ``commit`` in a temporary folder (``git archive``: the working tree is not touched)."""
    with tempfile.TemporaryDirectory(prefix="latency-before-") as folder:
        archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        yield Path(folder)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(app: Served, action: Action) -> tuple[float, float, float, int]:
    """Wall-clock seconds of one call as gradio_client's ``predict`` waits for it (outputs downloaded its way),
    the server's CPU seconds for that call, the seconds of the call plus its outputs fetched over one kept-alive
    connection, and the number of output files."""
    cpu, start = cpu_seconds(app.pid), time.perf_counter()
    app.client.predict(*action.arguments(), api_name=action.api_name)
    wall, cpu = time.perf_counter() - start, cpu_seconds(app.pid) - cpu
    start = time.perf_counter()
    files = app.fetch(app.lean.predict(*action.arguments(), api_name=action.api_name))
    return wall, cpu, time.perf_counter() - start, files


def file_fetch_ms(app: Served, action: Action, repeats: int = 10) -> dict:
    """Median milliseconds to fetch one output file of ``action``: over a new connection each time (as
    gradio_client downloads), and over the kept-alive one; and to build the TLS context that each new HTTP
    client builds first (gradio_client's ``httpx.stream`` per file), which needs no server at all."""
    url = output_urls(app.lean.predict(*action.arguments(), api_name=action.api_name))[0]
    new = timings(lambda: httpx.get(url).raise_for_status(), repeats)
    kept = timings(lambda: app.files.get(url).raise_for_status(), repeats)
    tls = timings(httpx.create_ssl_context, repeats)
    return {"file": action.api_name, "new_connection": round(1000 * statistics.median(new), 1),
            "kept_alive_connection": round(1000 * statistics.median(kept), 1),
            "tls_context": round(1000 * statistics.median(tls), 1)}


def measure(apps: dict[str, Served], repeats: int) -> dict[str, list[dict]]:
    """Per app: one row per action served by every app; the apps' calls alternate."""
    names = set.intersection(*({a.api_name for a in served(app.client)} for app in apps.values()))
    rows: dict[str, list[dict]] = {label: [] for label in apps}
    for action in [a for a in ACTIONS + EXTRA if a.api_name in names]:
        first = {label: _timed(app, action)[0] for label, app in apps.items()}
        seconds: dict[str, list[tuple[float, float, float, int]]] = {label: [] for label in apps}
        for _ in range(repeats):
            for label, app in apps.items():
                seconds[label].append(_timed(app, action))
        for label in apps:
            wall, cpu, kept_alive, files = zip(*seconds[label])
            rows[label].append({"tab": action.tab, "api_name": action.api_name,
                                "first_call_ms": round(1000 * first[label], 1), **summary_ms(list(wall)),
                                "server_cpu_ms_mean": round(1000 * statistics.fmean(cpu), 1),
                                "one_connection_median_ms": summary_ms(list(kept_alive))["median_ms"],
                                "output_files": files[0]})
    return rows


def _print(title: str, cold_start: float, rows: list[dict]) -> None:
    print(f"{title}: cold start (python app.py until the first page answers) {cold_start:.1f} s")
    print(f"{'tab':<38} {'endpoint':<22} {'first call':>11} {'median':>9} {'p90':>9} {'server CPU':>11} "
          f"{'files':>6} {'one connection':>15}")
    for r in rows:
        print(f"{r['tab']:<38} {r['api_name']:<22} {r['first_call_ms']:>8.0f} ms {r['median_ms']:>6.0f} ms "
              f"{r['p90_ms']:>6.0f} ms {r['server_cpu_ms_mean']:>8.0f} ms {r['output_files']:>6} "
              f"{r['one_connection_median_ms']:>12.0f} ms")


def main(argv: list[str] | None = None) -> dict:
    """Measure, print a table, write ``bench/results/latency.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--before", metavar="COMMIT", help="also measure this commit, calls alternating")
    args = parser.parse_args(argv)
    load_before = load_average()
    with contextlib.ExitStack() as stack:
        apps = {"after": stack.enter_context(running_app(port=7871))}
        if args.before:
            apps["before"] = stack.enter_context(running_app(port=7872, root=stack.enter_context(exported(args.before))))
        served_apps = {label: Served(url, proc.pid) for label, (url, _, proc) in apps.items()}
        rows = measure(served_apps, args.repeats)
        fetch = file_fetch_ms(served_apps["after"], ACTIONS[-1])
    result = {"cold_start_s": round(apps["after"][1], 2), "actions": rows["after"],
              "load_average_1_5_15": {"start": load_before, "end": load_average()}, "nice": os.nice(0),
              "file_fetch_ms": fetch}
    if args.before:
        result["before"] = {"commit": args.before, "cold_start_s": round(apps["before"][1], 2),
                            "actions": rows["before"]}
        _print(f"before ({args.before})", apps["before"][1], rows["before"])
    _print("now", apps["after"][1], rows["after"])
    print(f"one output file of {fetch['file']}: {fetch['new_connection']:.1f} ms over a new connection, "
          f"{fetch['kept_alive_connection']:.1f} ms over a kept-alive one; a new client's TLS context "
          f"{fetch['tls_context']:.1f} ms")
    print(f"load average (1, 5, 15 min) at the start {load_before}, at the end {result['load_average_1_5_15']['end']}")
    write("latency", result)
    return result


if __name__ == "__main__":
    main()
