"""Flask extensions as bare instances; `create_app` configures them."""

from functools import cached_property

from flask import current_app
from flask_babel import Babel, Domain
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData

#: Constraint names that Alembic can rely on across SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}



class AppDomain(Domain):
    """Flask-Babel's domain, but its loaded catalogs are cached per app.

    The stock domain lives on the (process-wide) `Babel` instance and caches by locale alone, so a second app
    with other translation folders (a test, a CLI beside a server) would be handed the first app's catalogs.
    """

    def get_translations_cache(self, ctx):
        return current_app.extensions.setdefault("babel_translations", {})


class AppBabel(Babel):
    @cached_property
    def domain_instance(self):
        return AppDomain(domain=self.domain)


db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
babel = AppBabel()
limiter = Limiter(key_func=get_remote_address)
