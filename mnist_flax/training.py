"""Fast, reproducible training.

The hot loop is a jit-compiled function that runs ``steps_per_call`` optimiser steps
in one ``lax.scan`` over pure arrays (``nnx.split``/``nnx.merge`` happen at trace
time only), with the data set resident on the device(s). Each epoch's order is drawn by the
host (numpy) and sent per call as a small array of batch indices, or, on accelerators, drawn
on the device, so that a call needs nothing from the host. ``train`` is a generator of ``Progress``
records between calls, so a caller can print, plot or stop between chunks; the
model is updated in place at every record, so stopping keeps what was learned.
All local devices are used with data-parallel sharding: parameters replicated,
each batch split along the ``data`` mesh axis.
"""

import dataclasses
import functools
import time
from collections.abc import Callable, Iterator

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from mnist_flax.augment import augment
from mnist_flax.data import Mnist, Split
from mnist_flax.evaluation import evaluate
from mnist_flax.forward import network_input
from mnist_flax.recipe import Recipe


@dataclasses.dataclass(frozen=True)
class Progress:
    step: int
    total_steps: int
    epoch: float
    loss: float  # mean training loss over the steps since the last record
    accuracy: float  # mean training accuracy over the same steps
    elapsed: float  # seconds since training started, compilation included
    images_per_sec: float  # over the steps since the last record
    val_loss: float | None = None
    val_accuracy: float | None = None
    learning_rate: float | None = None  # the rate set for these steps (a cosine schedule's peak)

    def as_dict(self):
        return dataclasses.asdict(self)


def recipe_splits(recipe: Recipe, data: Mnist) -> tuple[Split, Split]:
    """The (train, validation) pair a recipe trains on."""
    if recipe.split == "tutorial":
        return data.train_without_validation, data.validation
    if recipe.split == "all":
        return data.train, data.test
    if recipe.split == "third":  # one third of train, then Keras's validation_split=0.3 (the last 30%)
        third = data.train[: len(data.train) // 3]
        cut = int(len(third) * 0.7)
        return third[:cut], third[cut:]
    raise AssertionError(recipe.split)  # Recipe checks its split against recipe.SPLITS


def make_optimizer(recipe: Recipe, total_steps: int) -> optax.GradientTransformation:
    """The recipe's optax optimiser. Its learning rate (a cosine schedule's peak, which then scales
    the schedule's shape) is kept in the optimiser's state (``inject_hyperparams``): runs that differ
    only in it share one compiled step, and ``set_learning_rate`` changes it while a run goes."""
    optimizer = {
        "sgd": lambda learning_rate: optax.sgd(learning_rate),
        "momentum": lambda learning_rate: optax.sgd(learning_rate, momentum=0.9, nesterov=True),
        "rmsprop": lambda learning_rate: optax.rmsprop(learning_rate, decay=0.9, eps=1e-7),  # Keras's defaults
        "adam": lambda learning_rate: optax.adam(learning_rate),
        "adamw": lambda learning_rate: optax.adamw(learning_rate, weight_decay=recipe.weight_decay),
    }[recipe.optimizer]  # one entry per name in recipe.OPTIMIZERS
    if recipe.schedule == "cosine":  # each optimiser's update is linear in its rate: scale the shape after it
        shape = optax.warmup_cosine_decay_schedule(0.0, 1.0, min(1000, total_steps // 20 + 1), max(total_steps, 2))
        return optax.inject_hyperparams(
            lambda learning_rate: optax.chain(optimizer(shape), optax.scale(learning_rate))
        )(learning_rate=recipe.learning_rate)
    return optax.inject_hyperparams(optimizer)(learning_rate=recipe.learning_rate)


def set_learning_rate(opt_state, learning_rate):
    """``make_optimizer``'s state with another learning rate, for the steps that follow."""
    return optax.tree_utils.tree_set(opt_state, learning_rate=learning_rate)


def _compilation_key(recipe: Recipe, total_steps: int) -> tuple[Recipe, int]:
    """What the compiled steps depend on: never the rate; a constant schedule not the length either."""
    if recipe.schedule == "constant":
        return recipe.replace(learning_rate=0.0, epochs=1), 0
    return recipe.replace(learning_rate=0.0), total_steps


def _mesh():
    return jax.make_mesh((jax.device_count(),), ("data",), axis_types=(jax.sharding.AxisType.Auto,))


@functools.lru_cache(maxsize=64)
def _compiled_steps(graphdef, recipe: Recipe, total_steps: int, mesh, steps_per_call: int, micro_batches: int):
    """One jitted function per architecture, recipe (see ``_compilation_key``) and chunk length,
    shared by every run.

    With ``micro_batches`` > 1 each batch's gradient is the mean of that many equal slices'
    gradients, unrolled in the same program: identical maths, and on CPU XLA's convolutions
    run faster per image on 32 images than on 128 (docs/speed.md).
    """
    tx = make_optimizer(recipe, total_steps)
    batch_sharding = NamedSharding(mesh, P("data"))

    def loss_fn(params, x, y, key):
        logits = nnx.merge(graphdef, params)(x, dropout_key=key)
        targets = optax.smooth_labels(jax.nn.one_hot(y, 10), recipe.label_smoothing)
        loss = optax.softmax_cross_entropy(logits, targets).mean()
        return loss, (jnp.argmax(logits, -1) == y).mean()

    def step(carry, idx, images, labels):
        params, opt_state, key, steps_done = carry
        key, k_drop, k_aug = jax.random.split(key, 3)
        x = network_input(images[idx], recipe.raw_pixels)
        if recipe.augment:
            x = augment(k_aug, x)
        x = jax.lax.with_sharding_constraint(x, batch_sharding)
        y = jax.lax.with_sharding_constraint(labels[idx], batch_sharding)
        parts = [
            jax.value_and_grad(loss_fn, has_aux=True)(params, *xyk)
            for xyk in zip(
                jnp.split(x, micro_batches), jnp.split(y, micro_batches), jax.random.split(k_drop, micro_batches)
            )
        ]
        (loss, acc), grads = jax.tree.map(lambda *a: sum(a) / micro_batches, *parts)
        with jax.numpy_dtype_promotion("standard"):  # optax's bias correction mixes float ** int32
            updates, opt_state = tx.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state, key, steps_done + 1), jnp.stack([loss, acc])

    def steps(carry, images, labels, order):
        """``order``: the host's batch indices for this call, (steps_per_call, batch), or a tuple of the
        device-drawn orders (``device_epoch_order``) of the epochs the call spans, from whose first step on
        (the steps done, the carry's last entry) it takes this call's batches."""
        batch_indices = order
        if isinstance(order, tuple):
            batch_indices = jax.lax.dynamic_slice_in_dim(
                jnp.concatenate(order), carry[-1] % len(order[0]), steps_per_call
            )
        if steps_per_call == 1:
            carry, metrics = step(carry, batch_indices[0], images, labels)
            return carry, metrics[None]
        return jax.lax.scan(lambda c, i: step(c, i, images, labels), carry, batch_indices)

    return jax.jit(steps, donate_argnums=0, out_shardings=NamedSharding(mesh, P()))  # replicated: readable anywhere


def _conv_on_cpu(model: nnx.Module) -> bool:
    return jax.default_backend() == "cpu" and any(isinstance(m, nnx.Conv) for _, m in nnx.iter_modules(model))


def default_steps_per_call(model: nnx.Module) -> int:
    """Many steps in one ``lax.scan``, which saves a host round trip per step (on a GPU too), except for
    conv nets on CPU, whose steps ran many times slower inside a scan (docs/speed.md, CPU and GPU)."""
    return 1 if _conv_on_cpu(model) else 50


def default_shuffle_on_device() -> bool:
    """Accelerators draw each epoch's order themselves, so that a call needs nothing from the host. The
    CPU keeps the host's order (numpy): level in speed there (docs/speed.md), and the one every CPU
    figure in docs/ was measured with, so that they reproduce exactly."""
    return jax.default_backend() != "cpu"


def default_micro_batches(model: nnx.Module, batch_size: int) -> int:
    """Conv nets on CPU compute large batches' gradients in slices of 32 (see ``_compiled_steps``)."""
    return batch_size // 32 if _conv_on_cpu(model) and batch_size > 32 and batch_size % 32 == 0 else 1


def _feeder(sharding):
    """Batch indices as the compiled steps take them: the numpy array itself in one process; across
    processes a global array of which each process transfers only its own devices' slice."""
    if jax.process_count() == 1:
        return lambda chunk: chunk
    return lambda chunk: jax.make_array_from_callback(chunk.shape, sharding, lambda index: chunk[index])


def _local_copy(x: jax.Array) -> jax.Array:
    """This process's copy of a replicated global array, which it can evaluate on by itself."""
    return x.addressable_data(0)


def _on_host(x: jax.Array) -> np.ndarray:
    return np.asarray(_local_copy(x))


def batch_order(n: int, batch_size: int, steps: int, seed: int) -> np.ndarray:
    """Batch indices for ``steps`` steps: a fresh shuffle each epoch, the remainder dropped."""
    per_epoch = n // batch_size
    if per_epoch == 0:
        raise ValueError(f"batch size {batch_size} is larger than the {n} training images")
    rng = np.random.default_rng(seed)
    epochs = -(-steps // per_epoch)
    order = [rng.permutation(n)[: per_epoch * batch_size] for _ in range(epochs)]
    return np.concatenate(order).reshape(-1, batch_size)[:steps].astype(np.int32)


def device_epoch_order(key: jax.Array, epoch: jax.Array, n: int, batch_size: int) -> jax.Array:
    """One epoch of ``batch_order`` drawn on the device, (n // batch_size, batch_size): a fresh
    permutation keyed by the epoch's number, the remainder dropped."""
    per_epoch = n // batch_size
    return jax.random.permutation(jax.random.fold_in(key, epoch), n)[: per_epoch * batch_size].reshape(
        per_epoch, batch_size
    )


@functools.lru_cache(maxsize=16)
def _epoch_order_drawer(n: int, batch_size: int, sharding):
    return jax.jit(lambda key, epoch: device_epoch_order(key, epoch, n, batch_size), out_shardings=sharding)


def train(
    model: nnx.Module,
    recipe: Recipe,
    train_split: Split,
    validation: Split | None = None,
    *,
    seed: int = 0,
    steps: int | None = None,
    log_every: int = 100,
    eval_every: int | None = None,
    steps_per_call: int | None = None,
    micro_batches: int | None = None,
    shuffle_on_device: bool | None = None,
    learning_rate: Callable[[], float] | None = None,
) -> Iterator[Progress]:
    """Trains ``model`` in place, yielding a ``Progress`` every ``log_every`` steps.

    ``steps`` defaults to the recipe's epochs. Validation runs every ``eval_every``
    steps (default: once per epoch) and at the end. ``steps_per_call`` (default:
    ``default_steps_per_call``) is how many steps one compiled call runs; ``micro_batches``
    (default: ``default_micro_batches``) how many slices each batch's gradient is computed in;
    ``shuffle_on_device`` (default: ``default_shuffle_on_device``) whether the device draws the order.
    ``learning_rate``, when given, is asked before each record's steps for the rate to use (the app's
    Train tab changes it while a run goes); otherwise the recipe's rate holds.
    """
    mesh = _mesh()
    if recipe.batch_size % mesh.size:
        raise ValueError(f"batch size {recipe.batch_size} must be a multiple of the {mesh.size} devices")
    steps_per_epoch = len(train_split) // recipe.batch_size
    total = steps or recipe.epochs * steps_per_epoch
    eval_every = eval_every or steps_per_epoch
    steps_per_call = steps_per_call or default_steps_per_call(model)
    # Records and validation fall on call boundaries: windows shorter than a call would run as single steps.
    log_every, eval_every = (-(-every // steps_per_call) * steps_per_call for every in (log_every, eval_every))
    graphdef, params = nnx.split(model)
    micro_batches = micro_batches or default_micro_batches(model, recipe.batch_size)
    if recipe.batch_size % (micro_batches * mesh.size):
        raise ValueError(f"batch size {recipe.batch_size} must split into {micro_batches} equal slices per device")
    if shuffle_on_device is None:
        shuffle_on_device = default_shuffle_on_device()
    tx = make_optimizer(recipe, total)
    # Calls of exactly steps_per_call steps, and single steps for remainders: two shapes to compile.
    run_steps = {
        k: _compiled_steps(graphdef, *_compilation_key(recipe, total), mesh, k, micro_batches)
        for k in {1, steps_per_call}
    }
    replicated = NamedSharding(mesh, P())
    # Every process holds the whole (small) data set and the same order, and feeds its own slice of each batch.
    # (From host values: across processes device_put takes numpy arrays, the same in every process.)
    images, labels = jax.device_put((train_split.images, train_split.labels), replicated)
    # The training key (dropout, augmentation) and, apart from it, the key of the device's order.
    key, order_key = jax.jit(
        lambda: (jax.random.key(seed), jax.random.fold_in(jax.random.key(seed), 1)), out_shardings=replicated
    )()
    carry = (
        *jax.device_put(jax.tree.map(np.asarray, (params, tx.init(params))), replicated),
        key,
        jax.device_put(np.int32(0), replicated),
    )  # last: the steps done, where the device's order goes on
    if shuffle_on_device:  # every epoch's order drawn on the device up front (asynchronously)
        draw = _epoch_order_drawer(len(train_split), recipe.batch_size, replicated)
        epoch_orders = [
            draw(order_key, jax.device_put(np.int32(epoch), replicated))
            for epoch in range(-(-total // steps_per_epoch))
        ]
    else:
        order = batch_order(len(train_split), recipe.batch_size, total, seed)
        feed = _feeder(NamedSharding(mesh, P(None, "data")))

    def order_for(first: int, k: int):
        """What the call of steps ``first`` to ``first + k - 1`` takes: the epoch orders it may span (as many as
        any call of k steps spans, so one program serves every call; beyond the last epoch, the last again)
        or the host's batch indices."""
        if not shuffle_on_device:
            return feed(order[first : first + k])
        epoch = first // steps_per_epoch
        spanned = 1 + -(-(k - 1) // steps_per_epoch)
        return tuple(epoch_orders[min(e, len(epoch_orders) - 1)] for e in range(epoch, epoch + spanned))

    start = time.perf_counter()
    done = 0
    next_eval = eval_every
    rate = recipe.learning_rate
    while done < total:
        if learning_rate is not None and learning_rate() != rate:
            rate = float(learning_rate())
            carry = (carry[0], set_learning_rate(carry[1], jax.device_put(np.float32(rate), replicated)), *carry[2:])
        n = min(log_every, total - done, next_eval - done)
        tick = time.perf_counter()
        metrics = []
        i = done
        while i < done + n:
            k = steps_per_call if done + n - i >= steps_per_call else 1
            carry, m = run_steps[k](carry, images, labels, order_for(i, k))
            metrics.append(m)
            i += k
        losses, accs = np.concatenate([_on_host(m) for m in metrics]).T  # waits for the steps
        done += n
        nnx.update(model, carry[0] if jax.process_count() == 1 else jax.tree.map(_local_copy, carry[0]))
        if not np.isfinite(losses).all():
            raise FloatingPointError(
                f"the loss became {losses[~np.isfinite(losses)][0]} by step {done}: "
                "training diverged (is the learning rate too high?)"
            )
        record = dict(
            step=done,
            total_steps=total,
            epoch=done / steps_per_epoch,
            loss=float(losses.mean()),
            accuracy=float(accs.mean()),
            elapsed=time.perf_counter() - start,
            images_per_sec=n * recipe.batch_size / (time.perf_counter() - tick),
            learning_rate=rate,
        )
        if validation is not None and (done >= next_eval or done == total):
            ev = evaluate(model, validation, raw_pixels=recipe.raw_pixels)
            record.update(val_loss=ev.loss, val_accuracy=ev.accuracy)
        if done >= next_eval:
            next_eval += eval_every
        yield Progress(**record)
