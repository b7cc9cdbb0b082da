"""The horse-to-zebra tab's example photos: a horse and a zebra that the shipped models treat as such."""

from __future__ import annotations

import pytest

import generative
from generative.images import load_rgb
from generative.ui import cyclegan as tab

MODELS = ("cyclegan-horse2zebra", "cyclegan-zebra2horse", "horse-zebra-classifier")
pytestmark = pytest.mark.skipif(not set(MODELS) <= set(generative.available()), reason="no CycleGAN weights")


def test_the_tab_opens_on_horses_and_offers_a_zebra():
    assert [p.name for p in tab.EXAMPLES[:2]] == ["horses_nokota.jpg", "zebra_tuxpaint.png"]
    assert tab.EXAMPLE_DIRECTIONS[:2] == ["horse → zebra", "zebra → horse"]
    assert all(p.exists() for p in tab.EXAMPLES)


def test_the_examples_are_a_horse_and_a_zebra_and_each_is_translated():
    g, f, classifier = (generative.load(name) for name in MODELS)
    horses, zebra = load_rgb(tab.EXAMPLES[0]), load_rgb(tab.EXAMPLES[1])
    assert classifier.prob_zebra([horses])[0] < 0.1 and classifier.prob_zebra([zebra])[0] > 0.9
    assert classifier.prob_zebra([g(horses, max_side=256)])[0] > 0.9  # measured 0.999
    assert classifier.prob_zebra([f(zebra, max_side=256)])[0] < 0.1  # measured 0.001


def test_clicking_an_example_translates_it():
    from generative.ui import build_demo

    demo = build_demo()
    examples = [fn for fn in demo.fns.values() if getattr(fn.fn, "__name__", "") == "load_example"]
    translations = [fn for fn in demo.fns.values() if getattr(fn.fn, "__name__", "") == "translate"
                    and fn.trigger_after is not None]
    assert any(t.trigger_after in {e._id for e in examples} for t in translations)
