"""Staff accounts: the functions and the `advocacy user` / `advocacy web` commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner

from advocacy.app import App
from advocacy.cli import cli
from advocacy.models import StaffUser
from advocacy.people import staff
from tests.websupport import FAST_HASHER, PASSWORD


def test_account_email_is_stored_lowercased_and_checked(app: App) -> None:
    with app.transaction() as session:
        user = staff.add_user(session, "  Rowan@Heartland-Collab.example.org ", PASSWORD, "advocate",
                              now=app.now(), hasher=FAST_HASHER)
        assert user.email == "rowan@heartland-collab.example.org"
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    with app.transaction() as session, pytest.raises(staff.UserError, match="already exists"):
        staff.add_user(session, "ROWAN@heartland-collab.example.org", PASSWORD, "viewer", now=app.now(),
                       hasher=FAST_HASHER)


@pytest.mark.parametrize(("email", "password", "role", "message"), [
    ("not-an-address", PASSWORD, "viewer", "email: 'not-an-address' is not an email address"),
    ("a@b.example", "short", "viewer", "password: use at least 12 characters"),
    ("a@b.example", PASSWORD, "admin", "role: 'admin' is not one of viewer, advocate"),
])
def test_bad_account_input_names_the_field(app: App, email: str, password: str, role: str, message: str) -> None:
    with app.transaction() as session, pytest.raises(staff.UserError) as caught:
        staff.add_user(session, email, password, role, now=app.now(), hasher=FAST_HASHER)
    assert str(caught.value).startswith(message)


def test_advocate_may_do_what_a_viewer_may_but_not_the_reverse() -> None:
    assert staff.role_allows("advocate", "viewer") and staff.role_allows("advocate", "advocate")
    assert staff.role_allows("viewer", "viewer") and not staff.role_allows("viewer", "advocate")
    assert not staff.role_allows("retired", "viewer")


def test_sign_in_upgrades_a_hash_made_with_weaker_parameters(app: App) -> None:
    with app.transaction() as session:
        staff.add_user(session, "rowan@heartland-collab.example.org", PASSWORD, "advocate", now=app.now(),
                       hasher=FAST_HASHER)
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    with app.transaction() as session:
        assert staff.authenticate(session, "rowan@heartland-collab.example.org", "wrong password here",
                                  hasher=stronger) is None
        user = staff.authenticate(session, "rowan@heartland-collab.example.org", PASSWORD, hasher=stronger)
        assert user is not None and not stronger.check_needs_rehash(user.password_hash)
    with app.transaction() as session:
        assert staff.authenticate(session, "rowan@heartland-collab.example.org", PASSWORD, hasher=stronger)


def run(config_path: Path, db_url: str, *args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config_path), *args], input=input,
                                env={"ADVOCACY_DATABASE__URL": db_url})
    return result.exit_code, result.output


def test_user_add_reads_the_password_from_stdin_and_user_list_shows_it(app: App, config_path: Path) -> None:
    url = app.database_url or ""
    code, out = run(config_path, url, "user", "add", "Pat@Heartland-Collab.example.org", "--role", "viewer",
                    "--password-stdin", input=PASSWORD + "\n")
    assert code == 0, out
    assert "added pat@heartland-collab.example.org (viewer)" in out
    with app.sessions() as session:
        assert staff.authenticate(session, "pat@heartland-collab.example.org", PASSWORD) is not None
    code, out = run(config_path, url, "user", "list")
    assert code == 0 and re.search(r"^pat@heartland-collab\.example\.org\tviewer\tcreated \d{4}-\d\d-\d\d$", out, re.M)


def test_user_add_asks_twice_and_refuses_a_mismatch(app: App, config_path: Path) -> None:
    url = app.database_url or ""
    code, out = run(config_path, url, "user", "add", "pat@heartland-collab.example.org", "--role", "advocate",
                    input=f"{PASSWORD}\nsomething else entirely\n{PASSWORD}\n{PASSWORD}\n")
    assert code == 0, out
    assert "do not match" in out.lower() or "don't match" in out.lower()
    with app.sessions() as session:
        user = staff.find_user(session, "pat@heartland-collab.example.org")
        assert isinstance(user, StaffUser) and user.role == "advocate"


def test_user_add_explains_a_short_password_and_a_duplicate(app: App, config_path: Path) -> None:
    url = app.database_url or ""
    code, out = run(config_path, url, "user", "add", "pat@heartland-collab.example.org", "--role", "viewer",
                    "--password-stdin", input="tiny\n")
    assert code == 1 and "password: use at least 12 characters" in out
    run(config_path, url, "user", "add", "pat@heartland-collab.example.org", "--role", "viewer",
        "--password-stdin", input=PASSWORD + "\n")
    code, out = run(config_path, url, "user", "add", "pat@heartland-collab.example.org", "--role", "viewer",
                    "--password-stdin", input=PASSWORD + "\n")
    assert code == 1 and "already exists" in out


def test_user_set_role_and_remove(app: App, config_path: Path) -> None:
    url = app.database_url or ""
    with app.transaction() as session:
        staff.add_user(session, "pat@heartland-collab.example.org", PASSWORD, "viewer", now=app.now(),
                       hasher=FAST_HASHER)
    assert run(config_path, url, "user", "set-role", "pat@heartland-collab.example.org", "advocate")[0] == 0
    with app.sessions() as session:
        assert staff.find_user(session, "pat@heartland-collab.example.org").role == "advocate"  # type: ignore[union-attr]
    assert run(config_path, url, "user", "remove", "pat@heartland-collab.example.org")[0] == 0
    code, out = run(config_path, url, "user", "remove", "pat@heartland-collab.example.org")
    assert code == 1 and "no account for pat@heartland-collab.example.org" in out
