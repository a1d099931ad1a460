"""The ``fakeai`` command.

``fakeai server`` runs the server; ``status``, ``metrics``, ``cache-stats`` and ``models`` read a running
one (see ``remote.py``), and ``top`` watches one live (``top.py``). ``server``'s flags are generated from
the ``Settings`` fields (``ttft_ms`` -> ``--ttft-ms``), so every setting has a flag and every flag reaches
the server. A flag left out does not override the environment or the config file (precedence: CLI >
``FAKEAI_*`` env > config file > default).
"""

from __future__ import annotations

import argparse
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fakeai import __version__
from fakeai.settings import Settings


def _add_setting_flags(parser: argparse.ArgumentParser) -> None:
    for name, field in Settings.model_fields.items():
        flag = "--" + name.replace("_", "-")
        help_text = f"{field.description} (env FAKEAI_{name.upper()}; default {field.default!r})"
        annotation = field.annotation
        args = typing.get_args(annotation)
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):  # X | None
            annotation = next(a for a in args if a is not type(None))
            args = typing.get_args(annotation)
        if annotation is bool:
            parser.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None,
                                help=help_text)  # fmt: skip
        elif typing.get_origin(annotation) is list:  # repeatable: --api-key a --api-key b
            item: Any = str if args == (str,) else json.loads  # a fault rule is given as JSON
            parser.add_argument(flag, dest=name, action="append", type=item, default=None, help=help_text)
        elif typing.get_origin(annotation) is typing.Literal:
            parser.add_argument(flag, dest=name, choices=args, default=None, help=help_text,
                                type=str.lower)  # fmt: skip
        else:
            kind: Any = annotation if annotation in (int, float, Path) else str
            parser.add_argument(flag, dest=name, type=kind, default=None, help=help_text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fakeai", description="An OpenAI-compatible server that simulates LLM inference."
    )
    parser.add_argument("--version", action="version", version=f"fakeai {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    server = commands.add_parser("server", help="run the API server")
    _add_setting_flags(server)
    hash_key = commands.add_parser("hash-key", help="print the argon2 hash of an API key, for a keys file")
    hash_key.add_argument("key", help="the API key")
    for name, help_text in (
        ("status", "readiness, per-model latency percentiles and per-worker load of a running server"),
        ("metrics", "print a running server's metrics (Prometheus text, or the JSON summary)"),
        ("cache-stats", "KV-cache blocks, prefix-cache hit rate and preemptions per worker"),
        ("models", "the models a running server lists"),
        ("top", "a live terminal view of a running server: throughput, latency, engine, GPUs, cost"),
        ("costs", "requests, tokens and cost per model of a running server (--csv for a spreadsheet)"),
    ):
        remote = commands.add_parser(name, help=help_text)
        remote.add_argument("--url", default="http://127.0.0.1:8000", help="the server (default %(default)s)")
        if name == "metrics":
            remote.add_argument("--kind", choices=("vllm", "dynamo", "dcgm", "json"), default="vllm")
        if name in ("models", "top", "costs"):
            remote.add_argument("--api-key", default=None, help="sent as a bearer token")
        if name == "top":
            remote.add_argument("--frames", type=int, default=None, help="stop after this many frames")
        if name == "costs":
            remote.add_argument("--csv", action="store_true", help="CSV instead of a table")
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    given = {name: getattr(args, name) for name in Settings.model_fields if getattr(args, name) is not None}
    return Settings(**given)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "server":
        try:
            settings = settings_from_args(args)
        except (ValidationError, ValueError, OSError) as exc:
            print(f"fakeai: invalid settings: {exc}", file=sys.stderr)
            return 2
        from fakeai.server.runner import serve  # the HTTP servers are imported only to serve

        serve(settings)
        return 0
    if args.command == "hash-key":
        from fakeai.security.keys import hash_key

        print(hash_key(args.key))
        return 0
    if args.command == "top":
        from fakeai import top  # rich is imported only for this view

        return top.run(args.url, args.api_key, args.frames)
    from fakeai import remote

    try:
        if args.command == "status":
            text = remote.status(args.url)
        elif args.command == "metrics":
            text = remote.metrics(args.url, args.kind)
        elif args.command == "cache-stats":
            text = remote.cache_stats(args.url)
        elif args.command == "costs":
            text = remote.costs(args.url, args.api_key, args.csv)
        else:
            text = remote.models(args.url, args.api_key)
    except remote.RemoteError as exc:
        print(f"fakeai: {exc}", file=sys.stderr)
        return 1
    print(text)
    return 0
