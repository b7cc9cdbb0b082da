"""The ``@gpu`` rule for ZeroGPU Spaces: an event handler that runs a network is wrapped with ``gpu``, one that runs
none is not. "Runs a network" is read from the source: the handler reaches ``models.load`` (or ``generative.load``)
through calls inside its module without passing a function that is itself wrapped; a call given the constant
"cpu" keeps its model on the CPU and does not count. A wrapped handler that calls another wrapped function is fine
(nested ``spaces.GPU`` calls run inside the outer one)."""

from __future__ import annotations

import ast
import inspect
import sys

from generative.ui import build_demo

LOADERS = {"load"}  # models.load / generative.load


def _functions(module) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(inspect.getsource(module))
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def _wrapped(node: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "gpu" for d in node.decorator_list)


def _on_cpu(call: ast.Call) -> bool:
    """A call that passes the constant "cpu" keeps its model on the CPU (e.g. to read stored buffers)."""
    return any(isinstance(a, ast.Constant) and a.value == "cpu" for a in [*call.args, *(k.value for k in call.keywords)])


def _calls(node: ast.FunctionDef) -> set[str]:
    names = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call) and not _on_cpu(call):
            f = call.func
            if isinstance(f, ast.Name):
                names.add(f.id)
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in {"models", "generative"}:
                names.add(f"{f.value.id}.{f.attr}")
    return names


def _runs_network(name: str, functions: dict[str, ast.FunctionDef], seen: set[str], through_wrapped: bool) -> bool:
    """Whether ``name`` reaches a model load through functions of its module (also through wrapped ones, or not)."""
    if name in seen:
        return False
    seen.add(name)
    calls = _calls(functions[name])
    if any(c.split(".")[-1] in LOADERS and "." in c for c in calls):
        return True
    return any(c in functions and (through_wrapped or not _wrapped(functions[c]))
               and _runs_network(c, functions, seen, through_wrapped) for c in calls)


def _handlers() -> list[tuple[object, str]]:
    found = set()
    for fn in build_demo().fns.values():
        module = getattr(fn.fn, "__module__", "") or ""
        if module.startswith("generative.ui.") and module != "generative.ui.links":
            found.add((module, fn.fn.__name__))
    return [(sys.modules[m], name) for m, name in sorted(found)]


def test_every_handler_that_runs_a_network_is_wrapped_and_no_other():
    wrong = []
    for module, name in _handlers():
        functions = _functions(module)
        if name not in functions:
            continue  # a lambda or a method: no network
        node = functions[name]
        if _runs_network(name, functions, set(), through_wrapped=False) and not _wrapped(node):
            wrong.append(f"{module.__name__}.{name}: missing @gpu")
        if _wrapped(node) and not _runs_network(name, functions, set(), through_wrapped=True):
            wrong.append(f"{module.__name__}.{name}: needless @gpu (it runs no network)")
    assert wrong == []


def test_the_rule_sees_the_handlers_of_every_tab():
    modules = {module.__name__ for module, _ in _handlers()}
    assert {"generative.ui.gmm", "generative.ui.vae", "generative.ui.faces", "generative.ui.cyclegan",
            "generative.ui.sr"} <= modules
