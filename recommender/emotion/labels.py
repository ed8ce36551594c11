"""The 8 product labels, in the order of the model's logits."""

LABELS: tuple[str, ...] = ("sadness", "joy", "love", "anger", "fear", "surprise", "disgust", "neutral")
