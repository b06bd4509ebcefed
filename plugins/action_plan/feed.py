"""`/feeds/action-plan.atom.xml` (and .rss.xml): one entry per monthly report, through plugins/feeds.

Written in the build's language (model.gettext); task titles and notes have no
translation and are marked as Chinese in other editions.
"""

from __future__ import annotations

from datetime import datetime, time

from markupsafe import Markup

from feeds import Entry, FeedSpec, announce_feed, entry_id, run_edition, write_feed
from portal_model import SHANGHAI

from .plan import Plan, Report
from .progress import changes, tally


def spec(model) -> FeedSpec:
    _ = model.gettext
    return FeedSpec(
        title=_("{site}：三年行动计划进展月报").format(site=model.settings.get("SITENAME", "")),
        path="feeds/action-plan",
        html_path="action-plan/",
        lang=run_edition(model).tag,
        description=_("长三角地区一体化发展三年行动计划每月进展：各状态任务数和状态有变化的任务。"),
        group=_("行动计划"),
    )


def announce(model) -> None:
    """Called in generate_context, so that /feeds/ and the OPML list the feed."""
    announce_feed(model.settings, spec(model))


def write(model, plan: Plan) -> None:
    write_feed(model.settings, spec(model), [report_entry(model, plan, report) for report in plan.reports])


def chinese(model, text: str) -> Markup:
    """Content that has no translation, marked as Chinese outside the Chinese editions."""
    if model.lang == "zh":
        return Markup("{}").format(text)
    return Markup('<span lang="zh-CN">{}</span>').format(text)


def report_entry(model, plan: Plan, report: Report) -> Entry:
    _ = model.gettext
    counts = _("；").join(f"{_(c.status.zh)} {c.label}" for c in tally(plan.tasks, report))
    changed = changes(plan, report)
    first = report is plan.reports[0]
    summary = _("{counts}。").format(counts=counts) + (
        _("这是第一期月报。") if first else _("与上月相比，{count} 项任务状态有变化。").format(count=len(changed)))
    items = Markup("").join(
        Markup("<li>{}</li>").format(Markup(_("{task}：{before} → {after}")).format(
            task=Markup('<a href="{}">{} {}</a>').format(
                model.absolute_url(c.task.url), c.task.id, chinese(model, c.task.title)),
            before=_(c.before.zh), after=_(c.after.zh))
            + (Markup(_("({note})")).format(note=chinese(model, c.note)) if c.note else ""))
        for c in changed)
    content = Markup("<p>{}</p>").format(summary)
    if changed:
        content += Markup("<h2>{}</h2><ul>{}</ul>").format(_("状态有变化的任务"), items)
    return Entry(
        id=entry_id(model.settings, f"action-plan/{report.key}"),
        title=_("{month}行动计划进展月报").format(month=report.month.format(model.lang)),
        url=report.url,
        date=datetime.combine(report.due_date, time(), SHANGHAI),
        summary=summary,
        content_html=str(content),
    )
