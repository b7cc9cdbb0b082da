"""Train the 2x super-resolution nets on BSD200 + BSDS500test, resumably (CPU in the background, or a GPU).

    python -m generative.train.sr --data ../shared/data --stage psnr --minutes 70 --threads 1
    python -m generative.train.sr --data ../shared/data --stage gan --minutes 35 --threads 1
    python -m generative.train.sr --stage psnr --export      # writes weights/sr-x2-psnr.safetensors

Data: random 48-pixel LR patches of 380 of the 400 training photos, BSD200 and BSDS500test (never Set5/Set14/B100;
the other 20, :data:`generative.datasets.SR_HELD_OUT`, are held out), with scale jitter (the HR patch is cut at 1x, or at a random scale in [0.5, 1) and reduced), rot90 and
flips; LR = Pillow bicubic x1/2 of the HR patch, as in the evaluation protocol.
``psnr``: L1 loss, Adam, cosine learning rate over ``--steps``. ``gan``: starts from the shipped
``sr-x2-psnr``; content loss = pixel L1 (no pretrained feature network can be downloaded here), plus
the non-saturating loss of a PatchGAN discriminator that judges only the high-frequency detail layer; every 100
steps it scores the 20 held-out photos, and of the steps at least 1 dB above bicubic there it keeps the one whose
sharpness is closest to the originals' (:func:`gan_step_score`), which ``--export`` then ships.
Checkpoints go to ``--checkpoints`` every 3 minutes; a rerun resumes there (or, without one, from
the shipped weights). The training curve goes to ``bench/results/train-sr-<stage>.csv``.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import load_file

from generative.sr import PatchDiscriminator, SRNet, Upscaler
from generative.datasets import load_sr_photos
from generative.srmetrics import bicubic_x2, crop_even, downscale_x2, psnr_y, resize, sharpness
from generative.train import append_row, every, learning_curve, parser, save_checkpoint, start_run
from generative.weights import WEIGHTS_DIR, read_manifest, save_model

CONFIG = {"channels": 32, "blocks": 4}
PATCH = 48  # LR patch side
DATA = ("380 of the 400 BSD200 + BSDS500test JPEGs (20 held out, generative.datasets.SR_HELD_OUT), random 48-px LR "
        "patches, scale jitter 0.5-1, rot90 + flips; LR = Pillow bicubic x1/2")
DEFAULT_STEPS = {"psnr": 12_000, "gan": 4_000}
ADV_WEIGHT = 0.05  # gan stage: adversarial loss weight against pixel L1 = 1
GAN_LR = 5e-5
MIN_GAIN_DB = 1.0  # a GAN step is eligible only this far above bicubic on the held-out photos


def sample_batch(images: np.ndarray, batch: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(LR, HR) float batches in [0, 1]: (B, 3, 48, 48) and (B, 3, 96, 96)."""
    lrs, hrs = [], []
    for _ in range(batch):
        img = images[rng.integers(len(images))]
        scale = 1.0 if rng.random() < 0.5 else rng.uniform(0.5, 1.0)
        size = round(2 * PATCH / scale)
        y, x = rng.integers(img.shape[0] - size + 1), rng.integers(img.shape[1] - size + 1)
        hr = img[y: y + size, x: x + size]
        if size != 2 * PATCH:
            hr = resize(np.ascontiguousarray(hr), 2 * PATCH, 2 * PATCH)
        hr = np.rot90(hr, rng.integers(4))
        if rng.random() < 0.5:
            hr = hr[:, ::-1]
        hr = np.ascontiguousarray(hr)
        lrs.append(resize(hr, PATCH, PATCH))
        hrs.append(hr)
    to_tensor = lambda a: torch.from_numpy(np.stack(a)).permute(0, 3, 1, 2).float() / 255  # noqa: E731
    return to_tensor(lrs), to_tensor(hrs)


def training_form(deploy_state: dict[str, torch.Tensor]) -> SRNet:
    """A training-form net computing exactly the shipped deploy net (1x1 branches zero, identity subtracted)."""
    net = SRNet(**CONFIG)
    with torch.no_grad():
        for name, conv in [("head", net.head), *((f"body.{i}", c) for i, c in enumerate(net.body)), ("tail", net.tail)]:
            weight = deploy_state[f"net.{name}.conv3.weight"].clone()
            if conv.identity:
                weight[:, :, 1, 1] -= torch.eye(weight.shape[0])
            conv.conv3.weight.copy_(weight)
            conv.conv3.bias.copy_(deploy_state[f"net.{name}.conv3.bias"])
            conv.conv1.weight.zero_()
            conv.conv1.bias.zero_()
        net.acts.load_state_dict({k[len("net.acts."):]: v for k, v in deploy_state.items() if k.startswith("net.acts.")})
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
        hr = np.asarray(Image.open(f).convert("RGB"))
        hr = hr[: hr.shape[0] // 2 * 2, : hr.shape[1] // 2 * 2]
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


def gan_step_score(psnr: float, bicubic: float, sharp: float) -> float | None:
    """How far a GAN step's held-out sharpness is from the originals' (lower is better), or None when its held-out
    PSNR is less than :data:`MIN_GAIN_DB` above bicubic's (not eligible)."""
    return abs(sharp - 1.0) if psnr >= bicubic + MIN_GAIN_DB else None


def export(stage: str, net: SRNet, step: int) -> None:
    """Write the deploy (merged) form as weights/sr-x2-<stage>.safetensors with its manifest entry."""
    up = upscaler(net)
    training = ("L1 loss, Adam 5e-4 with cosine decay, batch 16" if stage == "psnr" else
                f"fine-tuned from sr-x2-psnr: pixel L1 + {ADV_WEIGHT} x non-saturating adversarial loss of a "
                "spectral-norm PatchGAN discriminator (width 16, Adam 1e-4) that sees only the high-frequency detail "
                f"layer; Adam {GAN_LR}, batch 16")
    save_model(f"sr-x2-{stage}", up, {
        "builder": "generative.sr:Upscaler", "config": CONFIG, "data": DATA, "training": training,
        "command": f"python -m generative.train.sr --data ../shared/data --stage {stage} --threads 1",
        "trained_steps": step})
    print(f"exported sr-x2-{stage} after {step} steps")


def main(argv: list[str] | None = None) -> None:
    """Resume, train for ``--minutes`` or until ``--steps``, checkpoint, export."""
    cli = parser(__doc__)
    cli.add_argument("--stage", choices=["psnr", "gan"], default="psnr")
    cli.add_argument("--steps", type=int, default=None, help="total steps (cosine schedule length for psnr)")
    cli.add_argument("--batch", type=int, default=16)
    args = cli.parse_args(argv)
    steps = args.steps or DEFAULT_STEPS[args.stage]
    cache = start_run(args)
    gan = args.stage == "gan"
    net = SRNet(**CONFIG)
    d = PatchDiscriminator() if gan else None
    ckpt_path = cache / f"sr-{args.stage}.pt"
    step = 0
    shipped = read_manifest()
    if ckpt_path.exists():
        ckpt = torch.load(ckpt_path, weights_only=True)
        net.load_state_dict(ckpt["net"])
        if d is not None:
            d.load_state_dict(ckpt["d"])
        step = int(ckpt["step"])
        print(f"resuming after step {step}")
    elif f"sr-x2-{args.stage}" in shipped:
        net = training_form(load_file(WEIGHTS_DIR / f"sr-x2-{args.stage}.safetensors"))
        step = int(shipped[f"sr-x2-{args.stage}"]["trained_steps"])
        print(f"no checkpoint: continuing from the shipped weights after step {step} (fresh optimiser)")
    elif gan:
        if "sr-x2-psnr" not in shipped:
            raise SystemExit("the gan stage starts from sr-x2-psnr: train and export --stage psnr first")
        net = training_form(load_file(WEIGHTS_DIR / "sr-x2-psnr.safetensors"))
        print("starting from the shipped sr-x2-psnr")
    opt = torch.optim.Adam(net.parameters(), lr=1e-4 if gan else 5e-4, betas=(0.9, 0.99))
    opt_d = torch.optim.Adam(d.parameters(), lr=1e-4, betas=(0.9, 0.99)) if d is not None else None
    if ckpt_path.exists():
        opt.load_state_dict(ckpt["opt"])
        if opt_d is not None:
            opt_d.load_state_dict(ckpt["opt_d"])

    def checkpoint() -> None:
        state = {"net": net.state_dict(), "opt": opt.state_dict(), "step": step}
        if d is not None:
            state |= {"d": d.state_dict(), "opt_d": opt_d.state_dict()}
        save_checkpoint(state, ckpt_path)

    chosen_path = cache / "sr-gan-chosen.pt"
    if not args.export:
        images, held_out = load_sr_photos(args.data, cache)
        columns = ["l1", "adv", "d_loss", "d_real", "d_fake"] if gan else ["l1", "lr"]
        scores = ["held_out_psnr", "held_out_bicubic_psnr", "held_out_sharpness"] if gan else ["set5_psnr"]
        curve = learning_curve(f"sr-{args.stage}", ["step", *columns, *scores, "seconds"], fresh=step == 0)
        if gan and not ckpt_path.exists():
            chosen_path.unlink(missing_ok=True)  # a new GAN run: an earlier run's choice no longer applies
        chosen = torch.load(chosen_path, weights_only=True)["score"] if gan and chosen_path.exists() else None
        rng = np.random.default_rng(step)
        start = time.time()
        save_now_and_then = every(180, checkpoint)
        logs: list[list[float]] = []
        while step < steps and (args.minutes is None or time.time() - start < 60 * args.minutes):
            lr_img, hr = sample_batch(images, args.batch, rng)
            sr = net(lr_img)
            l1 = F.l1_loss(sr, hr)
            if d is None:
                rate = 5e-4 * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * step / steps)))
                for group in opt.param_groups:
                    group["lr"] = rate
                loss, row = l1, [float(l1.detach()), rate]
            else:
                d_real, d_fake = d(detail(hr)), d(detail(sr.detach()))
                d_loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
                opt_d.zero_grad(set_to_none=True)
                d_loss.backward()
                opt_d.step()
                adv = F.softplus(-d(detail(sr))).mean()
                for group in opt.param_groups:
                    group["lr"] = GAN_LR
                loss = l1 + ADV_WEIGHT * adv
                row = [float(l1.detach()), float(adv.detach()), float(d_loss.detach()),
                       float(torch.sigmoid(d_real.detach()).mean()), float(torch.sigmoid(d_fake.detach()).mean())]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            logs.append(row)
            if step % 100 == 0:
                mean = np.mean(logs, axis=0)
                logs = []
                if gan:
                    held = held_out_scores(net, held_out)
                    score = gan_step_score(*held)
                    if score is not None and (chosen is None or score < chosen):
                        chosen = score
                        save_checkpoint({"net": net.state_dict(), "step": step, "score": score}, chosen_path)
                    marks = [f"{v:.4f}" for v in held]
                else:
                    marks = [f"{set5_psnr(net, args.data):.3f}" if step % 500 == 0 else ""]
                append_row(curve, [step, *(f"{v:.5g}" for v in mean), *marks, f"{time.time() - start:.0f}"])
                print(f"step {step}: " + " ".join(f"{c} {v:.4g}" for c, v in zip(columns, mean))
                      + "".join(f" {c} {v}" for c, v in zip(scores, marks) if v), flush=True)
            save_now_and_then()
        checkpoint()

    if args.export or step >= steps:
        if gan and chosen_path.exists():  # the step chosen on the held-out photos, not the last one
            best = torch.load(chosen_path, weights_only=True)
            net.load_state_dict(best["net"])
            step = int(best["step"])
        export(args.stage, net, step)


if __name__ == "__main__":
    main()
