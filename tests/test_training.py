"""The start-up, checkpoint and logging helpers every training script shares (generative.train)."""

from __future__ import annotations

import pytest
import torch

from generative.train import append_row, every, learning_curve, load_checkpoint, parser, save_checkpoint, start_run


def test_shared_options_and_start_up(tmp_path):
    cli = parser("Train something.\n\nMore text.", minutes=False)
    args = cli.parse_args(["--threads", "1", "--checkpoints", str(tmp_path / "new" / "folder"), "--export"])
    assert cli.description == "Train something."
    assert args.data == "../shared/data" and args.export and not hasattr(args, "minutes")
    with pytest.raises(SystemExit):
        parser("x", export=False).parse_args(["--export"])
    threads = torch.get_num_threads()
    try:
        torch.rand(3)
        folder = start_run(args)
        first = torch.rand(3)
        assert folder.is_dir() and torch.get_num_threads() == 1
        assert torch.equal(first, torch.rand(3, generator=torch.Generator().manual_seed(0)))  # seeded with 0
    finally:
        torch.set_num_threads(threads)


def test_checkpoint_is_replaced_whole(tmp_path):
    path = tmp_path / "model.pt"
    save_checkpoint({"step": 1, "w": torch.ones(2)}, path)
    save_checkpoint({"step": 2, "w": torch.zeros(2)}, path)
    state = load_checkpoint(path)
    assert state["step"] == 2 and torch.equal(state["w"], torch.zeros(2))
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]  # no temporary file left behind


def test_curve_rows_are_appended(tmp_path):
    curve = tmp_path / "curve.csv"
    curve.write_text("step,loss\n")
    append_row(curve, [1, "0.5"])
    append_row(curve, [2, "0.25"])
    assert curve.read_text() == "step,loss\n1,0.5\n2,0.25\n"


def test_every_runs_its_action_only_when_due(monkeypatch):
    clock, calls = [1000.0], []
    monkeypatch.setattr("generative.train.time.time", lambda: clock[0])
    maybe = every(180, lambda: calls.append(clock[0]))
    clock[0] += 100
    maybe()
    assert calls == []  # not yet due
    clock[0] += 100
    maybe()
    maybe()  # just ran: not due again
    assert calls == [1200.0]
    clock[0] += 181
    maybe()
    assert calls == [1200.0, 1381.0]


def test_learning_curve_keeps_its_rows_when_resuming(tmp_path, monkeypatch):
    monkeypatch.setattr("generative.train.CURVES", tmp_path / "results")
    curve = learning_curve("model", ["step", "loss"], fresh=False)  # absent: started with its header
    append_row(curve, [1, "0.5"])
    assert learning_curve("model", ["step", "loss"], fresh=False).read_text() == "step,loss\n1,0.5\n"
    assert learning_curve("model", ["step", "loss"], fresh=True).read_text() == "step,loss\n"


def test_a_checkpoint_keeps_an_optimisers_state_and_holds_no_pickle(tmp_path):
    """Nested dicts with int keys, tuples, lists and tensors come back as they were, from a safetensors file."""
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters(), betas=(0.5, 0.9))
    net(torch.ones(1, 3)).sum().backward()
    opt.step()
    path = tmp_path / "run.pt"
    save_checkpoint({"net": net.state_dict(), "opt": opt.state_dict(), "step": 7, "history": [[0, 10, 0.5]],
                     "origin": "x", "score": None}, path)
    state = load_checkpoint(path)
    assert (state["step"], state["history"], state["origin"], state["score"]) == (7, [[0, 10, 0.5]], "x", None)
    assert state["opt"]["param_groups"][0]["betas"] == (0.5, 0.9) and set(state["opt"]["state"]) == {0, 1}
    again = torch.optim.Adam(torch.nn.Linear(3, 2).parameters())
    again.load_state_dict(state["opt"])
    torch.testing.assert_close(again.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    assert path.read_bytes()[8:9] == b"{"  # a safetensors header, not a zip of pickles
