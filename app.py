"""Generative Models Studio: ``python app.py [--share] [--port N] [--device auto|cpu|cuda] [--precision P] [--mcp]``.

``import app`` gives the ``gr.Blocks`` object as ``app.demo`` without launching it.
"""

from __future__ import annotations

import argparse
import importlib.util

import generative
from generative.device import PRECISIONS
from generative.ui import build_demo, launch_options, queued

demo = build_demo()


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve the app."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--share", action="store_true", help="also serve on a public gradio.live link")
    parser.add_argument("--port", type=int, default=None, help="port (default: $GRADIO_SERVER_PORT or 7860)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="where models run")
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help="of the image networks (super-resolution, CycleGAN): auto = bfloat16 on CPUs that compute "
                             "it natively (1.4-1.6x faster tabs, the same pictures to the eye), else float32")
    parser.add_argument("--mcp", action="store_true",
                        help="also serve every API endpoint as an MCP tool (needs: pip install 'gradio[mcp]')")
    args = parser.parse_args(argv)
    if args.mcp and importlib.util.find_spec("mcp") is None:
        parser.error("--mcp needs Gradio's MCP extra: pip install 'gradio[mcp]==6.31.0'")
    generative.set_device(args.device)
    generative.set_precision(args.precision)
    queued(demo).launch(share=args.share, server_port=args.port, mcp_server=args.mcp, **launch_options())


if __name__ == "__main__":
    main()
