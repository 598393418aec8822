"""Flask-Babel, its loaded catalogs cached per app rather than per process."""

from functools import cached_property

from flask import current_app
from flask_babel import Babel, Domain


class AppDomain(Domain):
    """Flask-Babel's domain, but its loaded catalogs are cached per app.

    The stock domain lives on the (process-wide) `Babel` instance and caches by locale alone, so a second app
    with other translation folders (a test, a CLI beside a server) would be handed the first app's catalogs.
    """

    def get_translations_cache(self, ctx):
        return current_app.extensions.setdefault("babel_translations", {})


class AppBabel(Babel):
    """Flask-Babel, its catalogs cached per app (`AppDomain`)."""

    @cached_property
    def domain_instance(self):
        return AppDomain(domain=self.domain)
