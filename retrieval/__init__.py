"""Retrieval: ingestion, the Chroma/SQLite store, user profiles, search and recommendations.

Nothing here imports `assistant`.
"""
