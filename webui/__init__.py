"""Streamlit adapter: pages that render what `classifier` decides. Nothing here decides anything."""
