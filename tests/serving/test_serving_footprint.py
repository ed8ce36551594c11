"""What a serving process imports, and the text pipeline's equality with the libraries it avoids.

The API's memory bar (RSS <= 400 MB after serving) is met partly by never importing pandas,
pyarrow, scikit-learn, streamlit or plotly at serve time, and nltk only in part. These tests
run in fresh interpreters so earlier tests' imports cannot hide a regression.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, need

HEAVY = ("pandas", "pyarrow", "sklearn", "streamlit", "plotly", "torch", "transformers")


def run_python(code: str, timeout: float = 180.0) -> dict:
    """Run `code` in a fresh interpreter at the repo root; it prints one JSON object last."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT), "REELMOOD_EMBEDDED_REDIS": "0"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_api_module_and_settings_import_nothing_heavy() -> None:
    out = run_python(
        "import sys, json\n"
        "import recommender.serving.api, recommender.serving.service\n"
        "from recommender.config import get_settings; get_settings()\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    assert out == []


def test_loaded_recommender_imports_nothing_heavy(rec) -> None:
    """With the real artifacts and models loaded and one query of each kind answered."""
    out = run_python(
        "import sys, json\n"
        "from recommender.serving.service import Recommender\n"
        "r = Recommender.load()\n"
        "r.recommend_for_mood('rough week, I need something that makes me laugh', with_posters=False)\n"
        "r.similar_to_synopsis('an old man ties balloons to his house and flies away', with_posters=False)\n"
        "r.similar_to_film(title='Titanic', with_posters=False)\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    assert out == []


def test_stop_words_file_equals_scikit_learn() -> None:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from recommender.text import STOP_WORDS

    assert STOP_WORDS == frozenset(ENGLISH_STOP_WORDS)


def test_lean_stemmer_equals_nltk_and_leaves_nltk_importable() -> None:
    """Every word of the committed catalog stems as nltk's normally imported SnowballStemmer does,
    and `import nltk` afterwards is the real package."""
    catalog = ROOT / "artifacts" / "catalog.jsonl"
    need("the committed catalog (artifacts/catalog.jsonl)", catalog.is_file())
    out = run_python(
        "import sys, json\n"
        "from recommender import text\n"
        "stub_left = sorted(m for m in sys.modules if m == 'nltk' or m.startswith('nltk.'))\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'pandas', 'scipy'})\n"
        "from recommender.catalog.store import read_catalog\n"
        "from recommender.catalog.documents import film_document\n"
        "from pathlib import Path\n"
        f"films = read_catalog(Path({str(catalog)!r})).films()\n"
        "vocab = sorted({w for f in films for w in text.words(film_document(f) + ' ' + f.title)})\n"
        "ours = [text.stem(w) for w in vocab]\n"
        "import nltk\n"
        "from nltk.stem.snowball import SnowballStemmer\n"
        "real = SnowballStemmer('english')\n"
        "diff = [w for w, s in zip(vocab, ours) if real.stem(w) != s]\n"
        "print(json.dumps({'stub_left': stub_left, 'heavy': heavy, 'words': len(vocab), 'diff': diff[:20],\n"
        "                  'real_nltk': hasattr(nltk, 'word_tokenize')}))"
    )
    assert out["stub_left"] == [] and out["heavy"] == []
    assert out["words"] > 20_000
    assert out["diff"] == []
    assert out["real_nltk"] is True


@pytest.mark.parametrize("word", ["running", "generously", "skies", "dying", "news", "proceed", "cafés"])
def test_stems_of_special_cases(word: str) -> None:
    """Snowball's exception lists survive the lean loader (compared with nltk in this process)."""
    from nltk.stem.snowball import SnowballStemmer

    from recommender.text import stem

    assert stem(word) == SnowballStemmer("english").stem(word)


def test_malloc_arena_cap_applies_on_glibc() -> None:
    from recommender.serving.api import limit_malloc_arenas

    is_glibc = Path("/lib/x86_64-linux-gnu/libc.so.6").exists() or Path("/lib/aarch64-linux-gnu/libc.so.6").exists()
    if not is_glibc:
        pytest.skip("not a glibc system")
    assert limit_malloc_arenas(2) is True


def test_text_after_a_real_nltk_import_uses_it_and_leaves_it_intact() -> None:
    out = run_python(
        "import sys, json\n"
        "import nltk\n"
        "real = sys.modules['nltk']\n"
        "from recommender import text\n"
        "print(json.dumps({'same': sys.modules['nltk'] is real, 'stem': text.stem('generously'),\n"
        "                  'tokenize': hasattr(sys.modules['nltk'], 'word_tokenize')}))"
    )
    assert out == {"same": True, "stem": "generous", "tokenize": True}
