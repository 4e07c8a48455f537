"""The tutorials' figures with matplotlib: learning curves, misclassified digits, confusion matrix."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def per_epoch(history: list[dict]) -> list[dict]:
    """Training records averaged per epoch (as the tutorials plot them) for runs of 3+ epochs;
    validation is kept where it was measured."""
    if not history or history[-1]["epoch"] < 3:
        return history
    epochs = np.ceil(np.array([h["epoch"] for h in history]) - 1e-9)
    out = []
    for e in np.unique(epochs):
        group = [h for h, he in zip(history, epochs) if he == e]
        val = [h for h in group if h.get("val_accuracy") is not None]
        out.append(
            {
                "epoch": float(e),
                "loss": float(np.mean([h["loss"] for h in group])),
                "accuracy": float(np.mean([h["accuracy"] for h in group])),
                "val_loss": val[-1]["val_loss"] if val else None,
                "val_accuracy": val[-1]["val_accuracy"] if val else None,
            }
        )
    return out


def learning_curves(histories: dict[str, list[dict]], title: str = ""):
    """Loss (left axis) and accuracy (right axis) against epochs, train solid, validation dashed.

    ``histories`` maps a label (a recipe name) to its list of ``Progress.as_dict()`` records.
    """
    fig, ax_loss = plt.subplots(figsize=(8, 4.5))
    ax_acc = ax_loss.twinx()
    for (label, history), color in zip(histories.items(), plt.rcParams["axes.prop_cycle"].by_key()["color"]):
        history = per_epoch(history)
        epochs = [h["epoch"] for h in history]
        ax_loss.plot(epochs, [h["loss"] for h in history], ":", color=color, label=f"{label} train loss")
        ax_acc.plot(epochs, [h["accuracy"] for h in history], color=color, label=f"{label} train acc")
        val = [h for h in history if h.get("val_accuracy") is not None]
        if val:
            ax_loss.plot(
                [h["epoch"] for h in val],
                [h["val_loss"] for h in val],
                "-.",
                color=color,
                alpha=0.6,
                label=f"{label} val loss",
            )
            ax_acc.plot(
                [h["epoch"] for h in val], [h["val_accuracy"] for h in val], "--", color=color, label=f"{label} val acc"
            )
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss (dotted)")
    ax_acc.set_ylabel("accuracy (solid, dashed)")
    handles = ax_loss.get_legend_handles_labels()[0] + ax_acc.get_legend_handles_labels()[0]
    ax_acc.legend(handles, [h.get_label() for h in handles], fontsize=7, loc="center right")
    ax_loss.set_title(title)
    fig.tight_layout()
    return fig


def misclassified_grid(images, labels, predicted, indices, n: int = 25):
    """A 5x5 grid of misclassified digits titled "R: true P: predicted", as in the tutorials."""
    indices = np.asarray(indices)[:n]
    fig, axes = plt.subplots(5, 5, figsize=(7, 7.5))
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, indices):
        ax.imshow(images[i], cmap="gray_r")
        ax.set_title(f"R: {labels[i]} P: {predicted[i]}", fontsize=9)
    fig.tight_layout()
    return fig


def confusion_matrix(confusion, title: str = ""):
    """Counts on a log colour scale; each count is written in white on dark cells, black on light ones."""
    fig, ax = plt.subplots(figsize=(5.5, 5))
    shade = np.log1p(confusion) / max(float(np.log1p(confusion).max()), 1e-12)  # 0..1, as imshow normalises
    ax.imshow(shade, cmap="Blues", vmin=0, vmax=1)
    for (i, j), v in np.ndenumerate(confusion):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=7, color=text_colour(shade[i, j]))
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def text_colour(shade: float) -> str:
    """Readable text on a cell of the "Blues" map at ``shade`` (0..1): white once the blue is dark."""
    return "white" if shade > 0.5 else "black"


def per_class_accuracy(accuracy, title: str = ""):
    fig, ax = plt.subplots(figsize=(5.5, 3))
    ax.bar(range(10), 100 * np.asarray(accuracy), color="tab:blue")
    ax.set_xticks(range(10))
    ax.set_xlabel("digit")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(max(0.0, 100 * float(np.nanmin(accuracy)) - 2), 100)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def reliability_diagram(curves: dict, title: str = ""):
    """Accuracy against confidence per bin, one line per ``calibration.Reliability`` in ``curves``
    (label -> reliability); on the diagonal, a probability means what it says."""
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfectly calibrated")
    for label, r in curves.items():
        used = r.count > 0
        ax.plot(
            r.confidence[used], r.accuracy[used], marker="o", label=f"{label} (ECE {r.expected_calibration_error:.2%})"
        )
    ax.set_xlabel("confidence (top probability)")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def save(fig, path):
    fig.savefig(path, dpi=100)
    plt.close(fig)
