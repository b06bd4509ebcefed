"""The action plan as data: tasks, monthly reports, and every check an editor needs.

`load_plan(model, folder)` reads `tasks.yaml` and `reports/YYYY-MM.yaml`,
reports each defect through `model.problem(...)` and returns whatever could be
read, so that one run lists every problem. Nothing here needs a running build.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field as dataclass_field
from datetime import date

import yaml

from feeds import N_
from portal_model import (PartialDate, Registry, Term, format_date, made_by_the_system, parse_partial_date,
                          split_list, this_month, today)

PLAN_FOLDER = "action-plan"  # in the content folder
TASKS_FILE = "tasks.yaml"
REPORTS_FOLDER = "reports"
TASK_ID = re.compile(r"^[A-Z]+[0-9]+$")
REPORT_NAME = re.compile(r"^(\d{4})-(\d{2})\.ya?ml$")
TASK_KEYS = ("id", "title", "topic", "field", "lead", "start", "due")
LEAD_KEYS = ("provinces", "department")
ENTRY_KEYS = ("status", "note")
# Reports are due on this day of their month.
REPORT_DAY = 5


@dataclass(frozen=True)
class Status:
    key: str
    zh: str  # also the catalogue's message: pages show `gettext(status.zh)`
    en: str  # the name in open data (tasks.json), not on pages
    icon: str  # a text symbol, so that no status is told by colour alone


STATUSES = (
    Status("done", N_("已完成"), "done", "✓"),
    Status("on-track", N_("按期推进"), "on track", "→"),
    Status("delayed", N_("滞后"), "delayed", "!"),
    Status("not-started", N_("未启动"), "not started", "○"),
)
STATUS_BY_NAME = {name: s for s in STATUSES for name in (s.key, s.zh)}
NOT_STARTED = STATUS_BY_NAME["not-started"]
DONE = STATUS_BY_NAME["done"]


def status_choices() -> str:
    return ", ".join(f"{s.key} {s.zh}" for s in STATUSES)


def topics_registry(settings) -> Registry:
    """The plan's cooperation topics, from ACTION_PLAN_TOPICS in pelicanconf.py."""
    return Registry("topics", [
        Term("topics", t["key"], t["zh"], t["en"], t.get("description", ""), tuple(t.get("aliases", ())))
        for t in settings.get("ACTION_PLAN_TOPICS", [])
    ])


@dataclass
class Entry:
    """One task's state in one monthly report."""

    status: Status
    note: str = ""


@dataclass
class Report:
    month: PartialDate  # year and month
    path: str
    entries: dict[str, Entry]

    @property
    def key(self) -> str:
        return self.month.isoformat()

    @property
    def due_date(self) -> date:
        return due_on(self.month)

    @property
    def url(self) -> str:
        return f"action-plan/reports/{self.key}/"


@dataclass
class Task:
    id: str
    title: str
    topic: Term
    field: Term
    provinces: list[Term]
    department: str
    start: PartialDate
    due: PartialDate
    history: list = dataclass_field(default_factory=list)  # [(Report, Entry)], oldest first
    news: list = dataclass_field(default_factory=list)

    def entry_in(self, report: Report) -> Entry:
        """The task's state that month; a task not yet started need not be reported."""
        return report.entries.get(self.id) or Entry(NOT_STARTED)

    @property
    def url(self) -> str:
        return f"action-plan/tasks/{self.id}/"

    @property
    def current(self) -> Entry:
        return self.history[-1][1] if self.history else Entry(NOT_STARTED)

    @property
    def overdue(self) -> bool:
        """Its due month has passed by the latest report, and it is not done."""
        if not self.history:
            return False
        report, entry = self.history[-1]
        return entry.status is not DONE and self.due < report.month


@dataclass
class Plan:
    tasks: list[Task]
    reports: list[Report]  # oldest first
    topics: Registry
    declared: set[str] | None  # every id in tasks.yaml, including tasks with a defect; None: unreadable

    @property
    def latest(self) -> Report | None:
        return self.reports[-1] if self.reports else None

    def task(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)


def next_month(month: PartialDate) -> PartialDate:
    return PartialDate(month.year + month.month // 12, month.month % 12 + 1)


def not_begun(settings, month: PartialDate) -> str | None:
    """Why there can be no report for `month` yet, or None once the month has begun (Asia/Shanghai):
    the latest report is the current state, and one for a month to come would stand for it."""
    if month <= this_month(settings):
        return None
    return (f"{month.format()}还没有到(今天是{format_date(today(settings))}，上海时间)— "
            "月报要到该月开始后才能填写")


def due_on(month: PartialDate) -> date:
    """The day a month's report is due."""
    return date(month.year, month.month, REPORT_DAY)


# ---------------------------------------------------------------- YAML with line numbers

class LinedMap(dict):
    """A YAML mapping that remembers where it and each of its keys stand in the file."""

    line = 0
    key_lines: dict
    duplicates: list


class LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when installed: 4x faster
    pass


def construct_lined_map(loader, node):
    mapping = LinedMap()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines, mapping.duplicates = {}, []
    yield mapping
    for key_node, value_node in node.value:
        key = str(loader.construct_object(key_node, deep=True))
        if key in mapping:
            mapping.duplicates.append((key, key_node.start_mark.line + 1))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1


LineLoader.add_constructor("tag:yaml.org,2002:map", construct_lined_map)


def read_yaml(model, path: str, how_to_fill: str):
    """The parsed file, or None after reporting why it cannot be read (`how_to_fill`: what to tell
    the editor when it is empty)."""
    from strict_content import decode

    with open(path, "rb") as handle:
        text = decode(model, path, handle.read())
    if text is None:
        return None
    try:
        data = yaml.load(text, Loader=LineLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reason = getattr(error, "problem", None) or str(error)
        model.problem(path, f"YAML 格式错误：{reason} — 请检查缩进、冒号和引号 (invalid YAML)",
                      mark.line + 1 if mark else None)
        return None
    if data in (None, [], {}):  # nothing, comments only, or an empty list or mapping
        model.empty_file(path, how_to_fill)
        return None
    return data


# ---------------------------------------------------------------- tasks

def check_keys(model, path, mapping: LinedMap, allowed, what: str) -> None:
    for key in mapping:
        if key not in allowed:
            model.problem(path, f"{what}有未知的键 “{key}” — 可用：{', '.join(allowed)} (unknown key)",
                          mapping.key_lines.get(key))
    for key, line in mapping.duplicates:
        model.problem(path, f"{what}的键 “{key}” 写了两次 — 只保留一个 (duplicate key)", line)


def read_month(model, path, mapping, key: str, what: str) -> PartialDate | None:
    value = mapping.get(key)
    try:
        when = parse_partial_date(value)
        if not when.month:
            raise ValueError(f"“{value}” 只有年份，应写到月份，如 2018-07")
        return PartialDate(when.year, when.month)
    except ValueError as error:
        model.problem(path, f"{what}的 {key}:{error} (bad date)", mapping.key_lines.get(key))
        return None


def read_task(model, path, mapping, number: int, topics: Registry, seen: dict) -> Task | None:
    if not isinstance(mapping, LinedMap):
        model.problem(path, f"第 {number} 项任务不是“键: 值”的形式 — 每项以 “- id: T001” 开头，"
                            "下面缩进写 title、topic 等 (task is not a mapping)")
        return None
    task_id = str(mapping.get("id") or "").strip()
    what = f"任务 {task_id} " if task_id else f"第 {number} 项任务"
    line = mapping.line
    check_keys(model, path, mapping, TASK_KEYS, what)
    for key in TASK_KEYS:
        if mapping.get(key) in (None, ""):
            model.problem(path, f"{what}缺少 {key} — 例: {TASK_EXAMPLE[key]} (missing key)", line)
    valid_id = bool(task_id)
    if task_id and not TASK_ID.match(task_id):
        model.problem(path, f"任务编号 “{task_id}” 格式不对 — 应是大写字母加数字，如 T001 (bad task id)",
                      mapping.key_lines.get("id"))
        valid_id = False
    elif task_id in seen:
        model.problem(path, f"任务编号 {task_id} 重复，第 {seen[task_id]} 行已用过 — 每项任务的编号必须唯一"
                            " (duplicate task id)", line)
        valid_id = False
    seen.setdefault(task_id, line)

    topic = one_term(model, path, mapping, "topic", topics, what, "专题", "unknown topic")
    field = one_term(model, path, mapping, "field", model.fields, what, "领域", "unknown field")
    provinces, department = read_lead(model, path, mapping, what)
    start = read_month(model, path, mapping, "start", what) if mapping.get("start") else None
    due = read_month(model, path, mapping, "due", what) if mapping.get("due") else None
    if start and due and due < start:
        model.problem(path, f"{what}的完成时限 due {due.isoformat()} 早于开始时间 start "
                            f"{start.isoformat()} — 请核对 (due before start)", mapping.key_lines.get("due"))
    title = str(mapping.get("title") or "").strip()
    if None in (topic, field, start, due) or not (valid_id and title and provinces and department):
        return None
    return Task(task_id, title, topic, field, provinces, department, start, due)


TASK_EXAMPLE = {
    "id": "id: T001", "title": "title: 编制长三角城际交通网整体规划", "topic": "topic: 交通能源",
    "field": "field: transport", "lead": "lead: {provinces: [shanghai], department: 上海市发展和改革委员会}",
    "start": "start: 2018-07", "due": "due: 2019-12",
}


def one_term(model, path, mapping, key, registry: Registry, what, label, tag) -> Term | None:
    value = mapping.get(key)
    if value in (None, ""):
        return None
    terms, unknown = registry.resolve(value)
    for name in unknown:
        model.problem(path, f"{what}的{label} “{name}” 未知 — 可用：{registry.choices()} ({tag})",
                      mapping.key_lines.get(key))
    if len(terms) > 1:
        model.problem(path, f"{what}只能有一个{label}，现在写了 {len(terms)} 个 — 请只保留主要的一个"
                            f" (one {key} only)", mapping.key_lines.get(key))
    return terms[0] if len(terms) == 1 and not unknown else None


def read_lead(model, path, mapping, what) -> tuple[list[Term], str]:
    lead = mapping.get("lead")
    if lead in (None, ""):
        return [], ""
    if not isinstance(lead, LinedMap):
        model.problem(path, f"{what}的 lead 应写作 {{provinces: [shanghai], department: 牵头部门}}"
                            " (lead is not a mapping)", mapping.key_lines.get("lead"))
        return [], ""
    check_keys(model, path, lead, LEAD_KEYS, f"{what}的 lead ")
    provinces, unknown = model.provinces.resolve(lead.get("provinces"))
    for name in unknown:
        model.problem(path, f"{what}的牵头省市 “{name}” 未知 — 可用：{model.provinces.choices()}，"
                            "或简称 沪 苏 浙 皖 (unknown province)", lead.key_lines.get("provinces"))
    for key in LEAD_KEYS:
        if not lead.get(key):
            model.problem(path, f"{what}的 lead 缺少 {key} — 例: {TASK_EXAMPLE['lead']} (missing key)",
                          lead.line)
    return (provinces if not unknown else []), str(lead.get("department") or "").strip()


def read_tasks(model, path: str, topics: Registry) -> tuple[list[Task], set[str] | None]:
    """The complete tasks, and every id declared (so that a task with a defect is not also unknown);
    None for the ids when the list cannot be read: nothing can be checked against it."""
    data = read_yaml(model, path, "请按 “- id: T001” 开头逐项写入任务，下面缩进写 title、topic、field、lead、"
                                  "start、due；在此之前月报和新闻的任务编号都无法核对")
    if data is None:
        return [], None
    if not isinstance(data, list):
        model.problem(path, "任务清单应是一个列表，每项以 “- id: T001” 开头；在此之前月报和新闻的任务编号都无法核对"
                            " (task list is not a list)")
        return [], None
    seen: dict[str, int] = {}
    tasks = [read_task(model, path, mapping, number, topics, seen)
             for number, mapping in enumerate(data, start=1)]
    return [t for t in tasks if t], set(seen) - {""}


# ---------------------------------------------------------------- reports

def read_report(model, path: str, tasks: dict[str, Task], declared: set[str] | None) -> Report | None:
    """One month's report; `declared` None: the task list could not be read, so the report's ids are
    not checked against it (each would be reported, burying the task list's own problem)."""
    name = os.path.basename(path)
    match = REPORT_NAME.match(name)
    month = None
    if match:
        try:
            month = parse_partial_date(f"{match[1]}-{match[2]}")
        except ValueError:
            month = None
    if month is None:
        model.problem(path, f"月报文件名 “{name}” 不对 — 应以报送月份命名，如 2018-12.yaml"
                            " (report file not named YYYY-MM.yaml)")
    elif reason := not_begun(model.settings, month):
        model.problem(path, f"{reason}；请核对文件名中的月份 (report for a month not yet begun)")
    # Empty, the month would drop out of the dashboard unnoticed.
    data = read_yaml(model, path, "请逐项填写已开始的每项任务的进展，如 “T001: {status: on-track, note: 说明}”"
                                  "(可参照上一期月报)；本月不报送的话请删除这个文件")
    if data is None:
        return None
    if not isinstance(data, LinedMap):
        model.problem(path, "月报应按任务编号逐行填写，如 “T001: {status: on-track, note: 说明}”"
                            " (report is not a mapping)")
        return None
    for task_id, line in data.duplicates:
        model.problem(path, f"任务 {task_id} 在本月报中写了两次 — 只保留一条 (duplicate entry)", line)
    entries = {}
    for task_id, value in data.items():
        line = data.key_lines[task_id]
        if declared is not None and task_id not in declared:
            model.problem(path, f"任务编号 {task_id} 不在任务清单 tasks.yaml 中 — 请核对编号"
                                " (unknown task id)", line)
        entry = read_entry(model, path, task_id, value, line)
        if entry and task_id in tasks:
            entries[task_id] = entry
    if month:
        for task in tasks.values():
            if task.start <= month and task.id not in data:
                model.problem(path, f"缺少任务 {task.id} 的进展 — 该任务 {task.start.format()}开始，"
                                    f"每期月报都要填写，如 “{task.id}: {{status: on-track}}” (missing task)")
    return Report(month, path, entries) if month else None


def read_entry(model, path, task_id, value, line) -> Entry | None:
    """`{status: on-track, note: …}`, or just the status."""
    if not isinstance(value, LinedMap):
        value = LinedMap(status=value)
        value.key_lines, value.duplicates = {}, []
    check_keys(model, path, value, ENTRY_KEYS, f"任务 {task_id} ")
    name = str(value.get("status") or "").strip()
    status = STATUS_BY_NAME.get(name.lower())
    if not name:
        model.problem(path, f"任务 {task_id} 缺少 status — 可用：{status_choices()} (missing status)", line)
    elif status is None:
        model.problem(path, f"任务 {task_id} 的状态 “{name}” 未知 — 可用：{status_choices()}"
                            " (unknown status)", line)
    note = value.get("note")
    return Entry(status, " ".join(str(note).split()) if note else "") if status else None


# ---------------------------------------------------------------- the plan

def load_plan(model, folder: str) -> Plan | None:
    """The plan in `folder` (content/action-plan), or None when the site has none."""
    tasks_path = os.path.join(folder, TASKS_FILE)
    reports_folder = os.path.join(folder, REPORTS_FOLDER)
    report_paths = sorted(os.path.join(reports_folder, name) for name in os.listdir(reports_folder)
                          if not made_by_the_system(name)) if os.path.isdir(reports_folder) else []
    if not os.path.exists(tasks_path):
        if report_paths:
            model.problem(tasks_path, "有月报但没有任务清单 — 请创建 tasks.yaml (missing task list)")
        return None
    topics = topics_registry(model.settings)
    tasks, declared = read_tasks(model, tasks_path, topics)
    by_id = {t.id: t for t in tasks}
    reports = [r for r in (read_report(model, path, by_id, declared) for path in report_paths) if r]
    reports.sort(key=lambda r: r.month)
    for report in reports:
        for task in tasks:
            task.history.append((report, task.entry_in(report)))
    return Plan(tasks, reports, topics, declared)


def check_news_tasks(model, declared: set[str] | None, sources) -> None:
    """News items may name tasks (`Tasks: T001, T004`); every id must exist (unless the task list,
    `declared` None, could not be read: its own problem says so)."""
    if declared is None:
        return
    for source in sources:
        for task_id in split_list(source.meta.get("tasks")):
            if task_id not in declared:
                model.problem(source.path, f"Tasks 中的任务编号 “{task_id}” 不在行动计划任务清单中 — "
                                           "请核对编号，如 T001 (unknown task id)")
