"""Every Python block of the README runs as pasted and prints something.

A block followed by "prints" and a ``text`` block must print exactly that.
"""

import contextlib
import io
import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
BLOCKS = list(
    re.finditer(r"```python\n(.*?)```(?:\s*\nprints\s*\n\s*```text\n(.*?)```)?", README, re.DOTALL)
)


def test_readme_has_python_blocks():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i + 1}" for i in range(len(BLOCKS))])
def test_readme_block_runs_and_prints(block):
    code, expected = block.group(1), block.group(2)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    printed = output.getvalue()
    assert printed.strip(), "the block prints nothing"
    if expected is not None:
        assert printed == expected
