"""The verifiable lottery (电脑随机派位): a commitment before the draw, the seed after it.

Before the draw the bureau publishes the commitment, the SHA-256 of the seed text (UTF-8, hex);
after it, the seed. The draw is then a fixed function of the seed and the applicant ids that anyone
can recompute (`admission/verify_draw.py`, standard library only):

    key(applicant) = SHA-256(seed + ":" + applicant_id), as 64 hex digits
    draw order     = applicants sorted by key (then by id; two equal keys never happen in practice)
    lottery number = position in the draw order of the zone, from 1; a smaller number wins

Every use of chance in a zone comes from this one order: an oversubscribed lottery school admits
its applicants in draw order, and applicants tied on points at a points school are ordered by it.
File order never decides anything.

A seed must be long enough that nobody can find it from the commitment by trying candidates
before the draw (a year or a date could be found in seconds): at least MIN_SEED_LENGTH characters.
`new_seed()` makes a good one.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

MIN_SEED_LENGTH = 16
MAX_SEED_LENGTH = 200
METHOD = ("sha256(seed + ':' + applicant_id) as hex; applicants ordered by it ascending (then by applicant_id); "
          "lottery_number = position from 1; a smaller number wins. Points ties and oversubscribed lottery "
          "schools both follow this order.")
METHOD_ZH = ("对每名报名者计算 SHA-256(种子 + \":\" + 报名编号) 的十六进制值，按从小到大排序（相同则按报名编号），"
             "名次即派位号（从 1 起），号小者优先。积分相同者与超额派位学校都按这一顺序录取。")


class SeedError(ValueError):
    """A seed that cannot be used, with the reason in Chinese and English."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh


def check_seed(seed: str) -> str:
    """The seed as it is hashed: surrounding spaces removed; too short or too long is refused."""
    text = seed.strip()
    if len(text) < MIN_SEED_LENGTH:
        raise SeedError(f"the seed has {len(text)} characters; use at least {MIN_SEED_LENGTH} "
                        "(a short seed can be guessed from its commitment before the draw)",
                        f"种子只有 {len(text)} 个字符，至少需要 {MIN_SEED_LENGTH} 个（太短的种子可以在开奖前由承诺值反推出来）")
    if len(text) > MAX_SEED_LENGTH:
        raise SeedError(f"the seed has {len(text)} characters; at most {MAX_SEED_LENGTH}",
                        f"种子有 {len(text)} 个字符，最多 {MAX_SEED_LENGTH} 个")
    if any(ord(c) < 0x20 for c in text):
        raise SeedError("the seed contains control characters", "种子含有控制字符")
    return text


def new_seed() -> str:
    """A fresh random seed (128 bits as 32 hex digits)."""
    return secrets.token_hex(16)


def commitment(seed: str) -> str:
    """What the bureau publishes before the draw: SHA-256 of the seed text, 64 hex digits."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def draw_key(seed: str, applicant_id: str) -> str:
    return hashlib.sha256(f"{seed}:{applicant_id}".encode("utf-8")).hexdigest()


def draw_order(seed: str, applicant_ids: Iterable[str]) -> list[str]:
    """The applicants in draw order."""
    prefix = f"{seed}:".encode("utf-8")
    sha256 = hashlib.sha256
    keyed = sorted((sha256(prefix + a.encode("utf-8")).hexdigest(), a) for a in applicant_ids)
    return [a for _, a in keyed]


def lottery_numbers(seed: str, applicant_ids: Iterable[str]) -> dict[str, int]:
    """applicant id → lottery number (1 = first drawn)."""
    return {a: n for n, a in enumerate(draw_order(seed, applicant_ids), start=1)}
