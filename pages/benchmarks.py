"""Benchmarks page: the latency of the requests this server served (live), and the scenarios
timed on demand beside the seed's figures."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from recommender import ui
from recommender.serving.scale_bench import load_scale_results

DEFAULT_RUNS = 15  # the CLI uses 50; this keeps a live run around 10-20 s
LIVE_EVERY_S = 5  # auto-refresh period of the live section, when it is on
COLOURS = ["#E5484D", "#F5A524", "#F5C518", "#2EC4B6", "#8E6CEF"]
PLOT_CONFIG = {"displayModeBar": False}


def _short(name: str) -> str:
    """Plotly reads a little HTML in labels: escape, then break long names on purpose."""
    return html.escape(name, quote=False).replace(" + ", " +<br>").replace(", ", ",<br>")


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        margin=dict(l=10, r=10, t=50, b=10),
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
    )
    return fig


def percentile_chart(report) -> go.Figure:
    names = [_short(s.name) for s in report.scenarios]
    fig = go.Figure(
        [
            go.Bar(
                name="p50",
                x=names,
                y=[s.p50_ms for s in report.scenarios],
                marker_color="#F5C518",
                text=[f"{s.p50_ms:,.1f}" for s in report.scenarios],
                textposition="outside",
            ),
            go.Bar(
                name="p95",
                x=names,
                y=[s.p95_ms for s in report.scenarios],
                marker_color="#8E6CEF",
                text=[f"{s.p95_ms:,.1f}" for s in report.scenarios],
                textposition="outside",
            ),
        ]
    )
    fig.update_yaxes(type="log", dtick=1, title="ms (log scale)")
    return _layout(fig, "p50 and p95 latency per scenario")


def distribution_chart(report) -> go.Figure:
    fig = go.Figure(
        [
            go.Box(
                y=s.samples_ms,
                name=_short(s.name),
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                marker=dict(size=4, color=COLOURS[i % len(COLOURS)]),
                line=dict(width=1.5),
            )
            for i, s in enumerate(report.scenarios)
        ]
    )
    fig.update_yaxes(type="log", dtick=1, title="ms (log scale)")
    fig.update_layout(showlegend=False)
    return _layout(fig, "Every request, per scenario")


def cached_vs_uncached_chart(uncached, cached) -> go.Figure:
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        subplot_titles=(f"Uncached · p50 {uncached.p50_ms:,.2f} ms", f"Cached · p50 {cached.p50_ms:,.2f} ms"),
    )
    for col, s, colour in ((1, uncached, "#F5A524"), (2, cached, "#2EC4B6")):
        fig.add_trace(go.Histogram(x=s.samples_ms, nbinsx=15, marker_color=colour, name=s.name), row=1, col=col)
        fig.add_vline(x=s.p50_ms, line_dash="dash", line_color="#ECEDF2", row=1, col=col)
        fig.update_xaxes(title_text="ms", row=1, col=col)
    fig.update_yaxes(title_text="requests", row=1, col=1)
    fig.update_layout(showlegend=False)
    return _layout(fig, "Mood request: emotion cache off vs on", height=320)


def seed_chart(compared) -> go.Figure:
    names = [_short(s.name) for s in compared]
    fig = go.Figure(
        [
            go.Bar(
                name="seed project (reported)",
                x=names,
                y=[s.seed_ms for s in compared],
                marker_color="#5B6273",
                text=[f"{s.seed_ms:,.1f} ms" for s in compared],
                textposition="outside",
            ),
            go.Bar(
                name="Reelmood (measured now, p50)",
                x=names,
                y=[s.p50_ms for s in compared],
                marker_color="#F5C518",
                text=[
                    f"{s.p50_ms:,.1f} ms<br>{s.seed_ms / s.p50_ms:,.1f}× faster" if s.p50_ms > 0 else ""
                    for s in compared
                ],
                textposition="outside",
            ),
        ]
    )
    fig.update_traces(cliponaxis=False, textfont_size=11)
    fig.update_layout(uniformtext=dict(minsize=10, mode="show"))
    fig.update_yaxes(type="log", dtick=1, title="ms (log scale)")
    return _layout(fig, "Seed project's figures vs ours")


def summary_rows(report) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "scenario": s.name,
                "runs": s.runs,
                "p50 ms": round(s.p50_ms, 3),
                "p95 ms": round(s.p95_ms, 3),
                "mean ms": round(s.mean_ms, 3),
                "seed ms": s.seed_ms,
                "× faster than seed": round(s.seed_ms / s.p50_ms, 1) if s.seed_ms and s.p50_ms > 0 else None,
                "× faster than scenario 1": round(s.speedup_vs_first, 1) if s.speedup_vs_first else None,
            }
            for s in report.scenarios
        ]
    )


def show_report(report) -> None:
    from recommender.serving.bench import S2, S3

    by_name = {s.name: s for s in report.scenarios}
    compared = [s for s in report.scenarios if s.seed_ms]
    uncached, cached = by_name.get(S2), by_name.get(S3)

    m1, m2, m3, m4 = st.columns(4)
    if cached is not None:
        m1.metric("Cached mood request, p50", f"{cached.p50_ms:,.2f} ms")
        if cached.seed_ms:
            m2.metric("vs seed's cached path", f"{cached.seed_ms / cached.p50_ms:,.1f}× faster")
    m3.metric("ANN recall@10", f"{report.ann_recall_at_10:.3f}")
    m4.metric("Peak memory", f"{report.peak_rss_mb:,.0f} MB")

    left, right = st.columns(2)
    left.plotly_chart(percentile_chart(report), key="bench_percentiles", config=PLOT_CONFIG)
    right.plotly_chart(distribution_chart(report), key="bench_distribution", config=PLOT_CONFIG)
    left, right = st.columns(2)
    if uncached is not None and cached is not None:
        left.plotly_chart(cached_vs_uncached_chart(uncached, cached), key="bench_cache", config=PLOT_CONFIG)
    if compared:
        right.plotly_chart(seed_chart(compared), key="bench_seed", config=PLOT_CONFIG)

    number = st.column_config.NumberColumn
    st.dataframe(
        summary_rows(report),
        hide_index=True,
        width="stretch",
        column_config={
            "p50 ms": number(format="%.2f"),
            "p95 ms": number(format="%.2f"),
            "mean ms": number(format="%.2f"),
            "seed ms": number(format="%.1f"),
            "× faster than seed": number(format="%.1f×"),
            "× faster than scenario 1": number(format="%.1f×"),
        },
    )
    st.caption(
        f"Emotion model on a 20-word text: {report.emotion_p50_ms:.1f} ms p50 · sentence encoder on "
        f"a 60-word synopsis: {report.encoder_p50_ms:.1f} ms p50 · cache backend: "
        f"{ui.md_escape(report.machine.get('cache', '?'))} · {ui.md_escape(report.machine.get('cpus', '?'))} CPUs. "
        "Seed figures are the ones its README reported, on its own hardware."
    )


SCALE_LINES = (  # (label, value of a point)
    ("mood, cached", lambda p: p.mood_cached_ms),
    ("mood, nothing cached", lambda p: p.mood_uncached_ms),
    ("synopsis search", lambda p: p.synopsis_ms),
    ("mood ranking, every film scored (before)", lambda p: p.steps_ms.get("mood rank: every film")),
    ("mood ranking, shortlist (after)", lambda p: p.steps_ms.get("mood rank: shortlist")),
)


def scale_chart(points) -> go.Figure:
    films = [p.films for p in points]
    fig = go.Figure(
        [
            go.Scatter(
                x=films,
                y=[value(p) for p in points],
                name=label,
                mode="lines+markers",
                line=dict(color=COLOURS[i % len(COLOURS)], dash="dot" if "before" in label else "solid"),
            )
            for i, (label, value) in enumerate(SCALE_LINES)
        ]
    )
    fig.update_xaxes(type="log", title="films in the catalog (log scale)")
    fig.update_yaxes(type="log", title="p50 ms (log scale)")
    return _layout(fig, "Request p50 as the catalog grows", height=400)


def show_scale(points) -> None:
    st.subheader("Scale: the cost of a request as the catalog grows")
    if not points:
        st.info("No scale run is recorded here; `python -m recommender bench --scale` makes one.")
        return
    st.caption(
        "The committed run of `python -m recommender bench --scale`: catalogs resampled from the real one, "
        "each built and served in its own process. From 50,000 films the mood ranking scores a shortlist, "
        "and the build picks Annoy over exact search where it is faster (README, Scale)."
    )
    st.plotly_chart(scale_chart(points), config=PLOT_CONFIG)


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f} ms"


def show_live(rec) -> None:
    """What this server's Recommender served (every page of every visitor), newest last."""
    head, button = st.columns([5, 1], vertical_alignment="bottom")
    head.subheader("Live: requests this server served")
    button.button("Refresh", icon=":material/refresh:", key="live_refresh", width="stretch")
    records = rec.latency.records()
    summary = rec.latency.summary()
    if not records:
        st.info(
            "Nothing served yet since this server started. Find films on the **Mood** or **Similar films** "
            "page, then come back and refresh: every request appears here."
        )
        return
    st.markdown(
        f"**{summary.count:,}** requests served since this server started, **{summary.per_minute:,.0f}** in the "
        f"last minute; the last {len(records):,} are plotted."
    )
    groups = {(g.kind, g.cached): g for g in summary.groups}
    columns = iter(st.columns(4))
    for cached in (False, True):
        mood = groups.get(("mood", cached))
        for name, value in (("p50", mood.p50_ms if mood else None), ("p95", mood.p95_ms if mood else None)):
            next(columns).metric(f"Mood, {'cached' if cached else 'fresh'}: {name}", _ms(value))
    left, right = st.columns(2)
    left.plotly_chart(ui.served_timeline_chart(records), key="live_timeline", config=PLOT_CONFIG)
    right.plotly_chart(ui.served_distribution_chart(records), key="live_distribution", config=PLOT_CONFIG)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "requests": ui.served_label(g.kind, g.cached),
                    "served": g.count,
                    "p50 ms": g.p50_ms,
                    "p95 ms": g.p95_ms,
                    "mean ms": g.sum_ms / g.count if g.count else None,
                }
                for g in summary.groups
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={c: st.column_config.NumberColumn(format="%.2f") for c in ("p50 ms", "p95 ms", "mean ms")},
    )
    st.caption(
        "Milliseconds inside the recommender (reading, ranking, posters), as the pages and the API "
        "serve them; p50 / p95 over the last requests kept. The same figures are on the API's "
        "`/metrics` (Prometheus) and `/health`. Benchmark runs below are not counted."
    )


st.title("Benchmarks")
st.caption(
    "Live latency of what this server has served, and, on demand, the recommendation paths timed "
    "right now: the seed project's three mood paths (uncached with TF-IDF refit, precomputed TF-IDF, "
    "emotion cache + precomputed) and our synopsis search."
)

rec = ui.get_recommender()
if rec is not None:
    auto = st.toggle(f"Refresh the live figures every {LIVE_EVERY_S} s", key="live_auto")
    st.fragment(show_live, run_every=LIVE_EVERY_S if auto else None)(rec)

    st.subheader("On demand: time every path now")
    st.caption("Posters are off so only our own code is timed.")
    runs = st.slider(
        "Runs per scenario",
        5,
        50,
        DEFAULT_RUNS,
        5,
        key="bench_runs",
        help="The command-line benchmark uses 50. The uncached path runs at most 10 times.",
    )
    if st.button("Run benchmarks", type="primary", icon=":material/play_arrow:", key="bench_go"):
        from recommender.serving.bench import run_scenarios

        st.session_state.pop("bench_report", None)
        bar = st.progress(0.0, text="Warming up…")
        with ui.friendly_errors("running the benchmarks"), rec.latency.paused():  # not served requests
            st.session_state["bench_report"] = run_scenarios(
                rec,
                runs=runs,
                progress=lambda f, label: bar.progress(min(1.0, max(0.0, f)), text=f"Running: {label}"),
            )
        bar.empty()

    report = st.session_state.get("bench_report")
    if report is not None:
        show_report(report)
    else:
        st.info("Press **Run benchmarks** to time every path live (about 10-20 seconds).")

show_scale(load_scale_results())
