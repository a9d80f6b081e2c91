"""A click group whose subcommands are imported on first use (click's documented lazy-loading pattern), so
that a command does not pay for the imports of its siblings: `stockade k8s` for the runtime sensor's,
`stockade runtime replay` for `watch`'s (eBPF sources, enrichment, metrics server: ~130 ms)."""

from __future__ import annotations

import importlib
from typing import Any

import click


class LazyGroup(click.Group):
    """``lazy``: command name → ``"module:attribute"``, imported when the command runs (or when --help
    lists them all)."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.lazy.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module, _, attr = target.partition(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command
