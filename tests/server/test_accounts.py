"""Accounts, sessions, sign-in limits, CSRF and the admin's teams and users."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.accounts.models import User, UserSession
from server.extensions import db
from server.teams.models import Team
from server.util import utcnow
from tests.conftest import PASSWORD, WebClient


def sign_in_form(web, email, password=PASSWORD, **extra):
    return web.post("/workspace/sign-in", {"email": email, "password": password, **extra})


def open_sessions(user) -> list[UserSession]:
    return db.session.scalars(select(UserSession).where(UserSession.user_id == user.id,
                                                        UserSession.revoked_at.is_(None))).all()


def test_sign_in_page_speaks_dutch_by_default(web):
    reply = web.get("/workspace/sign-in")
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert '<html lang="nl" dir="ltr">' in html
    assert "Inloggen" in html
    assert 'name="csrf_token"' in html


def test_signing_in_sets_a_safe_cookie_and_opens_the_workspace(web, make_user, team):
    user = make_user("coordinator", [team])
    reply = sign_in_form(web, user.email.upper())
    assert reply.status_code == 303
    assert reply.headers["Location"] == "/workspace/"
    cookie = next(c for c in reply.headers.getlist("Set-Cookie") if c.startswith("wijkstem_session="))
    assert "wijkstem_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # http://localhost cannot keep a Secure cookie
    page = web.get("/workspace/")
    assert page.status_code == 200
    assert team.name in page.get_data(as_text=True)
    assert len(open_sessions(user)) == 1


@pytest.mark.parametrize("base_url", ["http://wijkstem.example.nl", "https://wijkstem.example.nl",
                                      "https://127.0.0.1"])
def test_cookie_is_secure_off_localhost(client, base_url):
    reply = client.get("/workspace/sign-in", base_url=base_url)
    cookie = reply.headers["Set-Cookie"]
    assert "wijkstem_session=" in cookie and "Secure" in cookie


@pytest.mark.parametrize("email, password", [("coordinator-1@example.org", "wrong password!"),
                                             ("nobody@example.org", PASSWORD)])
def test_wrong_address_or_password_gets_one_message_and_no_session(web, make_user, team, email, password):
    make_user("coordinator", [team])
    reply = sign_in_form(web, email, password)
    assert reply.status_code == 401
    assert "Het e-mailadres of het wachtwoord klopt niet." in reply.get_data(as_text=True)
    assert db.session.scalars(select(UserSession)).all() == []
    assert web.get("/workspace/").status_code == 302


def test_empty_sign_in_form_names_the_missing_fields(web):
    reply = web.post("/workspace/sign-in", {"email": "", "password": ""})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert html.count("Vul dit veld in.") >= 2
    assert 'aria-invalid="true"' in html


def test_disabled_account_cannot_sign_in(web, make_user, team):
    user = make_user("coordinator", [team])
    user.disabled_at = utcnow()
    db.session.commit()
    assert sign_in_form(web, user.email).status_code == 401


def test_sign_in_follows_next_only_within_the_site(web, make_user, team):
    user = make_user("coordinator", [team])
    reply = sign_in_form(web, user.email, next="/workspace/account")
    assert reply.headers["Location"] == "/workspace/account"
    other = WebClient(web.client.application.test_client())
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        assert sign_in_form(other, user.email, next=target).headers["Location"] == "/workspace/"


def test_anonymous_visitor_is_sent_to_sign_in_with_the_way_back(web):
    reply = web.get("/workspace/account")
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/workspace/sign-in?next=/workspace/account"


def test_form_without_csrf_token_is_refused_and_changes_nothing(web_as, make_user, team):
    user = make_user("coordinator", [team])
    web = web_as(user)
    reply = web.post("/workspace/account/sign-out-everywhere", csrf=False)
    assert reply.status_code == 400
    assert "verlopen" in reply.get_data(as_text=True)
    reply = web.post("/workspace/account/sign-out-everywhere", {"csrf_token": "guessed" * 6})
    assert reply.status_code == 400
    assert len(open_sessions(user)) == 1


class TestSignInLimits:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "RATELIMIT_SIGN_IN": "3/minute", "RATELIMIT_SIGN_IN_ACCOUNT": "5/minute"}

    def test_sign_in_is_rate_limited_per_address(self, web, make_user, team):
        user = make_user("coordinator", [team])
        statuses = [sign_in_form(web, user.email, "wrong password!").status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        reply = sign_in_form(web, user.email)  # even the right password waits now
        assert reply.status_code == 429
        assert "Te veel pogingen" in reply.get_data(as_text=True)

    def test_sign_in_is_rate_limited_per_account_across_addresses(self, app, make_user, team):
        user = make_user("coordinator", [team])
        statuses = []
        for number in range(6):
            web = WebClient(app.test_client())
            web.client.environ_base["REMOTE_ADDR"] = f"10.0.0.{number + 1}"
            statuses.append(sign_in_form(web, user.email, "wrong password!").status_code)
        assert statuses == [401] * 5 + [429]

    def test_a_stranger_cannot_lock_the_owner_out(self, app, make_user, team):
        """Wrong passwords from many addresses block the account for new browsers, never for the owner's own."""
        user = make_user("coordinator", [team])
        owner = WebClient(app.test_client())
        owner.client.environ_base["REMOTE_ADDR"] = "10.0.9.9"
        assert sign_in_form(owner, user.email).status_code == 303
        owner.post("/workspace/sign-out")
        for number in range(8):
            stranger = WebClient(app.test_client())
            stranger.client.environ_base["REMOTE_ADDR"] = f"10.0.1.{number + 1}"
            sign_in_form(stranger, user.email, "wrong password!")
        assert sign_in_form(stranger, user.email).status_code == 429  # even with the right password
        assert sign_in_form(owner, user.email).status_code == 303

    def test_a_stranger_sharing_the_owners_address_cannot_lock_them_out(self, app, make_user, team):
        user = make_user("coordinator", [team])
        owner, stranger = WebClient(app.test_client()), WebClient(app.test_client())
        assert sign_in_form(owner, user.email).status_code == 303
        owner.post("/workspace/sign-out")
        assert [sign_in_form(stranger, user.email, "wrong!").status_code for _ in range(4)][-1] == 429
        assert sign_in_form(owner, user.email).status_code == 303

    def test_the_owners_browser_still_cannot_guess_without_limit(self, app, make_user, team):
        user = make_user("coordinator", [team])
        web = WebClient(app.test_client())
        assert sign_in_form(web, user.email).status_code == 303
        web.post("/workspace/sign-out")
        statuses = [sign_in_form(web, user.email, "wrong password!").status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]  # 3/minute for this browser, account and address

    def test_a_forged_known_browser_cookie_counts_as_a_new_browser(self, app, make_user, team):
        user = make_user("coordinator", [team])
        web = WebClient(app.test_client())
        web.client.set_cookie("wijkstem_known", "WyJhYmMiXQ.forged", path="/workspace/sign-in")
        statuses = [sign_in_form(web, user.email, "wrong password!").status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]

    def test_the_known_browser_cookie_names_no_email_address(self, app, make_user, team):
        user = make_user("coordinator", [team])
        web = WebClient(app.test_client())
        reply = sign_in_form(web, user.email)
        cookie = next(c for c in reply.headers.getlist("Set-Cookie") if c.startswith("wijkstem_known="))
        assert "HttpOnly" in cookie and "Path=/workspace/sign-in" in cookie
        assert "example" not in cookie and "coordinator" not in cookie


def test_idle_session_ends(web_as, make_user, team):
    user = make_user("coordinator", [team])
    web = web_as(user)
    session = open_sessions(user)[0]
    session.last_seen_at = utcnow() - timedelta(minutes=121)
    db.session.commit()
    assert web.get("/workspace/").status_code == 302


def test_session_ends_after_its_absolute_limit_however_busy(web_as, make_user, team):
    user = make_user("coordinator", [team])
    web = web_as(user)
    session = open_sessions(user)[0]
    session.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert web.get("/workspace/").status_code == 302


def test_use_keeps_the_session_alive(web_as, make_user, team):
    user = make_user("coordinator", [team])
    web = web_as(user)
    session = open_sessions(user)[0]
    session.last_seen_at = utcnow() - timedelta(minutes=100)
    db.session.commit()
    assert web.get("/workspace/").status_code == 200
    db.session.expire_all()
    assert utcnow() - open_sessions(user)[0].last_seen_at < timedelta(minutes=1)


def test_sign_out_ends_the_session_for_good(web_as, make_user, team):
    user = make_user("coordinator", [team])
    web = web_as(user)
    with web.client.session_transaction() as cookie:
        stolen = dict(cookie)
    assert web.post("/workspace/sign-out").status_code == 303
    assert open_sessions(user) == []
    replay = WebClient(web.client.application.test_client())
    with replay.client.session_transaction() as cookie:
        cookie.update(stolen)
    assert replay.get("/workspace/").status_code == 302


def test_sign_out_everywhere_ends_every_session(web_as, make_user, team):
    user = make_user("coordinator", [team])
    laptop, phone = web_as(user), web_as(user)
    assert len(open_sessions(user)) == 2
    assert laptop.post("/workspace/account/sign-out-everywhere").status_code == 303
    assert phone.get("/workspace/").status_code == 302
    assert laptop.get("/workspace/").status_code == 302


def test_password_change_checks_the_old_one_and_signs_out_elsewhere(web_as, make_user, team):
    user = make_user("coordinator", [team])
    web, elsewhere = web_as(user), web_as(user)
    reply = web.post("/workspace/account/password", {"current_password": "not it at all",
                                                     "new_password": "a new long password",
                                                     "confirm_password": "a new long password"})
    assert reply.status_code == 422
    assert "Dit is niet je huidige wachtwoord." in reply.get_data(as_text=True)
    reply = web.post("/workspace/account/password", {"current_password": PASSWORD, "new_password": "short",
                                                     "confirm_password": "different"})
    html = reply.get_data(as_text=True)
    assert "Gebruik minstens 10 tekens." in html and "De twee wachtwoorden verschillen." in html
    reply = web.post("/workspace/account/password", {"current_password": PASSWORD,
                                                     "new_password": "a new long password",
                                                     "confirm_password": "a new long password"})
    assert reply.status_code == 303
    assert web.get("/workspace/").status_code == 200
    assert elsewhere.get("/workspace/").status_code == 302
    fresh = WebClient(web.client.application.test_client())
    assert sign_in_form(fresh, user.email, "a new long password").status_code == 303


def test_language_switch_sets_cookie_direction_and_preference(web_as, make_user, team):
    user = make_user("coordinator", [team])
    web = web_as(user)
    reply = web.post("/workspace/language", {"lang": "ar", "next": "/workspace/account"})
    assert reply.status_code == 303 and reply.headers["Location"] == "/workspace/account"
    assert "lang=ar" in reply.headers["Set-Cookie"]
    html = web.get("/workspace/account").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    db.session.expire_all()
    assert db.session.get(User, user.id).language == "ar"


def test_unknown_language_is_refused(web):
    reply = web.post("/workspace/language", {"lang": "xx"})
    assert reply.status_code == 422


def test_stored_language_returns_at_sign_in(web, make_user, team):
    user = make_user("coordinator", [team])
    user.language = "en"
    db.session.commit()
    reply = sign_in_form(web, user.email)
    assert "lang=en" in reply.headers["Set-Cookie"]
    assert '<html lang="en"' in web.get("/workspace/").get_data(as_text=True)


# --- admin -------------------------------------------------------------------------------------------

def make_server_admin(make_user, teams=()):
    """An administrator with the right to manage every account and team (`wijkstem grant-server-admin`)."""
    user = make_user("admin", teams)
    user.server_admin = True
    db.session.commit()
    return user


def test_admin_makes_a_team_and_an_account_that_can_sign_in(web_as, make_user):
    admin = web_as(make_server_admin(make_user))
    reply = admin.post("/workspace/admin/teams", {"name": "Wijkteam Zuid", "slug": "wijkteam-zuid",
                                                  "kind": "municipal"})
    assert reply.status_code == 303
    team = db.session.scalars(select(Team).where(Team.slug == "wijkteam-zuid")).one()
    reply = admin.post("/workspace/admin/users/new", {"email": "Fatima@Example.org", "name": "Fatima",
                                                      "role": "coordinator", "teams": str(team.id),
                                                      "password": "a long first password"})
    assert reply.status_code == 303
    fatima = db.session.scalars(select(User).where(User.email == "fatima@example.org")).one()
    assert fatima.team_ids == {team.id} and fatima.password_hash.startswith("scrypt:")
    web = WebClient(admin.client.application.test_client())
    assert sign_in_form(web, "fatima@example.org", "a long first password").status_code == 303
    # the admin chose the password: Fatima chooses her own before anything else
    assert web.get("/workspace/").headers["Location"].startswith("/workspace/account")
    assert web.post("/workspace/account/password", {
        "current_password": "a long first password", "new_password": "my very own password",
        "confirm_password": "my very own password"}).status_code == 303
    assert "Wijkteam Zuid" in web.get("/workspace/").get_data(as_text=True)


def test_new_user_form_explains_every_mistake(web_as, make_user):
    signed_in = make_user("admin")
    admin = web_as(signed_in)
    reply = admin.post("/workspace/admin/users/new", {"email": "not an address", "role": "boss",
                                                      "password": "short"})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert "Gebruik minstens 10 tekens." in html
    assert "Geen geldig e-mailadres." in html
    assert "Moet een van deze zijn: admin, coordinator, field_worker." in html
    assert db.session.scalars(select(User)).all() == [signed_in]


def test_taken_address_and_short_name_are_refused(web_as, make_user, team):
    admin = web_as(make_server_admin(make_user))
    taken = make_user("coordinator", [team])
    reply = admin.post("/workspace/admin/users/new", {"email": taken.email, "role": "coordinator",
                                                      "teams": str(team.id), "password": "a long first password"})
    assert reply.status_code == 409
    assert "bestaat al" in reply.get_data(as_text=True)
    reply = admin.post("/workspace/admin/teams", {"name": "X", "slug": team.slug, "kind": "initiative"})
    assert reply.status_code == 409
    reply = admin.post("/workspace/admin/teams", {"name": "X", "slug": "Not A Slug!", "kind": "initiative"})
    assert reply.status_code == 422


def test_admin_disables_an_account_and_its_sessions_end(web_as, make_user, team):
    admin = web_as(make_user("admin", [team]))
    user = make_user("coordinator", [team])
    victim = web_as(user)
    reply = admin.post(f"/workspace/admin/users/{user.id}", {"name": "", "role": "coordinator",
                                                            "teams": str(team.id)})
    assert reply.status_code == 303
    assert victim.get("/workspace/").status_code == 302
    assert sign_in_form(WebClient(admin.client.application.test_client()), user.email).status_code == 401


def test_admin_cannot_lock_themselves_out(web_as, make_user, team):
    me = make_user("admin", [team])
    admin = web_as(me)
    reply = admin.post(f"/workspace/admin/users/{me.id}", {"role": "coordinator", "active": "1",
                                                          "teams": str(team.id)})
    assert reply.status_code == 422
    db.session.expire_all()
    assert db.session.get(User, me.id).role == "admin"


def test_admin_adds_and_removes_members_by_address(web_as, make_user, team):
    admin = web_as(make_user("admin", [team]))
    user = make_user("field_worker")
    assert admin.post(f"/workspace/admin/teams/{team.id}/members", {"email": user.email}).status_code == 303
    db.session.expire_all()
    assert db.session.get(User, user.id).team_ids == {team.id}
    reply = admin.post(f"/workspace/admin/teams/{team.id}/members", {"email": "nobody@example.org"})
    assert reply.status_code == 422
    assert admin.post(f"/workspace/admin/teams/{team.id}/members/{user.id}/remove").status_code == 303
    db.session.expire_all()
    assert db.session.get(User, user.id).team_ids == set()


# --- create-admin ------------------------------------------------------------------------------------

def test_create_admin_reads_the_password_from_stdin(runner, team):
    result = runner.invoke(args=["create-admin", "Root@Example.org", "--password-stdin", "--team", team.slug],
                           input="a long admin password\n")
    assert result.exit_code == 0, result.output
    admin = db.session.scalars(select(User).where(User.email == "root@example.org")).one()
    assert admin.role == "admin" and admin.team_ids == {team.id}


def test_create_admin_asks_twice_when_typing(runner):
    result = runner.invoke(args=["create-admin", "root@example.org"],
                           input="a long admin password\na long admin password\n")
    assert result.exit_code == 0, result.output
    assert "Password" in result.output and "a long admin password" not in result.output


def test_create_admin_refuses_a_short_password_and_a_taken_address(runner, make_user):
    result = runner.invoke(args=["create-admin", "root@example.org", "--password-stdin"], input="short\n")
    assert result.exit_code != 0 and "password" in result.output
    taken = make_user("coordinator")
    result = runner.invoke(args=["create-admin", taken.email, "--password-stdin"], input="a long password!\n")
    assert result.exit_code != 0
    assert db.session.scalars(select(User).where(User.role == "admin")).all() == []


def test_the_user_form_edits_the_chosen_account_and_the_new_user_form_makes_one(web_as, make_user, team):
    """The page's account is not the signed-in admin (whom the page header also knows as `user`)."""
    admin = make_user("admin", [team], email="admin@example.org")
    other = make_user("coordinator", [team], email="fatima@example.org")
    browser = web_as(admin)
    new = browser.get("/workspace/admin/users/new").get_data(as_text=True)
    assert 'action="/workspace/admin/users/new"' in new and 'id="f-email"' in new
    edit = browser.get(f"/workspace/admin/users/{other.id}").get_data(as_text=True)
    assert f'action="/workspace/admin/users/{other.id}"' in edit and "fatima@example.org" in edit
    assert f'action="/workspace/admin/users/{admin.id}"' not in edit


@pytest.mark.slow  # the whole demo: every shipped clip written to the store, its accounts' passwords hashed
def test_demo_prints_a_coordinator_who_can_sign_in_and_a_new_password_each_start(app, runner, web):
    import re

    first = runner.invoke(args=["demo"])
    second = runner.invoke(args=["demo"])
    passwords = [re.search(r"with password (\S+)", run.output).group(1) for run in (first, second)]
    assert passwords[0] != passwords[1]
    from server.demo import DEMO_COORDINATOR

    assert sign_in_form(web, DEMO_COORDINATOR, passwords[0]).status_code != 303
    assert sign_in_form(web, DEMO_COORDINATOR, passwords[1]).status_code == 303
    assert "Onze buurt, jouw stem" in web.get("/workspace/").get_data(as_text=True)


# --- team admins and server administrators (issue 11 §2) ---------------------------------------------------

def test_a_team_admin_makes_no_teams_and_no_accounts_outside_their_teams(web_as, make_user, team):
    from tests.factories import make_team

    other = make_team()
    db.session.commit()
    admin = web_as(make_user("admin", [team]))
    reply = admin.post("/workspace/admin/teams", {"name": "Eigen team", "slug": "eigen", "kind": "initiative"})
    assert reply.status_code == 403
    assert "Make team" not in admin.get("/workspace/admin/teams").get_data(as_text=True)
    reply = admin.post("/workspace/admin/users/new", {"email": "b@example.org", "role": "admin",
                                                      "teams": str(other.id), "password": "a long first password"})
    assert reply.status_code == 422
    assert db.session.scalars(select(User).where(User.email == "b@example.org")).first() is None
    assert "Andere Buurt" not in admin.get("/workspace/admin/teams").get_data(as_text=True)


def test_a_password_set_by_an_admin_ends_sessions_and_must_be_replaced(web_as, make_user, team, app):
    admin = web_as(make_user("admin", [team]))
    user = make_user("coordinator", [team])
    victim = web_as(user)
    reply = admin.post(f"/workspace/admin/users/{user.id}", {"role": "coordinator", "active": "1",
                                                            "teams": str(team.id), "password": "set by the admin"})
    assert reply.status_code == 303
    assert victim.get("/workspace/").status_code == 302 and open_sessions(user) == []
    browser = WebClient(app.test_client())
    assert sign_in_form(browser, user.email, "set by the admin").status_code == 303
    for url in ("/workspace/", "/workspace/devices/", "/workspace/admin/users"):
        reply = browser.get(url)
        assert reply.status_code == 302 and reply.headers["Location"].startswith("/workspace/account"), url
    assert browser.get("/workspace/", headers={"Accept": "application/json"}).status_code == 403
    page = browser.get("/workspace/account").get_data(as_text=True)
    assert "Kies een eigen nieuw wachtwoord" in page
    assert browser.post("/workspace/account/password", {
        "current_password": "set by the admin", "new_password": "only I know this one",
        "confirm_password": "only I know this one"}).status_code == 303
    assert browser.get("/workspace/").status_code == 200


def test_server_administrators_are_made_on_the_command_line_and_read_no_team_data(runner, make_user, web_as,
                                                                                   team, campaign):
    from server.privacy.models import AuditEvent

    user = make_user("coordinator", [])
    result = runner.invoke(args=["grant-server-admin", user.email.upper()])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(User, user.id).server_admin
    browser = web_as(db.session.get(User, user.id))
    assert browser.get("/workspace/admin/users").status_code == 200
    assert browser.post("/workspace/admin/teams", {"name": "Zuid", "slug": "zuid", "kind": "municipal"}
                        ).status_code == 303
    assert browser.get(f"/workspace/campaigns/{campaign.id}").status_code == 404  # no team's data
    assert browser.get(f"/workspace/teams/{team.id}/audit").status_code == 404
    assert runner.invoke(args=["grant-server-admin", "nobody@example.org"]).exit_code != 0
    assert runner.invoke(args=["revoke-server-admin", user.email]).exit_code == 0
    db.session.expire_all()
    assert not db.session.get(User, user.id).server_admin
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["server_admin_granted", "team_created", "server_admin_revoked"]
    printed = runner.invoke(args=["audit-log"]).output.splitlines()  # the operator sees events of no team too
    assert [next(word for word in line.split() if word in actions) for line in printed] == actions[::-1]
    assert "team=- " in printed[0] and f"{user.email} (*)" in printed[1]
