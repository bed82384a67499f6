"""Streamlit interface helpers (labels, HTML rendering). Imports nothing heavy."""
