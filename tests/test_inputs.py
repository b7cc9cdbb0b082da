"""The shared number-box checks: every bad value gets a message that names the box, the range and the value."""

from __future__ import annotations

import gradio as gr
import pytest

from generative.ui.inputs import MAX_SEED, number_box, number_in, seed_value, whole_number


@pytest.mark.parametrize("value", [1e30, -1e30, 2.5, -1, MAX_SEED + 1, float("nan"), float("inf"), None, "",
                                   "abc", 10**400])
def test_a_bad_seed_gets_a_clear_message(value):
    with pytest.raises(gr.Error, match=r"The seed must be a whole number from 0 to 4294967295; got "):
        seed_value(value)


def test_the_message_shows_what_was_typed():
    with pytest.raises(gr.Error, match="got 2.5"):
        seed_value(2.5)
    with pytest.raises(gr.Error, match="got 1e\\+30"):
        seed_value(1e30)
    with pytest.raises(gr.Error, match="got an empty box"):
        seed_value(None)


@pytest.mark.parametrize("value, expected", [(0, 0), (7.0, 7), (MAX_SEED, MAX_SEED), ("12", 12)])
def test_good_seeds_pass_as_ints(value, expected):
    assert seed_value(value) == expected and isinstance(seed_value(value), int)


@pytest.mark.parametrize("value", [0, 11, 3.5, 1000])
def test_whole_numbers_outside_the_range_name_the_box(value):
    with pytest.raises(gr.Error, match=r"K must be a whole number from 1 to 10"):
        whole_number(value, "K", 1, 10)


def test_numbers_in_a_range():
    assert number_in(0.7, "ψ", 0, 1.5) == 0.7
    for bad in (1.6, -0.1, float("nan"), 1e30, None):
        with pytest.raises(gr.Error, match="ψ must be a number from 0 to 1.5"):
            number_in(bad, "ψ", 0, 1.5)


def test_number_boxes_do_not_round_what_was_typed():
    assert number_box(value=0).preprocess(2.5) == 2.5
