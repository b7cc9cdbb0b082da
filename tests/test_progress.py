"""Progress bars only for long work: quick work reports nothing, long work a few times a second."""

from __future__ import annotations

from generative.ui import progress as module


def test_patient_progress_waits_then_reports_at_most_every_interval(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(module.time, "perf_counter", lambda: clock[0])
    calls = []
    report = module.patient(lambda fraction, desc=None: calls.append((fraction, desc)), after_s=0.5, every_s=0.25)
    for t, fraction in ((100.1, 0.1), (100.4, 0.2)):  # quick work: nothing reaches the page
        clock[0] = t
        report(fraction, "first pass")
    assert calls == []
    for t, fraction in ((100.6, 0.3), (100.7, 0.4), (100.86, 0.5), (101.0, 0.6), (101.2, 0.7)):
        clock[0] = t
        report(fraction, "second pass")
    assert calls == [(0.3, "second pass"), (0.5, "second pass"), (0.7, "second pass")]
