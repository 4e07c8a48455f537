"""mnist_flax: the five classic Keras MNIST tutorial models in Flax NNX, fast training, and pretrained weights."""
__version__ = "0.1.0"

from mnist_flax.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from mnist_flax.data import Mnist, MnistError, Split, load_mnist
from mnist_flax.prediction import Predictor, load_model
from mnist_flax.registry import MODELS, ModelEntry, Recipe, get_model_entry
from mnist_flax.training import Evaluation, Progress, evaluate, recipe_splits, train

__all__ = [
    "MODELS", "CheckpointError", "Evaluation", "Mnist", "MnistError", "ModelEntry", "Predictor", "Progress",
    "Recipe", "Split", "evaluate", "get_model_entry", "load_checkpoint", "load_mnist", "load_model",
    "recipe_splits", "save_checkpoint", "train",
]
