"""``docs/write-your-own-worker-pool.md`` shows tested code: the example pool's files whole, as
they are (their conformance run is in ``tests/third_party_plugin``), and snippets taken from the
example or from the kit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).parents[2]
GUIDE = REPOSITORY / "docs" / "write-your-own-worker-pool.md"
EXAMPLE = REPOSITORY / "tests" / "third_party_plugin"
WHOLE_FILES = [
    EXAMPLE / "src" / "chariots_example_pool" / "pool.py",
    EXAMPLE / "src" / "chariots_example_pool" / "plugin.py",
    EXAMPLE / "tests" / "test_conformance.py",
]
KIT = REPOSITORY / "chariots_core" / "src" / "chariots_core" / "workers" / "kit"


def python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", GUIDE.read_text(), re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("path", WHOLE_FILES, ids=lambda path: path.name)
def test_the_guide_shows_each_file_of_the_example_whole(path: Path) -> None:
    assert path.read_text() in python_blocks(), (
        f"{GUIDE.name} should show {path.relative_to(REPOSITORY)} whole, as it is"
    )


def test_every_other_snippet_is_code_of_the_example_or_the_kit() -> None:
    tested = [path.read_text() for path in [*WHOLE_FILES, *KIT.glob("*.py")]]
    known = {line.strip() for text in tested for line in text.splitlines()}
    snippets = [block for block in python_blocks() if block not in tested]
    assert snippets, "the guide should explain the example with snippets of it"
    for snippet in snippets:
        missing = [
            line for line in snippet.splitlines() if line.strip() and line.strip() not in known
        ]
        assert not missing, f"lines of a snippet that no tested file holds: {missing}"
