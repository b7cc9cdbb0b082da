"""Evaluation and speed benchmarks: ``python -m bench.<family>`` prints a table and writes JSON to results/."""
