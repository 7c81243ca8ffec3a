"""The course website: the curriculum and the released labs as a static, offline MkDocs site.

``build_site`` stages a docs folder in a temporary directory (a home page and a syllabus page
generated from ``curriculum/``, copies of the skills map and the authoring guide, and the
*released* notebooks of ``labs/``), then runs MkDocs (Material theme, mkdocs-jupyter) in strict
mode, so any warning fails the build. Two rules keep the site safe to publish:

- it is built from ``labs/`` only, never from ``solutions/``; a cell that carries a solution or
  hidden-test marker is dropped, and hint boxes (which can come close to an answer) become a
  one-line pointer to the notebook and ``mle hint``;
- nothing is fetched when a page is viewed: system fonts, no CDN scripts (MathJax and mermaid
  loaders that nbconvert adds are removed), so the site works from a folder or GitHub Pages.
"""

from __future__ import annotations

import logging
import posixpath
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
import yaml

from .course import Course, Lab
from .errors import SetupError, UsageError
from .notebooks import HINT_BOX, mle_meta, read_notebook
from .settings import Settings

log = logging.getLogger("mkdocs.plugins.mle_site")  # under "mkdocs": counted by strict mode

MARKER = re.compile(r"(BEGIN|END) (SOLUTION|HIDDEN TESTS)")
LINK = re.compile(r'(?P<bang>!?)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)(?:\s+"[^"]*")?\)')
CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.DOTALL)
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.DOTALL | re.IGNORECASE)
REMOTE_SRC = re.compile(r"""\bsrc\s*=\s*["']\s*(?:(?:https?:)?//[^"']*)?["']""", re.IGNORECASE)
REMOTE_IMPORT = re.compile(r"""\bimport\s*\(?\s*["'](?:https?:)?//""", re.IGNORECASE)
REMOTE_LINK = re.compile(r"""<link\b[^>]*\bhref\s*=\s*["'](?:https?:)?//[^>]*>""", re.IGNORECASE)
GUIDES = {"skills-map.md": "skills-map.md", "authoring.md": "AUTHORING.md"}  # page: curriculum/
MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)

INTRO = """\
Hands-on labs that take you from "I can write Python" to "I can be trusted with a model in
production". You work in Jupyter notebooks, check yourself with `mle check` as often as you like
(it grades your notebook exactly as your instructor will), and finish with three portfolio
projects you publish on GitHub.

This website is a read-only view of the course: the labs as learners receive them, without
hints or answers, and {guides}. To do a lab, work in your own copy:

```bash
make install && source .venv/bin/activate
mle list          # the labs, the skills each practises, your progress
mle start 1       # your own copy in work/lab01-python-sql/
make lab          # JupyterLab on your work/ folder
mle check 1       # grade your copy exactly as the instructor will
mle hint 1 ex03   # a nudge; --level 2 and 3 say more
```
"""


def build_site(*, out: Path | None = None, settings: Settings | None = None) -> Path:
    """Build the course website into ``out`` (default ``ROOT/build/site``) and return it.

    Strict mode: a broken link, a page missing from the navigation or any other MkDocs warning
    raises ``SetupError``. The site is built in a temporary folder and replaces ``out`` only
    when the build succeeds, so a failed build never leaves a half-built site to publish.
    """
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    course = Course(settings)
    out = (out or course.root / "build" / "site").resolve()
    _check_out(out, course.root)
    with tempfile.TemporaryDirectory(prefix="mle-site-") as scratch:
        docs, built = Path(scratch) / "docs", Path(scratch) / "site"
        nav = stage_docs(course, docs)
        config_file = Path(scratch) / "mkdocs.yml"
        config_file.write_text(yaml.safe_dump(site_config(nav), sort_keys=False,
                                              allow_unicode=True), encoding="utf-8")
        try:
            config = load_config(str(config_file), strict=True, site_dir=str(built))
            config.plugins["mle-site"] = OfflinePages()
            build(config)
        except MkDocsException as error:
            raise SetupError(f"the course site did not build: {error} (the warnings above say "
                             "where); fix them and run `make site` again") from None
        shutil.rmtree(out, ignore_errors=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(built, out)
    return out


def _check_out(out: Path, root: Path) -> None:
    """``out`` is replaced by the new site: never let it be the course or someone's files."""
    if out == root.resolve() or out in root.resolve().parents:
        raise UsageError(f"{out} holds the course itself; build the site into a new folder, "
                         "e.g. `make site` (build/site/)")
    if out.exists() and not (out.is_dir() and (not any(out.iterdir())
                                               or (out / "index.html").is_file())):
        raise UsageError(f"{out} is not empty and is not a built site (no index.html); "
                         "choose an empty or new folder, e.g. `make site` (build/site/)")


def site_config(nav: list) -> dict:
    """The MkDocs configuration: Material with system fonts, notebooks shown, never run."""
    return {
        "site_name": "ML Engineer Labs",
        "site_description": "Hands-on labs that turn Python programmers into job-ready ML "
                            "engineers.",
        "docs_dir": "docs",
        "use_directory_urls": False,  # links work from a plain folder (file://) too
        "theme": {"name": "material", "font": False,
                  "features": ["navigation.sections", "navigation.footer", "content.code.copy"]},
        "markdown_extensions": ["admonition", {"toc": {"permalink": True}},
                                {"pymdownx.highlight": {"use_pygments": True}},
                                "pymdownx.superfences"],
        "plugins": ["search", {"mkdocs-jupyter": {
            "include": ["*.ipynb"], "execute": False, "include_source": False,
            "ignore_h1_titles": True,  # the navigation says "Lab N — title", as the syllabus
            "include_requirejs": False, "custom_mathjax_url": "", "cache": False,
            "toc_depth": 3}}],
        "validation": {"omitted_files": "warn", "absolute_links": "warn",
                       "unrecognized_links": "warn", "anchors": "warn"},
        "nav": nav,
    }


def stage_docs(course: Course, docs: Path) -> list:
    """Write the site's pages into ``docs``; return the navigation."""
    pages = {lab.id: _stage_lab(course, lab, docs) for lab in course.labs}
    curriculum = course.root / "curriculum"
    guides = {name: curriculum / source for name, source in GUIDES.items()
              if (curriculum / source).is_file()}
    targets = {course.root / "README.md": "index.md", curriculum / "syllabus.yaml": "syllabus.md"}
    targets |= {source: name for name, source in guides.items()}
    for lab in course.labs:
        targets |= {course.root / page: page for page in pages[lab.id]}
        if pages[lab.id]:
            targets[course.release_dir(lab)] = pages[lab.id][0]
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "index.md").write_text(home_page(course, pages, guides), encoding="utf-8")
    (docs / "syllabus.md").write_text(syllabus_page(course, pages, guides), encoding="utf-8")
    for name, source in guides.items():
        text = rewrite_links(source.read_text(encoding="utf-8"), source, name, targets)
        if name == "skills-map.md":
            text = link_lab_numbers(text, {lab.number: pages[lab.id] for lab in course.labs})
        (docs / name).write_text(text, encoding="utf-8")
    labs_nav = [{_lab_title(lab): (pages[lab.id][0] if len(pages[lab.id]) == 1 else
                                   [{Path(p).name: p} for p in pages[lab.id]])}
                for lab in course.labs if pages[lab.id]]
    nav = [{"Home": "index.md"}, {"Syllabus": "syllabus.md"}]
    nav += [{"Skills map": "skills-map.md"}] if "skills-map.md" in guides else []
    nav += [{"Labs": labs_nav}] if labs_nav else []
    return nav + ([{"Writing a lab": "authoring.md"}] if "authoring.md" in guides else [])


def _stage_lab(course: Course, lab: Lab, docs: Path) -> list[str]:
    """Stage a lab's released notebooks (never its solutions); their docs-relative paths."""
    staged = []
    for name in lab.notebooks:
        released = course.release_dir(lab) / name
        if not released.is_file():
            continue
        page = f"labs/{lab.id}/{name}"
        (docs / page).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(site_notebook(read_notebook(released), lab), docs / page)
        staged.append(page)
    return staged


def _lab_title(lab: Lab) -> str:
    return f"Lab {lab.number} — {lab.title}"


def site_notebook(notebook: nbformat.NotebookNode, lab: Lab) -> nbformat.NotebookNode:
    """A released notebook as the site shows it: no outputs, no hints, no marked cells."""
    cells = []
    for cell in notebook.cells:
        if MARKER.search(cell.source):
            continue  # a solution or hidden tests that should never have been released
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        elif cell.cell_type == "markdown":
            cell.source = _without_hints(cell, lab)
        cells.append(cell)
    banner = nbformat.v4.new_markdown_cell(
        f"> **A read-only view** of Lab {lab.number} as learners receive it, without hints. "
        f"To do it: `mle start {lab.number}`, then `make lab`; to grade your answers: "
        f"`mle check {lab.number}`.")
    notebook.cells = cells[:1] + [banner] + cells[1:]
    return notebook


def _without_hints(cell: nbformat.NotebookNode, lab: Lab) -> str:
    exercise = mle_meta(cell).get("hints")
    note = (f"> 💡 Hints for this exercise are in the notebook itself (`mle start {lab.number}`) "
            f"and in the terminal: `mle hint {lab.number} {exercise or '<exercise>'}`.")
    if exercise:
        return note
    source = HINT_BOX.sub(f"\n\n{note}\n\n", cell.source)
    return note if "<details" in source.lower() else source  # an unclosed box: drop it all


def home_page(course: Course, pages: dict[str, list[str]], guides: dict[str, Path]) -> str:
    names = course.skill_names()
    links = {"syllabus.md": "the [syllabus](syllabus.md)",
             "skills-map.md": "the [skills map](skills-map.md)",
             "authoring.md": "the [guide for lab authors](authoring.md)"}
    shown = [links[name] for name in links if name == "syllabus.md" or name in guides]
    guide_text = ", ".join(shown[:-1]) + (" and " if len(shown) > 1 else "") + shown[-1]
    lines = ["# ML Engineer Labs", "", INTRO.format(guides=guide_text), "## The labs", ""]
    for lab in course.labs:
        staged = pages[lab.id]
        title = f"[{lab.title}]({staged[0]})" if staged else f"{lab.title} (coming soon)"
        lines += [f"### Lab {lab.number} — {title}", "", lab.summary, "",
                  "**Skills:** " + ", ".join(names.get(s, s) for s in lab.skills), ""]
        if len(staged) > 1:
            lines += ["**Notebooks:** " + ", ".join(f"[{Path(p).name}]({p})" for p in staged), ""]
    return "\n".join(lines)


def syllabus_page(course: Course, pages: dict[str, list[str]], guides: dict[str, Path]) -> str:
    names = course.skill_names()
    more = (" The [skills map](skills-map.md) shows where each one comes up."
            if "skills-map.md" in guides else "")
    lines = ["# Syllabus", "", f"The labs, in order, and the skills they practise.{more}", "",
             "| # | Lab | What you do | Skills | Notebooks |", "|---|---|---|---|---|"]
    for lab in course.labs:
        staged = pages[lab.id]
        notebooks = ", ".join(f"[{Path(p).name}]({p})" for p in staged) or "coming soon"
        skills = ", ".join(names.get(s, s) for s in lab.skills)
        lines.append(f"| {lab.number} | {_cell(lab.title)} | {_cell(lab.summary)} | "
                     f"{_cell(skills)} | {notebooks} |")
    lines += ["", "## The skills", "", "| Skill | Id | Level | Why it matters |",
              "|---|---|---|---|"]
    for skill in course.skills:
        lines.append(f"| {_cell(skill.name)} | `{skill.id}` | {skill.level} | {_cell(skill.why)} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def link_lab_numbers(markdown: str, pages: dict[int, list[str]]) -> str:
    """Turn the lab numbers of a table's "Labs" column into links to the lab pages."""
    lines, column = markdown.splitlines(keepends=True), None
    for i, line in enumerate(lines):
        if not line.lstrip().startswith("|"):
            column = None
            continue
        cells = line.rstrip("\n").split("|")
        if column is None:
            names = [c.strip().lower() for c in cells]
            column = names.index("labs") if "labs" in names else -1
        elif column > 0 and column < len(cells) and not set(cells[column].strip()) <= set("-:"):
            cells[column] = re.sub(r"(^|,)(\s*)(\d+)\b(?![^(]*\))",
                                   lambda m: m[1] + m[2] + _lab_link(m[3], pages),
                                   cells[column])
            lines[i] = "|".join(cells) + ("\n" if line.endswith("\n") else "")
    return "".join(lines)


def _lab_link(number: str, pages: dict[int, list[str]]) -> str:
    staged = pages.get(int(number))
    return f"[{number}]({staged[0]})" if staged else number


def rewrite_links(markdown: str, source: Path, page: str, targets: dict[Path, str]) -> str:
    """Point relative links of a staged copy at site pages, or keep only their text.

    ``targets`` maps repo files to the site page that shows them; a link to any other repo
    file (there is no such page on the site) becomes its text, so strict mode passes and the
    sentence still reads the same. Code is left alone.
    """
    def replace(match: re.Match) -> str:
        target = match["target"]
        if target.startswith("#") or EXTERNAL.match(target):
            return match[0]
        path, _, fragment = target.partition("#")
        resolved = (source.parent / path).resolve()
        if resolved in targets:
            new = posixpath.relpath(targets[resolved], posixpath.dirname(page) or ".")
            return f"{match['bang']}[{match['text']}]({new}{'#' + fragment if fragment else ''})"
        log.info("site: %s links to %s, which is not on the site; keeping its text", page, path)
        return match["text"] or f"`{path}`"

    parts = CODE.split(markdown)
    return "".join(part if i % 2 else LINK.sub(replace, part) for i, part in enumerate(parts))


class OfflinePages:
    """A MkDocs plugin: remove scripts and stylesheets a page would fetch from the internet.

    nbconvert's templates add a MathJax ``<script src>`` (empty here) and a mermaid loader that
    imports from a CDN; neither is needed for notebooks without outputs, and both break the
    promise that the site works offline.
    """

    def on_post_page(self, output: str, *, page, config) -> str:
        output = MATHJAX.sub("", output)
        output = SCRIPT.sub(lambda m: "" if REMOTE_SRC.search(m["attrs"])
                            or REMOTE_IMPORT.search(m["body"]) else m[0], output)
        return REMOTE_LINK.sub("", output)


def log_to_stderr() -> None:
    """MkDocs' progress and warnings on stderr, as ``mle site`` (and ``make site``) show them."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    logging.getLogger("mkdocs").addHandler(handler)
    logging.getLogger("mkdocs").setLevel(logging.INFO)
