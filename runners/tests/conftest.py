"""Puts runners/lib on sys.path, so `import rosetta` works however pytest is started (the
runners' own PYTHONPATH; runners/ itself is never on the path, so its folders jax/, keras/,
tensorflow/ cannot shadow the framework packages).

`--framework ID` says the run is in framework ID's own environment (tests/pipeline/python.test.ts
passes it): there every test has what it needs, so a skipped test (a framework that does not
import, a wrong KERAS_BACKEND, ...) or a run in which no test ran means a broken environment, and
the run fails, naming the skips. Without the option, tests of frameworks that are not installed
skip as usual, e.g. when the whole folder runs in one environment on a developer's machine."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[1] / "lib"
if str(LIB) not in sys.path:
    sys.path.insert(0, str(LIB))


def pytest_addoption(parser):
    parser.addoption("--framework", metavar="ID", default=None,
                     help="the framework whose environment this run is in: fail the run when any test is skipped or none ran")


def pytest_configure(config):
    framework = config.getoption("framework")
    if framework:
        config.pluginmanager.register(NothingMayBeSkipped(framework), "rosetta-nothing-may-be-skipped")


def reason(report) -> str:
    """A skip's reason: pytest's longrepr of a skip is (path, line, "Skipped: reason")."""
    text = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    return text.removeprefix("Skipped: ")


class NothingMayBeSkipped:
    def __init__(self, framework: str):
        self.framework = framework
        self.skipped: list[str] = []  # "node id: reason", for tests and for whole modules (importorskip)
        self.ran = 0
        self.problems: list[str] = []

    def pytest_collectreport(self, report):
        if report.skipped:
            self.skipped.append(f"{report.nodeid}: {reason(report)}")

    def pytest_runtest_logreport(self, report):
        if report.skipped:  # a skip mark or pytest.skip in setup, a pytest.skip or an xfail in the call
            self.skipped.append(f"{report.nodeid}: {reason(report)}")
        elif report.when == "call":
            self.ran += 1

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session):
        where = f"in the {self.framework} environment"
        if self.skipped:
            self.problems.append(f"{len(self.skipped)} skipped {where}, where nothing may skip:")
            self.problems += [f"  {line}" for line in self.skipped]
        if self.ran == 0:
            self.problems.append(f"no test ran {where}")
        if self.problems and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter):
        if self.problems:
            terminalreporter.section("--framework: the run fails", sep="=", red=True, bold=True)
            for line in self.problems:
                terminalreporter.write_line(line)
