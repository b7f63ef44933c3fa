"""One router per resource: analysis (classify/analyze/reply), review, metadata and health."""
