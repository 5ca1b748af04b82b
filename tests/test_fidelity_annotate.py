"""Annotation of a summary whose sentences are the section's own (models.fidelity.annotate).

An extractive summary, or a model that copies sentences, gets its support links by
exact match and no flags, without the n-gram comparison: exact, and cheap enough that
an export of 100,000 sections is not dominated by it (issue 17 item 10).
"""

from __future__ import annotations

from models.fidelity.annotate import annotate, verbatim_links

SECTION = (
    "The council met on March 19 in Geneva. It approved 3 million francs for schools.",
    "Mayor Anna Keller said the money arrives in June. Critics   were not convinced.",
)


def test_copied_sentences_link_to_exactly_where_they_are() -> None:
    summary = ("It approved 3 million francs for schools. Critics were not convinced.",)
    flags, support = annotate(summary, SECTION, translation=False, lang="en", source_lang="en")
    assert flags == ()
    assert support == ((1,), (3,))


def test_one_sentence_not_copied_falls_back_to_the_full_check() -> None:
    summary = ("It approved 3 million francs for schools. Critics said 7 million was asked.",)
    flags, support = annotate(summary, SECTION, translation=False, lang="en", source_lang="en")
    assert [f.text for f in flags] == ["7 million"]
    assert support[0] == (1,)


def test_verbatim_links_ignores_whitespace_only() -> None:
    sources = ["One  two.", "Three four."]
    assert verbatim_links(["One two.", "Three four."], sources) == ((0,), (1,))
    assert verbatim_links(["one two."], sources) is None
    assert verbatim_links([], sources) == ()
