"""The real checkpoints precis names by default, end to end: one summary per default
summarizer (beam and fast decoding) and one translation per catalog language, both ways.

Marked `slow` (run with --run-slow): they download the models from the Hugging Face hub
when they are not in the hub cache (about 10 GB in all) and need several GB of memory.
They cannot run on the project's build machines, which have no route to the hub; they
are for a machine with network. What they check is what the tiny models cannot: the
real configs (distilbart's forced EOS and length_penalty, opus-mt's and m2m100's beams),
that each multi-target model's >>id<< token is one token of its real vocabulary, that
pickle-only checkpoints (opus-mt-en-de, m2m100_418M) convert and load, and that the
output is in the language asked for.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from models.hub import catalog
from models.inference.degenerate import degeneracy
from models.ingest.language import detect_language
from models.ingest.sources import read_article
from models.service.provider import ModelProvider
from models.settings import DEFAULT_SUMMARIZER, Settings
from models.types import Length, Task

pytestmark = pytest.mark.slow

ENGLISH = "Global solidarity is the most powerful weapon against the pandemic, the minister said."
# The same sentence in each catalog language, for the translations into English.
SOURCES = {
    "zh": "部长说，全球团结是抗击疫情最有力的武器。",
    "es": "La solidaridad mundial es el arma más poderosa contra la pandemia, dijo el ministro.",
    "fr": "La solidarité mondiale est l'arme la plus forte contre la pandémie, dit le ministre.",
    "de": "Globale Solidarität ist die stärkste Waffe gegen die Pandemie, sagte der Minister.",
    "ru": "Глобальная солидарность — самое мощное оружие против пандемии, сказал министр.",
    "ar": "قال الوزير إن التضامن العالمي هو أقوى سلاح ضد الوباء.",
    "ja": "大臣は、世界的な連帯がパンデミックに対する最も強力な武器だと述べた。",
    "pt": "A solidariedade global é a arma mais poderosa contra a pandemia, disse o ministro.",
    "it": "La solidarietà globale è l'arma più potente contro la pandemia, ha detto il ministro.",
    "hi": "मंत्री ने कहा कि वैश्विक एकजुटता महामारी के खिलाफ सबसे शक्तिशाली हथियार है।",
    "ko": "장관은 세계적인 연대가 전염병에 맞서는 가장 강력한 무기라고 말했다.",
}
LANGS = sorted(e.code for e in catalog.languages() if e.from_english is not None)


def _provider(tmp_path: Path, **changes: object) -> ModelProvider:
    settings = Settings(device="cpu", offline=False, cache_path=tmp_path / "cache.sqlite3").replace(
        **changes
    )
    return ModelProvider(settings)


def _fetch(provider: ModelProvider, model_ids: list[str]) -> None:
    for model_id in model_ids:
        provider.download(model_id, lambda done, total: None, threading.Event())


def test_catalog_sources_cover_every_language() -> None:
    assert set(SOURCES) == set(LANGS) - {"en"}


@pytest.mark.parametrize("decoding", ["beam", "fast"])
def test_the_default_summarizer(tmp_path: Path, decoding: str) -> None:
    provider = _provider(tmp_path, summarizer=DEFAULT_SUMMARIZER, decoding=decoding)
    _fetch(provider, [DEFAULT_SUMMARIZER])
    summarizer = provider.summarizer("en")
    config = summarizer.loaded.model.generation_config  # type: ignore[attr-defined]
    assert (config.forced_eos_token_id, config.length_penalty) == (2, 2.0)
    assert summarizer.decoding.label == ("beam 2" if decoding == "beam" else "greedy")  # type: ignore[attr-defined]
    section = max(read_article(None).sections, key=lambda s: len(s.text))
    for length in Length:
        [summary] = summarizer.summarize([section.text], length)
        assert 5 <= len(summary.split()) <= 300, summary
        assert summary.rstrip()[-1] in ".!?…\"'”’)", summary  # finished, or the cut marked
        assert degeneracy(summary, section.text, task=Task.SUMMARY) is None


@pytest.mark.parametrize("lang", [code for code in LANGS if code != "en"])
def test_translation_from_english(tmp_path: Path, lang: str) -> None:
    provider = _provider(tmp_path)
    _fetch(provider, [spec.model_id for spec in provider.route("en", lang)])
    translator = provider.translator("en", lang)
    [out] = translator.translate([ENGLISH])
    assert degeneracy(out, ENGLISH, task=Task.TRANSLATION, target_lang=lang) is None, out
    assert detect_language(out) == lang, out


@pytest.mark.parametrize("lang", sorted(SOURCES))
def test_translation_into_english(tmp_path: Path, lang: str) -> None:
    provider = _provider(tmp_path)
    _fetch(provider, [spec.model_id for spec in provider.route(lang, "en")])
    translator = provider.translator(lang, "en")
    [out] = translator.translate([SOURCES[lang]])
    assert degeneracy(out, SOURCES[lang], task=Task.TRANSLATION, target_lang="en") is None
    assert detect_language(out) == "en", out
    assert any(w in out.lower() for w in ("solidarity", "pandemic", "weapon")), out
