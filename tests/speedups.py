"""What the test apps of one process share because no test changes it: compiled templates, parsed url rules
and their url_for builders, loaded catalogs, compiled SQL, and the answer of each password check made before.
Each test still builds an app and a database of its own (`tests/conftest.py`); these only spare every app the
same work again."""

import weakref
from pathlib import Path
from types import ModuleType

from flask import Flask
from jinja2 import BytecodeCache
from werkzeug.routing import Rule

from server.extensions import db


class TemplateCodeCache(BytecodeCache):
    """Compiled templates kept in memory for every test app of the process (each test builds an app of its own,
    whose Jinja environment would compile every template it renders again). Jinja checks each template's source
    against the code it keeps, so a changed template is compiled afresh. Every test app's environment is made
    alike by `create_app`."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()

    def clear(self):
        self.code.clear()


#: One cache of compiled templates for the whole test process (`app`).
TEMPLATE_CODE = TemplateCodeCache()

#: Flask-Babel's loaded catalogs for every test app of the process with the same translation folders and the
#: same compiled catalogs in them: ``{(folders, their .mo files and times): {(locale, domain): translations}}``.
TRANSLATIONS: dict = {}


class SharedCompiledCache:
    """SQLAlchemy's cache of compiled statements, for every test app's engine in the process: each test's app
    makes an engine of its own, whose cache starts empty, so every test compiled again each statement it ran
    (the ORM's loads, inserts and updates: a tenth of the tests' time).

    SQLAlchemy keys a compiled statement by the dialect object that compiled it and the statement's structure
    (`ClauseElement._compile_w_cache`). Here the dialect object is replaced by what a compiled statement can
    depend on: its class and its settings (`dialect_settings`), so the engines of two test apps share a
    statement only when their dialects are alike (same database kind, server version, driver, options);
    a statement never holds a test's values (SQLAlchemy keeps them out of the cache).

    The ORM keeps the INSERT, UPDATE and DELETE statements of a flush in a cache of each mapper's
    (`Mapper._compiled_cache`, a hundred statements, keyed by dialect object too): `share_compiled_sql` gives
    every mapper this one instead."""

    def __init__(self, size: int = 20_000):
        from sqlalchemy.util import LRUCache

        self.compiled = LRUCache(size)
        self.settings = weakref.WeakKeyDictionary()

    def get(self, key, default=None):
        return self.compiled.get(self.shared_key(key), default)

    def __setitem__(self, key, compiled):
        self.compiled[self.shared_key(key)] = compiled

    def shared_key(self, key):
        dialect, *rest = key
        settings = self.settings.get(dialect)
        if settings is None:
            settings = dialect_settings(dialect)
            if dialect.server_version_info is not None:  # connected once: its settings are known and stay
                self.settings[dialect] = settings
        return (settings, *rest)

    def clear(self):
        self.compiled.clear()


def dialect_settings(dialect) -> tuple:
    """A dialect's class and settings: its plain values (flags, names, versions, numbers) as they are, its
    functions by their code (the writers' queue wraps every engine's commit in a function of its own), any
    other object (the driver's module, the identifier quoter...) by its type."""
    def setting(value):
        if value is None or isinstance(value, bool | int | float | str | tuple | frozenset):
            return value
        if callable(value) and hasattr(value, "__code__"):
            return (value.__module__, value.__qualname__)
        if isinstance(value, ModuleType):
            return value.__name__
        return type(value).__qualname__

    return (type(dialect).__module__, type(dialect).__qualname__,
            *sorted((name, setting(value)) for name, value in vars(dialect).items()))


#: The compiled statements of every test app's engine (`app`) and of every mapper's flushes in the process.
COMPILED_SQL = SharedCompiledCache()


def share_compiled_sql() -> None:
    """Every mapper's flushes use `COMPILED_SQL` (each test app's engine is given it by `app`)."""
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    for mapper in db.Model.registry.mappers:
        mapper._compiled_cache = COMPILED_SQL  # SQLAlchemy's own is made on first use (a memoized attribute)


def share_translations(app: Flask) -> None:
    """Give `app` the catalogs loaded by the test apps before it (`TRANSLATIONS`) rather than reading and
    parsing every `.mo` file again: `server.i18n_babel.AppDomain` keeps them in ``app.extensions``. A test app
    with other folders, or after a catalog was compiled again, gets catalogs of its own."""
    from flask_babel import get_babel

    folders = tuple(get_babel(app).translation_directories)
    catalogs = tuple((str(path), path.stat().st_mtime_ns)
                     for folder in folders for path in sorted(Path(folder).glob("*/LC_MESSAGES/*.mo")))
    app.extensions["babel_translations"] = TRANSLATIONS.setdefault((folders, catalogs), {})


class BuilderCachingRule(Rule):
    """Werkzeug's url rule, parsed and given its `url_for` builders once per process rather than once per test
    app (~150 rules per app; parsing them and compiling two builders each, with `ast` and `compile`, was most
    of `create_app`'s time).

    The parse (werkzeug's `Rule.compile`) depends only on the rule's text, its host or subdomain, whether
    slashes are merged and the map's converter classes: it yields the matcher's parts (plain data, only read),
    the trace the builders are made from, and the converters, which are made afresh for each rule from the
    recorded names and arguments, as werkzeug makes them (a converter holds its map).

    A builder's code depends only on the rule's text, its parsed parts (`_trace`), its defaults and whether
    unknown arguments are appended (werkzeug's `Rule._compile_builder`); the rule itself comes in as an
    argument when the builder is called. Rules with defaults are compiled as werkzeug does."""

    builders: dict = {}
    parsed: dict = {}

    def compile(self):
        url_map = self.map
        domain_rule = (self.host if url_map.host_matching else self.subdomain) or ""
        key = (self.rule, domain_rule, url_map.host_matching, self.merge_slashes,
               tuple(sorted(url_map.converters.items())))
        if key not in self.parsed:
            self._converter_calls = []
            super().compile()
            self.parsed[key] = (list(self._parts), list(self._trace), self._converter_calls)
            del self._converter_calls
            return
        parts, trace, converter_calls = self.parsed[key]
        self._parts = list(parts)
        self._trace = list(trace)
        self._converters = {}
        for variable, converter, args, kwargs in converter_calls:
            self._converters[variable] = super().get_converter(variable, converter, args, kwargs)
            self.arguments.add(variable)
        self._build = self._compile_builder(False).__get__(self, None)
        self._build_unknown = self._compile_builder(True).__get__(self, None)

    def get_converter(self, variable_name, converter_name, args, kwargs):
        if hasattr(self, "_converter_calls"):  # werkzeug's parse, recorded for the next app (`compile`)
            self._converter_calls.append((variable_name, converter_name, args, kwargs))
        return super().get_converter(variable_name, converter_name, args, kwargs)

    def _compile_builder(self, append_unknown=True):
        if self.defaults:
            return super()._compile_builder(append_unknown)
        key = (self.rule, tuple(self._trace), append_unknown)
        if key not in self.builders:
            self.builders[key] = super()._compile_builder(append_unknown)
        return self.builders[key]


def remember_password_checks() -> None:
    """Each password check (scrypt, ~0.1 s of CPU on purpose) is made once per process for each pair of stored
    hash and typed password: the tests sign in with the same password against the same hash (`password_hash`)
    again and again. A check's answer depends on nothing but the pair, so every answer is the real one; a new
    hash (a new account, a changed password) has a new salt and is checked afresh."""
    from functools import lru_cache

    from server.accounts import operations

    operations.check_password_hash = lru_cache(maxsize=None)(operations.check_password_hash)
