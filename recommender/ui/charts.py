"""Plotly charts of what was read: emotions and the genres they lead to."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import plotly.graph_objects as go

if TYPE_CHECKING:  # imported lazily at run time so the first paint does not wait on models
    pass


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


# ---------------------------------------------------------------- sidebar
