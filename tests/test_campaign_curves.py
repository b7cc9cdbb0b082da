"""The campaign figures read every recorded score and separate the runs."""

from __future__ import annotations

import json
import shutil

from PIL import Image

from bench import campaign_curves
from bench.common import RESULTS


def test_the_figures_hold_each_scored_checkpoint_by_run(tmp_path):
    for name in (*campaign_curves.FACE_CURVES, "faces.json", "cyclegan.json"):
        shutil.copy(RESULTS / name, tmp_path / name)
    record = json.loads((RESULTS / "cyclegan.json").read_text())
    for name in ("trial-cyclegan-resize-reflect-colour-41000.json", "trial-cyclegan-resize-reflect-colour-r2-38000.json",
                 "trial-cyclegan-resize-reflect-colour-r2-36000.json", "trial-cyclegan-resize-reflect-40000.json",
                 "trial-cyclegan-keepf-r2-46000.json", "trial-cyclegan-keepf-r2-c14-anchor-48500.json",
                 "trial-cyclegan-keepf-r2-46000-artefacts.json"):
        (tmp_path / name).write_text(json.dumps(record))
    runs = campaign_curves.cyclegan_scores(tmp_path)
    assert {run: [step for step, _ in points] for run, points in runs.items()} == {
        "first": [41000], "r2": [36000, 38000], "keepf-r2": [46000], "keepf-r2-c14-anchor": [48500]}
    assert runs["r2"][0][1]["cycle"] == record["cycle_error_testA_grey_levels"]
    fids = campaign_curves.fid_rows(tmp_path)
    assert "sg2-slow (slow EMA)" in fids and all(fid > 0 for points in fids.values() for _, fid in points)
    for plot in (campaign_curves.plot_faces, campaign_curves.plot_cyclegan):
        path = plot(tmp_path / f"{plot.__name__}.png", tmp_path)
        assert Image.open(path).size[0] >= 800
