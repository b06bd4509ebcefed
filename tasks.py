"""Editor and developer tasks: `python3 tasks.py TASK` (or `invoke TASK` inside .venv).

Run through python3 on a fresh machine, this file first creates `.venv/` with
the pinned dependencies of pyproject.toml, then hands over to invoke.
"""

import contextlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_BIN = VENV / "bin"


def bootstrap() -> None:
    """Create .venv with the pinned dependencies (again when pyproject.toml changes)."""
    import hashlib
    import subprocess
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    digest = hashlib.sha256("\n".join(wanted).encode()).hexdigest()
    stamp = VENV / ".installed"
    if not (stamp.exists() and stamp.read_text() == digest):
        print("Setting up .venv/ with the pinned dependencies …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(VENV_BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run(pip + wanted, check=True)
        stamp.write_text(digest)
    os.execv(str(VENV_BIN / "invoke"), ["invoke", "--search-root", str(ROOT), *sys.argv[1:]])


if __name__ == "__main__":
    bootstrap()

from invoke import task  # noqa: E402  (only importable once .venv exists)

sys.path.insert(0, str(ROOT / "plugins"))
PELICAN = str(VENV_BIN / "pelican") if (VENV_BIN / "pelican").exists() else "pelican"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
# The project's own folders, wherever a task is started from.
CONTENT, OUTPUT = str(ROOT / "content"), str(ROOT / "output")
HOST, PORT = "127.0.0.1", 8000
# A folder named on the command line is found from where it was typed, as the shell completes it.
CONTENT_HELP = "内容目录 (content folder; default: the project's content/; a relative path starts from the folder you are in)"
OUTPUT_HELP = "构建目录 (build folder; default: the project's output/; a relative path starts from the folder you are in)"


def content_folder(given: str) -> str:
    """The content a task reads: the project's content/, or the folder given with --content."""
    folder = os.path.abspath(given) if given else CONTENT
    if not os.path.isdir(folder):
        sys.exit(f"内容目录 {given or folder} 不存在 — 请检查 --content 后面的路径 (content folder not found: {folder})")
    return folder


def output_folder(given: str) -> str:
    """Where a task builds: the project's output/, or the folder given with --output."""
    return os.path.abspath(given) if given else OUTPUT


def pelican(c, content, settings="pelicanconf.py", output=OUTPUT, extra=""):
    import shlex

    c.run(f"{PELICAN} {shlex.quote(content)} -s {shlex.quote(str(ROOT / settings))} -o {shlex.quote(output)} "
          f"--delete-output-directory {extra}", pty=sys.stdout.isatty())


@task(help={"content": CONTENT_HELP})
def check(c, content=""):
    """Check every content file without building; list every problem at once."""
    from strict_content import check_site
    from portal_model import format_report

    problems = check_site(str(ROOT / "pelicanconf.py"), content_folder(content))
    if problems:
        sys.exit(format_report(problems))
    print("内容检查通过，没有发现问题。(No problems found.)")


@task(help={"content": CONTENT_HELP})
def build(c, content=""):
    """Build the site into output/ with the development settings."""
    pelican(c, content_folder(content))


def stop_on_terminate() -> None:
    """A SIGTERM (a service manager, `kill`) stops the task as Ctrl-C does, its server and builds with
    it. Python's default ends this process alone, and the server went on holding the port."""
    import signal

    def interrupted(signal_number, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)


@contextlib.contextmanager
def serving(port, output=OUTPUT):
    """The preview's server of the output (preview_server), in a process of its own, for as long as
    the block runs: it stops with the task, however the task ends (Ctrl-C, SIGTERM, a failure)."""
    import subprocess
    import time

    stop_on_terminate()
    server = subprocess.Popen([PYTHON, "-c", "import sys, tasks; tasks.preview_server(int(sys.argv[1]), sys.argv[2])",
                               str(port), output], cwd=ROOT)
    try:
        time.sleep(1)
        if server.poll() is not None:
            sys.exit(f"端口 {port} 无法使用 (could not serve on port {port}): try --port 8001")
        yield server
    finally:
        server.terminate()


def preview_server(port: int, output: str) -> None:
    """`pelican --listen`, but a missing address is answered with the site's 404 page (status 404),
    as deploy/nginx.conf does: Pelican's handler answers it with nothing at all (its do_GET returns
    without a reply when no file matches), which the browser shows as an empty response."""
    import logging
    from http.server import SimpleHTTPRequestHandler

    from pelican.log import init as init_logging
    from pelican.server import ComplexHTTPRequestHandler, RootedHTTPServer

    class PreviewHandler(ComplexHTTPRequestHandler):
        def do_GET(self):
            found = self.get_path_that_exists(self.path.split("?", 1)[0])
            if not found:
                return self.send_not_found()
            self.path = found
            SimpleHTTPRequestHandler.do_GET(self)  # not Pelican's: it would look the file up again

        def send_not_found(self):
            # The nearest 404.html up the address: /en/… the English edition's, /zh-hant/… the Traditional one's.
            folders = self.path.split("?", 1)[0].split("/")[:-1]
            pages = (Path(self.translate_path("/".join([*folders[:depth], "404.html"])))
                     for depth in range(len(folders), 0, -1))
            page = next((page for page in pages if page.is_file()), None)
            if page is None:
                return self.send_error(404)
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    init_logging(level=logging.INFO)  # as `pelican --listen`: every request in the terminal
    RootedHTTPServer.allow_reuse_address = True
    try:
        server = RootedHTTPServer(output, (HOST, port), PreviewHandler)
    except OSError:
        sys.exit(1)  # serving() tells the editor to try another port
    print(f"Serving on http://{HOST}:{port}/ — Ctrl-C to stop", flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C reaches the server too: the task says nothing more
        server.serve_forever()


def served_at(port) -> str:
    """FEED_DOMAIN of a site served on `port`: pelicanconf.py's is the default port's, and every
    absolute address (feeds, canonical and alternate links, OPML, JSON Feed) is built from it."""
    return f"http://localhost:{port}"


@task(help={"content": CONTENT_HELP, "output": OUTPUT_HELP})
def serve(c, port=PORT, content="", output=""):
    """Build, then serve the site on http://127.0.0.1:8000/."""
    import json
    import shlex

    content, output = content_folder(content), output_folder(output)
    # The build task's build, but for the port served.
    pelican(c, content, output=output, extra=f"-e {shlex.quote('FEED_DOMAIN=' + json.dumps(served_at(port)))}")
    # Not invoke's c.run: without a terminal, it passes Ctrl-C on as a character the server never reads.
    with serving(port, output) as server:
        server.wait()


@task(help={"content": CONTENT_HELP, "output": OUTPUT_HELP})
def livereload(c, content="", port=PORT, output=""):
    """Build and serve, then build again on every saved change: for previewing while writing."""
    content, output = content_folder(content), output_folder(output)
    # A process of its own: in this one, Pelican's server would turn on the log of every page
    # written, and the builds fork workers while it handles requests.
    with serving(port, output):
        shown = []
        for refused in preview_builds(content, output, FEED_DOMAIN=served_at(port), **DRAFTS_IN_PREVIEW):
            if refused:
                print(refused, file=sys.stderr)
            elif (drafts := drafts_in(output)) != shown:
                shown = drafts
                if drafts:
                    print("草稿只在预览中显示 (drafts, shown in the preview only):",
                          *(f"  {served_at(port)}/{path}" for path in drafts), sep="\n")


# `invoke new` writes a draft: the preview shows it at drafts/<slug>/ (the public build writes no draft).
DRAFTS_IN_PREVIEW = {"DRAFT_URL": "drafts/{slug}/", "DRAFT_SAVE_AS": "drafts/{slug}/index.html",
                     "DRAFT_PAGE_URL": "drafts/pages/{slug}/", "DRAFT_PAGE_SAVE_AS": "drafts/pages/{slug}/index.html"}


def drafts_in(output) -> list[str]:
    """The site paths of the drafts the preview wrote, of every edition (drafts/ and <edition>/drafts/:
    not a walk of the whole output on every save)."""
    found = [*Path(output).glob("drafts/**/index.html"), *Path(output).glob("*/drafts/**/index.html")]
    return sorted(path.parent.relative_to(output).as_posix() + "/" for path in found)


def preview_builds(content=CONTENT, output=OUTPUT, settings_file=str(ROOT / "pelicanconf.py"),
                   wait_for_change=None, **overrides):
    """Build, then build again after every saved change, for ever: one build per step, each
    yielding why it failed (the content's problems, for the editor), or None.

    Each build is a fresh Pelican in this one process. Pelican's --autoreload reruns one instance,
    and `initialized`, where the plugins check the content and read the timelines' and the action
    plan's YAML, comes once per instance: its rebuilds kept the first build's data (news listed
    twice on a task's page, a corrected report not shown), and refused content ended it.
    The first build starts from an empty output, as `build` does; the next ones only replace what changed.
    Items whose file, check and settings are unchanged are copied from the previous build
    (REMEMBER_ITEMS, plugins/item_memory). A save that only changes one news item's words patches
    the last build instead (QUICK_REBUILD, plugins/quick_rebuild): a few seconds at any size.
    """
    from pelican import Pelican
    from pelican.log import LimitFilter
    from pelican.settings import read_settings
    from pelican.utils import wait_for_changes

    from portal_model import ContentProblems
    from portal_model.memory import free_finished_builds
    from quick_rebuild import QUICK_REBUILD, changed_files, file_stamps, forget_kept_build, rebuild, take_kept_build

    paths = {"PATH": os.path.abspath(content), "OUTPUT_PATH": os.path.abspath(output)}
    start_afresh = True
    watched = paths  # and the settings file: a mistake there is corrected there
    kept, stamps = None, {}  # the last build, for a quick rebuild (plugins/quick_rebuild); its files' stamps
    while True:
        # Pelican logs each note and warning once per process (pelican.log.LimitFilter): each build
        # must say what it has to say, the same words as the last one included.
        LimitFilter._raised_messages.clear()
        LimitFilter._group_count.clear()
        try:
            # What the save changed, when there is a build to patch (watched then names the theme).
            now = file_stamps(watched["PATH"], watched["THEME"], settings_file) if kept is not None else None
            edited = changed_files(stamps, now) if now is not None else []
            if len(edited) == 1 and rebuild(kept, edited[0]):
                stamps = now
            else:
                if kept is not None:  # freed before the new build makes its own
                    kept = None
                    free_finished_builds()
                settings = read_settings(settings_file, override={
                    **paths, "DELETE_OUTPUT_DIRECTORY": start_afresh, "REMEMBER_ITEMS": True,
                    QUICK_REBUILD: paths["OUTPUT_PATH"], **overrides})
                # What wait_for_changes reads, and no more: the build's settings hold its model.
                # Pelican's readers skip the YAML data (IGNORE_FILES), but a change to it must rebuild.
                # A static folder that is not there (the sample has no content/images) made Pelican warn
                # on every rebuild that it cannot watch it; one made later is watched within PATH.
                watched = {"PATH": settings["PATH"], "THEME": settings["THEME"],
                           "STATIC_PATHS": [path for path in settings["STATIC_PATHS"]
                                            if os.path.exists(os.path.join(settings["PATH"], path))],
                           "IGNORE_FILES": [pattern for pattern in settings["IGNORE_FILES"]
                                            if not pattern.endswith((".yaml", ".yml"))]}
                # Before anything is read: a file saved during the build counts as edited after it.
                stamps = now if now is not None else file_stamps(watched["PATH"], watched["THEME"], settings_file)
                Pelican(settings).run()
                kept = take_kept_build(paths["OUTPUT_PATH"])
                start_afresh = False
            yield None
        except ContentProblems as refused:
            kept = None
            yield refused.code  # every problem, with its file and what to change
        except Exception as failure:  # noqa: BLE001 — the preview outlives a mistake being corrected
            kept = None
            yield f"{type(failure).__name__}: {failure}"
        forget_kept_build(paths["OUTPUT_PATH"])  # what a build that failed kept half-way
        # A build's items, generators and settings refer to one another: only the cycle collector
        # frees them, and it may not run before the next build is well under way. Freed now, while
        # the editor writes, not beside the next build.
        settings = None
        free_finished_builds()
        (wait_for_change or wait_for_changes)(settings_file, watched)


@task
def clean(c):
    """Remove the built site and caches."""
    import shutil

    for folder in (OUTPUT, "cache"):
        shutil.rmtree(ROOT / folder, ignore_errors=True)


@task(help={"target": "rsync 目标 (destination): host:/path/ or a folder; default PUBLISH_TARGET in publishconf.py",
            "content": CONTENT_HELP, "output": OUTPUT_HELP})
def publish(c, target="", content="", output=""):
    """Check the content, build the production site (publishconf.py), rsync it to the web server."""
    import shlex

    from pelican.settings import read_settings

    content, output = content_folder(content), output_folder(output)
    check(c, content)  # a bad post stops here, before anything is built or sent
    pelican(c, content, settings="publishconf.py", output=output)
    target = target or read_settings(str(ROOT / "publishconf.py"))["PUBLISH_TARGET"]
    # --checksum leaves unchanged files alone (the server keeps their dates, so their ETags);
    # --delay-updates and --delete-after swap the site in at the end, never half old, half new.
    c.run(f"rsync --recursive --links --perms --chmod=D755,F644 --checksum --delay-updates --delete-after "
          f"{shlex.quote(output)}/ {shlex.quote(target)}")
    print(f"已发布到 {target}(published)")


@task(help={"title": "标题 (title)", "fields": "领域, e.g. transport,innovation",
            "provinces": "省市, e.g. 沪,苏", "date": "YYYY-MM-DD HH:MM (default: now)", "content": CONTENT_HELP})
def new(c, title, fields, provinces="", date="", content=""):
    """Create a correctly headed news item in content/news/<year>/."""
    from portal_model import pinyin_slug, shown_path

    content = content_folder(content)
    when = new_item_values(title, fields, provinces, date)  # a mistake stops here: nothing is written
    folder = Path(content) / "news" / f"{when:%Y}"
    path = folder / f"{pinyin_slug(title)}.md"
    if path.exists():
        sys.exit(f"{shown_path(path)} 已存在 — 要修改这篇新闻，请直接编辑这个文件；要写另一篇，请换一个标题"
                 f" (file exists: edit it, or choose another title)")
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"Title: {title}", f"Date: {when:%Y-%m-%d %H:%M}", f"Fields: {fields}"]
    if provinces:
        lines.append(f"Provinces: {provinces}")
    lines += ["Summary: ", "Source: ", "Status: draft", "", "正文写在这里。", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    print(f"已创建 {shown_path(path)}(草稿：删去 Status: draft 即可发布)")
    check(c, content)


def new_item_values(title, fields, provinces, date):
    """The new item's date, once its options are known good; otherwise every wrong option is listed
    and the task stops. The check after writing would find the same mistakes, but only once the
    file exists, and the corrected command was then refused as a duplicate."""
    from datetime import datetime

    from pelican.settings import read_settings

    from portal_model import SHANGHAI, build_registries, parse_datetime

    problems = []
    if not title.strip():
        problems.append("--title: 标题不能为空 (missing title)")
    when = datetime.now(SHANGHAI).replace(second=0, microsecond=0)
    try:
        when = parse_datetime(date) if date else when
    except ValueError as error:
        problems.append(f"--date: {error} (bad date)")
    # The registries every build checks against (pelicanconf.py, read by plugins/portal_model).
    registries = build_registries(read_settings(str(ROOT / "pelicanconf.py")))
    for option, value, registry in zip(("fields", "provinces"), (fields, provinces), registries):
        known, unknown = registry.resolve(value)
        problems += [f"--{option}: {registry.unknown(name)}" for name in unknown]
        if option == "fields" and not known and not unknown:
            problems.append(f"--fields: 至少写一个领域 — 可用：{registry.choices()} (missing field)")
    if problems:
        sys.exit("\n".join([*problems, "没有创建任何文件。(Nothing was written.)"]))
    return when


@task(help={"month": "月报月份 YYYY-MM, e.g. 2019-01", "content": CONTENT_HELP})
def report(c, month, content=""):
    """Start an action-plan monthly report, pre-filled from the latest one; never overwrites."""
    from action_plan.monthly import ReportRefused, write_report
    from pelican.settings import read_settings

    settings = read_settings(str(ROOT / "pelicanconf.py"), override={"PATH": content_folder(content)})
    try:
        path = write_report(settings, month)  # bad content stops here with the full problem report
    except ReportRefused as refusal:
        sys.exit(str(refusal))
    print(f"已创建 {os.path.relpath(path)} — 请逐项核对状态和说明 (report written)")


@task
def translations(c):
    """Re-extract the interface text of templates and plugins; list what still needs English."""
    from editions.catalogue import update

    missing = update(ROOT, ROOT / "theme")
    print("\n".join(f"未翻译 (untranslated): {text}" for text in missing) or "All interface text is translated.")
    if missing:
        sys.exit("请在 theme/translations/en/LC_MESSAGES/messages.po 中补上英文 (add the English)")


@task
def test(c, k="", browser=True):
    """Run the whole test suite (installs Chromium and Java through apt when missing)."""
    if browser:
        ensure_system_packages(c)
    selection = f"-k '{k}'" if k else ""
    with c.cd(str(ROOT)):  # pytest finds its settings and tests from the folder it starts in
        c.run(f"{VENV_BIN / 'python'} -m pytest -n 2 {selection}", pty=sys.stdout.isatty())


@task(help={"articles": "synthetic news items (default 1000)", "only": "portal or stock",
            "profile": "run the portal's builds under cProfile", "workdir": "keep corpus and outputs here",
            "editions": "instead: three editions and the index against zh-Hans alone (issue 8)",
            "rounds": "with --editions: build every row this many times, keep the fastest"})
def bench(c, articles=1000, only="", profile=False, workdir="", editions=False, rounds=1):
    """Time the portal's build against stock Pelican on N synthetic news items (--editions: issue 8's budget)."""
    options = f"--articles {articles}" + (f" --only {only}" if only else "") + (" --profile" if profile else "")
    options += f" --editions --rounds {rounds}" if editions else ""
    options += f" --workdir {workdir}" if workdir else ""
    c.run(f"{VENV_BIN / 'python'} {ROOT / 'tests' / 'benchmark.py'} {options}", pty=sys.stdout.isatty())


SYSTEM_PACKAGES = {"chromium": "/usr/bin/chromium", "default-jre-headless": "/usr/bin/java",
                   "nginx-light": "/usr/sbin/nginx", "rsync": "/usr/bin/rsync",
                   "libnginx-mod-http-brotli-static": "/usr/lib/nginx/modules/ngx_http_brotli_static_module.so"}


def ensure_system_packages(c):
    missing = [name for name, binary in SYSTEM_PACKAGES.items() if not Path(binary).exists()]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"Browser and validator tests need: sudo apt-get install {' '.join(missing)}")
    c.run("apt-get update -qq")
    c.run(f"DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {' '.join(missing)}")
