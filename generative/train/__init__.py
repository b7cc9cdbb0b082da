"""Resumable training scripts, one per model family: ``python -m generative.train.<family>``."""
