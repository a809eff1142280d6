"""``python -m benchmarks [--fast] [--only SUBSTRING]``: print the comparison table."""

import argparse
import sys

from .run import run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fast", action="store_true", help="small sizes (seconds, not minutes)")
    parser.add_argument("--only", default="", help="run only cases whose name contains this")
    args = parser.parse_args(argv)
    if args.fast:
        run(scale=0.01, only=args.only, out=sys.stdout, repeats=1, progress=sys.stderr)
    else:
        run(only=args.only, out=sys.stdout, progress=sys.stderr)


if __name__ == "__main__":
    main()
