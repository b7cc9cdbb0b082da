"""The VAE tab's rough edges: a model switch leaves nothing of the old model on screen; the posterior and the
ELBO estimate live in generative.vae, not in the tab."""

from __future__ import annotations

import pytest
import torch

import generative
from generative import digits
from generative.images import load_rgb
from generative.ui import build_demo
from generative.ui import vae as tab

TRAINED = [name for name in tab.MODELS if name in generative.available()]
pytestmark = pytest.mark.skipif(not TRAINED, reason="no VAE weights in weights/")


def _handler_outputs(demo, module: str) -> dict[str, set[int]]:
    """Output component ids of every event whose handler is defined in ``module``, by handler name."""
    found: dict[str, set[int]] = {}
    for fn in demo.fns.values():
        if getattr(fn.fn, "__module__", None) == module:
            found.setdefault(fn.fn.__name__, set()).update(block._id for block in fn.outputs)
    return found


def test_a_model_switch_clears_or_recomputes_every_output_of_the_old_model():
    outputs = _handler_outputs(build_demo(), "generative.ui.vae")
    on_switch = outputs.pop("change_model") | outputs.pop("forget_old_model")
    left_over = {name: ids - on_switch for name, ids in outputs.items() if ids - on_switch}
    assert left_over == {}


def test_forget_old_model_offers_the_new_classes_and_blanks_the_rest():
    fashion = "vae-fashion-2d"
    start, end, *cleared = tab.forget_old_model(fashion)
    assert (start.value, end.value) == (tab._labels(fashion)[3], tab._labels(fashion)[8])
    assert cleared[:-1] == [None] * 6 and cleared[-1] == ""


def test_posterior_and_elbo_estimate():
    model = generative.load(TRAINED[0])
    x = torch.from_numpy(digits.preprocess_digit(load_rgb(tab.EXAMPLES[0])))[None, None]
    mu, sigma, z = model.posterior(x, 8, torch.Generator().manual_seed(0))
    assert mu.shape == sigma.shape == (model.latent_dim,) and z.shape == (8, model.latent_dim)
    assert torch.all(sigma > 0)
    assert torch.allclose(z.mean(0), mu, atol=4 * float(sigma.max()))
    recon, kl = model.elbo_estimate(x, 64, torch.Generator().manual_seed(0))
    again = model.elbo_estimate(x, 64, torch.Generator().manual_seed(0))
    assert (recon, kl) == again and recon > 0 and kl > 0
    noise = torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(1)).round()
    assert sum(model.elbo_estimate(noise, 16)) > recon + kl  # a digit is more likely than noise


@pytest.mark.parametrize("seed", [1e30, 2.5, -1, None])
def test_a_bad_sampling_seed_gets_a_message(seed):
    import gradio as gr

    with pytest.raises(gr.Error, match="seed must be a whole number"):
        tab.prior_samples(TRAINED[0], seed)
    with pytest.raises(gr.Error, match="seed must be a whole number"):
        tab.encode(tab.VaeSession(), TRAINED[0], None, tab.EXAMPLES[0], seed)


def test_the_tab_opens_on_the_digit_at_z_0_and_the_map_without_waiting_for_an_event():
    """The page holds the first model's digit at z = 0 and its latent map from the start: the tab shows them even
    where its first visit's result is slow or lost, and they are what that first visit draws."""
    demo = build_demo()
    blocks = {getattr(b, "elem_id", None): b for b in demo.blocks.values()}
    first = TRAINED[0]
    digit = tab.decode_sliders(tab.VaeSession(), first, *[0.0] * tab.N_SLIDERS)
    shown = load_rgb(blocks["vae-decoded"].value["path"])
    assert shown.shape[:2] == digit.shape and abs(shown[..., 0].astype(int) - digit).mean() < 1
    assert load_rgb(blocks["vae-map"].value["path"]).shape[:2] == tab.latent_map(first, (0.0, 0.0)).shape[:2]
