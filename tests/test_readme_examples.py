"""The README's gradio_client examples, run as written against the running app."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
README_URL = "http://127.0.0.1:7860/"


def _api_section_code() -> str:
    text = README.read_text()
    section = text.split("## Calling the running app", 1)[1].split("\n## ", 1)[0]
    return "\n".join(re.findall(r"```python\n(.*?)```", section, flags=re.S))


def test_readme_examples_run_against_the_app(app_url, monkeypatch):
    code = _api_section_code()
    assert README_URL in code
    monkeypatch.chdir(README.parent)  # the examples use paths relative to the repository
    namespace: dict = {}
    exec(compile(code.replace(README_URL, app_url), str(README), "exec"), namespace)  # noqa: S102
    served = namespace["client"].view_api(print_info=False, return_format="dict")["named_endpoints"]
    for tab in ("gmm", "vae", "faces", "cyclegan", "sr"):  # every tab the app serves has an example
        if any(name.startswith(f"/{tab}_") for name in served):
            assert f'api_name="/{tab}_' in code, f"the README shows no gradio_client example for the {tab} tab"
