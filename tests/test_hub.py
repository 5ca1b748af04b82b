"""Resolving models on disk, failing fast without them, and downloading them.

The hub client reads HF_HUB_OFFLINE and HF_ENDPOINT when it is imported, so every
test that depends on them runs in a subprocess with its own environment. Downloads
run against a small fake hub on 127.0.0.1 that speaks the parts of the hub's HTTP
API the client uses (model info, file HEAD/GET, discussions).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from models.errors import ModelError, ModelMissingError
from models.hub import local_models as hub
from models.hub.download import needed_files

ROOT = Path(__file__).resolve().parents[1]
REV = "0123456789abcdef0123456789abcdef01234567"
PR_REV = "fedcba9876543210fedcba9876543210fedcba98"
CONFIG = b'{"model_type": "marian"}'


def make_hub_entry(
    cache: Path, model_id: str, files: dict[str, bytes], revision: str = REV, *, ref: bool = True
) -> Path:
    """Lay `files` out the way the hub client does: blobs, snapshot symlinks, refs/main."""
    folder = hub.repo_folder(model_id, cache)
    snapshot = folder / "snapshots" / revision
    (folder / "blobs").mkdir(parents=True, exist_ok=True)
    snapshot.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        blob = folder / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        (snapshot / name).symlink_to(os.path.relpath(blob, snapshot))
    if ref:
        (folder / "refs").mkdir(exist_ok=True)
        (folder / "refs" / "main").write_text(revision, encoding="utf-8")
    return snapshot


def child_env(hf_home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env.update(HF_HOME=str(hf_home), PYTHONPATH=str(ROOT), **extra)
    return env


def run_child(code: str, env: dict[str, str], timeout: float = 60) -> tuple[dict, float]:
    """Run `code` in a fresh interpreter; it prints one JSON line last."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), elapsed


# -- resolution ------------------------------------------------------------------------


def test_local_folder_resolves_to_itself(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_bytes(CONFIG)
    found = hub.resolve(str(tmp_path), offline=True)
    assert found == hub.ResolvedModel(tmp_path.resolve(), str(tmp_path), None)


def test_bad_local_folders_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no config\.json"):
        hub.resolve(str(tmp_path), offline=True)
    with pytest.raises(ModelError, match="does not exist"):
        hub.resolve(str(tmp_path / "nope" / "model"), offline=True)


def test_hub_id_resolves_from_the_cache_layout(tmp_path: Path) -> None:
    snapshot = make_hub_entry(
        tmp_path, "org/tiny", {"config.json": CONFIG, "model.safetensors": b"w"}
    )
    found = hub.resolve("org/tiny", offline=False, cache_dir=tmp_path)
    assert found == hub.ResolvedModel(snapshot, "org/tiny", REV)


def test_incomplete_snapshots_do_not_count(tmp_path: Path) -> None:
    make_hub_entry(tmp_path, "org/noweights", {"config.json": CONFIG})
    snapshot = make_hub_entry(
        tmp_path, "org/dangling", {"config.json": CONFIG, "model.safetensors": b"w"}
    )
    (snapshot / "model.safetensors").resolve().unlink()  # blob gone, symlink left
    make_hub_entry(
        tmp_path, "org/noref", {"config.json": CONFIG, "model.safetensors": b"w"}, ref=False
    )
    for model in ("org/noweights", "org/dangling", "org/noref"):
        with pytest.raises(ModelMissingError) as info:
            hub.resolve(model, offline=False, cache_dir=tmp_path)
        assert info.value.model_id == model


def test_offline_resolution_by_hub_id_in_a_fresh_process(tmp_path: Path) -> None:
    make_hub_entry(tmp_path / "hub", "org/tiny", {"config.json": CONFIG, "model.safetensors": b"w"})
    code = (
        "import json, sys\n"
        "from models.hub import download as hub_download, local_models as hub\n"
        "hub.configure_environment(hub.is_offline())\n"
        "from huggingface_hub import constants\n"
        "found = hub.resolve('org/tiny', offline=hub.is_offline())\n"
        "print(json.dumps({'rev': found.revision, 'dir': str(found.local_dir),\n"
        "  'client_offline': constants.HF_HUB_OFFLINE, 'torch': 'torch' in sys.modules}))\n"
    )
    out, _ = run_child(code, child_env(tmp_path, HF_HUB_OFFLINE="1"))
    assert out["rev"] == REV
    assert out["dir"].endswith(f"snapshots/{REV}")
    assert out["client_offline"] is True
    assert out["torch"] is False


def test_configure_environment_sets_offline_before_the_client_loads(tmp_path: Path) -> None:
    code = (
        "import json\n"
        "from models.hub import download as hub_download, local_models as hub\n"
        "ok = hub.configure_environment(True)\n"
        "from huggingface_hub import constants\n"
        "print(json.dumps({'ok': ok, 'offline': constants.HF_HUB_OFFLINE,\n"
        "  'xet_off': constants.HF_HUB_DISABLE_XET}))\n"
    )
    out, _ = run_child(code, child_env(tmp_path))
    assert out == {"ok": True, "offline": True, "xet_off": True}


MISSING = "sshleifer/distilbart-cnn-12-6"


def test_missing_model_offline_fails_fast_with_instructions(tmp_path: Path) -> None:
    code = (
        "import json, threading\n"
        "from models.hub import download as hub_download, local_models as hub\n"
        "from models.errors import ModelMissingError\n"
        "out = []\n"
        f"for call in (lambda: hub.resolve({MISSING!r}, offline=True),\n"
        f"             lambda: hub_download.download({MISSING!r}, progress=lambda d, t: None,\n"
        "                                  cancel=threading.Event())):\n"
        "    try:\n"
        "        call()\n"
        "    except ModelMissingError as exc:\n"
        "        out.append([str(exc), exc.model_id, exc.size_bytes])\n"
        "print(json.dumps(out))\n"
    )
    out, elapsed = run_child(code, child_env(tmp_path, HF_HUB_OFFLINE="1"))
    assert elapsed < 5
    assert len(out) == 2
    for message, model_id, size in out:
        assert model_id == MISSING and size == 1_220_000_000
        assert MISSING in message and "~1.2 GB" in message and "offline" in message
        assert f"precis models pull {MISSING}" in message and "\n" not in message


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A port that accepts connections and never answers (the worst case for clients)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def test_no_network_and_not_offline_fails_fast(tmp_path: Path, silent_server: str) -> None:
    code = (
        "import json, threading\n"
        "from models.hub import download as hub_download, local_models as hub\n"
        "from models.errors import ModelMissingError\n"
        "try:\n"
        f"    hub_download.download({MISSING!r}, progress=lambda d, t: None,\n"
        "                          cancel=threading.Event())\n"
        "except ModelMissingError as exc:\n"
        "    print(json.dumps([str(exc), exc.model_id]))\n"
    )
    out, elapsed = run_child(code, child_env(tmp_path, HF_ENDPOINT=silent_server))
    assert elapsed < 5
    message, model_id = out
    assert model_id == MISSING
    assert "cannot be reached" in message and f"precis models pull {MISSING}" in message


# -- a fake hub ------------------------------------------------------------------------


class FakeHub:
    """Serves repos {id: {revision_name: (sha, {filename: bytes})}} like the hub does."""

    def __init__(self) -> None:
        self.repos: dict[str, dict[str, tuple[str, dict[str, bytes]]]] = {}
        self.prs: dict[str, list[int]] = {}
        self.requests: list[tuple[str, str]] = []
        self.slow = False
        hub_ = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return None

            def do_HEAD(self) -> None:
                hub_.requests.append(("HEAD", self.path))
                hub_.answer(self, body=False)

            def do_GET(self) -> None:
                hub_.requests.append(("GET", self.path))
                hub_.answer(self, body=True)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def answer(self, handler: BaseHTTPRequestHandler, *, body: bool) -> None:
        path = unquote(urlsplit(handler.path).path)
        if path == "/":
            return self.send(handler, 200, b"", body=body)
        if path.startswith("/api/models/"):
            rest = path[len("/api/models/") :]
            if rest.endswith("/discussions"):
                return self.discussions(handler, rest[: -len("/discussions")])
            repo, _, revision = rest.partition("/revision/")
            return self.info(handler, repo, revision or "main")
        repo, sep, rest = path.lstrip("/").partition("/resolve/")
        if sep:
            sha, _, name = rest.partition("/")
            for rev_sha, files in self.repos.get(repo, {}).values():
                if rev_sha == sha and name in files:
                    etag = hashlib.sha256(files[name]).hexdigest()
                    headers = {"X-Repo-Commit": sha, "ETag": f'"{etag}"'}
                    return self.send(handler, 200, files[name], headers=headers, body=body)
        return self.send(handler, 404, b"{}")

    def info(self, handler: BaseHTTPRequestHandler, repo: str, revision: str) -> None:
        if revision not in self.repos.get(repo, {}):
            return self.send(
                handler,
                404,
                b'{"error": "Repository not found"}',
                headers={"X-Error-Code": "RepoNotFound"},
            )
        sha, files = self.repos[repo][revision]
        siblings = [
            {"rfilename": n, "size": len(d), "blobId": hashlib.sha1(d).hexdigest()}
            for n, d in files.items()
        ]
        data = {"id": repo, "sha": sha, "siblings": siblings}
        return self.send(handler, 200, json.dumps(data).encode())

    def discussions(self, handler: BaseHTTPRequestHandler, repo: str) -> None:
        items = [
            {
                "title": "Adding `safetensors` variant of this model",
                "num": num,
                "author": {"name": "SFconvertbot"},
                "createdAt": "2023-03-17T00:00:00.000Z",
                "status": "open",
                "repo": {"name": repo, "type": "model"},
                "isPullRequest": True,
            }
            for num in self.prs.get(repo, [])
        ]
        data = {"count": len(items), "start": 0, "discussions": items}
        return self.send(handler, 200, json.dumps(data).encode())

    def send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        data: bytes,
        *,
        headers: dict[str, str] | None = None,
        body: bool = True,
    ) -> None:
        handler.send_response(status)
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if not body:
            return None
        step = 1 << 20
        try:
            for start in range(0, len(data), step):
                handler.wfile.write(data[start : start + step])
                if self.slow:
                    time.sleep(0.02)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_hub() -> Iterator[FakeHub]:
    server = FakeHub()
    try:
        yield server
    finally:
        server.close()


MODEL_FILES = {
    "config.json": CONFIG,
    "generation_config.json": b'{"max_length": 64}',
    "model.safetensors": os.urandom(300_000),
    "source.spm": b"s" * 1000,
    "target.spm": b"t" * 1000,
    "vocab.json": b'{"<pad>": 0}',
    "tokenizer_config.json": b'{"model_max_length": 512}',
    "README.md": b"# not needed",
    "tf_model.h5": b"x" * 5000,
    "pytorch_model.bin": b"p" * 5000,
}
NEEDED = {
    k: v
    for k, v in MODEL_FILES.items()
    if k not in {"README.md", "tf_model.h5", "pytorch_model.bin"}
}

DOWNLOAD = """
import json, threading
from models.hub import download as hub_download
from models.errors import Cancelled, ModelError
events = []
cancel = threading.Event()
def progress(done, total):
    events.append([done, total])
    if CANCEL_AFTER is not None and done >= CANCEL_AFTER:
        cancel.set()
result = {}
try:
    found = hub_download.download(MODEL, progress=progress, cancel=cancel, timeout=10)
    result = {"rev": found.revision, "dir": str(found.local_dir),
              "files": sorted(p.name for p in found.local_dir.iterdir())}
except Cancelled:
    result = {"cancelled": True}
except ModelError as exc:
    result = {"error": str(exc)}
result["events"] = events
print(json.dumps(result))
"""


def download_in_child(tmp_path: Path, url: str, model: str, cancel_after: int | None = None):
    code = f"MODEL = {model!r}\nCANCEL_AFTER = {cancel_after!r}\n" + DOWNLOAD
    return run_child(code, child_env(tmp_path, HF_ENDPOINT=url))


def test_needed_files_prefer_safetensors() -> None:
    assert set(needed_files(MODEL_FILES)) == set(NEEDED)
    assert "pytorch_model.bin" in needed_files(["config.json", "pytorch_model.bin"])


def test_download_fetches_needed_files_with_progress(tmp_path: Path, fake_hub: FakeHub) -> None:
    fake_hub.repos["org/tiny"] = {"main": (REV, MODEL_FILES)}
    out, _ = download_in_child(tmp_path, fake_hub.url, "org/tiny")
    assert out["rev"] == REV
    assert out["files"] == sorted(NEEDED)
    total = sum(len(d) for d in NEEDED.values())
    dones = [d for d, _ in out["events"]]
    assert dones == sorted(dones) and dones[-1] == total
    assert {t for _, t in out["events"]} == {total}
    fetched = {
        p.rsplit("/", 1)[-1] for m, p in fake_hub.requests if m == "GET" and "/resolve/" in p
    }
    assert fetched == set(NEEDED)
    # It is now found offline, by the same code path precis loads through.
    cache = tmp_path / "hub"
    assert hub.resolve("org/tiny", offline=True, cache_dir=cache).revision == REV
    assert hub.disk_size("org/tiny", cache) == total


def test_cancel_inside_a_file_leaves_nothing(tmp_path: Path, fake_hub: FakeHub) -> None:
    big = dict(NEEDED, **{"model.safetensors": os.urandom(25 * 1024 * 1024)})
    fake_hub.repos["org/big"] = {"main": (REV, big)}
    fake_hub.slow = True
    # Cancel as soon as the first 10 MB chunk of the weights (fetched last) has arrived.
    small = sum(len(d) for n, d in big.items() if n != "model.safetensors")
    out, _ = download_in_child(tmp_path, fake_hub.url, "org/big", cancel_after=small + 1)
    assert out.get("cancelled") is True, out
    reached = max(d for d, _ in out["events"])
    assert small < reached < sum(len(d) for d in big.values())
    cache = tmp_path / "hub"
    assert not hub.repo_folder("org/big", cache).exists()
    assert not [p for p in cache.rglob("*") if p.name.endswith(".incomplete")]


def test_cancel_keeps_what_was_there_before(tmp_path: Path, fake_hub: FakeHub) -> None:
    cache = tmp_path / "hub"
    old = make_hub_entry(
        cache, "org/tiny", {"config.json": CONFIG, "model.safetensors": b"old"}, revision=PR_REV
    )
    fake_hub.repos["org/tiny"] = {"main": (REV, MODEL_FILES)}
    out, _ = download_in_child(tmp_path, fake_hub.url, "org/tiny", cancel_after=0)
    assert out.get("cancelled") is True
    assert (old / "model.safetensors").read_bytes() == b"old"
    assert hub.resolve("org/tiny", offline=True, cache_dir=cache).revision == PR_REV
    assert not (hub.repo_folder("org/tiny", cache) / "snapshots" / REV).exists()


def test_pickle_only_model_downloads_main_and_leaves_refs_main_alone(
    tmp_path: Path, fake_hub: FakeHub
) -> None:
    """opus-mt-en-de and m2m100_418M keep only pytorch_model.bin on main: precis fetches
    main (the loader converts the pickle safely), never a conversion PR, and refs/main
    of the shared hub cache names main's commit, as the hub client would write it."""
    main = {k: v for k, v in MODEL_FILES.items() if k != "model.safetensors"}
    fake_hub.repos["org/old"] = {
        "main": (REV, main),
        "refs/pr/3": (PR_REV, dict(main, **{"model.safetensors": b"converted"})),
    }
    fake_hub.prs["org/old"] = [3]
    out, _ = download_in_child(tmp_path, fake_hub.url, "org/old")
    assert out["rev"] == REV, out
    assert "pytorch_model.bin" in out["files"] and "model.safetensors" not in out["files"]
    refs = hub.repo_folder("org/old", tmp_path / "hub") / "refs" / "main"
    assert refs.read_text(encoding="utf-8") == REV
    assert not [p for m, p in fake_hub.requests if "discussions" in p or "refs%2Fpr" in p]

    fake_hub.repos["org/noweights"] = {
        "main": (REV, {k: v for k, v in main.items() if k != "pytorch_model.bin"})
    }
    out, _ = download_in_child(tmp_path, fake_hub.url, "org/noweights")
    assert "no model.safetensors or pytorch_model.bin" in out["error"]


def test_unknown_repo_is_a_clear_error(tmp_path: Path, fake_hub: FakeHub) -> None:
    out, _ = download_in_child(tmp_path, fake_hub.url, "org/absent")
    assert out["error"] == "org/absent is not a model on the Hugging Face hub"


# -- disk ------------------------------------------------------------------------------


def test_disk_size_and_remove(tmp_path: Path) -> None:
    make_hub_entry(tmp_path, "org/tiny", {"config.json": CONFIG, "model.safetensors": b"w" * 100})
    assert hub.disk_size("org/tiny", tmp_path) == len(CONFIG) + 100
    assert hub.remove("org/tiny", tmp_path) == len(CONFIG) + 100
    assert not hub.repo_folder("org/tiny", tmp_path).exists()
    assert hub.disk_size("org/tiny", tmp_path) == 0
    with pytest.raises(ModelError, match="not downloaded"):
        hub.remove("org/tiny", tmp_path)


# -- precis models list|pull|remove ----------------------------------------------------


def test_models_commands(tmp_path: Path) -> None:
    from models.hub import commands as mc
    from models.settings import Settings

    local = tmp_path / "my-en-de"
    local.mkdir()
    (local / "config.json").write_bytes(CONFIG)
    cache = tmp_path / "hub"
    make_hub_entry(cache, "org/tiny", {"config.json": CONFIG, "model.safetensors": b"w" * 100})
    settings = Settings(summarizer="org/tiny", translators={"de": str(local)}, offline=True)

    rows = mc.list_models(settings, cache_dir=cache)
    by_id = {row.model_id: row for row in rows}
    assert rows[0] == mc.ModelRow("org/tiny", "summarizer", True, len(CONFIG) + 100, None)
    assert by_id[str(local)].present and by_id[str(local)].role == "en→de"
    en_de = by_id["Helsinki-NLP/opus-mt-en-de"]
    assert (en_de.present, en_de.disk_bytes, en_de.role) == (False, 0, "en→de")
    assert by_id["facebook/m2m100_418M"].role == "en→ja, pt→en, en→ko"
    assert by_id["Helsinki-NLP/opus-mt-tc-big-en-pt"].role == "en→pt"
    table = mc.list_text(settings, cache_dir=cache)
    assert "org/tiny" in table and "summarizer" in table and "~1.9 GB" in table

    assert mc.pull_targets("fr", settings) == [
        "Helsinki-NLP/opus-mt-en-fr",
        "Helsinki-NLP/opus-mt-fr-en",
    ]
    assert mc.pull_targets("pt", settings) == [
        "Helsinki-NLP/opus-mt-tc-big-en-pt",
        "facebook/m2m100_418M",
    ]
    assert mc.pull_targets("de", settings) == ["Helsinki-NLP/opus-mt-de-en"]  # en→de is local
    assert mc.pull_targets("summarizer", settings) == ["org/tiny"]
    assert mc.pull_targets("org/other", settings) == ["org/other"]
    with pytest.raises(ModelError, match="extractive"):
        mc.pull_targets("summarizer", Settings(summarizer="extractive"))
    with pytest.raises(ModelError, match="local folder"):
        mc.pull_targets(str(local), settings)
    with pytest.raises(ModelError, match="neither"):
        mc.pull_targets("not a model!", settings)

    assert mc.remove("summarizer", settings, cache_dir=cache) == (
        "removed org/tiny (124 bytes freed)"
    )
    assert not mc.list_models(settings, cache_dir=cache)[0].present
    with pytest.raises(ModelError, match="no model for fr is downloaded"):
        mc.remove("fr", settings, cache_dir=cache)


def test_importing_the_model_plumbing_loads_no_ml_library(tmp_path: Path) -> None:
    code = (
        "import json, sys\n"
        "import models.hub.catalog, models.hub.local_models, models.hub.download\n"
        "import models.service.provider\n"
        "import models.hub.commands\n"
        "heavy = ('torch', 'transformers', 'huggingface_hub')\n"
        "print(json.dumps(sorted(m for m in heavy if m in sys.modules)))\n"
    )
    out, _ = run_child(code, child_env(tmp_path))
    assert out == []
