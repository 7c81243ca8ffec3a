"""nbgrader settings for a learner's JupyterLab (`mle lab` / `make lab`).

The Validate button reads this file (through JUPYTER_CONFIG_PATH). Like `mle check`, it runs
the notebook from the top in a fresh kernel; it shows the visible tests only, and `mle check`
adds the hidden ones the instructor's grading runs.
"""

c = get_config()  # noqa: F821 (nbgrader's config loader provides it)

# Validate runs your notebook as it is saved, usually on the full data (`smoke = False`),
# where a training cell can take minutes; nbgrader's default of 30 s per cell would fail a
# correct notebook. (`mle check` and the grader run the smoke data, 60 s per cell.)
c.Execute.timeout = 600
