"""The server's modules import each other without cycles, and import inside a function only for a reason.

A cycle held apart by an import inside a function breaks as soon as someone moves that import to the top (or
adds code below a registration that runs at import time); so module-level imports must form no cycle, and
each import left inside a function says why on its line (``from . import create_app  # reason: ...``).
"""

import ast
import tokenize
from pathlib import Path
from typing import NamedTuple

import server

SERVER_DIR = Path(server.__file__).parent
#: Alembic's scripts are run by Alembic, not imported as modules of the package.
NOT_MODULES = ("migrations",)


class Import(NamedTuple):
    module: str  #: the importing module
    target: str  #: the imported module of the package
    line: int
    in_function: bool


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules(root: Path) -> dict[str, Path]:
    return {module_name(path, root): path for path in sorted(root.rglob("*.py"))
            if not any(part in NOT_MODULES for part in path.relative_to(root).parts)}


def imported_modules(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set) -> set:
    """The package's modules that `node` imports (``from . import name`` counts `name` when it is a module)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = module.split(".") if is_package else module.split(".")[:-1]
        if node.level:
            base = base[:len(base) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        names = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source for alias in node.names]
    found = set()
    for name in names:
        while name and name not in known:  # `import server.a.b` reaches `server.a.b`; keep the deepest module
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)
    return found


def imports_of(module: str, path: Path, known: set) -> list[Import]:
    """Every import of a package module in `path`, marked when it runs inside a function."""
    found = []

    def visit(node, in_function: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                for target in imported_modules(child, module, path.name == "__init__.py", known):
                    found.append(Import(module, target, child.lineno, in_function))
            visit(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def import_graph(root: Path) -> tuple[dict[str, set], list[Import]]:
    """The module-level import graph of the package in `root`, and every import made inside a function."""
    modules = package_modules(root)
    graph = {name: set() for name in modules}
    in_functions = []
    for name, path in modules.items():
        for found in imports_of(name, path, set(modules)):
            if found.in_function:
                in_functions.append(found)
            else:
                graph[name].add(found.target)
    return graph, in_functions


def cycles(graph: dict[str, set]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as a sorted list."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def connect(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def comment_on_line(path: Path, line: int) -> str:
    with path.open("rb") as source:
        for token in tokenize.tokenize(source.readline):
            if token.type == tokenize.COMMENT and token.start[0] == line:
                return token.string
    return ""


def test_module_level_imports_form_no_cycle():
    graph, _ = import_graph(SERVER_DIR)
    found = cycles(graph)
    assert not found, "import cycles among " + "; ".join(" ↔ ".join(component) for component in found)


def unexplained_imports(root: Path, in_functions: list[Import]) -> list[Import]:
    modules = package_modules(root)
    return [found for found in in_functions
            if not comment_on_line(modules[found.module], found.line).startswith("# reason: ")]


def test_each_import_inside_a_function_gives_its_reason():
    _, in_functions = import_graph(SERVER_DIR)
    unexplained = [f"{found.module}:{found.line} imports {found.target}"
                   for found in unexplained_imports(SERVER_DIR, in_functions)]
    assert not unexplained, "imports inside functions without a `# reason: ...` comment: " + ", ".join(unexplained)


def test_no_cycle_hides_behind_an_import_inside_a_function():
    """Only an import with a stated reason may close a cycle (a worker that builds the app the factory made)."""
    graph, in_functions = import_graph(SERVER_DIR)
    for found in unexplained_imports(SERVER_DIR, in_functions):
        graph[found.module].add(found.target)
    found = cycles(graph)
    assert not found, "cycles through imports inside functions: " + "; ".join(" ↔ ".join(c) for c in found)


def test_imports_inside_functions_are_few():
    """They hide the real dependencies; keep them to what cannot be at the top (see the reasons)."""
    _, in_functions = import_graph(SERVER_DIR)
    assert len(in_functions) <= 3, in_functions


def test_extensions_import_no_module_that_imports_the_package():
    """`extensions.py` holds bare instances: what it imports of the package (the Babel class) imports nothing
    of the package itself, so every module may import the extensions."""
    graph, _ = import_graph(SERVER_DIR)
    assert all(not graph[target] for target in graph["server.extensions"]), graph["server.extensions"]


def write_package(root: Path, files: dict[str, str]) -> Path:
    package = root / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    return package


def test_the_checks_find_a_cycle_and_an_unexplained_import(tmp_path):
    package = write_package(tmp_path, {
        "a.py": "from .b import helper\n",
        "b.py": "def helper():\n    from .c import x  # reason: c is optional\n    from . import a\n",
        "c.py": "from .sub.d import y\n",
        "sub/__init__.py": "",
        "sub/d.py": "from ..c import x\nimport io\n",
    })
    graph, in_functions = import_graph(package)
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.sub.d"] == {"pkg.c"}
    assert cycles(graph) == [["pkg.c", "pkg.sub.d"]]
    assert [(found.target, found.line) for found in in_functions] == [("pkg.c", 2), ("pkg.a", 3)]
    comments = [comment_on_line(package / "b.py", found.line) for found in in_functions]
    assert comments == ["# reason: c is optional", ""]


def test_a_package_level_import_counts_as_an_edge_to_the_package(tmp_path):
    package = write_package(tmp_path, {"__init__.py": "from .cli import main\n", "cli.py": "from . import VERSION\n"})
    graph, _ = import_graph(package)
    assert cycles(graph) == [["pkg", "pkg.cli"]]
