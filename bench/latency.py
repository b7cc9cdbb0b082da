"""Cold start and the CPU latency of every tab's main action through the running app.

    python -m bench.latency [--repeats 20]

Starts ``python app.py`` in a subprocess (cold start = until the first page answers), then calls each
tab's main action with gradio_client: the first call (which loads the tab's model) and ``--repeats`` more.
"""

from __future__ import annotations

import argparse
import time

from gradio_client import Client

from bench.actions import running_app, served
from bench.common import summary_ms, timings, write


def main(argv: list[str] | None = None) -> dict:
    """Measure, print a table, write ``bench/results/latency.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    rows = []
    with running_app() as (url, cold_start, _):
        client = Client(url, verbose=False)
        for action in served(client):
            start = time.perf_counter()
            client.predict(*action.arguments(), api_name=action.api_name)
            first = time.perf_counter() - start
            stats = summary_ms(timings(lambda a=action: client.predict(*a.arguments(), api_name=a.api_name),
                                       args.repeats, warmup=0))
            rows.append({"tab": action.tab, "api_name": action.api_name, "first_call_ms": round(1000 * first, 1),
                         **stats})
    print(f"cold start (python app.py until the first page answers): {cold_start:.1f} s")
    print(f"{'tab':<30} {'endpoint':<18} {'first call':>11} {'median':>9} {'p90':>9}")
    for r in rows:
        print(f"{r['tab']:<30} {r['api_name']:<18} {r['first_call_ms']:>8.0f} ms {r['median_ms']:>6.0f} ms "
              f"{r['p90_ms']:>6.0f} ms")
    result = {"cold_start_s": round(cold_start, 2), "actions": rows}
    write("latency", result)
    return result


if __name__ == "__main__":
    main()
