"""The one sanitizer: escape sequences, controls, bidi and invisible characters."""

from __future__ import annotations

import pytest

from models.sanitize import safe_line, safe_message, safe_model_text, safe_text

OSC52 = "\x1b]52;c;ZXZpbA==\x07"
TITLE = "\x1b]0;owned\x1b\\"
CLEAR = "\x1b[2J\x1b[H"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (f"before{OSC52}after", "beforeafter"),
        (f"a{TITLE}b", "ab"),
        (f"{CLEAR}text", "text"),
        ("x\x1b[31mred\x1b[0m", "xred"),
        ("8-bit CSI \x9b2J and OSC \x9d0;t\x9c end", "8-bit CSI 2J and OSC 0;t end"),
        ("bell\x07 nul\x00 del\x7f c1\x85\x90", "bell nul del c1"),
        ("keep\ttabs\nand lines", "keep\ttabs\nand lines"),
        ("crlf\r\nlone\rcr", "crlf\nlone\ncr"),
        ("unterminated \x1b]52;c;AAAA\nnext line", "unterminated \nnext line"),
        ("ESC alone \x1b", "ESC alone "),
        ("two-byte \x1bc reset", "two-byte  reset"),
        ("rtl \u202eevil\u202c kept in text", "rtl \u202eevil\u202c kept in text"),
        ("", ""),
    ],
)
def test_safe_text(raw: str, clean: str) -> None:
    assert safe_text(raw) == clean


def test_safe_text_replaces_lone_surrogates_so_printing_cannot_fail() -> None:
    path = b"/tmp/bad\xffname".decode("utf-8", "surrogateescape")
    cleaned = safe_text(path)
    assert cleaned == "/tmp/bad\ufffdname"
    cleaned.encode("utf-8")  # would raise UnicodeEncodeError with the surrogate


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("title \u202eTXT.exe\u202c", "title TXT.exe"),
        ("iso \u2066late\u2069 \u2067x\u2068", "iso late x"),
        ("zero\u200bwidth\u200d\ufeff\u2060", "zerowidth"),
        ("two\nlines\u2028and\tmore", "two lines and more"),
        (f"model {OSC52}id", "model id"),
        ("plain", "plain"),
    ],
)
def test_safe_line(raw: str, clean: str) -> None:
    assert safe_line(raw) == clean


def test_safe_message_is_one_short_line() -> None:
    error = ValueError("database disk image is malformed\n*** in database main ***\nrow 3")
    assert safe_message(error) == "database disk image is malformed *** in database main *** row 3"
    assert safe_message(ValueError()) == "ValueError"
    assert safe_message(f"bad {CLEAR}reason\x1b]0;t\x07") == "bad reason"
    long = safe_message("x" * 1000, limit=50)
    assert len(long) == 50 and long.endswith("...")


def test_every_control_character_is_removed() -> None:
    codes = [c for c in [*range(0x20), *range(0x7F, 0xA0)] if c not in (9, 10, 13, 0x1B)]
    controls = "".join(chr(c) for c in codes)
    assert safe_text(f"a{controls}b") == "ab"
    assert safe_line(f"a{controls}\t\nb") == "a b"
    for code in codes:
        assert safe_text(f"a{chr(code)}b") == "ab", hex(code)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (f"{OSC52}said \u202eevil\u202c and \u2067x\u2069", "said evil and x"),
        (f"{CLEAR}two\n\nparagraphs\tkept", "two\n\nparagraphs\tkept"),
        # Marks and joiners are part of the writing: Hebrew, Persian, emoji.
        ("\u05e9\u05dc\u05d5\u05dd\u200f 3", "\u05e9\u05dc\u05d5\u05dd\u200f 3"),
        (
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        ),
        ("\U0001f469\u200d\U0001f52c", "\U0001f469\u200d\U0001f52c"),
    ],
)
def test_safe_model_text(raw: str, clean: str) -> None:
    assert safe_model_text(raw) == clean
    # Idempotent, and what the reader and the export apply leaves it as it is: flags
    # computed on it keep their offsets.
    assert safe_model_text(clean) == clean
    assert safe_text(clean) == clean
