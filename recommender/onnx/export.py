"""Export steps both MiniLM models share (train time only: needs onnxruntime's transformer tools)."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

OPSET = 17


def optimise(src: Path, dst: Path, num_heads: int, hidden_size: int) -> Path:
    from onnxruntime.transformers.optimizer import optimize_model

    opt = optimize_model(str(src), model_type="bert", num_heads=num_heads, hidden_size=hidden_size, opt_level=1)
    log.info("fused operators: %s", opt.get_fused_operator_statistics())
    opt.save_model_to_file(str(dst))
    return dst
