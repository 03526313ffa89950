"""Every relative link of README.md and docs/ leads somewhere: a file that exists and, for a
``#anchor``, a heading of that file.

The README sends people into the user guide (docs/guide/) for every detail, so a renamed
heading or a moved page would leave them at a dead end with nothing failing. docs/reference/
is left out: it is a copy of the team's shared sheets, not written here.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from trainer.programs.catalog import builtin_programs_dir

REPO = Path(__file__).resolve().parents[1]

# ``[text](target)`` or ``![alt](target)``; the target ends at a blank (a title may follow).
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+[^)]*)?\)")
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$", re.M)


def markdown_files(root: Path) -> list[Path]:
    """The README and every page under docs/ except the copied reference sheets."""
    copied = root / "docs" / "reference"
    docs = [p for p in sorted((root / "docs").rglob("*.md")) if copied not in p.parents]
    return [root / "README.md", *docs]


def _prose(text: str) -> str:
    """``text`` without fenced code blocks and code spans, where brackets are not links."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading.

    GitHub's rule (github-slugger, which github.com uses): the heading's text as rendered
    (markup and link targets dropped), lowercased, every character that is not a letter, a
    digit, a space, ``-`` or ``_`` removed, and each space turned into ``-``.
    """
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link shows its text
    text = re.sub(r"[`*]", "", text).lower()
    text = "".join(c for c in text if c.isalnum() or c in " -_")
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a markdown file; a repeated one gets ``-1``, ``-2``... as on
    GitHub."""
    seen: Counter[str] = Counter()
    found: set[str] = set()
    for match in _HEADING.finditer(_FENCE.sub("", path.read_text(encoding="utf-8"))):
        slug = github_anchor(match.group(2))
        found.add(slug if seen[slug] == 0 else f"{slug}-{seen[slug]}")
        seen[slug] += 1
    return found


def broken_links(root: Path) -> list[str]:
    """``file: target (why)`` for every relative link under ``root`` that leads nowhere."""
    broken: list[str] = []
    for page in markdown_files(root):
        for target in _LINK.findall(_prose(page.read_text(encoding="utf-8"))):
            if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):  # http:, mailto: ...
                continue
            where, _, anchor = target.partition("#")
            dest = (page.parent / where).resolve() if where else page
            name = f"{page.relative_to(root)}: {target}"
            if not dest.exists():
                broken.append(f"{name} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                broken.append(f"{name} (no heading #{anchor} in {dest.name})")
    return broken


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Input", "input"),
        ("No sensor: `--device none`", "no-sensor---device-none"),
        ("Output paths: `-o` and `--out`", "output-paths--o-and---out"),
        ("RR in a recording: 1/1024 s", "rr-in-a-recording-11024-s"),
        ("The session report's HRV and `summary.csv`", "the-session-reports-hrv-and-summarycsv"),
        ("`resonance_rate_bpm`", "resonance_rate_bpm"),
    ],
)
def test_anchors_follow_githubs_rule(heading: str, anchor: str) -> None:
    assert github_anchor(heading) == anchor


def test_a_repeated_heading_gets_a_number(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Notes\n\n## Notes\n\n```sh\n# not a heading\n```\n", encoding="utf-8")
    assert anchors(page) == {"notes", "notes-1"}


def test_a_broken_link_is_found(tmp_path: Path) -> None:
    (tmp_path / "docs" / "guide").mkdir(parents=True)
    (tmp_path / "docs" / "reference").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n\n## Input\n", encoding="utf-8")
    (tmp_path / "docs" / "reference" / "copy.md").write_text("[x](gone.md)\n", encoding="utf-8")
    (tmp_path / "docs" / "guide" / "g.md").write_text(
        "[ok](../a.md#input) [bad](../a.md#output) [gone](b.md) `[code](c.md)` [web](https://x)\n",
        encoding="utf-8",
    )
    (tmp_path / "README.md").write_text("[guide](docs/guide/g.md)\n", encoding="utf-8")
    assert broken_links(tmp_path) == [
        "docs/guide/g.md: ../a.md#output (no heading #output in a.md)",
        "docs/guide/g.md: b.md (no such file)",
    ]


def test_every_link_of_the_readme_and_docs_leads_somewhere() -> None:
    assert broken_links(REPO) == []


def test_the_readme_lists_every_built_in_program_and_marks_the_back_focused() -> None:
    """The README's program table is where a new user learns what the trainer guides: a program
    added or renamed without it, or a back-focused one shown without its safety questions,
    would mislead before the first session."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    rows = {
        m.group(1): m.group(2) for m in re.finditer(r"^\| `([a-z0-9-]+)` \| (.*) \|$", text, re.M)
    }
    built_in = {
        p.stem: tomllib.loads(p.read_text(encoding="utf-8")).get("back_focused", False)
        for p in Path(builtin_programs_dir()).glob("*.toml")
    }
    assert set(rows) == set(built_in)
    for name, back_focused in built_in.items():
        assert ("safety questions first" in rows[name]) == back_focused, name
