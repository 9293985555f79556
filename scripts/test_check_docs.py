#!/usr/bin/env python3
"""Tests of scripts/check_docs.py over the tiny project in scripts/check_docs_fixture/:
good.md must pass, and bad.md must fail with exactly one line per bad reference."""

import contextlib
import io
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import check_docs  # noqa: E402

FIXTURE = os.path.join(HERE, "check_docs_fixture")


def run(*docs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = check_docs.main(["--root", FIXTURE, *docs])
    return status, out.getvalue().splitlines()


class CheckDocs(unittest.TestCase):
    def test_good_references_pass(self):
        status, lines = run("good.md")
        self.assertEqual(status, 0, lines)

    def test_each_bad_reference_is_named_with_its_line(self):
        status, lines = run("bad.md")
        self.assertEqual(status, 1)
        expected = [
            "bad.md:3: link to a missing file: src/time.rs",
            "bad.md:4: link to a missing anchor: #nope",
            "bad.md:4: link to a missing anchor: good.md#nope",
            "bad.md:5: `src/time.rs`: no such file or folder",
            "bad.md:6: `TimerWheel::next_expiration`: fn next_expiration of TimerWheel is compiled only in tests",
            "bad.md:7: `TimerWheel::gone`: no fn gone in any impl of TimerWheel",
            "bad.md:7: `spin()`: no fn spin",
            "bad.md:8: `Missing::thing`: no type Missing",
            "bad.md:9: `NEXT_DEADLINE_NANOS`: named nowhere",
            "bad.md:13: `TimerWheel::wakeful_missing`: no fn wakeful_missing",
            "bad.md:15: `TimerWheel::only_in_tests`: fn only_in_tests of TimerWheel is compiled only in tests",
            "bad.md:16: `TimerWheel::gone_generic`: no fn gone_generic in any impl of TimerWheel",
            "bad.md:17: `src/time.rs`: no such file or folder",
            "bad.md:18: link out of the repository: ../test_check_docs.py",
            "bad.md:19: `Config::probe`: fn probe of Config is compiled only in tests",
            "bad.md:20: `Woken::Gone`: no item Gone in the sources",
            "bad.md:20: `Woken::Io { fd, nofield }`: field nofield named nowhere",
        ]
        self.assertEqual(len(lines), len(expected), "\n".join(lines))
        for line, want in zip(sorted(lines), sorted(expected)):
            self.assertTrue(line.startswith(want), f"{line!r} does not start with {want!r}")


if __name__ == "__main__":
    unittest.main()
