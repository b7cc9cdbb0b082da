"""The GAN lab tab: a generator and a discriminator play on 2-D points, beside a GMM and a KDE on the same points.

Handlers are plain functions of a :class:`Lab` state and the control values, so tests call them without a
browser; :func:`build` only lays the components out and wires the events.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from functools import lru_cache

import gradio as gr
import numpy as np
from PIL import Image, ImageDraw

from generative.gan2d import LOSSES, SCENARIOS, Gan2D, Settings, energy_distance, precision_recall
from generative.gmm import GaussianMixture, KernelDensity
from generative.kde import leave_one_out_bandwidth
from generative.toydata import MAX_ROWS, PRESETS, preset, read_points_csv
from generative.ui import links
from generative.ui.inputs import MAX_SEED, number_box, seed_value, whole_number
from generative.ui.plots import SIZE_PX, View, figure, set_view, to_array
from generative.ui.raster import Canvas, colour_table, line_chart

RING = "8 Gaussians on a ring"
LR_CHOICES = ["1e-4", "2e-4", "5e-4", "1e-3", "1.5e-3", "2e-3", "3e-3", "5e-3", "1e-2"]
MAX_STEP_ITERATIONS = 1000
EXAMPLE_ITERATIONS = 300  # trained on the first visit (the stable settings on the 8-ring)
LINK_MAX_ITERATIONS = 3000  # a link retrains its GAN when opened: at most this long
RUN_MAX_ITERATIONS = 20_000
MIN_FRAME_SECONDS = 0.125  # at most 8 frames a second: a browser shows no more, and a phone falls behind
HELD_OUT_FRACTION, MIN_POINTS_TO_HOLD_OUT = 0.2, 20
SHOWN_REAL, SHOWN_FAKE, ARROWS, HEAT_GRID = 1500, 400, 48, 64
HEAT_LEVELS = 20  # bands of 0.05 in P(real), one edge at the 0.5 contour
ARROW_GAIN = 0.5
CURVE_POINTS = 150
CHART_HEIGHT = 170
MAX_K = 10
SHOW_CHOICES = ["D's P(real)", "G's pull (arrows)", "G's image of a noise grid"]
REAL, FAKE, PULL, GRID = "#1b7837", "#762a83", "#111111", "#e08214"
HEAT = colour_table("PRGn")

INTRO = """
A **GAN** trains two networks against each other: the generator G turns noise z ~ N(0, I) into points, the
discriminator D gives the probability that a point is real. D learns to tell real from generated points, G learns to
fool D, until D is fooled about half the time. A GAN is an **implicit** model: it samples but gives no p(x),
unlike the GMM and the KDE, which are compared with it on the same points at the bottom of this tab.
Pick data and a settings preset, then press **Step** or **Run**.
"""
LEGEND = (
    f"<span style='color:{REAL}'>●</span> real points · <span style='color:{FAKE}'>●</span> generated points · "
    f"background: D's P(real) in bands of {1 / HEAT_LEVELS:g}, green = looks real, purple = looks fake, "
    "black line P = 0.5 · "
    "arrows: where G's loss pushes its samples · "
    f"<span style='color:{GRID}'>lines</span>: G's image of a grid in the first two noise dimensions"
)
NO_LIKELIHOOD = (
    "**Why the GAN has no log-likelihood:** its density is only implicit, that of G(z) for z ~ N(0, I), and G gives "
    "no formula for it. A density estimated from its samples would score that estimate, not the GAN. The energy "
    "distance needs only samples, so it ranks all three models."
)


@dataclass
class Lab:
    """One visitor's points (some held out for the comparison), canvas window and GAN."""

    points: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))
    held_out: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    view: View = field(default_factory=View)
    gan: Gan2D | None = None

    @property
    def train(self) -> np.ndarray:
        return self.points[~self.held_out]

    @property
    def test(self) -> np.ndarray:
        return self.points[self.held_out]


# ---------------------------------------------------------------------------------- helpers
def _set_points(lab: Lab, points: np.ndarray, fit_view: bool = True) -> None:
    """New points: a fresh held-out split (fixed seed) and no GAN."""
    lab.points = points
    n = len(points)
    lab.held_out = np.zeros(n, dtype=bool)
    if n >= MIN_POINTS_TO_HOLD_OUT:
        lab.held_out[np.random.default_rng(0).permutation(n)[: round(HELD_OUT_FRACTION * n)]] = True
    if fit_view:
        lab.view = View.around(points) if n else View()
    lab.gan = None


def _rate_choice(rate: float) -> str:
    """The learning-rate dropdown's text for a rate."""
    return next(c for c in LR_CHOICES if float(c) == rate)


def _settings(loss: str, lr_g: str, lr_d: str, d_steps: float, noise_dim: float) -> Settings:
    if loss not in LOSSES:
        raise gr.Error(f"Unknown loss {loss!r}; choose one of: {', '.join(LOSSES)}.")
    rates = []
    for what, value in (("G's learning rate", lr_g), ("D's learning rate", lr_d)):
        if str(value) not in LR_CHOICES:
            raise gr.Error(f"{what} must be one of {', '.join(LR_CHOICES)}; got {value!r}.")
        rates.append(float(value))
    return Settings(loss=loss, lr_g=rates[0], lr_d=rates[1], d_steps=whole_number(d_steps, "D steps per G step", 1, 10),
                    noise_dim=whole_number(noise_dim, "The noise dimension", 2, 8))


def _gan_for(lab: Lab, settings: Settings, seed: float | None) -> Gan2D:
    """The lab's GAN; a new one when there is none or the settings or seed changed."""
    seed = seed_value(seed)
    if lab.gan is None or lab.gan.settings != settings or lab.gan.seed != seed:
        if len(lab.train) < 2:
            raise gr.Error(f"The GAN needs at least 2 training points; there are {len(lab.train)}. "
                           "Click the canvas, pick a preset or upload a CSV.")
        try:
            lab.gan = Gan2D(lab.train, seed=seed, **vars(settings))
        except ValueError as exc:
            raise gr.Error(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None
    return lab.gan


def _train(gan: Gan2D, n: int) -> None:
    try:
        gan.step(n)
    except FloatingPointError as exc:
        raise gr.Error(f"The {str(exc)[0].upper()}{str(exc)[1:]}.") from None


def _canvas(lab: Lab, show: list[str]) -> np.ndarray:
    canvas = Canvas(lab.view)
    gan = lab.gan
    if gan is not None and gan.iterations and SHOW_CHOICES[0] in show:
        prob = gan.prob_real(canvas.grid_points(HEAT_GRID)).reshape(HEAT_GRID, HEAT_GRID)
        canvas.heat_map(prob, HEAT, HEAT_LEVELS, contour=0.5)
    if gan is not None and SHOW_CHOICES[2] in show:
        canvas.polylines(gan.generator_grid(), GRID)
    train = lab.train
    if len(train) > SHOWN_REAL:
        train = train[np.random.default_rng(0).choice(len(train), SHOWN_REAL, replace=False)]
    canvas.dots(train, REAL, radius=3.0 if len(train) < 500 else 2.0)
    if gan is not None:
        canvas.dots(gan.sample(SHOWN_FAKE), FAKE, radius=3.0)
        if SHOW_CHOICES[1] in show:
            starts, pull = gan.generator_pull(ARROWS)
            canvas.arrows(starts, ARROW_GAIN * pull, PULL)
    if not len(lab.points):
        canvas.caption("click to add points\nor pick a preset")
    return canvas.array()


def _diagnosis(gan: Gan2D, precision: float, recall: float, spread: float) -> str:
    """One line naming what the game is doing now (``spread``: the samples' spread over the data's)."""
    h, window = gan.history, min(50, gan.iterations)
    real, fake = float(np.mean(h.d_real[-window:])), float(np.mean(h.d_fake[-window:]))
    chunks = [float(np.mean(h.d_fake[i:i + 50])) for i in range(max(0, gan.iterations - 400), gan.iterations, 50)]
    swing = max(chunks) - min(chunks) if len(chunks) >= 4 else 0.0
    if recall < 0.6 and precision > 0.6:
        return (f"**G is collapsing onto a few modes**: {precision:.0%} of its samples sit on real data, but only "
                f"{recall:.0%} of the real points have a sample nearby. D will learn to reject those modes and G "
                "will hop to others.")
    if real - fake > 0.5:
        text = (f"**D is winning**: it tells real (mean D = {real:.2f}) from generated points "
                f"(mean D = {fake:.2f}).")
        if gan.settings.loss == "minimax":
            text += (" With the minimax loss, G minimises log(1 − D(G(z))), which is flat when D is sure: G's "
                     "gradient vanishes (see the tiny arrows) and G barely moves. The non-saturating loss "
                     "−log D(G(z)) keeps the gradient alive.")
        return text
    if recall < 0.3:
        return (f"**G has collapsed**: only {recall:.0%} of the real points have a sample nearby; its samples crowd "
                f"together (spread {spread:.0%} of the data's). D pushes the crowd away and G moves it elsewhere "
                "instead of spreading out.")
    if swing > 0.25:
        return (f"**Oscillating**: mean D(fake) swung between {min(chunks):.2f} and {max(chunks):.2f} over the "
                "last 400 iterations, as D and G chase each other.")
    if abs(real - 0.5) < 0.15 and abs(fake - 0.5) < 0.15 and recall > 0.8 and precision > 0.8:
        return ("**Near equilibrium**: D is fooled about half the time and the samples cover the data "
                f"({recall:.0%} of real points have a sample nearby).")
    return (f"**Training**: G is moving towards the data ({recall:.0%} of real points have a sample nearby, "
            f"{precision:.0%} of samples sit on data).")


def _status(lab: Lab) -> str:
    n, held = len(lab.points), int(lab.held_out.sum())
    if not n:
        return "**No points yet.** Click the canvas, pick a preset or upload a CSV."
    split = f"{n - held} training points, {held} held out for the comparison below" if held else f"{n} points"
    gan = lab.gan
    if gan is None or not gan.iterations:
        return f"**{split}.** Press Step or Run to train the GAN."
    h = gan.history
    samples = gan.sample(1000, seed=2)
    precision, recall = precision_recall(lab.train[:1000], samples)
    spread = float(samples.std(axis=0).mean() / lab.train.std(axis=0).mean())
    critic = " (a WGAN critic's score, squashed)" if gan.settings.loss == "wgan-gp" else ""
    return (f"**Iteration {gan.iterations:,}** · D loss {h.d_loss[-1]:.3f} · G loss {h.g_loss[-1]:.3f} · "
            f"mean D(real) {h.d_real[-1]:.2f}, D(fake) {h.d_fake[-1]:.2f}{critic} · {split}\n\n"
            + _diagnosis(gan, precision, recall, spread))


def _curves(lab: Lab) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Iterations and the histories, averaged over at most CURVE_POINTS bins of iterations."""
    gan = lab.gan
    if gan is None or not gan.iterations:
        return np.empty(0), {}
    n, h = gan.iterations, gan.history
    bins = np.arange(n) // math.ceil(n / CURVE_POINTS)
    counts = np.bincount(bins)
    means = {name: np.bincount(bins, getattr(h, name)) / counts for name in ("d_loss", "g_loss", "d_real", "d_fake")}
    return np.bincount(bins, np.arange(1, n + 1)) / counts, means


def _curves_image(lab: Lab) -> np.ndarray:
    """Two charts: the D and G losses, and mean D(real) and D(fake) with the line at 0.5."""
    x, m = _curves(lab)
    image = Image.new("RGB", (SIZE_PX, CHART_HEIGHT * 2), "white")
    draw = ImageDraw.Draw(image)
    losses = {"D loss": (m["d_loss"], REAL), "G loss": (m["g_loss"], FAKE)} if len(x) else {}
    probabilities = {"mean D(real)": (m["d_real"], REAL), "mean D(fake)": (m["d_fake"], FAKE),
                     "0.5": (np.full(len(x), 0.5), "#999")} if len(x) else {}
    line_chart(draw, (0, 0, SIZE_PX, CHART_HEIGHT), x, losses, "Losses")
    line_chart(draw, (0, CHART_HEIGHT, SIZE_PX, 2 * CHART_HEIGHT), x, probabilities, "D's mean output")
    return np.asarray(image)


def _outputs(lab: Lab, show: list[str]) -> tuple:
    return lab, _canvas(lab, show), _status(lab), _curves_image(lab)


# ---------------------------------------------------------------------------------- handlers
def add_point(lab: Lab, show: list[str], evt: gr.SelectData) -> tuple:
    """A click on the canvas adds a point there (the GAN starts afresh on the new points)."""
    xy = lab.view.pixel_to_data(*evt.index)
    if xy is not None:
        _set_points(lab, np.vstack([lab.points, xy]), fit_view=False)
    return _outputs(lab, show)


def undo_point(lab: Lab, show: list[str]) -> tuple:
    """Remove the last point."""
    _set_points(lab, lab.points[:-1], fit_view=False)
    return _outputs(lab, show)


def clear_points(lab: Lab, show: list[str]) -> tuple:
    """Remove every point and the GAN."""
    _set_points(lab, np.empty((0, 2)))
    return _outputs(lab, show)


def load_preset(lab: Lab, name: str, show: list[str]) -> tuple:
    """Replace the points with a preset data set (always drawn with seed 0)."""
    if name not in PRESETS:
        raise gr.Error(f"Unknown preset {name!r}; choose one of: {', '.join(PRESETS)}.")
    _set_points(lab, preset(name, 0))
    return _outputs(lab, show)


@lru_cache(maxsize=8)
def _trained_lab(name: str, settings: Settings, seed: int, trained: int) -> Lab:
    lab = Lab()
    _set_points(lab, preset(name, 0))
    if trained:
        _train(_gan_for(lab, settings, seed), trained)
    return lab


def open_trained(name: str, loss: str, lr_g: str, lr_d: str, d_steps: int, noise_dim: int, seed: int, trained: int,
                 lab: Lab, show: list[str]) -> tuple:
    """A data preset and a GAN trained for ``trained`` iterations: how a link or the first visit opens the tab
    (trained once per setting, then copied to each visitor)."""
    if name not in PRESETS:
        raise gr.Error(f"Unknown preset {name!r}; choose one of: {', '.join(PRESETS)}.")
    vars(lab).update(vars(copy.deepcopy(_trained_lab(name, _settings(loss, lr_g, lr_d, d_steps, noise_dim),
                                                     seed_value(seed), trained))))
    return (*_outputs(lab, show), name)


def link_state(values: dict, lab: Lab) -> str:
    """Copy link: the data preset and the iterations trained; a note when the points cannot travel."""
    values["trained"] = min(lab.gan.iterations if lab.gan is not None else 0, LINK_MAX_ITERATIONS)
    capped = (f" It retrains the GAN for at most {LINK_MAX_ITERATIONS:,} iterations."
              if lab.gan is not None and lab.gan.iterations > LINK_MAX_ITERATIONS else "")
    name = next((n for n in PRESETS if len(lab.points) and np.array_equal(preset(n, 0), lab.points)), None)
    if name is None:
        values.pop("data")
        return ("Points you clicked, uploaded or took from the GMM tab cannot travel in a link: it opens on the "
                "example data with these settings." + capped) if len(lab.points) else capped.strip()
    values["data"] = name
    return capped.strip()


def load_csv(lab: Lab, path: str | None, show: list[str]) -> tuple:
    """Replace the points with those of a CSV file of x,y columns (the GMM tab's limits and messages)."""
    if not path:
        return _outputs(lab, show)
    try:
        points = read_points_csv(path)
    except ValueError as exc:
        raise gr.Error(str(exc)) from None
    _set_points(lab, points)
    return _outputs(lab, show)


def take_gmm_points(lab: Lab, playground: object, show: list[str]) -> tuple:
    """Copy the GMM playground's current points."""
    points = getattr(playground, "points", np.empty((0, 2)))
    if not len(points):
        raise gr.Error("The GMM playground has no points yet: add some there first (click, preset or CSV).")
    _set_points(lab, np.array(points, dtype=np.float64))
    return _outputs(lab, show)


def choose_scenario(lab: Lab, name: str, show: list[str]) -> tuple:
    """Load the 8-ring and set the controls to one of the settings presets."""
    if name not in SCENARIOS:
        raise gr.Error(f"Unknown settings preset {name!r}; choose one of: {', '.join(SCENARIOS)}.")
    s = SCENARIOS[name]
    _set_points(lab, preset(RING, 0))
    return (*_outputs(lab, show), RING, s.loss, _rate_choice(s.lr_g), _rate_choice(s.lr_d), s.d_steps, s.noise_dim)


def step(lab: Lab, loss: str, lr_g: str, lr_d: str, d_steps: float, noise_dim: float, seed: float | None,
         iterations: float, show: list[str]) -> tuple:
    """Train for N iterations (a new GAN when there is none or a setting changed), then redraw."""
    n = whole_number(iterations, "Iterations per step", 1, MAX_STEP_ITERATIONS)
    _train(_gan_for(lab, _settings(loss, lr_g, lr_d, d_steps, noise_dim), seed), n)
    return _outputs(lab, show)


def run(lab: Lab, loss: str, lr_g: str, lr_d: str, d_steps: float, noise_dim: float, seed: float | None,
        iterations: float, show: list[str]):
    """Train and redraw every N iterations until Stop (or RUN_MAX_ITERATIONS in all)."""
    n = whole_number(iterations, "Iterations per step", 1, MAX_STEP_ITERATIONS)
    gan = _gan_for(lab, _settings(loss, lr_g, lr_d, d_steps, noise_dim), seed)
    while True:
        if gan.iterations >= RUN_MAX_ITERATIONS or lab.gan is not gan:  # a Reset or a new setting ends the run
            return
        start = time.perf_counter()
        _train(gan, min(n, RUN_MAX_ITERATIONS - gan.iterations))
        yield _outputs(lab, show)
        time.sleep(max(0.0, MIN_FRAME_SECONDS - (time.perf_counter() - start)))


def reset(lab: Lab, show: list[str]) -> tuple:
    """Forget the GAN (the points stay)."""
    lab.gan = None
    return _outputs(lab, show)


def redraw(lab: Lab, show: list[str]) -> np.ndarray:
    """Redraw the canvas, e.g. when a layer is switched on or off."""
    return _canvas(lab, show)


def compare(lab: Lab, k: float, seed: float | None) -> tuple[np.ndarray, str]:
    """Fit a GMM and a KDE on the GAN's training points; score all three on the held-out points."""
    k = whole_number(k, "K (GMM components)", 1, MAX_K)
    seed = seed_value(seed)
    if lab.gan is None or not lab.gan.iterations:
        raise gr.Error("Train the GAN first: press Step or Run.")
    train, test = lab.train, lab.test
    if len(test) < 2:
        raise gr.Error(f"The comparison needs at least {MIN_POINTS_TO_HOLD_OUT} points, so that 20 % can be held "
                       f"out; there are {len(lab.points)}. Add points or pick a preset.")
    if k > len(train):
        raise gr.Error(f"K = {k} needs at least {k} training points; there are {len(train)}. Lower K.")
    try:
        gmm = GaussianMixture(k, covariance_type="full", random_state=seed, max_iter=300).fit(train)
    except ValueError as exc:
        raise gr.Error(str(exc)) from None
    h = leave_one_out_bandwidth(train)
    kde = KernelDensity(bandwidth=h).fit(train)
    n = 1000
    samples = {
        f"GAN (iteration {lab.gan.iterations:,})": lab.gan.sample(n, seed=seed),
        f"GMM, K = {k}": gmm.sample(n, random_state=seed)[0],
        f"KDE, h = {h:.3g}": kde.sample(n, random_state=seed),
    }
    distance = {name: energy_distance(x, test) for name, x in samples.items()}
    loglik = [None, gmm.score(test), float(kde.score_samples(test).mean())]
    fig, axes = figure(3)
    for ax, (name, x) in zip(axes, samples.items()):
        set_view(ax, lab.view)
        ax.scatter(x[:, 0], x[:, 1], s=3, c=FAKE, alpha=0.5, linewidths=0)
        ax.scatter(test[:, 0], test[:, 1], s=18, facecolors="none", edgecolors="#d62728", linewidths=0.9)
        ax.set_title(f"{name}: energy distance {distance[name]:.3f}", fontsize=10)
    rows = [f"| {name} | {distance[name]:.4f} | {'— (none: implicit)' if ll is None else f'{ll:.3f}'} |"
            for (name, ll) in zip(samples, loglik)]
    floor = energy_distance(train, test)
    text = "\n".join([
        "| model | energy distance to held-out (lower is better) | held-out log-likelihood (nats/point) |",
        "|---|---|---|", *rows,
        f"| *the {len(train)} training points themselves* | *{floor:.4f}* | |",
        "",
        f"All three were fitted on the same {len(train)} training points and scored with {n:,} samples each against "
        f"the {len(test)} held-out points; the KDE's bandwidth h maximises the leave-one-out likelihood of the "
        "training points. The last row, the training points' own distance, is the level of sampling noise "
        f"(with {len(train)} points rather than {n:,} samples, so a model can score a little below it). "
        + NO_LIKELIHOOD,
        "Purple dots: samples; red rings: held-out points.",
    ])
    return to_array(fig), text


# ---------------------------------------------------------------------------------- layout
def build(tab: gr.Tab, gmm_state: gr.State | None = None) -> None:
    """Lay out the tab inside the current ``gr.Blocks``; ``gmm_state`` is the GMM playground's, for its points."""
    gr.Markdown(INTRO)
    lab = Lab()
    _set_points(lab, preset(RING, 0))
    state = gr.State(lab)
    stable = Settings()
    with gr.Row():
        with gr.Column(scale=5, min_width=320):
            canvas = gr.Image(value=_canvas(lab, SHOW_CHOICES), label="Canvas: click to add a point",
                              interactive=False, format="webp", elem_id="gan2d-canvas", buttons=["download"])
            gr.Markdown(LEGEND, elem_id="gan2d-legend")
            with gr.Row():
                undo_btn = gr.Button("Undo point", size="sm")
                clear_btn = gr.Button("Clear", size="sm")
                gmm_btn = gr.Button("Use the GMM tab's points", size="sm", elem_id="gan2d-from-gmm")
            preset_radio = gr.Radio(list(PRESETS), value=RING, label="Data", elem_id="gan2d-presets")
            csv_file = gr.File(label=f"…or upload a CSV of x,y columns (up to {MAX_ROWS:,} rows)",
                               file_types=[".csv", ".txt"], elem_id="gan2d-csv", height=110)
        with gr.Column(scale=4, min_width=320):
            scenario_radio = gr.Radio(list(SCENARIOS), label="Settings presets (on the 8-ring)",
                                      elem_id="gan2d-scenarios")
            loss_radio = gr.Radio(list(LOSSES), value=stable.loss, label="Loss", elem_id="gan2d-loss",
                                  info="minimax: the original log(1 − D(G(z))) · non-saturating: −log D(G(z)) · "
                                       "hinge · WGAN-GP: a critic with a gradient penalty")
            with gr.Row():
                lr_g = gr.Dropdown(LR_CHOICES, value=_rate_choice(stable.lr_g), label="G learning rate", elem_id="gan2d-lrg")
                lr_d = gr.Dropdown(LR_CHOICES, value=_rate_choice(stable.lr_d), label="D learning rate", elem_id="gan2d-lrd")
            with gr.Row():
                d_steps = gr.Slider(1, 10, value=stable.d_steps, step=1, label="D steps per G step",
                                    elem_id="gan2d-dsteps")
                noise_dim = gr.Slider(2, 8, value=stable.noise_dim, step=1, label="Noise dimension",
                                      elem_id="gan2d-noise")
            with gr.Row():
                seed_box = number_box(value=0, label="Seed", step=1, elem_id="gan2d-seed")
                iterations = gr.Slider(1, MAX_STEP_ITERATIONS, value=50, step=1, label="Iterations per Step",
                                       elem_id="gan2d-iterations")
            with gr.Row():
                step_btn = gr.Button("Step", variant="primary", elem_id="gan2d-step")
                run_btn = gr.Button("Run", variant="primary", elem_id="gan2d-run")
                stop_btn = gr.Button("Stop", variant="stop", elem_id="gan2d-stop")
                reset_btn = gr.Button("Reset", elem_id="gan2d-reset")
            show = gr.CheckboxGroup(SHOW_CHOICES, value=SHOW_CHOICES, label="Show", elem_id="gan2d-show")
            status = gr.Markdown(_status(lab), elem_id="gan2d-status")
            copy_link = links.copy_link_row("gan2d")
            curves = gr.Image(_curves_image(lab), label="Losses and D's mean outputs, per iteration", show_label=False,
                              interactive=False, format="webp", elem_id="gan2d-curves", buttons=["download"])
    with gr.Accordion("Explicit vs implicit: the GAN, a GMM and a KDE on the same points", open=True):
        gr.Markdown("The GMM and the KDE give p(x); the GAN only samples. One click fits both explicit models on the "
                    "GAN's training points and scores all three on the held-out points.")
        with gr.Row():
            k_box = gr.Slider(1, MAX_K, value=8, step=1, label="K (GMM components)", scale=3, elem_id="gan2d-k")
            compare_btn = gr.Button("Fit a GMM and a KDE, compare", scale=1, elem_id="gan2d-compare")
        compare_image = gr.Image(label="Samples of the three models", show_label=False, interactive=False, format="png",
                                 elem_id="gan2d-compare-image")
        compare_text = gr.Markdown(elem_id="gan2d-compare-text")

    controls = [loss_radio, lr_g, lr_d, d_steps, noise_dim, seed_box, iterations, show]
    shown = [state, canvas, status, curves]
    canvas.select(add_point, [state, show], shown, api_visibility="private", trigger_mode="multiple")
    undo_btn.click(undo_point, [state, show], shown, api_name="gan2d_undo")
    clear_btn.click(clear_points, [state, show], shown, api_name="gan2d_clear")
    preset_radio.input(load_preset, [state, preset_radio, show], shown, api_name="gan2d_preset")
    csv_file.change(load_csv, [state, csv_file, show], shown, api_name="gan2d_csv")
    if gmm_state is not None:
        gmm_btn.click(take_gmm_points, [state, gmm_state, show], shown, api_name="gan2d_from_gmm")
    scenario_radio.input(choose_scenario, [state, scenario_radio, show],
                         [*shown, preset_radio, loss_radio, lr_g, lr_d, d_steps, noise_dim], api_name="gan2d_scenario")
    step_btn.click(step, [state, *controls], shown, api_name="gan2d_step", show_progress="hidden",
                   trigger_mode="always_last")  # a click while the last Step finishes runs after it, not dropped
    run_event = run_btn.click(run, [state, *controls], shown, api_name="gan2d_run")
    stop_btn.click(None, cancels=[run_event])
    reset_btn.click(reset, [state, show], shown, api_name="gan2d_reset")
    for control in (loss_radio, lr_g, lr_d, seed_box):
        control.input(reset, [state, show], shown, api_visibility="private")
    for control in (d_steps, noise_dim):
        control.release(reset, [state, show], shown, api_visibility="private")
    show.change(redraw, [state, show], canvas, api_visibility="private")
    compare_btn.click(compare, [state, k_box, seed_box], [compare_image, compare_text], api_name="gan2d_compare")
    links.share("gan2d", tab, [links.choice("data", list(PRESETS), preset_radio),
                               links.choice("loss", list(LOSSES), loss_radio),
                               links.choice("lr_g", LR_CHOICES, lr_g, slugs={c: c for c in LR_CHOICES}),
                               links.choice("lr_d", LR_CHOICES, lr_d, slugs={c: c for c in LR_CHOICES}),
                               links.integer("d_steps", d_steps), links.integer("noise", noise_dim),
                               links.integer("seed", seed_box, 0, MAX_SEED),
                               links.integer("trained", None, 0, LINK_MAX_ITERATIONS, default=EXAMPLE_ITERATIONS)],
                show=open_trained, inputs=[state, show], outputs=[*shown, preset_radio], place=copy_link,
                describe=link_state, describe_inputs=[state])
