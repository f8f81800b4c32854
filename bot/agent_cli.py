"""``shopchat agent``: create, list and remove console agents; issue API tokens."""

from __future__ import annotations

import contextlib
import secrets
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .cli_store import open_store
from .console.accounts import AccountError, AgentStore, check_password
from .console.canned import DEMO as DEMO_CANNED

agent_app = typer.Typer(
    name="agent",
    help="Agent console accounts: add, list, remove, passwords and API tokens.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ProjectOpt = Annotated[
    Path,
    typer.Option(
        "--project",
        "-p",
        help="The bot project whose database holds the agents (ignored when "
        "SHOPCHAT_DATABASE_URL is set).",
    ),
]


def open_agents(project: Path) -> AgentStore:
    """The agent store of a project's database (or SHOPCHAT_DATABASE_URL's), migrated."""
    return AgentStore(open_store(project))


def _read_password(name: str, from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt(f"Password for {name}", hide_input=True, default="", show_default=False)
    try:
        check_password(name, first)
    except AccountError as exc:
        err.print(f"{exc}", markup=False)
        raise typer.Exit(1) from None
    again = typer.prompt("Repeat it", hide_input=True, default="", show_default=False)
    if again != first:
        err.print("the two passwords differ; nothing was changed")
        raise typer.Exit(1)
    return first


@agent_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Login name: lowercase letters, digits, . _ -")],
    display_name: Annotated[
        str | None, typer.Option(help="The name shoppers see on signed replies.")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    admin: Annotated[
        bool, typer.Option("--admin", help="May erase and export customers' data.")
    ] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Create an agent who can log in to the console at /agent."""
    agents = open_agents(project)
    password = _read_password(name, password_stdin)
    try:
        agent = agents.add(name, password, display_name, admin=admin)
    except AccountError as exc:
        err.print(f"{exc}", markup=False)
        raise typer.Exit(1) from None
    out.print(f"agent {agent.name} ({agent.display_name}) added", markup=False)


@agent_app.command("password")
def password(
    name: Annotated[str, typer.Argument(help="The agent's login name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Set an agent's password; their console sessions end."""
    agents = open_agents(project)
    try:
        agents.set_password(name, _read_password(name, password_stdin))
    except AccountError as exc:
        err.print(f"{exc}", markup=False)
        raise typer.Exit(1) from None
    out.print(f"password of {name} changed", markup=False)


@agent_app.command("token")
def token(
    name: Annotated[str, typer.Argument(help="The agent the token acts as.")],
    project: ProjectOpt = Path("."),
) -> None:
    """Print a new API token for /agent/api (shown once: store it now)."""
    agents = open_agents(project)
    try:
        value = agents.new_token(name)
    except AccountError as exc:
        err.print(f"{exc}", markup=False)
        raise typer.Exit(1) from None
    err.print(f"API token for {name} (shown once; send it as 'Authorization: Bearer TOKEN'):")
    print(value)


@agent_app.command("list")
def list_agents(project: ProjectOpt = Path(".")) -> None:
    """List the agents."""
    agents = open_agents(project).all()
    if not agents:
        err.print("no agents yet: shopchat agent add NAME")
        return
    table = Table("name", "display name", "active", "admin")
    for agent in agents:
        table.add_row(
            agent.name,
            escape(agent.display_name),
            "yes" if agent.active else "no",
            "yes" if agent.admin else "no",
        )
    out.print(table)


@agent_app.command("admin")
def admin(
    name: Annotated[str, typer.Argument(help="The agent's login name.")],
    revoke: Annotated[bool, typer.Option("--revoke", help="Take the admin role away.")] = False,
    project: ProjectOpt = Path("."),
) -> None:
    """Make an agent an admin (may erase and export customers' data), or --revoke it."""
    try:
        open_agents(project).set_admin(name, not revoke)
    except AccountError as exc:
        err.print(f"{exc}", markup=False)
        raise typer.Exit(1) from None
    out.print(f"agent {name} {'is no longer' if revoke else 'is now'} an admin", markup=False)


@agent_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="The agent's login name.")],
    project: ProjectOpt = Path("."),
) -> None:
    """Deactivate an agent: they can no longer log in, their tokens stop working."""
    try:
        open_agents(project).deactivate(name)
    except AccountError as exc:
        err.print(f"{exc}", markup=False)
        raise typer.Exit(1) from None
    out.print(f"agent {name} deactivated; their sessions and API tokens ended", markup=False)


def load_shop_name(project: Path) -> str:
    """``name:`` of the project's shop.yaml (canned responses are kept per shop)."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load((project / "shop.yaml").read_text(encoding="utf-8"))
    return str(data["name"])


def demo_agent(project: Path, console_url: str) -> None:
    """For ``shopchat demo``: say where the console is; create agent ``demo`` if none exists."""
    agents = open_agents(project)
    if agents.all():
        err.print(
            f"agent console: {console_url} (log in as one of: "
            f"{', '.join(a.name for a in agents.all() if a.active)}; "
            f"new password: shopchat agent password NAME -p {project})",
            markup=False,
        )
        return
    password = secrets.token_urlsafe(12)
    agents.add("demo", password, "Demo Agent")
    shop = load_shop_name(project)
    for title, body in DEMO_CANNED:  # a few canned responses, in the demo's five languages
        with contextlib.suppress(ValueError):
            agents.save_canned(shop, title, body, "demo")
    err.print(
        f"agent console: {console_url} — log in as demo / {password} "
        "(shown once; shopchat agent add NAME creates more)",
        markup=False,
    )


__all__ = ["agent_app", "demo_agent", "open_agents"]
