"""The Typer app every command registers on, its global ``--debug`` flag, and the one error handler.

Which errors are the user's to fix (printed as one red line ``error: <message>``, exit status 1) is
decided here and nowhere else, in `USER_ERRORS`:

- `QuejasError`: every error quejas raises on purpose (pipeline/errors.py);
- `OSError`: the environment, not the code: a missing, unreadable or directory-instead-of-file path
  (FileNotFoundError, PermissionError, IsADirectoryError), a full disk, a cluster or hub that cannot be
  reached (ConnectionError), a base model id the hub does not know;
- `UnicodeDecodeError`: an input file in another encoding than the one given.

Anything else is a bug and keeps its traceback. ``quejas --debug ...`` shows the traceback of a user
error too, for a report or when the message is not enough.
"""

from __future__ import annotations

import traceback
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from pipeline import paths
from pipeline.cli.render import err_console
from pipeline.errors import QuejasError

USER_ERRORS: tuple[type[BaseException], ...] = (
    QuejasError,
    OSError,
    UnicodeDecodeError,
)

DEBUG = "quejas.debug"  # key in click's context meta, shared by every sub-command's context


def is_user_error(exc: BaseException) -> bool:
    return isinstance(exc, USER_ERRORS)


def report_error(exc: BaseException, debug: bool) -> None:
    """One line for the user; under ``--debug`` the traceback first, so the line stays the last thing printed."""
    if debug:
        err_console.print(escape("".join(traceback.format_exception(exc)).rstrip()), highlight=False)
    # Messages carry paths and quoted input, and "[...]" in them must not be read as rich markup.
    message = escape(str(exc).replace("\n", " "))
    err_console.print(f"[bold red]error:[/bold red] {message}", highlight=False)


class QuejasGroup(TyperGroup):
    """Runs every command (and sub-group) inside the one error handler."""

    def invoke(self, ctx: Any) -> Any:  # a click context; typer's own class lives in its private vendored click
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if not is_user_error(exc):
                raise
            report_error(exc, debug=bool(ctx.meta.get(DEBUG)))
            raise typer.Exit(1) from None


app = typer.Typer(
    name="quejas",
    cls=QuejasGroup,
    help="Spanish complaint triage: why the customer is unhappy, how upset, which risks, and a reply draft.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@app.callback()
def main(
    ctx: typer.Context,
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback when a command fails."),
) -> None:
    ctx.meta[DEBUG] = debug


def model_option(help: str = "Model folder.") -> Any:
    """``--model/-m``: models/latest under QUEJAS_MODELS_DIR, read when the command runs, not at import."""
    return typer.Option(
        ..., "--model", "-m", default_factory=paths.default_model_path, show_default="models/latest", help=help
    )
