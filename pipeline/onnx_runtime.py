"""ONNX Runtime inference for CPU serving.

PyTorch eager runs a 12-layer encoder as a few hundred separate kernels per text, and on a 2-core
CPU that dispatch overhead is a noticeable share of a one-complaint request. ONNX Runtime runs the same
weights as one fused graph (attention, LayerNorm and GELU fused by its transformer optimiser) and,
with dynamic int8 quantisation, uses the CPU's VNNI integer instructions. The exported files live in
the model folder (``onnx/``), so they are built once with `quejas export-onnx` (or on first load) and
travel with the model; the ONNX graph returns the same outputs as `QuejasModel.forward` (three head
logits, the pooled embedding and, in models that have the head, the intensity).
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np
import torch

from pipeline.model import QuejasModel, load_model
from pipeline.model_config import QuejasModelConfig
from pipeline.model_folder import ModelFolder

log = logging.getLogger("quejas.onnx")

OUTPUTS = ("causes", "sentiment", "risk", "embedding", "intensity")
OPSET = 17


def model_outputs(config: QuejasModelConfig) -> tuple[str, ...]:
    """The outputs a model of this config has: the intensity only where the folder has its head."""
    return tuple(name for name in OUTPUTS if name != "intensity" or config.intensity_head)


class _Logits(torch.nn.Module):
    """`QuejasModel` with tuple outputs: exporters name outputs by position, not by dict key."""

    def __init__(self, model: QuejasModel) -> None:
        super().__init__()
        self.model = model
        self.names = model_outputs(model.config)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out = self.model(input_ids=input_ids, attention_mask=attention_mask)
        return tuple(out[name] for name in self.names)


def _use_eager_attention(model: QuejasModel) -> None:
    """The ORT optimiser recognises the classic attention subgraph, not the SDPA call, so export with eager."""
    setter = getattr(model.encoder, "set_attn_implementation", None)
    if callable(setter):
        try:
            setter("eager")
            return
        except (ValueError, TypeError):
            pass
    model.encoder.config._attn_implementation = "eager"


def export_onnx(folder: Path, int8: bool = True, force: bool = False) -> Path:
    """Write ``onnx/model.onnx`` (float32, optimised) and, with ``int8``, ``onnx/model.int8.onnx``.

    Returns the file asked for. Existing files are kept unless ``force``: they depend only on the weights,
    which a model folder never changes.
    """
    target = ModelFolder(folder).onnx_file(int8)
    if target.exists() and not force:
        return target
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    model, tokenizer = load_model(folder, torch.device("cpu"))
    _use_eager_attention(model)
    model.eval()
    out_dir = ModelFolder(folder).onnx_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = out_dir / "model.raw.onnx"
    texts = ["Llevo dos semanas sin respuesta.", "El pedido llegó roto y nadie contesta."]
    sample = tokenizer(texts, padding=True, return_tensors="pt")  # padded, so the mask path is traced
    names = model_outputs(model.config)
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # tracer notes about python control flow in the HF mask helpers
        torch.onnx.export(
            _Logits(model),
            (sample["input_ids"], sample["attention_mask"]),
            str(raw),
            input_names=["input_ids", "attention_mask"],
            output_names=list(names),
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                **{name: {0: "batch"} for name in names},
            },
            opset_version=OPSET,
            dynamo=False,
        )
    encoder_config = model.encoder.config
    optimized = optimize_model(
        str(raw),
        model_type="bert",
        num_heads=encoder_config.num_attention_heads,
        hidden_size=encoder_config.hidden_size,
        opt_level=1,
    )
    fp32 = ModelFolder(folder).onnx_file(int8=False)
    optimized.save_model_to_file(str(fp32))
    raw.unlink(missing_ok=True)
    if int8:
        root = logging.getLogger()  # the quantizer prints generic pre-processing advice on the root logger
        level = root.level
        root.setLevel(logging.ERROR)
        try:
            # Shape inference cannot type the outputs of the fused com.microsoft ops; they are all float32.
            quantize_dynamic(
                str(fp32),
                str(ModelFolder(folder).onnx_file(int8=True)),
                weight_type=QuantType.QInt8,
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
        finally:
            root.setLevel(level)
    log.info("wrote %s", target)
    return target


class OnnxModel:
    """Runs the exported graph; called like `QuejasModel` and returns the same logits dict (CPU tensors).

    ``max_batch_size`` is 1 because that is the fastest way through this graph on a CPU: measured on 2
    cores with the int8 export, 12.4 ms per test-split text one at a time against 16.3 ms in pairs and
    23.4 ms in batches of 32 (the fused attention takes a slower path as soon as a padding mask exists).
    It also keeps the int8 graph exact: activations are quantised with one scale per tensor, so in a
    padded batch each text's result would depend on its neighbours. Callers still pass whole lists;
    `Analyzer` splits them.
    """

    max_batch_size = 1

    def __init__(self, path: Path, config: QuejasModelConfig, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads or torch.get_num_threads() or (os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.outputs = [o.name for o in self.session.get_outputs() if o.name in OUTPUTS]
        self.config = config
        self.path = Path(path)

    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        feed = {
            "input_ids": input_ids.numpy().astype(np.int64, copy=False),
            "attention_mask": attention_mask.numpy().astype(np.int64, copy=False),
        }
        outputs = self.session.run(self.outputs, feed)
        return {name: torch.from_numpy(value) for name, value in zip(self.outputs, outputs)}


def load_onnx(folder: Path, config: QuejasModelConfig, int8: bool, threads: int | None = None) -> OnnxModel:
    """The folder's ONNX graph, exported first if missing (a one-off ~1 minute, logged)."""
    path = ModelFolder(folder).onnx_file(int8)
    if not path.exists():
        log.warning("no %s yet; exporting it now (once per model folder)", path)
        export_onnx(folder, int8=int8)
    model = OnnxModel(path, config, threads)
    stale = [
        name
        for name, needed in (("embedding", config.neighbour_share), ("intensity", config.intensity_head))
        if needed and name not in model.outputs
    ]
    if stale:
        log.warning("%s predates the %s output(s) this model needs; exporting it again", path, ", ".join(stale))
        export_onnx(folder, int8=int8, force=True)
        model = OnnxModel(path, config, threads)
    return model
