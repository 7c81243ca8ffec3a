"""Start-up cost paid by every grading process (the ``mle`` command, each grading worker).

``jsonschema`` (which ``nbformat`` uses to validate notebooks) imports ``rfc3987_syntax`` when it
is installed, and that module compiles a grammar for about 1.5 s at import time, to check the
``iri`` string formats no notebook schema uses. Marked as missing, jsonschema simply skips those
two formats. Measured here: importing nbgrader, papermill and nbclient took 3.1 s, 1.2 s without.
Only our own processes do this; learners' kernels never import this module.
"""

from __future__ import annotations

import sys


def skip_slow_optional_imports() -> None:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
