"""The ``evalmeet`` commands for accounts: create, passwords, API tokens, switching off and on.

Same conventions as the rest of the command (``evalmeet/cli.py``): the app is built from the
``EVALMEET_*`` environment, one transaction per command, refusals (an unknown user, a short
password) are one line on stderr and a non-zero exit. Ending sessions and tokens takes effect on
the running server at once: every request looks its session or token up in the database.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

# The shared helpers of the command line; this module is its account half.
from evalmeet.cli import _app, _out, _read_password, _session

AddCommand = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]


def cmd_create_user(args: argparse.Namespace) -> int:
    """Create an account; the password comes from stdin or a prompt."""
    from evalmeet.schemas.accounts import AccountCreate
    from evalmeet.schemas.base import parse
    from evalmeet.services.accounts import users as accounts

    password = _read_password(confirm=True)
    fields = parse(AccountCreate, {"username": args.username, "role": args.role, "password": password})
    with _session(_app()) as session:
        account = accounts.create_user(session, fields).value
        _out(f"created {account.role} account {account.username!r}")
    return 0


def cmd_set_password(args: argparse.Namespace) -> int:
    """Set a new password for an account; ends its sessions and API tokens."""
    from evalmeet.schemas.accounts import NewPassword
    from evalmeet.schemas.base import parse
    from evalmeet.services.accounts import users as accounts

    password = _read_password(confirm=True)
    with _session(_app()) as session:
        account = accounts.account_named(session, args.username)
        new = parse(NewPassword, {"password": password})
        ended = accounts.set_password(session, account, new).value
        _out(f"password of {account.username!r} changed; {_ended(ended)}")
    return 0


def _ended(ended: Any) -> str:
    """What ending an account's access ended (``users.Ended``)."""
    return f"ended {ended.sessions} session(s) and {ended.tokens} API token(s)"


def cmd_create_token(args: argparse.Namespace) -> int:
    """Print a new API token for the user: the token, one line, nothing else."""
    from evalmeet.services.accounts import users as accounts

    with _session(_app()) as session:
        token = accounts.create_token(session, args.username).value
    _out(token)
    return 0


def cmd_revoke_tokens(args: argparse.Namespace) -> int:
    """End every API token of the user; print how many, alone on stdout."""
    from evalmeet.services.accounts import users as accounts

    with _session(_app()) as session:
        count = accounts.revoke_all_tokens(session, args.username).value
    _out(str(count))
    return 0


def cmd_disable_user(args: argparse.Namespace) -> int:
    """Switch an account off: it cannot log in, and its sessions and API tokens end."""
    from evalmeet.services.accounts import users as accounts

    with _session(_app()) as session:
        ended = accounts.set_active(session, args.username, False).value
    _out(f"disabled account {args.username!r}; {_ended(ended)}")
    return 0


def cmd_enable_user(args: argparse.Namespace) -> int:
    """Switch an account on again (its old tokens stay ended: issue new ones)."""
    from evalmeet.services.accounts import users as accounts

    with _session(_app()) as session:
        accounts.set_active(session, args.username, True)
    _out(f"enabled account {args.username!r}")
    return 0


def cmd_ensure_admin(args: argparse.Namespace) -> int:
    """Create the ``admin`` account when there is no admin, printing its one-time password."""
    from evalmeet.services.accounts import users as accounts

    with _session(_app()) as session:
        password = accounts.ensure_admin(session).value
    if password is None:
        _out("admin: an admin account already exists (lost its password? `evalmeet set-password USERNAME`)")
    else:
        _out(f"admin: created account 'admin' with password {password}")
        _out("admin: this password is shown only once; write it down or change it after logging in")
    return 0


def add_commands(add: AddCommand) -> None:
    """Register the account commands with ``evalmeet``'s parser."""
    user = add("create-user", cmd_create_user, "create an account (password from stdin, or prompted)")
    user.add_argument("username")
    user.add_argument("--role", choices=("admin", "moderator", "viewer"), default="moderator")

    pwd = add(
        "set-password",
        cmd_set_password,
        "set an account's password (stdin, or prompted); ends its sessions and API tokens",
    )
    pwd.add_argument("username")

    token = add("create-token", cmd_create_token, "print a new API token for a user")
    token.add_argument("username")

    revoke = add("revoke-tokens", cmd_revoke_tokens, "end every API token of a user; print how many")
    revoke.add_argument("username")

    disable = add("disable-user", cmd_disable_user, "switch an account off (ends its sessions and tokens)")
    disable.add_argument("username")

    enable = add("enable-user", cmd_enable_user, "switch an account on again")
    enable.add_argument("username")

    add("ensure-admin", cmd_ensure_admin, "create an 'admin' account if none exists; print its password")
