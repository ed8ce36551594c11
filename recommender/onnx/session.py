"""The one way this project opens and runs an ONNX model on the CPU.

Why these choices (measured on the 2-core VM, see README "Measured"):
- worker threads busy-wait between the operators of one run, and stop when the run ends:
  waking a sleeping thread for each of ~150 small operators cost ~7% of the encoder's time,
  while threads left spinning after a run slowed the Python work that came next;
- onnxruntime must not re-fuse Add + LayerNormalization into SkipLayerNormalization: its CPU
  SkipLayerNormalization kernel took ~3x as long on a 70-token input (the encoder export
  unfuses it on purpose; the emotion model ships fused and is unaffected);
- no CPU memory arena: each run's activations stayed reserved in the arena, so the API's
  RSS grew with the number of requests in flight; plain malloc gives the memory back;
- one model run at a time per `threads` cores, process-wide: sixteen requests in flight
  otherwise start sixteen runs of two threads each on two cores, which is no faster and
  holds sixteen sets of activations in memory at once.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

_SLOTS_LOCK = threading.Lock()
_SLOTS: dict[int, threading.BoundedSemaphore] = {}


def _run_slots(threads: int) -> threading.BoundedSemaphore:
    """Process-wide limit on concurrent runs: cores // threads (at least one)."""
    with _SLOTS_LOCK:
        if threads not in _SLOTS:
            _SLOTS[threads] = threading.BoundedSemaphore(max(1, (os.cpu_count() or 1) // threads))
        return _SLOTS[threads]


class CpuSession:
    """An onnxruntime InferenceSession whose runs wait for a free slot (thread-safe)."""

    def __init__(self, model_path: Path | str, threads: int) -> None:
        import onnxruntime as ort

        threads = max(1, int(threads))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        options.enable_cpu_mem_arena = False
        options.add_session_config_entry("session.intra_op.allow_spinning", "1")
        options.add_session_config_entry("session.force_spinning_stop", "1")
        self._session = ort.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"], disabled_optimizers=["SkipLayerNormFusion"]
        )
        self._slots = _run_slots(threads)
        self.input_names = frozenset(i.name for i in self._session.get_inputs())
        self.output_names = tuple(o.name for o in self._session.get_outputs())

    def run(self, outputs: list[str] | None, feeds: dict[str, Any]) -> list[Any]:
        with self._slots:
            return self._session.run(outputs, feeds)
