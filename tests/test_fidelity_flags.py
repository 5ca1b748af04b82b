"""The flagger and the support links, on summaries and translations in several languages."""

from __future__ import annotations

import subprocess
import sys

import pytest

from models.fidelity.annotate import Aligned, annotate
from models.fidelity.entities import NameIndex, find_names
from models.fidelity.flagger import check_summary, check_translation
from models.fidelity.flags import (
    DATE_FLAG,
    MISSING_FLAG,
    NAME_FLAG,
    NUMBER_FLAG,
    Flag,
    describe,
)
from models.fidelity.support import sentence_spans, support_links

SOURCE = (
    "Chancellor Angela Merkel said on March 19, 2020 that Germany would spend 3,000,000 "
    "euros on the Charité hospital in Berlin. About 45% of the 1,200 staff had been "
    "infected, the Robert Koch Institute reported on Thursday."
)


def _texts(flags: list[Flag]) -> list[str]:
    return [f.text for f in flags]


def test_a_faithful_paraphrase_has_no_flags() -> None:
    summary = (
        "Merkel said on 19 March that Germany will spend 3 million euros on Berlin's Charité. "
        "Nearly half of the staff were infected, the Robert Koch Institute said on Thursday."
    )
    assert check_summary(summary, SOURCE) == []


def test_changed_numbers_dates_and_names_are_flagged_with_their_spans() -> None:
    summary = "Olaf Scholz said on 21 March that Germany will spend 4 million euros on Friday."
    flags = check_summary(summary, SOURCE)
    assert [(f.text, f.kind) for f in flags] == [
        ("Olaf Scholz", NAME_FLAG),
        ("21 March", DATE_FLAG),
        ("4 million euros", NUMBER_FLAG),
        ("Friday", DATE_FLAG),
    ]
    for flag in flags:
        assert flag.start is not None and flag.end is not None
        assert summary[flag.start : flag.end] == flag.text


@pytest.mark.parametrize(
    ("summary", "lang"),
    [
        (
            "Merkel sagte am 19. März, Deutschland gebe drei Millionen Euro für die Charité aus.",
            "de",
        ),
        ("Merkel a annoncé le 19 mars 3 millions d'euros pour la Charité.", "fr"),
        ("Merkel anunció el 19 de marzo 3 millones de euros para la Charité.", "es"),
        ("默克尔3月19日表示，德国将为柏林的医院花费300万欧元。", "zh"),
        ("Меркель 19 марта пообещала 3 млн евро для больницы Charité.", "ru"),
    ],
)
def test_a_summary_in_another_language_is_checked_against_the_source(
    summary: str, lang: str
) -> None:
    assert check_summary(summary, SOURCE, lang=lang, source_lang="en") == []
    wrong = summary.replace("19", "21")
    assert [f.kind for f in check_summary(wrong, SOURCE, lang=lang, source_lang="en")] == [
        DATE_FLAG
    ]


def test_names_under_another_case_inflection_or_script_are_not_flagged() -> None:
    names = NameIndex("Angela Merkel met Vladimir Putin in Moskau and the United Nations.")
    for name in ("MERKEL", "Merkels", "Путин", "Moskva", "UN"):
        assert names.has(name) or names.has_run([name]), name
    assert not names.has("Scholz")


def test_dotted_acronyms_titles_and_demonyms_are_not_false_alarms() -> None:
    source = "The United States and France met. John Smith of the U.K. spoke in Paris."
    summary = "The U.S. and the UK met. French officials and Mr. Smith spoke. The US's envoy."
    assert check_summary(summary, source) == []
    flags = check_summary("Officials met in Washington, D.C.", source)
    assert [f.text for f in flags] == ["Washington", "D.C."]


def test_german_nouns_are_not_names_but_german_names_are() -> None:
    found = [
        n.text for n in find_names("Die Regierung plant ein Krankenhaus mit Olaf Scholz.", "de")
    ]
    assert found == ["Olaf", "Scholz"]


def test_approximate_numbers_allow_one_unit_of_their_last_digit() -> None:
    source = "The quake injured 225 people and cut power to 2,213,000 homes."
    assert check_summary("More than 200 were hurt; some 2.2 million homes.", source) == []
    assert _texts(check_summary("More than 300 were hurt.", source)) == ["300"]
    assert _texts(check_summary("Some 2.7 million homes.", source)) == ["2.7 million"]


def test_small_number_words_that_are_idioms_are_not_flagged() -> None:
    assert check_summary("It is one of the first cases, half the staff.", SOURCE) == []
    assert _texts(check_summary("Five doctors were infected.", SOURCE)) == ["Five"]


def test_a_translation_is_checked_both_ways() -> None:
    translation = "Merkel sagte am 19. März 2020, Deutschland gebe 4.000.000 Euro aus."
    flags = check_translation(translation, SOURCE, lang="de", source_lang="en")
    assert ("4.000.000 Euro", NUMBER_FLAG) in [(f.text, f.kind) for f in flags]
    missing = [f for f in flags if f.kind == MISSING_FLAG]
    assert {f.text for f in missing} >= {"45%", "1,200"}
    assert all(f.start is None and f.end is None for f in missing)


def test_flags_round_trip_through_json_dicts() -> None:
    flag = Flag("3 million", NUMBER_FLAG, 4, 13)
    assert Flag.from_dict(flag.to_dict()) == flag
    with pytest.raises(ValueError):
        Flag.from_dict({"text": "x", "kind": "nonsense", "start": 0, "end": 1})


def test_describe_is_one_line() -> None:
    flags = [Flag("3 million", NUMBER_FLAG, 0, 9), Flag("45%", MISSING_FLAG, None, None)]
    assert describe(flags) == "check: 3 million not in the section; 45% of the section missing"
    assert describe([]) == ""
    assert "(+2 more)" in describe([Flag(f"n{i}", NAME_FLAG, 0, 1) for i in range(5)])


def test_support_links_point_at_the_sentences_a_summary_came_from() -> None:
    paragraphs = [
        "The council approved a budget of 11.3 billion euros. The vote was held on Tuesday.",
        "Mayor Anne Hidalgo announced 1,500 social housing units. Trees will be planted.",
    ]
    sentences = [s.text for s in sentence_spans(paragraphs, "en")]
    assert len(sentences) == 4
    summary = ["Hidalgo promised 1500 social homes.", "A budget of €11.3bn was approved."]
    assert support_links(summary, sentences) == [[2], [0]]
    german = ["Hidalgo versprach 1500 Sozialwohnungen.", "Ein Budget von 11,3 Mrd. Euro."]
    assert support_links(german, sentences, lang="de", source_lang="en") == [[2], [0]]
    assert support_links(["Nothing alike here at all."], ["xyz qqq"])[0] == []


def test_sentence_spans_locate_sentences_in_their_paragraphs() -> None:
    paragraphs = ["First one. Second one.", "Third."]
    spans = sentence_spans(paragraphs, "en")
    for span in spans:
        assert paragraphs[span.paragraph][span.start : span.end] == span.text
    assert [(s.paragraph, s.text) for s in spans] == [
        (0, "First one."),
        (0, "Second one."),
        (1, "Third."),
    ]


def test_annotate_gives_summaries_flags_and_support_and_translations_flags_only() -> None:
    source = (SOURCE, "The ward reopens in May.")
    flags, support = annotate(
        ("Merkel pledged 4 million euros.", "The ward reopens in May."),
        source,
        translation=False,
        lang="en",
        source_lang="en",
    )
    assert [f.text for f in flags] == ["4 million euros"]
    assert support == ((0,), (2,))
    flags, support = annotate(
        ("Merkel versprach 3 Millionen Euro.",),
        source,
        translation=True,
        lang="de",
        source_lang="en",
    )
    assert support == ()
    assert "45%" in [f.text for f in flags if f.kind == MISSING_FLAG]
    assert annotate(source, source, translation=True, lang="en", source_lang="en") == ((), ())


def test_importing_the_flag_type_is_cheap() -> None:
    code = (
        "import sys; import models.fidelity.flags; "
        "print(sorted(m for m in sys.modules if m.startswith(('models', 'sentencex', 'babel'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['models', 'models.fidelity', 'models.fidelity.flags']"


def test_importing_the_checks_loads_neither_torch_nor_babel() -> None:
    code = (
        "import sys; import models.fidelity.flagger, models.fidelity.support; "
        "print(any(m in sys.modules for m in ('torch', 'transformers', 'babel', 'textual')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_support_of_a_translated_summary_comes_from_the_summary_before_translation() -> None:
    source = (
        "The ward will reopen next month after repairs.",
        "Officials said the roof was replaced by volunteers.",
    )
    german = ("Die Station öffnet nächsten Monat wieder. Freiwillige haben das Dach erneuert.",)
    english = ("The ward reopens next month. Volunteers replaced the roof.",)
    _, alone = annotate(german, source, translation=False, lang="de", source_lang="en")
    _, aligned = annotate(
        german,
        source,
        translation=False,
        lang="de",
        source_lang="en",
        aligned=Aligned(english, "en"),
    )
    assert aligned == ((0,), (1,))
    assert alone != aligned  # across languages the n-grams alone miss it
    # A summary whose translation split sentences differently keeps its own links.
    _, other = annotate(
        german,
        source,
        translation=False,
        lang="de",
        source_lang="en",
        aligned=Aligned(("One.",), "en"),
    )
    assert other == alone


def test_support_through_the_pivot_maps_pivot_sentences_to_the_section() -> None:
    # A French section, summarized in English from its English pivot translation, the
    # summary then translated into German.
    french = (
        "Le conseil a voté le budget mardi. La séance a duré quatre heures.",
        "Les travaux du pont commenceront en mai.",
    )
    pivot = (
        "The council voted the budget on Tuesday. The session lasted four hours.",
        "Work on the bridge will start in May.",
    )
    english = ("Bridge work starts in May. The council passed the budget.",)
    german = ("Die Brückenarbeiten beginnen im Mai. Der Rat verabschiedete den Haushalt.",)
    _, support = annotate(
        german,
        french,
        translation=False,
        lang="de",
        source_lang="fr",
        aligned=Aligned(english, "en", pivot),
    )
    assert support == ((2,), (0,))
    # A pivot whose paragraphs split differently cannot stand for the section.
    _, fallback = annotate(
        german,
        french,
        translation=False,
        lang="de",
        source_lang="fr",
        aligned=Aligned(english, "en", (" ".join(pivot),)),
    )
    _, alone = annotate(german, french, translation=False, lang="de", source_lang="fr")
    assert fallback == alone


# -- German single words and CJK names (models.fidelity.lexicons, cjk_names) ---------------

GERMAN_SOURCE = (
    "Die Gewerkschaft GDL hat die Deutsche Bahn am Montag mit 80 Lokführern bestreikt. Die "
    "Regierung will zwischen den Tarifparteien vermitteln."
)


def test_german_single_names_the_source_lacks_are_flagged() -> None:
    summary = (
        "Die Bahn wurde am Montag bestreikt, sagte Merkel. Nach Angaben von "
        "Wirtschaftsminister Habeck will auch Siemens vermitteln."
    )
    # Merkel and Siemens: about as common in English text as in German; Habeck: after a
    # title ("...minister"), though rare in English.
    assert _texts(check_summary(summary, GERMAN_SOURCE, lang="de")) == [
        "Merkel",
        "Habeck",
        "Siemens",
    ]


def test_german_nouns_the_source_lacks_are_not_names() -> None:
    summary = (
        "Die Lokführer legten die Arbeit nieder. Rund 80 Mitarbeiter streikten, pro Tag "
        "fielen Züge aus; die neue Regierung sucht mit dem Team Personal. Es ging um Geld, "
        "Gas und Energie."
    )
    # Plural and mass nouns without an article, after a number, after an article and an
    # adjective, and nouns German shares with English.
    assert check_summary(summary, GERMAN_SOURCE, lang="de") == []


def test_a_german_name_inflected_or_in_the_source_is_not_flagged() -> None:
    source = "Kanzlerin Merkel und der Konzern Siemens sprachen mit der GDL."
    assert check_summary("Merkels Regierung und Siemens einigten sich.", source, lang="de") == []


def test_a_german_title_before_a_name_is_not_part_of_it() -> None:
    source = "Airbus chief executive Guillaume Faury spoke in Toulouse."
    summary = "In Toulouse sprach Konzernchef Faury."
    assert check_summary(summary, source, lang="de", source_lang="en") == []
    flags = check_summary("In Toulouse sprach Konzernchef Kamieth.", source, lang="de")
    assert _texts(flags) == ["Kamieth"]


def test_a_sentence_opening_word_is_not_part_of_a_german_name() -> None:
    flags = check_summary("Laut Merkel will die Regierung vermitteln.", GERMAN_SOURCE, lang="de")
    assert [(f.text, f.kind) for f in flags] == [("Merkel", NAME_FLAG)]
    # A first name opening the sentence is part of the name.
    flags = check_summary("Olaf Scholz will vermitteln.", GERMAN_SOURCE, lang="de")
    assert _texts(flags) == ["Olaf Scholz"]


def test_a_country_or_city_under_its_name_in_another_language_is_not_flagged() -> None:
    source = "Chancellor Merkel said Germany and Spain will spend 3 million euros in London."
    summary = "Merkel dijo que Alemania y España gastarán 3 millones de euros en Londres."
    assert check_summary(summary, source, lang="es", source_lang="en") == []
    flags = check_summary("Merkel dijo que Italia gastará 3 millones.", source, lang="es")
    assert _texts(flags) == ["Italia"]


def test_a_common_word_opening_a_sentence_is_not_part_of_a_name() -> None:
    source = "Chancellor Merkel said Germany will spend 3 million euros."
    summary = "Selon Merkel, l'Allemagne dépensera 3 millions d'euros."
    assert check_summary(summary, source, lang="fr", source_lang="en") == []
    flags = check_summary("Also Siemens said Germany will spend 3 million euros.", source)
    assert [(f.text, f.kind) for f in flags] == [("Siemens", NAME_FLAG)]
    # A name's own first word stays part of it.
    assert _texts(check_summary("Olaf Scholz said so.", source)) == ["Olaf Scholz"]


def test_chinese_names_the_source_lacks_are_flagged() -> None:
    source = "上海市统计局3月19日公布，上海常住人口为2487万人。"
    summary = "习近平说，上海常住人口为2487万，东京的城市人口也明白了。"
    flags = check_summary(summary, source, lang="zh")
    assert [(f.text, f.kind) for f in flags] == [("习近平", NAME_FLAG), ("东京", NAME_FLAG)]
    assert all(summary[f.start : f.end] == f.text for f in flags if f.start is not None)


def test_chinese_names_against_an_english_source() -> None:
    source = "Chinese President Xi Jinping met French President Emmanuel Macron in Tokyo."
    # By sound (pinyin), as a city CLDR names in both languages, by an adjective.
    assert (
        check_summary("习近平在东京会见了法国总统马克龙。", source, lang="zh", source_lang="en")
        == []
    )
    flags = check_summary("李克强在东京会见了德国总统。", source, lang="zh", source_lang="en")
    assert _texts(flags) == ["李克强", "德国"]


def test_japanese_names_the_source_lacks_are_flagged() -> None:
    source = "東京都は3月19日に予算を発表した。小池百合子知事によると保育士を増やす。"
    summary = "大阪府の発表によると、メルケル首相と岸田文雄首相が日独のデータとニュースを見た。"
    # A proper noun IPAdic knows, a katakana word it does not know, a name of two parts
    # as one; loanwords it knows ("データ") and one-kanji abbreviations ("日独") are not.
    assert _texts(check_summary(summary, source, lang="ja")) == ["大阪", "メルケル", "岸田文雄"]
    assert check_summary("小池知事は東京都の予算を発表した。", source, lang="ja") == []


def test_japanese_names_against_an_english_source() -> None:
    source = "Chancellor Olaf Scholz met Prime Minister Fumio Kishida in Tokyo on March 19."
    clean = "ショルツ首相は3月19日、東京で岸田文雄首相と会談した。"
    assert check_summary(clean, source, lang="ja", source_lang="en") == []
    changed = "マクロン大統領は3月19日、大阪で岸田文雄首相と会談した。"
    assert _texts(check_summary(changed, source, lang="ja", source_lang="en")) == [
        "マクロン",
        "大阪",
    ]


def test_sound_skeletons_meet_across_scripts() -> None:
    from models.fidelity.cjk_names import reading, skeleton, sounds_alike

    assert skeleton("merukeru") == skeleton("merkel") == "mrkr"
    assert skeleton("shorutsu") == skeleton("scholz")
    assert sounds_alike(reading("ゼレンスキー", "ja"), "zelensky")
    assert reading("東京", "ja") == "toukiyou" and sounds_alike("toukiyou", "tokyo")
    assert not sounds_alike(reading("マクロン", "ja"), "merkel")


def test_place_names_come_from_cldr_in_each_language() -> None:
    from models.fidelity.fold import fold
    from models.fidelity.lexicons import place_forms, place_names

    tokyo = place_names("zh")["东京"]
    assert "Asia/Tokyo" in tokyo
    assert "tokyo" in place_forms(tokyo, "en") and "東京" in place_forms(tokyo, "ja")
    # Folded, as every name is compared: NFKD splits the voicing mark off "ド".
    assert "DE" in place_names("ja")[fold("ドイツ")]


def test_importing_the_checks_loads_no_word_list_or_analyser() -> None:
    code = (
        "import sys; import models.fidelity.flagger; "
        "print(any(m in sys.modules for m in ('wordfreq', 'jieba', 'fugashi', 'ipadic')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_missing_analyser_skips_its_checks_and_says_so_in_the_log() -> None:
    # sys.modules[name] = None makes `import name` raise ImportError, as if not installed.
    code = (
        "import sys, logging; sys.modules['jieba'] = None; sys.modules['fugashi'] = None; "
        "logging.basicConfig(level=logging.WARNING, format='%(message)s'); "
        "from models.fidelity.flagger import check_summary as c; "
        "print([f.text for f in c('习近平说了。', '他说了。', lang='zh')], "
        "[f.text for f in c('メルケル首相が来た。', '首相が来た。', lang='ja')], "
        "[f.text for f in c('Die Bahn, sagte Merkel.', 'Die Bahn.', lang='de')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] [] ['Merkel']"
    assert "jieba unavailable" in out.stderr and "MeCab (fugashi, ipadic) unavailable" in out.stderr
