"""Measure the fidelity flagger on constructed summaries with known errors.

The pairs live in scripts/eval_flags_pairs.json. Each case is a source passage with
clean paraphrases written by hand (numbers
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
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    added: str = ""  # the change that added the case, when it came after the first set


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
PAIRS = Path(__file__).with_name("eval_flags_pairs.json")


def _case(raw: dict[str, Any]) -> Case:
    clean = tuple(c if isinstance(c, str) else c["text"] for c in raw["clean"])
    errors = tuple((e["clean"], e["old"], e["new"], e["kind"]) for e in raw["errors"])
    return Case(raw["source"], raw["source_lang"], raw["lang"], clean, errors, raw.get("added", ""))


def load_pairs(
    path: Path = PAIRS,
) -> tuple[tuple[Case, ...], tuple[TranslationCase, ...], tuple[Case, ...]]:
    """The summary cases, the translation cases and the held-out cases of `path`.

    Each case may carry a "note" (on the case, a clean text or an error): why it is
    there or why a miss is expected. "added" names the change that added a case."""
    data = json.loads(path.read_text(encoding="utf-8"))
    translations = tuple(
        TranslationCase(
            t["source"],
            t["source_lang"],
            t["lang"],
            t["clean"],
            tuple((e["old"], e["new"], e["kind"]) for e in t["errors"]),
        )
        for t in data["translations"]
    )
    return (
        tuple(_case(c) for c in data["summaries"]),
        translations,
        tuple(_case(c) for c in data["held_out"]),
    )


CASES, TRANSLATIONS, HELD_OUT = load_pairs()


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


# "held_out" in the data file: written after the flagger was otherwise finished, as a
# smaller, fairer check of how the figures above carry over; reported on their own line.
# The first five cases' first run found one bug, a possessive acronym ("ESA's" for the
# European Space Agency) flagged as a name: 90 % clean and 88 % flag precision before
# that fix, 100 % after. The Italian and Dutch cases were added later and run once,
# unchanged. The German, Chinese and Japanese cases marked "held out" in "added" were
# written after the German and CJK name rules; their first run gave clean 10/11, flag
# precision 83.3 % (15/18), number/date recall 6/6, name recall 9/12. The false alarm, a
# German title before a name ("sagte Konzernchef Faury" from an English section), was
# then fixed; the three misses (an organisation and a city in Chinese that the rules do
# not cover, "Die Verdi" after an article) stand.


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
    added = tuple(case for case in CASES + HELD_OUT if case.added)
    for name in sorted({case.added for case in added}):
        a = evaluate(False, tuple(case for case in added if case.added == name))["all"]
        print(
            f"added for {name}, {sum(case.added == name for case in added)} cases: "
            f"clean, no flag {_pct(a['clean_ok'], a['clean'])}; "
            f"flag precision {_pct(a['flags_right'], a['flags'])}; "
            f"number/date recall {_pct(a['number_caught'], a['number_errors'])}; "
            f"name recall {_pct(a['name_caught'], a['name_errors'])}"
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
