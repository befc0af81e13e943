"""Search: exact filters from words, hybrid dense + BM25 ranking, user profiles."""
