"""`/feeds/action-plan.atom.xml` (and .rss.xml): one entry per monthly report, through plugins/feeds."""

from __future__ import annotations

from datetime import datetime, time

from markupsafe import Markup, escape

from feeds import Entry, FeedSpec, announce_feed, entry_id, write_feed
from portal_model import SHANGHAI

from .plan import Plan, Report
from .progress import changes, tally

SPEC = FeedSpec(
    title="中国长三角:三年行动计划进展月报",
    path="feeds/action-plan",
    html_path="action-plan/",
    description="长三角地区一体化发展三年行动计划每月进展:各状态任务数和状态有变化的任务。",
    group="行动计划",
)


def announce(settings) -> None:
    """Called in generate_context, so that /feeds/ and the OPML list the feed."""
    announce_feed(settings, SPEC)


def write(model, plan: Plan) -> None:
    write_feed(model.settings, SPEC, [report_entry(model, plan, report) for report in plan.reports])


def report_entry(model, plan: Plan, report: Report) -> Entry:
    counts = ";".join(f"{c.status.zh} {c.label}" for c in tally(plan.tasks, report))
    changed = changes(plan, report)
    first = report is plan.reports[0]
    summary = f"{counts}。" + ("这是第一期月报。" if first else f"与上月相比,{len(changed)} 项任务状态有变化。")
    items = Markup("").join(
        Markup('<li><a href="{}">{} {}</a>:{} → {}{}</li>').format(
            model.absolute_url(c.task.url), c.task.id, c.task.title, c.before.zh, c.after.zh,
            f"({c.note})" if c.note else "")
        for c in changed)
    content = Markup("<p>{}</p>").format(summary)
    if changed:
        content += Markup("<h2>状态有变化的任务</h2><ul>{}</ul>").format(items)
    return Entry(
        id=entry_id(model.settings, f"action-plan/{report.key}"),
        title=f"{report.month.format()}行动计划进展月报",
        url=report.url,
        date=datetime.combine(report.due_date, time(), SHANGHAI),
        summary=summary,
        content_html=str(content),
    )
