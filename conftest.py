"""Test-session setup shared by tests/ and the doctests in skloss/."""

import os

# scikit-learn's check_array_api_input (run by parametrize_with_checks for
# every estimator) needs scipy's array API mode, which is read when scipy is
# first imported; without it the check is skipped.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
