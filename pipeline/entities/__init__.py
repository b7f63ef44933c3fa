"""The entities a reply is personalised with: names, references, contacts, amounts and dates.

One module per kind; :func:`extract_entities` runs them all in the order that settles overlaps.
"""

from pipeline.entities.dates import MONTH_NAMES, WEEKDAY_NAMES
from pipeline.entities.extract import analysis_with_entities, extract_entities, mask_contacts

__all__ = ["MONTH_NAMES", "WEEKDAY_NAMES", "analysis_with_entities", "extract_entities", "mask_contacts"]
