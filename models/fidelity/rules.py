"""The normalisation rules for numbers, amounts, dates and times, as tables.

Everything language-specific that the fidelity checks know lives here: words for
scales ("Millionen", "万"), small numbers ("drei"), ordinals, percent and currency
words, time words, and the CJK numerals. Month names are not typed in: they come
from the CLDR data that `babel` ships, for any locale. `quantities` builds its
patterns from these tables, so teaching precis a language means adding rows here.
"""

from __future__ import annotations

from functools import lru_cache

from models.fidelity.fold import fold

# The tables are laid out by hand, several entries a line, to read as tables.
# fmt: off
# Scale words per language, folded. English rows apply to every language (English
# words and abbreviations appear in any news text); a language row overrides them
# ("Billion" is 10^12 in German, 10^9 in English).
SCALES: dict[str, dict[str, float]] = {
    "en": {
        "hundred": 1e2,
        "thousand": 1e3,
        "k": 1e3,
        "million": 1e6,
        "millions": 1e6,
        "mn": 1e6,
        "mln": 1e6,
        "m": 1e6,
        "billion": 1e9,
        "billions": 1e9,
        "bn": 1e9,
        "b": 1e9,
        "trillion": 1e12,
        "tn": 1e12,
    },
    "de": {
        "hundert": 1e2,
        "tausend": 1e3,
        "tsd": 1e3,
        "million": 1e6,
        "millionen": 1e6,
        "mio": 1e6,
        "milliarde": 1e9,
        "milliarden": 1e9,
        "mrd": 1e9,
        "billion": 1e12,
        "billionen": 1e12,
    },
    "fr": {
        "cent": 1e2,
        "mille": 1e3,
        "million": 1e6,
        "millions": 1e6,
        "milliard": 1e9,
        "milliards": 1e9,
        "md": 1e9,
        "mds": 1e9,
        "billion": 1e12,
    },
    "es": {
        "cien": 1e2,
        "mil": 1e3,
        "millon": 1e6,
        "millones": 1e6,
        "billon": 1e12,
        "billones": 1e12,
    },
    "it": {"mila": 1e3, "mille": 1e3, "milione": 1e6, "milioni": 1e6, "miliardo": 1e9,
           "miliardi": 1e9},
    "pt": {"mil": 1e3, "milhao": 1e6, "milhoes": 1e6, "bilhao": 1e9, "bilhoes": 1e9,
           "milhar": 1e3},
    "nl": {"duizend": 1e3, "miljoen": 1e6, "miljard": 1e9, "mld": 1e9},
    "ru": {"тысяча": 1e3, "тысячи": 1e3, "тысяч": 1e3, "тыс": 1e3, "миллион": 1e6,
           "миллиона": 1e6, "миллионов": 1e6, "млн": 1e6, "миллиард": 1e9, "миллиарда": 1e9,
           "миллиардов": 1e9, "млрд": 1e9},
    "pl": {"tysiac": 1e3, "tysiace": 1e3, "tysiecy": 1e3, "tys": 1e3, "milion": 1e6,
           "miliony": 1e6, "milionow": 1e6, "mln": 1e6, "miliard": 1e9, "miliardy": 1e9,
           "miliardow": 1e9, "mld": 1e9},
}
# "mil millones" (es) and "mil milhões" are 10^9: a two-word scale.
COMPOUND_SCALES: dict[str, dict[str, float]] = {
    "es": {"mil millones": 1e9},
    "pt": {"mil milhoes": 1e9},
}

# Number words: cardinals and ordinals up to twelve and the round tens, folded.
NUMBER_WORDS: dict[str, dict[str, float]] = {
    "en": {
        "a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
        "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20,
        "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
        "eighteen": 18, "nineteen": 19, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
        "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12, "half": 0.5,
        "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
        "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
    },
    "de": {
        "ein": 1, "eine": 1, "einen": 1, "eins": 1, "zwei": 2, "drei": 3, "vier": 4,
        "funf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11,
        "zwolf": 12, "dreizehn": 13, "vierzehn": 14, "funfzehn": 15, "sechzehn": 16,
        "siebzehn": 17, "achtzehn": 18, "neunzehn": 19, "zwanzig": 20, "dreissig": 30,
        "vierzig": 40, "funfzig": 50,
        "hundert": 100, "erste": 1, "ersten": 1, "zweite": 2, "zweiten": 2, "dritte": 3,
        "dritten": 3, "vierte": 4, "funfte": 5, "halbe": 0.5,
    },
    "fr": {
        "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
        "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13,
        "quatorze": 14, "quinze": 15, "seize": 16, "vingt": 20, "trente": 30,
        "quarante": 40, "cinquante": 50, "cent": 100, "premier": 1, "premiere": 1,
        "deuxieme": 2, "second": 2, "seconde": 2, "troisieme": 3, "quatrieme": 4, "moitie": 0.5,
    },
    "es": {
        "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
        "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13,
        "catorce": 14, "quince": 15, "veinte": 20,
        "treinta": 30, "cuarenta": 40, "cincuenta": 50, "cien": 100, "primer": 1,
        "primero": 1, "primera": 1, "segundo": 2, "segunda": 2, "tercer": 3, "tercero": 3,
        "tercera": 3, "mitad": 0.5,
    },
    "it": {
        "un": 1, "uno": 1, "una": 1, "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sei": 6,
        "sette": 7, "otto": 8, "nove": 9, "dieci": 10, "venti": 20, "trenta": 30, "cento": 100,
        "primo": 1, "prima": 1, "secondo": 2, "terzo": 3,
    },
    "pt": {
        "um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3, "quatro": 4, "cinco": 5, "seis": 6,
        "sete": 7, "oito": 8, "nove": 9, "dez": 10, "vinte": 20, "trinta": 30, "cem": 100,
        "primeiro": 1, "primeira": 1, "segundo": 2, "terceiro": 3,
    },
    "nl": {
        "een": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7, "acht": 8,
        "negen": 9, "tien": 10, "twintig": 20, "honderd": 100, "eerste": 1, "tweede": 2,
        "derde": 3,
    },
    "ru": {
        "один": 1, "одна": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6,
        "семь": 7, "восемь": 8, "девять": 9, "десять": 10, "двадцать": 20, "сто": 100,
        "первый": 1, "второй": 2, "третий": 3,
    },
}
# Number words that are idioms as often as quantities ("one of the largest", "the
# first time", "half the staff"): a summary's use of them is never flagged.
IDIOMATIC_WORDS = frozenset(
    {
        "a", "an", "one", "first", "second", "half", "dozen", "ein", "eine", "einen", "eins",
        "erste", "ersten", "zweite", "zweiten", "halbe", "un", "une", "premier", "premiere",
        "seconde", "moitie", "uno", "una", "primer", "primero", "primera", "segundo",
        "segunda", "mitad", "prima", "primo", "secondo", "um", "uma", "primeiro", "primeira",
        "een", "eerste", "tweede", "один", "одна", "первый", "второй",
    }
)

# Digit ordinal suffixes, folded: 1st, 2nd, 19th, 1er, 2e, 3ème, 1º, 2ª, 5-й.
ORDINAL_SUFFIXES = ("st", "nd", "rd", "th", "er", "re", "e", "eme", "o", "a", "º", "ª", "-й",
                    "-го", "-я")

# Percent: a sign after the number, or these words (folded).
PERCENT_SIGNS = ("%", "％", "‰")
PERCENT_WORDS = (
    "percent", "per cent", "pct", "percentage points", "prozent", "prozentpunkte",
    "pour cent", "por ciento", "por cento", "per cento", "procent", "процента", "процентов",
    "процент",
)
CJK_PERCENT_PREFIX = "百分之"

# Currency signs and codes before or after a number; words after it (folded).
CURRENCY_SIGNS = ("US$", "$", "€", "£", "¥", "₹", "₩", "₽", "CHF", "USD", "EUR", "GBP",
                  "JPY", "CNY", "RMB", "yuan", "元", "円", "ドル", "美元")
CURRENCY_WORDS = (
    "dollars", "dollar", "euros", "euro", "pounds", "yen", "yuan", "renminbi", "francs",
    "dolares", "dolar", "dollari", "rubles", "roubles", "рублей", "рубля", "долларов",
)

# CJK numerals and scales (Chinese and Japanese; Korean hangul scales too).
CJK_DIGITS = {
    "〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5,
    "六": 6, "七": 7, "八": 8, "九": 9,
}
CJK_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
CJK_BIG_UNITS = {"万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8, "兆": 1e12, "만": 1e4, "억": 1e8,
                 "천": 1e3, "조": 1e12}

# Times: "15:30", "3 p.m.", "15 Uhr", "15h30"; am/pm words, folded.
PM_WORDS = ("pm", "p.m.", "p.m")
AM_WORDS = ("am", "a.m.", "a.m")
HOUR_WORDS = ("uhr", "h", "heures", "heure", "horas", "hours", "o'clock", "時", "时", "点")

# Words that make a number approximate, folded, and which side of it the true value
# lies on, within one unit of its last digit: "more than 200" is 200-300, "nearly
# 2.5 million" 2.4-2.5 million, "about 230" 225-235.
MORE, NEARLY, ABOUT, LESS = "more", "nearly", "about", "less"
APPROXIMATORS: dict[str, str] = {
    **dict.fromkeys(
        ("more than", "over", "above", "at least", "upwards of", "in excess of", "mehr als",
         "uber", "mindestens", "plus de", "au moins", "mas de", "al menos", "mais de",
         "piu di", "oltre", "meer dan", "ruim", "свыше", "более", "больше", "超过", "逾",
         "多于", "以上"),
        MORE,
    ),
    **dict.fromkeys(
        ("nearly", "almost", "close to", "just under", "fast", "knapp", "beinahe", "pres de",
         "presque", "casi", "quase", "quasi", "bijna", "почти", "近", "将近", "接近"),
        NEARLY,
    ),
    **dict.fromkeys(
        ("about", "around", "roughly", "some", "approximately", "an estimated", "rund",
         "etwa", "ungefahr", "circa", "ca.", "gut", "environ", "quelque", "quelques",
         "alrededor de", "unos", "unas", "cerca de", "aproximadamente", "cerca di", "circa",
         "ongeveer", "около", "примерно", "порядка", "约", "大约", "大概", "左右"),
        ABOUT,
    ),
    **dict.fromkeys(
        ("less than", "under", "fewer than", "below", "up to", "weniger als", "unter",
         "bis zu", "moins de", "jusqu'a", "menos de", "hasta", "meno di", "minder dan",
         "менее", "меньше", "до", "不到", "少于"),
        LESS,
    ),
}

# fmt: on

# Years the checks call a date rather than a number when written alone.
YEAR_RANGE = (1800, 2100)


def scales_for(lang: str) -> dict[str, float]:
    """Folded scale word -> factor for `lang`, English words included."""
    base = dict(SCALES["en"])
    base.update(SCALES.get(_base(lang), {}))
    return base


def number_words_for(lang: str) -> dict[str, float]:
    """Folded number word -> value for `lang`; English words are always known."""
    words = dict(NUMBER_WORDS["en"])
    words.update(NUMBER_WORDS.get(_base(lang), {}))
    return words


@lru_cache(maxsize=64)
def month_names(lang: str) -> dict[str, int]:
    """Folded month name (wide and abbreviated, both CLDR contexts) -> month number.

    Taken from babel's CLDR data for `lang`, plus English, whose names appear in
    any text. Abbreviations are kept without their dot.
    """
    from babel.core import UnknownLocaleError
    from babel.dates import get_month_names

    names: dict[str, int] = {}
    for locale in dict.fromkeys(("en", _base(lang))):
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                try:
                    table = get_month_names(width, context=context, locale=locale)
                except (UnknownLocaleError, ValueError):
                    continue
                for number, name in table.items():
                    key = fold(name).rstrip(".")
                    # Numeric forms ("3月") are read by the CJK date rule instead.
                    if key and not any(ch.isdigit() for ch in key):
                        names.setdefault(key, int(number))
    return names


@lru_cache(maxsize=64)
def wide_month_names(lang: str) -> frozenset[str]:
    """The full month names of `lang` and English, folded: a month alone is a date only
    when written in full ("in May", not "Mar", which is also a word)."""
    from babel.core import UnknownLocaleError
    from babel.dates import get_month_names

    names = set()
    for locale in dict.fromkeys(("en", _base(lang))):
        try:
            names |= {fold(n) for n in get_month_names("wide", locale=locale).values()}
        except (UnknownLocaleError, ValueError):
            continue
    return frozenset(n for n in names if not any(ch.isdigit() for ch in n))


@lru_cache(maxsize=64)
def weekday_names(lang: str) -> dict[str, int]:
    """Folded weekday name (wide, both CLDR contexts) -> 0 (Monday) .. 6, from babel."""
    from babel.core import UnknownLocaleError
    from babel.dates import get_day_names

    names: dict[str, int] = {}
    for locale in dict.fromkeys(("en", _base(lang))):
        for context in ("format", "stand-alone"):
            try:
                table = get_day_names("wide", context=context, locale=locale)
            except (UnknownLocaleError, ValueError):
                continue
            for number, name in table.items():
                if fold(name):
                    names.setdefault(fold(name), int(number))
    return names


@lru_cache(maxsize=64)
def group_symbol(lang: str) -> str:
    """The thousands separator of `lang` from CLDR, folded ("," en, "." de, " " fr)."""
    from babel.core import UnknownLocaleError
    from babel.numbers import get_group_symbol

    try:
        symbol = get_group_symbol(locale=_base(lang))
    except (UnknownLocaleError, ValueError):
        return ""
    return fold(symbol)


def _base(lang: str) -> str:
    return (lang or "en").split("-")[0].split("_")[0].lower()
