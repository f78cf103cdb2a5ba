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
