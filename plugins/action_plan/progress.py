"""What the pages show: counts and shares per status, breakdowns, facets, changes, the chart.

Pure functions of a Plan; the templates only lay them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

from babel.dates import format_skeleton

from .plan import STATUSES, Plan, Report, Status, Task

TASKS_URL = "action-plan/tasks/"


@dataclass(frozen=True)
class StatusCount:
    status: Status
    count: int
    total: int

    @property
    def share(self) -> int:
        """Whole per cent, halves rounded up (65 of 144 → 45)."""
        return (200 * self.count + self.total) // (2 * self.total) if self.total else 0

    @property
    def label(self) -> str:
        return f"{self.count} / {self.total} · {self.share}%"


def tally(tasks: list[Task], report: Report | None = None) -> list[StatusCount]:
    """Tasks per status, in the order of STATUSES: that month's, or the current state."""
    statuses = [(t.entry_in(report) if report else t.current).status for t in tasks]
    return [StatusCount(s, statuses.count(s), len(tasks)) for s in STATUSES]


# ---------------------------------------------------------------- facets

@dataclass(frozen=True)
class Facet:
    """A way to narrow the task table: its URL folder, label, values and how a task matches.

    Labels and value names are in the build's language (model.lang, model.gettext).
    """

    key: str
    label: str  # 专题 / Topic
    heading: str  # 按专题 / By topic
    values: tuple  # Terms or Statuses: anything with .key
    of_task: Callable[[Task], list]
    name_of: Callable[[object], str]  # a value's name on the page

    def url(self, value) -> str:
        return f"{TASKS_URL}{self.key}/{value.key}/"


def facets(plan: Plan, model) -> list[Facet]:
    _, lang = model.gettext, model.lang

    def term_name(term):
        return term.name(lang)

    def status_name(status):
        return _(status.zh)

    return [
        Facet("topic", _("专题"), _("按专题"), tuple(plan.topics), lambda t: [t.topic], term_name),
        Facet("field", _("领域"), _("按领域"), tuple(model.fields), lambda t: [t.field], term_name),
        Facet("province", _("牵头省市"), _("按牵头省市"), tuple(model.provinces), lambda t: t.provinces,
              term_name),
        Facet("status", _("状态"), _("按状态"), STATUSES, lambda t: [t.current.status], status_name),
    ]


@dataclass
class Slice:
    """The tasks that share one value of a facet, e.g. every task led by Anhui."""

    facet: Facet
    value: object
    tasks: list[Task]

    @property
    def url(self) -> str:
        return self.facet.url(self.value)

    @property
    def name(self) -> str:
        return self.facet.name_of(self.value)

    @property
    def counts(self) -> list[StatusCount]:
        return tally(self.tasks)


def slices(facet: Facet, tasks: list[Task]) -> list[Slice]:
    return [Slice(facet, value, [t for t in tasks if value in facet.of_task(t)]) for value in facet.values]


# ---------------------------------------------------------------- months

@dataclass
class Change:
    task: Task
    before: Status
    after: Status
    note: str


def changes(plan: Plan, report: Report) -> list[Change]:
    """Tasks whose status differs from the previous report's."""
    index = plan.reports.index(report)
    if index == 0:
        return []
    previous = plan.reports[index - 1]
    found = []
    for task in plan.tasks:
        before, after = task.entry_in(previous), task.entry_in(report)
        if before.status is not after.status:
            found.append(Change(task, before.status, after.status, after.note))
    return found


# ---------------------------------------------------------------- the chart

@dataclass
class Segment:
    count: StatusCount
    y: float
    height: float

    @property
    def text_y(self) -> float:
        return self.y + self.height / 2

    @property
    def labelled(self) -> bool:
        return self.height >= 18  # room for the count inside the bar


@dataclass
class Bar:
    report: Report
    x: float
    width: float
    segments: list[Segment]
    month_label: str  # on the axis: 11月 / Nov
    year_label: str  # under the first bar and each January: 2018年 / 2018

    @property
    def middle(self) -> float:
        return self.x + self.width / 2


@dataclass
class Chart:
    width: int
    height: int
    left: int
    bottom: float  # y of the axis
    bars: list[Bar]
    ticks: list[tuple[float, int]]  # (y, value)


def tick_step(maximum: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if maximum / step <= 6:
            return step
    return maximum


def status_chart(plan: Plan, lang: str = "zh", width: int = 640, height: int = 300) -> Chart:
    """Stacked bars, one per report, bottom up in the order of STATUSES; axis labels in `lang`."""
    left, top, bottom = 44, 12, height - 36
    total = max(len(plan.tasks), 1)
    scale = (bottom - top) / total
    slot = (width - left - 8) / max(len(plan.reports), 1)
    bars = []
    for number, report in enumerate(plan.reports):
        y, segments = float(bottom), []
        for count in tally(plan.tasks, report):
            y -= count.count * scale
            segments.append(Segment(count, round(y, 1), round(count.count * scale, 1)))
        first_day = date(report.month.year, report.month.month, 1)
        bars.append(Bar(report, round(left + slot * number + slot * 0.2, 1), round(slot * 0.6, 1), segments,
                        format_skeleton("MMM", first_day, locale=lang),
                        format_skeleton("y", first_day, locale=lang)))
    step = tick_step(total)
    ticks = [(round(bottom - value * scale, 1), value) for value in range(0, total + 1, step)]
    return Chart(width, height, left, bottom, bars, ticks)
