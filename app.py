"""`streamlit run app.py` from a checkout: the app is kb/ui/app.py (which `kb app` runs)."""

from kb.ui.app import main

main()
