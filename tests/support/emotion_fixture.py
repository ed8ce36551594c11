"""A tiny emotion data folder in the real layouts (dair-ai `text;label`, GoEmotions TSV), so the
training code is exercised on any machine, with or without ../shared/data."""

from __future__ import annotations

from pathlib import Path

from recommender.emotion.training.data import GOEMOTIONS_TO_PRODUCT

SENTENCES = {
    "sadness": ["i feel so lonely since she left", "i miss my old friends and feel empty"],
    "joy": ["i feel wonderful and cheerful today", "i am thrilled we won the game"],
    "love": ["i feel so tender towards my wife", "i adore my little daughter"],
    "anger": ["i feel furious at the rude driver", "i am so mad they cheated me"],
    "fear": ["i feel terrified of the dark alley", "i am scared the test will go badly"],
    "surprise": ["i feel amazed by the sudden news", "i was shocked to see him there"],
}
GO_SENTENCES = {
    "disgust": ["that is revolting, i want to throw up", "gross, who would eat that"],
    "neutral": ["the meeting is at three tomorrow", "i will take the bus home"],
    "joy": ["haha this made my day", "so happy for you both"],
}


def write_emotion_data(folder: Path, copies: int = 3) -> Path:
    """Write emotion/{train,val}.txt and goemotions/{train,dev}.tsv + emotions.txt."""
    (folder / "emotion").mkdir(parents=True, exist_ok=True)
    (folder / "goemotions").mkdir(parents=True, exist_ok=True)
    dair = [f"{text} {i};{label}" for i in range(copies) for label, texts in SENTENCES.items() for text in texts]
    (folder / "emotion" / "train.txt").write_text("\n".join(dair) + "\n")
    (folder / "emotion" / "val.txt").write_text("\n".join(dair[: len(dair) // 2]) + "\n")
    names = list(GOEMOTIONS_TO_PRODUCT)
    (folder / "goemotions" / "emotions.txt").write_text("\n".join(names) + "\n")
    go_name = {"disgust": "disgust", "neutral": "neutral", "joy": "joy"}
    rows = [
        f"{text} {i}\t{names.index(go_name[label])}\tid{i}"
        for i in range(copies)
        for label, texts in GO_SENTENCES.items()
        for text in texts
    ]
    (folder / "goemotions" / "train.tsv").write_text("\n".join(rows) + "\n")
    (folder / "goemotions" / "dev.tsv").write_text("\n".join(rows) + "\n")
    return folder
