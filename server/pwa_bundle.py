"""The first screen's modules in one file: a browser on HTTP/1.1 opens six connections to a server, so the
eighteen modules `index.html` preloads cost four round trips on a slow link, where one file costs one.

The bundle is made from the same files, when the server first serves it (no build step: it works the same from
a checkout, an editable install and `pip install .`). Each module's code runs in a block of its own (its
top-level names stay its own), in the order the browser would run the modules (dependencies first); its
imports of other bundled modules become constants read from the modules before it; what it exports is
collected. The bundle exports the union of every module's exports, and the shell's import map sends every
bundled module's address to the bundle, so a module loaded later (a screen opened later) imports the very same
functions and state. This holds for our modules as they are written, and `bundle_source` checks it: no `export
let` (a binding that changes), no name exported by two modules, no cycle; otherwise there is no bundle and the
shell loads the modules one by one as before.
"""

import posixpath
import re
from functools import lru_cache
from pathlib import Path

#: `import {a, b} from "./x.js";`, `import * as x from "./x.js";`, `import "./x.js";` (also over several lines).
IMPORT = re.compile(r'^import\s+(?:(\{[^}]*\})\s+from\s+|\*\s+as\s+([\w$]+)\s+from\s+)?"([^"]+)";[ \t]*$',
                    re.M | re.S)
EXPORTED_DECLARATION = re.compile(r"^export\s+((?:async\s+)?function\*?\s+([\w$]+)|(?:const|class)\s+([\w$]+))",
                                  re.M)
EXPORT_LIST = re.compile(r"^export\s*\{([^}]*)\};?[ \t]*$", re.M)
UNSUPPORTED = re.compile(r"^export\s+(let|var|default|\*)\b|^export\s+(const|let)\s*[\[{]|import\.meta", re.M)
PRELOADED = re.compile(r'<link rel="modulepreload" href="/app/([^"?]+)">')
ENTRY = re.compile(r'<script type="module" src="/app/([^"?]+)"></script>')


#: `import("./screens/...")` and ``import(`./screens/${name}.js`)``: resolved from the module's own folder, also
#: when the bundle runs inline in a page elsewhere (`/f/<code>`).
DYNAMIC_IMPORT = re.compile(r"""import\((["'`])\./""")
#: Where the first run keeps the modules, so the bundle loaded again by its address shares them.
REGISTRY = "__wijkstemFirstScreen"


class NotBundled(Exception):
    """A module uses something the bundle does not reproduce."""


def first_screen_modules(root: Path) -> tuple[str, list[str]]:
    """The entry module and the modules `index.html` preloads, as paths under `root`."""
    html = (root / "index.html").read_text(encoding="utf-8")
    entry = ENTRY.search(html)
    if entry is None:
        raise NotBundled("index.html has no module script")
    return entry.group(1), PRELOADED.findall(html)


def names_of(braces: str) -> list[tuple[str, str]]:
    """`{ a, b as c }` as [(a, a), (b, c)]."""
    pairs = []
    for part in braces.strip("{} \n").split(","):
        if part.strip():
            name, _as, local = part.strip().partition(" as ")
            pairs.append((name.strip(), (local or name).strip()))
    return pairs


def module_parts(root: Path, relative: str) -> tuple[list[tuple], str, list[str]]:
    """(imports as (kind, names, target), the code without its imports and `export` keywords, exported names)."""
    code = (root / relative).read_text(encoding="utf-8")
    if UNSUPPORTED.search(code):
        raise NotBundled(f"{relative} exports in a way the bundle does not keep")
    base = Path(relative).parent
    imports = []
    for braces, namespace, target in IMPORT.findall(code):
        resolved = posixpath.normpath(posixpath.join(base.as_posix(), target))
        imports.append(("names" if braces else "namespace" if namespace else "run",
                        names_of(braces) if braces else namespace, resolved))
    body = IMPORT.sub("", code)
    exported = [m.group(2) or m.group(3) for m in EXPORTED_DECLARATION.finditer(body)]
    body = EXPORTED_DECLARATION.sub(lambda m: m.group(1), body)
    for listed in EXPORT_LIST.findall(body):
        exported += [local for local, _name in names_of(listed)]
    body = EXPORT_LIST.sub("", body)
    return imports, body, exported


def evaluation_order(root: Path, entry: str, parts: dict) -> list[str]:
    """Dependencies first, as the browser runs modules; a cycle is refused."""
    order, visiting = [], set()

    def visit(relative: str) -> None:
        if relative in order:
            return
        if relative in visiting:
            raise NotBundled(f"an import cycle through {relative}")
        visiting.add(relative)
        if relative not in parts:
            parts[relative] = module_parts(root, relative)
        for _kind, _names, target in parts[relative][0]:
            visit(target)
        visiting.discard(relative)
        order.append(relative)

    visit(entry)
    return order


def bundle_source(root: Path) -> tuple[str, list[str], list[str]]:
    """The bundle's code, the modules in it (paths under `root`) and the names it exports."""
    entry, preloaded = first_screen_modules(root)
    parts: dict = {}
    order = evaluation_order(root, entry, parts)
    if set(order) != {entry, *preloaded}:
        raise NotBundled("index.html's preloads are not the entry's import graph")
    owner: dict[str, str] = {}
    blocks = []
    for relative in order:
        imports, body, exported = parts[relative]
        passed_on = {local for kind, names, _target in imports if kind == "names" for _name, local in names}
        for name in exported:
            if name in passed_on and name in owner:
                continue  # `export { compilePlural }` of an imported function: the first module's own
            if name in owner:
                raise NotBundled(f"{name} is exported by {owner[name]} and {relative}")
            owner[name] = relative
        reads = []
        for kind, names, target in imports:
            if kind == "names":
                reads.append("const { " + ", ".join(n if n == local else f"{n}: {local}" for n, local in names)
                             + f" }} = modules[{target!r}];")
            elif kind == "namespace":
                reads.append(f"const {names} = modules[{target!r}];")
        folder = posixpath.dirname(relative)
        body = DYNAMIC_IMPORT.sub(rf"import(\1/app/{folder}/", body)  # not the page's address: its own
        collected = f"modules[{relative!r}] = Object.freeze({{ {', '.join(exported)} }});"
        blocks.append(f"// {relative}\n{{\n" + "\n".join(reads) + body.rstrip() + f"\n{collected}\n}}")
    every = sorted(owner, key=lambda name: (order.index(owner[name]), name))
    source = ("// The first screen's modules in one file (server/pwa_bundle.py); once per page, whether it\n"
              "// came inline in a flyer's page or from /app/js/first-screen.js.\n"
              "function load() {\nconst modules = {};\n" + "\n".join(blocks) + "\nreturn modules;\n}\n"
              f"const modules = globalThis[{REGISTRY!r}] ??= load();\n"
              + export_line(every))
    return source, order, every


def export_line(names: list[str]) -> str:
    return "export const { " + ", ".join(names) + " } = Object.assign({}, ...Object.values(modules));\n"


def exports_source(bundle_url: str, names: list[str]) -> str:
    """A module with the bundle's exports for the modules loaded later (the import map sends the bundled
    modules' addresses here): the page ran the bundle already, inline or by its address."""
    return ("// The first screen's exports for the screens loaded later (server/pwa_bundle.py).\n"
            f"const modules = globalThis[{REGISTRY!r}] ?? (await import({bundle_url!r}), globalThis[{REGISTRY!r}]);\n"
            + export_line(names))


@lru_cache(maxsize=4)
def _bundle(root: Path, fingerprint: tuple) -> tuple[bytes, tuple[str, ...], tuple[str, ...]] | None:
    try:
        source, order, names = bundle_source(root)
    except NotBundled:
        return None
    return source.encode(), tuple(order), tuple(names)


def first_screen_bundle(root: Path) -> tuple[bytes, tuple[str, ...], tuple[str, ...]] | None:
    """(the bundle's bytes, the modules in it, the names it exports), or None when the modules cannot be
    bundled; remade when a module or `index.html` changes."""
    files = [root / "index.html", *sorted(root.rglob("*.js"))]
    return _bundle(root, tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files))
