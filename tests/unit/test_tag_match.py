"""The SQLite tag match (tickets/tag_match.py): a tag's patterns occur in a compact JSON tag list
exactly when the list holds that whole tag."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from opsdesk.tickets.tag_match import element_patterns

# Tags never hold whitespace (normalize_tags splits on it); anything else may appear.
tag_text = st.text(alphabet=st.characters(blacklist_categories=("Zs", "Cc")), min_size=1, max_size=8)
tricky = st.sampled_from(['"', "\\", ",", "[", "]", '","', "a", "ä", "_", "%"])
tags = st.one_of(tag_text, st.lists(tricky, min_size=1, max_size=4).map("".join))


def _found(tag: str, stored: list[str]) -> bool:
    text = orjson.dumps(stored).decode()
    return any(pattern in text for pattern in element_patterns(tag))


@given(st.lists(tags, max_size=5), tags)
def test_patterns_find_exactly_the_whole_tag(stored: list[str], tag: str) -> None:
    assert _found(tag, stored) == (tag in stored)


def test_examples() -> None:
    assert _found("a", ["a"])
    assert _found("b", ["a", "b", "c"])
    assert not _found(",", ["a", "b"]), 'the "," between two elements is not a tag'
    assert not _found("a", ['a"', "ba"])
    assert not _found('"', ["\\"])
