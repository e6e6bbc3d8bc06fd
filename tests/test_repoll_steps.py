"""An unchanged re-poll's link and publish steps create no Prefect task runs: the link
step runs its task only when the run's commits wrote story rows, the publish step only
when the outputs would change (flows/steps/link.py ``link_step``, flows/steps/publish.py
``publish_step``); what they report and write is what the tasks would."""

from __future__ import annotations

from prefect import flow

import newswire.flows.steps.link as link
import newswire.flows.steps.publish as publish
from conftest import ingest_sample
from newswire.flows.steps.publish import FEED_SUFFIXES
from newswire.tasks.settings import load_settings


def _no_task(*args, **kwargs):
    raise AssertionError("an unchanged re-poll ran this task")


def test_an_unchanged_repoll_skips_the_link_and_publish_tasks(
    prefect_server, sample_server, data_dir, monkeypatch
):
    first = ingest_sample(data_dir, sample_server)
    settings = load_settings(str(data_dir))
    assert first.new_stories > 0
    # The first run wrote story rows: its link step runs the task.
    called = []
    monkeypatch.setattr(link, "link_stories", lambda s, ids: called.append(ids) or (0, 0))
    link.link_step(settings, [first.run_id])
    assert called == [[first.run_id]]

    again = ingest_sample(data_dir, sample_server)
    assert again.new_appearances == 0
    monkeypatch.setattr(link, "link_stories", _no_task)
    monkeypatch.setattr(publish, "publish_outputs", _no_task)
    assert link.link_step(settings, [again.run_id]) == (0, 0)

    @flow(name="publish-step-probe")
    def probe():
        return publish.publish_step(settings)

    report = probe()
    names = sorted(f"{q.name}{s}" for q in settings.desk.saved_queries().queries for s in FEED_SUFFIXES)
    assert report.written == [] and sorted(report.unchanged) == names
