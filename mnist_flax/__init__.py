"""mnist_flax: the five classic Keras MNIST tutorial models in Flax NNX, fast training, and pretrained weights."""

__version__ = "0.2.0"

from mnist_flax.xla_flags import prefer_eigen_convolutions

prefer_eigen_convolutions()  # before JAX starts its CPU backend: see xla_flags.py

from mnist_flax.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from mnist_flax.data import Mnist, MnistError, Split, load_mnist
from mnist_flax.evaluation import Evaluation, evaluate
from mnist_flax.prediction import Predictor, enable_compilation_cache, load_model
from mnist_flax.reader import BlankSketchError, Reading, SketchError, read, read_digit
from mnist_flax.recipe import Recipe
from mnist_flax.registry import MODELS, ModelEntry, get_model_entry
from mnist_flax.runs import Run
from mnist_flax.training import Progress, recipe_splits, train

__all__ = [
    "MODELS",
    "BlankSketchError",
    "CheckpointError",
    "Evaluation",
    "Mnist",
    "MnistError",
    "ModelEntry",
    "Predictor",
    "Progress",
    "Reading",
    "Recipe",
    "Run",
    "SketchError",
    "Split",
    "enable_compilation_cache",
    "evaluate",
    "get_model_entry",
    "load_checkpoint",
    "load_mnist",
    "load_model",
    "read",
    "read_digit",
    "recipe_splits",
    "save_checkpoint",
    "train",
]
