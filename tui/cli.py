"""The `precis` command line: the reader, `export`, `models` and `cache`.

Each command parses its flags into `Settings`, builds the cache, the model
provider and the service, and either opens the reader or prints. Expected
failures print one line on stderr and exit 2; nothing here imports torch, and
Textual is imported only when the reader opens.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

from models.errors import CacheError, ModelMissingError, PrecisError
from models.logs import LOG_LEVELS, internal_error, log_path, setup_logging
from models.sanitize import safe_line, safe_message, safe_text
from models.settings import Settings, SettingsError, load_settings
from models.types import Length

if TYPE_CHECKING:
    from models.service.events import ServiceEvent
    from models.service.provider import ModelProvider
    from models.service.scheduler import PrecisService

COMMANDS = ("export", "models", "cache")


def version() -> str:
    """The installed version of precis (from the package metadata)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        return package_version("precis-tui")
    except PackageNotFoundError:  # run from a checkout that is not installed
        return "unknown"


def _model_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--summarizer",
        metavar="MODEL|PATH|openai:MODEL|extractive",
        help="summary model: a hub id, a local folder (seq2seq or instruction-tuned LLM), "
        "openai:MODEL on an OpenAI-compatible server, or 'extractive'",
    )
    parser.add_argument(
        "--translator",
        metavar="MODEL|PATH|openai:MODEL",
        help="translation model for the chosen target language (an LLM summarizer "
        "translates too unless one is named)",
    )
    parser.add_argument(
        "--openai-base-url",
        metavar="URL",
        help="OpenAI-compatible server for openai:MODEL models (env OPENAI_BASE_URL; "
        "default a local Ollama, http://127.0.0.1:11434/v1)",
    )
    parser.add_argument("--lang", metavar="CODE", help="target language (default: the article's)")
    parser.add_argument("--length", choices=[x.value for x in Length], help="summary length")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"])
    parser.add_argument(
        "--engine",
        metavar="auto|transformers|ctranslate2",
        help="inference engine (default auto: CTranslate2 on CPU when installed)",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        default=None,
        help="never touch the network; use only models on disk",
    )
    parser.add_argument(
        "--read-anyway",
        action="store_true",
        help="read a web page even when it looks like a list of links, an FAQ or a shop",
    )
    _common_flags(parser)


def _common_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE", help="config TOML to read")
    parser.add_argument(
        "--cache", type=Path, metavar="FILE", help="result cache database (env PRECIS_CACHE)"
    )
    parser.add_argument(
        "--max-size", type=float, metavar="MB", help="largest article accepted, in MB (default 20)"
    )
    _log_flag(parser)


def _log_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        help=f"what goes to the log file {log_path()} (default warning)",
    )


def _reader_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="precis",
        description="Read an article section by section with local summaries and "
        "translations. Commands: export, models, cache (see `precis COMMAND --help`).",
    )
    parser.add_argument(
        "article", nargs="?", metavar="FILE|URL|-", help="the article (default: the bundled sample)"
    )
    parser.add_argument("--version", action="version", version=f"precis {version()}")
    _model_flags(parser)
    return parser


def _export_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="precis export", description="Summarize an article without the reader."
    )
    parser.add_argument("article", nargs="?", metavar="FILE|URL|-")
    parser.add_argument("--format", choices=["json", "md"], default="md")
    parser.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here, not stdout")
    parser.add_argument(
        "--full-translation", action="store_true", help="also translate every section in full"
    )
    parser.add_argument(
        "--brief",
        action="store_true",
        help="also summarize the whole article from the section summaries",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail when a model is missing (default: extractive summaries, or summaries "
        "in the article's language, with a note on stderr)",
    )
    _model_flags(parser)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        "summarizer": getattr(args, "summarizer", None),
        "translator": getattr(args, "translator", None),
        "lang": getattr(args, "lang", None),
        "length": Length(args.length) if getattr(args, "length", None) else None,
        "device": getattr(args, "device", None),
        # Checked by load_settings: a bad value is one line, not argparse's usage.
        "engine": (getattr(args, "engine", None) or "").strip().lower() or None,
        "offline": getattr(args, "offline", None),
        "cache_path": args.cache,
        "max_input_mb": args.max_size,
        # LLM server (issue 16): flag, then env, then the config; the key only from the
        # environment or the config file, never a flag (it would show in `ps`).
        "openai_base_url": getattr(args, "openai_base_url", None)
        or os.environ.get("OPENAI_BASE_URL")
        or None,
        "openai_api_key": os.environ.get("OPENAI_API_KEY") or None,
    }
    settings = load_settings(args.config, **overrides)
    if settings.openai_base_url:
        from models.inference.openai_chat import check_base_url

        check_base_url(settings.openai_base_url)  # one line now, not one per section
    if not math.isfinite(settings.max_input_mb):  # `--max-size inf`, or `nan` in the TOML
        raise SettingsError(
            f"the input size limit must be a number of MB, not {settings.max_input_mb}"
        )
    return settings


def _open(
    settings: Settings,
    article_arg: str | None,
    *,
    reader: bool,
    fallback: bool | None = None,
    read_anyway: bool = False,
) -> PrecisService:
    """The service for a run (models.service.session); the reader shows the cache's
    warnings now, an export at its end (see _print_warnings)."""
    from models.service.session import open_service

    service = open_service(
        settings, article_arg, reader=reader, fallback=fallback, read_anyway=read_anyway
    )
    if reader:
        _print_warnings(service.cache.warnings)
    return service


def run_reader(argv: Sequence[str]) -> int:
    args = _reader_parser().parse_args(argv)
    settings = _settings(args)
    service = _open(settings, args.article, reader=True, read_anyway=args.read_anyway)
    from tui.app import PrecisApp  # Textual is imported only here
    from tui.terminal import take_keyboard

    try:
        take_keyboard()  # after `precis -`, stdin was the article: keys come from the tty
        PrecisApp(service, settings).run()
    finally:
        service.close()
        service.cache.close()
    return 0


def _print_warnings(warnings: Sequence[str]) -> None:
    for warning in warnings:
        print(f"precis: warning: {safe_message(warning, limit=1000)}", file=sys.stderr)


def run_export(argv: Sequence[str]) -> int:
    from models.atomic_file import check_target, same_file, write_text_atomic
    from models.service.export import export_data, to_json, to_markdown

    args = _export_parser().parse_args(argv)
    settings = _settings(args)
    if args.output and args.article not in (None, "-") and same_file(args.output, args.article):
        raise PrecisError(
            f"refusing to write the export over the article itself ({safe_line(args.article)}); "
            "choose another -o file"
        )
    if args.output:
        check_target(args.output)  # before the models run, not after
    service = _open(
        settings,
        args.article,
        reader=False,
        fallback=not args.strict,
        read_anyway=args.read_anyway,
    )
    service.set_listener(_ConversionReporter())
    try:
        unavailable = _ensure_models(service, settings, strict=args.strict)
        data = export_data(
            service,
            lang=settings.lang,
            length=settings.length or Length.SHORT,
            full_translation=args.full_translation,
            brief=args.brief,
            strict=args.strict,
            unavailable=unavailable,
        )
        for note in data["warnings"]:  # a fallback: extractive, or the article's language
            print(f"precis: note: {safe_message(note, limit=1000)}", file=sys.stderr)
    finally:
        service.close()
        service.cache.close()
        # A disk that filled during the run stops caching, not the export: say so.
        _print_warnings(service.cache.warnings)
    body = to_json(data) if args.format == "json" else to_markdown(data)
    if args.output:
        written = write_text_atomic(args.output, body)
        print(f"precis: wrote {safe_line(str(written))}", file=sys.stderr)
    else:
        sys.stdout.write(body)
    return 0


def _ensure_models(service: PrecisService, settings: Settings, *, strict: bool) -> dict[str, str]:
    """Download missing models for an export, with progress on stderr, when online.

    Returns the models that stay missing, with why: the export falls back without
    them and says so. With `strict`, a missing model is the error instead.
    """
    target = settings.lang or service.source_lang
    provider = cast("ModelProvider", service.provider)  # open_service builds a real one
    unavailable: dict[str, str] = {}
    for spec in provider.missing_models(service.source_lang, target):
        try:
            if service.offline:
                provider.require(spec)  # raises with the full message
            _download_with_progress(provider, spec.model_id)
        except PrecisError as exc:
            if not strict:
                unavailable[spec.model_id] = safe_message(exc, limit=1000)
                continue
            if spec.model_id == settings.summarizer:
                raise PrecisError(
                    f"{safe_message(exc, limit=1000)}; or summarize without a model: "
                    "--summarizer extractive"
                ) from None
            raise
    return unavailable


def _download_with_progress(provider: ModelProvider, model_id: str) -> None:
    cancel = threading.Event()
    tty = sys.stderr.isatty()
    announced = False

    def progress(done: int, total: int | None) -> None:
        # Announced at the first progress report, i.e. once the hub has answered, so an
        # unreachable hub gives its one-line error alone.
        nonlocal announced
        if not announced:
            announced = True
            print(f"precis: downloading {safe_line(model_id)}", file=sys.stderr)
        if tty:
            size = f"{done / 1e6:.0f}/{total / 1e6:.0f} MB" if total else f"{done / 1e6:.0f} MB"
            print(f"\rprecis: {safe_line(model_id)}: {size}", end="", file=sys.stderr)

    try:
        provider.download(model_id, progress, cancel)
    except KeyboardInterrupt:
        cancel.set()
        raise
    if tty and announced:
        print(file=sys.stderr)


class _ConversionReporter:
    """An export's listener: a CTranslate2 conversion's progress on stderr, as a
    download's, and a fallback to transformers as one `precis: note:` line."""

    def __init__(self) -> None:
        self._tty = sys.stderr.isatty()
        self._announced: set[str] = set()
        self._open_line = False  # a \r progress line waits for its newline

    def __call__(self, event: ServiceEvent) -> None:
        from models.service.events import ConversionProgress

        if not isinstance(event, ConversionProgress):
            return
        model = safe_line(event.model_id)
        if not event.finished:
            if event.model_id not in self._announced:
                self._announced.add(event.model_id)
                print(f"precis: converting {model} for CTranslate2", file=sys.stderr)
            if self._tty:
                size = f"{event.done / 1e6:.0f}" + (
                    f"/{event.total / 1e6:.0f} MB" if event.total else " MB"
                )
                print(f"\rprecis: {model}: {size}", end="", file=sys.stderr)
                self._open_line = True
            return
        if self._open_line:
            print(file=sys.stderr)
            self._open_line = False
        if event.error:
            print(f"precis: note: {safe_message(event.error, limit=1000)}", file=sys.stderr)


def run_models(argv: Sequence[str]) -> int:
    from models.hub import commands as model_commands

    parser = argparse.ArgumentParser(prog="precis models", description="Manage model downloads.")
    sub = parser.add_subparsers(dest="action", required=True)
    p_list = sub.add_parser("list", help="catalog entries, which are on disk, and their size")
    p_pull = sub.add_parser("pull", help="download a language's models or a model id")
    p_pull.add_argument("target", metavar="LANG|MODEL")
    p_rm = sub.add_parser("remove", help="delete a model from the local cache")
    p_rm.add_argument("target", metavar="LANG|MODEL")
    for p in (p_list, p_pull, p_rm):
        p.add_argument("--config", type=Path, metavar="FILE")
        _log_flag(p)
        p.add_argument("--offline", action="store_true", default=None)
    args = parser.parse_args(argv)
    settings = load_settings(args.config, offline=args.offline)
    if args.action == "list":
        # Model ids come from folder names and metadata on disk: no raw escapes.
        print(safe_text(model_commands.list_text(settings)))
    elif args.action == "pull":
        for model_id in model_commands.pull_targets(args.target, settings):
            from models.service.provider import ModelProvider

            try:
                _download_with_progress(ModelProvider(settings), model_id)
            except ModelMissingError as exc:
                raise PrecisError(_pull_failed(model_id, exc, settings)) from None
            print(f"precis: {safe_line(model_id)} is ready", file=sys.stderr)
    else:
        print(safe_text(model_commands.remove(args.target, settings)))
    return 0


def _pull_failed(model_id: str, exc: ModelMissingError, settings: Settings) -> str:
    """Why `precis models pull` could not download, without telling the user to run
    `precis models pull` again (the hub's message for the reader and export does)."""
    from models.text import format_size

    model = f"{safe_line(model_id)} ({format_size(exc.size_bytes)})"
    if settings.offline or os.environ.get("HF_HUB_OFFLINE") == "1":
        why = "precis is offline (--offline, HF_HUB_OFFLINE or [reader] offline)"
    elif "cannot be reached" in str(exc):
        why = "huggingface.co cannot be reached"
    else:
        return safe_message(exc, limit=1000)
    return f"cannot download {model}: {why}; run this command on a connected machine"


def run_cache(argv: Sequence[str]) -> int:
    from models.cache.results import ResultCache

    parser = argparse.ArgumentParser(prog="precis cache", description="Inspect the result cache.")
    sub = parser.add_subparsers(dest="action", required=True)
    for name, text in (
        ("stats", "entries, size and the last run's hit rate"),
        ("clear", "delete every cached output"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--cache", type=Path, metavar="FILE")
        p.add_argument("--config", type=Path, metavar="FILE")
        _log_flag(p)
    args = parser.parse_args(argv)
    settings = load_settings(args.config, cache_path=args.cache)
    path = settings.cache_path
    shown = safe_line(str(path))
    if path is not None and args.action == "clear" and not path.expanduser().exists():
        print(f"no cache at {shown}; nothing to clear")
        return 0
    # stats never writes: read-only, so not even another program's file is touched.
    cache = ResultCache(
        path, max_bytes=settings.cache_max_mb * 1024 * 1024, read_only=args.action == "stats"
    )
    try:
        if path is not None and cache.warnings and not cache.on_disk:
            # The file cannot be used; say why and do not pretend (exit 2).
            raise CacheError(cache.warnings[0])
        _print_warnings(cache.warnings)
        if args.action == "clear":
            if not cache.clear():
                reason = cache.warnings[-1] if cache.warnings else "it is not on disk"
                raise CacheError(f"cannot clear {shown}: {reason}")
            print(f"cleared {shown}")
            return 0
        stats = cache.stats()
        last = cache.last_run_stats()
        exists = path is None or cache.on_disk
        where = safe_line(str(stats.path)) if stats.path else "memory"
        print(f"cache:    {where}{'' if exists else ' (no file yet)'}")
        print(f"entries:  {stats.entries}")
        print(f"size:     {stats.size_bytes / 1e6:.1f} MB of {settings.cache_max_mb} MB")
        if last is None:
            print("last run: no run recorded")
        else:
            hits, misses = last
            total = hits + misses
            rate = f"{100 * hits / total:.0f}%" if total else "n/a"
            print(f"last run: {hits} hits, {misses} misses (hit rate {rate})")
    finally:
        cache.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"export": run_export, "models": run_models, "cache": run_cache}
    setup_logging(_log_level(argv))
    try:
        if argv and argv[0] in COMMANDS:
            return commands[argv[0]](argv[1:])
        return run_reader(argv)
    except PrecisError as exc:
        # Messages quote paths, server replies and model metadata: one safe line.
        print(f"precis: {safe_message(exc, limit=1000)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("precis: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line for the user, the traceback in the log
        print(f"precis: {safe_message(internal_error('precis', exc), limit=1000)}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # stdout closed early (e.g. piped into head): not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _log_level(argv: Sequence[str]) -> str:
    """`--log-level` from anywhere in the arguments (before the command's parser runs,
    so that parsing itself is logged too); warning when absent or invalid."""
    parser = argparse.ArgumentParser(add_help=False)
    _log_flag(parser)
    known, _ = parser.parse_known_args(argv)
    return known.log_level or "warning"
