"""The scored checklist that ``mle portfolio check`` prints."""

from __future__ import annotations

from dataclasses import dataclass, field

PASSING_FRACTION = 0.8
FLOOR_NOTE = ("This check is a floor: it catches an untouched template and hollow work. Whether "
              "the work is good is a human reviewer's judgement (the decision log, the model "
              "card, the code).")


@dataclass(frozen=True)
class RubricItem:
    """One line of the checklist. ``fix`` says what to change when it is not passed."""

    name: str
    points_possible: int
    points_earned: int
    passed: bool
    fix: str = ""
    detail: str = ""
    required: bool = False
    skipped: bool = False

    @classmethod
    def all_or_nothing(cls, name: str, points: int, ok: bool, *, fix: str = "",
                       detail: str = "", required: bool = False) -> RubricItem:
        return cls(name, points, points if ok else 0, ok, "" if ok else fix, detail, required)

    @classmethod
    def partial(cls, name: str, points: int, found: int, total: int, *, fix: str = "",
                detail: str = "", required: bool = False) -> RubricItem:
        """Points in proportion to ``found / total``; passed only when all are found."""
        ok = found == total
        return cls(name, points, round(points * found / total) if total else points, ok,
                   "" if ok else fix, detail, required)

    @classmethod
    def skip(cls, name: str, points: int, reason: str) -> RubricItem:
        return cls(name, points, 0, True, "", reason, skipped=True)


@dataclass
class RubricReport:
    """All items for one project; skipped items count neither for nor against it."""

    project: str
    items: list[RubricItem] = field(default_factory=list)
    passing_fraction: float = PASSING_FRACTION

    @property
    def score(self) -> int:
        return sum(i.points_earned for i in self.items if not i.skipped)

    @property
    def max_score(self) -> int:
        return sum(i.points_possible for i in self.items if not i.skipped)

    @property
    def passing_mark(self) -> int:
        return round(self.max_score * self.passing_fraction)

    @property
    def failed_required(self) -> list[RubricItem]:
        return [i for i in self.items if i.required and not i.passed and not i.skipped]

    @property
    def passed(self) -> bool:
        return self.score >= self.passing_mark and not self.failed_required

    def item(self, name: str) -> RubricItem:
        for candidate in self.items:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    def render(self) -> str:
        """A plain-text checklist: one line per item, then what to fix, then the verdict."""
        lines = [f"Portfolio check: {self.project}", ""]
        for item in self.items:
            mark = "SKIP" if item.skipped else ("PASS" if item.passed else "FAIL")
            star = " (required)" if item.required else ""
            lines.append(f"  [{mark}] {item.name}{star}: "
                         f"{item.points_earned}/{item.points_possible}")
            if item.detail:
                lines.extend(f"         {line}" for line in item.detail.splitlines())
            if item.fix:
                lines.extend(f"         fix: {line}" for line in item.fix.splitlines())
        lines.append("")
        verdict = "PASSED" if self.passed else "NOT PASSED"
        lines.append(f"Score: {self.score}/{self.max_score} (passing mark {self.passing_mark}, "
                     f"and every required item) -> {verdict}")
        if self.failed_required:
            names = ", ".join(i.name for i in self.failed_required)
            lines.append(f"Required items to fix first: {names}")
        lines.append(FLOOR_NOTE)
        return "\n".join(lines)
