"""What the templates of every server-rendered page may call."""

from .accounts.auth import current_user, role_name, team_kind_name
from .csrf import csrf_field, csrf_token
from .forms import field_value
from .i18n import LANGUAGES, catalog_languages, current_language, format_size, text_direction


def template_globals() -> dict:
    """The auth, CSRF, form and language helpers, by the names the templates use."""
    return {
        "csrf_field": csrf_field, "csrf_token": csrf_token, "current_user": current_user, "field_value": field_value,
        "current_language": current_language, "all_languages": LANGUAGES, "workspace_languages": catalog_languages,
        "text_direction": text_direction, "role_name": role_name, "team_kind_name": team_kind_name,
        "file_size": format_size,
    }
