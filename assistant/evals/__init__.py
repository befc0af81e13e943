"""Offline evaluations that print figures (intent routing, …); nothing here runs at serve time."""
