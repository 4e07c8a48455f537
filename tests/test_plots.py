"""The figures say what they show: readable counts on every cell of a confusion matrix."""

import numpy as np

from mnist_flax import plots


def test_confusion_counts_follow_the_cells_shade():
    confusion = np.zeros((10, 10), np.int64)
    confusion[:, 1] = 1000  # the vanilla MLP's failure: every digit predicted as 1
    confusion[1, 1] = 1135
    fig = plots.confusion_matrix(confusion)
    colours = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_color() for t in fig.axes[0].texts}
    assert colours[(0, 1)] == "white" and colours[(1, 1)] == "white"  # dark cells off the diagonal too
    assert colours[(0, 0)] == "black" and colours[(5, 7)] == "black"  # empty cells
    plots.plt.close(fig)
