"""The user's `[keys]` table, checked against the reader's bindings.

A keymap entry names a binding id and the key(s) to press instead. Three mistakes
used to pass silently: an unknown id (`cycle_length` for `cycle-length`, as the
README once said), a key Textual does not know, and a key another binding already
uses (binding `cycle-length = "j"` took `j` from next-section while the help still
listed it). Each gives one line; the entry is left out and the default key kept.
Underscores in ids are accepted for hyphens.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from textual.binding import Binding
from textual.keys import Keys, _character_to_key

from models.sanitize import safe_line

MODIFIERS = ("ctrl+", "shift+", "alt+", "meta+", "super+", "hyper+")
# Bindings that share a key on purpose: the second answers when the first cannot run.
SHARED = {"download-why": "download"}


@dataclass
class Keymap:
    """The keys in effect: binding id -> keys ("a,b"), and what was wrong."""

    keys: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def normalize_key(key: str) -> str | None:
    """`key` as Textual names it ("?" -> "question_mark"), or None if it is no key."""
    key = key.strip()
    if not key:
        return None
    if len(key) == 1:
        return key if key.isalnum() else _character_to_key(key)
    lower = key.lower()
    for modifier in MODIFIERS:
        if lower.startswith(modifier) and len(key) > len(modifier):
            base = normalize_key(key[len(modifier) :])
            return None if base is None else lower[: len(modifier)] + base
    if key in _KEY_NAMES:
        return key
    try:
        unicodedata.lookup(key.upper().replace("_", " "))
    except KeyError:
        return None
    return key.lower()


_KEY_NAMES = {k.value for k in Keys} | {"enter", "escape", "space", "tab", "backspace"}


def check_keymap(user: Mapping[str, str], bindings: Iterable[Binding]) -> Keymap:
    """The user's entries that can be applied, and one line for each that cannot."""
    defaults: dict[str, str] = {}
    for binding in bindings:
        if binding.id and binding.id not in defaults:
            defaults[binding.id] = binding.key
    result = Keymap()
    wanted: dict[str, list[str]] = {}
    for raw_id, raw_keys in user.items():
        binding_id = str(raw_id).replace("_", "-")
        shown = safe_line(str(raw_id))
        if binding_id not in defaults or binding_id in SHARED:
            known = ", ".join(sorted(k for k in defaults if k not in SHARED))
            result.problems.append(f"[keys] {shown}: no such action; known: {known}")
            continue
        parts = [p for p in str(raw_keys).split(",") if p.strip()]
        normalized = [normalize_key(p) for p in parts]
        bad = [p.strip() for p, k in zip(parts, normalized, strict=True) if k is None]
        if not parts or bad:
            what = safe_line(", ".join(bad) or str(raw_keys))
            result.problems.append(f"[keys] {shown} = {what!r}: not a key")
            continue
        wanted[binding_id] = [k for k in normalized if k is not None]
    # Clashes, against the keys in effect once every valid entry is applied.
    effective = {i: [k.strip() for k in keys.split(",")] for i, keys in defaults.items()}
    effective.update(wanted)
    owners: dict[str, list[str]] = {}
    for binding_id, keys in effective.items():
        if binding_id in SHARED:
            continue
        for key in keys:
            owners.setdefault(key, []).append(binding_id)
    for binding_id, keys in wanted.items():
        taken = [(key, other) for key in keys for other in owners[key] if other != binding_id]
        if taken:
            key, other = taken[0]
            result.problems.append(
                f"[keys] {binding_id} = {key!r}: {key} is already {other}'s key; "
                f"{binding_id} keeps {defaults[binding_id]}"
            )
            continue
        result.keys[binding_id] = ",".join(keys)
    for alias, target in SHARED.items():
        if target in result.keys:
            result.keys[alias] = result.keys[target]
    return result
