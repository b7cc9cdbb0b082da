"""Shareable links: reading query parameters, writing them back, and the notes on what was ignored."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import gradio as gr
import pytest

from generative.ui import links


@pytest.fixture(scope="module")
def shared():
    """A small shared tab, built as a tab module builds it."""
    with gr.Blocks():
        with gr.Tabs():
            with gr.Tab("Faces") as tab:
                seed = gr.Number(value=0)
                psi = gr.Slider(0.0, 1.5, value=0.8)
                kind = gr.Radio(["8 Gaussians on a ring", "blobs"], value="blobs")
                out = gr.Markdown()
                s = links.share("faces", tab, [links.integer("seed", seed, 0, 99), links.number("psi", psi, digits=2),
                                               links.choice("kind", ["8 Gaussians on a ring", "blobs"], kind),
                                               links.integer("steps", None, 0, 300, default=300)],
                                show=lambda *v: str(v), outputs=[out])
    links._pending.clear()
    return s


def test_values_are_read_from_the_query(shared):
    values, notes = shared.read({"tab": "faces", "seed": "42", "psi": "0.7", "kind": "8-gaussians-on-a-ring"})
    assert values == {"seed": 42, "psi": 0.7, "kind": "8 Gaussians on a ring", "steps": 300}
    assert notes == []


@pytest.mark.parametrize("name, text, says", [
    ("seed", "2.5", "whole number from 0 to 99"), ("seed", "1e30", "whole number"), ("seed", "-1", "whole number"),
    ("seed", "abc", "whole number"), ("psi", "nan", "number from 0 to 1.5"), ("psi", "2", "number from 0 to 1.5"),
    ("kind", "spiral", "8-gaussians-on-a-ring, blobs")])
def test_a_bad_value_is_ignored_with_a_note(shared, name, text, says):
    values, notes = shared.read({name: text})
    assert values == shared.defaults
    assert len(notes) == 1 and says in notes[0] and f"`{name}={text}`" in notes[0]


def test_an_unknown_parameter_is_named_and_gradio_s_own_are_left_alone(shared):
    values, notes = shared.read({"colour": "red", "__theme": "dark"})
    assert values == shared.defaults
    assert notes == ["`colour` is not a setting of this tab (it has: seed, psi, kind, steps)"]


def test_a_written_link_reads_back_as_the_same_values(shared):
    values = {"seed": 7, "psi": 1.25, "kind": "8 Gaussians on a ring", "steps": 12}
    query = dict(parse_qsl(urlsplit(shared.query(values)).query))
    assert query["tab"] == "faces" and query["kind"] == "8-gaussians-on-a-ring"
    assert shared.read(query) == (values, [])


def test_the_landing_tab_and_notes(shared):
    assert links._landing({"tab": "faces", "seed": "3"}, [shared]) == ("faces", [])
    tab, notes = links._landing({"tab": "nope"}, [shared])
    assert tab is None and "`tab=nope` is not a tab" in notes[0] and "faces" in notes[0]
    tab, notes = links._landing({"seed": "3", "__theme": "dark"}, [shared])
    assert tab is None and notes == ["`seed` needs a `tab=` to go with it"]


def test_every_built_tab_of_the_app_can_be_linked():
    import app
    from generative.ui import TABS

    labels = [label for label, _ in TABS]
    tabs = [block for block in app.demo.blocks.values() if isinstance(block, gr.Tab) and block.label in labels]
    assert len(tabs) == len(labels)
    built = [tab for tab in tabs if not any("pending-tab" in (getattr(child, "elem_classes", None) or [])
                                            for child in tab.children)]
    keys = [tab.id for tab in built]
    assert all(isinstance(key, str) for key in keys), dict(zip((t.label for t in built), keys))
    assert len(set(keys)) == len(keys)
    assert {"gmm", "faces", "cyclegan", "sr"} <= set(keys)


def test_an_uploaded_copy_of_an_example_is_recognised(tmp_path):
    from generative.ui.sr import EXAMPLES

    copy = tmp_path / "upload.png"
    copy.write_bytes(EXAMPLES[0].read_bytes())
    assert links.example_named(str(copy), EXAMPLES) == str(EXAMPLES[0])
    own = tmp_path / "own.png"
    own.write_bytes(EXAMPLES[0].read_bytes() + b"x")
    assert links.example_named(str(own), EXAMPLES) is None
    assert links.example_named(None, EXAMPLES) is None
