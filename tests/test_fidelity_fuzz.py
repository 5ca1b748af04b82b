"""Property tests of the fidelity checks on arbitrary text: they never fail, every flag's
span is the flag's text, and search spans fold to the query."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from models.fidelity.annotate import annotate
from models.fidelity.flagger import check_summary, check_translation
from models.fidelity.fold import find_all, fold

# Letters, digits, the separators and scripts the rules care about, and anything else.
PIECES = st.sampled_from(
    ["3", "1,200", "3.000.000", " million", " Millionen", "万", "亿", "年", "月", "日", "%",
     "$", "€", " March ", " März ", "19. ", "Merkel", "U.S.", " ", ".", "\n\n", "São", "ß",
     "İ", "ﬁ", "서울", "3월 ", "about ", "more than ", "’s", "-", "１２"]
)  # fmt: skip
TEXT = st.one_of(st.text(max_size=200), st.lists(PIECES, max_size=40).map("".join))
LANGS = st.sampled_from(["en", "de", "fr", "zh", "ja", "ko", "ru", "xx", ""])


@settings(max_examples=150, deadline=None)
@given(TEXT, TEXT, LANGS, LANGS)
def test_flags_always_point_at_their_text(summary: str, source: str, lang: str, src: str) -> None:
    for flag in check_summary(summary, source, lang=lang, source_lang=src):
        assert flag.start is not None and flag.end is not None
        assert summary[flag.start : flag.end] == flag.text
    for flag in check_translation(summary, source, lang=lang, source_lang=src):
        if flag.start is not None:
            assert summary[flag.start : flag.end] == flag.text


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=4), st.lists(TEXT, min_size=1, max_size=4), LANGS)
def test_support_indexes_exist(summary: list[str], source: list[str], lang: str) -> None:
    from models.fidelity.support import sentence_spans

    _flags, support = annotate(
        tuple(summary), tuple(source), translation=False, lang=lang, source_lang=lang
    )
    sentences = sentence_spans(source, lang)
    assert all(0 <= i < len(sentences) for links in support for i in links)
    assert all(len(links) <= 3 for links in support)


@settings(max_examples=150, deadline=None)
@given(TEXT, st.text(min_size=1, max_size=5))
def test_search_spans_fold_to_the_query(text: str, query: str) -> None:
    for start, end in find_all(query, text):
        assert fold(text[start:end]).find(fold(query).strip()) >= 0
