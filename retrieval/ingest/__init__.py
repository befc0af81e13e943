"""Ingestion: catalog, events, orders and policy files read, validated and written to the store;
the demo store's first-run preparation."""
