"""Measure the fidelity flagger on constructed summaries with known errors.

Each case is a source passage with clean paraphrases written by hand (numbers
reformatted, dates reordered, names inflected, some in another language, as a
pivot translation would give them) and substitutions that insert one error into
a clean paraphrase: a number changed, a date moved, a name replaced by one the
source never mentions, or by another name the source does mention (a swap the
flagger cannot see by design; reported on its own line).

Prints, per language and overall: the share of clean paraphrases with no flag,
the precision of all flags raised (a flag is right when it covers the inserted
error), and the recall of inserted number/date and name errors. Targets (issue
15): precision >= 85 %, number/date recall >= 80 %, name recall >= 60 %.

    .venv/bin/python scripts/eval_flags.py [--verbose]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.fidelity.flagger import check_summary, check_translation
from models.fidelity.flags import MISSING_FLAG, Flag

NUMBER, DATE, NAME, SWAP = "number", "date", "name", "swap"


@dataclass(frozen=True)
class Case:
    """A source passage, its clean paraphrases, and errors to insert into them."""

    source: str
    source_lang: str
    lang: str
    clean: tuple[str, ...]
    # (index of the clean paraphrase, text to replace, replacement, kind)
    errors: tuple[tuple[int, str, str, str], ...] = field(default=())


CASES: tuple[Case, ...] = (
    Case(
        "Chancellor Angela Merkel said on March 19, 2020 that Germany would spend 3,000,000 "
        "euros on the Charité hospital in Berlin. About 45% of the 1,200 staff had been "
        "infected, the Robert Koch Institute reported on Thursday. The hospital, founded in "
        "1710, will add 250 beds by June.",
        "en",
        "en",
        (
            "Merkel said on 19 March that Germany will spend 3 million euros on Berlin's "
            "Charité hospital.",
            "About 45 percent of the hospital's 1,200 staff were infected, according to the "
            "Robert Koch Institute.",
            "The Charité, founded in 1710, will add 250 beds by June, Merkel said in March 2020.",
            "German Chancellor Angela Merkel pledged €3m for Berlin's Charité hospital, where "
            "nearly half of the staff caught the virus.",
            "Germany will spend three million euros on the Charité, Merkel said on Thursday.",
            # Derived, not copied: 45 % of 1,200 is 540. Right, but no source number says so.
            "More than 500 of the hospital's staff were infected, the institute said.",
        ),
        (
            (0, "3 million", "4 million", NUMBER),
            (0, "19 March", "21 March", DATE),
            (0, "Merkel", "Olaf Scholz", NAME),
            (1, "45 percent", "54 percent", NUMBER),
            (1, "1,200", "1,500", NUMBER),
            (1, "Robert Koch Institute", "Paul Ehrlich Institute", NAME),
            (2, "1710", "1810", DATE),
            (2, "250 beds", "350 beds", NUMBER),
            (2, "June", "July", DATE),
            (2, "March 2020", "March 2021", DATE),
            (1, "Robert Koch Institute", "Charité", SWAP),
            (3, "€3m", "€30m", NUMBER),
            (3, "Angela Merkel", "Ursula von der Leyen", NAME),
            (4, "three million", "thirteen million", NUMBER),
            (4, "Thursday", "Friday", DATE),
            (5, "More than 500", "More than 900", NUMBER),
        ),
    ),
    Case(
        "A magnitude 7.4 earthquake struck off Fukushima late on Wednesday, killing four "
        "people and injuring 225, Prime Minister Fumio Kishida said. Power was cut to "
        "2.2 million homes in Tokyo and the surrounding region. East Japan Railway said "
        "some Shinkansen lines would stay closed until March 25.",
        "en",
        "en",
        (
            "A 7.4-magnitude quake off Fukushima killed four people and injured 225, Kishida said.",
            "About 2.2 million homes around Tokyo lost power, and East Japan Railway kept "
            "Shinkansen lines closed until 25 March.",
            "Japan's prime minister Fumio Kishida said four people died in the Fukushima "
            "earthquake.",
            "The 7.4 quake hit late Wednesday; 225 people were hurt and bullet trains halted "
            "until March 25.",
            "Some 2.2m homes in and around Tokyo were without power.",
        ),
        (
            (0, "7.4", "7.1", NUMBER),
            (0, "225", "252", NUMBER),
            (0, "Kishida", "Shinzo Abe", NAME),
            (0, "Fukushima", "Sendai", NAME),
            (1, "2.2 million", "3.2 million", NUMBER),
            (1, "25 March", "15 March", DATE),
            (1, "Tokyo", "Osaka", NAME),
            (1, "East Japan Railway", "Japan Airlines", NAME),
            (0, "Fukushima", "Tokyo", SWAP),
            (2, "Fumio Kishida", "Yoshihide Suga", NAME),
            (2, "four people", "five people", NUMBER),
            (3, "March 25", "March 5", DATE),
            (3, "225 people", "252 people", NUMBER),
            (4, "2.2m", "2.7m", NUMBER),
        ),
    ),
    Case(
        "Die Gewerkschaft GDL hat die Deutsche Bahn am Montag erneut bestreikt. Nach Angaben "
        "von GDL-Chef Claus Weselsky legten rund 8.000 Lokführer die Arbeit nieder; der Streik "
        "soll bis zum 12. Januar 2024 um 18 Uhr dauern. Die Bahn fordert 3,5 Millionen Euro "
        "Schadenersatz und will vor dem Arbeitsgericht in Frankfurt klagen.",
        "de",
        "de",
        (
            "Rund 8000 Lokführer der GDL streiken bis zum 12. Januar um 18 Uhr, sagte Claus "
            "Weselsky.",
            "Die Deutsche Bahn verlangt 3,5 Mio. Euro Schadenersatz und klagt in Frankfurt.",
            "Weselskys Gewerkschaft legte am Montag den Bahnverkehr lahm, der Streik endet "
            "im Januar 2024.",
            "Die GDL hat die Bahn erneut bestreikt; rund 8000 Lokführer legten am Montag die "
            "Arbeit nieder.",
            "Der Bahn-Streik dauert bis Freitagabend, 12. Januar.",
        ),
        (
            (0, "8000", "9000", NUMBER),
            (0, "12. Januar", "14. Januar", DATE),
            (0, "18 Uhr", "20 Uhr", DATE),
            (0, "Claus Weselsky", "Martin Burkert", NAME),
            (1, "3,5 Mio.", "4,5 Mio.", NUMBER),
            (1, "Frankfurt", "Köln", NAME),
            (2, "Januar 2024", "Februar 2024", DATE),
            (2, "Weselskys", "Olaf Scholz'", NAME),
            (1, "Deutsche Bahn", "GDL", SWAP),
            (3, "8000", "6000", NUMBER),
            (4, "12. Januar", "12. Februar", DATE),
        ),
    ),
    Case(
        "Le conseil de Paris a adopté mardi un budget de 11,3 milliards d'euros pour 2024. "
        "La maire Anne Hidalgo a annoncé 1 500 nouveaux logements sociaux et la plantation "
        "de 170 000 arbres d'ici 2026. Le vote a eu lieu le 12 décembre, avec 87 voix pour.",
        "fr",
        "fr",
        (
            "Paris a voté un budget de 11,3 milliards d'euros pour 2024, le 12 décembre.",
            "Anne Hidalgo promet 1500 logements sociaux et 170 000 arbres plantés d'ici 2026.",
            "Le budget parisien de 2024 atteint 11,3 Md€.",
            "Anne Hidalgo, maire de Paris, prévoit de planter 170.000 arbres.",
        ),
        (
            (0, "11,3 milliards", "13,1 milliards", NUMBER),
            (0, "12 décembre", "21 décembre", DATE),
            (0, "2024", "2025", DATE),
            (1, "1500", "2500", NUMBER),
            (1, "170 000", "117 000", NUMBER),
            (1, "Anne Hidalgo", "Rachida Dati", NAME),
            (1, "2026", "2028", DATE),
            (2, "11,3 Md€", "12 Md€", NUMBER),
            (3, "170.000", "70.000", NUMBER),
            (3, "Anne Hidalgo", "Emmanuel Grégoire", NAME),
        ),
    ),
    Case(
        "El Gobierno de Pedro Sánchez aprobó el 4 de abril un plan de 2.200 millones de euros "
        "contra la sequía en Cataluña y Andalucía. Los embalses están al 27 % de su capacidad, "
        "según la ministra Teresa Ribera. Barcelona limitará el consumo a 200 litros por "
        "persona y día.",
        "es",
        "es",
        (
            "El Gobierno de Sánchez aprobó el 4 de abril un plan de 2200 millones contra la "
            "sequía.",
            "Los embalses de Cataluña y Andalucía están al 27 por ciento, dijo Ribera, y "
            "Barcelona limitará el consumo a 200 litros.",
            "Sánchez aprueba 2.200 millones de euros contra la sequía.",
            # An added title from world knowledge: right, but not in the section.
            "La ministra de Transición Ecológica, Teresa Ribera, dijo que los embalses están "
            "al 27%.",
        ),
        (
            (0, "2200 millones", "3200 millones", NUMBER),
            (0, "4 de abril", "4 de mayo", DATE),
            (0, "Sánchez", "Alberto Núñez Feijóo", NAME),
            (1, "27 por ciento", "37 por ciento", NUMBER),
            (1, "200 litros", "150 litros", NUMBER),
            (1, "Barcelona", "Valencia", NAME),
            (1, "Ribera", "Yolanda Díaz", NAME),
            (1, "Barcelona", "Andalucía", SWAP),
            (2, "2.200 millones", "2.000 millones", NUMBER),
            (3, "27%", "72%", NUMBER),
        ),
    ),
    Case(
        "上海市统计局3月19日公布，2023年上海生产总值达到4.72万亿元，同比增长5.0%。全市常住人口"
        "为2487万人，新增就业岗位60.6万个。",
        "zh",
        "zh",
        (
            "2023年上海生产总值4.72万亿元，增长5.0%，3月19日公布。",
            "上海常住人口2487万，新增60.6万个就业岗位。",
            # "GDP" for 生产总值: right, but the acronym is not in the section.
            "上海去年GDP达4.72万亿元，增长5%。",
        ),
        (
            (0, "4.72万亿", "4.27万亿", NUMBER),
            (0, "5.0%", "6.0%", NUMBER),
            (0, "3月19日", "3月29日", DATE),
            (0, "2023年", "2022年", DATE),
            (1, "2487万", "2784万", NUMBER),
            (1, "60.6万", "66.6万", NUMBER),
            (2, "5%", "7%", NUMBER),
        ),
    ),
    Case(
        "Мэр Москвы Сергей Собянин открыл 15 декабря 2023 года четыре новые станции метро. "
        "Их строительство обошлось в 120 млрд рублей, а пассажиропоток составит 350 тысяч "
        "человек в день.",
        "ru",
        "ru",
        (
            "Собянин 15 декабря открыл в Москве четыре станции метро стоимостью 120 млрд рублей.",
            "Новые станции будут перевозить 350 тыс. человек в день.",
            "В Москве открылись четыре новые станции метро за 120 млрд руб.",
        ),
        (
            (0, "15 декабря", "25 декабря", DATE),
            (0, "120 млрд", "210 млрд", NUMBER),
            (0, "Собянин", "Владимир Путин", NAME),
            (0, "Москве", "Петербурге", NAME),
            (1, "350 тыс.", "530 тыс.", NUMBER),
            (2, "120 млрд", "100 млрд", NUMBER),
        ),
    ),
    Case(
        "東京都は3月19日、2024年度予算として8兆4530億円を計上したと発表した。小池百合子知事に"
        "よると、保育士を1,200人増やす。出生数は前年比5.1%減少した。",
        "ja",
        "ja",
        (
            "東京都は3月19日に8兆4530億円の予算を発表した。",
            "保育士を1200人増やし、出生数は5.1%減った。",
        ),
        (
            (0, "3月19日", "3月21日", DATE),
            (0, "8兆4530億円", "9兆円", NUMBER),
            (1, "1200人", "1500人", NUMBER),
            (1, "5.1%", "15%", NUMBER),
        ),
    ),
    Case(
        "서울시는 3월 19일 2024년 예산 45조 원을 발표했다. 오세훈 시장은 보육교사 1,200명을 "
        "늘리겠다고 말했다.",
        "ko",
        "ko",
        ("서울시는 3월 19일 예산 45조 원을 발표했다.", "오세훈 시장은 보육교사 1200명을 늘린다."),
        (
            (0, "3월 19일", "3월 21일", DATE),
            (0, "45조", "50조", NUMBER),
            (1, "1200명", "2100명", NUMBER),
        ),
    ),
    Case(
        "O governo de Lula aprovou em 4 de abril um plano de 2,2 bilhões de reais contra a "
        "seca. Os reservatórios estão a 27% da capacidade, disse a ministra Marina Silva.",
        "pt",
        "pt",
        (
            "Lula aprovou em 4 de abril um plano de 2,2 bilhões contra a seca.",
            "A ministra Marina Silva disse que os reservatórios estão a 27 por cento.",
        ),
        (
            (0, "2,2 bilhões", "3,2 bilhões", NUMBER),
            (0, "4 de abril", "14 de abril", DATE),
            (0, "Lula", "Jair Bolsonaro", NAME),
            (1, "Marina Silva", "Fernando Haddad", NAME),
            (1, "27 por cento", "37 por cento", NUMBER),
        ),
    ),
    Case(
        # The opening of a real article (models/data, CGTN, 16 April 2020).
        "An article by Chinese President Xi Jinping on global solidarity and cooperation to "
        "battle the COVID-19 pandemic will be published on Thursday. The article by President "
        "Xi, also general secretary of the Communist Party of China (CPC) Central Committee "
        "and chairman of the Central Military Commission, will appear in the eighth issue of "
        "the Qiushi Journal, a flagship magazine of the CPC Central Committee. Solidarity and "
        "cooperation are the most powerful weapon against the disease, the article said.",
        "en",
        "en",
        (
            "Chinese President Xi Jinping's article on global solidarity against COVID-19 will "
            "be published in the Qiushi Journal on Thursday.",
            "The article says solidarity and cooperation are the most powerful weapon against "
            "the disease.",
            "Xi, who is also general secretary of the CPC Central Committee, wrote the article "
            "for the eighth issue of Qiushi.",
        ),
        (
            (0, "Xi Jinping", "Li Keqiang", NAME),
            (0, "Qiushi Journal", "People's Daily", NAME),
            (0, "Thursday", "Friday", DATE),  # weekdays are not checked: expected miss
            (0, "COVID-19", "SARS", NAME),
            (2, "eighth", "ninth", NUMBER),  # small ordinals are not flagged: expected miss
            (2, "CPC Central Committee", "Central Military Commission", SWAP),
        ),
    ),
    # Summaries in another language than the source, as a pivot translation gives them.
    Case(
        "Chancellor Angela Merkel said on March 19, 2020 that Germany would spend 3,000,000 "
        "euros on the Charité hospital in Berlin. About 45% of the 1,200 staff had been "
        "infected, the Robert Koch Institute reported on Thursday.",
        "en",
        "de",
        (
            "Merkel sagte am 19. März 2020, Deutschland werde drei Millionen Euro für die "
            "Berliner Charité ausgeben.",
            "Etwa 45 Prozent der 1200 Mitarbeiter seien infiziert, meldete das "
            "Robert-Koch-Institut.",
            "Kanzlerin Merkel kündigte am Donnerstag an, drei Mio. Euro in die Charité zu "
            "investieren.",
        ),
        (
            (0, "19. März", "21. März", DATE),
            (0, "drei Millionen", "vier Millionen", NUMBER),
            (0, "Merkel", "Olaf Scholz", NAME),
            (1, "45 Prozent", "54 Prozent", NUMBER),
            (1, "1200", "1500", NUMBER),
            (2, "drei Mio.", "fünf Mio.", NUMBER),
        ),
    ),
    Case(
        "A magnitude 7.4 earthquake struck off Fukushima late on Wednesday, killing four "
        "people and injuring 225, Prime Minister Fumio Kishida said. Power was cut to "
        "2.2 million homes in Tokyo and the surrounding region.",
        "en",
        "fr",
        (
            "Un séisme de magnitude 7,4 au large de Fukushima a fait quatre morts et 225 "
            "blessés, selon Fumio Kishida.",
            "L'électricité a été coupée dans 2,2 millions de foyers autour de Tokyo.",
        ),
        (
            (0, "7,4", "7,9", NUMBER),
            (0, "225", "522", NUMBER),
            (0, "Fumio Kishida", "Shinzo Abe", NAME),
            (1, "2,2 millions", "1,2 million", NUMBER),
            (1, "Tokyo", "Nagoya", NAME),
        ),
    ),
    Case(
        "Die Gewerkschaft GDL hat die Deutsche Bahn am Montag erneut bestreikt. Nach Angaben "
        "von GDL-Chef Claus Weselsky legten rund 8.000 Lokführer die Arbeit nieder; der Streik "
        "soll bis zum 12. Januar 2024 um 18 Uhr dauern.",
        "de",
        "en",
        (
            "About 8,000 train drivers of the GDL union went on strike against Deutsche Bahn "
            "until January 12, 2024 at 6 p.m., Claus Weselsky said.",
        ),
        (
            (0, "8,000", "18,000", NUMBER),
            (0, "January 12", "January 21", DATE),
            (0, "6 p.m.", "8 p.m.", DATE),
            (0, "Claus Weselsky", "Martin Seiler", NAME),
        ),
    ),
    Case(
        "Le conseil de Paris a adopté mardi un budget de 11,3 milliards d'euros pour 2024. "
        "La maire Anne Hidalgo a annoncé 1 500 nouveaux logements sociaux.",
        "fr",
        "zh",
        ("巴黎议会通过了2024年113亿欧元的预算，市长Anne Hidalgo宣布新建1500套社会住房。",),
        (
            (0, "113亿", "131亿", NUMBER),
            (0, "2024年", "2025年", DATE),
            (0, "1500", "2500", NUMBER),
            (0, "Anne Hidalgo", "Rachida Dati", NAME),
        ),
    ),
)


@dataclass(frozen=True)
class TranslationCase:
    """A source passage, a faithful translation, and errors to insert into it: a number
    changed (NUMBER/DATE: `new` replaces `old`) or dropped (DROP: `old` is removed, and
    the flag must name the source's `new`)."""

    source: str
    source_lang: str
    lang: str
    clean: str
    errors: tuple[tuple[str, str, str], ...]


DROP = "drop"

TRANSLATIONS: tuple[TranslationCase, ...] = (
    TranslationCase(
        "Chancellor Angela Merkel said on March 19, 2020 that Germany would spend 3,000,000 "
        "euros on the Charité hospital. About 45% of the 1,200 staff had been infected.",
        "en",
        "de",
        "Bundeskanzlerin Angela Merkel sagte am 19. März 2020, Deutschland werde 3.000.000 Euro "
        "für die Charité ausgeben. Etwa 45 % der 1.200 Mitarbeiter hatten sich infiziert.",
        (
            ("3.000.000 Euro", "300.000 Euro", NUMBER),
            ("19. März 2020", "29. März 2020", DATE),
            ("45 %", "54 %", NUMBER),
            (" der 1.200 Mitarbeiter", "1,200", DROP),
        ),
    ),
    TranslationCase(
        "A magnitude 7.4 earthquake struck off Fukushima late on Wednesday, killing four people "
        "and injuring 225. Power was cut to 2.2 million homes until March 25.",
        "en",
        "fr",
        "Un séisme de magnitude 7,4 a frappé au large de Fukushima mercredi soir, tuant quatre "
        "personnes et en blessant 225. L'électricité a été coupée dans 2,2 millions de foyers "
        "jusqu'au 25 mars.",
        (
            ("7,4", "7,7", NUMBER),
            ("225", "252", NUMBER),
            ("jusqu'au 25 mars", "jusqu'au 15 mars", DATE),
            (" et en blessant 225", "225", DROP),
        ),
    ),
    TranslationCase(
        "Nach Angaben von GDL-Chef Claus Weselsky legten rund 8.000 Lokführer die Arbeit "
        "nieder; der Streik soll bis zum 12. Januar 2024 um 18 Uhr dauern.",
        "de",
        "en",
        "According to GDL chief Claus Weselsky, around 8,000 train drivers walked out; the "
        "strike is to last until 6 p.m. on January 12, 2024.",
        (
            ("8,000", "80,000", NUMBER),
            ("6 p.m.", "8 p.m.", DATE),
            ("January 12, 2024", "January 21, 2024", DATE),
            (" 6 p.m. on", "18 Uhr", DROP),
        ),
    ),
    TranslationCase(
        "Le conseil de Paris a adopté un budget de 11,3 milliards d'euros pour 2024. La maire "
        "a annoncé 1 500 nouveaux logements sociaux.",
        "fr",
        "zh",
        "巴黎市议会通过了2024年113亿欧元的预算。市长宣布新建1500套社会住房。",
        (
            ("113亿", "131亿", NUMBER),
            ("1500套", "2500套", NUMBER),
            ("2024年", "2025年", DATE),
        ),
    ),
    TranslationCase(
        "El Gobierno aprobó el 4 de abril un plan de 2.200 millones de euros. Los embalses "
        "están al 27 % de su capacidad.",
        "es",
        "en",
        "The government approved a 2.2 billion euro plan on April 4. Reservoirs are at 27% "
        "of capacity.",
        (
            ("2.2 billion", "2.5 billion", NUMBER),
            ("April 4", "April 14", DATE),
            ("27%", "37%", NUMBER),
            (" at 27% of capacity", "27 %", DROP),
        ),
    ),
)


def evaluate_translations(verbose: bool = False) -> dict[str, int]:
    """Counts over the translation cases: clean ones without a flag, errors caught."""
    counts: dict[str, int] = defaultdict(int)
    for case in TRANSLATIONS:
        flags = check_translation(
            case.clean, case.source, lang=case.lang, source_lang=case.source_lang
        )
        counts["clean"] += 1
        counts["clean_ok"] += not flags
        counts["flags"] += len(flags)
        if verbose and flags:
            print(f"[translation {case.source_lang}>{case.lang}] false alarm: {flags}")
        for old, new, kind in case.errors:
            at = case.clean.index(old)
            if kind == DROP:
                text = case.clean[:at] + case.clean[at + len(old) :]
                flags = check_translation(
                    text, case.source, lang=case.lang, source_lang=case.source_lang
                )
                right = [f for f in flags if f.kind == MISSING_FLAG and f.text.startswith(new)]
            else:
                text = case.clean[:at] + new + case.clean[at + len(old) :]
                flags = check_translation(
                    text, case.source, lang=case.lang, source_lang=case.source_lang
                )
                right = [f for f in flags if _covers(f, at, at + len(new))]
                # A changed number also leaves the source's number missing: that is right too.
                right += [f for f in flags if f.kind == MISSING_FLAG]
            counts[f"{kind}_errors"] += 1
            counts[f"{kind}_caught"] += bool(right)
            counts["flags"] += len(flags)
            counts["flags_right"] += len(right)
            if verbose and not right:
                print(f"[translation] missed {kind}: {new!r} in {text!r} (flags {flags})")
    return counts


# Written after the flagger was otherwise finished, as a smaller, fairer check of how
# the figures above carry over; reported on their own line. The first five cases' first
# run found one bug, a possessive acronym ("ESA's" for the European Space Agency)
# flagged as a name: 90 % clean and 88 % flag precision before that fix, 100 % after.
# The Italian and Dutch cases were added later and run once, unchanged.
HELD_OUT: tuple[Case, ...] = (
    Case(
        "Police in Manchester arrested three men on Saturday after a car was driven into a "
        "crowd outside the Etihad Stadium, injuring 14 people. Greater Manchester Police said "
        "the driver, a 34-year-old from Salford, had been detained at the scene. Two of the "
        "injured remain in hospital in a serious condition.",
        "en",
        "en",
        (
            "Three men were arrested after a car hit a crowd outside the Etihad Stadium in "
            "Manchester, injuring 14 people.",
            "The 34-year-old driver from Salford was detained at the scene, police said.",
            "Two people are still in hospital in a serious condition.",
        ),
        (
            (0, "14 people", "41 people", NUMBER),
            (0, "Etihad Stadium", "Old Trafford", NAME),
            (1, "34-year-old", "43-year-old", NUMBER),
            (1, "Salford", "Bolton", NAME),
            (2, "Two people", "Four people", NUMBER),
        ),
    ),
    Case(
        "Apple reported revenue of $94.8 billion for the quarter ending April 1, down 3% from "
        "a year earlier, chief executive Tim Cook said on Thursday. iPhone sales rose to "
        "$51.3 billion, while Mac sales fell 31% to $7.2 billion.",
        "en",
        "en",
        (
            "Apple's quarterly revenue fell 3% to $94.8bn, Tim Cook said.",
            "iPhone sales climbed to $51.3bn but Mac sales dropped 31 per cent.",
        ),
        (
            (0, "3%", "5%", NUMBER),
            (0, "$94.8bn", "$98.4bn", NUMBER),
            (0, "Tim Cook", "Luca Maestri", NAME),
            (1, "$51.3bn", "$53.1bn", NUMBER),
            (1, "31 per cent", "13 per cent", NUMBER),
        ),
    ),
    Case(
        "The European Space Agency launched its Juice probe from Kourou in French Guiana on "
        "April 14, 2023. The spacecraft will reach Jupiter in July 2031 after an eight-year "
        "journey of 6.6 billion kilometres.",
        "en",
        "en",
        (
            "ESA's Juice probe lifted off from French Guiana on 14 April 2023.",
            "It will arrive at Jupiter in 2031 after travelling 6.6 billion km.",
        ),
        (
            (0, "14 April 2023", "13 April 2023", DATE),
            (0, "French Guiana", "Cape Canaveral", NAME),
            (1, "2031", "2030", DATE),
            (1, "6.6 billion", "6.8 billion", NUMBER),
            (1, "Jupiter", "Saturn", NAME),
        ),
    ),
    Case(
        "Der Bundestag hat am Freitag mit 399 zu 213 Stimmen das Heizungsgesetz beschlossen. "
        "Wirtschaftsminister Robert Habeck sprach von einem wichtigen Schritt; ab 2024 sollen "
        "neue Heizungen zu 65 Prozent mit erneuerbarer Energie betrieben werden.",
        "de",
        "de",
        (
            "Der Bundestag beschloss das Heizungsgesetz mit 399 zu 213 Stimmen.",
            "Robert Habeck lobte das Gesetz: Ab 2024 müssen neue Heizungen zu 65 Prozent "
            "erneuerbar laufen.",
        ),
        (
            (0, "399", "369", NUMBER),
            (1, "Robert Habeck", "Christian Lindner", NAME),
            (1, "2024", "2025", DATE),
            (1, "65 Prozent", "56 Prozent", NUMBER),
        ),
    ),
    Case(
        "La Fiscalía de Madrid investiga la muerte de 7.291 ancianos en residencias durante "
        "marzo y abril de 2020, según el exconsejero Alberto Reyero.",
        "es",
        "es",
        ("Unos 7.300 ancianos murieron en residencias de Madrid en la primavera de 2020.",),
        (
            (0, "7.300", "9.300", NUMBER),
            (0, "2020", "2021", DATE),
            (0, "Madrid", "Barcelona", NAME),
        ),
    ),
    Case(
        "Il governo Meloni ha approvato il 12 ottobre una manovra da 24 miliardi di euro. Il "
        "ministro Giancarlo Giorgetti ha detto che il deficit scenderà al 4,3% nel 2024.",
        "it",
        "it",
        (
            "Il governo ha approvato una manovra da 24 miliardi il 12 ottobre.",
            "Giorgetti: il deficit scenderà al 4,3% nel 2024.",
        ),
        (
            (0, "24 miliardi", "42 miliardi", NUMBER),
            (0, "12 ottobre", "21 ottobre", DATE),
            (1, "Giorgetti", "Matteo Salvini", NAME),
            (1, "4,3%", "3,4%", NUMBER),
            (1, "2024", "2025", DATE),
        ),
    ),
    Case(
        "Het kabinet-Rutte trok op 7 juli 2023 de stekker uit de coalitie. Volgens premier "
        "Mark Rutte liepen de partijen vast op het asielbeleid; 45.000 asielzoekers kwamen "
        "vorig jaar naar Nederland.",
        "nl",
        "nl",
        (
            "Op 7 juli 2023 viel het kabinet van Mark Rutte over het asielbeleid.",
            "Vorig jaar kwamen 45.000 asielzoekers naar Nederland.",
        ),
        (
            (0, "7 juli 2023", "17 juli 2023", DATE),
            (0, "Mark Rutte", "Dilan Yeşilgöz", NAME),
            (1, "45.000", "54.000", NUMBER),
            (1, "Nederland", "België", NAME),
        ),
    ),
)


def _covers(flag: Flag, start: int, end: int) -> bool:
    return flag.start is not None and flag.end is not None and flag.start < end and start < flag.end


def evaluate(verbose: bool = False, cases: tuple[Case, ...] = CASES) -> dict[str, dict[str, int]]:
    """Counts per language pair and overall (key "all")."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for case in cases:
        pair = case.lang if case.lang == case.source_lang else f"{case.source_lang}>{case.lang}"
        for key in (pair, "all"):
            counts[key]["clean"] += len(case.clean)
        for text in case.clean:
            flags = check_summary(text, case.source, lang=case.lang, source_lang=case.source_lang)
            for key in (pair, "all"):
                counts[key]["clean_ok"] += not flags
                counts[key]["flags"] += len(flags)
            if verbose and flags:
                print(f"[{pair}] false alarm: {[f.text for f in flags]} in {text!r}")
        for index, old, new, kind in case.errors:
            clean = case.clean[index]
            at = clean.index(old)
            text = clean[:at] + new + clean[at + len(old) :]
            start, end = at, at + len(new)
            flags = check_summary(text, case.source, lang=case.lang, source_lang=case.source_lang)
            hit = any(_covers(f, start, end) for f in flags)
            group = {DATE: NUMBER}.get(kind, kind)
            for key in (pair, "all"):
                counts[key][f"{group}_errors"] += 1
                counts[key][f"{group}_caught"] += hit
                # Flags on an error version: right when they cover the inserted error.
                counts[key]["flags"] += len(flags)
                counts[key]["flags_right"] += sum(_covers(f, start, end) for f in flags)
            if verbose and not hit:
                print(f"[{pair}] missed {kind}: {new!r} in {text!r} (flags {flags})")
    return counts


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}% ({part}/{whole})" if whole else "   n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every miss and false alarm")
    args = parser.parse_args()
    counts = evaluate(args.verbose)
    header = (
        f"{'pair':<8} {'clean, no flag':<18} {'flag precision':<18} "
        f"{'number/date recall':<20} {'name recall':<18} {'in-source swaps':<16}"
    )
    print(header)
    for pair in [*sorted(k for k in counts if k != "all"), "all"]:
        c = counts[pair]
        print(
            f"{pair:<8} {_pct(c['clean_ok'], c['clean']):<18} "
            f"{_pct(c['flags_right'], c['flags']):<18} "
            f"{_pct(c['number_caught'], c['number_errors']):<20} "
            f"{_pct(c['name_caught'], c['name_errors']):<18} "
            f"{_pct(c['swap_caught'], c['swap_errors']):<16}"
        )
    t = evaluate_translations(args.verbose)
    changed = t["number_caught"] + t["date_caught"]
    changes = t["number_errors"] + t["date_errors"]
    print(
        f"translations: clean, no flag {_pct(t['clean_ok'], t['clean'])}; "
        f"flag precision {_pct(t['flags_right'], t['flags'])}; "
        f"changed number/date caught {_pct(changed, changes)}; "
        f"dropped number caught {_pct(t['drop_caught'], t['drop_errors'])}"
    )
    h = evaluate(args.verbose, HELD_OUT)["all"]
    print(
        f"held out ({len(HELD_OUT)} cases): clean, no flag {_pct(h['clean_ok'], h['clean'])}; "
        f"flag precision {_pct(h['flags_right'], h['flags'])}; "
        f"number/date recall {_pct(h['number_caught'], h['number_errors'])}; "
        f"name recall {_pct(h['name_caught'], h['name_errors'])}"
    )
    c = counts["all"]
    precision = c["flags_right"] / c["flags"] if c["flags"] else 1.0
    number = c["number_caught"] / c["number_errors"]
    name = c["name_caught"] / c["name_errors"]
    met = precision >= 0.85 and number >= 0.80 and name >= 0.60
    print(
        f"targets: precision >= 85% {'met' if precision >= 0.85 else 'NOT met'}, "
        f"number/date recall >= 80% {'met' if number >= 0.80 else 'NOT met'}, "
        f"name recall >= 60% {'met' if name >= 0.60 else 'NOT met'}"
    )
    print(
        "in-source swaps (a name replaced by another the section mentions) are not "
        "counted in name recall: presence checks cannot see them."
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
