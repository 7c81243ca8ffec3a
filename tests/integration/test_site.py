"""The course website (`make site`): strict build, links that resolve, no answers, offline.

The real site is built once for the module, the way `make site` builds it. Each check is a
small function that returns what is wrong, so ``test_the_checks_catch_a_bad_site`` can show
that every one of them fails on a bad site; the toy-course builds show that a leaked cell or
hint in a release stays off the site and that a warning fails the build.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from autograder.course import Course
from autograder.errors import SetupError, UsageError
from autograder.notebooks import HINT_BOX, mle_meta
from autograder.settings import Settings
from autograder.site import build_site
from tests.conftest import REPO

pytestmark = pytest.mark.xdist_group("site")

MARKERS = ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS")
SECRET = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)(?P<body>.*?)### END \1", re.DOTALL)
FETCHED = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src",
           "video": "src", "audio": "src", "embed": "src", "object": "data"}
REMOTE = re.compile(r"""^\s*(?:https?:)?//""", re.IGNORECASE)
REMOTE_IN_CODE = re.compile(r"""(?:\bimport\s*\(?|\bfetch\s*\(|url\s*\(|@import)\s*["']?"""
                            r"""(?:https?:)?//""", re.IGNORECASE)


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class Page(HTMLParser):
    """A built page: its text (tags stripped, entities decoded), links, loads and inline code."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.links: list[str] = []
        self.loads: list[str] = []
        self.inline: list[str] = []
        self.content_links: list[str] = []  # in the page's own text, not its navigation
        self._inline = False
        self._article = 0
        self.feed(markup)
        self.close()
        self.text = normalise("".join(self.chunks))  # highlighted code is split into spans

    def handle_starttag(self, tag, attrs):
        found = {name: value for name, value in attrs if value is not None}
        self._article += tag == "article"
        self.links += [found[name] for name in ("href", "src") if name in found]
        if self._article and "href" in found:
            self.content_links.append(found["href"])
        if FETCHED.get(tag) in found:
            self.loads.append(found[FETCHED[tag]])
        self._inline = tag in ("script", "style")

    def handle_endtag(self, tag):
        self._inline = False
        self._article -= tag == "article" and self._article > 0

    def handle_data(self, data):
        self.chunks.append(data)
        if self._inline:
            self.inline.append(data)


@functools.cache  # a built site does not change: parse each page once
def pages(site: Path) -> dict[str, Page]:
    return {p.relative_to(site).as_posix(): Page(p.read_text(encoding="utf-8"))
            for p in sorted(site.rglob("*.html"))}


def texts(site: Path) -> dict[str, str]:
    """Every text a visitor can reach: each page, and each entry of the search index."""
    found = {name: page.text for name, page in pages(site).items()}
    index = site / "search" / "search_index.json"
    if index.is_file():
        for doc in json.loads(index.read_text(encoding="utf-8"))["docs"]:
            found[f"search:{doc['location']}"] = Page(f"{doc['title']} {doc['text']}").text
    return found


def broken_links(site: Path) -> list[str]:
    broken = []
    for name, page in pages(site).items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path:  # external, mailto:, #fragment
                continue
            base = site if parts.path.startswith("/") else (site / name).parent
            target = (base / unquote(parts.path).lstrip("/")).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file() or site.resolve() not in target.parents:
                broken.append(f"{name}: {link}")
    return broken


def external_loads(site: Path) -> list[str]:
    """Scripts, stylesheets, fonts, images... that a page would fetch from the internet."""
    found = []
    for name, page in pages(site).items():
        found += [f"{name}: {url}" for url in page.loads if REMOTE.match(url)]
        found += [f"{name}: inline {m[0]!r}" for code in page.inline
                  for m in REMOTE_IN_CODE.finditer(code)]
    for sheet in site.rglob("*.css"):
        found += [f"{sheet.name}: {m[0]!r}" for m in
                  REMOTE_IN_CODE.finditer(sheet.read_text(encoding="utf-8"))]
    return found


def leaks(site: Path, lines: set[str]) -> list[str]:
    return [f"{name}: {line}" for name, text in texts(site).items() for line in sorted(lines)
            if line in text]


def markers(site: Path, allowed: dict[str, int]) -> list[str]:
    """Marker occurrences beyond ``allowed`` (page-name prefix: how many its guide has)."""
    found = []
    for name, text in texts(site).items():
        for marker in MARKERS:
            count = text.count(marker)
            limit = next((n for prefix, n in allowed.items()
                          if name.removeprefix("search:").startswith(prefix)), 0)
            if count > limit:
                found.append(f"{name}: {marker!r} x{count}")
    return found


def notable(line: str) -> bool:
    """A line worth looking for: long enough to be specific, and not only a comment."""
    line = line.strip()
    return len(line) >= 25 and not line.startswith("#")


def public_text(root: Path, keep=lambda cell: True) -> str:
    """What the released notebooks show (the cells ``keep`` picks), whitespace normalised."""
    return normalise("\n".join(cell.source for notebook in sorted(root.glob("labs/*/*.ipynb"))
                               for cell in nbformat.read(notebook, as_version=4).cells
                               if keep(cell)))


def secret_lines(root: Path) -> set[str]:
    """Lines of solutions and hidden tests that no released notebook shows."""
    public, found = public_text(root), set()
    for source in sorted(root.glob("solutions/*/*.ipynb")):
        for cell in nbformat.read(source, as_version=4).cells:
            for region in SECRET.finditer(cell.source):
                found |= {normalise(line) for line in region["body"].splitlines()
                          if notable(line) and normalise(line) not in public}
    return found


def is_hint(cell) -> bool:
    return cell.cell_type == "markdown" and ("hints" in mle_meta(cell) or "<details" in cell.source)


def hint_lines(root: Path) -> set[str]:
    """Lines of the released notebooks' hint boxes that they show nowhere else."""
    elsewhere, found = public_text(root, lambda cell: not is_hint(cell)), set()
    for notebook in sorted(root.glob("labs/*/*.ipynb")):
        for cell in filter(is_hint, nbformat.read(notebook, as_version=4).cells):
            found |= {normalise(line) for box in HINT_BOX.finditer(cell.source)
                      for line in box["body"].splitlines()
                      if notable(line) and normalise(line) not in elsewhere}
    return found


@dataclass
class Built:
    site: Path
    returncode: int
    log: str


def make_site(out: Path, root: Path = REPO) -> Built:
    """`mle site`, what `make site` runs, in a fresh process."""
    env = {**os.environ, "MLE_ROOT": str(root)}
    run = subprocess.run([sys.executable, "-m", "autograder", "site", "--out", str(out)],
                         cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=600)
    return Built(out, run.returncode, run.stdout + run.stderr)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return make_site(tmp_path_factory.mktemp("site") / "site")


@pytest.fixture(scope="module")
def site(built: Built) -> Path:
    assert built.returncode == 0, built.log
    return built.site


def test_builds_in_strict_mode_without_warnings(built):
    assert built.returncode == 0, built.log
    assert "Documentation built in" in built.log
    noisy = [line for line in built.log.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert not noisy, "\n".join(noisy)
    assert (built.site / "index.html").is_file()


def test_every_internal_link_resolves(site):
    assert len(pages(site)) >= 5
    assert broken_links(site) == []


def test_no_solution_or_hidden_test_is_on_the_site(site):
    secrets = secret_lines(REPO)
    assert len(secrets) > 100, "the solutions should have many lines to look for"
    assert leaks(site, secrets) == []
    guide = (REPO / "curriculum" / "AUTHORING.md").read_text(encoding="utf-8")
    # The authoring guide names the markers in its prose; no other page may hold one.
    assert markers(site, {"authoring.html": max(guide.count(m) for m in MARKERS)}) == []


def test_no_hint_is_on_the_site(site):
    hints = hint_lines(REPO)
    assert len(hints) > 20
    assert leaks(site, hints) == []
    for page in site.glob("labs/*/*.html"):
        markup = page.read_text(encoding="utf-8")
        assert "<details" not in markup and "mle hint" in markup, page


def test_every_released_lab_has_a_page_linked_from_home(site):
    course = Course(Settings(root=REPO))
    built_pages = pages(site)
    home = built_pages["index.html"]
    shown = 0
    for lab in course.labs:
        for name in lab.notebooks:
            released = course.release_dir(lab) / name
            if not released.is_file():
                continue
            page = f"labs/{lab.id}/{Path(name).stem}.html"
            assert (site / page).is_file(), page
            assert page in home.content_links, f"the home page does not link to {page}"
            title = nbformat.read(released, as_version=4).cells[0].source.splitlines()[0]
            assert normalise(title.lstrip("# ")) in built_pages[page].text
            shown += 1
    assert shown >= 6


def test_no_page_fetches_anything_from_the_internet(site):
    assert external_loads(site) == []


def test_skills_map_links_its_labs(site):
    links = pages(site)["skills-map.html"].content_links
    assert "labs/lab01-python-sql/python_sql.html" in links


def test_the_checks_catch_a_bad_site(tmp_path):
    (tmp_path / "ok.html").write_text("<p>fine</p>", encoding="utf-8")
    (tmp_path / "index.html").write_text(
        '<a href="ok.html#x">ok</a> <a href="#top">top</a> <a href="https://x.org">web</a> '
        '<a href="missing.html">bad</a> <img src="/gone.png">'
        '<script src="https://cdn.example.org/x.js"></script>'
        '<link rel="stylesheet" href="//fonts.example.org/f.css">'
        '<script>import("https://cdn.example.org/m.mjs")</script>'
        '<pre><span class="n">answer</span> <span class="o">=</span> '
        '<span class="s">&quot;the secret&quot;</span></pre> ### BEGIN HIDDEN TESTS',
        encoding="utf-8")
    assert broken_links(tmp_path) == ["index.html: missing.html", "index.html: /gone.png"]
    assert len(external_loads(tmp_path)) == 3
    assert leaks(tmp_path, {'answer = "the secret"'}) == ['index.html: answer = "the secret"']
    assert markers(tmp_path, {}) == ["index.html: 'BEGIN HIDDEN TESTS' x1"]


@pytest.fixture
def toy_course(toy_root: Path, tmp_path: Path) -> Path:
    """A private copy of the released toy course, to plant bad content in."""
    root = tmp_path / "course"
    shutil.copytree(toy_root, root)
    return root


def test_a_leaked_cell_or_hint_in_a_release_stays_off_the_site(toy_course, tmp_path):
    release = toy_course / "labs" / "lab01-toy" / "toy.ipynb"
    notebook = nbformat.read(release, as_version=4)
    notebook.cells += [
        nbformat.v4.new_code_cell("### BEGIN SOLUTION\nplanted = 'a planted answer 4242'\n"
                                  "### END SOLUTION"),
        nbformat.v4.new_markdown_cell("<details><summary>💡 Hint 1</summary>\n\n"
                                      "A planted hint that gives it all away.\n</details>"),
        nbformat.v4.new_markdown_cell("Before. <details><summary>More</summary>A planted box "
                                      "with no mle metadata.</details> After."),
    ]
    nbformat.write(notebook, release)
    guide = toy_course / "curriculum" / "AUTHORING.md"
    guide.write_text("# Guide\n\nSee [the checks](../autograder/checks.py) and "
                     "[the syllabus](syllabus.yaml).\n", encoding="utf-8")
    built = make_site(tmp_path / "site", toy_course)
    assert built.returncode == 0, built.log
    lab = pages(built.site)["labs/lab01-toy/toy.html"].text
    for planted in ("planted answer", "planted hint", "planted box", "BEGIN SOLUTION"):
        assert planted not in lab
    assert "Before." in lab and "After." in lab and "mle hint 1" in lab
    home = pages(built.site)["index.html"]
    assert "Not written yet (coming soon)" in home.text
    authoring = pages(built.site)["authoring.html"]
    assert "See the checks and the syllabus." in authoring.text
    assert "syllabus.html" in authoring.links and broken_links(built.site) == []


def test_a_warning_fails_the_build_and_keeps_the_last_good_site(toy_course, tmp_path):
    (toy_course / "curriculum" / "AUTHORING.md").write_text(
        "# Guide\n\nSee [a heading that is not there](#nowhere).\n", encoding="utf-8")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("the last good site", encoding="utf-8")
    built = make_site(tmp_path / "site", toy_course)
    assert built.returncode == SetupError.exit_code
    assert "error: the course site did not build" in built.log
    assert any(line.startswith("WARNING") and "nowhere" in line
               for line in built.log.splitlines()), built.log
    assert [p.name for p in (tmp_path / "site").iterdir()] == ["index.html"]
    assert (tmp_path / "site" / "index.html").read_text(encoding="utf-8") == "the last good site"


def test_never_replaces_a_folder_that_is_not_a_site(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(UsageError, match="not a built site"):
        build_site(out=tmp_path, settings=Settings(root=REPO))
    with pytest.raises(UsageError, match="holds the course"):
        build_site(out=REPO.parent, settings=Settings(root=REPO))
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "keep me"
