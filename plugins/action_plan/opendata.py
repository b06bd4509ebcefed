"""Open data: tasks.csv, tasks.json and history.csv, byte-for-byte the same for the same content.

Column names are stable keys in every edition; names come in Chinese (`_zh`) and English (`_en`),
task titles, departments and notes in Chinese only.
"""

from __future__ import annotations

import csv
import io
import json

from .plan import STATUSES, Plan, Task

TASK_COLUMNS = (
    "id", "title", "topic", "topic_zh", "topic_en", "field", "field_zh", "field_en", "lead_provinces",
    "lead_provinces_zh", "lead_provinces_en", "lead_department", "start", "due", "status", "status_zh",
    "status_en", "overdue", "note", "report_month", "url",
)
HISTORY_COLUMNS = ("report_month", "id", "title", "status", "status_zh", "status_en", "note")


def task_record(task: Task, plan: Plan, absolute_url) -> dict:
    entry = task.current
    return {
        "id": task.id,
        "title": task.title,
        "topic": task.topic.key,
        "topic_zh": task.topic.zh,
        "topic_en": task.topic.en,
        "field": task.field.key,
        "field_zh": task.field.zh,
        "field_en": task.field.en,
        "lead_provinces": [p.key for p in task.provinces],
        "lead_provinces_zh": [p.zh for p in task.provinces],
        "lead_provinces_en": [p.en for p in task.provinces],
        "lead_department": task.department,
        "start": task.start.isoformat(),
        "due": task.due.isoformat(),
        "status": entry.status.key,
        "status_zh": entry.status.zh,
        "status_en": entry.status.en,
        "overdue": task.overdue,
        "note": entry.note,
        "report_month": plan.latest.key if plan.latest else "",
        "url": absolute_url(task.url),
    }


def csv_text(columns, rows) -> str:
    """CSV as Excel reads it: UTF-8 with BOM (added when writing), CRLF, lists joined by ;."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: csv_value(row[key]) for key in columns})
    return buffer.getvalue()


def csv_value(value):
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def tasks_csv(plan: Plan, absolute_url) -> str:
    return csv_text(TASK_COLUMNS, (task_record(t, plan, absolute_url) for t in plan.tasks))


def tasks_json(plan: Plan, absolute_url) -> str:
    document = {
        "report_month": plan.latest.key if plan.latest else None,
        "statuses": {s.key: {"zh": s.zh, "en": s.en} for s in STATUSES},
        "tasks": [task_record(t, plan, absolute_url) for t in plan.tasks],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def history_csv(plan: Plan) -> str:
    rows = (
        {"report_month": report.key, "id": task.id, "title": task.title, "status": entry.status.key,
         "status_zh": entry.status.zh, "status_en": entry.status.en, "note": entry.note}
        for report in plan.reports for task in plan.tasks for entry in [task.entry_in(report)]
    )
    return csv_text(HISTORY_COLUMNS, rows)
