"""Shareable links and first visits: ``?tab=faces&seed=42&psi=0.7`` opens a tab in that state.

A tab describes what a link can hold with :func:`share`, called inside its ``build``::

    copy_link = links.copy_link_row("faces")          # where its "Copy link" button goes
    links.share("faces", tab, [links.integer("seed", seed, 0, MAX_SEED), links.number("psi", psi)],
                show=generate_grid, outputs=[gallery], place=copy_link, cache_example=True)

``show(*param values, *inputs)`` returns what the tab shows for those values. On the first visit of a tab in a
browser session (a click, or the page opening on it) ``show`` runs once: with the link's values when the page
was opened on this tab, else with the defaults, which make the tab's worked example. Controls a link sets get their
values too. Each shared tab gets a "Copy link" button that writes its present state into such a link.
:func:`install` wires it all once the tabs are built. Unknown or bad parameters are ignored with a note.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import math
import os
import re
import tempfile
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import gradio as gr
import numpy as np
from gradio.components import Component
from gradio.context import LocalContext
from PIL import Image

NOTE_ID = "link-note"
COPY_JS = """(query) => {
  if (!query || !query.startsWith("?")) return query;
  const url = window.location.origin + window.location.pathname + query;
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(url).catch(() => {});
  return url;
}"""


# The link's tab is selected in the page, by a click on its button (in the tab row, or folded into "More tabs"),
# not by a gr.Tabs update from the server: a Tabs that an event has updated makes the page walk every component of
# the app at each later loading-status change (Gradio 6.31), about 30 ms per click in a long visit.
OPEN_TAB_JS = """() => {
  const labels = LABELS;
  const key = new URLSearchParams(window.location.search).get("tab");
  if (!key || !Object.hasOwn(labels, key)) return;
  const inRow = document.querySelector(`button[role="tab"][data-tab-id="${CSS.escape(key)}"]`);
  const folded = [...document.querySelectorAll(".overflow-dropdown button")].find(b => b.textContent.trim() === labels[key]);
  (inRow || folded)?.click();
}"""


@dataclass(frozen=True)
class Param:
    """One query parameter: how its text becomes a value (``parse`` raises ValueError saying what is allowed),
    how a value becomes text, its default, and the control that shows it (None: state the tab keeps itself)."""

    name: str
    parse: Callable[[str], object]
    text: Callable[[object], str]
    default: object
    control: Component | None = None


def _bounds(control: Component | None, low: float | None, high: float | None) -> tuple[float, float]:
    low = getattr(control, "minimum", None) if low is None else low
    high = getattr(control, "maximum", None) if high is None else high
    return -math.inf if low is None else low, math.inf if high is None else high


def _number_parser(control: Component | None, low: float | None, high: float | None,
                   whole: bool) -> Callable[[str], float]:
    """Text -> a finite number in [low, high] (by default the control's bounds), whole if asked, or ValueError."""
    lo, hi = _bounds(control, low, high)
    what = f"a {'whole ' if whole else ''}number from {lo:g} to {hi:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or (whole and value != int(value)) or not lo <= value <= hi:
            raise ValueError(what)
        return value

    return parse


def integer(name: str, control: Component | None = None, low: int | None = None, high: int | None = None,
            default: int | None = None) -> Param:
    """A whole number in [low, high] (by default the control's minimum and maximum)."""
    parse = _number_parser(control, low, high, whole=True)
    return Param(name, lambda text: int(parse(text)), lambda v: str(int(v)),
                 control.value if default is None else default, control)


def number(name: str, control: Component | None = None, low: float | None = None, high: float | None = None,
           default: float | None = None, digits: int = 3) -> Param:
    """A number in [low, high] (by default the control's minimum and maximum), written with ``digits`` decimals."""
    return Param(name, _number_parser(control, low, high, whole=False), lambda v: f"{round(float(v), digits):g}",
                 control.value if default is None else default, control)


def slug(value: str) -> str:
    """``"8 Gaussians on a ring"`` -> ``"8-gaussians-on-a-ring"``: how a choice is written in a link."""
    return re.sub(r"[^a-z0-9.]+", "-", value.lower()).strip("-")


def choice(name: str, options: Sequence[str], control: Component | None = None, default: str | None = None,
           slugs: dict[str, str] | None = None) -> Param:
    """One of ``options``, written as its slug (or as ``slugs[option]``); the option itself is accepted too."""
    written = {option: (slugs or {}).get(option, slug(option)) for option in options}
    accepted = {key.lower(): option for option, text in written.items() for key in (option, text)}

    def parse(text: str) -> str:
        option = accepted.get(text.strip().lower())
        if option is None:
            raise ValueError("one of " + ", ".join(written.values()))
        return option

    return Param(name, parse, lambda v: written.get(v, str(v)), control.value if default is None else default,
                 control)


def file_hash(path: str | Path) -> str:
    """SHA-256 of a file's bytes: how an uploaded copy of a shipped example is recognised."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def photo(name: str, examples: Sequence[str | Path]) -> Param:
    """One of the tab's example photos, by file stem (``photo=coffee``); the first is the default."""
    paths = {Path(p).stem.lower(): str(p) for p in examples}

    def parse(text: str) -> str:
        path = paths.get(text.strip().lower())
        if path is None:
            raise ValueError("one of the example photos: " + ", ".join(paths))
        return path

    return Param(name, parse, lambda v: Path(str(v)).stem.lower(), str(examples[0]))


def example_named(path: str | None, examples: Sequence[str | Path]) -> str | None:
    """The example that the uploaded file ``path`` is a copy of, or None (no upload, or the user's own photo)."""
    if not path or not Path(path).is_file():
        return None
    digest = file_hash(path)
    return next((str(p) for p in examples if file_hash(p) == digest), None)


def _as_files(value: object) -> object:
    """``value`` with every image array in it (also inside tuples and lists) saved once as a PNG file and
    replaced by its path, so that showing a kept example again costs no image encoding."""
    if isinstance(value, np.ndarray) and value.dtype == np.uint8 and value.ndim == 3:
        handle, path = tempfile.mkstemp(suffix=".png", prefix="example-")
        with os.fdopen(handle, "wb") as fh:
            Image.fromarray(value).save(fh, format="png", compress_level=1)
        return path
    if isinstance(value, (tuple, list)):
        return type(value)(_as_files(v) for v in value)
    return value


def example_photo_state(examples: Sequence[str | Path]) -> Callable[[dict, str | None], str]:
    """A ``describe`` for tabs whose state includes an upload: the link names the example loaded (``photo=``), or
    says that the visitor's own photo cannot travel in it."""
    def describe(values: dict, path: str | None) -> str:
        example = example_named(path, examples)
        if example is not None:
            values["photo"] = example
            return ""
        return "Your own photo cannot travel in a link: it opens on the example photo with these settings." if path else ""

    return describe


@dataclass
class Shared:
    """A tab's shareable state (see :func:`share`)."""

    key: str
    tab: gr.Tab
    params: list[Param]
    show: Callable[..., tuple | list | object]
    outputs: list[Component]
    inputs: list[Component]
    describe: Callable[..., str] | None
    describe_inputs: list[Component]
    cache_example: bool = False
    copy_button: gr.Button = field(init=False)
    link_box: gr.Textbox = field(init=False)

    @property
    def defaults(self) -> dict[str, object]:
        """The values a tab opens with when no link says otherwise: its worked example."""
        return {p.name: p.default for p in self.params}

    def _example(self) -> object:
        """``show`` at the defaults, computed on the first visit of anyone and kept (only for tabs whose
        ``show`` reads no per-visitor state)."""
        with _example_locks[self.key]:
            if self.key not in _examples:
                _examples[self.key] = _as_files(self.show(*self.defaults.values()))
            return _examples[self.key]

    @property
    def set_controls(self) -> list[Component]:
        """Controls that opening a link sets directly (those that ``show`` does not return itself)."""
        return [p.control for p in self.params if p.control is not None and p.control not in self.outputs]

    def read(self, query: dict[str, str]) -> tuple[dict[str, object], list[str]]:
        """Parameter values from a query (defaults where absent or bad) and a note for each bad one."""
        values, notes = {p.name: p.default for p in self.params}, []
        known = {p.name: p for p in self.params}
        for name, text in query.items():
            if name == "tab" or name.startswith("__"):
                continue
            if name not in known:
                notes.append(f"`{name}` is not a setting of this tab (it has: {', '.join(known)})")
                continue
            try:
                values[name] = known[name].parse(text)
            except ValueError as exc:
                notes.append(f"`{name}={text}` is not {exc}")
        return values, notes

    def open(self, values: dict[str, object], extra: Sequence[object]) -> list:
        """What the tab's outputs (and the controls ``show`` does not set) get for these values."""
        shown = self._example() if self.cache_example and values == self.defaults else self.show(
            *(values[p.name] for p in self.params), *extra)
        shown = list(shown) if isinstance(shown, (tuple, list)) and len(self.outputs) > 1 else [shown]
        controls = {id(p.control): values[p.name] for p in self.params if p.control is not None}
        return [controls[id(c)] for c in self.set_controls] + shown

    def query(self, values: dict[str, object]) -> str:
        """``?tab=key&name=text…`` for these values."""
        pairs = [("tab", self.key)] + [(p.name, p.text(values[p.name])) for p in self.params if p.name in values]
        return "?" + urlencode(pairs)


_pending: list[Shared] = []
_examples: dict[str, object] = {}
_example_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)


def copy_link_row(key: str) -> tuple[gr.Button, gr.Textbox]:
    """The "Copy link" button and the box that shows the link, placed here; pass them to :func:`share`."""
    with gr.Row(equal_height=False):
        button = gr.Button("Copy link", size="sm", scale=0, min_width=110, elem_id=f"{key}-copy-link")
        box = gr.Textbox(label="Link to what this tab shows (also copied to your clipboard where the browser allows it)",
                         interactive=False, visible=False, scale=4, buttons=["copy"], elem_id=f"{key}-link")
    return button, box


def share(key: str, tab: gr.Tab, params: list[Param], show: Callable, outputs: list[Component],
          inputs: Sequence[Component] = (), describe: Callable[..., str] | None = None,
          describe_inputs: Sequence[Component] = (),
          place: tuple[gr.Button, gr.Textbox] | None = None, cache_example: bool = False) -> Shared:
    """Make a tab's state shareable, and place its "Copy link" button here (call it inside the tab's layout).

    ``key`` is the ``tab=`` value; ``show(*param values, *inputs)`` returns the values of ``outputs``.
    ``describe(values, *describe_inputs)`` may adjust the values read from the controls before a link is
    written (state the tab keeps itself, e.g. which example photo is loaded) and returns a note for the user
    (what the link cannot hold) or "". The button goes where ``share`` is called, or where ``place``
    (made earlier by :func:`copy_link_row`) put it. ``cache_example``: ``show`` reads no per-visitor state, so
    its output at the defaults is computed once, on the first visit of anyone, and shown to every later visitor.
    """
    tab.id = key  # gr.Tabs(selected=key) finds the tab by this id
    shared = Shared(key, tab, params, show, list(outputs), list(inputs), describe, list(describe_inputs),
                    cache_example)
    shared.copy_button, shared.link_box = place or copy_link_row(key)
    with_controls = [p.control for p in params if p.control is not None]

    def current(*args: object) -> dict:
        values = {p.name: v for p, v in zip((p for p in params if p.control is not None), args)}
        values.update({p.name: p.default for p in params if p.control is None})
        note = describe(values, *args[len(with_controls):]) if describe else ""
        return gr.Textbox(value=shared.query(values), visible=True, info=note or None)

    shared.copy_button.click(current, [*with_controls, *describe_inputs], shared.link_box,
                             api_visibility="private", show_progress="hidden").then(
        None, shared.link_box, shared.link_box, js=COPY_JS, api_visibility="private")
    _pending.append(shared)
    return shared


class Visits:
    """The tabs a browser session has opened so far (each one's first visit shows something)."""

    def __init__(self) -> None:
        self.opened: set[str] = set()


def _landing(query: dict[str, str], shared: list[Shared]) -> tuple[str | None, list[str]]:
    """The tab a link opens on (None: the first tab) and notes on everything ignored."""
    keys = [s.key for s in shared]
    tab = query.get("tab")
    if tab is not None and tab not in keys:
        return None, [f"`tab={tab}` is not a tab of this app (its tabs: {', '.join(keys)})"]
    if tab is None:
        ignored = [name for name in query if not name.startswith("__")]
        return None, [f"`{name}` needs a `tab=` to go with it" for name in ignored]
    return tab, next(s for s in shared if s.key == tab).read(query)[1]


def _note(notes: list[str]) -> gr.Markdown:
    if not notes:
        return gr.Markdown(visible=False)
    return gr.Markdown("ℹ️ Part of this link was ignored, the rest applies: " + "; ".join(notes) + ".", visible=True)


_acted: OrderedDict[tuple[str | None, str], None] = OrderedDict()  # (session, tab) pairs where the visitor has acted
_ACTED_KEPT = 50_000  # the oldest pairs are forgotten first (a long-running public server sees many sessions)
_acted_lock = threading.Lock()


def _session() -> str | None:
    request = LocalContext.request.get(None)
    return None if request is None else request.session_hash


def _noting_actions(fn: Callable, key: str) -> Callable:
    """``fn`` (one of the tab's own handlers) that first records that the visitor acted on tab ``key``, so that the
    tab's first visit, queued or still computing its example, does not then overwrite what the visitor asked for."""
    def note() -> None:
        with _acted_lock:
            _acted[(_session(), key)] = None
            while len(_acted) > _ACTED_KEPT:
                _acted.popitem(last=False)

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def generator(*args, **kwargs):
            note()
            yield from fn(*args, **kwargs)
        return generator
    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def coroutine(*args, **kwargs):
            note()
            return await fn(*args, **kwargs)
        return coroutine

    @functools.wraps(fn)
    def plain(*args, **kwargs):
        note()
        return fn(*args, **kwargs)
    return plain


def _first_visit(s: Shared) -> Callable:
    def first_visit(request: gr.Request, session: Visits, *extra: object) -> list:
        """The tab's first visit: the link's state if the page opened on this tab, else the worked example."""
        skip = [gr.skip()] * (len(s.set_controls) + len(s.outputs))
        if s.key in session.opened:
            return skip
        session.opened.add(s.key)
        query = dict(request.query_params) if request is not None else {}
        values, _ = s.read(query if query.get("tab") == s.key else {})
        defaults = s.defaults
        visitor = None if request is None else request.session_hash
        try:
            opened = s.open(values, extra)
        except gr.Error:  # e.g. more components than points: the link's note says why; show the example
            if values == defaults:
                raise
            values = defaults
            opened = s.open(values, extra)
        if (visitor, s.key) in _acted:  # the visitor uploaded, clicked… before or while this ran: their result stands
            return skip
        if values == defaults:  # the controls already hold these values: leave them (no change events)
            opened[:len(s.set_controls)] = [gr.skip()] * len(s.set_controls)
        return opened

    return first_visit


def note_box() -> gr.Markdown:
    """The line (hidden until needed) that names the link parameters that were ignored; place it above the tabs."""
    return gr.Markdown(visible=False, elem_id=NOTE_ID)


def install(demo: gr.Blocks, note: gr.Markdown) -> None:
    """Wire the tabs shared during the build (opening from a link, first visits); call inside ``demo`` after them."""
    shared, _pending[:] = list(_pending), []
    visits = gr.State(Visits())

    def land(request: gr.Request) -> gr.Markdown:
        return _note(_landing(dict(request.query_params), shared)[1])

    demo.load(land, None, note, api_visibility="private", show_progress="hidden")
    demo.load(None, js=OPEN_TAB_JS.replace("LABELS", json.dumps({s.key: s.tab.label for s in shared})))
    for s in shared:
        opening = _first_visit(s)
        s.tab.select(opening, [visits, *s.inputs], [*s.set_controls, *s.outputs], api_visibility="private")
        for block_fn in demo.fns.values():
            if block_fn.fn not in (None, opening) and set(map(id, block_fn.outputs)) & set(map(id, s.outputs)):
                block_fn.fn = _noting_actions(block_fn.fn, s.key)
