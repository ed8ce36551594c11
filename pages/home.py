"""Home: what Reelmood does and where to go. Loads no models."""

import streamlit as st

st.title(":material/movie: Reelmood")
st.markdown(
    "#### Films for how you feel.\n"
    "Tell Reelmood how your day went. It reads the emotions in your words, works out which "
    "genres suit them, either to **match your mood** or to **lift it**, and picks films "
    "from a catalog of about 4,800 titles."
)

left, middle, right = st.columns(3)
with left, st.container(border=True):
    st.markdown("**:material/theater_comedy: Mood**")
    st.caption("Describe your mood and get a grid of films, with the emotions we read.")
    st.page_link("pages/mood.py", label="Find films for my mood", icon=":material/arrow_forward:")
with middle, st.container(border=True):
    st.markdown("**:material/movie_filter: Similar films**")
    st.caption("Paste a synopsis or pick a film you love; we find the closest stories.")
    st.page_link("pages/similar.py", label="Find similar films", icon=":material/arrow_forward:")
with right, st.container(border=True):
    st.markdown("**:material/speed: Benchmarks**")
    st.caption("Time the recommendation paths live, cached and uncached.")
    st.page_link("pages/benchmarks.py", label="Run the benchmarks", icon=":material/arrow_forward:")

st.divider()
st.caption(
    "Everything runs on this server: a small ONNX emotion model, TF-IDF and sentence "
    "embeddings over the TMDB 5000 catalog. Posters come from TMDB when an API key is set; "
    "otherwise Reelmood draws its own cards."
)
