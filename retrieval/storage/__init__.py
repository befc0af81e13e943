"""The store: Chroma collections, the SQL schema, the in-process mirror, embeddings, baskets."""
