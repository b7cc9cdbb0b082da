"""Convert an official pytorch-CycleGAN-and-pix2pix generator (``latest_net_G.pth``) into a model that
``generative.load`` accepts.

    python -m generative.convert_cyclegan latest_net_G_A.pth --name cyclegan-official-horse2zebra

The ``.pth`` is read with ``torch.load(..., weights_only=True)`` only (tensors, no code). Its keys are
the official ResnetGenerator's (``model.1.weight`` ... ``model.10.conv_block.1.weight`` ...); width
and depth are read off the shapes. A ``module.`` prefix (DataParallel) and the InstanceNorm running
statistics that old PyTorch versions saved are dropped. The output is ``weights/<name>.safetensors``
plus its manifest entry.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import torch

from generative.cyclegan import Translator
from generative.weights import WEIGHTS_DIR, save_model

_STATS = ("running_mean", "running_var", "num_batches_tracked")


def official_to_translator(state: dict[str, torch.Tensor]) -> Translator:
    """A :class:`Translator` holding an official ResnetGenerator state dict (strict key and shape check)."""
    state = {k.removeprefix("module."): v for k, v in state.items() if not k.endswith(_STATS)}
    if "model.1.weight" not in state:
        raise ValueError("not an official CycleGAN ResnetGenerator state dict: no key 'model.1.weight'")
    ngf = state["model.1.weight"].shape[0]
    n_blocks = len({m.group(1) for k in state if (m := re.match(r"model\.(\d+)\.conv_block\.", k))})
    translator = Translator(ngf=ngf, n_blocks=n_blocks)
    translator.net.load_state_dict(state, strict=True)
    return translator


def main(argv: list[str] | None = None) -> Path:
    """Read the .pth, convert, write the safetensors file and the manifest entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pth", help="an official latest_net_G*.pth (ResnetGenerator)")
    parser.add_argument("--name", required=True, help="model name, e.g. cyclegan-official-horse2zebra")
    parser.add_argument("--weights-dir", default=str(WEIGHTS_DIR))
    args = parser.parse_args(argv)
    state = torch.load(args.pth, map_location="cpu", weights_only=True)
    translator = official_to_translator(state)
    ngf, n_blocks = translator.net.ngf, translator.net.n_blocks
    path = save_model(args.name, translator, {
        "builder": "generative.cyclegan:Translator", "config": {"ngf": ngf, "n_blocks": n_blocks},
        "data": f"converted from the official pytorch-CycleGAN-and-pix2pix checkpoint {Path(args.pth).name}",
        "command": f"python -m generative.convert_cyclegan {args.pth} --name {args.name}",
    }, weights_dir=Path(args.weights_dir))
    print(f"wrote {path} (ngf {ngf}, {n_blocks} residual blocks)")
    return path


if __name__ == "__main__":
    main()
