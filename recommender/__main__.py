"""Command line: build, train-emotion, train-wish, evaluate-emotion, evaluate-search, evaluate-mood, export-encoder, bench, serve."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from recommender.config import PROJECT_ROOT

DEFAULT_DATA = PROJECT_ROOT.parent / "shared" / "data"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m recommender", description="Reelmood command line")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build the catalog artifacts (TF-IDF, embeddings, index)")
    b.add_argument(
        "--movies-csv",
        action="append",
        help="a TMDB-style CSV; repeat to merge several by id, the later winning; "
        "'default' names TMDB 5000 from PyPI (the default when none is given)",
    )
    b.add_argument("--out", type=Path, help="output folder (default: artifacts/)")

    t = sub.add_parser("train-emotion", help="fine-tune, export and evaluate the emotion model")
    t.add_argument("--data", type=Path, default=DEFAULT_DATA)
    t.add_argument("--out", type=Path, default=PROJECT_ROOT / "models" / "emotion")
    t.add_argument(
        "--work",
        type=Path,
        default=PROJECT_ROOT / "runs" / "emotion",
        help="checkpoints, intermediate ONNX files and the training log",
    )
    t.add_argument("--epochs", type=int, default=3)
    t.add_argument("--lr", type=float, default=1e-4)
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--seed", type=int, default=13)
    t.add_argument("--limit", type=int, help="train on the first N rows only (smoke test)")
    t.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    t.add_argument("--export-only", action="store_true", help="export the best checkpoint in --work")

    tw = sub.add_parser("train-wish", help="fine-tune and export the wish reader's encoder and head (models/wish)")
    tw.add_argument("--head-only", action="store_true", help="only refit the head on the shipped encoder (no torch)")
    tw.add_argument(
        "--cross-validate",
        action="store_true",
        help="measure encoder + head on hands neither saw (3 folds, ~35 min on 2 cores); adds it to training.json",
    )

    e = sub.add_parser("evaluate-emotion", help="accuracy/macro-F1 of the shipped model on the val splits")
    e.add_argument("--data", type=Path, default=DEFAULT_DATA)
    e.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "emotion")
    e.add_argument("--json", type=Path, help="also write the figures here")

    sub.add_parser("evaluate-search", help="dense vs TF-IDF vs hybrid synopsis search on eval/")
    em = sub.add_parser("evaluate-mood", help="baseline vs current mood ranking on eval/mood_dev.json")
    em.add_argument("--set", type=Path, help="another set in the same format (e.g. eval/mood_tune.json)")
    em.add_argument("--json", type=Path, help="also write the figures here")
    sub.add_parser(
        "export-encoder",
        help="re-create models/encoder/model.onnx (int8) from the float MiniLM weights (needs requirements-train.txt)",
    )

    be = sub.add_parser("bench", help="latency scenarios (cached vs uncached, synopsis search)")
    be.add_argument("--json", type=Path, help="also write the report here")
    be.add_argument("--runs", type=int, help="runs per scenario")
    be.add_argument("--no-seed", action="store_true", help="skip the seed pipeline (its first run embeds the catalog)")
    be.add_argument("--scale", action="store_true", help="the scale curve on synthetic catalogs (minutes)")
    be.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="catalog sizes for --scale, comma-separated (default: %(default)s)",
    )

    f = sub.add_parser("fetch-tmdb", help="fetch films from TMDB (discover + details) into a CSV build reads")
    f.add_argument("--out", type=Path, default=PROJECT_ROOT / "runs" / "tmdb" / "films.csv")
    f.add_argument("--pages", type=int, default=100, help="discover pages to list (20 films each; TMDB stops at 500)")
    f.add_argument("--max-films", type=int, help="stop listing after this many films")
    f.add_argument("--years", help="primary release years A-B, e.g. 2018-2026")
    f.add_argument("--sort", choices=("popularity", "votes"), default="popularity")
    f.add_argument("--min-votes", type=int, default=50, help="vote_count.gte floor")
    f.add_argument("--workers", type=int, default=4, help="concurrent requests")
    f.add_argument("--max-age-days", type=float, default=30.0, help="refetch details older than this")

    s = sub.add_parser("serve", help="start the REST API")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    return p


def main(argv: list[str] | None = None) -> int:
    handler = logging.StreamHandler()
    # a library that logs INFO through the root logger itself (onnxruntime's quantiser: a line per
    # tensor in export-encoder, train-wish, train-emotion) is a flood, not progress
    handler.addFilter(lambda r: r.name != "root" or r.levelno >= logging.WARNING)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", handlers=[handler]
    )
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one clear line, not a traceback, for expected failures
        from recommender.emotion.training.data import DataMissingError

        known: tuple[type[Exception], ...] = (DataMissingError,)
        try:
            from recommender.artifacts import ArtifactError

            known += (ArtifactError,)
        except ImportError:
            pass
        if isinstance(exc, known):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise


def _run(args: argparse.Namespace) -> int:
    if args.command == "build":
        from recommender.build import build_main

        return build_main(args.movies_csv, args.out)
    if args.command == "train-emotion":
        from recommender.emotion.training.pipeline import train_export_evaluate

        return train_export_evaluate(args)
    if args.command == "train-wish":
        from recommender.wish_training import cross_validate, main_head
        from recommender.wish_training import main as train_wish

        if args.cross_validate:
            cross_validate()
            return 0
        return main_head() if args.head_only else train_wish()
    if args.command == "evaluate-emotion":
        from recommender.emotion.training.evaluate import main as evaluate

        return evaluate(args.data, args.model, args.json)
    if args.command == "evaluate-mood":
        from recommender.evaluation.mood import main as evaluate_mood

        return evaluate_mood(args.set, args.json)
    if args.command == "evaluate-search":
        from recommender.evaluation.search import main as evaluate_search

        return evaluate_search()
    if args.command == "export-encoder":
        from recommender.search.encoder_export import main as export_encoder

        return export_encoder()
    if args.command == "bench" and args.scale:
        from recommender.serving.scale_bench import scale_main

        return scale_main(args.sizes, args.json, args.runs)
    if args.command == "bench":
        from recommender.serving.bench import main as bench

        return bench(args.json, args.runs, seed=not args.no_seed)
    if args.command == "fetch-tmdb":
        from recommender.catalog.tmdb_fetch import fetch_main

        return fetch_main(args)
    if args.command == "serve":
        from recommender.serving.api import serve

        serve(args.host, args.port)
        return 0
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
