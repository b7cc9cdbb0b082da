"""2x super-resolution: re-parameterisation, tiling, the metrics, and what only trained weights can do."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

import generative
from generative.sr import SRNet, Upscaler
from generative.srmetrics import bicubic_x2, crop_even, downscale_x2, psnr_y, sharpness, ssim_y

SHIPPED = [name for name in ("sr-x2-psnr", "sr-x2-gan") if name in generative.available()]
needs_weights = pytest.mark.skipif(not SHIPPED, reason="no SR weights in weights/")


def scene(size: int = 192) -> np.ndarray:
    """A test image made here: smooth gradients, a disc, a triangle and thin lines (sharp edges)."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    img = np.stack([200 * xx + 30, 150 * yy + 50, 120 + 80 * np.sin(6 * xx + 3 * yy)], axis=-1).astype(np.uint8)
    pil = Image.fromarray(img)
    draw = ImageDraw.Draw(pil)
    draw.ellipse([0.1 * size, 0.15 * size, 0.5 * size, 0.55 * size], fill=(220, 40, 40))
    draw.polygon([(0.55 * size, 0.9 * size), (0.95 * size, 0.9 * size), (0.75 * size, 0.5 * size)], fill=(20, 30, 90))
    for i in range(6):
        x = int((0.55 + 0.07 * i) * size)
        draw.line([(x, 0.05 * size), (x + 0.05 * size, 0.4 * size)], fill=(250, 250, 250), width=2)
    return np.asarray(pil)


def random_upscaler(seed: int = 0) -> Upscaler:
    """A deploy-form upscaler with random (untrained) but non-trivial weights."""
    torch.manual_seed(seed)
    net = SRNet(channels=16, blocks=3)
    up = Upscaler(channels=16, blocks=3)
    up.net.load_state_dict(net.reparameterised().state_dict())
    return up.eval()


def test_reparameterised_net_equals_training_form():
    torch.manual_seed(1)
    net = SRNet(channels=16, blocks=3)
    with torch.no_grad():  # make every branch matter: 1x1 weights as large as the 3x3 ones
        for conv in [net.head, *net.body, net.tail]:
            conv.conv1.weight.normal_(0, 0.3)
            conv.conv1.bias.normal_(0, 0.1)
    x = torch.rand(2, 3, 23, 31)
    deploy = net.reparameterised()
    assert not hasattr(deploy.body[0], "conv1")
    assert sum(p.numel() for p in deploy.parameters()) < sum(p.numel() for p in net.parameters())
    with torch.no_grad():
        expected, got = net(x), deploy(x)
    assert got.shape == (2, 3, 46, 62)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    skip = torch.nn.functional.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    assert (expected - skip).abs().mean() > 1e-2  # the net adds a real residual to its bilinear skip


def test_collapsed_training_form_computes_the_same_function_and_gradients():
    torch.manual_seed(2)
    branches = SRNet(channels=16, blocks=3)
    with torch.no_grad():  # every branch matters: 1x1 weights as large as the 3x3 ones
        for conv in [branches.head, *branches.body, branches.tail]:
            conv.conv1.weight.normal_(0, 0.3)
            conv.conv1.bias.normal_(0, 0.1)
    collapsed = SRNet(channels=16, blocks=3, collapsed=True)
    collapsed.load_state_dict(branches.state_dict())
    x, target = torch.rand(2, 3, 19, 27), torch.rand(2, 3, 38, 54)
    with torch.no_grad():
        torch.testing.assert_close(collapsed(x), branches(x), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(collapsed.reparameterised()(x), branches(x), rtol=1e-5, atol=1e-5)
        channels_last = x.contiguous(memory_format=torch.channels_last)
        torch.testing.assert_close(collapsed.to(memory_format=torch.channels_last)(channels_last), branches(x),
                                   rtol=1e-5, atol=1e-5)
    # gradients in float64: in float32 a rounding difference can flip a PReLU or L1 kink and move one gradient by 1e-4
    x, target = x.double(), target.double()
    outputs = []
    for net in (branches.double(), collapsed.double()):
        y = net(x)
        torch.nn.functional.l1_loss(y, target).backward()
        outputs.append(y.detach())
    torch.testing.assert_close(outputs[1], outputs[0], rtol=1e-5, atol=1e-5)
    grads = [dict((n, p.grad) for n, p in net.named_parameters()) for net in (branches, collapsed)]
    assert grads[0].keys() == grads[1].keys() and any(".conv1." in n for n in grads[0])
    for name, grad in grads[0].items():
        assert grad.abs().max() > 0, name  # every branch parameter is trained, in both forms
        torch.testing.assert_close(grads[1][name], grad, rtol=1e-5, atol=1e-5, msg=name)


def test_api_shape_dtype_and_bad_arrays():
    up = random_upscaler()
    out = up(scene(37)[:, :29])
    assert out.shape == (74, 58, 3) and out.dtype == np.uint8
    with pytest.raises(ValueError, match="uint8"):
        up(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        up(np.zeros((8, 8), np.uint8))


def test_tiled_equals_untiled_and_progress_is_reported():
    up = random_upscaler()
    img = scene(150)[:, :130]
    whole = up(img, tile=1000)
    calls = []
    tiled = up(img, tile=40, overlap=up.net.receptive_radius, progress=lambda done, total: calls.append((done, total)))
    assert np.abs(whole.astype(int) - tiled.astype(int)).max() <= 1
    assert calls[-1] == (16, 16) and len(calls) == 16  # ceil(150/40) x ceil(130/40) tiles
    no_overlap = up(img, tile=40, overlap=0)
    assert np.abs(whole.astype(int) - no_overlap.astype(int)).max() > 1  # the overlap is what makes them equal


def test_tiles_of_a_deeper_net_overlap_by_its_receptive_radius_by_default():
    torch.manual_seed(3)
    up = Upscaler(channels=8, blocks=9)  # receptive radius 12 input pixels
    with torch.no_grad():
        for p in up.parameters():
            p.mul_(3)  # a strong response to far pixels, so that a too small overlap shows
    img = scene(120)
    whole = up(img, tile=1000)
    assert np.abs(whole.astype(int) - up(img, tile=30).astype(int)).max() <= 1
    assert np.abs(whole.astype(int) - up(img, tile=30, overlap=8).astype(int)).max() > 1


def test_metrics():
    hr = crop_even(scene(101))
    assert hr.shape == (100, 100, 3)
    assert psnr_y(hr, hr) == float("inf") and ssim_y(hr, hr) == pytest.approx(1.0)
    noisy = np.clip(hr + np.random.default_rng(0).normal(0, 10, hr.shape), 0, 255).astype(np.uint8)
    # PSNR of Y: the noise is averaged over R, G, B with weights summing to 0.859, so Y noise std is about
    # 10 * sqrt(0.2568^2 + 0.5041^2 + 0.0979^2) = 5.74 (less after clipping)
    assert 32.0 < psnr_y(noisy, hr) < 33.7
    assert 0.3 < ssim_y(noisy, hr) < 0.95
    assert ssim_y(noisy, hr) == pytest.approx(ssim_y(hr, noisy))
    lr = downscale_x2(scene(101))
    assert lr.shape == (50, 50, 3) and bicubic_x2(lr).shape == (100, 100, 3)
    assert sharpness(hr, hr) == pytest.approx(1.0)
    assert sharpness(bicubic_x2(lr), hr) < 0.95 < 1.05 < sharpness(noisy, hr)  # blur below 1, noise above
    with pytest.raises(ValueError, match="differ in shape"):
        psnr_y(hr, hr[:-2])


@needs_weights
@pytest.mark.parametrize("name", SHIPPED)
def test_trained_net_beats_bicubic_on_an_image_it_never_saw(name):
    up = generative.load(name, device="cpu")
    hr = scene(192)
    lr = downscale_x2(hr)
    sr, bicubic = up(lr), bicubic_x2(lr)
    assert sr.shape == hr.shape and sr.dtype == np.uint8
    margin = 3.0 if name == "sr-x2-psnr" else 1.0
    assert psnr_y(sr, hr) > psnr_y(bicubic, hr) + margin
    assert ssim_y(sr, hr) > ssim_y(bicubic, hr)


@needs_weights
def test_shipped_weights_are_the_merged_form_and_tile_exactly():
    up = generative.load(SHIPPED[0], device="cpu")
    assert all(conv.deploy for conv in up.net.body)
    img = scene(160)
    whole = up(img, tile=512)
    tiled = up(img, tile=48, overlap=up.net.receptive_radius)
    assert np.abs(whole.astype(int) - tiled.astype(int)).max() <= 1


def odd_files(tmp_path) -> dict[str, tuple[str, str | None]]:
    """Awkward uploads made here: name -> (path, the error message expected, or None for a result)."""
    base = Image.fromarray(scene(40))
    files: dict[str, tuple[str, str | None]] = {}

    def save(name: str, image, message: str | None = None, **kwargs) -> None:
        path = tmp_path / name
        image.save(path, **kwargs)
        files[name] = (str(path), message)

    (tmp_path / "empty.png").write_bytes(b"")
    files["empty.png"] = (str(tmp_path / "empty.png"), "empty")
    (tmp_path / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 definitely not a jpeg")
    files["corrupt.jpg"] = (str(tmp_path / "corrupt.jpg"), "not an image")
    save("tiny.png", Image.new("RGB", (1, 1), "red"), "at least 8 pixels")
    save("grey.png", base.convert("L"))
    save("rgba.png", base.convert("RGBA"))
    save("sixteen.png", Image.fromarray(np.asarray(base.convert("L"), np.uint16) * 257))
    save("cmyk.jpg", base.convert("CMYK"))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    save("rotated.jpg", base.crop((0, 0, 40, 24)), exif=exif)
    frames = [base, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    save("animated.gif", frames[0], save_all=True, append_images=frames[1:])
    save("huge.png", Image.new("L", (10_000, 10_000)), "megapixels")
    return files


@needs_weights
def test_tab_handlers_on_odd_uploads(tmp_path):
    import gradio as gr

    from generative.ui import sr as tab

    if set(tab.MODELS) - set(SHIPPED):
        pytest.skip("the tab needs both nets")
    for name, (path, message) in odd_files(tmp_path).items():
        if message:
            with pytest.raises(gr.Error, match=message):
                tab.upscale(path, "GAN net", 0.5, 0.5, 64)
            continue
        bicubic, psnr, gan, slider, diff, *zooms, note = tab.upscale(path, "GAN net", 0.5, 0.5, 64)
        h, w = tab._image(path).shape[:2]
        assert bicubic.shape == psnr.shape == gan.shape == (2 * h, 2 * w, 3), name
        assert slider[1] is gan and diff.shape == gan.shape
        assert all(z.shape == (tab.ZOOM_PX, tab.ZOOM_PX, 3) for z in zooms)
        assert f"{2 * w} × {2 * h}" in note
    rotated = tab.upscale(odd_files(tmp_path)["rotated.jpg"][0], "PSNR net", 0.5, 0.5, 64)[0]
    assert rotated.shape == (80, 48, 3)  # the EXIF rotation was applied
    with pytest.raises(gr.Error, match="Upload a photo first"):
        tab.upscale(None, "GAN net", 0.5, 0.5, 64)


@needs_weights
def test_degrade_restore_scores_the_nets_above_bicubic(tmp_path):
    from generative.ui import sr as tab

    if set(tab.MODELS) - set(SHIPPED):
        pytest.skip("the tab needs both nets")
    Image.fromarray(scene(160)).save(tmp_path / "scene.png")
    *images, slider, diff, table = tab.degrade_restore(str(tmp_path / "scene.png"), "PSNR net")
    assert all(img.shape == (160, 160, 3) for img in images)
    rows = [line.split("|") for line in table.splitlines() if line.startswith("| ") and "dB" in line]
    psnr = {row[1].strip(): float(row[2].split()[0]) for row in rows}
    assert set(psnr) == set(tab.LABELS)
    assert psnr["PSNR net"] > psnr["Bicubic"] + 1 and psnr["GAN net"] > psnr["Bicubic"]
    crops = tab.zoom(images, 0.0, 1.0, 32)
    np.testing.assert_array_equal(crops[0][:8, :8], np.repeat(np.repeat(images[0][128:129, 0:1], 8, 0), 8, 1))


def _detail(image: np.ndarray) -> float:
    """Mean |brightness step| between neighbouring pixels, both directions."""
    grey = image.astype(float).mean(axis=2)
    return float(np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean())


@pytest.mark.skipif(not {"sr-x2-psnr", "faces-gan"} <= set(generative.available()), reason="needs the SR and face nets")
@pytest.mark.parametrize("seed, index", [(3, 2), (10, 5)])
def test_faces_enhance_shows_the_net_adding_detail_faithful_to_the_face(seed, index):
    """The faces tab's Enhance 2x: the right panel has more detail than bicubic (measured 1.14-1.17x) and, shrunk
    back to 64 px, is closer to the generated face (0.5 grey levels vs bicubic's 2.1). Bicubic in its place fails."""
    from generative.ui import faces as faces_tab

    (bicubic, sharp), _ = faces_tab.enhance(seed, index, 0.8)
    face = generative.load("faces-gan").generate([seed + index - 1], truncation=0.8)[0]
    assert np.abs(bicubic.astype(int) - bicubic_x2(face)).max() <= 1  # the chosen face, enlarged
    assert _detail(sharp) > 1.05 * _detail(bicubic)
    back_sharp, back_bicubic = (np.abs(downscale_x2(im).astype(int) - face).mean() for im in (sharp, bicubic))
    assert back_sharp < back_bicubic / 2, (back_sharp, back_bicubic)


@needs_weights
def test_tab_through_the_real_server(app_url, tmp_path):
    from gradio_client import Client, handle_file

    from generative.ui import sr as tab

    if set(tab.MODELS) - set(SHIPPED):
        pytest.skip("the tab needs both nets")
    client = Client(app_url, verbose=False)
    Image.fromarray(scene(64)).save(tmp_path / "scene.png")
    bicubic, psnr, gan, slider, diff, *zooms, note = client.predict(
        handle_file(str(tmp_path / "scene.png")), "GAN net", 0.5, 0.5, 64, api_name="/sr_upscale")
    assert "128 × 128" in note
    assert np.asarray(Image.open(gan)).shape == (128, 128, 3)
    shown = [np.asarray(Image.open(path).convert("RGB")) for path in (bicubic, psnr, gan)]
    assert all(_detail(net) > 1.05 * _detail(shown[0]) for net in shown[1:])  # sharper than bicubic
    *_, table = client.predict(handle_file(str(tmp_path / "scene.png")), "PSNR net", api_name="/sr_degrade_restore")
    rows = [line.split("|") for line in table.splitlines() if line.startswith("| ") and "dB" in line]
    psnr_db = {row[1].strip(): float(row[2].split()[0]) for row in rows}
    assert psnr_db["PSNR net"] > psnr_db["Bicubic"] + 1 and psnr_db["GAN net"] > psnr_db["Bicubic"]
    (tmp_path / "bad.png").write_bytes(b"nope")
    with pytest.raises(Exception, match="not an image"):
        client.predict(handle_file(str(tmp_path / "bad.png")), "GAN net", 0.5, 0.5, 64, api_name="/sr_upscale")
