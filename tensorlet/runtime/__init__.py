"""Execution: sessions, compiled plans, graph passes, per-session state."""
