"""Plot the two training campaigns against their goals from the recorded results (no model is run).

    python -m bench.campaign_curves

``docs/faces-fid-curve.png``: the FID_1k rows of the face GAN's learning curves (the run the shipped generator
comes from), by recipe, with the goal and the real-vs-real floor of ``bench.faces``. ``docs/cyclegan-trials.png``:
the ``bench.cyclegan`` scores of the shipped weights and of each scored checkpoint of the colour runs, by step.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bench.common import RESULTS
from generative.metric_names import HORSE_SHARE, ZEBRA_SHARE
from generative.weights import read_manifest

DOCS = Path(__file__).resolve().parents[1] / "docs"
FACE_CURVES = ("train-faces-gan.csv", "train-faces-gan-trial-sg2.csv")  # the shipped generator's lineage
FID_GOAL = 39.0
# scored checkpoints of the colour runs: trial-cyclegan-resize-reflect-colour[-<run>]-<step>.json, and of the trials
# with F kept: trial-cyclegan-keepf[-<more of its name>]-<step>.json
TRIAL = re.compile(r"trial-cyclegan-(?:resize-reflect-colour(?:-(?P<run>[a-z]\w*))?|(?P<trial>keepf[a-z0-9-]*?))"
                   r"-(?P<step>\d+)\.json")
CYCLEGAN_GOALS = {"zebra": 0.90, "horse": 0.90, "cycle": 15.0, "kid_g": 60.0, "kid_f": 120.0}


def fid_rows(results: Path = RESULTS) -> dict[str, list[tuple[int, float]]]:
    """(step, FID) of every FID row in the face GAN's learning curves, by the row's recipe label."""
    rows: dict[str, list[tuple[int, float]]] = {}
    for name in FACE_CURVES:
        with open(results / name, newline="") as file:
            for row in csv.DictReader(file):
                if row["fid"]:
                    rows.setdefault(row["recipe"], []).append((int(row["step"]), float(row["fid"])))
    return rows


def cyclegan_scores(results: Path = RESULTS) -> dict[str, list[tuple[int, dict]]]:
    """The ``bench.cyclegan`` figures of each scored colour-run checkpoint, by run ("first", the file's run name, or
    the keep-f trial's name), sorted by step."""
    runs: dict[str, list[tuple[int, dict]]] = {}
    for path in sorted(results.glob("trial-cyclegan-*.json")):
        match = TRIAL.fullmatch(path.name)
        if match:
            run = match["run"] or match["trial"] or "first"
            runs.setdefault(run, []).append((int(match["step"]), figures(path)))
    return {run: sorted(points, key=lambda point: point[0]) for run, points in runs.items()}


def figures(path: Path) -> dict:
    """The figures the goals name, from one ``bench.cyclegan`` JSON record."""
    record = json.loads(path.read_text())
    return {"zebra": record[ZEBRA_SHARE], "horse": record[HORSE_SHARE],
            "cycle": record["cycle_error_testA_grey_levels"],
            "kid_g": record["distances"]["g_testA_vs_testB"]["kid_x1e3"],
            "kid_f": record["distances"]["f_testB_vs_testA"]["kid_x1e3"]}


def plot_faces(path: Path, results: Path = RESULTS) -> Path:
    """FID_1k against training steps, with the goal and the floor."""
    floor = json.loads((results / "faces.json").read_text())["fid_train_vs_holdout_floor"]
    fig = Figure(figsize=(8, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for recipe, points in fid_rows(results).items():
        steps, fids = zip(*points)
        ax.plot(steps, fids, "o-" if "slow" not in recipe else "s--", ms=3, lw=1, label=recipe)
    ax.axhline(FID_GOAL, color="green", lw=1, ls=":", label=f"goal {FID_GOAL:g}")
    ax.axhline(floor, color="grey", lw=1, ls=":", label=f"floor (train vs holdout) {floor:g}")
    ax.set(xlabel="generator steps", ylabel="FID_1k vs holdout (lower is better)",
           title="Face GAN: FID rows of the learning curves")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_cyclegan(path: Path, results: Path = RESULTS) -> Path:
    """Zebra and horse shares, cycle error and KIDs of the scored checkpoints, and the shipped weights' (stars)."""
    shipped = figures(results / "cyclegan.json")
    shipped_step = read_manifest()["cyclegan-horse2zebra"]["trained_steps"]
    panels = (("classifier share", ("zebra", "horse")), ("cycle error (grey levels)", ("cycle",)),
              ("KID x 10^3", ("kid_g", "kid_f")))
    fig = Figure(figsize=(12, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3)
    for ax, (title, keys) in zip(axes, panels):
        for run, points in cyclegan_scores(results).items():
            steps = [step for step, _ in points]
            for key in keys:
                ax.plot(steps, [value[key] for _, value in points], "o-", ms=3, lw=1, label=f"{key}, {run} run")
        for key in keys:
            ax.axhline(CYCLEGAN_GOALS[key], lw=1, ls=":", color="green")
            ax.plot([shipped_step], [shipped[key]], "*", ms=9, label=f"{key}: shipped {shipped[key]:g}, "
                                                                   f"goal {CYCLEGAN_GOALS[key]:g}")
        ax.set(title=title, xlabel="iterations")
        ax.legend(fontsize=6)
    fig.suptitle("CycleGAN colour runs, scored by bench.cyclegan (dotted: goals)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    return path


def main() -> None:
    """Write both figures."""
    DOCS.mkdir(exist_ok=True)
    for written in (plot_faces(DOCS / "faces-fid-curve.png"), plot_cyclegan(DOCS / "cyclegan-trials.png")):
        print(f"wrote {written}")


if __name__ == "__main__":
    main()
