"""`loader.load_tokenizer` loads the class a folder names without torch, and gives the
tokenizer AutoTokenizer would (the CTranslate2 path needs no torch for tokenizers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from models.inference.loader import load_tokenizer

ROOT = Path(__file__).resolve().parents[1]
TEXT = "The council met on Monday. Der Stadtrat traf sich am Montag, um 10 Uhr."


@pytest.mark.parametrize(
    "kind", ["summarizer", "translator", "multitarget", "multilingual", "nllb", "pickle_only"]
)
def test_the_same_tokenizer_as_autotokenizer(tiny_models: dict[str, Path], kind: str) -> None:
    from transformers import AutoTokenizer

    folder = tiny_models[kind]
    direct = load_tokenizer(folder)
    auto = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    assert type(direct) is type(auto)
    assert direct(TEXT)["input_ids"] == auto(TEXT)["input_ids"]
    assert direct.get_vocab() == auto.get_vocab()
    assert direct.all_special_ids == auto.all_special_ids
    assert direct.model_max_length == auto.model_max_length
    ids = auto(TEXT)["input_ids"]
    assert direct.decode(ids, skip_special_tokens=True) == auto.decode(
        ids, skip_special_tokens=True
    )


def test_a_folder_naming_no_class_falls_back_to_autotokenizer(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    import shutil

    folder = shutil.copytree(tiny_models["translator"], tmp_path / "translator")
    config = folder / "tokenizer_config.json"
    config.write_text(config.read_text().replace('"tokenizer_class"', '"unused"'))
    assert type(load_tokenizer(folder)).__name__ == "MarianTokenizer"


@pytest.mark.parametrize("kind", ["summarizer", "translator"])
def test_loading_a_named_tokenizer_does_not_import_torch(
    tiny_models: dict[str, Path], kind: str
) -> None:
    code = (
        "import sys; from pathlib import Path\n"
        "from models.inference.loader import load_tokenizer\n"
        f"tokenizer = load_tokenizer(Path({str(tiny_models[kind])!r}))\n"
        "assert tokenizer('Hello there.')['input_ids']\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "False"
