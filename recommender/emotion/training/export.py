"""Trained checkpoint -> ONNX -> graph-optimised (fused attention/LayerNorm/GELU) -> int8.

Fusion comes before quantisation because that is what makes int8 pay off on these CPUs
(DESIGN.md); quantising the plain export is no faster than float.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from recommender.emotion.labels import LABELS
from recommender.onnx.export import OPSET, optimise

log = logging.getLogger(__name__)


def export_float(model, path: Path) -> Path:
    import torch

    model.eval()
    ids = torch.randint(1000, 2000, (2, 16), dtype=torch.long)
    mask = torch.ones_like(ids)
    torch.onnx.export(
        model,
        (ids, mask),
        str(path),
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "seq"},
            "attention_mask": {0: "batch", 1: "seq"},
            "logits": {0: "batch"},
        },
        opset_version=OPSET,
        dynamo=False,
    )
    return path


def quantise(src: Path, dst: Path) -> Path:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Fused contrib ops defeat shape inference; their outputs are float.
    quantize_dynamic(
        str(src),
        str(dst),
        weight_type=QuantType.QInt8,
        per_channel=True,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    return dst


def write_config(folder: Path, base_config: dict, max_length: int) -> None:
    config = {
        **{k: v for k, v in base_config.items() if not k.startswith("_")},
        "architectures": ["ReelmoodEmotionClassifier"],
        "model_type": "bert",
        "problem_type": "single_label_classification",
        "id2label": {str(i): name for i, name in enumerate(LABELS)},
        "label2id": {name: i for i, name in enumerate(LABELS)},
        "num_labels": len(LABELS),
        "pooling": "mean",
        "max_length": max_length,
        "onnx_inputs": ["input_ids", "attention_mask"],
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")


def export_folder(checkpoint: Path, out: Path, work: Path, max_length: int = 128) -> dict[str, Path]:
    """Write model.onnx (int8), tokenizer.json and config.json into `out`.

    Returns the intermediate float and optimised files too (kept in `work`) so the evaluation
    can compare int8 with float.
    """
    from recommender.emotion.training.train import load_checkpoint
    from recommender.wheels import base_model_dir

    base = base_model_dir()
    base_config = json.loads((base / "config.json").read_text())
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    model = load_checkpoint(checkpoint)
    float_path = export_float(model, work / "model.float.onnx")
    opt_path = optimise(
        float_path, work / "model.opt.onnx", base_config["num_attention_heads"], base_config["hidden_size"]
    )
    quantise(opt_path, out / "model.onnx")
    shutil.copy(base / "tokenizer.json", out / "tokenizer.json")
    write_config(out, base_config, max_length)
    return {"float": float_path, "optimised": opt_path, "int8": out / "model.onnx"}
