"""The documentation's own promises: its code runs and it agrees with the README."""

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text()
# Hand-written pages only; the build writes the other two.
GENERATED = {"api.rst", "sg_execution_times.rst"}
PAGES = sorted(path for path in DOCS.glob("*.rst") if path.name not in GENERATED)


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_code_on_docs_pages_runs_as_shown(page):
    result = doctest.testfile(
        str(page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.failed == 0


def test_getting_started_shows_the_readme_commands_verbatim():
    block = re.search(r"```bash\n(.*?)```", README, re.DOTALL).group(1)
    commands = [line.strip() for line in block.splitlines() if line.strip()]
    page = (DOCS / "getting_started.rst").read_text()
    assert len(commands) >= 3
    for command in commands:
        assert command in page


def test_ci_builds_the_docs_with_the_readme_command():
    marked = [line for line in README.splitlines() if "# the docs site" in line]
    assert len(marked) == 1
    command = marked[0].split("#")[0].strip()
    assert "sphinx -W" in command and command.startswith("python -m pip install -e")
    assert "# the docs site" in (ROOT / ".ci" / "run").read_text()


def test_readme_figure_is_committed_and_small():
    match = re.search(r"!\[[^\]]*\]\((docs/_static/[^)]+\.png)\)", README)
    assert match, "the README shows no figure from docs/_static"
    figure = ROOT / match.group(1)
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert figure.stat().st_size < 200 * 1024


def _public_docstrings():
    import inspect

    import skloss

    for name in skloss.__all__:
        documented = getattr(skloss, name)
        if inspect.isclass(documented):
            yield name, documented.__doc__
            for attribute, member in vars(documented).items():
                if callable(member) and member.__doc__:
                    yield f"{name}.{attribute}", member.__doc__


def test_every_docstring_fragment_is_filled_in():
    left = [name for name, doc in _public_docstrings() if "{%" in doc or "%}" in doc]
    assert left == []


def test_an_unknown_docstring_fragment_fails_at_import():
    from skloss._docstrings import with_fragments

    def documented():
        """Uses {% no_such_fragment %}."""

    with pytest.raises(KeyError, match="no_such_fragment"):
        with_fragments(documented)
