"""The web app: the Streamlit script (app.py), its pages, labels and HTML rendering; the KnowledgeBase facade only, nothing heavy."""
