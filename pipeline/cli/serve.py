"""`quejas serve`: the HTTP API and the triage page."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.app import app
from pipeline.cli.render import console


@app.command("serve", rich_help_panel="Service")
def serve_command(
    host: str = typer.Option(None, help="Interface to bind (default QUEJAS_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default QUEJAS_PORT or 8000)."),
    model: Path = typer.Option(
        None, "--model", "-m", help="Model folder (default QUEJAS_MODEL_PATH or models/latest)."
    ),
    device: str = typer.Option(None, help="auto, cpu or cuda (default QUEJAS_DEVICE or auto)."),
    quantize: bool = typer.Option(None, "--quantize/--no-quantize", help="int8 encoder on CPU (QUEJAS_QUANTIZE)."),
    runtime: str = typer.Option(None, help="torch or onnx (ONNX Runtime, CPU; default QUEJAS_RUNTIME or torch)."),
    bf16: bool = typer.Option(
        None, "--bf16/--no-bf16", help="bfloat16 autocast, PyTorch runtime (QUEJAS_BF16): cheap batches on AMX CPUs."
    ),
) -> None:
    """Serve the HTTP API and the triage page (settings from QUEJAS_* environment variables)."""
    import uvicorn

    from serve.app import create_app
    from serve.settings import startup_settings

    settings = startup_settings(
        host=host, port=port, model_path=model, device=device, quantize=quantize, runtime=runtime, bf16=bf16
    )
    console.print(f"quejas on http://{settings.host}:{settings.port}  (model {settings.model_path}, docs at /docs)")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
