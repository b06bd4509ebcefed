"""The three-year action plan in public: dashboard, task pages, task table, monthly reports, open data.

Reads `content/action-plan/tasks.yaml` and `content/action-plan/reports/YYYY-MM.yaml`
(checked at `initialized`, with every other content check), then writes
`/action-plan/...` and the action-plan feed. A site without that folder gets none of it.
"""

from __future__ import annotations

import os

from pelican import signals
from pelican.generators import Generator

from portal_model import model_for, split_list, write_if_changed

from . import feed
from .opendata import history_csv, tasks_csv, tasks_json
from .plan import PLAN_FOLDER, STATUSES, check_news_tasks, due_on, load_plan, next_month
from .progress import changes, facets, slices, status_chart, tally

SETTING = "PORTAL_ACTION_PLAN"


def load(pelican) -> None:
    """Read and check the plan with the other content checks (also run by `invoke check`)."""
    settings = pelican.settings
    model = model_for(settings)
    plan = load_plan(model, os.path.join(settings["PATH"], PLAN_FOLDER))
    settings[SETTING] = plan
    # strict_content (enabled before this plugin) has read every news item's header by now.
    news = settings.get("PORTAL_SOURCES", {}).values()
    check_news_tasks(model, plan.declared if plan else set(), news)


class ActionPlanGenerator(Generator):
    """Links news items to tasks in generate_context; writes pages and open data in generate_output."""

    def generate_context(self):
        self.plan = self.settings.get(SETTING)
        if self.plan is None:
            return
        by_id = {t.id: t for t in self.plan.tasks}
        for article in self.context.get("articles", []):
            if article.lang != self.settings.get("DEFAULT_LANG", "zh"):
                continue
            for task_id in split_list(article.metadata.get("tasks")):
                if task_id in by_id:
                    by_id[task_id].news.append(article)
        self.context["action_plan"] = self.plan
        feed.announce(model_for(self.settings))

    def generate_output(self, writer):
        if self.plan is None:
            return
        model = model_for(self.settings)
        plan, latest = self.plan, self.plan.latest
        plan_facets = facets(plan, model)
        facet_slices = [slices(f, plan.tasks) for f in plan_facets]

        def write(save_as, template, **context):
            writer.write_file(save_as, self.get_template(template), self.context,
                              relative_urls=self.settings["RELATIVE_URLS"], template_name=template,
                              url=save_as[: -len("index.html")], statuses=STATUSES, **context)

        write("action-plan/index.html", "action_plan", latest=latest, counts=tally(plan.tasks),
              breakdowns=[s for s in facet_slices if s[0].facet.key != "status"],
              overdue=[t for t in plan.tasks if t.overdue], chart=status_chart(plan, model.lang),
              monthly=[(r, tally(plan.tasks, r)) for r in plan.reports],
              next_due=due_on(next_month(latest.month)) if latest else None)
        table = dict(facets=plan_facets, facet_slices=facet_slices)
        write("action-plan/tasks/index.html", "action_plan_tasks", tasks=plan.tasks,
              selected=None, counts=tally(plan.tasks), **table)
        for slices_of_facet in facet_slices:
            for selected in slices_of_facet:
                write(f"{selected.url}index.html", "action_plan_tasks", tasks=selected.tasks,
                      selected=selected, counts=selected.counts, **table)
        for task in plan.tasks:
            write(f"{task.url}index.html", "action_plan_task", task=task)
        for number, report in enumerate(plan.reports):
            write(f"{report.url}index.html", "action_plan_report", report=report,
                  counts=tally(plan.tasks, report), changes=changes(plan, report),
                  notes=[(t, t.entry_in(report)) for t in plan.tasks if t.entry_in(report).note],
                  previous=plan.reports[number - 1] if number else None,
                  following=plan.reports[number + 1] if number + 1 < len(plan.reports) else None)
        self.write_open_data(model)
        feed.write(model, plan)

    def write_open_data(self, model):
        folder = os.path.join(self.output_path, PLAN_FOLDER)
        os.makedirs(folder, exist_ok=True)
        files = {
            "tasks.csv": ("utf-8-sig", tasks_csv(self.plan, model.absolute_url)),
            "tasks.json": ("utf-8", tasks_json(self.plan, model.absolute_url)),
            "history.csv": ("utf-8-sig", history_csv(self.plan)),
        }
        for name, (encoding, text) in files.items():
            write_if_changed(os.path.join(folder, name), text.encode(encoding))  # the CSV's CRLF as written


def get_generators(pelican):
    return ActionPlanGenerator


def register():
    signals.initialized.connect(load)
    signals.get_generators.connect(get_generators)
