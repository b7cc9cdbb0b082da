"""Draw the family tree of the app's generative models, each leaf naming its tab: assets/family_tree.png.

    python -m bench.family_tree
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

OUT = Path(__file__).resolve().parents[1] / "assets" / "family_tree.png"
# (label, x, y, parent index or None, is a leaf); leaves end with the tab that shows them.
NODES = [
    ("Generative models\n(maximum likelihood or not)", 0.50, 0.90, None, False),
    ("Explicit density p(x)", 0.30, 0.66, 0, False),
    ("Implicit density\n(samples only)", 0.80, 0.66, 0, False),
    ("Tractable", 0.15, 0.42, 1, False),
    ("Approximate", 0.45, 0.42, 1, False),
    ("Gaussian mixture,\nKDE\n→ GMM playground", 0.075, 0.14, 3, True),
    ("Mixture of\nBernoullis → table\nin the Autoregressive\ntab", 0.215, 0.14, 3, True),
    ("FVBN: PixelCNN\n→ Autoregressive\n(PixelCNN)", 0.36, 0.14, 3, True),
    ("VAE\n→ VAE latent slider", 0.50, 0.14, 4, True),
    ("GAN\n→ GAN lab (2-D),\nThis person\ndoes not exist", 0.66, 0.14, 2, True),
    ("CycleGAN\n→ Horse to zebra", 0.80, 0.14, 2, True),
    ("SR GAN\n→ 2x super-\nresolution", 0.93, 0.14, 2, True),
]


def draw(path: Path = OUT) -> Path:
    """Render the tree to ``path`` (PNG)."""
    fig = Figure(figsize=(11, 4.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    for label, x, y, parent, _ in NODES:
        if parent is not None:
            px, py = NODES[parent][1], NODES[parent][2]
            ax.plot([px, px, x, x], [py - 0.07, (py + y) / 2, (py + y) / 2, y + 0.07], color="#8890b5", lw=1.2)
    for label, x, y, _, leaf in NODES:
        colour = "#e8ecfb" if leaf else "#c7d0f5"
        ax.text(x, y, label, ha="center", va="center", fontsize=8.5 if leaf else 10,
                bbox={"boxstyle": "round,pad=0.4", "facecolor": colour, "edgecolor": "#4f5b93"})
    fig.savefig(path)
    return path


if __name__ == "__main__":
    print(f"wrote {draw()}")
