"""Train the 2x super-resolution nets on BSD200 + BSDS500test, resumably (CPU in the background, or a GPU).

    python -m generative.train.sr --data ../shared/data --stage psnr --steps 30000 --minutes 70 --threads 1
    python -m generative.train.sr --data ../shared/data --stage psnr --channels 32 --blocks 6 --patch 128 \\
        --steps 100000 --channels-last --compile --threads 1             # a long cosine run of a deeper net
    python -m generative.train.sr --data ../shared/data --stage gan --minutes 35 --threads 1
    python -m generative.train.sr --stage psnr --export   # the checkpoint to weights/sr-x2-psnr.safetensors

Data: random HR patches (``--patch`` px, 96 by default; LR = half that) of 380 of the 400 training photos, BSD200
and BSDS500test (never Set5/Set14/B100; the other 20, :data:`generative.datasets.SR_HELD_OUT`, are held out), with
scale jitter (the HR patch is cut at 1x, or at a random scale in [0.5, 1) and reduced), rot90 and flips;
LR = Pillow bicubic x1/2 of the HR patch, as in the evaluation protocol.
The net trains in its collapsed form (:class:`generative.sr.SRNet` ``collapsed=True``: one conv per layer, the
same function and gradients as the branches); ``--channels-last`` runs it channels-last, ``--compile`` through
torch.compile (about 20 s to compile at the start of each run).
``psnr``: L1 loss, Adam, cosine learning rate from ``--lr`` over ``--steps`` (the horizon; to 2 % of ``--lr``).
``gan``: starts from the shipped ``sr-x2-psnr``; content loss = pixel L1 (no pretrained feature network can be
downloaded here), plus the non-saturating loss of a PatchGAN discriminator that judges only the high-frequency
detail layer; every 100 steps it scores the 20 held-out photos, and of the steps at least 1 dB above bicubic there
it keeps the one whose sharpness is closest to the originals' (:func:`gan_step_score`), which ``--export`` ships.
Runs are named ``sr-<stage>`` for the shipped size (32 channels, 4 blocks), else ``sr-<stage>-c<C>b<B>``:
checkpoints ``<run>.pt`` go to ``--checkpoints`` every 3 minutes and a rerun resumes there, with the recipe
(``--patch``, ``--batch``, ``--lr``, ``--steps``) saved in it unless given again; without a checkpoint, a run of the
shipped net's size continues from the shipped weights (fresh optimiser) unless ``--from-scratch``, and so does a
psnr run of its width with more ``--blocks``, grown by identity blocks (:func:`training_form`); any other starts at
step 0. A rerun with another ``--steps`` moves the psnr cosine's horizon from its step on (the learning
rate follows the new curve; the change is kept in the recipe and named in the manifest).
The training curve goes to ``bench/results/train-<run>.csv``.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import load_file
from torch import nn

from generative.datasets import load_sr_photos
from generative.sr import PatchDiscriminator, SRNet, Upscaler
from generative.srmetrics import bicubic_x2, crop_even, downscale_x2, psnr_y, resize, sharpness
from generative.train import append_row, every, learning_curve, load_checkpoint, parser, save_checkpoint, start_run
from generative.weights import WEIGHTS_DIR, read_manifest, save_model

CONFIG = {"channels": 32, "blocks": 4}  # the shipped size
RECIPE = {"patch": 96, "batch": 16, "lr": 5e-4}  # HR patch side, batch, peak learning rate (psnr stage)
DEFAULT_STEPS = {"psnr": 12_000, "gan": 4_000}
ADV_WEIGHT = 0.05  # gan stage: adversarial loss weight against pixel L1 = 1
GAN_LR = 5e-5
MIN_GAIN_DB = 1.0  # a GAN step is eligible only this far above bicubic on the held-out photos


def sample_batch(images: np.ndarray, batch: int, patch: int,
                 rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(LR, HR) float batches in [0, 1]: (B, 3, patch/2, patch/2) and (B, 3, patch, patch)."""
    lrs, hrs = [], []
    for _ in range(batch):
        img = images[rng.integers(len(images))]
        scale = 1.0 if rng.random() < 0.5 else rng.uniform(0.5, 1.0)
        size = min(round(patch / scale), *img.shape[:2])
        y, x = rng.integers(img.shape[0] - size + 1), rng.integers(img.shape[1] - size + 1)
        hr = img[y: y + size, x: x + size]
        if size != patch:
            hr = resize(np.ascontiguousarray(hr), patch, patch)
        hr = np.rot90(hr, rng.integers(4))
        if rng.random() < 0.5:
            hr = hr[:, ::-1]
        hr = np.ascontiguousarray(hr)
        lrs.append(resize(hr, patch // 2, patch // 2))
        hrs.append(hr)
    to_tensor = lambda a: torch.from_numpy(np.stack(a)).permute(0, 3, 1, 2).float() / 255  # noqa: E731
    return to_tensor(lrs), to_tensor(hrs)


def cosine_rate(step: int, steps: int, peak: float) -> float:
    """The psnr stage's learning rate: cosine from ``peak`` at step 0 to 2 % of it at ``steps``."""
    return peak * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(step, steps) / steps)))


def deploy_blocks(deploy_state: dict[str, torch.Tensor]) -> int:
    """How many body convs a deploy-form state dict holds."""
    return sum(key.startswith("net.body.") and key.endswith(".conv3.weight") for key in deploy_state)


def training_form(deploy_state: dict[str, torch.Tensor], config: dict[str, int]) -> SRNet:
    """A collapsed training-form net computing exactly the shipped deploy net (1x1 branches zero, identity
    subtracted). A deeper ``config`` grows it: the extra body convs come after the shipped ones as identities
    (all branch weights zero but the identity, PReLU slope 1), which training then moves."""
    net = SRNet(**config, collapsed=True)
    shipped_blocks = deploy_blocks(deploy_state)
    with torch.no_grad():
        for name, conv in [("head", net.head), *((f"body.{i}", c) for i, c in enumerate(net.body)), ("tail", net.tail)]:
            conv.conv1.weight.zero_()
            conv.conv1.bias.zero_()
            if f"net.{name}.conv3.weight" not in deploy_state:  # a grown block: the identity branch alone
                conv.conv3.weight.zero_()
                conv.conv3.bias.zero_()
                continue
            weight = deploy_state[f"net.{name}.conv3.weight"].clone()
            if conv.identity:
                weight[:, :, 1, 1] -= torch.eye(weight.shape[0])
            conv.conv3.weight.copy_(weight)
            conv.conv3.bias.copy_(deploy_state[f"net.{name}.conv3.bias"])
        for i, act in enumerate(net.acts):
            key = f"net.acts.{i}.weight"
            act.weight.copy_(deploy_state[key] if i <= shipped_blocks else torch.ones_like(act.weight))
    return net


def detail(x: torch.Tensor) -> torch.Tensor:
    """The high-frequency layer the discriminator judges: x minus its 2x2 average, bilinearly upsampled,
    amplified 2x around 0.5 (so colour and brightness, which L1 already fixes, give it no cue)."""
    smooth = F.interpolate(F.avg_pool2d(x, 2), scale_factor=2, mode="bilinear", align_corners=False)
    return 0.5 + 2 * (x - smooth)


def upscaler(net: SRNet) -> Upscaler:
    """The deploy-form (merged) upscaler computing what the training-form ``net`` computes."""
    up = Upscaler(**net.config)
    up.net.load_state_dict(net.reparameterised().state_dict())
    return up


@torch.no_grad()
def set5_psnr(net: SRNet, data: str) -> float:
    """Mean Set5 PSNR (Y, shave 2) for the training curve (monitoring only: no model selection)."""
    up = upscaler(net)
    scores = []
    for f in sorted((Path(data) / "sr" / "eval" / "Set5").glob("*.png")):
        hr = crop_even(np.asarray(Image.open(f).convert("RGB")))
        scores.append(psnr_y(up(downscale_x2(hr)), hr))
    return float(np.mean(scores))


@torch.no_grad()
def held_out_scores(net: SRNet, photos: np.ndarray) -> tuple[float, float, float]:
    """(net PSNR, bicubic PSNR, net sharpness), means over the held-out photos (Y, shave 2)."""
    up = upscaler(net)
    scores = []
    for photo in photos:
        hr = crop_even(photo)
        lr = downscale_x2(hr)
        sr = up(lr)
        scores.append((psnr_y(sr, hr), psnr_y(bicubic_x2(lr), hr), sharpness(sr, hr)))
    psnr, bicubic, sharp = np.mean(scores, axis=0)
    return float(psnr), float(bicubic), float(sharp)


def checkpoint_upscaler(path: Path) -> Upscaler:
    """The deploy-form upscaler of a training checkpoint (``<run>.pt`` or a GAN run's ``-chosen.pt``)."""
    ckpt = load_checkpoint(path)
    net = SRNet(**ckpt.get("config", CONFIG), collapsed=True)
    net.load_state_dict(ckpt["net"])
    return upscaler(net).eval()


def gan_step_score(psnr: float, bicubic: float, sharp: float) -> float | None:
    """How far a GAN step's held-out sharpness is from the originals' (lower is better), or None when its held-out
    PSNR is less than :data:`MIN_GAIN_DB` above bicubic's (not eligible)."""
    return abs(sharp - 1.0) if psnr >= bicubic + MIN_GAIN_DB else None


def grows_from(shipped: dict[str, int] | None, config: dict[str, int]) -> bool:
    """Whether a net of ``config`` can start from the shipped net of config ``shipped``: the same width and at least
    as many body convs (the extra ones start as identities, see :func:`training_form`)."""
    return (shipped is not None and shipped["channels"] == config["channels"]
            and shipped["blocks"] <= config["blocks"])


def run_name(stage: str, config: dict[str, int]) -> str:
    """``sr-<stage>`` for the shipped size, else ``sr-<stage>-c<channels>b<blocks>``: checkpoint and curve names."""
    return f"sr-{stage}" if config == CONFIG else f"sr-{stage}-c{config['channels']}b{config['blocks']}"


def horizon_text(recipe: dict) -> str:
    """The cosine horizon, with its changes when a run was continued with another ``--steps``."""
    changes = recipe.get("horizons", [])
    if not changes:
        return f"{recipe['steps']} steps"
    parts = [f"{steps} steps from step {start}" for start, steps in changes]
    return "a horizon of " + ", then ".join(parts)


def export(stage: str, net: SRNet, step: int, recipe: dict, weights: Path = WEIGHTS_DIR) -> None:
    """Write the deploy (merged) form as ``<weights>/sr-x2-<stage>.safetensors`` with its manifest entry there."""
    patch, batch = recipe["patch"], recipe["batch"]
    data = (f"380 of the 400 BSD200 + BSDS500test JPEGs (20 held out, generative.datasets.SR_HELD_OUT), random "
            f"{patch}-px HR / {patch // 2}-px LR patches, scale jitter 0.5-1, rot90 + flips; LR = Pillow bicubic x1/2")
    training = (f"L1 loss, Adam {recipe['lr']:g} with cosine decay over {horizon_text(recipe)}, batch {batch}"
                if stage == "psnr" else
                f"fine-tuned from sr-x2-psnr: pixel L1 + {ADV_WEIGHT} x non-saturating adversarial loss of a "
                "spectral-norm PatchGAN discriminator (width 16, Adam 1e-4) that sees only the high-frequency detail "
                f"layer; Adam {GAN_LR}, batch {batch}; step chosen on the 20 held-out photos (held-out PSNR >= "
                f"bicubic + {MIN_GAIN_DB:g} dB, then sharpness closest to 1)")
    if "origin" in recipe:
        training += f"; {recipe['origin']}"
    options = [f"--stage {stage}"]
    if stage == "psnr":
        options += [f"--channels {net.config['channels']} --blocks {net.config['blocks']}", f"--lr {recipe['lr']:g}"]
    options += [f"--patch {patch}", f"--batch {batch}", f"--steps {recipe['steps']}", "--threads 1"]
    command = "python -m generative.train.sr --data ../shared/data " + " ".join(options)
    weights.mkdir(parents=True, exist_ok=True)
    save_model(f"sr-x2-{stage}", upscaler(net), {
        "builder": "generative.sr:Upscaler", "config": net.config, "data": data, "training": training,
        "command": command, "trained_steps": step}, weights)
    print(f"exported sr-x2-{stage} after {step} steps to {weights}")


def psnr_step(net: nn.Module, opt: torch.optim.Optimizer, lr_img: torch.Tensor, hr: torch.Tensor, rate: float) -> float:
    """One L1 step at learning rate ``rate``; returns the loss."""
    for group in opt.param_groups:
        group["lr"] = rate
    loss = F.l1_loss(net(lr_img), hr)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return float(loss.detach())


def gan_step(net: nn.Module, d: PatchDiscriminator, opt: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
             lr_img: torch.Tensor, hr: torch.Tensor) -> list[float]:
    """One discriminator and one generator step; returns [l1, adv, d_loss, D(real), D(fake)]."""
    sr = net(lr_img)
    l1 = F.l1_loss(sr, hr)
    d_real, d_fake = d(detail(hr)), d(detail(sr.detach()))
    d_loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
    opt_d.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_d.step()
    adv = F.softplus(-d(detail(sr))).mean()
    for group in opt.param_groups:
        group["lr"] = GAN_LR
    opt.zero_grad(set_to_none=True)
    (l1 + ADV_WEIGHT * adv).backward()
    opt.step()
    return [float(l1.detach()), float(adv.detach()), float(d_loss.detach()),
            float(torch.sigmoid(d_real.detach()).mean()), float(torch.sigmoid(d_fake.detach()).mean())]


def command_line() -> argparse.ArgumentParser:
    """The options: the shared ones, the stage, the net's size, the recipe and channels-last."""
    cli = parser(__doc__)
    cli.add_argument("--stage", choices=["psnr", "gan"], default="psnr")
    cli.add_argument("--channels", type=int, default=CONFIG["channels"], help="psnr stage: width (default 32)")
    cli.add_argument("--blocks", type=int, default=CONFIG["blocks"], help="psnr stage: body convs (default 4)")
    cli.add_argument("--patch", type=int, default=None, help=f"HR patch side, even (default {RECIPE['patch']})")
    cli.add_argument("--batch", type=int, default=None, help=f"batch size (default {RECIPE['batch']})")
    cli.add_argument("--lr", type=float, default=None, help=f"psnr stage: peak learning rate (default {RECIPE['lr']})")
    cli.add_argument("--steps", type=int, default=None, help="total steps; for psnr the cosine schedule's horizon")
    cli.add_argument("--channels-last", action="store_true", help="run the net and batches channels-last")
    cli.add_argument("--compile", action="store_true", help="run the training steps through torch.compile")
    cli.add_argument("--weights", type=Path, default=WEIGHTS_DIR,
                     help="folder the finished (or --export) weights and manifest entry go to (default: the shipped "
                          "weights/; give another for trials)")
    cli.add_argument("--from-scratch", action="store_true",
                     help="psnr stage without a checkpoint: start at step 0 even at the shipped net's size")
    return cli


def main(argv: list[str] | None = None) -> None:
    """Resume, train for ``--minutes`` or until ``--steps``, checkpoint, export."""
    args = command_line().parse_args(argv)
    cache = start_run(args)
    gan = args.stage == "gan"
    shipped = read_manifest()
    if gan and "sr-x2-psnr" not in shipped:
        raise SystemExit("the gan stage starts from sr-x2-psnr: train and export --stage psnr first")
    config = shipped["sr-x2-psnr"]["config"] if gan else {"channels": args.channels, "blocks": args.blocks}
    name = run_name(args.stage, config)
    ckpt_path = cache / f"{name}.pt"
    ckpt = load_checkpoint(ckpt_path) if ckpt_path.exists() else {}
    given = {k: getattr(args, k) for k in ("patch", "batch", "lr", "steps") if getattr(args, k) is not None}
    recipe = {**RECIPE, "steps": DEFAULT_STEPS[args.stage], **ckpt.get("recipe", {}), **given}
    if recipe["patch"] % 2 or not 8 <= recipe["patch"] <= 320:
        raise SystemExit(f"--patch must be even and 8-320 px (the photos are 321 x 481), got {recipe['patch']}")
    if args.export and not ckpt:
        raise SystemExit(f"nothing to export: no checkpoint {ckpt_path}")
    net = SRNet(**config, collapsed=True)
    d = PatchDiscriminator() if gan else None
    step = 0
    own = shipped.get(f"sr-x2-{args.stage}", {})
    if ckpt:
        net.load_state_dict(ckpt["net"])
        if d is not None:
            d.load_state_dict(ckpt["d"])
        step = int(ckpt["step"])
        print(f"{name}: resuming after step {step}")
        before = ckpt.get("recipe", {})
        if not gan and "steps" in given and before.get("steps") not in (None, given["steps"]):
            recipe["horizons"] = [*before.get("horizons", [[0, before["steps"]]]), [step, given["steps"]]]
            print(f"{name}: cosine horizon {before['steps']} -> {given['steps']} steps from step {step}")
    elif (own.get("config") == config or not gan and grows_from(own.get("config"), config)) and not (
            args.from_scratch and not gan):
        net = training_form(load_file(WEIGHTS_DIR / f"sr-x2-{args.stage}.safetensors"), config)
        step = int(own["trained_steps"])
        if step >= recipe["steps"]:
            raise SystemExit(f"the shipped sr-x2-{args.stage} has trained {step} steps: give --steps beyond that")
        extra = config["blocks"] - own["config"]["blocks"]
        grown = f", grown by {extra} identity body conv{'s' * (extra > 1)}" if extra else ""
        recipe["origin"] = f"continued from the shipped weights after step {step}{grown} (trained on: {own['data']})"
        print(f"{name}: no checkpoint, continuing from the shipped weights after step {step}{grown} (fresh optimiser)")
    elif gan:
        net = training_form(load_file(WEIGHTS_DIR / "sr-x2-psnr.safetensors"), config)
        print(f"{name}: starting from the shipped sr-x2-psnr")
    if args.channels_last:
        net = net.to(memory_format=torch.channels_last)
    model = torch.compile(net) if args.compile else net  # same parameters; checkpoints keep net's plain names
    opt = torch.optim.Adam(net.parameters(), lr=1e-4 if gan else recipe["lr"], betas=(0.9, 0.99))
    opt_d = torch.optim.Adam(d.parameters(), lr=1e-4, betas=(0.9, 0.99)) if d is not None else None
    if ckpt:
        opt.load_state_dict(ckpt["opt"])
        if opt_d is not None:
            opt_d.load_state_dict(ckpt["opt_d"])

    def checkpoint() -> None:
        state = {"net": net.state_dict(), "opt": opt.state_dict(), "step": step, "config": config, "recipe": recipe}
        if d is not None:
            state |= {"d": d.state_dict(), "opt_d": opt_d.state_dict()}
        save_checkpoint(state, ckpt_path)

    chosen_path = cache / f"{name}-chosen.pt"
    if not args.export:
        images, held_out = load_sr_photos(args.data, cache)
        columns = ["l1", "adv", "d_loss", "d_real", "d_fake"] if gan else ["l1", "lr"]
        scores = ["held_out_psnr", "held_out_bicubic_psnr", "held_out_sharpness"] if gan else ["set5_psnr"]
        curve = learning_curve(name, ["step", *columns, *scores, "seconds"], fresh=step == 0)
        if gan and not ckpt:
            chosen_path.unlink(missing_ok=True)  # a new GAN run: an earlier run's choice no longer applies
        chosen = load_checkpoint(chosen_path)["score"] if gan and chosen_path.exists() else None
        rng = np.random.default_rng(step)
        start = time.time()
        save_now_and_then = every(180, checkpoint)
        logs: list[list[float]] = []
        while step < recipe["steps"] and (args.minutes is None or time.time() - start < 60 * args.minutes):
            lr_img, hr = sample_batch(images, recipe["batch"], recipe["patch"], rng)
            if args.channels_last:
                lr_img, hr = (t.contiguous(memory_format=torch.channels_last) for t in (lr_img, hr))
            if d is None:
                rate = cosine_rate(step, recipe["steps"], recipe["lr"])
                logs.append([psnr_step(model, opt, lr_img, hr, rate), rate])
            else:
                logs.append(gan_step(model, d, opt, opt_d, lr_img, hr))
            step += 1
            if step % 100 == 0:
                mean = np.mean(logs, axis=0)
                logs = []
                if gan:
                    held = held_out_scores(net, held_out)
                    score = gan_step_score(*held)
                    if score is not None and (chosen is None or score < chosen):
                        chosen = score
                        save_checkpoint({"net": net.state_dict(), "step": step, "score": score, "config": config},
                                        chosen_path)
                    marks = [f"{v:.4f}" for v in held]
                else:
                    marks = [f"{set5_psnr(net, args.data):.3f}" if step % 500 == 0 else ""]
                append_row(curve, [step, *(f"{v:.5g}" for v in mean), *marks, f"{time.time() - start:.0f}"])
                print(f"step {step}: " + " ".join(f"{c} {v:.4g}" for c, v in zip(columns, mean))
                      + "".join(f" {c} {v}" for c, v in zip(scores, marks) if v), flush=True)
            save_now_and_then()
        checkpoint()

    if args.export or step >= recipe["steps"]:
        if gan and chosen_path.exists():  # the step chosen on the held-out photos, not the last one
            best = load_checkpoint(chosen_path)
            net.load_state_dict(best["net"])
            step = int(best["step"])
        export(args.stage, net, step, recipe, args.weights)


if __name__ == "__main__":
    main()
