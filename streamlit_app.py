"""Reelmood entry point: page config, navigation over pages/, and the shared status sidebar.

The page is painted before any model loads; the sidebar status (which needs the
Recommender) is filled in after the page has run, so a cold start shows content first.
"""

from __future__ import annotations

import streamlit as st

from recommender import ui

st.set_page_config(page_title="Reelmood", page_icon=":material/movie:", layout="wide")
ui.inject_css()

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/mood.py", title="Mood", icon=":material/theater_comedy:"),
    st.Page("pages/similar.py", title="Similar films", icon=":material/movie_filter:"),
    st.Page("pages/benchmarks.py", title="Benchmarks", icon=":material/speed:"),
]

page = st.navigation(PAGES)
page.run()
ui.render_status_sidebar()
