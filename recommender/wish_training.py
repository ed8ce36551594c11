"""`python -m recommender train-wish`: the wish reader's own sentence encoder (models/wish/).

all-MiniLM-L6-v2 (the float wheel) fine-tuned with a supervised contrastive loss on the written
exemplars of `mood/wishes.json` and the mood texts written by many hands (`mood/wish_texts.json`
and the tuning sets in eval/), each wish and the plain feelings being a class, then exported to
int8 ONNX exactly as the search encoder is (`search.encoder_export`). Why: the generic encoder puts
"something serious" nearer a scare than a film to think about; pulling each wish's phrasings
together moves texts it has never seen toward the right wish, and whole texts teach it what short
exemplars cannot (situations, scopes of negation, typing). Only the wish reader uses it: film
vectors, hubness and the text's meaning stay on the search encoder. Needs requirements-train.txt.
`--cross-validate` measures encoder and head together on hands neither has seen.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from recommender.config import PROJECT_ROOT

if TYPE_CHECKING:
    from recommender.mood.wish import WishReader, WishSettings, WishTable

log = logging.getLogger(__name__)

TUNING_SETS = tuple(PROJECT_ROOT / "eval" / name for name in ("mood_tune.json", "mood_tune2.json", "mood_tune3.json"))


@dataclass(frozen=True)
class WishTraining:
    """Chosen on the two tuning sets when training saw the exemplars alone (2 and 15 epochs and
    other seeds gave the same or less); with the written texts, 4 epochs (the cross-validated run)."""

    epochs: float = 4.0
    lr: float = 3e-5
    temperature: float = 0.1
    batch: int = 64
    max_tokens: int = 64
    seed: int = 0


def sentence_vectors(model, tok, texts: list[str], max_tokens: int = 64):  # -> torch (k, d), unit rows
    """Mean over the attention mask, L2-normalised: the pooling the runtime encoder applies."""
    import torch

    enc = tok(texts, padding=True, truncation=True, max_length=max_tokens, return_tensors="pt")
    hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9), dim=-1)


def training_examples(table: WishTable, written: Sequence[tuple[str, str | None]] = ()) -> tuple[list[str], list[int]]:
    """The exemplars and their classes (mood.wish.exemplar_classes), then each written (text, wish):
    a wish of the table is its class, no wish (None) the plain feelings'; a wish the table lacks
    stays out. Texts that only reject something ("nothing gloomy please") are learned as they were
    labelled; the rules read what a clause rejects from its content (mood.wish.rejected_content),
    so they do not depend on where the encoder puts negations."""
    from recommender.mood.wish import exemplar_classes

    texts, labels = exemplar_classes(table)
    ids = list(table.wishes)
    for text, wish in written:
        if wish is None or wish in ids:
            texts.append(text)
            labels.append(ids.index(wish) if wish is not None else len(ids))
    return texts, labels


def texts_version(written: Sequence[tuple[str, str, str | None]]) -> str:
    """Content hash of the written (hand, text, wish) the encoder was trained on."""
    return hashlib.sha256(json.dumps([list(t) for t in written]).encode()).hexdigest()[:12]


def fine_tune(
    table: WishTable,
    base: Path,
    out: Path,
    cfg: WishTraining = WishTraining(),
    written: Sequence[tuple[str, str | None]] = (),
) -> dict:
    """Contrastive fine-tune of `base` on the exemplars and the `written` (text, wish); saves a
    Hugging Face folder in `out`."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    tok = AutoTokenizer.from_pretrained(str(base))
    model = AutoModel.from_pretrained(str(base))
    texts, labels = training_examples(table, written)
    n_written = len(texts) - len(training_examples(table)[0])
    y_all = torch.tensor(labels)

    steps = max(1, int(cfg.epochs * len(texts) / cfg.batch))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    warmup = 0.1 * steps + 1
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, 1 - s / steps))
    model.train()
    start = last = time.monotonic()
    losses = []
    for step in range(steps):
        idx = random.sample(range(len(texts)), min(cfg.batch, len(texts)))
        v = sentence_vectors(model, tok, [texts[i] for i in idx], cfg.max_tokens)
        y = y_all[idx]
        eye = torch.eye(len(idx), dtype=torch.bool)
        sim = (v @ v.T / cfg.temperature).masked_fill(eye, -1e9)
        pos = (y[:, None] == y[None, :]) & ~eye
        logp = sim - torch.logsumexp(sim, dim=1, keepdim=True)
        has = pos.sum(1) > 0
        loss = (-(logp * pos).sum(1) / pos.sum(1).clamp(min=1))[has].mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        if time.monotonic() - last >= 5 or step == steps - 1:  # a line every few seconds
            last = time.monotonic()
            log.info("step %d/%d, loss %.3f, %.0f s", step + 1, steps, np.mean(losses[-20:]), last - start)
    model.save_pretrained(str(out))
    tok.save_pretrained(str(out))
    return {
        "steps": steps,
        "exemplars": len(texts) - n_written,
        "written": n_written,
        "final_loss": round(float(np.mean(losses[-20:])), 4),
    }


def tuning_accuracy(encode: Callable[[list[str]], np.ndarray], settings: WishSettings) -> dict[str, float]:
    """Wish accuracy of a reader on `encode` with `settings` over each tuning set."""
    from recommender.mood.wish import WishReader, default_wish_table

    reader = WishReader(default_wish_table(), encode, settings)
    out = {}
    for path in TUNING_SETS:
        items = json.loads(path.read_text(encoding="utf-8"))["items"]
        out[path.name] = round(float(np.mean([reader.read(it["text"]).wish == it.get("wish") for it in items])), 4)
    return out


def written_texts(paths: tuple[Path, ...] = ()) -> list[tuple[str, str, str | None]]:
    """(hand, text, wish) of every written mood text the head learns from: wish_texts.json (its
    items name their hand) and the tuning sets (one hand each)."""
    from recommender.mood.wish_head import TEXTS_FILE

    out = []
    for path in paths or (TEXTS_FILE, *TUNING_SETS):
        for it in json.loads(Path(path).read_text(encoding="utf-8"))["items"]:
            out.append((str(it.get("hand", Path(path).stem)), str(it["text"]), it.get("wish")))
    return out


def _read_all(
    reader: WishReader, texts: Sequence[tuple[str, str, str | None]]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(features, class of each text, the classes): what the head learns from."""
    from recommender.catalog.progress import Progress
    from recommender.mood.wish import NONE

    classes = [*reader.table.wishes, NONE]
    progress = Progress(len(texts), "wish head: reading the written texts")
    rows = []
    for _, text, _ in texts:
        rows.append(reader.features(text))
        progress.update()
    progress.close()
    y = np.array([classes.index(w) if w in classes else len(classes) - 1 for _, _, w in texts])
    return np.stack(rows), y, classes


def _scores(got: np.ndarray, rule: np.ndarray, y: np.ndarray) -> dict:
    return {
        "texts": int(y.size),
        "head": round(float(np.mean(got == y)), 4),
        "rules": round(float(np.mean(rule == y)), 4),
    }


def _mean(per_hand: dict) -> dict:
    return {k: round(float(np.mean([v[k] for v in per_hand.values()])), 4) for k in ("head", "rules")}


def train_head(reader: WishReader, texts: list[tuple[str, str, str | None]], c: float | None = None) -> dict:
    """The head fitted on every text, and its accuracy on each hand when fitted on the others,
    beside the rules' accuracy on the same hand. The encoder has seen every hand: only
    `--cross-validate` holds a hand out of both."""
    from recommender.mood.wish_head import HEAD_C, fit_head

    x, y, classes = _read_all(reader, texts)
    hands = np.array([h for h, _, _ in texts])
    rule = x[:, -len(classes) :].argmax(axis=1)
    held_out = {}
    for hand in dict.fromkeys(hands):
        test = hands == hand
        head = fit_head(x[~test], y[~test], classes, c or HEAD_C)
        held_out[str(hand)] = _scores(head.probabilities(x[test]).argmax(axis=1), rule[test], y[test])
    return {"head": fit_head(x, y, classes, c or HEAD_C), "held_out_hands": held_out, "held_out_mean": _mean(held_out)}


def _encoder(
    table: WishTable, written: Sequence[tuple[str, str | None]], out: Path, work: Path, cfg: WishTraining
) -> dict:
    """Fine-tune on the exemplars and `written`, then export to out/model.onnx."""
    from recommender.mood.wish import exemplar_classes
    from recommender.search.encoder import encoder_files
    from recommender.search.encoder_export import export_encoder
    from recommender.wheels import base_model_dir

    tuned = work / "tuned"
    tuned.mkdir(parents=True, exist_ok=True)
    trained = fine_tune(table, base_model_dir(), tuned, cfg, written)
    texts, _ = exemplar_classes(table)  # the export's cosine check runs on them
    (tuned / "tokenizer.json").write_bytes(
        encoder_files().tokenizer_path.read_bytes()
    )  # the search encoder's, byte for byte
    return {**trained, "export": export_encoder(out, work, check_texts=texts, base=tuned)}


def _add_to_summary(folder: Path, key: str, value: dict) -> None:
    """Set `key` in folder/training.json, keeping what the other steps wrote there."""
    path = folder / "training.json"
    summary = json.loads(path.read_text()) if path.exists() else {}
    summary[key] = value
    path.write_text(json.dumps(summary, indent=2) + "\n")


def cross_validate(
    folds: int = 3,
    cfg: WishTraining = WishTraining(),
    folder: Path | None = None,
    table: WishTable | None = None,
    texts: list[tuple[str, str, str | None]] | None = None,
) -> dict:
    """Wish accuracy on hands that neither the encoder nor the head saw: the hands (sorted) in
    `folds` groups; each group is read by an encoder and a head trained without it. About 10-13
    minutes a fold on 2 CPU cores."""
    from recommender.mood.wish import WISH_ENCODER_DIR, WishReader, WishSettings, default_wish_table
    from recommender.mood.wish_head import HEAD_C, fit_head
    from recommender.search.encoder import load_folder_encoder

    table = table or default_wish_table()
    texts = texts if texts is not None else written_texts()
    hands = np.array([h for h, _, _ in texts])
    order = sorted(dict.fromkeys(hands))
    per_hand = {}
    for fold in range(folds):
        held = [h for i, h in enumerate(order) if i % folds == fold]
        test = np.isin(hands, held)
        log.info("fold %d/%d: holding out %s", fold + 1, folds, ", ".join(held))
        with tempfile.TemporaryDirectory() as tmp:
            out, work = Path(tmp) / "model", Path(tmp) / "work"
            seen = [(t, w) for (_, t, w), keep in zip(texts, ~test) if keep]
            _encoder(table, seen, out, work, cfg)
            reader = WishReader(table, load_folder_encoder(out).encode, WishSettings())
            x, y, classes = _read_all(reader, texts)
        head = fit_head(x[~test], y[~test], classes, HEAD_C)
        got, rule = head.probabilities(x).argmax(axis=1), x[:, -len(classes) :].argmax(axis=1)
        for hand in held:
            mine = hands == hand
            per_hand[str(hand)] = _scores(got[mine], rule[mine], y[mine])
    report = {"folds": folds, "held_out_hands": per_hand, "held_out_mean": _mean(per_hand)}
    _add_to_summary(folder or WISH_ENCODER_DIR, "cross_validated", report)
    print(f"wish accuracy on hands neither the encoder nor the head saw, mean over hands {report['held_out_mean']}")
    return report


def main_head(folder: Path | None = None) -> int:
    """`train-wish --head-only`: the head on the shipped wish encoder (no torch needed)."""
    from recommender.mood.wish import WISH_ENCODER_DIR, WishReader, WishSettings, default_wish_table
    from recommender.mood.wish_head import save_head
    from recommender.search.encoder import load_folder_encoder

    folder = folder or WISH_ENCODER_DIR
    reader = WishReader(default_wish_table(), load_folder_encoder(folder).encode, WishSettings())
    trained = train_head(reader, written_texts())
    path = save_head(trained.pop("head"), folder)
    _add_to_summary(folder, "head", trained)
    print(f"{path}: wish accuracy on a hand it was not fitted on, mean over hands {trained['held_out_mean']}")
    return 0


def main(
    out: Path | None = None, work: Path = PROJECT_ROOT / "runs" / "wish", cfg: WishTraining = WishTraining()
) -> int:
    from recommender.mood.wish import SEARCH_ENCODER_SETTINGS, WISH_ENCODER_DIR, WishSettings, default_wish_table
    from recommender.search.encoder import load_encoder, load_folder_encoder

    out = out or WISH_ENCODER_DIR
    table = default_wish_table()
    written = written_texts()
    trained = _encoder(table, [(t, w) for _, t, w in written], out, work, cfg)
    before = tuning_accuracy(load_encoder().encode, SEARCH_ENCODER_SETTINGS)
    after = tuning_accuracy(load_folder_encoder(out).encode, WishSettings())
    summary = {"training": asdict(cfg), **trained, "wishes_version": table.version}
    summary["texts_version"] = texts_version(written)
    summary["wish_accuracy"] = {"search encoder": before, "wish encoder (trained on these sets)": after}
    (out / "training.json").write_text(json.dumps(summary, indent=2) + "\n")
    mb = trained["export"]["bytes"] / 2**20
    print(f"{out}/model.onnx: {mb:.1f} MB; tuning-set wish accuracy {before} -> {after} (rules only)")
    return main_head(out)
