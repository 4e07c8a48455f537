"""Share the demo as a Hugging Face Space: one command.

    python scripts/deploy_space.py USER/SPACE_NAME            # create the Space if needed, upload, print its URL
    python scripts/deploy_space.py USER/SPACE_NAME --dry-run  # offline: the files that would go, and the config check
    python scripts/deploy_space.py --stage DIR                # offline: copy exactly the upload set into DIR

The Space gets exactly ``SPACE_FILES`` (the app, the library, its bundled weights, the
requirements the Space installs, README.md with the Space configuration, LICENSE)
through huggingface_hub's upload API, which stores the binary files the way the Hub
requires (its large-file storage). The token is read the usual way: $HF_TOKEN, or a
prior `hf auth login`. Before anything goes, the README's front matter is checked
against the Spaces configuration reference and the pinned requirements.
"""

import argparse
import re
import shutil
import sys
import tempfile
import tomllib
from pathlib import Path

import yaml
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
SPACE_FILES = (
    "README.md",
    "LICENSE",
    "requirements.txt",
    "demo/**/*.py",
    "demo/*.js",
    "mnist_flax/**/*.py",
    "mnist_flax/weights/*.safetensors",
)
COLOURS = {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}
LICENSES = {"mit", "apache-2.0", "bsd-3-clause", "gpl-3.0", "cc-by-4.0", "cc-by-sa-3.0", "cc-by-sa-4.0", "other"}
MAX_SHORT_DESCRIPTION = 60


def upload_set(root: Path = ROOT) -> list[Path]:
    """The files a Space needs, relative to ``root``, in a stable order."""
    files = sorted({p.relative_to(root) for pattern in SPACE_FILES for p in root.glob(pattern) if p.is_file()})
    if not files:
        raise SystemExit(f"nothing to upload under {root}")
    return files


def front_matter(readme: Path) -> dict:
    match = re.match(r"---\n(.*?)\n---\n", readme.read_text(encoding="utf-8"), re.S)
    if not match:
        raise ValueError(f"{readme} has no YAML front matter (--- ... ---) at its top: the Space needs one")
    config = yaml.safe_load(match.group(1))
    if not isinstance(config, dict):
        raise ValueError(f"{readme}'s front matter is not a YAML mapping")
    return config


def pinned(requirement: str, requirements: Path) -> str | None:
    for line in requirements.read_text().splitlines():
        name, _, version = line.split("#")[0].strip().partition("==")
        if name.split("[")[0].strip().lower() == requirement:  # gradio[mcp]==6.31.0 pins gradio
            return version.strip()
    return None


def config_problems(root: Path = ROOT) -> list[str]:
    """What in the Space configuration (README front matter) would break or mislead the Space; empty if fine."""
    try:
        config = front_matter(root / "README.md")
    except (ValueError, yaml.YAMLError) as e:
        return [str(e)]
    problems = []
    files = {str(p) for p in upload_set(root)}
    gradio = pinned("gradio", root / "requirements.txt")
    if config.get("sdk") != "gradio":
        problems.append(f"sdk must be gradio (got {config.get('sdk')!r})")
    if str(config.get("sdk_version")) != gradio:
        problems.append(f"sdk_version {config.get('sdk_version')!r} must equal the pinned gradio=={gradio}")
    python = str(config.get("python_version", ""))
    needs = tomllib.loads((root / "pyproject.toml").read_text())["project"]["requires-python"]
    if not re.fullmatch(r"3\.\d+", python) or python + ".0" not in SpecifierSet(needs):
        problems.append(f'python_version {python!r} must be a Python that jax needs ({needs}), as "3.11"')
    if config.get("app_file") not in files:
        problems.append(f"app_file {config.get('app_file')!r} is not in the upload set")
    if config.get("license") not in LICENSES or "LICENSE" not in files:
        problems.append(f"license {config.get('license')!r} must be one of {sorted(LICENSES)}, with a LICENSE file")
    tags = config.get("tags")
    if (
        not tags
        or not isinstance(tags, list)
        or not all(isinstance(t, str) and re.fullmatch(r"[a-z0-9-]+", t) for t in tags)
    ):
        problems.append(f"tags must be a list of lower-case words (got {tags!r})")
    description = config.get("short_description")
    if not isinstance(description, str) or not 0 < len(description) <= MAX_SHORT_DESCRIPTION:
        problems.append(
            f"short_description must be text of 1 to {MAX_SHORT_DESCRIPTION} characters (got {description!r})"
        )
    for key in ("colorFrom", "colorTo"):
        if config.get(key) not in COLOURS:
            problems.append(f"{key} must be one of {sorted(COLOURS)} (got {config.get(key)!r})")
    if not config.get("title"):
        problems.append("title is missing")
    return problems


def stage(folder: Path, root: Path = ROOT) -> list[Path]:
    """Copies exactly the upload set into ``folder``; returns the copied paths."""
    copied = []
    for relative in upload_set(root):
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / relative, target)
        copied.append(target)
    return copied


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("space", nargs="?", help="USER/SPACE_NAME on huggingface.co")
    p.add_argument("--dry-run", action="store_true", help="list the files and check the configuration, offline")
    p.add_argument("--stage", type=Path, help="copy the upload set into this folder and stop (offline)")
    p.add_argument("--private", action="store_true", help="create the Space private")
    args = p.parse_args(argv)
    if not args.stage and not (args.space and re.fullmatch(r"[\w.-]+/[\w.-]+", args.space)):
        p.error("name the Space as USER/SPACE_NAME (or use --stage DIR)")
    files = upload_set()
    for path in files:
        print(f"{(ROOT / path).stat().st_size:>10,}  {path}")
    print(f"{sum((ROOT / f).stat().st_size for f in files):>10,}  in {len(files)} files")
    problems = config_problems()
    if problems:
        sys.exit("The Space configuration (README.md front matter) needs fixing:\n- " + "\n- ".join(problems))
    print("Space configuration: ok")
    if args.stage:
        stage(args.stage)
        print(f"staged in {args.stage}")
        return
    if args.dry_run:
        print(f"dry run: nothing sent to {args.space}")
        return
    from huggingface_hub import HfApi

    api = HfApi()
    try:
        api.create_repo(args.space, repo_type="space", space_sdk="gradio", exist_ok=True, private=args.private)
        with tempfile.TemporaryDirectory() as folder:
            stage(Path(folder))
            api.upload_folder(
                repo_id=args.space,
                repo_type="space",
                folder_path=folder,
                commit_message="Deploy mnist-flax",
                delete_patterns=["*.py", "*.safetensors"],
            )
    except OSError as e:  # huggingface_hub's HTTP and missing-token errors, and network failures
        sys.exit(
            f"Could not deploy to {args.space}: {e}\nIs your token set ($HF_TOKEN, or `hf auth login`) "
            "with write access, and is huggingface.co reachable?"
        )
    print(f"https://huggingface.co/spaces/{args.space}")
