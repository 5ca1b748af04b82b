"""Photo captions, credit lines and page furniture: sentences no summary should pick.

Ingestion separates the captions it can see in the markup, but plain text, Markdown
and many saved pages leave them in the body: "Photo: Reuters", "... Geneva, February
24, 2020. /Xinhua", "Reporting by A; editing by B", "Scroll down for video". A caption
usually restates the lead in other words, so a centrality ranking loves it; the
extractive summarizer asks `is_credit` and never picks such a sentence (unless the
section holds nothing else).
"""

from __future__ import annotations

import re
from functools import lru_cache

_AGENCIES = (
    r"xinhua|reuters|afp|ap|getty(?: images)?|vcg|cgtn|cfp|ipa|epa|ani|pti|ians|"
    r"shutterstock|alamy|istock|bloomberg|dpa|anp|efe|ansa|kyodo|yonhap|tass|bbc|cnn|pa"
)
_PATTERNS = (
    # A label first: "Photo: ...", "Image by ...", "Pictured: ...", "Credit - ...".
    r"^[(\[]?(?:top |main |file |cover |featured |header )?"
    r"(?:photo(?:graph)?|image|picture|pictured|credit|caption|illustration|graphic|video|"
    r"watch|source|cover)s?\s*(?:[:|/–—]|-\s|by\b|courtesy\b)",
    # An agency credit after a slash, ending the sentence: "... 2020. /Xinhua", "(Photo/AP)".
    rf"(?:^|[\s.(])/\s?(?:{_AGENCIES})\)?\.?$",
    r"\((?:photo|image|picture)s?\s*[:/]",
    r"\b(?:ap|afp|epa|reuters) photo\b|\bgetty images\b|\bfile photo\b|\bphoto credit\b",
    # Who wrote, edited or contributed.
    r"^[(\[]?(?:additional )?(?:reporting|writing|editing|compiled|translated|produced|"
    r"contributing|story|text|words) by\b",
    r"\bcontributed (?:to )?(?:this|the) (?:report|story|article)\b",
    r"^[(\[]?with (?:additional )?(?:input|inputs|reporting) from\b",
    r"^[(\[]?(?:editor'?s note|correction|update)\s*:",
    r"^this (?:story|article|report) (?:has been|was) (?:updated|corrected|amended)\b",
    r"^(?:published|updated|last (?:updated|modified))\s*:|^by\s*\.\s",
    # Page furniture.
    r"\ball rights reserved\b|^copyright\b|©",
    r"\bscroll down for (?:the )?video\b|^click here\b|^read more\b|^related\s*:|^see also\b",
    r"^(?:sign up|subscribe) (?:for|to)\b|^follow (?:us|@?\w+(?: \w+)?) on "
    r"(?:twitter|facebook|instagram|x|threads|bluesky)\b|^advertisement$|^share this\b",
)
_CREDIT = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


@lru_cache(maxsize=4096)
def is_credit(sentence: str) -> bool:
    """True for a caption, a credit or byline line, or page furniture (cached: the
    extractive summarizer asks about each sentence more than once)."""
    return _CREDIT.search(sentence.strip()) is not None
