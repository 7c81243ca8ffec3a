"""Portfolio projects: render a template (``new``) and score a repository (``check``)."""

from .check import check_project
from .new import KINDS, PROBLEMS, new_project, next_steps
from .rubric import RubricItem, RubricReport

__all__ = ["KINDS", "PROBLEMS", "RubricItem", "RubricReport", "check_project", "new_project",
           "next_steps"]
