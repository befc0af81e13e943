"""Retrieval: ingestion (`ingest/`), the Chroma + SQL store and its mirror (`storage/`), search and
user profiles (`search/`), recommendations (`recs/`).

Nothing here imports `assistant`.
"""
