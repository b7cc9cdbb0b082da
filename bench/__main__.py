"""Every evaluation and speed benchmark, then ``bench/REPORT.md``: ``python -m bench [--data DIR] [--only NAME ...]``.

Quality benchmarks read the evaluation data (``--data``, default ``../shared/data``); the Spaces check
(a fresh venv, minutes) runs only with ``--spaces``. Each benchmark also writes ``bench/results/<name>.json``.
"""

from __future__ import annotations

import argparse
import importlib

from bench import report

QUALITY = ["gmm", "vae", "faces", "cyclegan", "sr", "precision"]  # these take --data, except gmm
# likelihood gathers the NLLs measured above and times sampling
SPEED = ["likelihood", "gan2d", "latency", "browser_latency", "load"]


def main(argv: list[str] | None = None) -> None:
    """Run the chosen benchmarks in order, then write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--only", nargs="+", choices=[*QUALITY, *SPEED, "spaces"], help="run just these")
    parser.add_argument("--spaces", action="store_true", help="also build a fresh venv and start the app as Spaces does")
    args = parser.parse_args(argv)
    chosen = args.only or [*QUALITY, *SPEED, *(["spaces"] if args.spaces else [])]
    for name in chosen:
        print(f"\n=== bench.{name} ===", flush=True)
        module = importlib.import_module(f"bench.{name}")
        module.main(["--data", args.data] if name in QUALITY[1:] else [])
    report.main()


if __name__ == "__main__":
    main()
