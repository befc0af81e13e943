"""Gradio web UI (Shop, Agent, Admin tabs) mounted on the API app."""
