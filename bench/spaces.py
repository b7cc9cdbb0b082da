"""Run the app as a Hugging Face Space would: a fresh venv from requirements.txt alone, then ``python app.py``.

    python -m bench.spaces [--venv DIR]

Run by hand, not in CI: it installs torch and gradio afresh (a few minutes). Spaces starts the app with
``GRADIO_SERVER_NAME=0.0.0.0`` and port 7860; this does the same, then calls every tab's main action once.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gradio_client import Client

from bench.actions import ROOT, running_app, served
from bench.common import write


def main(argv: list[str] | None = None) -> dict:
    """Build the venv, start the app in it, call each tab, write ``bench/results/spaces.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=Path(tempfile.gettempdir()) / "generative-spaces-venv")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(args.venv)], check=True)
    python = str(args.venv / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "-q", "-r", str(ROOT / "requirements.txt")], check=True)
    install_s = time.perf_counter() - start
    env = {**os.environ, "GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "7860"}
    tabs = []
    with running_app(python=python, env=env) as (url, cold_start, _):
        client = Client(url, verbose=False)
        for action in served(client):
            t0 = time.perf_counter()
            client.predict(*action.arguments(), api_name=action.api_name)
            tabs.append({"tab": action.tab, "api_name": action.api_name, "first_call_s": round(time.perf_counter() - t0, 2)})
    print(f"fresh venv from requirements.txt: {install_s:.0f} s; cold start {cold_start:.1f} s")
    for tab in tabs:
        print(f"  {tab['tab']:<30} {tab['api_name']:<18} answered in {tab['first_call_s']:.2f} s")
    result = {"install_s": round(install_s), "cold_start_s": round(cold_start, 2), "tabs": tabs}
    write("spaces", result)
    return result


if __name__ == "__main__":
    main()
