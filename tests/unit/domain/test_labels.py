"""One label registry (domain/labels.py): every code a person reads has a Chinese and an English word."""
from __future__ import annotations

from app.stages import STAGES
from domain.labels import LABELS, label, labels
from domain.vocab import SUBJECTS
from marking.rules import KINDS, SOURCE_RANK


def test_every_stage_status_mark_kind_and_score_source_has_both_words():
    for kind, codes in (("season_stage", [name for name, _, _ in STAGES]), ("mark_kind", KINDS),
                        ("score_source", list(SOURCE_RANK)),
                        ("stage_status", ["done", "already-done", "waiting", "blocked", "failed", "skipped"])):
        for code in codes:
            zh, en = label(kind, code, "zh"), label(kind, code, "en")
            assert zh != code and en and zh != en, (kind, code)


def test_the_contract_vocabularies_are_the_registry_words():
    assert labels("subject") == SUBJECTS
    assert label("subject", "politics", "en") == "politics" and label("school_stage", "nine_year", "en") == "nine year"


def test_an_unregistered_code_reads_as_itself_rather_than_vanishing():
    assert label("solver_status", "SOMETHING_NEW") == "SOMETHING_NEW"
    assert label("no_such_kind", "x", "en") == "x"
    assert all(isinstance(zh, str) and isinstance(en, str) for words in LABELS.values() for zh, en in words.values())
