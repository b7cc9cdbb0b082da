"""Cold start and the CPU latency of every tab's main action through the running app.

    python -m bench.latency [--repeats 20] [--before COMMIT]

Starts ``python app.py`` in a subprocess (cold start = until the first page answers), then calls each
tab's main action with gradio_client (output files downloaded one after another): the first call (which loads
the tab's model) and ``--repeats`` more; besides the time the client waits, the server process's CPU time per
call (all its threads), which other processes on the machine do not inflate. ``--before COMMIT`` also serves
that commit of the app (exported with ``git archive``) beside this one and alternates the calls between the two,
so that both see the same machine load (other processes on the cores slow both alike): the before/after table of
a speed change. ``bench.browser_latency`` times the same actions as a person sees them, in Chromium.
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

from gradio_client import Client

from bench.actions import ACTIONS, ROOT, Action, _asset, running_app, served
from bench.common import load_average, summary_ms, write

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


def _timed(client: Client, pid: int, action: Action) -> tuple[float, float]:
    """Wall-clock seconds of one call as the client waits for it, and the server's CPU seconds for it."""
    cpu, start = cpu_seconds(pid), time.perf_counter()
    client.predict(*action.arguments(), api_name=action.api_name)
    return time.perf_counter() - start, cpu_seconds(pid) - cpu


def measure(apps: dict[str, tuple[Client, int]], repeats: int) -> dict[str, list[dict]]:
    """Per app (its client and server pid): one row per action served by every app; the apps' calls alternate."""
    names = set.intersection(*({a.api_name for a in served(c)} for c, _ in apps.values()))
    rows: dict[str, list[dict]] = {label: [] for label in apps}
    for action in [a for a in ACTIONS + EXTRA if a.api_name in names]:
        first = {label: _timed(c, pid, action)[0] for label, (c, pid) in apps.items()}
        seconds: dict[str, list[tuple[float, float]]] = {label: [] for label in apps}
        for _ in range(repeats):
            for label, (client, pid) in apps.items():
                seconds[label].append(_timed(client, pid, action))
        for label in apps:
            wall, cpu = zip(*seconds[label])
            rows[label].append({"tab": action.tab, "api_name": action.api_name,
                                "first_call_ms": round(1000 * first[label], 1), **summary_ms(list(wall)),
                                "server_cpu_ms_mean": round(1000 * statistics.fmean(cpu), 1)})
    return rows


def _print(title: str, cold_start: float, rows: list[dict]) -> None:
    print(f"{title}: cold start (python app.py until the first page answers) {cold_start:.1f} s")
    print(f"{'tab':<38} {'endpoint':<22} {'first call':>11} {'median':>9} {'p90':>9} {'server CPU':>11}")
    for r in rows:
        print(f"{r['tab']:<38} {r['api_name']:<22} {r['first_call_ms']:>8.0f} ms {r['median_ms']:>6.0f} ms "
              f"{r['p90_ms']:>6.0f} ms {r['server_cpu_ms_mean']:>8.0f} ms")


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
        rows = measure({label: (Client(url, verbose=False), proc.pid) for label, (url, _, proc) in apps.items()},
                       args.repeats)
    result = {"cold_start_s": round(apps["after"][1], 2), "actions": rows["after"],
              "load_average_1_5_15": {"start": load_before, "end": load_average()}, "nice": os.nice(0)}
    if args.before:
        result["before"] = {"commit": args.before, "cold_start_s": round(apps["before"][1], 2),
                            "actions": rows["before"]}
        _print(f"before ({args.before})", apps["before"][1], rows["before"])
    _print("now", apps["after"][1], rows["after"])
    print(f"load average (1, 5, 15 min) at the start {load_before}, at the end {result['load_average_1_5_15']['end']}")
    write("latency", result)
    return result


if __name__ == "__main__":
    main()
