"""The editors' `invoke report YYYY-MM`: next month's report file, pre-filled from the latest one."""

from __future__ import annotations

import json
import os

from portal_model import ContentProblems, PartialDate, model_for, parse_partial_date

from .plan import NOT_STARTED, PLAN_FOLDER, REPORTS_FOLDER, STATUSES, due_on, load_plan, next_month, not_begun


class ReportRefused(Exception):
    """Why no report file was written, in words for the editor."""


def report_text(plan, month: PartialDate) -> str:
    latest = plan.latest
    source = f"沿用 {latest.key} 月报" if latest else "所有任务预填为 not-started"
    lines = [
        f"# {month.format()}行动计划进展月报，{due_on(month).day}日报送。由 invoke report 生成，{source}，请逐项核对修改。",
        "# status: " + " / ".join(f"{s.key} {s.zh}" for s in STATUSES) + ";note 为可选说明。",
    ]
    for task in plan.tasks:
        entry = task.entry_in(latest) if latest else None
        status = entry.status if entry else NOT_STARTED
        note = f", note: {json.dumps(entry.note, ensure_ascii=False)}" if entry and entry.note else ""
        lines.append(f"{task.id}: {{status: {status.key}{note}}}  # {task.title}")
    return "\n".join(lines) + "\n"


def write_report(settings, month_text: str = "") -> str:
    """Write `<content>/action-plan/reports/<month>.yaml` and return its path; refuse rather than overwrite."""
    model = model_for(settings)
    folder = os.path.join(settings["PATH"], PLAN_FOLDER)
    plan = load_plan(model, folder)
    if model.problems:
        raise ContentProblems(list(model.problems))
    if plan is None:
        raise ReportRefused(f"{folder} 中没有任务清单 tasks.yaml (no task list)")
    if month_text:
        try:
            month = parse_partial_date(month_text)
        except ValueError as error:
            raise ReportRefused(f"{error} (bad month)") from None
        if month.precision != "month":
            raise ReportRefused(f"月份 “{month_text}” 应写作 YYYY-MM，如 2019-01 (bad month)")
    elif plan.latest:
        month = next_month(plan.latest.month)
    else:
        raise ReportRefused("还没有月报，请写明月份，如 invoke report 2018-08 (month needed)")
    path = os.path.join(folder, REPORTS_FOLDER, f"{month.isoformat()}.yaml")
    existing = {r.month: r for r in plan.reports}
    if month in existing:
        raise ReportRefused(f"{model.relative(existing[month].path)} 已存在，不会覆盖 — 请直接编辑该文件"
                            " (file exists)")
    if plan.latest and month < plan.latest.month:
        raise ReportRefused(f"{month.isoformat()} 早于最新月报 {plan.latest.key} — 新月报应在其后"
                            " (report month before the latest)")
    if reason := not_begun(settings, month):
        raise ReportRefused(f"{reason}；请核对月份 (report for a month not yet begun)")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(report_text(plan, month))
    return path
