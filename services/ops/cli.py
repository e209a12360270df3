"""``sohoa`` — the operators' command: run the local stack, the demo, OCR and biên mục on
files, look after dead letters, and manage the gateway's clients and people."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from services.ops import clients, dlq
from services.ops.stack import LocalStack, StackRecord


def _stack(args: argparse.Namespace) -> int:
    stack = LocalStack(Path(args.var), gateway_port=args.port, supervise=True)
    print(f"starting sohoa in {args.var} …", flush=True)
    stack.start(on_ready=lambda name, url: print(f"  {name:<9} ready at {url}", flush=True))
    print(f"gateway {stack.gateway_url}  X-API-Key: {stack.api_key}", flush=True)
    record = StackRecord.path(Path(args.var))
    print(f"workspace {stack.workspace_url}  (people's passwords in {record})", flush=True)
    print(f"gateway /ready and /metrics: Authorization: Bearer {stack.probe_token}", flush=True)
    print(f"hot folder {Path(args.var) / 'hotfolder'}: <mã hồ sơ>/<số thứ tự>.<ext>", flush=True)
    print(f"pids in {stack.run_dir}; a process that dies is started again. Ctrl-C stops.")
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    # Blocked only now, so the children started above keep their default handlers.
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    try:
        signal.sigwait(stop_signals)
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping …", flush=True)
        stack.stop()
    return 0


def _demo(args: argparse.Namespace) -> int:
    from services.ops.demo import run_demo

    return run_demo(
        Path(args.var), keep=args.keep, pages=args.pages, say=lambda s: print(s, flush=True)
    )


def _ocr(args: argparse.Namespace) -> int:
    from services.ocr.cli import run

    missing = [str(p) for p in args.images if not p.is_file()]
    if missing:
        print(f"not a file: {', '.join(missing)}", file=sys.stderr)
        return 2
    return run(
        args.images, args.out, jobs=args.jobs, languages=args.languages, explain=args.explain
    )


def _describe(args: argparse.Namespace) -> int:
    from services.catalogue.cli import run

    missing = [str(p) for p in args.pages if not p.is_file()]
    if missing:
        print(f"not a file: {', '.join(missing)}", file=sys.stderr)
        return 2
    return run(args.pages, args.out)


def _import(args: argparse.Namespace) -> int:
    from services.ops.bulkimport import open_source, run_import

    record = args.record or Path(f".sohoa-import-{_slug(args.source)}.jsonl")
    return run_import(
        open_source(args.source),
        args.source,
        gateway=args.gateway,
        api_key=args.api_key or os.environ.get("SOHOA_API_KEY", ""),
        record_path=record,
        dry_run=args.dry_run,
    )


def _slug(source: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in source).strip("-")[-60:]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sohoa", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    stack = commands.add_parser("stack", help="run broker, storage and the five services locally")
    stack.add_argument("--var", default="var/stack", help="data folder (databases, objects, logs)")
    stack.add_argument("--port", type=int, default=8000, help="gateway port")
    stack.set_defaults(run=_stack)
    demo = commands.add_parser("demo", help="a sample hồ sơ from scan to handover package")
    demo.add_argument("--var", default="var/demo", help="data folder, emptied first")
    demo.add_argument("--pages", type=int, default=3)
    demo.add_argument("--keep", action="store_true", help="keep the stack running afterwards")
    demo.set_defaults(run=_demo)
    ocr = commands.add_parser(
        "ocr", help="clean and read page images as the OCR worker does (no broker, no storage)"
    )
    ocr.add_argument("images", nargs="+", type=Path, help="page scans (TIFF, JPEG, PNG)")
    ocr.add_argument("--out", type=Path, required=True, help="folder for JSON and derivatives")
    ocr.add_argument("--jobs", type=int, default=1, help="pages read in parallel")
    ocr.add_argument("--languages", default="vie", help="tesseract languages, e.g. vie+fra")
    ocr.add_argument(
        "--explain", action="store_true", help="print each clean-up step, its time and finding"
    )
    ocr.set_defaults(run=_ocr)
    describe = commands.add_parser(
        "describe",
        help="biên mục tự động: read số, ký hiệu, date, type, trích yếu, issuer and signer "
        "from the JSON files sohoa ocr wrote, in order the pages of one hồ sơ",
    )
    describe.add_argument("pages", nargs="+", type=Path, help="<stem>.json files of sohoa ocr")
    describe.add_argument("--out", type=Path, required=True, help="folder for <stem>.json")
    describe.set_defaults(run=_describe)
    dlq.add_parser(commands)
    clients.add_parser(commands)
    bulk = commands.add_parser(
        "import",
        help="send scans of a directory tree or s3://bucket/prefix through the gateway "
        "(<mã hồ sơ>/<số thứ tự>.<ext> or <mã hồ sơ>.<tif|pdf>)",
    )
    bulk.add_argument("source", help="a directory, or s3://bucket/prefix (SOHOA_STORAGE_S3_*)")
    bulk.add_argument("--dry-run", action="store_true", help="list what would be sent")
    bulk.add_argument("--gateway", default="http://127.0.0.1:8000")
    bulk.add_argument("--api-key", default=None, help="default: $SOHOA_API_KEY")
    bulk.add_argument("--record", type=Path, default=None, help="resumable record (JSON lines)")
    bulk.set_defaults(run=_import)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
