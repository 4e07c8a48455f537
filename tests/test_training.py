import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from mnist_flax import MODELS, Recipe, evaluate, recipe_splits, train, training
from mnist_flax.data import random_split
from mnist_flax.training import batch_order, device_epoch_order


def params_of(model):
    return jax.tree.leaves(nnx.state(model))


def test_cnn_learns_real_mnist_in_a_few_hundred_steps(mnist):
    # 600 steps land near 97.5% on every CPU tried; 300 steps gave 94.98% on an AVX2-only machine, so the
    # thresholds keep two points of margin below what a run reaches.
    model = MODELS["cnn"].build(0)
    recipe = Recipe(optimizer="adam", learning_rate=1e-3, batch_size=32)
    records = list(
        train(model, recipe, mnist.train_without_validation, mnist.validation, steps=600, eval_every=600, log_every=200)
    )
    assert [r.step for r in records] == [200, 400, 600]
    assert records[-1].val_accuracy > 0.95
    assert evaluate(model, mnist.test).accuracy > 0.95


@pytest.mark.parametrize("shuffle_on_device", [False, True])
def test_same_seed_same_run_other_seed_other_run(shuffle_on_device):
    split = random_split(256)
    recipe = MODELS["deep_cnn"].best.replace(batch_size=16)  # dropout and augmentation both draw randomness

    def run(seed):
        model = MODELS["deep_cnn"].build(seed)
        losses = [
            p.loss
            for p in train(model, recipe, split, steps=6, log_every=2, seed=seed, shuffle_on_device=shuffle_on_device)
        ]
        return losses, params_of(model)

    (la, pa), (lb, pb), (lc, _) = run(0), run(0), run(1)
    assert la == lb and all(np.array_equal(a, b) for a, b in zip(pa, pb))
    assert la != lc


def params_after(name, recipe, steps, **options):
    """The parameters of a fresh model after ``steps`` steps on synthetic data."""
    model = MODELS[name].build(0)
    list(train(model, recipe, random_split(256), steps=steps, **options))
    return params_of(model)


def assert_close(params_a, params_b, rtol, atol):
    for a, b in zip(params_a, params_b):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


@pytest.mark.parametrize("shuffle_on_device", [False, True])
def test_scan_and_per_step_calls_agree(shuffle_on_device):
    recipe = Recipe(batch_size=32, optimizer="adam", learning_rate=1e-3)
    # 8 steps per epoch: calls of 5 steps cross an epoch's end, and the last 2 steps run one at a time.
    assert_close(
        params_after("mlp", recipe, 12, steps_per_call=1, shuffle_on_device=shuffle_on_device),
        params_after("mlp", recipe, 12, steps_per_call=5, shuffle_on_device=shuffle_on_device),
        rtol=1e-5,
        atol=1e-6,
    )


def test_the_device_draws_the_batches_it_trains_on(monkeypatch):
    """The accelerators' path (order drawn in the compiled steps) forced on CPU: it trains exactly as the
    host's path fed with the same order does."""
    recipe = Recipe(batch_size=32, optimizer="adam", learning_rate=1e-3)
    on_device = params_after("mlp", recipe, 12, steps_per_call=5, shuffle_on_device=True)
    order_key = jax.random.fold_in(jax.random.key(0), 1)
    monkeypatch.setattr(
        training,
        "batch_order",
        lambda n, batch_size, steps, seed: np.concatenate(
            [device_epoch_order(order_key, jnp.int32(epoch), n, batch_size) for epoch in range(2)]
        )[:steps],
    )
    assert_close(
        on_device, params_after("mlp", recipe, 12, steps_per_call=5, shuffle_on_device=False), rtol=1e-6, atol=1e-7
    )


def test_progress_stream_and_clean_stop():
    model = MODELS["shallow_mlp"].build(0)
    before = [np.array(p) for p in params_of(model)]
    stream = train(
        model,
        Recipe(batch_size=32),
        random_split(256),
        random_split(64, 1),
        steps=40,
        log_every=10,
        eval_every=20,
        steps_per_call=5,
    )
    first_two = list(itertools.islice(stream, 2))
    stream.close()  # the caller stops between chunks
    assert [p.step for p in first_two] == [10, 20]
    assert first_two[0].val_accuracy is None and first_two[1].val_accuracy is not None
    assert first_two[1].epoch == pytest.approx(20 / 8)
    assert all(p.images_per_sec > 0 and np.isfinite(p.loss) for p in first_two)
    assert any(not np.array_equal(a, b) for a, b in zip(before, params_of(model)))  # kept what it learned


def test_divergence_raises_a_clear_error():
    model = MODELS["mlp"].build(0)
    with pytest.raises(FloatingPointError, match="diverged"):
        list(train(model, Recipe(learning_rate=1e12, batch_size=32), random_split(256), steps=30, log_every=10))


def test_evaluation_fields():
    split = random_split(300)
    ev = evaluate(MODELS["cnn"].build(0), split)
    assert ev.confusion.sum() == 300 and ev.confusion.shape == (10, 10)
    assert ev.accuracy == pytest.approx(np.trace(ev.confusion) / 300)
    assert len(ev.misclassified) == 300 - np.trace(ev.confusion)
    np.testing.assert_allclose(ev.probabilities.sum(1), 1, rtol=1e-5)
    present = np.bincount(split.labels, minlength=10) > 0
    np.testing.assert_allclose(
        ev.per_class_accuracy[present], np.diag(ev.confusion)[present] / ev.confusion.sum(1)[present]
    )
    assert (ev.probabilities.argmax(1)[ev.misclassified] != split.labels[ev.misclassified]).all()
    assert ev.loss > 0


def test_recipe_splits(mnist):
    entry = MODELS["vanilla_mlp"]
    train_split, val = recipe_splits(entry.tutorial, mnist)  # a third of train, then validation_split=0.3
    assert (len(train_split), len(val)) == (14_000, 6_000)
    np.testing.assert_array_equal(val.images, mnist.train.images[14_000:20_000])
    assert [len(s) for s in recipe_splits(MODELS["cnn"].tutorial, mnist)] == [50_000, 10_000]
    assert [len(s) for s in recipe_splits(MODELS["cnn"].best, mnist)] == [60_000, 10_000]


def test_batch_order_reshuffles_every_epoch():
    order = batch_order(10, 3, steps=6, seed=0)
    assert order.shape == (6, 3)
    first, second = order[:3].ravel(), order[3:].ravel()
    assert len(set(first)) == 9 and len(set(second)) == 9 and not np.array_equal(first, second)


def test_device_epoch_order_reshuffles_every_epoch():
    epochs = [np.asarray(device_epoch_order(jax.random.key(3), jnp.int32(e), 100, 32)) for e in range(10)]
    assert all(e.shape == (3, 32) and len(set(e.ravel())) == 96 and set(e.ravel()) <= set(range(100)) for e in epochs)
    assert len({tuple(e.ravel()) for e in epochs}) == 10  # 4 images left out, a fresh shuffle each epoch


def test_micro_batches_give_the_same_step():
    recipe = Recipe(batch_size=64, optimizer="sgd", learning_rate=0.1)
    assert_close(
        params_after("cnn", recipe, 3, micro_batches=1),
        params_after("cnn", recipe, 3, micro_batches=2),
        rtol=1e-4,
        atol=1e-5,
    )


def test_runs_differing_in_learning_rate_or_length_share_one_compilation():
    from mnist_flax.training import _compiled_steps

    split = random_split(256)
    before = _compiled_steps.cache_info().misses
    for lr, steps, log_every in ((1e-3, 40, 10), (1e-2, 60, 7), (3e-4, 80, 13)):
        list(
            train(
                MODELS["mlp"].build(0),
                Recipe(optimizer="momentum", learning_rate=lr, batch_size=16),
                split,
                steps=steps,
                log_every=log_every,
                steps_per_call=4,
            )
        )  # settings no other test compiles
    assert _compiled_steps.cache_info().misses - before == 2  # 4 steps in one scan, and single steps


def test_learning_rate_still_matters():
    finals = [params_after("mlp", Recipe(optimizer="sgd", learning_rate=lr, batch_size=32), 3) for lr in (0.0, 0.1)]
    before = params_of(MODELS["mlp"].build(0))
    assert all(np.array_equal(a, b) for a, b in zip(finals[0], before))
    assert not all(np.array_equal(a, b) for a, b in zip(finals[1], before))


def test_records_fall_on_call_boundaries():
    records = list(
        train(MODELS["mlp"].build(0), Recipe(batch_size=32), random_split(256), steps=23, log_every=3, steps_per_call=5)
    )
    assert [r.step for r in records] == [5, 10, 15, 20, 23]  # the last 3 steps run one at a time
