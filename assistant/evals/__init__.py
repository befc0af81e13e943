"""Offline evaluations that print figures (conversations, drafts, grounding, intents, search, recs,
fine-tuning); nothing here runs at serve time."""
