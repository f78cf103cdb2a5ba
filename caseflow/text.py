"""Japanese text handling: NFKC, kana folding, search keys.

Names are searched by a stored key: NFKC (full-/half-width unified), katakana folded to
hiragana, lower case, and every kind of space removed. `やまだ たろう`, `ヤマダ　タロウ`
and `ﾔﾏﾀﾞﾀﾛｳ` all give `やまだたろう`.
"""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[\s\u3000]+")
# Katakana ァ(U+30A1)..ヶ(U+30F6) map to hiragana by a fixed offset; ヽヾ to ゝゞ.
_KATA_TO_HIRA = {cp: cp - 0x60 for cp in range(0x30A1, 0x30F7)} | {0x30FD: 0x309D, 0x30FE: 0x309E}


def nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def fold_kana(value: str) -> str:
    return value.translate(_KATA_TO_HIRA)


def search_key(*parts: str | None) -> str:
    """The folded form stored beside a name and compared with a folded query."""
    joined = "".join(p for p in parts if p)
    return _SPACES.sub("", fold_kana(nfkc(joined)).lower())


def like_pattern(query: str) -> str:
    """A LIKE pattern for 'contains', with the wildcard characters escaped (use escape='\\')."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- the n-gram index of search keys (table person_search_grams) -----------------------------------

GRAM_END = "\x03"
"""Appended to each part of a search key before it is cut into trigrams, so that the last two
characters of a part also start a trigram: every 2-character substring of a part is then the prefix of
some indexed gram. A control character, not found in names (if one had it, it would only add
candidates, which the exact check on the search key removes)."""
GRAM_MAX = "\U0010ffff"
"""The largest code point: `k <= gram < k + GRAM_MAX + GRAM_MAX` holds for every 3-character gram that
starts with `k`, in code point order (SQLite compares UTF-8 bytes, which is that order; the PostgreSQL
column has COLLATE "C", not the database's linguistic collation, for this)."""


def search_grams(key: str) -> set[str]:
    """The grams indexed for a stored search key (`name + "\\n" + reading`, both folded): every trigram of
    each part followed by GRAM_END, never across the "\\n" (a query key has no "\\n", so no match spans it).

    A part of one character gives no gram (one-character queries read every key); a part `ab` gives
    `ab` + GRAM_END. Any substring of a part of length >= 3 has all its trigrams here, and any substring of
    length 2 starts one of them: the grams of a person are a superset test, never a false negative."""
    grams: set[str] = set()
    for part in key.split("\n"):
        padded = part + GRAM_END
        grams.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return grams


def query_grams(key: str) -> list[str]:
    """The trigrams of a (folded) query key of three or more characters, distinct, in order. A person whose
    search key contains `key` has all of them."""
    return list(dict.fromkeys(key[i:i + 3] for i in range(len(key) - 2)))


def gram_prefix_range(key: str) -> tuple[str, str]:
    """`(low, high)` such that the grams starting with the 2-character `key` are exactly `low <= gram < high`."""
    return key, key + GRAM_MAX + GRAM_MAX
