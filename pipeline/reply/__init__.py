"""Reply drafts: one letter (or chat message) for all the causes of a complaint, ready for an agent to edit.

`draft_reply` follows the seven steps of docs/TAXONOMY.md (section 5): greet by name, say what we
answer, apologise and admit our error, fix each cause (steps from ``pipeline/policy.yaml``), offer a
benefit, commit to a follow-up date counted in business days, and end with a clear call to action.
What to say comes from the policy and the analysis; how to say it comes from the Jinja templates in
``pipeline/templates``, which hold several phrasings per step. The phrasing is chosen from a hash of
the complaint, so the same complaint always gets the same draft and different complaints read
differently. Every draft is checked with `pipeline.review` before it is returned.

One module per job, so a change to what a draft commits to never touches how it is said:
`reading` (what the complaint text says), `dates` (follow-up days), `spanish` (lists), `plan` (the
steps, answer, remedy and ask per cause), `context` (what a template may print), `render` (templates,
subject) and `draft` (the entry point and its shortening loop).
"""

from pipeline.entities import analysis_with_entities
from pipeline.reply.dates import IMMINENT_DAYS, add_business_days, follow_up, format_date_es
from pipeline.reply.draft import analysis_from_causes, chat_sentences, draft_reply
from pipeline.reply.plan import COMPENSATION_PLACEHOLDER
from pipeline.reply.reading import evidence_ask, live_chat
from pipeline.reply.spanish import join_es

__all__ = [
    "COMPENSATION_PLACEHOLDER",
    "IMMINENT_DAYS",
    "add_business_days",
    "analysis_from_causes",
    "analysis_with_entities",
    "chat_sentences",
    "draft_reply",
    "evidence_ask",
    "follow_up",
    "format_date_es",
    "join_es",
    "live_chat",
]
