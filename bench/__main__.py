"""Every measurement behind the docs' figures. Each subcommand prints its tables and writes them, with the
machine and the date, between the markers <!-- bench NAME: COMMAND --> and <!-- /bench NAME --> of its page."""

import argparse
import sys
from pathlib import Path

from bench import (
    augmentation,
    battery,
    calibration,
    classroom,
    counterfactuals,
    gpu,
    harness,
    kernels,
    peers,
    results,
    saliency,
    time_to_accuracy,
    training,
    uploads,
    views,
    wakeup,
)

SUBCOMMANDS = (
    training,
    kernels,
    peers,
    time_to_accuracy,
    gpu,
    classroom,
    wakeup,
    uploads,
    views,
    battery,
    saliency,
    counterfactuals,
    calibration,
    augmentation,
    results,
)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    names = parser.add_subparsers(dest="name", required=True, metavar="NAME")
    for module in SUBCOMMANDS:
        p = names.add_parser(
            module.__name__.rsplit(".", 1)[1],
            help=module.__doc__.splitlines()[0],
            description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
        p.add_argument("--docs", type=Path, default=harness.DOCS, help="the docs folder (default: the repo's)")
        p.set_defaults(run=module.run)
    args = parser.parse_args(argv)
    args.command = harness.command_line(argv)
    args.run(args)


if __name__ == "__main__":
    main()
