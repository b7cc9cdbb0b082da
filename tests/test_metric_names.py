"""The metric names the benchmarks write and the tabs read are the names in the shipped manifest."""

from __future__ import annotations

import pytest

import generative
from generative import metric_names as names
from generative.weights import training_record

EXPECTED = {
    "faces-gan": [names.FID, names.FID_FLOOR],
    "cyclegan-horse2zebra": [names.ZEBRA_SHARE, names.HORSE_SHARE],
    "vae-mnist": [names.TEST_NEG_ELBO, names.IWAE_NLL],
    "sr-x2-psnr": [names.per_set(s, "psnr") for s in names.SR_SETS] + [names.BICUBIC],
}


@pytest.mark.parametrize("model", sorted(EXPECTED))
def test_every_name_a_tab_reads_is_in_the_manifest(model):
    if model not in generative.available():
        pytest.skip(f"{model} is not shipped")
    _, metrics = training_record(model)
    assert [n for n in EXPECTED[model] if n not in metrics] == []


def test_per_set_names():
    assert names.per_set("Set14", "ssim") == "set14_ssim"
