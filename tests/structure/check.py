#!/usr/bin/env python3
"""The structural check: the layers declared in `layers.toml` hold in the code.

Reads every Rust file of each crate named in `layers.toml`, takes the modules
each one imports (`use crate::…`, `super::…`, and paths written inline), and
fails when

- a module imports one placed in a higher layer (an import that runs upwards),
- modules of the crate import each other in a circle (in one layer too),
- a module is placed in no layer,
- a crate depends on a workspace crate it may not, or on an external crate
  forbidden to it (the core on HTTP, the bindings on the hub, ...), or
  enables a feature forbidden to it (the phone library the sample data).

Test code (`#[cfg(test)]` modules, `tests.rs` files) is not read: tests may
reach anywhere. A module's own `mod.rs` may import its children (it is the
room's face); children import it or each other by the same rules.

Usage: check.py [ROOT]   (ROOT: the repository, default: two folders up)
Prints one line per problem and `structure: N crates, N modules, N imports,
N problems`; exits 1 when there is a problem.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path


def strip_comments_and_strings(src: str) -> str:
    """Source with comments, string and char literals blanked (same length)."""
    out = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', src[i:i + 10]) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            m = re.match(r'r(#*)"', src[i:])
            end = '"' + m.group(1)
            j = src.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            j += 1
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", src[i:i + 4]) or (c == "'" and src.startswith("'\\", i)):
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\x[0-9a-fA-F]{2}|\\.|[^\\'])'", src[i:])
            if m:
                out.append(" " * len(m.group(0)))
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def strip_test_modules(src: str) -> str:
    """Removes `#[cfg(test)] mod name { ... }` blocks (brace-matched)."""
    while True:
        m = re.search(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", src)
        if not m:
            return src
        depth, j = 1, m.end()
        while j < len(src) and depth:
            depth += {"{": 1, "}": -1}.get(src[j], 0)
            j += 1
        src = src[: m.start()] + src[j:]


def expand_use_tree(tree: str) -> list[str]:
    """`a::{b, c::{d, e}}` -> [`a::b`, `a::c::d`, `a::c::e`]."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)
    tree = re.sub(r"\s+", "", tree)

    def split_top(s: str) -> list[str]:
        parts, depth, cur = [], 0, ""
        for ch in s:
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
                continue
            depth += {"{": 1, "}": -1}.get(ch, 0)
            cur += ch
        if cur:
            parts.append(cur)
        return parts

    def walk(prefix: str, s: str) -> list[str]:
        i = s.find("{")
        if i < 0:
            return [prefix + s]
        head, body = s[:i], s[i + 1 : s.rfind("}")]
        out = []
        for part in split_top(body):
            out.extend(walk(prefix + head, part))
        return out

    return walk("", tree)


class Crate:
    def __init__(self, root: Path, name: str, spec: dict):
        self.name = name
        self.src = root / spec["src"]
        self.layers: list[list[str]] = spec["layers"]
        self.files: dict[str, Path] = {}  # module path -> file
        self._reexports: dict[str, dict[str, list[str]]] = {}
        for f in sorted(self.src.rglob("*.rs")):
            rel = f.relative_to(self.src)
            if f.name == "tests.rs" or "tests" in rel.parts[:-1]:
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] in ("mod", "lib", "main"):
                parts = parts[:-1]
            self.files["::".join(parts)] = f

    def layer_of(self, module: str) -> int | None:
        best, best_len = None, -1
        for index, layer in enumerate(self.layers):
            for entry in layer:
                if module == entry or module.startswith(entry + "::"):
                    if len(entry) > best_len:
                        best, best_len = index, len(entry)
        return best

    def reexports(self, module: str) -> dict[str, list[str]]:
        """Names a module hands on with `pub use`: name -> crate-relative path."""
        if module not in self._reexports:
            found: dict[str, list[str]] = {}
            src = strip_test_modules(strip_comments_and_strings(self.files[module].read_text(encoding="utf-8")))
            for m in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);", src):
                for p in expand_use_tree(m.group(1)):
                    full = self.absolute(module, p.split("::"))
                    if full:
                        found[full[-1]] = full
            self._reexports[module] = found
        return self._reexports[module]

    def absolute(self, module: str, p: list[str]) -> list[str] | None:
        """A `crate::`, `self::` or `super::` path as a crate-relative one."""
        here = module.split("::") if module else []
        if p[0] == "crate":
            return p[1:]
        if p[0] in ("self", "super"):
            base = here if p[0] == "self" else here[:-1]
            rest = p[1:]
            while rest and rest[0] == "super":
                base, rest = base[:-1], rest[1:]
            return base + rest
        child = "::".join(here + [p[0]])
        if child in self.files:  # a path relative to this module's own children
            return here + p
        return None

    def resolve(self, path: list[str], depth: int = 0) -> str | None:
        """The module that defines what a crate-relative path names: the
        longest known module it starts with, followed through `pub use`."""
        for k in range(len(path), -1, -1):
            cand = "::".join(path[:k])
            if cand in self.files:
                if k < len(path) and depth < 8:
                    handed = self.reexports(cand).get(path[k])
                    if handed and handed != path[: k + 1]:
                        return self.resolve(handed + path[k + 1 :], depth + 1)
                return cand
        return None

    def imports(self, module: str) -> set[str]:
        src = strip_test_modules(strip_comments_and_strings(self.files[module].read_text(encoding="utf-8")))
        is_dir_module = self.files[module].name in ("mod.rs", "lib.rs", "main.rs")
        paths: list[list[str]] = []
        for m in re.finditer(r"\buse\s+([^;]+);", src):
            for p in expand_use_tree(m.group(1)):
                paths.append(p.split("::"))
        for m in re.finditer(r"(?<![\w:])((?:crate|super|self)(?:::\w+)+)", src):
            paths.append(m.group(1).split("::"))
        found = set()
        for p in paths:
            full = self.absolute(module, p) if p else None
            if full is None:
                continue
            target = self.resolve(full)
            if target is None or target == module:
                continue
            # a room's face may import its own children
            if is_dir_module and (module == "" or target.startswith(module + "::")) and target != "":
                continue
            found.add(target)
        return found


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def dependencies(manifest: Path) -> dict[str, set[str]]:
    """Normal and build dependencies, each with the features it enables."""
    data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    deps: dict[str, set[str]] = {}
    for table in ("dependencies", "build-dependencies"):
        for name, spec in data.get(table, {}).items():
            key = spec.get("package", name) if isinstance(spec, dict) else name
            features = set(spec.get("features", [])) if isinstance(spec, dict) else set()
            deps.setdefault(key, set()).update(features)
    return deps


def check(root: Path) -> list[str]:
    layers_file = root / "layers.toml"
    spec = tomllib.loads(layers_file.read_text(encoding="utf-8"))
    problems: list[str] = []
    modules = imports = 0
    for crate_name, rules in spec.get("crates", {}).items():
        manifest = root / rules["manifest"]
        deps = dependencies(manifest)
        workspace = set(spec["crates"])
        allowed = set(rules.get("may_use", []))
        for dep in sorted(deps):
            if dep in workspace and dep not in allowed:
                problems.append(f"{crate_name}: depends on {dep}, which layers.toml does not allow")
            if dep in set(rules.get("never", [])):
                problems.append(f"{crate_name}: depends on {dep}, forbidden to it by layers.toml")
            for feature in sorted(deps[dep] & set(rules.get("never_features", {}).get(dep, []))):
                problems.append(f"{crate_name}: enables feature {feature} of {dep}, forbidden to it by layers.toml")
        if "src" not in rules:
            continue
        crate = Crate(root, crate_name, rules)
        graph: dict[str, set[str]] = {}
        for module in crate.files:
            modules += 1
            if crate.layer_of(module) is None and module != "":
                problems.append(f"{crate_name}: module `{module or 'crate root'}` is in no layer of layers.toml")
                continue
            graph[module] = crate.imports(module)
            imports += len(graph[module])
        for module, targets in sorted(graph.items()):
            if module == "":
                continue
            mine = crate.layer_of(module)
            for t in sorted(targets):
                theirs = crate.layer_of(t) if t else None
                if t == "" or theirs is None:
                    problems.append(f"{crate_name}: `{module}` imports the crate root or an unplaced module `{t}`")
                elif theirs > mine:
                    problems.append(
                        f"{crate_name}: `{module}` (layer {mine + 1}) imports `{t}` (layer {theirs + 1}): an import that runs upwards"
                    )
        for cycle in find_cycles({k: v for k, v in graph.items() if k}):
            problems.append(f"{crate_name}: modules import each other in a circle: {', '.join(cycle)}")
    problems.append(f"structure: {len(spec.get('crates', {}))} crates, {modules} modules, {imports} imports")
    return problems


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]
    lines = check(root)
    summary = lines.pop()
    for line in lines:
        print(line)
    print(f"{summary}, {len(lines)} problems")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
