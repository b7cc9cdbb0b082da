"""CycleGAN: any-size translation, the official-checkpoint converter, trained behaviour, and the tab."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import load_file

import generative
from generative.convert_cyclegan import main as convert_main
from generative.cyclegan import PatchDiscriminator, ResnetGenerator, Translator, working_size
from generative.train import load_checkpoint, save_checkpoint
from generative.weights import load_model

NAMES = ("cyclegan-horse2zebra", "cyclegan-zebra2horse")
trained = pytest.mark.skipif(not set(NAMES) <= set(generative.available()), reason="no CycleGAN weights in weights/")


@pytest.fixture(scope="module")
def small() -> Translator:
    torch.manual_seed(0)
    return Translator(ngf=8, n_blocks=2).eval()


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (257, 129), (129, 257), (1000, 3000), (5, 2000)])
def test_any_size_in_same_size_out(small, shape):
    image = np.random.default_rng(0).integers(0, 256, (*shape, 3), dtype=np.uint8)
    out = small(image)
    assert out.shape == image.shape and out.dtype == np.uint8


def test_large_inputs_are_processed_at_a_bounded_size():
    assert working_size(3000, 1000) == (1024, 341)
    assert working_size(1, 1) == (32, 32)
    assert working_size(2000, 5) == (1024, 32)
    assert working_size(256, 200, max_side=256) == (256, 200)
    assert working_size(512, 400, max_side=256) == (256, 200)


def test_bad_arrays_are_refused(small):
    for bad in (np.zeros((4, 4), np.uint8), np.zeros((4, 4, 4), np.uint8), np.zeros((4, 4, 3), np.float32),
                np.zeros((0, 4, 3), np.uint8)):
        with pytest.raises(ValueError):
            small(bad)


def test_networks_are_fully_convolutional():
    g, d = ResnetGenerator(ngf=8, n_blocks=1), PatchDiscriminator(ndf=8)
    for h, w in ((64, 96), (128, 128)):
        x = torch.rand(2, 3, h, w) * 2 - 1
        y = g(x)
        assert y.shape == x.shape and y.abs().max() <= 1
        assert d(x).shape == (2, 1, h // 8 - 2, w // 8 - 2)


@pytest.mark.usefixtures("float32")
def test_padding_does_not_shift_the_image(small):
    """A 4-multiple input goes through unpadded; a cropped input gives the same pixels away from the edge."""
    image = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 127.5 - 1
    with torch.no_grad():
        direct = ((small.net(x)[0].permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).byte().numpy()
    assert np.abs(small(image).astype(int) - direct.astype(int)).max() <= 1


def _official_state(ngf: int, n_blocks: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """A state dict with the official ResnetGenerator's key names and shapes, random values, and the
    InstanceNorm running statistics that old PyTorch versions wrote."""
    gen = torch.Generator().manual_seed(seed)
    shapes = {"model.1": (ngf, 3, 7, 7), "model.4": (2 * ngf, ngf, 3, 3), "model.7": (4 * ngf, 2 * ngf, 3, 3)}
    for i in range(10, 10 + n_blocks):
        shapes[f"model.{i}.conv_block.1"] = shapes[f"model.{i}.conv_block.5"] = (4 * ngf, 4 * ngf, 3, 3)
    up = 10 + n_blocks
    shapes[f"model.{up}"] = (4 * ngf, 2 * ngf, 3, 3)  # ConvTranspose2d weights are (in, out, k, k)
    shapes[f"model.{up + 3}"] = (2 * ngf, ngf, 3, 3)
    shapes[f"model.{up + 7}"] = (3, ngf, 7, 7)
    state = {}
    for prefix, shape in shapes.items():
        fan_in = shape[1] * shape[2] * shape[3] if not prefix.startswith(f"model.{up}") else shape[0] * 9
        state[f"{prefix}.weight"] = torch.randn(shape, generator=gen) / fan_in ** 0.5
        bias = shape[1] if prefix in (f"model.{up}", f"model.{up + 3}") else shape[0]
        state[f"{prefix}.bias"] = 0.1 * torch.randn(bias, generator=gen)
    state["model.2.running_mean"] = torch.zeros(ngf)
    state["model.2.running_var"] = torch.ones(ngf)
    return state


def _official_forward(state: dict[str, torch.Tensor], x: torch.Tensor, n_blocks: int) -> torch.Tensor:
    """The official ResnetGenerator's computation, written out with functional ops."""
    def conv(t, key, **kw):
        return F.conv2d(t, state[f"{key}.weight"], state[f"{key}.bias"], **kw)

    def up(t, key):
        t = F.conv_transpose2d(t, state[f"{key}.weight"], state[f"{key}.bias"], stride=2, padding=1, output_padding=1)
        return F.relu(F.instance_norm(t))

    x = F.relu(F.instance_norm(conv(F.pad(x, (3, 3, 3, 3), mode="reflect"), "model.1")))
    x = F.relu(F.instance_norm(conv(x, "model.4", stride=2, padding=1)))
    x = F.relu(F.instance_norm(conv(x, "model.7", stride=2, padding=1)))
    for i in range(10, 10 + n_blocks):
        h = F.relu(F.instance_norm(conv(F.pad(x, (1, 1, 1, 1), mode="reflect"), f"model.{i}.conv_block.1")))
        x = x + F.instance_norm(conv(F.pad(h, (1, 1, 1, 1), mode="reflect"), f"model.{i}.conv_block.5"))
    x = up(up(x, f"model.{10 + n_blocks}"), f"model.{13 + n_blocks}")
    return torch.tanh(conv(F.pad(x, (3, 3, 3, 3), mode="reflect"), f"model.{17 + n_blocks}"))


def test_converter_reads_an_official_checkpoint(tmp_path):
    state = _official_state(ngf=64, n_blocks=9)
    pth = tmp_path / "latest_net_G.pth"
    torch.save({f"module.{k}" if k.startswith("model.1.") else k: v for k, v in state.items()}, pth)
    convert_main([str(pth), "--name", "cyclegan-official", "--weights-dir", str(tmp_path)])
    model = load_model("cyclegan-official", torch.device("cpu"), weights_dir=tmp_path)
    assert (model.net.ngf, model.net.n_blocks) == (64, 9)
    assert sum(p.numel() for p in model.parameters()) == 11_378_179  # the original generator's size
    x = torch.rand(1, 3, 36, 52) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(model.net(x), _official_forward(state, x, 9), atol=1e-4, rtol=1e-4)
    assert model(np.zeros((30, 50, 3), np.uint8)).shape == (30, 50, 3)


def test_converter_refuses_other_files(tmp_path):
    pth = tmp_path / "other.pth"
    torch.save({"conv.weight": torch.zeros(3, 3, 1, 1)}, pth)
    with pytest.raises(ValueError, match="model.1.weight"):
        convert_main([str(pth), "--name", "x", "--weights-dir", str(tmp_path)])
    state = _official_state(ngf=8, n_blocks=2)
    state["model.1.weight"] = torch.zeros(8, 3, 5, 5)
    torch.save(state, pth)
    with pytest.raises(RuntimeError):
        convert_main([str(pth), "--name", "x", "--weights-dir", str(tmp_path)])


def drawn_animal(striped: bool, size: int = 256) -> np.ndarray:
    """A cartoon horse side view on grass under a blue sky: brown, or with black and white zebra stripes."""
    from PIL import ImageDraw

    image = Image.new("RGB", (size, size), (120, 170, 235))
    draw = ImageDraw.Draw(image)
    s = size / 256
    draw.rectangle([0, 170 * s, size, size], fill=(90, 140, 60))
    body = (140, 90, 50)
    shapes = [("ellipse", [60, 95, 190, 160]), ("polygon", [(160, 110), (185, 50), (205, 55), (185, 120)]),
              ("ellipse", [180, 40, 225, 70])]
    shapes += [("rectangle", [x, 140, x + 12, 210]) for x in (75, 100, 150, 170)]
    mask = Image.new("L", (size, size), 0)
    mask_draw = ImageDraw.Draw(mask)
    for kind, xy in shapes:
        scaled = [(p[0] * s, p[1] * s) for p in xy] if kind == "polygon" else [v * s for v in xy]
        getattr(mask_draw, kind)(scaled, fill=255)
    if striped:
        stripes = ((np.arange(size) // max(2, round(7 * s))) % 2 * 235 + 10).astype(np.uint8)
        fill = Image.fromarray(np.repeat(np.tile(stripes, (size, 1))[..., None], 3, axis=2))
    else:
        fill = Image.new("RGB", (size, size), body)
    image.paste(fill, (0, 0), mask)
    return np.asarray(image)


@trained
def test_tab_handler_shows_the_cycle_and_refuses_bad_uploads(tmp_path):
    import gradio as gr

    from generative.ui import cyclegan as tab

    path = tmp_path / "horse.png"
    Image.fromarray(drawn_animal(False)[:, :200]).save(path)
    (before, after), x, y, change, back, heat, summary = tab.translate(str(path), "horse → zebra", tab.FAST,
                                                                       progress=lambda *a, **k: None)
    assert before.shape == after.shape == x.shape == y.shape == change.shape == back.shape == heat.shape
    assert heat.shape == (256, 200, 3)
    assert "cycle error" in summary
    rgba = tmp_path / "zebra.png"
    Image.fromarray(drawn_animal(True, 600)).convert("RGBA").save(rgba)
    (before, after), *_, summary = tab.translate(str(rgba), "zebra → horse", tab.FULL, progress=lambda *a, **k: None)
    assert after.shape == (600, 600, 3) and "600 px" in summary
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    Image.new("RGB", (1, 1)).save(tmp_path / "dot.png")
    for name, message in (("empty.png", "empty"), ("corrupt.jpg", "not an image"), ("dot.png", "1 × 1 pixels")):
        with pytest.raises(gr.Error, match=message):
            tab.translate(str(tmp_path / name), "horse → zebra", tab.FAST, progress=lambda *a, **k: None)
    with pytest.raises(gr.Error, match="Upload a photo"):
        tab.translate(None, "horse → zebra", tab.FAST, progress=lambda *a, **k: None)


@trained
def test_translate_endpoint_through_the_server(app_url, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    path = tmp_path / "horse.jpg"
    Image.fromarray(drawn_animal(False, 300)).save(path)
    slider, x, y, change, back, heat, summary = client.predict(handle_file(str(path)), "horse → zebra",
                                                               "Fast (256 px)", api_name="/cyclegan_translate")
    assert len(slider) == 2 and "cycle error" in summary
    assert np.asarray(Image.open(heat)).shape[:2] == np.asarray(Image.open(change)).shape[:2] == (256, 256)  # working size
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(Exception, match="not an image"):
        client.predict(handle_file(str(tmp_path / "bad.png")), "horse → zebra", "Fast (256 px)",
                       api_name="/cyclegan_translate")


@trained
def test_odd_uploads_give_a_result_or_a_clear_message(tmp_path):
    import gradio as gr
    from oddfiles import make_odd_files

    from generative.ui import cyclegan as tab

    answered = {}
    for name, path in make_odd_files(tmp_path).items():
        try:
            answered[name] = tab.translate(str(path), "zebra → horse", tab.FAST, progress=lambda *a, **k: None)
        except gr.Error as exc:
            assert str(exc).strip()
    assert {"photo.png", "cmyk.jpg", "sixteen-bit.png", "greyscale.png", "rgba.png", "animated.gif"} <= set(answered)
    assert not {"empty.png", "truncated.jpg", "one-pixel.png", "huge-10000x10000.png"} & set(answered)
    upright = answered["photo.png"][0][1].shape
    assert answered["exif-rotated-6.jpg"][0][1].shape == (upright[1], upright[0], 3)


def striped_flank(size: int, period: int = 6) -> np.ndarray:
    """A zebra's flank filling the frame: black and white stripes ``period`` px apart, gently waving."""
    yy, xx = np.mgrid[0:size, 0:size]
    stripes = ((xx + 4 * np.sin(yy / 12)) // (period / 2)) % 2 * 230 + 15
    return np.repeat(stripes.astype(np.uint8)[..., None], 3, axis=2)


@pytest.mark.skipif("horse-zebra-classifier" not in generative.available(), reason="no classifier weights")
def test_classifier_takes_any_size_and_gives_probabilities():
    classifier = generative.load("horse-zebra-classifier", device="cpu")
    images = [drawn_animal(False, 256), drawn_animal(True, 128)[:, :100], np.zeros((7, 3, 3), np.uint8)]
    p = classifier.prob_zebra(images)
    assert p.shape == (3,) and ((0 <= p) & (p <= 1)).all()
    assert classifier.prob_zebra(images[:1])[0] < 0.5  # a plain brown horse is no zebra
    # It was trained on photos in which the animal fills much of the frame: a close-up of a zebra's flank (fine
    # wavy stripes) is a zebra, the same close-up of a brown coat is not; a classifier with one answer fails.
    flank = striped_flank(256)
    brown = np.full_like(flank, (140, 90, 50))
    assert classifier.prob_zebra([brown])[0] < 0.5 < classifier.prob_zebra([flank])[0]


def _body_saturation(image: np.ndarray, mask: np.ndarray) -> float:
    """Mean max(R, G, B) - min(R, G, B) over the masked pixels: 0 for black, white and grey."""
    return float((image.max(axis=2).astype(int) - image.min(axis=2))[mask].mean())


def example_horses(width: int = 256) -> np.ndarray:
    """The tab's first example photo (five horses on a hill), resized to ``width`` px wide: (H, W, 3) uint8."""
    from generative.ui import cyclegan as tab

    photo = Image.open(tab.EXAMPLES[0]).convert("RGB")
    return np.asarray(photo.resize((width, round(width * photo.height / photo.width)), Image.Resampling.LANCZOS))


@trained
@pytest.mark.skipif("horse-zebra-classifier" not in generative.available(), reason="no classifier weights")
def test_the_tab_and_the_server_show_the_zebras(app_url, tmp_path):
    """What a user is shown, by the handler and through the server, is G's zebras, not the upload."""
    from gradio_client import Client, handle_file

    from generative.ui import cyclegan as tab

    classifier = generative.load("horse-zebra-classifier", device="cpu")
    horses = example_horses()
    Image.fromarray(horses).save(tmp_path / "horses.png")
    (shown_x, shown_y), *_ = tab.translate(str(tmp_path / "horses.png"), "horse → zebra", tab.FAST,
                                           progress=lambda *a, **k: None)
    np.testing.assert_array_equal(shown_x, horses)
    slider, *_ = Client(app_url, verbose=False).predict(handle_file(str(tmp_path / "horses.png")), "horse → zebra",
                                                        tab.FAST, api_name="/cyclegan_translate")
    served = np.asarray(Image.open(slider[1]).convert("RGB"))
    to_handler, to_upload = (np.abs(served.astype(int) - image).mean() for image in (shown_y, horses))
    assert to_handler < to_upload / 3, (to_handler, to_upload)  # the handler's picture (sent as lossy WebP)
    p_upload, p_shown, p_served = classifier.prob_zebra([horses, shown_y, served])
    assert p_upload < 0.1 and p_shown > 0.9 and p_served > 0.9, (p_upload, p_shown, p_served)


@trained
@pytest.mark.skipif("horse-zebra-classifier" not in generative.available(), reason="no classifier weights")
@pytest.mark.xfail(strict=True, reason=(
    "the original cartoon check, restored with its original bounds. The 3,892-iteration weights (f763fdb) met it "
    "(saturation 0.55x, P(zebra) 0.998); the 10,500-iteration weights (a0a6062) do not (0.74x, 0.21), although "
    "they score better on held-out photos (83.5 % vs 69.6 % zebra). Strict: weights that meet it again make this "
    "test fail until the mark is removed (see the CycleGAN second pass)."))
def test_trained_g_paints_a_brown_horse_black_and_white_and_f_colours_a_zebra():
    """Untrained generators only add coloured noise; trained ones swap a brown coat for a zebra's and back."""
    g, f = (generative.load(name, device="cpu") for name in NAMES)
    classifier = generative.load("horse-zebra-classifier", device="cpu")
    horse, zebra = drawn_animal(False, 128), drawn_animal(True, 128)
    body = np.abs(horse.astype(int) - (140, 90, 50)).sum(axis=2) < 5
    fake_zebra, fake_horse = g(horse), f(zebra)
    assert _body_saturation(fake_zebra, body) < 0.6 * _body_saturation(horse, body)  # brown (90) -> black and white
    assert 15 < _body_saturation(fake_horse, body) < 80  # black and white (0) -> some colour, not noise
    assert classifier.prob_zebra([horse])[0] < 0.5 < classifier.prob_zebra([fake_zebra])[0]


@trained
@pytest.mark.skipif("horse-zebra-classifier" not in generative.available(), reason="no classifier weights")
def test_the_tabs_example_photos_become_the_other_animal_and_come_back():
    """The tab's two example photos as the tab translates them (its working size): the horses come out as zebras,
    the zebra comes out as something no longer a zebra that G turns back into one, and the horses' cycle stays
    close to the photo. Untrained generators (coloured noise) give P(zebra) <= 0.02 for G's outputs and a cycle
    error near 70; trained ones 0.998 or more and about 25."""
    from generative.ui import cyclegan as tab

    classifier = generative.load("horse-zebra-classifier", device="cpu")
    quiet = {"progress": lambda *a, **k: None}
    _, horses, zebras, _, horses_back, *_ = tab.translate(str(tab.EXAMPLES[0]), "horse → zebra", tab.FAST, **quiet)
    _, zebra, horse, _, zebra_back, *_ = tab.translate(str(tab.EXAMPLES[1]), "zebra → horse", tab.FAST, **quiet)
    assert max(horses.shape[:2]) == 256 and max(zebra.shape[:2]) == 200  # the working sizes: 256 px at most
    p_input, p_g, p_f, p_g_of_f = classifier.prob_zebra([horses, zebras, horse, zebra_back])
    assert p_input < 0.1 and p_g > 0.9, (p_input, p_g)
    assert p_f < 0.1 and p_g_of_f > 0.9, (p_f, p_g_of_f)
    assert np.abs(horses_back.astype(int) - horses).mean() < 40

def _sky(size: int = 128) -> np.ndarray:
    """A smooth sky: a gentle blue gradient, uint8."""
    yy, xx = np.mgrid[:size, :size] / size
    return np.stack([150 + 60 * yy + 10 * xx, 190 + 30 * yy, 240 - 10 * yy], axis=2).round().astype(np.uint8)


def test_grid_metric_flags_a_faint_checkerboard_and_passes_photos_and_smooth_images():
    from bench.cyclegan import committed_photos, grid_excess, grid_peaks

    sky = _sky(256)
    yy, xx = np.mgrid[:256, :256]
    for period, pattern in ((2, (yy + xx) % 2), (4, (yy // 2 + xx // 2) % 2)):  # +-2 grey levels
        grid = np.clip(sky.astype(int) + 4 * pattern[..., None] - 2, 0, 255).astype(np.uint8)
        assert grid_peaks(grid)[period] > 100 and grid_excess(sky, grid)[period] > 100
    assert max(grid_peaks(sky).values()) < 2
    for photo in committed_photos():
        assert max(grid_peaks(photo).values()) < 3
        assert max(grid_excess(photo, photo).values()) <= 1


def test_the_grid_penalty_is_zero_for_what_the_input_holds_and_pushes_a_checkerboard_out():
    """0 when the output adds no 2-pixel grid (the photo itself, a blurred photo); large for a checkerboard of
    2 grey levels on a smooth sky or a photo; and its gradient removes the checkerboard."""
    from generative.train.cyclegan import grid_penalty

    def tensor(image: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(image).permute(2, 0, 1)[None].float() / 127.5 - 1

    from bench.cyclegan import ASSETS

    photo = tensor(np.asarray(Image.open(ASSETS / "horses_nokota.jpg").convert("RGB").resize((128, 128))))
    sky = tensor(_sky(128))
    yy, xx = np.mgrid[:128, :128]
    checkerboard = torch.from_numpy(((yy + xx) % 2 * 2 - 1) * 2 / 127.5).float()
    for x in (photo, sky):
        assert grid_penalty(x, x) == 0
        assert grid_penalty(x, F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)) == 0
        assert grid_penalty(x, x + checkerboard) > 1
    y = (sky + checkerboard).requires_grad_()
    start = float(grid_penalty(sky, y.detach()))
    optimiser = torch.optim.Adam([y], lr=2e-3)
    for _ in range(20):
        optimiser.zero_grad()
        grid_penalty(sky, y).backward()
        optimiser.step()
    assert float(grid_penalty(sky, y.detach())) < start / 2


def test_with_keep_f_only_g_and_the_colour_layers_of_f_train_and_d_a_rests():
    from generative.train.cyclegan import CONFIG_G, Trainer

    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    real_a, real_b = (torch.rand(1, 3, 48, 48, generator=gen) * 2 - 1 for _ in range(2))
    trainer = Trainer({**CONFIG_G, "upsample": "resize", "padding": "reflect", "colour": True}, keep_f=True,
                      grid_weight=1.0)
    nets = {"g": trainer.g, "f": trainer.f, "d_a": trainer.d_a, "d_b": trainer.d_b}
    before = {key: dict((k, p.detach().clone()) for k, p in net.named_parameters()) for key, net in nets.items()}
    trainer.anchor_weight = 5.0
    trainer.anchor_f()
    first = trainer.step(real_a, real_b)
    assert first[7] == 0  # F's colour layers start at zero: F is still the kept F
    losses = trainer.step(real_a, real_b)
    assert losses[1] == losses[5] == 0 and losses[6] >= 0  # no F adversarial term, no D_A loss
    assert losses[7] > 0  # once the colour layers moved, F drifts from the kept F and the anchor pulls it back
    changed = {key: {k for k, p in net.named_parameters() if not torch.equal(p, before[key][k])}
               for key, net in nets.items()}
    assert changed["d_a"] == set() and changed["d_b"] and changed["g"]
    assert changed["f"] and all(k.startswith("film.") for k in changed["f"])


@pytest.mark.parametrize("padding", ["zeros", "reflect"])
def test_resize_convolution_adds_no_grid_where_transposed_convs_do(padding):
    """Freshly initialised generators on a smooth sky: transposed convs print a 2- and 4-pixel grid (peaks of
    hundreds), resize-convolutions do not (measured 1 to 16 over seeds 0-4)."""
    from bench.cyclegan import grid_excess

    sky = _sky()
    for seed in range(3):
        nets = {}
        for upsample in ("transpose", "resize"):
            torch.manual_seed(seed)
            nets[upsample] = grid_excess(sky, Translator(8, 2, upsample, padding).eval()(sky))
        assert min(nets["transpose"].values()) > 50
        assert nets["resize"][2] < nets["transpose"][2] / 10 and nets["resize"][4] < nets["transpose"][4] / 10


def test_new_generator_forms_are_selected_by_config_and_keep_the_defaults():
    official = ResnetGenerator(ngf=8, n_blocks=1)
    assert (official.upsample, official.padding) == ("transpose", "zeros")
    assert any(isinstance(m, torch.nn.ConvTranspose2d) for m in official.modules())
    resize = ResnetGenerator(ngf=8, n_blocks=1, upsample="resize", padding="reflect")
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in resize.modules())
    assert sum(p.numel() for p in resize.parameters()) == sum(p.numel() for p in official.parameters())
    x = torch.rand(1, 3, 36, 52) * 2 - 1
    assert resize(x).shape == x.shape
    flat = np.full((64, 96, 3), (120, 170, 235), np.uint8)  # reflect padding + resize: flat in, flat out
    torch.manual_seed(0)
    out = Translator(8, 1, "resize", "reflect").eval()(flat)
    assert out.astype(float).mean(axis=2).std() < 0.5
    for bad in ({"upsample": "pixelshuffle"}, {"padding": "circular"}):
        with pytest.raises(ValueError):
            ResnetGenerator(ngf=8, n_blocks=1, **bad)


@trained
def test_shipped_generators_add_no_grid_to_photos():
    from bench.cyclegan import GRID_LIMIT, committed_photos, grid_excess

    g, f = (generative.load(name, device="cpu") for name in NAMES)
    for net in (g, f):
        excess = [grid_excess(x, net(x)) for x in committed_photos()]
        assert np.median([max(e.values()) for e in excess]) < GRID_LIMIT


@trained
def test_change_map_follows_what_g_changed(tmp_path):
    """The |x - G(x)| panel: brighter where G changed the photo more, different for different photos, and
    even over a flat sky (where the shipped G adds only a faint grid and a colour shift)."""
    from generative.ui import cyclegan as tab

    maps = {}
    sky = np.full((256, 256, 3), (120, 170, 235), np.uint8)
    for name, image in (("horse", drawn_animal(False)), ("zebra", drawn_animal(True)), ("sky", sky)):
        Image.fromarray(image).save(tmp_path / f"{name}.png")
        (_, y), x, _, change, *_, summary = tab.translate(str(tmp_path / f"{name}.png"), "horse → zebra", tab.FAST,
                                                         progress=lambda *a, **k: None)
        assert "Mean change" in summary
        diff = np.abs(x.astype(int) - y.astype(int)).mean(axis=2)
        if name != "sky":
            assert np.corrcoef(diff.ravel(), change.astype(float).mean(axis=2).ravel())[0, 1] > 0.9
        maps[name] = change.astype(float)
    assert np.abs(maps["horse"] - maps["zebra"]).mean() > 5
    assert maps["sky"][32:-32, 32:-32].std(axis=(0, 1)).max() < 0.2 * maps["horse"].std(axis=(0, 1)).max()


@pytest.mark.parametrize("channels_last", [False, True])
def test_one_training_iteration_of_either_form_updates_both_generators(channels_last):
    from generative.train.cyclegan import CONFIG_G, Trainer, run_name

    assert run_name({"ngf": 24, "n_blocks": 6}) == run_name(CONFIG_G) == "cyclegan"  # the shipped manifest config
    gen = torch.Generator().manual_seed(0)
    real_a, real_b = (torch.rand(1, 3, 48, 48, generator=gen) * 2 - 1 for _ in range(2))
    for form in ({"upsample": "transpose", "padding": "zeros"}, {"upsample": "resize", "padding": "reflect"},
                 {"upsample": "resize", "padding": "reflect", "skip": True}):
        trainer = Trainer({**CONFIG_G, **form})
        if channels_last:
            trainer.channels_last()
        before = [p.detach().clone() for p in (*trainer.g.parameters(), *trainer.f.parameters())]
        losses = trainer.step(real_a, real_b)
        assert len(losses) == 8 and np.isfinite(losses).all() and losses[-2:] == [0, 0]  # no grid, no anchor
        after = [*trainer.g.parameters(), *trainer.f.parameters()]
        assert all(not torch.equal(a, b) for a, b in zip(before, after) if a.ndim == 4)
    assert run_name(trainer.config_g) == "cyclegan-resize-reflect-skip"
    assert run_name({**CONFIG_G, "upsample": "resize", "padding": "reflect"}) == "cyclegan-resize-reflect"



def test_a_step_of_the_discriminators_alone_leaves_the_generators_as_they_are():
    from generative.train.cyclegan import CONFIG_G, Trainer

    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    real_a, real_b = (torch.rand(1, 3, 48, 48, generator=gen) * 2 - 1 for _ in range(2))
    trainer = Trainer(dict(CONFIG_G))
    nets = {"g": trainer.g, "f": trainer.f, "d_a": trainer.d_a, "d_b": trainer.d_b}
    before = {key: [p.detach().clone() for p in net.parameters()] for key, net in nets.items()}
    losses = trainer.d_step(real_a, real_b)
    assert len(losses) == 2 and np.isfinite(losses).all()
    changed = {key for key, net in nets.items()
               if any(not torch.equal(a, b) for a, b in zip(before[key], net.parameters()))}
    assert changed == {"d_a", "d_b"}
    assert not trainer.opt_g.state_dict()["state"]
    assert len(trainer.pool_a.images) == len(trainer.pool_b.images) == 1  # the fakes it judged joined the pools


def test_the_cycle_weight_steers_the_generators_update():
    """Same nets, same batch: a larger cycle weight moves the generators differently, and closes the cycle more."""
    from generative.train.cyclegan import CONFIG_G, Trainer

    gen = torch.Generator().manual_seed(0)
    real_a, real_b = (torch.rand(1, 3, 48, 48, generator=gen) * 2 - 1 for _ in range(2))
    cycle = {}
    weights = {}
    for weight in (10.0, 40.0):
        torch.manual_seed(0)
        trainer = Trainer(dict(CONFIG_G), lambda_cycle=weight)
        for _ in range(3):
            trainer.step(real_a, real_b)
        with torch.no_grad():
            cycle[weight] = float((trainer.f(trainer.g(real_a)) - real_a).abs().mean())
        weights[weight] = trainer.g.model[1].weight.detach().clone()
    assert not torch.equal(weights[10.0], weights[40.0])
    assert cycle[40.0] < cycle[10.0]

@pytest.mark.parametrize("upsample", ["transpose", "resize"])
def test_global_skip_keeps_the_photo_where_the_net_adds_nothing(upsample):
    """With skip=True a generator whose last conv outputs 0 gives back its input (sky, grass, any colour);
    without the skip the same net gives one flat grey."""
    photo = np.concatenate([_sky(64), drawn_animal(False, 64)], axis=1)
    outputs = {}
    for skip in (False, True):
        torch.manual_seed(0)
        translator = Translator(8, 1, upsample, "reflect", skip=skip).eval()
        last = translator.net.model[-2]
        torch.nn.init.zeros_(last.weight)
        torch.nn.init.zeros_(last.bias)
        outputs[skip] = translator(photo)
    assert np.abs(outputs[True].astype(int) - photo).max() <= 1
    assert (outputs[False] == 128).all()


def test_bench_scores_a_training_checkpoint_in_its_own_generator_form(tmp_path):
    from bench.cyclegan import generators
    from generative.train.cyclegan import CONFIG_G, Trainer

    config = {**CONFIG_G, "upsample": "resize", "padding": "reflect", "skip": True}
    torch.manual_seed(0)
    trainer = Trainer(config)
    path = tmp_path / "cyclegan-resize-reflect-skip.pt"
    save_checkpoint({"g": trainer.g.state_dict(), "f": trainer.f.state_dict(), "step": 7, "config_g": config}, path)
    g, f = generators(str(path))
    assert (g.net.upsample, g.net.padding, g.net.skip) == ("resize", "reflect", True)
    expected = Translator(**config).eval()
    expected.net.load_state_dict(trainer.f.state_dict())
    np.testing.assert_array_equal(f(_sky(64)), expected(_sky(64)))


def test_crops_at_random_scales_span_the_range_asked_for():
    """With ``smallest``, a crop shows the image as if resized to a side between ``smallest`` and its own: on a
    ramp that rises 1 grey level per pixel, the step between neighbours runs from 1 (full size) to size / smallest."""
    from generative.train.cyclegan import batch_of

    ramp = np.repeat(np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 256, axis=0)[None], 3, axis=3)
    rng = np.random.default_rng(0)

    def steps(smallest: int | None) -> np.ndarray:
        batch = (batch_of(ramp, 64, 32, rng, smallest) + 1) * 127.5  # back to grey levels
        return (batch[:, 0, 16, 1:] - batch[:, 0, 16, :-1]).abs().median(dim=1).values.numpy()

    assert batch_of(ramp, 4, 32, rng, 64).shape == (4, 3, 32, 32)
    np.testing.assert_allclose(steps(None), 1, atol=0.01)  # one scale: the images' own
    scaled = steps(64)
    assert scaled.min() < 1.3 and scaled.max() > 3.2 and scaled.max() < 4.2  # 256 / 64 = 4 at the most


def test_training_resumes_and_records_each_leg_of_a_continued_run(tmp_path, monkeypatch):
    """A rerun with another --steps or --identity continues the checkpoint under them, and the manifest says so."""
    from generative.train import cyclegan as train

    for folder, colour in (("trainA", (140, 90, 50)), ("trainB", (230, 230, 230))):
        (tmp_path / "data" / "horse2zebra" / folder).mkdir(parents=True)
        for i in range(3):
            image = np.clip(np.random.default_rng(i).normal(colour, 20, (48, 48, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(image).save(tmp_path / "data" / "horse2zebra" / folder / f"{i}.jpg")
    monkeypatch.setattr("generative.train.CURVES", tmp_path / "curves")
    exported = []
    monkeypatch.setattr(train, "save_model", lambda name, model, record: exported.append((name, record)))
    monkeypatch.setattr(train, "read_manifest", dict)  # a run from scratch, whatever form is shipped
    common = ["--data", str(tmp_path / "data"), "--checkpoints", str(tmp_path / "cache"), "--threads", "1",
              "--upsample", "resize", "--padding", "reflect", "--load", "40", "--crop", "32"]
    train.main([*common, "--steps", "2"])
    path = tmp_path / "cache" / "cyclegan-resize-reflect.pt"
    first = load_checkpoint(path)
    assert first["step"] == 2 and first["history"] == [[0, 2, 0.5]]
    train.main([*common, "--steps", "3", "--identity", "1.0"])
    again = load_checkpoint(path)
    assert again["step"] == 3 and again["history"] == [[0, 2, 0.5], [2, 3, 1.0]]
    assert not torch.equal(again["g"]["model.1.weight"], first["g"]["model.1.weight"])
    assert exported == []  # a new generator form ships only when asked
    train.main([*common, "--steps", "3", "--identity", "1.0", "--export"])
    assert [name for name, _ in exported] == list(NAMES)
    record = exported[0][1]
    assert record["trained_steps"] == 3 and "--identity 1.0" in record["command"]
    assert record["schedule"].endswith("from step 0: --steps 2, identity 0.5; from step 2: --steps 3, identity 1")
    train.main([*common, "--steps", "4", "--identity", "1.0", "--load-max", "48"])  # a leg at random scales
    assert load_checkpoint(path)["history"][-1] == [3, 4, 1.0, "crops at scales 40-48 px"]
    train.main([*common, "--steps", "4", "--identity", "1.0", "--load-max", "48", "--export"])
    record = exported[-1][1]
    assert "--load 40 --crop 32 --load-max 48" in record["command"] and "40 px to 48 px" in record["data"]
    assert record["schedule"].endswith("from step 3: --steps 4, identity 1, crops at scales 40-48 px")
    train.main([*common, "--steps", "5", "--identity", "0.25", "--load-max", "48", "--cycle", "20"])
    assert load_checkpoint(path)["history"][-1] == [4, 5, 0.25, "crops at scales 40-48 px", "cycle weight 20"]
    train.main([*common, "--steps", "5", "--identity", "0.25", "--load-max", "48", "--cycle", "20", "--export"])
    record = exported[-1][1]
    assert "--identity 0.25 --cycle 20" in record["command"]
    assert record["schedule"].endswith("from step 4: --steps 5, identity 0.25, crops at scales 40-48 px, cycle weight 20")
    # --colour --init: a new run that starts from this one's checkpoint, its generators unchanged at the start
    train.main([*common, "--steps", "6", "--colour", "--init", str(path), "--minutes", "0"])
    colour = load_checkpoint(tmp_path / "cache" / "cyclegan-resize-reflect-colour.pt")
    assert colour["step"] == 5 and colour["config_g"]["colour"]
    assert colour["history"][-1] == [5, 6, 0.5, "generators see the photo's channel means and stds"]
    before = load_checkpoint(path)
    assert torch.equal(colour["g"]["model.1.weight"], before["g"]["model.1.weight"])
    assert not colour["g"]["film.2.linear.weight"].any()


def test_without_colour_layers_a_generator_cannot_see_the_photos_overall_colour():
    """Instance norm after the first conv removes a shift of the whole photo's colour (so the cycle cannot bring it
    back); zero-initialised colour layers change nothing, and once trained they let the output follow it."""
    torch.manual_seed(0)
    plain = ResnetGenerator(ngf=8, n_blocks=1, upsample="resize", padding="reflect").eval()
    coloured = ResnetGenerator(ngf=8, n_blocks=1, upsample="resize", padding="reflect", colour=True).eval()
    missing, _ = coloured.load_state_dict(plain.state_dict(), strict=False)
    assert missing and all(key.startswith("film.") for key in missing)
    x = torch.rand(1, 3, 48, 64) * 1.2 - 0.8
    warmer = x + torch.tensor([0.3, 0.0, -0.2])[:, None, None]
    with torch.no_grad():
        assert torch.allclose(plain(x), plain(warmer), atol=1e-4)  # the shift is lost
        assert torch.equal(coloured(x), plain(x))  # zero-initialised: the same generator
        for film in coloured.film.values():
            torch.nn.init.normal_(film.linear.weight, std=0.5)
        assert (coloured(x) - coloured(warmer)).abs().mean() > 0.01  # trained colour layers see it


def _grey_photos_and_shipped_form(tmp_path, monkeypatch) -> list[str]:
    """One grey training photo per domain, curves under ``tmp_path``; the training options of a small run of the
    shipped generator form."""
    for folder in ("trainA", "trainB"):
        (tmp_path / "data" / "horse2zebra" / folder).mkdir(parents=True)
        Image.fromarray(np.full((40, 40, 3), 128, np.uint8)).save(tmp_path / "data" / "horse2zebra" / folder / "0.jpg")
    monkeypatch.setattr("generative.train.CURVES", tmp_path / "curves")
    config = generative.weights.read_manifest()[NAMES[0]]["config"]
    return ["--data", str(tmp_path / "data"), "--checkpoints", str(tmp_path / "cache"), "--threads", "1",
            "--upsample", config["upsample"], "--padding", config["padding"], "--load", "40", "--crop", "32"]


@trained
def test_without_a_checkpoint_a_colour_run_starts_from_the_shipped_generators(tmp_path, monkeypatch):
    """A machine without the run's checkpoint continues from the shipped generators, also in the colour form
    (its colour layers start at zero: the shipped function), at the shipped step count; the new discriminators
    train alone first (``--d-warmup``), and the checkpoint says where the run began."""
    from generative.train import cyclegan as train

    common = _grey_photos_and_shipped_form(tmp_path, monkeypatch)
    shipped = generative.weights.read_manifest()[NAMES[0]]
    config = shipped["config"]
    train.main([*common, "--colour", "--minutes", "0", "--d-warmup", "3"])
    ckpt = load_checkpoint(tmp_path / "cache" / f"{train.run_name({**config, 'colour': True})}.pt")
    assert ckpt["step"] == shipped["trained_steps"]
    assert ckpt["origin"] == (f"the shipped generators after step {shipped['trained_steps']}, with new "
                              "discriminators trained alone for 3 steps first")
    state = load_file(generative.weights.WEIGHTS_DIR / f"{NAMES[0]}.safetensors")
    state = {key.removeprefix("net."): value for key, value in state.items()}
    assert all(torch.equal(ckpt["g"][key], value) for key, value in state.items())
    assert not any(value.any() for key, value in ckpt["g"].items() if key.startswith("film.") and key.endswith("weight"))


@trained
def test_a_keep_f_trial_starts_from_the_shipped_generators_under_its_own_name(tmp_path, monkeypatch):
    """--keep-f --grid --name: the trial's checkpoint and curve carry its name; F is the shipped zebra -> horse
    generator (colour layers at zero); the legs and the origin say so."""
    from generative.train import cyclegan as train

    common = _grey_photos_and_shipped_form(tmp_path, monkeypatch)
    shipped = generative.weights.read_manifest()[NAMES[1]]
    train.main([*common, "--colour", "--keep-f", "--grid", "1", "--name", "trial",
                "--steps", str(shipped["trained_steps"] + 2), "--d-warmup", "2"])
    ckpt = load_checkpoint(tmp_path / "cache" / "trial.pt")
    assert ckpt["step"] == shipped["trained_steps"] + 2
    assert ckpt["origin"].endswith("trained alone for 2 steps first; F the shipped zebra -> horse generator")
    assert ckpt["history"][-1][-2:] == ["F kept as shipped but for its colour layers", "grid penalty weight 1"]
    state = load_file(generative.weights.WEIGHTS_DIR / f"{NAMES[1]}.safetensors")
    for key, value in state.items():
        assert torch.equal(ckpt["f"][key.removeprefix("net.")], value)
    assert (tmp_path / "curves" / "train-trial.csv").read_text().splitlines()[0].endswith("loss_grid,seconds")
    exported = []
    monkeypatch.setattr(train, "save_model", lambda name, model, record: exported.append((name, record)))
    train.main([*common, "--colour", "--keep-f", "--grid", "1", "--name", "trial",
                "--steps", str(shipped["trained_steps"] + 2), "--export"])
    record = exported[1][1]
    assert record["command"].endswith("--colour --keep-f --grid 1 --name trial --load 40 --crop 32")
    assert record["started_from"] == ckpt["origin"] and record["trained_steps"] == shipped["trained_steps"] + 2
    # a new trial from this one's checkpoint (--init) keeps its F, colour layers included; --anchor-f needs --keep-f
    with pytest.raises(SystemExit):
        train.main([*common, "--colour", "--anchor-f", "5", "--name", "other", "--minutes", "0"])
    trained_f = {key: value.clone() for key, value in ckpt["f"].items()}
    trained_f["film.2.linear.bias"] += 0.5  # as if the colour layers had learned something
    save_checkpoint({**ckpt, "f": trained_f}, tmp_path / "cache" / "trial.pt")
    train.main([*common, "--colour", "--keep-f", "--grid", "1", "--anchor-f", "5", "--name", "anchored",
                "--init", str(tmp_path / "cache" / "trial.pt"), "--minutes", "0"])
    anchored = load_checkpoint(tmp_path / "cache" / "anchored.pt")
    assert all(torch.equal(anchored["f"][key], value) for key, value in trained_f.items())
    assert anchored["history"][-1][-1] == "F anchored to the kept F on zebras, weight 5"
    assert (tmp_path / "curves" / "train-anchored.csv").read_text().startswith(
        "step,epochs_a,lr,loss_g_gan,loss_f_gan,loss_cycle,loss_idt,loss_d_b,loss_d_a,loss_grid,loss_anchor,seconds")
