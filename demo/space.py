"""Share the demo as a Hugging Face Space: one command.

    python scripts/deploy_space.py USER/SPACE_NAME            # create the Space if needed, upload, print its URL
    python scripts/deploy_space.py USER/SPACE_NAME --dry-run  # the files that would go, the hardware and why
    python scripts/deploy_space.py --stage DIR                # offline: copy exactly the upload set into DIR

Hardware (``--hardware``): ZeroGPU (``zero-a10g``), the one a free account can host (up to 2 such Spaces):
drawings run on the CPU, training on a GPU slice (``demo/zero_gpu.py``); or CPU basic (``cpu-basic``, 2 vCPUs),
which needs a PRO account. Without ``--hardware`` the account decides: the Hub says whether it is PRO.

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
ZERO_GPU, CPU = "zero-a10g", "cpu-basic"  # huggingface_hub's SpaceHardware values
HARDWARE = {
    ZERO_GPU: "ZeroGPU: drawings on the CPU, training on a GPU slice; free accounts may host 2 such Spaces",
    CPU: "CPU basic, 2 vCPUs: needs a PRO (or paid) account",
}
ZERO_GPU_PYTHONS = ("3.12.12", "3.10.13")  # what the Hub's ZeroGPU page lists; jax needs the first


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
    if python not in ZERO_GPU_PYTHONS or python not in SpecifierSet(needs):
        problems.append(
            f"python_version {python!r} must be a Python that ZeroGPU runs ({', '.join(ZERO_GPU_PYTHONS)}) and jax "
            f'needs ({needs}), as "3.12.12"'
        )
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


def requirements(hardware: str, root: Path = ROOT) -> str:
    """What the Space installs: requirements.txt, and on ZeroGPU the CUDA build of the pinned jax, which the
    training process needs to find the slice's GPU (the app's own process stays on the CPU)."""
    text = (root / "requirements.txt").read_text()
    if hardware == ZERO_GPU:
        text += f"jax[cuda12]=={pinned('jax', root / 'requirements.txt')}  # ZeroGPU: training on the GPU slice\n"
    return text


def stage(folder: Path, root: Path = ROOT, hardware: str = CPU) -> list[Path]:
    """Copies exactly the upload set into ``folder``, with the requirements of ``hardware``; returns the
    copied paths."""
    copied = []
    for relative in upload_set(root):
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / relative, target)
        copied.append(target)
    (folder / "requirements.txt").write_text(requirements(hardware, root))
    return copied


def choose_hardware(asked: str | None, api) -> tuple[str, str]:
    """The hardware to set and why: ``asked``, else what the token's account can host (the Hub's whoami says
    whether it is PRO; where it cannot be asked, ZeroGPU, which every account can host)."""
    if asked:
        return asked, "asked for with --hardware"
    try:
        account = api.whoami()
    except Exception as e:  # offline, no token, the Hub unreachable: huggingface_hub's errors vary
        return (
            ZERO_GPU,
            f"could not ask the Hub which plan this account has ({type(e).__name__}); every account can host ZeroGPU",
        )
    if account.get("isPro"):
        return (
            CPU,
            f"{account.get('name')} is a PRO account: CPU basic, always on (--hardware {ZERO_GPU} for GPU training)",
        )
    return ZERO_GPU, f"{account.get('name')} is a free account: it can host Gradio Spaces on ZeroGPU only"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("space", nargs="?", help="USER/SPACE_NAME on huggingface.co")
    p.add_argument("--dry-run", action="store_true", help="list the files and check the configuration, offline")
    p.add_argument("--stage", type=Path, help="copy the upload set into this folder and stop (offline)")
    p.add_argument("--private", action="store_true", help="create the Space private")
    p.add_argument("--hardware", choices=list(HARDWARE), help="default: what the account can host")
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
    from huggingface_hub import HfApi

    api = HfApi()
    hardware, why = choose_hardware(args.hardware, api) if not args.stage or args.hardware else (CPU, "the default")
    print(f"hardware: {hardware} ({HARDWARE[hardware]}), because {why}")
    if args.stage:
        stage(args.stage, hardware=hardware)
        print(f"staged in {args.stage}")
        return
    if args.dry_run:
        print(f"dry run: nothing sent to {args.space}")
        return
    try:
        api.create_repo(
            args.space,
            repo_type="space",
            space_sdk="gradio",
            space_hardware=hardware,
            exist_ok=True,
            private=args.private,
        )
        api.request_space_hardware(args.space, hardware)  # an existing Space keeps its hardware otherwise
        with tempfile.TemporaryDirectory() as folder:
            stage(Path(folder), hardware=hardware)
            api.upload_folder(
                repo_id=args.space,
                repo_type="space",
                folder_path=folder,
                commit_message="Deploy mnist-flax",
                delete_patterns=["*.py", "*.safetensors"],
            )
    except Exception as e:  # huggingface_hub's HTTP and missing-token errors, network failures (httpx's own)
        if getattr(getattr(e, "response", None), "status_code", None) == 402:  # the Hub wants a paid plan
            sys.exit(
                f"Could not deploy to {args.space} on {hardware}: this account needs a PRO plan for it "
                f"({e}).\nDeploy with --hardware {ZERO_GPU}, which every account can host."
            )
        sys.exit(
            f"Could not deploy to {args.space}: {e}\nIs your token set ($HF_TOKEN, or `hf auth login`) "
            "with write access, and is huggingface.co reachable?"
        )
    print(f"https://huggingface.co/spaces/{args.space}")
