"""Speed and memory measurements of the dashboard; run ``python benchmarks/run.py``.

Not part of the test run (pytest collects ``tests/`` only).
"""
