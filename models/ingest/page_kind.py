"""Tell a page that is not an article: a front page of links, an FAQ, a shop's home page.

Summarizing such a page section by section gives nonsense that looks like a
summary (on one FAQ page, 25 of 32 "summaries" were the same question). So the
parser says what the page looks like instead, in one line, and the reader can ask
for it anyway (`--read-anyway`). The checks are about the shape of the extracted
text (how much of it is link text, questions, prices), not about any one site.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from models.errors import InputError
from models.ingest.article import Block
from models.ingest.boilerplate import ends_sentence, is_body_sentence, is_title_like
from models.text import CJK_CHAR

# A page whose text is mostly link text, with fewer real paragraphs than this, is a list of links.
LINK_SHARE = 0.5
MIN_STORY_PARAGRAPHS = 3
# Or one of at least this many headline-like lines (extractors often drop the links
# themselves), this share of its paragraphs, and hardly a sentence.
MIN_HEADLINES = 8
HEADLINE_SHARE = 0.8
# An FAQ: at least this many short questions, making up this share of all blocks, and
# answers too short to be an interview's.
MIN_QUESTIONS = 6
QUESTION_SHARE = 0.35
INTERVIEW_ANSWER_WORDS = 30
# A shop: this many short blocks with a price, this share of all paragraphs.
MIN_PRICES = 5
PRICE_SHARE = 0.3
_PRICE = re.compile(
    r"(?:[$€£¥₹]\s?\d[\d.,]*|\d[\d.,]*\s?(?:€|EUR|USD|CHF|kr|zł|₽|元|円))(?!\w)", re.IGNORECASE
)


class NotAnArticleError(InputError):
    """The input parsed, but it is a list of links, an FAQ or a shop page, not an article."""


def not_an_article(blocks: Sequence[Block], *, link_share: float = 0.0) -> str | None:
    """What the page looks like when it is not an article ("a list of links"), else None.

    `link_share` is the share of the extracted text that sits inside links.
    """
    paragraphs = [b.text for b in blocks if b.kind == "paragraph"]
    texts = [b.text for b in blocks if b.kind in ("paragraph", "heading")]
    stories = sum(1 for p in paragraphs if _is_story(p))
    if link_share >= LINK_SHARE and stories < MIN_STORY_PARAGRAPHS:
        return "a list of links"
    prices = sum(1 for p in paragraphs if len(p) <= 200 and _PRICE.search(p))
    if prices >= MIN_PRICES and prices >= PRICE_SHARE * len(paragraphs) and stories < 5:
        return "a shop's list of products"
    headlines = sum(1 for p in paragraphs if is_title_like(p, max_words=20))
    if (
        headlines >= MIN_HEADLINES
        and headlines >= HEADLINE_SHARE * len(paragraphs)
        and stories < MIN_STORY_PARAGRAPHS - 1
    ):
        return "a list of links"
    questions = [i for i, t in enumerate(texts) if ends_sentence(t, "?？") and len(t.split()) <= 30]
    if len(questions) >= MIN_QUESTIONS and len(questions) >= QUESTION_SHARE * len(texts):
        answers = [len(t.split()) for i, t in enumerate(texts) if i not in set(questions)]
        answers.sort()
        median = answers[len(answers) // 2] if answers else 0
        if median < INTERVIEW_ANSWER_WORDS:
            return "a list of questions and answers (an FAQ)"
    return None


def _is_story(text: str) -> bool:
    """A paragraph of running text: long, or a sentence of some length (CJK: a sentence)."""
    if len(text) > 200 or is_body_sentence(text):
        return True
    return CJK_CHAR.search(text[:100]) is not None and (
        len(text) > 60 or ends_sentence(text, "。！？!?")
    )


def refuse_if_not_article(
    blocks: Sequence[Block], name: str, *, link_share: float = 0.0, read_anyway: bool = False
) -> None:
    """Raise NotAnArticleError, one line saying what the page looks like, unless `read_anyway`."""
    if read_anyway:
        return
    kind = not_an_article(blocks, link_share=link_share)
    if kind is not None:
        raise NotAnArticleError(
            f"{name} looks like {kind}, not an article; to read it anyway, use --read-anyway"
        )
