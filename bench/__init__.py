"""Evaluation and speed benchmarks: ``python -m bench [family ...]`` prints tables and writes JSON."""
