"""``docs/workflows.md`` is generated from the definitions and must not drift from them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "workflow_docs", ROOT / "scripts/workflow_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_document_matches_the_definitions() -> None:
    expected = load_script().render()
    committed = (ROOT / "docs/workflows.md").read_text(encoding="utf-8")
    assert committed == expected, (
        "docs/workflows.md is out of date: python scripts/workflow_docs.py > docs/workflows.md"
    )


def test_the_document_covers_every_state_and_transition() -> None:
    from tracker.domain.builtin import BUILTIN, builtin

    text = load_script().render()
    for name in BUILTIN:
        defn = builtin(name)
        assert f"(`{name}` v1)" in text
        for key in [*defn.states, *defn.transitions]:
            assert f"| `{key}` |" in text, key
