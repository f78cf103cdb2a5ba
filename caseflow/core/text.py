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


CONTROL_CHARACTERS = "制御文字は使えません。"
FORMAT_CHARACTERS = ("書式制御文字（ゼロ幅スペース・ゼロ幅接合子・文字の向きを変える制御文字など）は使えません。"
                     "見えない文字を削除してから入力してください。")


def unsafe_characters(value: str) -> str | None:
    """Why `value` cannot be stored as text a person entered (a Japanese message), or None when it can.

    Refused everywhere, names and multi-line notes alike:
    - control characters (Unicode category Cc) other than newline and tab;
    - format characters (category Cf): zero-width space/joiners (U+200B-U+200D), the bidi marks, embeddings,
      overrides and isolates (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069, U+061C), the word joiner and
      invisible operators (U+2060-U+2064), the BOM (U+FEFF), the soft hyphen (U+00AD), tag characters ...
      They are invisible: two names that look the same would differ (duplicates, searches that miss), and a
      bidi override shows a text in another order than it is stored (printed minutes and PDFs that read
      differently from the record). Japanese needs none of them. The one use in ordinary text is the
      zero-width joiner inside emoji sequences (a family emoji is three emoji joined by U+200D): refusing
      it costs such a sequence its joined form, which case records can do without, while allowing it in
      free text would let it travel into names copied from there. Variation selectors (異体字 of names,
      U+E0100...) are not format characters: kept."""
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cf":
            return FORMAT_CHARACTERS
        if category == "Cc" and ch not in "\n\t":
            return CONTROL_CHARACTERS
    return None


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
