"""The Gradio app: one module per tab. This sub-package alone imports gradio."""

from __future__ import annotations

import os

import gradio as gr

from generative.ui import atomic_cache, cyclegan, event_stream, faces, gan2d, gmm, links, pixelcnn, sr, vae

atomic_cache.install()

TITLE = "Generative Models Studio"
HEADER = f"""
# {TITLE}
Play with the classic generative models of an introductory course, each backed by a model this project trains and ships:
explicit densities (Gaussian mixtures, kernel density estimates), a variational autoencoder, GANs, CycleGAN and super-resolution.
"""
THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="sky")
CSS = """
.pending-tab { padding: 1.5em 0; }
#gmm-status { min-height: 3em; }
.pixelated img { image-rendering: pixelated; }
#faces-gallery .caption-label { max-width: calc(100% - 8px); }
@media (max-width: 480px) { #faces-gallery .caption-label { font-size: 11px; padding: 1px 4px; } }
"""
MAX_FILE_SIZE = "20mb"
CONCURRENCY_LIMIT = 2  # runs of one event at once: the 2 CPU cores of a free Space (bench/load.py measures it)

TABS = [
    ("GMM playground", gmm.build),
    ("VAE latent slider", vae.build),
    ("Autoregressive (PixelCNN)", pixelcnn.build),
    ("GAN lab (2-D)", gan2d.build),
    ("This person does not exist", faces.build),
    ("Horse to zebra", cyclegan.build),
    ("2x super-resolution", sr.build),
]


def build_demo() -> gr.Blocks:
    """The whole app: a header and the tabs, in the order of the course."""
    with gr.Blocks(title=TITLE) as demo:
        gr.Markdown(HEADER)
        note = links.note_box()
        with gr.Tabs():
            built: dict[str, object] = {}
            for label, build in TABS:
                with gr.Tab(label) as tab:  # the GAN lab can take the GMM playground's points
                    built[label] = build(tab, built["GMM playground"]) if build is gan2d.build else build(tab)
        links.install(demo, note)
    return demo


def queued(demo: gr.Blocks) -> gr.Blocks:
    """``demo`` with the request queue every launcher (app, tests, benchmarks) shares: at most CONCURRENCY_LIMIT
    runs of each event at once."""
    return demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT)


def launch_options() -> dict:
    """Keyword arguments for ``demo.launch`` that every launcher (app, tests, benchmarks) shares.

    Gradio's run history (each public call saved in the browser, listed at /gradio_api/runs) stays off unless the
    host sets ``GRADIO_RUN_HISTORY=true``: every Step, drag and upload here is a run, and saving each one made a
    GAN-lab Step about 10 % slower in Chromium (README, Speed).
    """
    return {"theme": THEME, "css": CSS, "head": event_stream.HEAD, "max_file_size": MAX_FILE_SIZE,
            "run_history": None if "GRADIO_RUN_HISTORY" in os.environ else False}
