"""The package's import structure, read from the source (nothing imported).

    python scripts/structure.py [--verbose]

Prints the import cycles between the product modules (counting imports
inside functions too: a function-level import does not remove a cycle, it
hides it), the function-level imports (each must say why it is deferred,
in a ``# deferred: <reason>`` comment on the line above), and the product
files over the size the design promises. ``tests/unit/
test_structure.py`` holds the package to it.
"""

import argparse
import ast
import os
import sys
from dataclasses import dataclass, field

PACKAGE = "fiftyone_labelstudio"
PRODUCT_DIRS = ("", "backend", "client", "converters", "operators")
PRODUCT_DIRS += ("panels", "service")
MAX_LINES = 400
# The comment a deliberate function-level import carries on the line above
DEFERRED = "# deferred:"


@dataclass
class Structure:
    modules: dict  # dotted name (without the package) -> path
    edges: dict = field(default_factory=dict)  # module -> imported modules
    deferred: list = field(default_factory=list)  # (module, line, reason)
    undeclared: list = field(default_factory=list)  # (module, line, names)

    def cycles(self) -> list:
        """Strongly connected sets of two or more modules."""
        return _strongly_connected(self.edges)

    def long_files(self, limit: int = MAX_LINES) -> list:
        out = []
        for name, path in sorted(self.modules.items()):
            with open(path) as f:
                num = sum(1 for _ in f)
            if num > limit:
                out.append((name, num))
        return out


def read(root: str) -> Structure:
    """Reads every product module under ``root`` (the package directory)."""
    modules = {}
    for sub in PRODUCT_DIRS:
        folder = os.path.join(root, sub)
        if not os.path.isdir(folder):
            continue
        for fname in sorted(os.listdir(folder)):
            if fname.endswith(".py"):
                modules[_module_name(sub, fname)] = os.path.join(folder, fname)
    structure = Structure(modules, {m: set() for m in modules})
    for name, path in modules.items():
        _read_module(structure, name, path)
    return structure


def _module_name(sub: str, fname: str) -> str:
    stem = fname[:-3]
    parts = [p for p in (sub, stem) if p and p != "__init__"]
    return ".".join(parts) or "__init__"


def _read_module(structure, name, path):
    with open(path) as f:
        lines = f.read().splitlines()
    tree = ast.parse("\n".join(lines), path)
    is_package = path.endswith("__init__.py")

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                targets = _targets(structure, name, is_package, child)
                structure.edges[name].update(t for t in targets if t != name)
                if in_function:
                    reason = _deferred_reason(lines, child.lineno)
                    if reason is not None:
                        structure.deferred.append((name, child.lineno, reason))
                    else:
                        what = sorted(targets) or _imported_names(child)
                        structure.undeclared.append((name, child.lineno, what))
            nested = isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            )
            visit(child, in_function or nested)

    visit(tree, False)


def _deferred_reason(lines, lineno):
    """The reason of the ``# deferred:`` comment above an import: the
    comment may span lines and cover the imports right below it."""
    i = lineno - 2
    while i >= 0:
        text = lines[i].strip()
        if text.startswith(DEFERRED):
            return text[len(DEFERRED) :].strip()
        if not (text.startswith("#") or text.startswith(("import ", "from "))):
            return None
        i -= 1
    return None


def _imported_names(node) -> list:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return ["%s%s" % ("." * node.level, node.module or "")]


def _targets(structure, name, is_package, node) -> set:
    """The package's modules an import statement reads."""
    modules = structure.modules
    if isinstance(node, ast.Import):
        return {
            alias.name[len(PACKAGE) + 1 :] or "__init__"
            for alias in node.names
            if alias.name.startswith(PACKAGE + ".")
        }
    if node.level:
        base = name.split(".") if name != "__init__" else []
        if not is_package:
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    elif (node.module or "").split(".")[0] == PACKAGE:
        target = node.module[len(PACKAGE) + 1 :]
    else:
        return set()
    out = set()
    for alias in node.names:
        sub = ".".join(p for p in (target, alias.name) if p)
        out.add(sub if sub in modules else (target or "__init__"))
    return {t for t in out if t in modules}


def _strongly_connected(graph: dict) -> list:
    """Tarjan's algorithm, iterative."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "root", nargs="?", default=os.path.dirname(os.path.dirname(__file__))
    )
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    structure = read(os.path.abspath(args.root))
    cycles = structure.cycles()
    print("modules: %d" % len(structure.modules))
    print("import cycles: %d %s" % (len(cycles), cycles or ""))
    print(
        "function-level imports: %d deferred on purpose, %d without a "
        "reason" % (len(structure.deferred), len(structure.undeclared))
    )
    if args.verbose:
        for name, line, what in structure.deferred + structure.undeclared:
            print("  %s:%d %s" % (name, line, what))
    print("files over %d lines: %s" % (MAX_LINES, structure.long_files()))
    return 1 if cycles or structure.undeclared else 0


if __name__ == "__main__":
    sys.exit(main())
