#!/usr/bin/env python3
"""Depictio-style renders of Plotbox's px benchmark charts (bench/px-charts.ts).

Runs one snippet on one data size with the baseline's own machinery: the data loaded by
depictio_style.load_df (pandas, dates parsed) and every render through depictio_style.render
(copy, RestrictedPython compile, guarded exec with the audit hook, fig.to_json), timed the way
its `one` command times them. Prints one JSON line.

  /usr/bin/python3 bench/depictio_px.py --baseline DIR --size 100k --name NAME --code-file F --runs 10

Run from the baseline directory (RestrictedPython is found relative to it), with PERF_DATA set.
"""
import argparse
import json
import os
import statistics
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--size", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--code-file", required=True)
    ap.add_argument("--runs", type=int, default=10)
    a = ap.parse_args()
    sys.path.insert(0, a.baseline)
    import depictio_style as d  # noqa: E402  (the baseline's runner, unchanged)

    # plotly express imports statsmodels for trendlines at first use, which the baseline's audit
    # hook refuses inside a render; a deployment offering trendlines would load it at start.
    try:
        import statsmodels.api  # noqa: F401
    except ImportError:
        pass

    with open(a.code_file, encoding="utf-8") as f:
        code = f.read()
    frozen = d.load_df(a.size)
    try:
        out = d.render(code, frozen)  # first render in a fresh process (imports, caches)
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"name": a.name, "size": a.size, "ok": False, "error": f"{type(e).__name__}: {e}"[:300]}))
        return
    timings = []
    deadline = time.perf_counter() + 120
    for _ in range(a.runs):
        out = d.render(code, frozen, timings)
        if time.perf_counter() > deadline:
            break
    totals = [t[4] * 1e3 for t in timings]
    print(json.dumps({
        "name": a.name, "size": a.size, "ok": True, "runs": len(totals),
        "p50": statistics.median(totals), "p95": d.pct(totals, 95),
        "json_bytes": len(out.encode()),
    }))


if __name__ == "__main__":
    main()
