"""Build-speed benchmark: the portal's full build against stock Pelican on the same content.

    invoke bench --articles 1000            (or: python tests/benchmark.py --articles 1000)

Generates N synthetic news items in the portal's content format (Chinese text
with headings and lists, every field and province under their alias spellings,
milestones, English translations) plus the sample site's standing pages,
timeline and action-plan data, then builds that one corpus twice, each build in
a fresh `pelican` process:

- portal: pelicanconf.py with every plugin and the portal theme;
- stock:  Pelican 4.12 with no plugins, its default theme and default settings,
          only the portal's URLs, time zone and ignore patterns, and its content cache on.

For each it measures a full build from nothing; a full build into an emptied
output folder with the cache the first one left (what `invoke build` and every
publication do); a rebuild with nothing changed; a rebuild after editing one
item; and one after adding a new item, the newest of all (each with whatever
cache that side keeps). It prints wall time, ms per
article, peak memory (max RSS of the build process and its children, from
wait4) and the ratio portal/stock.

It then measures the rebuild an editor waits for while previewing: in one
process that stays up, as `invoke livereload` (portal) and `pelican
--autoreload` (stock: one Pelican instance run again) do, a first build from
nothing, one item edited, and the rebuild after it (the row's time and CPU are
the rebuild's; its memory is the peak of the whole process).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CONTENT = ROOT / "content"
PELICAN = Path(sys.executable).parent / "pelican"
# Sample data copied into every corpus: standing pages, history timeline, action plan.
COPIED_FOLDERS = ("pages", "timeline", "action-plan", "images")

# Starts from an emptied output folder, as `invoke build` and every publication do.
EMPTIED_OUTPUT = "full build, cache kept"
EDITED = "rebuild, one item edited"
ADDED = "rebuild, one item added"  # after the edit: news newer than every generated item
PHASES = ("full build", EMPTIED_OUTPUT, "rebuild, no change", EDITED, ADDED)
PREVIEW = "preview, one item edited"
# The portal's quick rebuild shows the pages, then indexes them for search beside the preview.
PREVIEW_SEARCH = "preview, search updated"
PREVIEW_RESULT = "preview rebuild:"

# ---------------------------------------------------------------- the synthetic corpus

FIELD_SPELLINGS = {
    "culture": ("culture", "文化", "Culture"),
    "education": ("education", "教育", "Education"),
    "innovation": ("innovation", "科创", "Innovation"),
    "transport": ("transport", "交通", "Transport"),
    "ecology": ("ecology", "生态环境", "Ecology and Environment"),
    "credit": ("credit", "信用", "Credit"),
    "livelihood": ("livelihood", "民生", "Public Services"),
}
PROVINCE_SPELLINGS = {
    "shanghai": ("shanghai", "上海", "沪"),
    "jiangsu": ("jiangsu", "江苏", "苏"),
    "zhejiang": ("zhejiang", "浙江", "浙"),
    "anhui": ("anhui", "安徽", "皖"),
}
SEPARATORS = (", ", "，", "、")
PLACES = ("上海", "南京", "杭州", "合肥", "苏州", "嘉兴", "湖州", "宣城", "芜湖", "青浦", "吴江",
          "嘉善", "松江", "金华", "无锡", "常州", "宁波", "马鞍山", "滁州", "南通")
SUBJECTS = ("长三角区域合作办公室", "三省一市发展改革委", "示范区执委会", "G60科创走廊联席办",
            "四地生态环境部门", "长三角高校联盟", "沪苏浙皖交通运输部门", "四地医保部门",
            "区域信用合作专题组", "长三角文旅联盟", "四地教育行政部门", "长三角科技资源共享平台")
ACTIONS = ("联合印发", "签署合作协议推进", "召开专题会议部署", "正式启动", "全面完成",
           "试点推行", "开通运行", "发布实施方案，推动", "集中签约", "联合开展")
OBJECTS = ("跨省公交线路", "异地就医门诊直接结算", "科技创新券通用通兑", "太湖流域水环境综合治理",
           "省际断头路贯通工程", "公共信用信息共享", "城际铁路规划建设", "养老服务补贴异地结算",
           "图书馆通借通还", "大型科学仪器共享", "教师跨省交流培训", "博物馆联合展览",
           "环保信用联合奖惩", "营业执照一网通办", "大气污染联防联控", "高校学分互认",
           "文化旅游年卡互通", "社保卡居民服务一卡通", "跨界河湖联合河长制", "人才资质互认")
TAILS = ("进一步提升区域一体化发展水平", "惠及沿线数百万群众", "为全国区域协同探索经验",
         "预计年内覆盖全部地级市", "企业办事时间平均缩短一半以上", "群众获得感明显增强",
         "相关做法将在示范区内率先复制推广", "下一步将建立按月调度机制", "专家认为这是制度创新的重要一步",
         "各地将在年底前完成配套细则")
HEADINGS = ("主要内容", "工作进展", "下一步安排", "各方反应", "背景", "具体措施", "数据一览", "专家解读")
EN_WORDS = ("the delta", "regional cooperation", "four provinces", "joint platform", "cross-border",
            "pilot programme", "residents", "companies", "was launched", "will expand", "this year",
            "according to officials", "in Shanghai", "along the corridor", "shared services")


def sentence(rng: random.Random) -> str:
    return (f"{rng.choice(SUBJECTS)}{rng.choice(ACTIONS)}{rng.choice(PLACES)}等地的"
            f"{rng.choice(OBJECTS)},{rng.choice(TAILS)}。")


def paragraph(rng: random.Random, sentences: tuple[int, int] = (3, 6)) -> str:
    return "".join(sentence(rng) for _ in range(rng.randint(*sentences)))


def chinese_body(rng: random.Random) -> str:
    """About 1,000–2,000 characters: a lead, sections with headings, lists, emphasis, a link."""
    blocks = [paragraph(rng, (2, 4))]
    for heading in rng.sample(HEADINGS, rng.randint(2, 4)):
        blocks.append(f"## {heading}")
        blocks.append(paragraph(rng))
        shape = rng.random()
        if shape < 0.35:
            blocks.append("\n".join(f"- {rng.choice(OBJECTS)}:{rng.choice(TAILS)};"
                                    for _ in range(rng.randint(3, 5))))
        elif shape < 0.5:
            blocks.append("\n".join(f"{i}. **{rng.choice(OBJECTS)}**{rng.choice(TAILS)}。"
                                    for i in range(1, rng.randint(3, 5) + 1)))
        elif shape < 0.6:
            blocks.append(f"> {sentence(rng)}")
        if rng.random() < 0.5:
            blocks.append(paragraph(rng, (2, 4)))
    if rng.random() < 0.3:
        blocks.append(f"详情请见[{rng.choice(OBJECTS)}](https://www.csj.example/news/)。")
    return "\n\n".join(blocks) + "\n"


def english_body(rng: random.Random) -> str:
    def english_sentence():
        words = rng.sample(EN_WORDS, 6)
        return " ".join(words).capitalize() + "."

    blocks = [" ".join(english_sentence() for _ in range(3)), "## Background",
              " ".join(english_sentence() for _ in range(4)),
              "\n".join(f"- {english_sentence()}" for _ in range(3))]
    return "\n\n".join(blocks) + "\n"


def spell(rng: random.Random, spellings: dict, keys: list[str]) -> str:
    """Registry keys written as an editor might: key, Chinese or English name, abbreviation."""
    return rng.choice(SEPARATORS).join(rng.choice(spellings[key]) for key in keys)


def generate_corpus(content: Path, articles: int, seed: int = 2018) -> list[Path]:
    """Write `articles` news items (plus ~3% English translations) and the sample's other content.

    Returns the news items' paths. The corpus depends only on `articles` and `seed`.
    """
    rng = random.Random(seed)
    shutil.rmtree(content, ignore_errors=True)
    for folder in COPIED_FOLDERS:
        if (SAMPLE_CONTENT / folder).is_dir():
            shutil.copytree(SAMPLE_CONTENT / folder, content / folder)
    titles: set[str] = set()
    paths = []
    first_day = date(2018, 1, 1).toordinal()
    for number in range(articles):
        # Spread evenly over eight years, oldest first.
        when = date.fromordinal(first_day + number * 8 * 365 // articles).isoformat()
        year = when[:4]
        title = f"{rng.choice(PLACES)}:{rng.choice(SUBJECTS)}{rng.choice(ACTIONS)}{rng.choice(OBJECTS)}"
        if title in titles:
            title += f"(第{number}期)"
        titles.add(title)
        fields = rng.sample(sorted(FIELD_SPELLINGS), rng.choice((1, 1, 2, 2, 3)))
        provinces = rng.sample(sorted(PROVINCE_SPELLINGS), rng.randint(0, 4))
        header = [f"Title: {title}", f"Date: {when} {rng.randint(7, 20):02d}:{rng.choice((0, 15, 30, 45)):02d}",
                  f"Fields: {spell(rng, FIELD_SPELLINGS, fields)}"]
        if provinces:
            header.append(f"Provinces: {spell(rng, PROVINCE_SPELLINGS, provinces)}")
        if rng.random() < 0.5:
            header.append(f"Summary: {sentence(rng)}")
        if rng.random() < 0.4:
            header.append(f"Source: {rng.choice(('人民日报', '新华社', '解放日报', '新华日报', '浙江日报', '安徽日报'))}")
        if rng.random() < 0.05:
            header.append(f"Milestone: {rng.choice(OBJECTS)}{rng.choice(('启动', '落地', '全面实施'))}")
        translated = rng.random() < 0.03
        slug = f"item-{number:05d}" if translated or rng.random() < 0.5 else ""
        if slug:
            header.append(f"Slug: {slug}")
        if rng.random() < 0.2:
            header.append(f"Tags: {rng.choice(OBJECTS)}, {rng.choice(PLACES)}")
        # Folders carry no meaning; editors nest them by year, some by month.
        folder = content / "news" / year / (when[5:7] if number % 3 == 0 else "")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"item-{number:05d}.md"
        path.write_text("\n".join(header) + "\n\n" + chinese_body(rng), encoding="utf-8")
        paths.append(path)
        if translated:
            en = [f"Title: Delta cooperation update {number}", header[1],
                  f"Fields: {', '.join(fields)}", "Lang: en", f"Slug: {slug}"]
            (folder / f"item-{number:05d}-en.md").write_text("\n".join(en) + "\n\n" + english_body(rng),
                                                             encoding="utf-8")
    return paths


def add_item(content: Path) -> Path:
    """What an editor does every day: publish news newer than every generated item, which tops
    the home page and its lists."""
    path = content / "news" / "added-by-benchmark.md"
    path.write_text("Title: 长三角三省一市签署跨省通办新协议\nDate: 2026-01-05 09:00\nFields: transport, credit\n"
                    "Provinces: 沪, 皖\nSlug: added-by-benchmark\n\n三省一市在合肥签署协议,推动更多政务服务事项跨省通办。\n",
                    encoding="utf-8")
    return path


def edit_item(path: Path) -> None:
    """What an editor does most: correct a sentence in the body of one published item."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + "\n\n(本文已根据有关部门通报更新。)\n", encoding="utf-8")


# ---------------------------------------------------------------- building

STOCK_SETTINGS = '''\
# Stock Pelican: default theme and settings, no plugins; the portal's URLs and time zone.
PATH = {content!r}
PLUGINS = []  # not even the namespace plugins installed in .venv (pelican-precompress)
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh"
ARTICLE_PATHS = ["news"]
PAGE_PATHS = ["pages"]
IGNORE_FILES = [".#*", "*.yaml", "*.yml"]
ARTICLE_URL = "news/{{date:%Y}}/{{slug}}/"
ARTICLE_SAVE_AS = "news/{{date:%Y}}/{{slug}}/index.html"
ARTICLE_LANG_URL = "{{lang}}/news/{{date:%Y}}/{{slug}}/"
ARTICLE_LANG_SAVE_AS = "{{lang}}/news/{{date:%Y}}/{{slug}}/index.html"
PAGE_URL = "{{slug}}/"
PAGE_SAVE_AS = "{{slug}}/index.html"
PAGE_LANG_URL = "{{lang}}/{{slug}}/"
PAGE_LANG_SAVE_AS = "{{lang}}/{{slug}}/index.html"
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = {cache!r}
'''


@dataclass
class Measurement:
    seconds: float
    cpu_seconds: float  # user + system, of the build and its worker processes
    peak_mib: float
    ok: bool
    log: str


def measure(command: list[str], cwd: Path, log: Path) -> Measurement:
    """Run one build in a fresh process; wall time and max RSS of it and its children."""
    with open(log, "wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        # wait4 reports the child's own usage merged with its waited-for children (a process pool).
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measurement(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode == 0,
                       log.read_text(encoding="utf-8", errors="replace"))


def side_commands(side: str, work: Path, content: Path, *overrides: str) -> tuple[list[str], Path, Path]:
    """The `pelican` command line of one side (with extra `KEY=json` settings), its output and cache."""
    output, cache = work / f"output-{side}", work / f"cache-{side}"
    if side == "portal":
        settings = ROOT / "pelicanconf.py"
        extra = ["-e", f"CACHE_PATH={json.dumps(str(cache))}", *overrides]
    else:
        settings = work / "stock_settings.py"
        settings.write_text(STOCK_SETTINGS.format(content=str(content), cache=str(cache)), encoding="utf-8")
        extra = []
    return [str(PELICAN), str(content), "-s", str(settings), "-o", str(output), *extra], output, cache


def run_side(side: str, work: Path, content: Path, edited: Path, profile: bool = False) -> dict:
    """The phases of one side; the edited item is restored, and the added one removed, afterwards."""
    command, output, cache = side_commands(side, work, content)
    shutil.rmtree(output, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    original = edited.read_bytes()
    results = {}
    added = None
    try:  # the other side, the preview and the next run build the corpus as generated
        for phase in PHASES:
            if phase == EDITED:
                edit_item(edited)
            if phase == ADDED:
                added = add_item(content)
            run = command + ["--delete-output-directory"] if phase == EMPTIED_OUTPUT else command
            if profile:
                stats = work / f"{side}-{PHASES.index(phase)}.prof"
                run = [sys.executable, "-m", "cProfile", "-o", str(stats), *run]
            log = work / f"{side}-{PHASES.index(phase)}.log"
            results[phase] = measure(run, ROOT, log)
            if not results[phase].ok:
                break
    finally:
        if added:
            added.unlink()
        edited.write_bytes(original)
    if results.get(ADDED) and results[ADDED].ok:
        results.update(measure_preview(side, work, content, edited))
    return results


def measure_preview(side: str, work: Path, content: Path, edited: Path) -> dict[str, Measurement]:
    """The preview's rebuild after one edit, measured by a fresh process that stays up (preview_rebuild)."""
    command = [sys.executable, __file__, "--preview-of", side, "--workdir", str(work), "--edited", str(edited)]
    run = measure(command, ROOT, work / f"{side}-preview.log")
    reported = [line for line in run.log.splitlines() if line.startswith(PREVIEW_RESULT)]
    if not (run.ok and reported):
        return {PREVIEW: Measurement(run.seconds, run.cpu_seconds, run.peak_mib, False, run.log)}
    rows = json.loads(reported[-1].removeprefix(PREVIEW_RESULT))
    return {phase: Measurement(figures["seconds"], figures["cpu_seconds"], run.peak_mib, True, run.log)
            for phase, figures in rows.items()}


def preview_rebuild(side: str, work: Path, edited: Path) -> None:
    """In this process: a first build from nothing, one edit, the rebuild; prints the rebuild's figures."""
    content = work / "content"
    output, cache = work / f"output-{side}-preview", work / f"cache-{side}-preview"
    shutil.rmtree(output, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    waiting = []  # (time, CPU time) when the portal's preview began to wait for a change
    if side == "portal":
        sys.path.insert(0, str(ROOT))
        import tasks

        # The preview tidies up after a build (a garbage collection) and then waits for the editor's
        # next save: the rebuild the editor waits for is timed from there.
        def wait_for_change(*watched):
            os.sync()  # see below
            waiting.append((time.perf_counter(), cpu_seconds()))

        builds = tasks.preview_builds(str(content), str(output), CACHE_PATH=str(cache),
                                      wait_for_change=wait_for_change)

        def build():
            return next(builds)  # None, or why the content was refused
    else:
        from pelican import Pelican
        from pelican.settings import read_settings

        side_commands(side, work, content)  # writes the stock settings file
        stock = Pelican(read_settings(str(work / "stock_settings.py"),
                                      override={"OUTPUT_PATH": str(output), "CACHE_PATH": str(cache)}))
        build = stock.run
    original = edited.read_bytes()
    try:
        if build():
            sys.exit("the first build failed")
        # The first build's files reach the disk while the editor writes (the kernel writes them
        # back within seconds): the rebuild is not made to wait for them.
        os.sync()
        edit_item(edited)
        started, cpu = time.perf_counter(), cpu_seconds()
        if build():
            sys.exit("the rebuild failed")
        if waiting:
            started, cpu = waiting[-1]
        rows = {PREVIEW: {"seconds": time.perf_counter() - started, "cpu_seconds": cpu_seconds() - cpu}}
        if side == "portal":
            from search.build import finish_index_beside_preview

            finish_index_beside_preview()  # a quick rebuild's index run, if it started one
            rows[PREVIEW_SEARCH] = {"seconds": time.perf_counter() - started, "cpu_seconds": cpu_seconds() - cpu}
    finally:
        edited.write_bytes(original)
    print(PREVIEW_RESULT, json.dumps(rows), flush=True)


def cpu_seconds() -> float:
    """User and system time of this process and of the processes it has waited for."""
    return sum(os.times()[:4])


def benchmark(articles: int, work: Path, sides=("portal", "stock"), profile: bool = False) -> dict:
    """Generate the corpus into `work` and measure both sides: {side: {phase: Measurement}}."""
    work.mkdir(parents=True, exist_ok=True)
    content = work / "content"
    items = generate_corpus(content, articles)
    edited = items[len(items) // 2]
    return {side: run_side(side, work, content, edited, profile and side == "portal") for side in sides}


# Issue 8's budget: the three editions and the search index against the simplified edition alone.
EDITION_BUILDS = {
    "zh-Hans alone": ("OTHER_EDITIONS=[]", "SEARCH_INDEX=false"),
    "zh-Hans + its index": ("OTHER_EDITIONS=[]",),
    "3 editions": ("SEARCH_INDEX=false",),
    "3 editions + index": (),
}


def editions_budget(articles: int, work: Path, rounds: int = 1) -> dict[str, Measurement]:
    """Cold full builds (no cache) of the same corpus, each in a fresh process; with several
    rounds (each builds every row in turn) the fastest build of each row, so that a slow
    spell of a shared machine weighs on no row more than on the others."""
    work.mkdir(parents=True, exist_ok=True)
    content = work / "content"
    generate_corpus(content, articles)
    results: dict[str, Measurement] = {}
    for _ in range(rounds):
        for number, (name, overrides) in enumerate(EDITION_BUILDS.items()):
            command, output, cache = side_commands("portal", work, content, "CACHE_CONTENT=false", *overrides)
            shutil.rmtree(output, ignore_errors=True)
            run = measure(command, ROOT, work / f"editions-{number}.log")
            if name not in results or (run.ok and run.seconds < results[name].seconds):
                results[name] = run
    return results


def format_budget(results: dict[str, Measurement], articles: int) -> str:
    alone = results["zh-Hans alone"]
    lines = [f"N = {articles} news items, cold full builds (fastest of the rounds), {os.cpu_count()} CPUs",
             f"{'':22} {'wall s':>8} {'CPU s':>8} {'MiB':>6} {'x alone (wall)':>15} {'x alone (CPU)':>14}"]
    for name, run in results.items():
        if not run.ok:
            lines.append(f"{name:22} FAILED")
            continue
        lines.append(f"{name:22} {run.seconds:8.2f} {run.cpu_seconds:8.2f} {run.peak_mib:6.0f} "
                     f"{run.seconds / alone.seconds:15.2f} {run.cpu_seconds / alone.cpu_seconds:14.2f}")
    return "\n".join(lines)


def format_table(results: dict, articles: int) -> str:
    portal, stock = results.get("portal", {}), results.get("stock", {})
    lines = [f"N = {articles} news items, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
             f"{'':26} {'portal s':>9} {'ms/item':>8} {'CPU s':>7} {'MiB':>6}   "
             f"{'stock s':>9} {'ms/item':>8} {'CPU s':>7} {'MiB':>6}   {'portal/stock':>12}"]

    def cells(run: Measurement | None) -> str:
        if run is None or not run.ok:
            return f"{'—' if run is None else 'FAILED':>9} {'':>8} {'':>7} {'':>6}"
        return f"{run.seconds:9.2f} {1000 * run.seconds / articles:8.2f} {run.cpu_seconds:7.2f} {run.peak_mib:6.0f}"

    for phase in (*PHASES, PREVIEW, PREVIEW_SEARCH):
        ours, theirs = portal.get(phase), stock.get(phase)
        ratio = (f"{ours.seconds / theirs.seconds:12.2f}"
                 if ours and theirs and ours.ok and theirs.ok else f"{'—':>12}")
        lines.append(f"{phase:26} {cells(ours)}   {cells(theirs)}   {ratio}")
    return "\n".join(lines)


def failures(results: dict) -> list[str]:
    return [f"--- {side}: {phase} failed:\n{run.log[-3000:]}"
            for side, phases in results.items() for phase, run in phases.items() if not run.ok]


def print_profile(work: Path, lines: int = 30) -> None:
    import pstats

    for stats in sorted(work.glob("portal-*.prof")):
        print(f"\n=== profile {stats.name} ({PHASES[int(stats.stem[-1])]}) ===")
        pstats.Stats(str(stats)).sort_stats("cumulative").print_stats(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000, help="synthetic news items (default 1000)")
    parser.add_argument("--workdir", help="keep corpus and outputs here (default: a temporary folder)")
    parser.add_argument("--only", choices=("portal", "stock"), help="build one side only")
    parser.add_argument("--profile", action="store_true", help="run the portal's builds under cProfile")
    parser.add_argument("--editions", action="store_true",
                        help="instead: the three editions and the index against zh-Hans alone (issue 8)")
    parser.add_argument("--rounds", type=int, default=1, help="with --editions: build every row this many times")
    # The preview's process, started by measure_preview.
    parser.add_argument("--preview-of", choices=("portal", "stock"), help=argparse.SUPPRESS)
    parser.add_argument("--edited", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.preview_of:
        preview_rebuild(options.preview_of, Path(options.workdir), Path(options.edited))
        return 0
    work = Path(options.workdir) if options.workdir else Path(tempfile.mkdtemp(prefix="portal-bench-"))
    sides = (options.only,) if options.only else ("portal", "stock")
    if options.editions:
        try:
            budget = editions_budget(options.articles, work, options.rounds)
            print(format_budget(budget, options.articles))
        finally:
            if not options.workdir:
                shutil.rmtree(work, ignore_errors=True)
        return 0 if all(run.ok for run in budget.values()) else 1
    try:
        results = benchmark(options.articles, work, sides, options.profile)
        print(format_table(results, options.articles))
        for failure in failures(results):
            print(failure, file=sys.stderr)
        if options.profile:
            print_profile(work)
    finally:
        if not options.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failures(results) else 0


if __name__ == "__main__":
    sys.exit(main())
