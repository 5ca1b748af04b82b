"""Names in Chinese and Japanese text, which has no capital letters to find them by.

Chinese: the words jieba's dictionary tags as names, kept only where the tag is
trustworthy, since its tags are noisy ("明白" and "城市" carry name tags too): a place
CLDR knows ("东京", "德国"), a longer place ending in 市/省/县/州/岛 ("上海市"), a
three-character person name that starts with a common surname ("习近平", "李克强"), or
a word written only in the characters used to transliterate foreign names ("默克尔").
Japanese: the words MeCab's IPAdic tags as proper nouns ("東京", "岸田", "シーメンス"),
and katakana words it does not know at all, which are new foreign names far more
often than anything else ("ゼレンスキー"). Adjacent parts of one name are joined
("小池" + "百合子").

`entities.NameIndex` then decides whether a source names the same thing: as a
substring (CJK needs no word boundaries), as a country or city under its CLDR name in
the source's language or English, or an English adjective of it ("东京" / "Tokyo",
"法国" / "French"), or, against a Latin-script source, by sound: pinyin or the MeCab
reading, reduced to consonants, against the source's capitalised words and adjacent
pairs of them ("习近平" / "Xi Jinping", "メルケル" / "Merkel", "岸田文雄" / "Fumio
Kishida"). The sound match is loose: a different name that sounds close enough to one
of the section's names passes unflagged.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from models.fidelity import lexicons
from models.fidelity.fold import fold, transliterate
from models.text import CJK_CHAR

# fmt: off
# The commonest Chinese surnames, simplified and traditional forms (two-character
# surnames such as 欧阳 start with one of these or are rare).
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤习温栗岸欧司上诸"
    "張劉陳楊黃趙吳孫馬鄭謝許韓馮鄧蕭葉蘇呂盧鍾譚陸賈韋鄒龍賀顧錢嚴湯溫"
)
# Characters of the Xinhua table for transliterating foreign names (a common subset).
TRANSLITERATION = frozenset(
    "阿埃艾安昂奥巴拜班邦鲍贝本比彼毕宾波伯博布查达戴黛丹德登迪蒂丁杜顿多厄恩尔法菲费芬"
    "丰佛弗福盖甘冈戈哥格根古圭哈海汉豪赫亨洪霍基吉加嘉杰卡凯坎康柯科克肯库奎拉莱赖兰朗劳"
    "勒雷蕾里利莉林琳卢鲁伦罗洛玛迈麦曼梅门蒙米密莫默姆穆纳奈内尼纽努诺欧帕庞佩皮珀普奇乔切"
    "琴萨塞赛桑瑟森沙莎舍什施斯索塔泰坦汤特提汀图托瓦威维温沃乌伍西希锡辛休雅亚扬耶伊依尤约"
    "扎泽詹兹佐"
)
# fmt: on
_PLACE_SUFFIXES = ("市", "省", "县", "州", "岛", "縣", "島")
_NOT_GIVEN_NAME = frozenset("的人们們家说說和在是了")
_PERSON_TAGS = frozenset({"nr", "nrfg", "nrt"})
_KATAKANA = re.compile(r"[\u30a0-\u30ffー・]+")
_JA_PROPER = "名詞,固有名詞"


def find_cjk_names(text: str, lang: str) -> list[tuple[str, int, int]]:
    """(name, start, end) for each name in the Chinese or Japanese runs of `text`."""
    if not CJK_CHAR.search(text):
        return []
    if lang == "zh":
        return _chinese(text)
    if lang == "ja":
        return _japanese(text)
    return []


def _chinese(text: str) -> list[tuple[str, int, int]]:
    places = lexicons.place_names("zh")
    found = []
    for token in lexicons.chinese_tokens(text):
        word = token.text
        if len(word) < 2 or not all(CJK_CHAR.match(c) for c in word):
            continue
        place = fold(word) in places or (
            token.tag == "ns" and len(word) >= 3 and word.endswith(_PLACE_SUFFIXES)
        )
        if place or (token.tag in _PERSON_TAGS and _person(word)):
            found.append((word, token.start, token.end))
    return found


def _person(word: str) -> bool:
    if all(c in TRANSLITERATION for c in word):
        return True  # 默克尔, 特朗普, 拜登
    return len(word) == 3 and word[0] in SURNAMES and word[-1] not in _NOT_GIVEN_NAME


def _japanese(text: str) -> list[tuple[str, int, int]]:
    found: list[tuple[str, int, int]] = []
    for token in lexicons.japanese_tokens(text):
        proper = token.tag.startswith(_JA_PROPER)
        new_katakana = not token.known and len(token.text) >= 3 and _KATAKANA.fullmatch(token.text)
        # One kanji alone is an abbreviation ("日独": Japan and Germany) or a bare surname.
        if (not proper and not new_katakana) or len(token.text) < 2:
            continue
        if found and found[-1][2] == token.start:  # 小池 + 百合子: one name
            name, start, _ = found[-1]
            found[-1] = (name + token.text, start, token.end)
        else:
            found.append((token.text, token.start, token.end))
    return [name for name in found if len(name[0]) >= 2]


def reading(name: str, lang: str) -> str:
    """`name` in folded Latin letters by its sound: pinyin for Chinese, the MeCab
    reading romanised for Japanese ("東京" -> "toukiyou")."""
    if lang == "ja":
        spoken = "".join(t.reading for t in lexicons.japanese_tokens(name))
        return transliterate(spoken)
    return transliterate(name)


def skeleton(latin: str) -> str:
    """The consonants of a romanised name, so that "merukeru" meets "merkel" and
    "shorutsu" meets "scholz": vowels dropped, l read as r, v as b, sch and sh as s,
    ts, tz and z as t, c and q as k, doubled letters once."""
    out = latin.replace("sch", "s").replace("sh", "s").replace("ch", "k")
    out = out.replace("tsu", "t").replace("ts", "t").replace("tz", "t").replace("z", "t")
    out = out.replace("l", "r").replace("v", "b").replace("c", "k").replace("q", "k")
    out = re.sub(r"[aeiouy\W]", "", out)
    return re.sub(r"(.)\1+", r"\1", out)


def sounds_alike(a: str, b: str) -> bool:
    """Whether two romanised names may be one name in two scripts."""
    if a == b:
        return True
    sa, sb = skeleton(a), skeleton(b)
    if len(sa) < 2 or len(sb) < 2:
        return False
    return sa == sb or SequenceMatcher(None, sa, sb).ratio() >= 0.8


def in_places(
    name: str,
    lang: str,
    source_lang: str,
    folded_source: str,
    adjectives: dict[str, tuple[str, ...]],
) -> bool | None:
    """True when `name` is a country or city CLDR knows and the source names it in its
    language or in English, or by an adjective of it (`adjectives`: "french" ->
    ("france", ...)), False when it is one and the source does not, None when it is none."""
    codes = lexicons.place_names(lang).get(fold(name))
    if not codes:
        return None
    forms: set[str] = set()
    for other in {source_lang, "en", lang}:
        forms.update(lexicons.place_forms(codes, other))
    if any(_contains(folded_source, form) for form in forms if form):
        return True
    return any(
        _contains(folded_source, adjective)
        for adjective, places in adjectives.items()
        if forms.intersection(places)
    )


def _contains(folded: str, form: str) -> bool:
    if CJK_CHAR.search(form):
        return form in folded
    return re.search(rf"(?<!\w){re.escape(form)}(?!\w)", folded) is not None
