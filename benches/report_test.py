#!/usr/bin/env python3
"""Checks benches/report.py on small CSVs: `python3 benches/report_test.py` (exit 0 = held).

A SATURATE=both run of compare.sh writes each configuration's rows twice, once per
regime (closed loop, CPU hog beside the server); their figures differ by design, so a
table must not take one median over both.
"""

import csv
import importlib.util
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("report", os.path.join(HERE, "report.py"))
report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report)

FIELDS = ("proto,conns,depth,size,server,rps,p50_us,p99_us,cpu_us_per_req,syscalls_per_req,epoll_wait_per_req,"
          "recv_per_req,send_per_req,epoll_ctl_per_req,other_per_req,regime,waits_by_events,"
          "nonblocking_waits_per_req").split(",")


def csv_of(rows):
    f = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False)
    writer = csv.DictWriter(f, FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in FIELDS})
    f.close()
    return f.name


def run(server, regime, wait, rps):
    return {"proto": "tcp", "conns": 10, "depth": 1, "size": 64, "server": server, "rps": rps, "p50_us": 50,
            "p99_us": 90, "cpu_us_per_req": 9.0, "syscalls_per_req": 2 + wait, "epoll_wait_per_req": wait,
            "recv_per_req": 1, "send_per_req": 1, "epoll_ctl_per_req": 0, "other_per_req": 0, "regime": regime}


class Regimes(unittest.TestCase):
    def setUp(self):
        # Closed-loop waits 0.1 per request, saturated 0.9: any median over both is wrong.
        rows = [run(s, "closed", 0.1, 100_000) for s in ("wakeful", "tokio")] * 3
        rows += [run(s, "saturated", 0.9, 50_000) for s in ("wakeful", "tokio")] * 3
        self.path = csv_of(rows)

    def tearDown(self):
        os.unlink(self.path)

    def test_the_syscall_table_keeps_the_regimes_apart(self):
        lines = [line for line in report.syscall_table(self.path).splitlines() if "| tcp" in line]
        self.assertEqual(len(lines), 4, "a row per regime and server:\n" + "\n".join(lines))
        for line in lines:
            self.assertIn("| 3 |", line, "3 runs each: " + line)
            wait = "0.100" if "saturated" not in line else "0.900"
            self.assertIn(f"| {wait} |", line, line)

    def test_the_echo_table_keeps_the_regimes_apart(self):
        table, summary = report.echo_tables(self.path)
        lines = [line for line in table.splitlines() if "| tcp" in line]
        self.assertEqual(len(lines), 2, "a row per regime:\n" + table)
        self.assertTrue(any("saturated" in line and "50,000" in line for line in lines), table)
        self.assertTrue(any("saturated" not in line and "100,000" in line for line in lines), table)
        # The charts show the closed loop, as before the regimes.
        self.assertEqual(summary[("tcp", 10, 1)]["w", "rps"], 100_000)

    def test_rows_without_a_regime_read_as_closed_loop(self):
        old = csv_of([dict(run(s, "", 0.2, 80_000)) for s in ("wakeful", "tokio")])
        try:
            lines = [line for line in report.syscall_table(old).splitlines() if "| tcp" in line]
            self.assertEqual(len(lines), 2)
            self.assertTrue(all("saturated" not in line for line in lines))
        finally:
            os.unlink(old)


if __name__ == "__main__":
    sys.exit(unittest.main())
