"""Load: 16 concurrent gradio_client users, each running every tab's main action 5 times.

    python -m bench.load [--clients 16] [--rounds 5]

Starts the app through ``bench.traced_app`` (``python app.py`` with each handler timed on the server; queue: at
most 2 concurrent runs of each event) and reports errors, latency percentiles, the most runs of one event the
server processed at once, and the server's peak resident memory (VmHWM). Goals: 0 errors, the limit of 2 holds,
peak RSS <= 2 GB.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

from gradio_client import Client

from bench.actions import running_app, served
from bench.common import summary_ms, write
from generative.ui import CONCURRENCY_LIMIT


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size (Linux VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


def _user(url: str, rounds: int, results: list, lock: threading.Lock) -> None:
    client = Client(url, verbose=False)
    actions = served(client)
    for _ in range(rounds):
        for action in actions:
            start, error = time.perf_counter(), None
            try:
                client.predict(*action.arguments(), api_name=action.api_name)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                error = str(exc)[:200]
            with lock:
                results.append({"api_name": action.api_name, "seconds": time.perf_counter() - start, "error": error})


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The largest number of intervals open at one moment."""
    events = sorted([(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals], key=lambda e: (e[0], e[1]))
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


def main(argv: list[str] | None = None) -> dict:
    """Run the load, print the table, write ``bench/results/load.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    results: list[dict] = []
    lock = threading.Lock()
    trace = Path(tempfile.mkdtemp()) / "trace.jsonl"
    with running_app(script=("-m", "bench.traced_app", str(trace))) as (url, _, proc):
        start = time.perf_counter()
        users = [threading.Thread(target=_user, args=(url, args.rounds, results, lock)) for _ in range(args.clients)]
        for user in users:
            user.start()
        for user in users:
            user.join()
        wall = time.perf_counter() - start
        rss = peak_rss_mb(proc.pid)
    runs = [json.loads(line) for line in trace.read_text().splitlines()]
    rows = []
    for api_name in sorted({r["api_name"] for r in results}):
        mine = [r for r in results if r["api_name"] == api_name]
        rows.append({"api_name": api_name, "calls": len(mine), "errors": sum(r["error"] is not None for r in mine),
                     "most_processing_at_once": max_overlap([(r["start"], r["end"]) for r in runs
                                                             if r["api_name"] == api_name.lstrip("/")]),
                     **summary_ms([r["seconds"] for r in mine])})
    errors = [r["error"] for r in results if r["error"]]
    print(f"{args.clients} clients x {args.rounds} rounds in {wall:.1f} s; errors: {len(errors)}; "
          f"server peak RSS {rss:.0f} MB")
    print(f"{'endpoint':<18} {'calls':>6} {'errors':>7} {'at once':>8} {'median':>9} {'p90':>9}")
    for r in rows:
        print(f"{r['api_name']:<18} {r['calls']:>6} {r['errors']:>7} {r['most_processing_at_once']:>8} "
              f"{r['median_ms']:>6.0f} ms {r['p90_ms']:>6.0f} ms")
    result = {"clients": args.clients, "rounds": args.rounds, "wall_s": round(wall, 1), "errors": len(errors),
              "error_examples": errors[:5], "peak_rss_mb": round(rss), "concurrency_limit": CONCURRENCY_LIMIT,
              "limit_held": all(r["most_processing_at_once"] <= CONCURRENCY_LIMIT for r in rows), "endpoints": rows}
    write("load", result)
    return result


if __name__ == "__main__":
    main()
