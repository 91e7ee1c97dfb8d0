"""Generated networks: reproducible, valid, shaped as documented, and the same in every form."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chokepoint import analyze, load_chain
from chokepoint.io.generate import STAGES, build_network, write_network
from chokepoint.io.loader import check_document
from chokepoint.io.yamlread import Located
from chokepoint.model import Chain


def _checked(document: dict[str, object]) -> Chain:
    return _bare(check_document(Located(document, "generated")))


def _bare(chain: Chain) -> Chain:
    nodes = tuple(dataclasses.replace(n, line=0) for n in chain.nodes)
    return dataclasses.replace(chain, path=None, nodes=nodes)


def test_same_seed_same_network() -> None:
    assert build_network(200, seed=3) == build_network(200, seed=3)
    assert build_network(200, seed=3) != build_network(200, seed=4)


def test_shape() -> None:
    document = build_network(1000, seed=1, cycles=0.0)
    chain = _checked(document)
    assert len(chain.nodes) == 1000
    stage = {n.id: k for k, n in enumerate(chain.nodes)}
    rank = {s: k for k, (s, _) in enumerate(STAGES)}
    links = [(i.node, n) for n in chain.nodes for i in n.inputs]
    # a layered network: every input comes from an earlier stage; raw materials have none
    assert all(rank[chain.nodes[stage[i]].stage] < rank[n.stage] for i, n in links)
    assert not any(n.inputs for n in chain.nodes if n.stage == STAGES[0][0])
    # the stage sizes of STAGES, rounded
    sizes = [sum(1 for n in chain.nodes if n.stage == s) for s, _ in STAGES]
    assert sizes == [250, 220, 200, 150, 120, 60]
    # about 3.4 links per firm, heavy-tailed fan-in (some firms with many inputs)
    assert 3.0 <= len(links) / 1000 <= 4.0
    assert max(len(n.inputs) for n in chain.nodes) >= 20
    # cost shares of a firm add up to at most 0.85; country mixes of 1 to 5 named origins
    assert all(sum(i.cost_share or 0 for i in n.inputs) <= 0.85 + 1e-9 for n in chain.nodes)
    named = [len([c for c in n.shares if c != "other"]) for n in chain.nodes if n.shares]
    assert min(named) >= 1
    assert max(named) <= 5
    assert 0 < sum(1 for n in chain.nodes if n.shares is None) < 60


def test_cycles_are_mutual_supply() -> None:
    chain = _checked(build_network(1000, seed=2, cycles=0.01))
    rank = {s: k for k, (s, _) in enumerate(STAGES)}
    where = {n.id: n for n in chain.nodes}
    back = [
        (i.node, n.id)
        for n in chain.nodes
        for i in n.inputs
        if rank[where[i.node].stage] >= rank[n.stage]
    ]
    assert 20 <= len(back) <= 40  # about 1% of some 3,400 links, less repeats
    # each one closes a cycle: the user already supplies the firm it now buys from
    assert all(any(i.node == user for i in where[supplier].inputs) for user, supplier in back)


def test_too_small_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 12 nodes"):
        build_network(5)


@pytest.mark.parametrize("seed", [1, 2])
def test_every_form_gives_the_same_analysis(tmp_path: Path, seed: int) -> None:
    document = build_network(300, seed=seed, cycles=0.02)
    write_network(document, tmp_path / "net.yaml")
    write_network(document, tmp_path / "net.json")
    write_network(document, tmp_path / "net")
    write_network(document, tmp_path / "net.zip")
    chains = [load_chain(tmp_path / name) for name in ("net.yaml", "net.json", "net", "net.zip")]
    bare = [dataclasses.replace(c, path=None) for c in chains]
    lines = [tuple(dataclasses.replace(n, line=0) for n in c.nodes) for c in bare]
    assert all(lines[0] == other for other in lines[1:])
    results = [analyze(c).to_dict() for c in chains]
    assert all(results[0] == other for other in results[1:])


def test_doctests() -> None:
    import doctest

    import chokepoint.io.generate

    failures, _ = doctest.testmod(chokepoint.io.generate, optionflags=doctest.ELLIPSIS)
    assert failures == 0


def test_generate_command(runner: CliRunner, tmp_path: Path) -> None:
    from chokepoint.cli import app

    if "generate" not in {c.name for c in app.registered_commands}:
        pytest.skip("the `generate` command is not in cli.py yet")
    result = runner.invoke(
        app, ["generate", "--nodes", "100", "--seed", "5", "-o", str(tmp_path / "n")]
    )
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    assert "100 nodes" in result.output
    assert _checked(build_network(100, seed=5)) == _bare(load_chain(tmp_path / "n"))
