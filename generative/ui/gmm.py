"""The GMM playground tab: click points, watch EM fit a Gaussian mixture, compare it with a KDE.

Handlers are plain functions of a :class:`Playground` state and the control values, so tests call
them without a browser; :func:`build` only lays the components out and wires the events.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd

from generative.gmm import COVARIANCE_TYPES, GaussianMixture, KernelDensity
from generative.kde import scott_bandwidth
from generative.toydata import MAX_ROWS, PRESETS, preset, read_points_csv
from generative.ui import links
from generative.ui.inputs import MAX_SEED, number_box, seed_value, whole_number
from generative.ui.plots import View, draw_criteria, draw_density_comparison, draw_mixture

MAX_K = 10
BIC_MAX_K = 8
RUN_MAX_STEPS = 300
RUN_FRAME_SECONDS = 0.04
REG_COVAR_CHOICES = ["0", "1e-6", "1e-3", "1e-2", "0.1"]
EXAMPLE_PRESET = "blobs"  # fitted on the first visit
EXAMPLE_CSV = Path(__file__).resolve().parents[2] / "assets" / "gmm_two_clusters.csv"

INTRO = """
A **Gaussian mixture** p(x) = Σₖ πₖ N(x | μₖ, Σₖ) is an *explicit* density: it gives p(x) at every point,
like a kernel density estimate and unlike a GAN, which only samples. **EM** fits it: the E step colours every point by its
responsibilities p(k | x), the M step re-estimates π, μ and Σ from them, and the log-likelihood never goes down.
Click the canvas to add points, or pick a preset, then press **Step** or **Run**.
"""
COLLAPSE_NOTE = (
    "⚠️ Component {k} has collapsed onto {what}: its smallest variance is {var:.2g}, so its density there — and the "
    "log-likelihood — shoots up without bound. Maximum likelihood rewards this degenerate fit; `reg_covar` adds a "
    "small constant to every variance and so caps the spike. Raise `reg_covar`, lower K or try another seed."
)


@dataclass
class Playground:
    """One visitor's points, canvas window, mixture being fitted (and the settings it was started with)
    and its log-likelihood history."""

    points: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))
    view: View = field(default_factory=View)
    model: GaussianMixture | None = None
    history: list[float] = field(default_factory=list)
    settings: tuple = ()


# ---------------------------------------------------------------------------------- helpers
def k_value(k: object) -> int:
    """The number of components typed in the K box, or a ``gr.Error`` saying what K may be."""
    return whole_number(k, "K", 1, MAX_K)


def _model_for(pg: Playground, k: float, covariance_type: str, seed: float | None, reg_covar: str) -> GaussianMixture:
    """The playground's mixture; a new one when there is none yet or the controls no longer match it.

    The controls travel with every Step and Run, so a click right after typing a new K fits that K:
    no separate "settings changed" event can race with the click and undo its fit.
    """
    settings = (k_value(k), covariance_type, seed_value(seed), reg_covar)
    if pg.model is None or pg.settings != settings:
        if len(pg.points) == 0:
            raise gr.Error("Add points first: click the canvas, pick a preset or upload a CSV.")
        pg.model = GaussianMixture(settings[0], covariance_type=covariance_type, reg_covar=float(reg_covar),
                                   random_state=settings[2], max_iter=1)
        pg.settings, pg.history = settings, []
    if pg.model.n_components > len(pg.points):
        raise gr.Error(
            f"K = {pg.model.n_components} needs at least {pg.model.n_components} points, but there are "
            f"{len(pg.points)}: add points or lower K."
        )
    return pg.model


def _em_step(pg: Playground, model: GaussianMixture) -> None:
    try:
        model.step(pg.points)
        pg.history.append(model.score(pg.points))
    except ValueError as exc:
        raise gr.Error(str(exc)) from None


def _collapse_note(pg: Playground) -> str:
    model = pg.model
    if model is None or not model.is_initialized:
        return ""
    spread = float(pg.points.var(axis=0).mean())
    if spread == 0.0:
        return (
            "All points are identical, so every component sits on that one point with variance `reg_covar` "
            f"= {model.reg_covar:g}: a degenerate but well-defined fit."
        )
    smallest = np.linalg.eigvalsh(model.full_covariances())[:, 0]
    k = int(smallest.argmin())
    if smallest[k] > 1e-4 * spread:
        return ""
    owned = int((model.predict(pg.points) == k).sum())
    what = "a single point" if owned <= 1 else f"{owned} points on a line"
    return COLLAPSE_NOTE.format(k=k + 1, what=what, var=float(smallest[k]))


def _status(pg: Playground) -> str:
    n = len(pg.points)
    if pg.model is None or not pg.history:
        return f"**{n} point{'s' * (n != 1)}.** Press Step or Run to fit." if n else "**No points yet.**"
    model = pg.model
    done = " · converged ✓" if model.converged_ else ""
    lines = [
        f"**Iteration {len(pg.history)}** · log-likelihood **{pg.history[-1]:.4f}** nats per point "
        f"({n} points, K = {model.n_components}, {model.covariance_type}){done}"
    ]
    note = _collapse_note(pg)
    if note:
        lines.append(note)
    return "\n\n".join(lines)


def _params_table(pg: Playground) -> pd.DataFrame:
    columns = ["k", "π", "μ x", "μ y", "Σ xx", "Σ xy", "Σ yy"]
    model = pg.model
    if model is None or not model.is_initialized:
        return pd.DataFrame(columns=columns)
    cov = model.full_covariances()
    rows = [
        [k + 1, model.weights_[k], *model.means_[k], cov[k, 0, 0], cov[k, 0, 1], cov[k, 1, 1]]
        for k in range(model.n_components)
    ]
    return pd.DataFrame(rows, columns=columns).round(4)


def _history_frame(pg: Playground) -> pd.DataFrame:
    return pd.DataFrame({"iteration": np.arange(1, len(pg.history) + 1), "log-likelihood": pg.history})


def _canvas(pg: Playground, show_samples: bool) -> np.ndarray:
    model = pg.model
    if model is None or not model.is_initialized:
        return draw_mixture(pg.points, pg.view)
    samples = model.sample(max(len(pg.points), 200), random_state=0)[0] if show_samples else None
    resp = model.predict_proba(pg.points) if len(pg.points) else None
    return draw_mixture(pg.points, pg.view, resp, model.means_, model.full_covariances(), samples)


def _outputs(pg: Playground, show_samples: bool) -> tuple:
    return pg, _canvas(pg, show_samples), _status(pg), _params_table(pg), _history_frame(pg)


def _with_points(pg: Playground, points: np.ndarray, show_samples: bool) -> tuple:
    """Replace the points, fit the window to them, start the fit afresh; also reset the bandwidth slider."""
    pg.points = points
    pg.view = View.around(points) if len(points) else View()
    pg.model, pg.history = None, []
    spread = float(points.std(axis=0).mean()) if len(points) > 1 else 0.0
    low, high = (0.02 * spread, 2 * spread) if spread > 0 else (0.02, 3.0)
    value = min(max(scott_bandwidth(points), low), high) if spread > 0 else 0.5
    bandwidth = gr.Slider(minimum=round(low, 4), maximum=round(high, 4), value=round(value, 4))
    return (*_outputs(pg, show_samples), bandwidth)


# ---------------------------------------------------------------------------------- handlers
def add_point(pg: Playground, show_samples: bool, evt: gr.SelectData) -> tuple:
    """A click on the canvas adds a point there (the fitted parameters are kept)."""
    xy = pg.view.pixel_to_data(*evt.index)
    if xy is not None:
        pg.points = np.vstack([pg.points, xy])
        pg.history = []
    return _outputs(pg, show_samples)


def undo_point(pg: Playground, show_samples: bool) -> tuple:
    """Remove the last point."""
    pg.points, pg.history = pg.points[:-1], []
    if pg.model is not None and len(pg.points) < pg.model.n_components:
        pg.model = None
    return _outputs(pg, show_samples)


def clear_points(pg: Playground, show_samples: bool) -> tuple:
    """Remove every point and the fit."""
    return _with_points(pg, np.empty((0, 2)), show_samples)


def load_preset(pg: Playground, name: str, seed: float | None, show_samples: bool) -> tuple:
    """Replace the points with a preset data set."""
    if name not in PRESETS:
        raise gr.Error(f"Unknown preset {name!r}; choose one of: {', '.join(PRESETS)}.")
    return _with_points(pg, preset(name, seed_value(seed)), show_samples)


def open_fitted(name: str, k: int, seed: int, covariance_type: str, reg_covar: str, steps: int, pg: Playground,
                show_samples: bool) -> tuple:
    """A preset after ``steps`` EM iterations (fewer if it converges first): how a link or a first visit opens the tab."""
    outputs = load_preset(pg, name, seed, show_samples)
    model = _model_for(pg, k, covariance_type, seed, reg_covar)
    for _ in range(steps):
        _em_step(pg, model)
        if model.converged_:
            break
    return (*_outputs(pg, show_samples), outputs[-1], name)


def link_state(values: dict, pg: Playground) -> str:
    """Copy link: the preset on the canvas and the EM iterations done; a note when the points cannot travel."""
    values["steps"] = len(pg.history)
    name = next((n for n in PRESETS if len(pg.points) and np.array_equal(preset(n, seed_value(values["seed"])),
                                                                          pg.points)), None)
    if name is None:
        values.pop("preset")
        return ("Points you clicked, uploaded or made with another seed cannot travel in a link: it opens on the "
                "example preset with these settings.") if len(pg.points) else ""
    values["preset"] = name
    return ""


def load_csv(pg: Playground, path: str | None, show_samples: bool) -> tuple:
    """Replace the points with those of a CSV file of x,y columns."""
    if not path:
        return (*_outputs(pg, show_samples), gr.Slider())
    try:
        points = read_points_csv(path)
    except ValueError as exc:
        raise gr.Error(str(exc)) from None
    return _with_points(pg, points, show_samples)


def step(pg: Playground, k: float, covariance_type: str, seed: float | None, reg_covar: str,
         show_samples: bool) -> tuple:
    """One EM iteration (the first press also initialises with k-means++)."""
    _em_step(pg, _model_for(pg, k, covariance_type, seed, reg_covar))
    return _outputs(pg, show_samples)


def run(pg: Playground, k: float, covariance_type: str, seed: float | None, reg_covar: str, show_samples: bool):
    """EM iterations, one frame each, until the log-likelihood changes by less than 1e-3 (or Stop)."""
    model = _model_for(pg, k, covariance_type, seed, reg_covar)
    for _ in range(RUN_MAX_STEPS):
        _em_step(pg, model)
        yield _outputs(pg, show_samples)
        if model.converged_:
            return
        time.sleep(RUN_FRAME_SECONDS)


def reset(pg: Playground, show_samples: bool) -> tuple:
    """Forget the fit (the points stay); the next Step starts from a new initialisation."""
    pg.model, pg.history = None, []
    return _outputs(pg, show_samples)


def redraw(pg: Playground, show_samples: bool) -> np.ndarray:
    """Redraw the canvas, e.g. when samples are switched on or off."""
    return _canvas(pg, show_samples)


def _need_points(pg: Playground, k: int, at_least: int = 1) -> None:
    need = max(k, at_least)
    if len(pg.points) < need:
        raise gr.Error(f"This needs at least {need} points; there are {len(pg.points)}. Add points or lower K.")


def information_criteria(pg: Playground, covariance_type: str, seed: float | None, reg_covar: str,
                         progress: gr.Progress = gr.Progress()) -> tuple[np.ndarray, str]:
    """BIC and AIC of fits with K = 1..8 on the current points."""
    _need_points(pg, 2)
    ks = list(range(1, min(BIC_MAX_K, len(pg.points)) + 1))
    rows = []
    for k in progress.tqdm(ks, desc="fitting K = 1..8"):
        model = _fit(pg.points, k, covariance_type, seed, reg_covar)
        rows += [(k, "BIC", model.bic(pg.points)), (k, "AIC", model.aic(pg.points))]
    table = pd.DataFrame(rows, columns=["K", "criterion", "value"])
    best = {c: int(table[table.criterion == c].sort_values("value").iloc[0].K) for c in ("BIC", "AIC")}
    text = (
        f"Lower is better. **BIC prefers K = {best['BIC']}**, AIC prefers K = {best['AIC']}. "
        "Both add a penalty per parameter to −2 × log-likelihood; BIC's penalty grows with the number of points."
    )
    return draw_criteria(table), text


def _fit(points: np.ndarray, k: int, covariance_type: str, seed: float | None, reg_covar: str,
         random_state: int | None = None) -> GaussianMixture:
    model = GaussianMixture(k, covariance_type=covariance_type, reg_covar=float(reg_covar), max_iter=RUN_MAX_STEPS,
                            random_state=seed_value(seed) if random_state is None else random_state)
    try:
        return model.fit(points)
    except ValueError as exc:
        raise gr.Error(str(exc)) from None


def restarts(pg: Playground, k: float, covariance_type: str, seed: float | None, reg_covar: str, n_restarts: float,
             progress: gr.Progress = gr.Progress()) -> tuple[pd.DataFrame, str]:
    """Fit from several seeds and list the final log-likelihoods: EM finds local optima."""
    k = k_value(k)
    _need_points(pg, k)
    first = seed_value(seed)
    rows = []
    for s in progress.tqdm(range(first, first + int(n_restarts)), desc="restarts"):
        model = _fit(pg.points, k, covariance_type, seed, reg_covar, random_state=s)
        rows.append((s, round(model.score(pg.points), 4), model.n_iter_, model.converged_))
    table = pd.DataFrame(rows, columns=["seed", "log-likelihood", "iterations", "converged"])
    table = table.sort_values("log-likelihood", ascending=False, ignore_index=True)
    optima = table["log-likelihood"].round(3).nunique()
    text = (
        f"{len(table)} seeds reached **{optima} different optim{'um' if optima == 1 else 'a'}**. "
        f"EM only climbs to a local maximum; the best here is seed {int(table.seed[0])} "
        f"({table['log-likelihood'][0]:.4f}). Set the seed to it and press Run to see that fit."
    )
    return table, text


def compare_kde(pg: Playground, k: float, covariance_type: str, seed: float | None, reg_covar: str,
                bandwidth: float) -> tuple[np.ndarray, str]:
    """GMM and KDE fitted on 80 % of the points, both scored on the held-out 20 %."""
    k = k_value(k)
    _need_points(pg, k + 2, at_least=10)
    rng = np.random.default_rng(seed_value(seed))
    order = rng.permutation(len(pg.points))
    n_test = max(2, round(0.2 * len(pg.points)))
    test, train = pg.points[order[:n_test]], pg.points[order[n_test:]]
    if len(train) < k:
        raise gr.Error(f"The 80 % training split has {len(train)} points, fewer than K = {k}: lower K.")
    gmm = _fit(train, k, covariance_type, seed, reg_covar)
    kde = KernelDensity(bandwidth=float(bandwidth)).fit(train)
    image = draw_density_comparison(train, test, pg.view, {
        f"GMM, K = {k} ({covariance_type})": gmm.score_samples,
        f"KDE, h = {float(bandwidth):.3g}": kde.score_samples,
    })
    g_train, g_test = gmm.score(train), gmm.score(test)
    k_train, k_test = float(kde.score_samples(train).mean()), float(kde.score_samples(test).mean())
    winner = "GMM" if g_test > k_test else "KDE"
    text = (
        f"| mean log-likelihood (nats/point) | GMM | KDE |\n|---|---|---|\n"
        f"| training points ({len(train)}) | {g_train:.3f} | {k_train:.3f} |\n"
        f"| **held-out points ({len(test)})** | **{g_test:.3f}** | **{k_test:.3f}** |\n\n"
        f"On held-out points the **{winner}** explains the data better. A small bandwidth scores the training points "
        "highly but the held-out points poorly: the KDE memorises; a large one blurs everything. "
        "Dots: training points; red rings: held-out points."
    )
    return image, text


# ---------------------------------------------------------------------------------- layout
def build(tab: gr.Tab) -> gr.State:
    """Lay out the tab inside the current ``gr.Blocks`` (it needs nothing when opened); return its points' state."""
    gr.Markdown(INTRO)
    state = gr.State(Playground())
    with gr.Row():
        with gr.Column(scale=5, min_width=320):
            canvas = gr.Image(value=draw_mixture(np.empty((0, 2)), View()), label="Canvas: click to add a point",
                              interactive=False, format="png", elem_id="gmm-canvas", buttons=["download"])
            with gr.Row():
                undo_btn = gr.Button("Undo point", size="sm")
                clear_btn = gr.Button("Clear", size="sm")
            preset_radio = gr.Radio(list(PRESETS), label="Presets", elem_id="gmm-presets")
            csv_file = gr.File(label=f"…or upload a CSV of x,y columns (up to {MAX_ROWS:,} rows)",
                               file_types=[".csv", ".txt"], elem_id="gmm-csv", height=110)
            gr.Examples([[str(EXAMPLE_CSV)]], inputs=[csv_file], label="Example CSV")
        with gr.Column(scale=4, min_width=320):
            with gr.Row():
                k_box = number_box(value=3, label=f"K (components, 1–{MAX_K})", step=1, elem_id="gmm-k")
                seed_box = number_box(value=0, label="Seed", step=1, elem_id="gmm-seed")
            cov_radio = gr.Radio(list(COVARIANCE_TYPES), value="full", label="Covariance type",
                                 info="full: any ellipse · tied: one shared ellipse · diag: axis-aligned · spherical: circles")
            reg_dropdown = gr.Dropdown(REG_COVAR_CHOICES, value="1e-6", label="reg_covar",
                                       info="added to every variance; 0 lets a component collapse onto a point")
            with gr.Row():
                step_btn = gr.Button("Step", variant="primary", elem_id="gmm-step")
                run_btn = gr.Button("Run", variant="primary", elem_id="gmm-run")
                stop_btn = gr.Button("Stop", variant="stop")
                reset_btn = gr.Button("Reset")
            samples_box = gr.Checkbox(label="Overlay samples drawn from the fitted mixture (×)")
            status = gr.Markdown(_status(Playground()), elem_id="gmm-status")
            loglik_plot = gr.LinePlot(_history_frame(Playground()), x="iteration", y="log-likelihood", height=220,
                                      label="Log-likelihood per iteration (nats per point)", y_axis_format=".3f",
                                      x_axis_format="d", elem_id="gmm-loglik")
            params = gr.Dataframe(_params_table(Playground()), label="Parameters: weights π, means μ, covariances Σ",
                                  interactive=False, elem_id="gmm-params")
            copy_link = links.copy_link_row("gmm")
    with gr.Accordion("Model selection: BIC / AIC for K = 1..8, and restarts from several seeds", open=False):
        with gr.Row():
            with gr.Column():
                bic_btn = gr.Button("Compute BIC and AIC")
                bic_plot = gr.Image(label="Information criteria", show_label=False, interactive=False, format="png",
                                    elem_id="gmm-bic", buttons=["download"])
                bic_text = gr.Markdown()
            with gr.Column():
                with gr.Row():
                    n_restarts = gr.Slider(2, 20, value=8, step=1, label="Seeds")
                    restart_btn = gr.Button("Fit from each seed")
                restart_table = gr.Dataframe(label="Final log-likelihood per seed", interactive=False)
                restart_text = gr.Markdown()
    with gr.Accordion("GMM vs KDE: two explicit densities, scored on held-out points", open=False):
        gr.Markdown("A kernel density estimate puts a small Gaussian of width *h* on every training point. "
                    "Both models give log p(x) for new points, so both can be scored on a 20 % split kept aside.")
        with gr.Row():
            bandwidth = gr.Slider(0.02, 3.0, value=0.5, label="KDE bandwidth h", scale=3)
            compare_btn = gr.Button("Compare on a held-out split", scale=1)
        compare_image = gr.Image(label="log-density contours", interactive=False, format="png")
        compare_text = gr.Markdown()

    controls = [k_box, cov_radio, seed_box, reg_dropdown]
    shown = [state, canvas, status, params, loglik_plot]
    canvas.select(add_point, [state, samples_box], shown, api_visibility="private", trigger_mode="multiple")
    undo_btn.click(undo_point, [state, samples_box], shown, api_name="gmm_undo")
    clear_btn.click(clear_points, [state, samples_box], [*shown, bandwidth], api_name="gmm_clear")
    preset_radio.input(load_preset, [state, preset_radio, seed_box, samples_box], [*shown, bandwidth],
                       api_name="gmm_preset")
    csv_file.change(load_csv, [state, csv_file, samples_box], [*shown, bandwidth], api_name="gmm_csv")
    # always_last: a click while the last fit is still finishing (its final frame already drawn) runs after it,
    # instead of being dropped as Gradio's default for buttons does
    step_btn.click(step, [state, *controls, samples_box], shown, api_name="gmm_step", trigger_mode="always_last")
    run_event = run_btn.click(run, [state, *controls, samples_box], shown, api_name="gmm_run",
                              trigger_mode="always_last")
    stop_btn.click(None, cancels=[run_event])
    reset_btn.click(reset, [state, samples_box], shown, api_name="gmm_reset")
    samples_box.change(redraw, [state, samples_box], canvas, api_visibility="private")
    bic_btn.click(information_criteria, [state, cov_radio, seed_box, reg_dropdown], [bic_plot, bic_text],
                  api_name="gmm_bic")
    restart_btn.click(restarts, [state, *controls, n_restarts], [restart_table, restart_text], api_name="gmm_restarts")
    compare_inputs = [state, *controls, bandwidth]
    compare_btn.click(compare_kde, compare_inputs, [compare_image, compare_text], api_name="gmm_kde")
    bandwidth.release(compare_kde, compare_inputs, [compare_image, compare_text], api_visibility="private")
    links.share("gmm", tab, [links.choice("preset", list(PRESETS), preset_radio, default=EXAMPLE_PRESET),
                             links.integer("k", k_box, 1, MAX_K), links.integer("seed", seed_box, 0, MAX_SEED),
                             links.choice("cov", list(COVARIANCE_TYPES), cov_radio),
                             links.choice("reg", REG_COVAR_CHOICES, reg_dropdown, slugs={c: c for c in REG_COVAR_CHOICES}),
                             links.integer("steps", None, 0, RUN_MAX_STEPS, default=RUN_MAX_STEPS)],
                show=open_fitted, inputs=[state, samples_box], outputs=[*shown, bandwidth, preset_radio],
                describe=link_state, describe_inputs=[state], place=copy_link)
    return state
