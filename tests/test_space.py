"""The repository as a Hugging Face Space: its configuration, its upload set, and the app started from that set
alone."""

import os
import subprocess
import sys

import numpy as np
from conftest import ROOT, start_app

from demo import space as deploy


def test_the_space_configuration_is_valid():
    assert deploy.config_problems() == []
    config = deploy.front_matter(ROOT / "README.md")
    assert config["sdk_version"] == deploy.pinned("gradio", ROOT / "requirements.txt")
    assert len(config["short_description"]) <= 60 and config["tags"] and config["license"] == "mit"


def test_configuration_mistakes_are_named(tmp_path):
    for name in ("LICENSE", "requirements.txt", "pyproject.toml"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "app.py").write_text("")
    readme = (ROOT / "README.md").read_text()
    bad = (
        readme.replace("sdk_version: 6.31.0", "sdk_version: 5.0.0")
        .replace('python_version: "3.11"', 'python_version: "3.9"')
        .replace("short_description: ", "short_description: " + "far too long " * 5)
        .replace("  - jax\n", "  - JAX\n")
    )
    (tmp_path / "README.md").write_text(bad)
    problems = " | ".join(deploy.config_problems(tmp_path))
    for expected in (
        "sdk_version '5.0.0' must equal the pinned gradio==6.31.0",
        "python_version '3.9'",
        "short_description must be text of 1 to 60",
        "tags must be a list of lower-case words",
    ):
        assert expected in problems
    (tmp_path / "README.md").write_text("# no front matter\n")
    assert "no YAML front matter" in deploy.config_problems(tmp_path)[0]


def test_dry_run_lists_every_file_offline():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "deploy_space.py"), "someone/mnist", "--dry-run"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 0, result.stderr
    for line in (
        "demo/app.py",
        "mnist_flax/weights/cnn.safetensors",
        "requirements.txt",
        "LICENSE",
        "Space configuration: ok",
        "dry run: nothing sent to someone/mnist",
    ):
        assert line in result.stdout
    assert "tests/" not in result.stdout and "scripts/" not in result.stdout and "bench/" not in result.stdout
    assert "demo/tabs/draw.py" in result.stdout and "mnist_flax/inputs/battery.py" in result.stdout


def test_the_app_starts_from_the_upload_set_alone(tmp_path, mnist, image_file):
    """A Space has only the uploaded files: the app must start from them and answer right."""
    from gradio_client import Client

    from mnist_flax.inputs import simulate_drawing

    space = tmp_path / "space"
    deploy.stage(space)
    assert {p.name for p in space.iterdir()} == {"README.md", "LICENSE", "requirements.txt", "demo", "mnist_flax"}
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("MNIST_DATA_DIR", "PYTHONPATH")},
        "HOME": str(tmp_path / "home"),
        "GRADIO_SERVER_NAME": "0.0.0.0",
    }
    app, url = start_app(space / "demo" / "app.py", env, tmp_path / "app.log")
    try:
        client = Client(url, verbose=False)
        drawing = simulate_drawing(mnist.test.images[0], np.random.default_rng(0), as_layer=True)
        sketch = image_file(drawing, "space_seven")
        assert client.predict(sketch, "cnn", api_name="/predict")["label"] == str(mnist.test.labels[0])
    finally:
        app.terminate()
        app.wait(timeout=30)
