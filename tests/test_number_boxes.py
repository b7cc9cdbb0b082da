"""Number boxes: a seed or face number that is not a whole number in range gets a message; none rounds silently."""

from __future__ import annotations

import gradio as gr
import pytest

import generative
from generative.ui import faces as tab

pytestmark = pytest.mark.skipif(not {"faces-gan", "faces-gan-d", "sr-x2-psnr"} <= set(generative.available()),
                                reason="no face GAN or SR weights")


@pytest.mark.parametrize("seed", [1e30, 2.5, -1, None])
def test_a_bad_seed_gets_a_message(seed):
    with pytest.raises(gr.Error, match="seed must be a whole number"):
        tab.generate_grid(seed, 0.7)


@pytest.mark.parametrize("index", [0, 9, 2.5, 1e30, None])
def test_a_bad_face_number_gets_a_message(index):
    with pytest.raises(gr.Error, match=f"Pick a face: its place in the grid must be a whole number from 1 to {tab.GRID}"):
        tab.enhance(0, index, 0.7)



def test_no_number_box_in_the_app_rounds_what_was_typed():
    """precision=0 would turn 2.5 into 2 before any check sees it: every gr.Number is built by number_box."""
    from generative.ui import build_demo

    boxes = [b for b in build_demo().blocks.values() if type(b) is gr.Number]
    assert len(boxes) >= 5 and [b.label for b in boxes if b.precision is not None] == []
