"""``python -m skloss``: compare skloss with scikit-learn on bundled data."""

from ._showcase import main

if __name__ == "__main__":
    main()
