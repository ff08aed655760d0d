#!/usr/bin/env python3
"""Tests of the structural check on small trees made for each case: it
passes a tree that keeps its layers and fails each kind of breach.

Prints `structure self-test: N passed, N failed`; exits 1 on a failure.
"""

from __future__ import annotations

import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check  # noqa: E402

LAYERS = """
[crates.lowest]
manifest = "low/Cargo.toml"
may_use = []
never = ["axum"]
src = "low/src"
layers = [
    ["base"],
    ["domain", "sub::bottom"],
    ["sub"],
    ["top"],
]

[crates.upper]
manifest = "up/Cargo.toml"
may_use = ["lowest"]
never = []
never_features = { lowest = ["sample"] }
"""

CLEAN = {
    "low/Cargo.toml": '[package]\nname = "lowest"\n[dependencies]\nserde = "1"\n',
    "up/Cargo.toml": '[package]\nname = "upper"\n[dependencies]\nlowest = { path = "../low" }\n',
    "low/src/lib.rs": "pub mod base;\npub mod domain;\npub mod sub;\npub mod top;\npub use base::Id;\n",
    "low/src/base.rs": "pub struct Id;\n",
    # through the crate root's re-export: still an import of `base`
    "low/src/domain.rs": "use crate::Id;\npub struct Thing(pub Id);\n",
    "low/src/sub/mod.rs": "pub mod bottom;\nuse bottom::Low;\npub fn f(_: Low) {}\n",
    "low/src/sub/bottom.rs": "use crate::domain::Thing;\npub struct Low(pub Thing);\n",
    "low/src/top.rs": textwrap.dedent(
        """\
        // crate::sub::f in a comment is not an import
        use crate::{domain::Thing, sub::{self, bottom::Low}};
        pub fn g(t: Thing) { sub::f(Low(t)); let _ = "crate::top"; }
        #[cfg(test)]
        mod tests {
            use crate::top::g;
        }
        """
    ),
}


def run(files: dict[str, str], layers: str = LAYERS) -> list[str]:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "layers.toml").write_text(layers)
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        lines = check.check(root)
        return lines[:-1]


def fails(changes: dict[str, str], expected: str) -> None:
    """The clean tree with `changes` (file name -> text) fails the check
    with a problem that contains `expected`."""
    problems = run({**CLEAN, **changes})
    assert any(expected in p for p in problems), problems


CASES = []


def case(f):
    CASES.append(f)
    return f


@case
def a_tree_that_keeps_its_layers_passes():
    problems = run(CLEAN)
    assert problems == [], problems


@case
def an_upward_import_fails():
    fails(
        {"low/src/base.rs": "use crate::top::g;\npub struct Id;\n"},
        "`base` (layer 1) imports `top` (layer 4): an import that runs upwards",
    )


@case
def an_upward_import_through_a_reexport_fails():
    fails(
        {
            "low/src/sub/mod.rs": "pub mod bottom;\npub use crate::top::g;\n",
            "low/src/domain.rs": "use crate::sub::g;\npub struct Thing;\n",
        },
        "`domain` (layer 2) imports `top`",
    )


@case
def a_lower_part_of_a_folder_may_not_import_its_face():
    fails(
        {"low/src/sub/bottom.rs": "use super::f;\npub struct Low;\n"},
        "`sub::bottom` (layer 2) imports `sub` (layer 3)",
    )


@case
def a_circle_within_one_layer_fails():
    fails(
        {
            "low/src/base.rs": "pub struct Id;\n",
            "low/src/domain.rs": "use crate::sub::bottom::Low;\npub struct Thing;\n",
        },
        "circle: domain, sub::bottom",
    )


@case
def a_module_in_no_layer_fails():
    fails(
        {"low/src/stray.rs": "pub struct S;\n"},
        "module `stray` is in no layer",
    )


@case
def a_forbidden_dependency_fails():
    fails(
        {"low/Cargo.toml": '[package]\nname = "lowest"\n[dependencies]\naxum = "0.8"\n'},
        "lowest: depends on axum, forbidden",
    )


@case
def a_workspace_crate_it_may_not_use_fails():
    fails(
        {"low/Cargo.toml": '[package]\nname = "lowest"\n[dependencies]\nupper = { path = "../up" }\n'},
        "lowest: depends on upper, which layers.toml does not allow",
    )


@case
def a_forbidden_feature_fails():
    fails(
        {"up/Cargo.toml": '[package]\nname = "upper"\n[dependencies]\nlowest = { path = "../low", features = ["sample"] }\n'},
        "upper: enables feature sample of lowest, forbidden",
    )


@case
def test_code_may_reach_anywhere():
    files = dict(CLEAN)
    files["low/src/base.rs"] = "pub struct Id;\n#[cfg(test)]\nmod tests {\n    use crate::top::g;\n}\n"
    files["low/src/tests.rs"] = "use crate::top::g;\n"
    assert run(files) == []


def main() -> int:
    passed = failed = 0
    for f in CASES:
        try:
            f()
            passed += 1
            print(f"ok   {f.__name__}")
        except AssertionError as e:
            failed += 1
            print(f"FAIL {f.__name__}: {e}")
    print(f"structure self-test: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
