"""A stop signal whose exception Python swallows (raised inside an object's __del__) is delivered again."""
from __future__ import annotations

import signal
from types import SimpleNamespace

from prefect.exceptions import TerminationSignal

from flows import common


def test_a_swallowed_stop_is_sent_again_and_other_unraisables_go_on(monkeypatch):
    sent, passed_on, rearmed = [], [], []
    monkeypatch.setattr(common.os, "kill", lambda pid, number: sent.append(number))
    hook = common.redeliver_swallowed_stop(passed_on.append, rearmed.append)
    hook(SimpleNamespace(exc_value=common.Stopped(signal.SIGTERM)))
    hook(SimpleNamespace(exc_value=TerminationSignal(signal=signal.SIGTERM)))
    hook(SimpleNamespace(exc_value=KeyboardInterrupt()))
    other = SimpleNamespace(exc_value=ValueError("a __del__ failed"))
    hook(other)
    assert sent == [signal.SIGTERM, signal.SIGTERM, signal.SIGINT]
    assert rearmed == [signal.SIGTERM]  # our handler ignores the stop signals once it has raised
    assert passed_on == [other]
