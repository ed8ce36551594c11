"""Fine-tune all-MiniLM-L6-v2 into the 8-label emotion classifier (needs requirements-train.txt).

Why these choices (2-core CPU, one hour): word embeddings stay frozen (a third of the weights,
and their optimiser step dominated), batches are length-bucketed so little is padding, texts
are cut at 64 tokens (dair-ai and GoEmotions rarely go past); GoEmotions' largest classes can be
capped per epoch (`goemotions_cap`, off by default). Class weights (inverse frequency ** 0.3) keep the rare
labels (disgust, fear) alive for macro-F1.
"""

from __future__ import annotations

import json
import logging
import math
import random
import shutil
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from recommender.emotion.labels import LABELS
from recommender.emotion.training.data import Example, Splits, load_splits
from recommender.emotion.training.metrics import Scores, score
from recommender.wheels import base_model_dir

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    epochs: int = 3
    lr: float = 1e-4
    batch_size: int = 32
    max_len: int = 64
    warmup: float = 0.06
    weight_decay: float = 0.01
    class_weight_power: float = 0.3
    # per-epoch caps for GoEmotions' two largest classes (None keeps all)
    goemotions_cap: dict | None = None
    seed: int = 13
    limit: int | None = None  # train on the first N examples only (tests)

    def __post_init__(self) -> None:
        if self.goemotions_cap is None:
            self.goemotions_cap = {}  # capping neutral/joy (8000/9000) cost 0.7 pt GoEmotions accuracy


def build_model(n_labels: int, base_dir: Path):
    import torch
    from transformers import AutoModel

    class EmotionNet(torch.nn.Module):
        """Encoder + masked mean pooling (as the sentence model was trained) + linear head."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base_dir), attn_implementation="eager")
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, n_labels)

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(self.dropout(pooled))

    return EmotionNet()


def tokenizer_for(base_dir: Path, max_len: int):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(base_dir / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_len)
    return tok


def _epoch_examples(train: list[Example], cfg: TrainConfig, rng: random.Random) -> list[int]:
    """Indices for one epoch: everything, with GoEmotions' largest classes subsampled."""
    keep: list[int] = []
    pools: dict[str, list[int]] = {}
    caps = cfg.goemotions_cap or {}
    for i, ex in enumerate(train):
        name = LABELS[ex.label]
        if ex.source == "goemotions" and name in caps:
            pools.setdefault(name, []).append(i)
        else:
            keep.append(i)
    for name, idx in pools.items():
        keep += rng.sample(idx, min(len(idx), caps[name]))
    return keep


def _batches(indices: list[int], lengths: list[int], size: int, rng: random.Random) -> list[list[int]]:
    """Length-bucketed batches: shuffle, sort within chunks of 50 batches, shuffle the batches."""
    indices = indices[:]
    rng.shuffle(indices)
    out: list[list[int]] = []
    chunk = size * 50
    for start in range(0, len(indices), chunk):
        part = sorted(indices[start : start + chunk], key=lambda i: lengths[i])
        out += [part[j : j + size] for j in range(0, len(part), size)]
    rng.shuffle(out)
    return out


def _pad(ids: list[list[int]], device):
    import torch

    width = max(len(x) for x in ids)
    input_ids = torch.zeros((len(ids), width), dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for row, seq in enumerate(ids):
        input_ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1
    return input_ids.to(device), mask.to(device)


def predict_proba(model, tok, texts: list[str], device, batch_size: int = 64) -> np.ndarray:
    import torch

    encs = [e.ids for e in tok.encode_batch(texts)]
    order = np.argsort([len(e) for e in encs])
    probs = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            ids, mask = _pad([encs[i] for i in idx], device)
            probs[idx] = torch.softmax(model(ids, mask).float(), -1).cpu().numpy()
    model.train()
    return probs


def evaluate_torch(model, tok, splits: Splits, device) -> dict[str, Scores]:
    return {
        name: score([e.label for e in exs], predict_proba(model, tok, [e.text for e in exs], device))
        for name, exs in (("dair_val", splits.dair_val), ("goemotions_val", splits.goemotions_val))
    }


def selection_score(scores: dict[str, Scores]) -> float:
    """What picks the best epoch: the three acceptance figures, equally weighted."""
    return scores["dair_val"].accuracy + scores["goemotions_val"].accuracy + scores["goemotions_val"].macro_f1


def train(data_dir: Path, work_dir: Path, cfg: TrainConfig, device: str | None = None) -> Path:
    """Train, keep the best epoch by validation score; returns the checkpoint folder."""
    import torch

    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu":
        torch.set_num_threads(max(1, torch.get_num_threads()))
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(work_dir / "last", ignore_errors=True)  # only this run's last epoch is a candidate
    log_path = work_dir / "train_log.jsonl"
    log_path.write_text("")

    def record(event: dict) -> None:
        with log_path.open("a") as fh:
            fh.write(json.dumps(event) + "\n")
        log.info("%s", event)

    splits = load_splits(data_dir)
    if cfg.limit:
        splits = Splits(splits.train[: cfg.limit], splits.dair_val[: cfg.limit], splits.goemotions_val[: cfg.limit])
    base = base_model_dir()
    tok = tokenizer_for(base, cfg.max_len)
    train_ids = [e.ids for e in tok.encode_batch([e.text for e in splits.train])]
    lengths = [len(x) for x in train_ids]
    labels = torch.tensor([e.label for e in splits.train])

    counts = Counter(e.label for e in splits.train)
    freq = np.array([counts.get(i, 0) + 1 for i in range(len(LABELS))], dtype=np.float64)
    weights = (freq.sum() / freq) ** cfg.class_weight_power
    weights = torch.tensor(weights / weights.mean(), dtype=torch.float32, device=device)

    model = build_model(len(LABELS), base).to(device)
    for p in model.encoder.embeddings.parameters():
        p.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim > 1]
    no_decay = [p for p in params if p.ndim <= 1]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr,
    )
    rng = random.Random(cfg.seed)
    per_epoch = math.ceil(len(_epoch_examples(splits.train, cfg, random.Random(0))) / cfg.batch_size)
    total = per_epoch * cfg.epochs
    warm = max(1, int(total * cfg.warmup))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    record(
        {
            "event": "start",
            "config": asdict(cfg),
            "device": device,
            "train_rows": len(splits.train),
            "steps": total,
            "class_weights": [round(float(w), 3) for w in weights],
        }
    )

    best, best_dir, t0 = -1.0, work_dir / "best", time.time()
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        tqdm = None
    model.train()
    for epoch in range(cfg.epochs):
        batches = _batches(_epoch_examples(splits.train, cfg, rng), lengths, cfg.batch_size, rng)
        bar: Any = tqdm(batches, desc=f"epoch {epoch + 1}/{cfg.epochs}", mininterval=10) if tqdm else batches
        running = 0.0
        for step, idx in enumerate(bar):
            ids, mask = _pad([train_ids[i] for i in idx], device)
            loss = loss_fn(model(ids, mask), labels[idx].to(device))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
            if tqdm:
                bar.set_postfix(loss=f"{running:.3f}")
            if step % 200 == 0:
                record(
                    {
                        "event": "step",
                        "epoch": epoch + 1,
                        "step": step,
                        "loss": round(running, 4),
                        "elapsed_s": round(time.time() - t0, 1),
                    }
                )
        scores = evaluate_torch(model, tok, splits, device)
        sel = selection_score(scores)
        record(
            {
                "event": "epoch",
                "epoch": epoch + 1,
                "elapsed_s": round(time.time() - t0, 1),
                "selection": round(sel, 4),
                **{k: v.summary() for k, v in scores.items()},
            }
        )
        if sel > best:
            best = sel
            save_checkpoint(model, best_dir, epoch + 1, scores)
        elif epoch + 1 == cfg.epochs:  # kept for comparison (e.g. after calibration)
            save_checkpoint(model, work_dir / "last", epoch + 1, scores)
    record({"event": "done", "elapsed_s": round(time.time() - t0, 1), "best_selection": round(best, 4)})
    return best_dir


def save_checkpoint(model, folder: Path, epoch: int, scores: dict[str, Scores]) -> None:
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), folder / "model.pt")
    (folder / "scores.json").write_text(
        json.dumps({"epoch": epoch, **{k: v.summary() for k, v in scores.items()}}, indent=2)
    )


def load_checkpoint(folder: Path):
    import torch

    model = build_model(len(LABELS), base_model_dir())
    model.load_state_dict(torch.load(Path(folder) / "model.pt", map_location="cpu"))
    model.eval()
    return model
