"""``python -m benchmarks [--fast] [--only SUBSTRING] [--threads SETTING]``: print the table."""

import argparse
import sys

from skloss._fair_timing import THREAD_SETTINGS

from .run import run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fast", action="store_true", help="small sizes (under a minute)")
    parser.add_argument("--only", default="", help="run only cases whose name contains this")
    parser.add_argument(
        "--threads",
        choices=[*THREAD_SETTINGS, "both"],
        default="both",
        help="time both libraries on one thread, each at its defaults, or both (default)",
    )
    args = parser.parse_args(argv)
    settings = THREAD_SETTINGS if args.threads == "both" else (args.threads,)
    size = {"scale": 0.01, "repeats": 1} if args.fast else {}
    run(only=args.only, out=sys.stdout, progress=sys.stderr, settings=settings, **size)


if __name__ == "__main__":
    main()
