"""Tests for source-language detection and language names."""

from __future__ import annotations

import pytest

from models.data import SAMPLE_ARTICLE
from models.ingest.language import detect_language
from models.language_names import language_name

SAMPLES = {
    "en": "The city council approved the new budget on Tuesday after a long debate "
    "about how to pay for the schools.",
    "de": "Der Stadtrat hat am Dienstag nach einer langen Debatte über die Finanzierung "
    "der Schulen den neuen Haushalt beschlossen.",
    "fr": "Le conseil municipal a adopté mardi le nouveau budget après un long débat "
    "sur le financement des écoles.",
    "es": "El ayuntamiento aprobó el martes el nuevo presupuesto tras un largo debate "
    "sobre la financiación de las escuelas.",
    "ru": "Городской совет во вторник утвердил новый бюджет после долгих споров "
    "о финансировании школ.",
    "ar": "وافق مجلس المدينة يوم الثلاثاء على الميزانية الجديدة بعد نقاش طويل حول تمويل المدارس.",
    "zh": "市议会周二在就学校经费进行长时间辩论后批准了新的预算。",
    "ja": "市議会は火曜日、学校の予算をめぐる長い議論の末に新しい予算案を可決した。",
    "ko": "시의회는 화요일 학교 예산에 대한 오랜 논쟁 끝에 새 예산안을 승인했다.",
}


@pytest.mark.parametrize(("code", "text"), sorted(SAMPLES.items()))
def test_detects_natural_sentences(code: str, text: str) -> None:
    assert detect_language(text) == code


def test_short_han_text_is_chinese_not_cantonese_or_wu() -> None:
    # py3langid alone labels these "yue"; Han-only text is reported as zh.
    assert detect_language("你好") == "zh"
    assert detect_language("這是一個繁體中文的句子，用來測試語言識別。") == "zh"


def test_japanese_with_many_kanji_is_still_japanese() -> None:
    assert detect_language("東京都知事選挙の結果が発表された。") == "ja"


@pytest.mark.parametrize("text", ["", "   \n\n ", "12345 67.8", "!!! ???", "ok"])
def test_empty_or_undecidable_falls_back_to_english(text: str) -> None:
    assert detect_language(text) == "en"


def test_only_the_opening_is_sampled() -> None:
    # German fills the first 5,000 characters; a far longer English tail follows.
    text = (SAMPLES["de"] + " ") * 60 + "This tail is English and very long. " * 2000
    assert len(text) > 60_000
    assert detect_language(text) == "de"


def test_sample_article_is_english() -> None:
    assert detect_language(SAMPLE_ARTICLE.read_text(encoding="utf-8")) == "en"


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("en", "English"),
        ("zh", "Chinese"),
        ("es", "Spanish"),
        ("fr", "French"),
        ("de", "German"),
        ("ru", "Russian"),
        ("ar", "Arabic"),
        ("ja", "Japanese"),
        ("pt", "Portuguese"),
        ("it", "Italian"),
        ("hi", "Hindi"),
        ("ko", "Korean"),
        ("nl", "Dutch"),
        ("pl", "Polish"),
        ("tr", "Turkish"),
        ("uk", "Ukrainian"),
        ("sv", "Swedish"),
        ("he", "Hebrew"),
        ("fa", "Persian"),
        ("vi", "Vietnamese"),
        ("id", "Indonesian"),
        ("zh-Hant", "Chinese"),
        ("pt_BR", "Portuguese"),
    ],
)
def test_language_names(code: str, name: str) -> None:
    assert language_name(code) == name


def test_unknown_code_is_its_own_name() -> None:
    assert language_name("xx") == "xx"
    assert language_name("") == ""
