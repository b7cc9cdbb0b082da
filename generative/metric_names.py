"""Names of the measured figures in ``weights/manifest.json``: the benchmarks in ``bench/`` write them (through
``weights.update_metrics``), the tabs read them (through ``weights.training_record``)."""

from __future__ import annotations

FID = "fid_generated_vs_holdout"  # faces-gan, bench.faces
FID_FLOOR = "fid_train_vs_holdout_floor"  # faces-gan: FID of real training faces against the holdout
ZEBRA_SHARE = "classifier_zebra_share_g_testA"  # cyclegan: share of G(test horses) the classifier calls zebra
HORSE_SHARE = "classifier_horse_share_f_testB"  # cyclegan: share of F(test zebras) the classifier calls horse
TEST_NEG_ELBO = "test_neg_elbo_nats"  # VAEs, bench.vae
IWAE_NLL = "iwae_nll_nats"  # VAEs, bench.vae
EXACT_NLL = "test_nll_nats"  # pixelcnn-mnist and bernoulli-mnist: exact -log p(x) on the test set, their training scripts
BICUBIC = "bicubic"  # SR nets: the same figures for bicubic, measured in the same run
SR_SETS = ("Set5", "Set14", "B100")


def per_set(test_set: str, figure: str) -> str:
    """A super-resolution figure on one test set, e.g. ``per_set("Set5", "psnr") == "set5_psnr"``."""
    return f"{test_set.lower()}_{figure}"
