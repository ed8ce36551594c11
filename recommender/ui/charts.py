"""Plotly charts: what was read (emotions and the genres they lead to), and the requests served."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import plotly.graph_objects as go

if TYPE_CHECKING:  # imported lazily at run time so the first paint does not wait on models
    from recommender.serving.latency_log import Served


from recommender.ui.cards import ACCENT

EMOTION_COLOURS = {
    "sadness": "#5B8DEF",
    "joy": "#F5C518",
    "love": "#EF5B9C",
    "anger": "#E5484D",
    "fear": "#8E6CEF",
    "surprise": "#2EC4B6",
    "disgust": "#7BAF3E",
    "neutral": "#9AA0AE",
}


# ---------------------------------------------------------------- charts


def _layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        showlegend=False,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return fig


def emotion_chart(emotions: dict[str, float]) -> go.Figure:
    """Horizontal bars of emotion probabilities, strongest on top."""
    items = sorted(emotions.items(), key=lambda kv: kv[1])
    fig = go.Figure(
        go.Bar(
            x=[p for _, p in items],
            y=[e.capitalize() for e, _ in items],
            orientation="h",
            marker_color=[EMOTION_COLOURS.get(e, ACCENT) for e, _ in items],
            text=[f"{p:.0%}" for _, p in items],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.1%}<extra></extra>",
        )
    )
    fig.update_xaxes(range=[0, 1.12], tickformat=".0%", showgrid=False)
    fig.update_layout(title="What we read in your words")
    return _layout(fig, 300)


def genre_chart(genres: dict[str, float]) -> go.Figure:
    """Genre weights the emotions lead to (top genre = 1)."""
    items = sorted(genres.items(), key=lambda kv: kv[1])[-8:]
    fig = go.Figure(
        go.Bar(
            x=[w for _, w in items],
            y=[html.escape(g) for g, _ in items],
            orientation="h",
            marker_color=ACCENT,
            hovertemplate="%{y}: %{x:.2f}<extra></extra>",
        )
    )
    fig.update_xaxes(range=[0, 1.05], showgrid=False, showticklabels=False)
    fig.update_layout(title="Genres that fit", bargap=0.6 if len(items) <= 3 else 0.35)
    return _layout(fig, 300)


# ---------------------------------------------------------------- live latency (Benchmarks page)

SERVED_COLOURS = {False: "#F5A524", True: "#2EC4B6"}  # computed fresh, from the emotion cache
SERVED_NAMES = {False: "computed fresh", True: "from the cache"}


def served_label(kind: str, cached: bool) -> str:
    """'mood · cached', 'synopsis · fresh': one (kind, cached) group of served requests."""
    return f"{kind} · {'cached' if cached else 'fresh'}"


def _live_layout(fig: go.Figure, title: str, height: int = 340) -> go.Figure:
    fig = _layout(fig, height)
    fig.update_layout(
        title=title,
        showlegend=True,
        margin=dict(l=10, r=10, t=50, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
    )
    fig.update_yaxes(type="log", dtick=1, title="ms (log scale)")
    return fig


def served_timeline_chart(records: Sequence[Served]) -> go.Figure:
    """Every kept request over time (this server's clock), coloured by cached or not."""
    fig = go.Figure()
    for cached in (False, True):
        rows = [r for r in records if r.cached == cached]
        if rows:
            fig.add_trace(
                go.Scatter(
                    x=[datetime.fromtimestamp(r.at) for r in rows],
                    y=[r.ms for r in rows],
                    text=[r.kind for r in rows],
                    mode="markers",
                    name=SERVED_NAMES[cached],
                    marker=dict(color=SERVED_COLOURS[cached], size=7, opacity=0.8),
                    hovertemplate="%{text}: %{y:,.1f} ms at %{x|%H:%M:%S}<extra></extra>",
                )
            )
    return _live_layout(fig, "Recent requests")


def served_distribution_chart(records: Sequence[Served]) -> go.Figure:
    """One box per (kind, cached): how the cache changes the spread, not only the median."""
    groups = sorted({(r.kind, r.cached) for r in records})
    fig = go.Figure(
        [
            go.Box(
                y=[r.ms for r in records if (r.kind, r.cached) == group],
                name=served_label(*group),
                legendgroup=SERVED_NAMES[group[1]],
                boxpoints="all" if len(records) <= 300 else "outliers",
                jitter=0.4,
                pointpos=0,
                marker=dict(size=4, color=SERVED_COLOURS[group[1]]),
                line=dict(width=1.5),
                showlegend=False,
            )
            for group in groups
        ]
    )
    return _live_layout(fig, "Cached vs uncached, per kind")


# ---------------------------------------------------------------- sidebar
