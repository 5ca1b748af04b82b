"""The language catalog: what it offers, which model serves a pair, and overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.errors import ModelError
from models.hub import catalog
from models.hub.catalog import ModelSpec, translation_model, translation_route
from models.settings import Settings, load_settings
from models.text import format_size

REQUIRED = {"zh", "es", "fr", "de", "ru", "ar", "ja", "pt", "it", "hi", "ko"}


def test_languages_start_with_original_and_cover_the_required_set() -> None:
    entries = catalog.languages()
    assert entries[0].code == catalog.ORIGINAL
    assert entries[0].label == "original"
    codes = [e.code for e in entries]
    assert set(codes) >= REQUIRED
    assert len(codes) == len(set(codes))
    for entry in entries[1:]:
        assert entry.english and entry.native
        if entry.code in REQUIRED:
            assert entry.from_english is not None and entry.to_english is not None
            assert entry.from_english.approx_size_bytes
    assert catalog.language("de").label == "German · Deutsch"
    assert catalog.language("xx") is None


@pytest.mark.parametrize("lang", sorted({"de", "fr", "es", "ru", "it", "hi"}))
def test_marian_where_a_good_model_exists(lang: str) -> None:
    spec = translation_model("en", lang, Settings())
    assert spec == ModelSpec(
        f"Helsinki-NLP/opus-mt-en-{lang}",
        "marian",
        "en",
        lang,
        approx_size_bytes=catalog.MARIAN_SIZE,
    )
    back = translation_model(lang, "en", Settings())
    assert back.model_id == f"Helsinki-NLP/opus-mt-{lang}-en"


def test_multi_target_marian_models_carry_their_language_token() -> None:
    assert translation_model("en", "zh", Settings()).prefix == ">>cmn_Hans<<"
    assert translation_model("en", "ar", Settings()).prefix == ">>ara<<"
    assert translation_model("en", "pt", Settings()).prefix == ">>por<<"
    assert translation_model("en", "de", Settings()).prefix is None


@pytest.mark.parametrize(
    ("source", "target", "flores"),
    [("en", "ar", 29.4), ("ar", "en", 42.6), ("en", "pt", 50.4), ("ko", "en", 27.7)],
)
def test_tc_big_models_where_they_score_clearly_better(
    source: str, target: str, flores: float
) -> None:
    """Flores-101 BLEU from the model cards, against opus-mt-en-ar's 14.4 (Tatoeba) and
    m2m100 for Portuguese and Korean before."""
    spec = translation_model(source, target, Settings())
    assert spec.model_id == f"Helsinki-NLP/opus-mt-tc-big-{source}-{target}"
    assert spec.kind == "marian" and spec.approx_size_bytes == 600 * catalog.MB


@pytest.mark.parametrize(("source", "target"), [("en", "ja"), ("en", "ko"), ("pt", "en")])
def test_gaps_use_m2m100_with_a_forced_language_token(source: str, target: str) -> None:
    spec = translation_model(source, target, Settings())
    assert spec.model_id == catalog.M2M100_418M
    assert spec.kind == "m2m100"
    assert spec.forced_bos_lang == target
    assert spec.size_text == "~1.9 GB"


def test_unknown_source_into_english_uses_the_multilingual_marian() -> None:
    spec = translation_model("sv", "en", Settings())
    assert spec.model_id == catalog.MUL_EN


def test_unsupported_pair_is_one_line_model_error() -> None:
    with pytest.raises(ModelError) as info:
        translation_model("de", "fr", Settings())
    assert "\n" not in str(info.value)
    assert "German" in str(info.value) and "French" in str(info.value)
    with pytest.raises(ModelError):
        translation_model("en", "xx", Settings())
    with pytest.raises(ModelError):
        translation_model("de", "de", Settings())


def test_route_pivots_through_english() -> None:
    route = translation_route("de", "fr", Settings())
    assert [s.model_id for s in route] == [
        "Helsinki-NLP/opus-mt-de-en",
        "Helsinki-NLP/opus-mt-en-fr",
    ]
    assert translation_route("en", "en", Settings()) == []
    # Both ends served by m2m100: one direct hop instead of two.
    direct = translation_route("pt", "ja", Settings())
    assert len(direct) == 1 and direct[0].forced_bos_lang == "ja"
    assert (direct[0].source_lang, direct[0].target_lang) == ("pt", "ja")


def test_config_override_from_toml(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[models.translators]\nde = "me/my-en-de"\n', encoding="utf-8")
    settings = load_settings(config)
    spec = translation_model("en", "de", settings)
    assert spec.model_id == "me/my-en-de"
    assert spec.kind == "seq2seq"
    # Other languages keep their defaults.
    assert translation_model("en", "fr", settings).model_id == "Helsinki-NLP/opus-mt-en-fr"


def test_flag_override_applies_to_the_chosen_language() -> None:
    settings = Settings(lang="fr", translator="facebook/m2m100_1.2B", translators={"fr": "x/y"})
    spec = translation_model("en", "fr", settings)
    assert spec.model_id == "facebook/m2m100_1.2B"
    assert spec.kind == "m2m100" and spec.forced_bos_lang == "fr"
    assert spec.approx_size_bytes == catalog.KNOWN_SIZES["facebook/m2m100_1.2B"]
    # Not the chosen language: the flag does not apply.
    assert translation_model("en", "de", settings).model_id == "Helsinki-NLP/opus-mt-en-de"


def test_override_naming_an_english_model_still_pivots() -> None:
    settings = Settings(lang="fr", translator="Helsinki-NLP/opus-mt-tc-big-en-fr")
    route = translation_route("de", "fr", settings)
    assert [s.model_id for s in route] == [
        "Helsinki-NLP/opus-mt-de-en",
        "Helsinki-NLP/opus-mt-tc-big-en-fr",
    ]
    assert route[1].approx_size_bytes == 600 * catalog.MB
    # A model of unknown provenance is trusted to read the source directly.
    direct = translation_route("de", "fr", Settings(lang="fr", translator="me/de-fr"))
    assert [s.model_id for s in direct] == ["me/de-fr"]


def test_nllb_is_told_apart_from_m2m100_and_gets_flores_codes(tmp_path: Path) -> None:
    # By name, for a hub id not downloaded yet: not a generic seq2seq (no forced BOS).
    spec = translation_model("en", "de", Settings(translators={"de": "facebook/nllb-200-1.3B"}))
    assert spec.kind == "nllb"
    assert (spec.forced_bos_lang, spec.src_lang_code) == ("deu_Latn", "eng_Latn")
    # From a folder: NLLB's config says m2m_100, its tokenizer says NLLB.
    folder = tmp_path / "my-nllb"
    folder.mkdir()
    config = {"model_type": "m2m_100", "architectures": ["M2M100ForConditionalGeneration"]}
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "NllbTokenizer"}), encoding="utf-8"
    )
    spec = translation_model("ja", "de", Settings(translators={"de": str(folder)}))
    assert spec.kind == "nllb"
    assert (spec.forced_bos_lang, spec.src_lang_code) == ("deu_Latn", "jpn_Jpan")
    with pytest.raises(ModelError, match="NLLB code"):
        translation_model("en", "xx", Settings(translators={"xx": str(folder)}))


def test_kind_comes_from_the_config_of_a_cached_hub_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "hub" / "models--someone--my-translator"
    snapshot = repo / "snapshots" / "abc1234"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text(json.dumps({"model_type": "marian"}), encoding="utf-8")
    (snapshot / "model.safetensors").write_bytes(b"x")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc1234", encoding="utf-8")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    spec = translation_model("en", "de", Settings(translators={"de": "someone/my-translator"}))
    assert spec.kind == "marian"  # its name says nothing; its config does


def test_a_config_entry_gives_the_target_token(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        "[models.translators]\n"
        'de = { model = "Helsinki-NLP/opus-mt-en-gmw", prefix = ">>deu<<" }\n',
        encoding="utf-8",
    )
    spec = translation_model("en", "de", load_settings(config))
    assert spec.model_id == "Helsinki-NLP/opus-mt-en-gmw" and spec.prefix == ">>deu<<"


def test_override_kind_read_from_a_local_folder_config(tmp_path: Path) -> None:
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "m2m_100"}), encoding="utf-8")
    spec = translation_model("en", "ko", Settings(translators={"ko": str(folder)}))
    assert spec.kind == "m2m100" and spec.forced_bos_lang == "ko"
    (folder / "config.json").write_text(json.dumps({"model_type": "marian"}), encoding="utf-8")
    assert translation_model("en", "ko", Settings(translators={"ko": str(folder)})).kind == "marian"


def test_sizes_format_for_messages() -> None:
    assert format_size(1_220_000_000) == "~1.2 GB"
    assert format_size(300_000_000) == "~300 MB"
    assert format_size(None) == "size unknown"
    assert catalog.approx_size("sshleifer/distilbart-cnn-12-6") == 1_220 * catalog.MB
    assert catalog.approx_size("someone/else") is None
