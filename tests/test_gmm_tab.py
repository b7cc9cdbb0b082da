"""The GMM tab's handlers, called as plain functions (no server, no browser)."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import numpy as np
import pandas as pd
import pytest

from generative.ui import gmm as tab
from generative.ui.plots import SIZE_PX, View, criteria_figure, draw_mixture

CONTROLS = dict(k=3, covariance_type="full", seed=0, reg_covar="1e-6")


def _with_preset(name: str = "blobs") -> tab.Playground:
    pg = tab.Playground()
    tab.load_preset(pg, name, 0, False)
    return pg


def test_a_click_lands_where_the_point_is_drawn():
    view = View(-3.0, 5.0, -1.0, 7.0)
    target = np.array([[1.7, 5.6]])
    other = np.array([[-2.0, 0.0]])
    image = draw_mixture(np.vstack([target, other]), view).astype(int)
    without = draw_mixture(other, view).astype(int)
    changed = np.abs(image - without).sum(axis=2) > 60
    ys, xs = np.nonzero(changed)
    near = (abs(xs - np.median(xs)) < 12) & (abs(ys - np.median(ys)) < 12)
    x, y = view.pixel_to_data(xs[near].mean(), ys[near].mean())
    assert image.shape == (SIZE_PX, SIZE_PX, 3)
    assert (x, y) == pytest.approx((1.7, 5.6), abs=0.03)
    assert view.pixel_to_data(2, 2) is None  # outside the axes: no point


def test_clicks_add_points_and_undo_removes_them():
    pg = tab.Playground()
    for px, py in [(200, 200), (300, 250), (320, 400)]:
        tab.add_point(pg, False, SimpleNamespace(index=[px, py]))
    assert len(pg.points) == 3
    tab.undo_point(pg, False)
    assert len(pg.points) == 2
    tab.clear_points(pg, False)
    assert len(pg.points) == 0


def test_step_then_run_until_converged():
    pg = _with_preset()
    _, _, status, params, history = tab.step(pg, **CONTROLS, show_samples=False)
    assert "Iteration 1" in status and len(params) == 3 and len(history) == 1
    frames = list(tab.run(pg, **CONTROLS, show_samples=True))
    assert pg.model.converged_ and "converged" in frames[-1][2]
    assert np.all(np.diff(pg.history) >= -1e-9)
    assert frames[-1][1].shape == (SIZE_PX, SIZE_PX, 3)
    # three well-separated blobs: each recovered mean is close to a true centre
    centres = np.array([[-2.5, -1.5], [2.5, -1.0], [0.0, 2.5]])
    distance = np.sqrt(((pg.model.means_[:, None] - centres[None]) ** 2).sum(-1)).min(axis=1)
    assert distance.max() < 0.3


def test_reset_forgets_the_fit_but_keeps_the_points():
    pg = _with_preset()
    tab.step(pg, **CONTROLS, show_samples=False)
    tab.reset(pg, False)
    assert pg.model is None and pg.history == [] and len(pg.points) == 300


@pytest.mark.parametrize(
    "points, controls, message",
    [
        (np.empty((0, 2)), CONTROLS, "Add points first"),
        (np.zeros((2, 2)), CONTROLS, "K = 3 needs at least 3 points"),
        (np.random.default_rng(0).normal(size=(9, 2)), {**CONTROLS, "seed": -1}, "seed must be a whole number"),
        (np.random.default_rng(0).normal(size=(9, 2)), {**CONTROLS, "seed": None}, "seed must be a whole number"),
    ],
)
def test_impossible_requests_give_a_clear_message(points, controls, message):
    pg = tab.Playground(points=points)
    with pytest.raises(gr.Error, match=message):
        tab.step(pg, **controls, show_samples=False)


def _blob_and_outlier() -> np.ndarray:
    blob = np.random.default_rng(1).normal(size=(40, 2))
    return np.vstack([blob, [[8.0, 8.0]]])


def test_a_collapsed_component_is_explained():
    pg = tab.Playground(points=_blob_and_outlier(), view=View(-10, 10, -10, 10))
    frames = list(tab.run(pg, k=2, covariance_type="full", seed=1, reg_covar="1e-6", show_samples=False))
    assert "collapsed onto a single point" in frames[-1][2] and "reg_covar" in frames[-1][2]


def test_collapse_without_reg_covar_is_an_error_not_a_crash():
    pg = tab.Playground(points=_blob_and_outlier())
    with pytest.raises(gr.Error, match="reg_covar"):
        list(tab.run(pg, k=2, covariance_type="full", seed=0, reg_covar="0", show_samples=False))


def test_identical_points_are_a_handled_degenerate_fit():
    pg = tab.Playground(points=np.full((10, 2), 3.0))
    _, _, status, _, _ = tab.step(pg, k=2, covariance_type="full", seed=0, reg_covar="1e-3", show_samples=False)
    assert "All points are identical" in status


def test_bad_csv_upload_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("x,y\n1,hello\n")
    with pytest.raises(gr.Error, match="is not a number"):
        tab.load_csv(tab.Playground(), str(path), False)


def test_example_csv_loads_and_sets_a_bandwidth():
    pg = tab.Playground()
    *_, bandwidth = tab.load_csv(pg, str(tab.EXAMPLE_CSV), False)
    assert len(pg.points) == 200
    assert bandwidth.minimum < bandwidth.value < bandwidth.maximum


def test_bic_prefers_three_components_on_three_blobs():
    image, text = tab.information_criteria(_with_preset(), "full", 0, "1e-6")
    assert image.ndim == 3 and image.shape[2] == 3
    assert "BIC prefers K = 3" in text


def test_the_criteria_chart_has_a_legend_and_whole_number_k_ticks():
    table = pd.DataFrame([(k, c, 100.0 + k * (1 if c == "BIC" else 0.5)) for k in range(1, 9) for c in ("BIC", "AIC")],
                         columns=["K", "criterion", "value"])
    (ax,) = criteria_figure(table).axes
    (legend,) = ax.figure.legends
    assert [t.get_text() for t in legend.get_texts()] == ["BIC", "AIC", "lowest"]
    assert list(ax.get_xticks()) == list(range(1, 9))


@pytest.mark.parametrize("k", [0, 1000, 2.5, 1e30, float("nan"), None])
def test_a_bad_k_gets_a_message_and_is_never_clamped(k):
    pg = _with_preset()
    with pytest.raises(gr.Error, match="K must be a whole number from 1 to 10"):
        tab.step(pg, **{**CONTROLS, "k": k}, show_samples=False)
    with pytest.raises(gr.Error, match="K must be a whole number"):
        tab.restarts(pg, k, "full", 0, "1e-6", 3)
    assert pg.model is None


@pytest.mark.parametrize("seed", [1e30, 2.5, -1])
def test_a_bad_seed_gets_a_message(seed):
    with pytest.raises(gr.Error, match="seed must be a whole number"):
        tab.step(_with_preset(), **{**CONTROLS, "seed": seed}, show_samples=False)


def test_run_right_after_a_new_k_fits_the_new_k():
    """The first Run after typing a new K is never swallowed: the controls travel with the click."""
    pg = _with_preset()
    list(tab.run(pg, **CONTROLS, show_samples=False))
    assert pg.model.n_components == 3
    frames = list(tab.run(pg, **{**CONTROLS, "k": 5}, show_samples=False))
    assert pg.model.n_components == 5 and len(pg.history) == len(frames)
    assert "K = 5" in frames[-1][2] and "Press Step" not in frames[-1][2]
    assert len(frames[-1][3]) == 5  # the parameter table shows the new fit


def test_step_continues_the_fit_while_the_controls_are_unchanged():
    pg = _with_preset()
    tab.step(pg, **CONTROLS, show_samples=False)
    model = pg.model
    tab.step(pg, **CONTROLS, show_samples=False)
    assert pg.model is model and len(pg.history) == 2
    tab.step(pg, **{**CONTROLS, "covariance_type": "diag"}, show_samples=False)
    assert pg.model is not model and len(pg.history) == 1


def test_restarts_list_one_row_per_seed():
    table, text = tab.restarts(_with_preset("uneven cluster sizes"), 5, "full", 0, "1e-6", 6)
    assert list(table.columns) == ["seed", "log-likelihood", "iterations", "converged"]
    assert len(table) == 6 and table["log-likelihood"].is_monotonic_decreasing
    assert "different optim" in text


def test_kde_comparison_shows_memorisation_at_tiny_bandwidth():
    pg = _with_preset()
    image, text = tab.compare_kde(pg, 3, "full", 0, "1e-6", 0.5)
    assert image.shape == (SIZE_PX, 2 * SIZE_PX, 3)
    assert "held-out" in text
    _, tiny = tab.compare_kde(pg, 3, "full", 0, "1e-6", 0.02)
    # with h = 0.02 the KDE wins on training points and loses on held-out points
    assert "**GMM**" in tiny


def test_kde_comparison_needs_enough_points():
    with pytest.raises(gr.Error, match="at least"):
        tab.compare_kde(tab.Playground(points=np.zeros((4, 2))), 3, "full", 0, "1e-6", 0.5)
