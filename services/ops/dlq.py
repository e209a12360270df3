"""``sohoa dlq list|show|replay``: what the consumers could not handle, and sending it back.

The broker is the stack's (``--var``, from ``<var>/run/stack.json``) or the one
``SOHOA_KAFKA_BOOTSTRAP_SERVERS`` names (``--bootstrap`` overrides both).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from pathlib import Path

from services.ops.stack import read_stack_record
from shared.config import KafkaSettings
from shared.deadletters import DeadLetterId, DeadLetters, replay_letters
from shared.errors import SohoaError


def _settings(args: argparse.Namespace) -> KafkaSettings:
    if args.bootstrap:
        return KafkaSettings(bootstrap_servers=args.bootstrap)
    record = read_stack_record(Path(args.var))
    if record is not None:
        return KafkaSettings(bootstrap_servers=record.bootstrap)
    return KafkaSettings()


async def _list(args: argparse.Namespace) -> int:
    async with DeadLetters.open(_settings(args)) as letters:
        done = await letters.replayed()
        total = 0
        async for letter in letters.scan(args.topic):
            total += 1
            mark = "replayed" if str(letter.id) in done else ""
            print(f"{letter.id}  {letter.time:%Y-%m-%d %H:%M:%S}  {letter.code:<28} {mark}")
            print(f"    {letter.detail[:160]}")
        print(f"{total} dead letter(s)")
    return 0


async def _show(args: argparse.Namespace) -> int:
    async with DeadLetters.open(_settings(args)) as letters:
        letter = await letters.get(DeadLetterId.parse(args.id))
    shown = {
        **letter.summary(),
        "headers": {k: v.decode("utf-8", "replace") for k, v in letter.headers},
        "value": letter.value.decode("utf-8", "replace"),
    }
    print(json.dumps(shown, ensure_ascii=False, indent=2))
    return 0


async def _replay(args: argparse.Namespace) -> int:
    if not args.all and not args.id:
        print("name the letters with --id, or replay them all with --all", file=sys.stderr)
        return 2
    outcome = await replay_letters(
        _settings(args),
        source="sohoa-ops",
        by=args.by or getpass.getuser(),
        ids=args.id,
        topic=args.topic,
        everything=args.all,
    )
    for replayed in outcome.replayed:
        print(f"replayed {replayed}")
    for skipped in outcome.skipped:
        print(f"skipped {skipped} (replayed before)")
    print(f"{len(outcome.replayed)} replayed, {len(outcome.skipped)} skipped")
    return 0


def run(args: argparse.Namespace) -> int:
    action = {"list": _list, "show": _show, "replay": _replay}[args.dlq_command]
    try:
        return asyncio.run(action(args))
    except SohoaError as exc:
        print(f"{exc.code}: {exc}", file=sys.stderr)
        return 1


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dlq = commands.add_parser("dlq", help="list, show and replay dead letters")
    dlq.set_defaults(run=run)
    actions = dlq.add_subparsers(dest="dlq_command", required=True)
    for name, help_text in (
        ("list", "the dead letters of TOPIC (of every topic without one)"),
        ("show", "one dead letter with its reason, headers and event"),
        ("replay", "send dead letters back to their topic, each once"),
    ):
        action = actions.add_parser(name, help=help_text)
        action.add_argument(
            "topic", nargs="?", default=None, help="a topic or its .dlq (e.g. sohoa.ocr.…v1)"
        )
        action.add_argument("--var", default="var/stack", help="the local stack's data folder")
        action.add_argument("--bootstrap", help="Kafka bootstrap servers, host:port")
        if name == "show":
            action.add_argument("--id", required=True, help="<topic>.dlq:<partition>:<offset>")
        if name == "replay":
            action.add_argument("--id", action="append", default=[], help="repeatable")
            action.add_argument("--all", action="store_true", help="every letter of TOPIC")
            action.add_argument("--by", help="who replays (recorded); default: your login")
