"""REST API (FastAPI): the same two recommendations as the app, for other front ends.

Endpoints are plain `def`, so FastAPI runs the blocking model calls in its worker threads and
the event loop stays free. Every error is JSON with a readable `message`: validation 422,
unknown film 404, oversized body 413, anything unexpected 500 (no internals leaked).
Build with `create_app(recommender)`; `serve()` runs it with uvicorn.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from recommender import __version__
from recommender.serving.inputs import MAX_MOOD_CHARS, MAX_SYNOPSIS_CHARS, MAX_TOP_K, FilmNotFoundError, InputError
from recommender.serving.service import MoodFilters, Recommendation, Recommender

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # the longest valid body is ~5,000 chars of synopsis


# ---- request / response models --------------------------------------------------------------


class RecommendRequest(BaseModel):
    """Exactly one of synopsis, tmdb_id, title."""

    model_config = ConfigDict(extra="forbid")
    synopsis: str | None = Field(
        None,
        min_length=10,
        max_length=MAX_SYNOPSIS_CHARS,
        description="A plot description, official or in your own words",
    )
    tmdb_id: int | None = Field(None, ge=1, le=2**31 - 1, description="A catalog film's TMDB id")
    title: str | None = Field(None, min_length=1, max_length=300, description="A catalog film's title (forgiving)")
    top_k: int = Field(10, ge=1, le=MAX_TOP_K)

    @model_validator(mode="after")
    def _exactly_one(self) -> RecommendRequest:
        given = [n for n in ("synopsis", "tmdb_id", "title") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'synopsis', 'tmdb_id' or 'title'")
        return self


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year_min: int | None = Field(None, ge=1870, le=2100)
    year_max: int | None = Field(None, ge=1870, le=2100)
    min_rating: float | None = Field(None, ge=0, le=10)
    min_votes: int | None = Field(None, ge=0, le=10**8)
    language: str | None = Field(None, pattern=r"^[A-Za-z]{2,3}$", description="original language, e.g. 'en'")
    hidden_gems: bool = Field(False, description="less known films that are still well rated")

    @model_validator(mode="after")
    def _years_in_order(self) -> FiltersIn:
        if self.year_min is not None and self.year_max is not None and self.year_min > self.year_max:
            raise ValueError("year_min must not be after year_max")
        return self


class MoodRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., min_length=1, max_length=MAX_MOOD_CHARS, description="How you feel, in your words")
    top_k: int = Field(10, ge=1, le=MAX_TOP_K)
    mode: Literal["match", "lift"] = "match"
    filters: FiltersIn | None = None
    wish: str | None = Field(
        None,
        pattern=r"^[a-z]{2,20}$",
        description="what the films should do: omit to read it from the text, 'none' to let the mode "
        "decide, or a wish id (laugh, cry, scare, thrill, romance, light, think, inspire, wonder, calm, real, kids)",
    )
    exclude: list[int] = Field(
        default_factory=list, max_length=500, description="TMDB ids already shown (for 'show me others')"
    )
    offset: int = Field(0, ge=0, le=200, description="skip this many of the best films")
    ranking: Literal["default", "baseline"] = Field("default", description="'baseline': the ranking before wishes")


class FilmOut(BaseModel):
    movie_id: int
    similarity_score: float | None = Field(None, description="true cosine of the sentence embeddings")
    score: float = Field(..., description="ranking score, 0..1 (see docs/architecture.md)")
    title: str
    overview: str
    year: int | None
    genres: list[str]
    poster_url: str | None = Field(None, description="TMDB poster URL, or null")
    reason: str
    tone: list[str] = Field(default_factory=list, description="the film's strongest tones, e.g. ['tender', 'sad']")


class RecommendResponse(BaseModel):
    query: str
    matched_film: FilmOut | None = None
    recommendations: list[FilmOut]
    count: int
    elapsed_ms: float


class WishOut(BaseModel):
    id: str | None = Field(default=None, description="the wish the films were chosen for; null: the mode decided")
    label: str | None = Field(default=None, description="'a good cry'")
    source: str | None = Field(default=None, description="'read' from the text or 'chosen' in the request")
    avoid: list[str] = Field(default_factory=list, description="wishes the text rejects ('nothing scary')")


class MoodResponse(BaseModel):
    mode: str
    emotions: dict[str, float]
    genres: dict[str, float]
    recommendations: list[FilmOut]
    count: int
    cached: bool
    elapsed_ms: float
    note: str | None = None
    wish: WishOut = Field(default_factory=lambda: WishOut())


class ErrorOut(BaseModel):
    error: str
    message: str
    details: list[dict[str, Any]] | None = None


def _film_out(rec: Recommendation) -> FilmOut:
    poster = rec.poster_url if rec.poster_url and rec.poster_url.startswith("http") else None
    return FilmOut(
        movie_id=rec.movie_id,
        similarity_score=rec.similarity_score,
        score=rec.score,
        title=rec.title,
        overview=rec.overview,
        year=rec.year,
        genres=list(rec.genres),
        poster_url=poster,
        reason=rec.reason,
        tone=list(rec.tone),
    )


# ---- errors ---------------------------------------------------------------------------------


def _error(status: int, error: str, message: str, details: list[dict[str, Any]] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": error, "message": message}
    if details:
        body["details"] = details
    return JSONResponse(status_code=status, content=body)


def _readable(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """One sentence for people, plus a trimmed list for programs (no echo of huge inputs)."""
    details, sentences = [], []
    for err in errors[:10]:
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        field = ".".join(loc) or "body"
        kind = err.get("type", "")
        if kind == "json_invalid":
            ctx = err.get("ctx") or {}
            msg = "the request body is not valid JSON" + (f" ({ctx['error']})" if ctx.get("error") else "")
            field = "body"
        elif kind == "model_attributes_type" or (kind == "dict_type" and field == "body"):
            msg = "the request body must be a JSON object (Content-Type: application/json)"
        elif kind == "missing" and field == "body":
            msg = "the request body is empty; send a JSON object"
        else:
            msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        sentences.append(msg if field == "body" else f"{field}: {msg}")
        details.append({"field": field, "type": kind, "message": msg})
    return "; ".join(sentences) or "invalid request", details


# ---- the app --------------------------------------------------------------------------------


def create_app(recommender: Recommender | None = None) -> FastAPI:
    """The API over `recommender`, or over one loaded at startup when None."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = getattr(app.state, "recommender", None) is None
        if owned:
            from starlette.concurrency import run_in_threadpool

            app.state.recommender = await run_in_threadpool(Recommender.load)
        yield
        if owned:  # a recommender handed in belongs to the caller (tests, embedding apps)
            from recommender.serving.cache import stop_embedded_redis

            stop_embedded_redis()

    app = FastAPI(
        title="Reelmood API",
        version=__version__,
        lifespan=lifespan,
        description="Emotion-aware film recommendations and similar-film search over the TMDB 5000 catalog. "
        "This product uses the TMDB API but is not endorsed or certified by TMDB.",
    )
    app.state.recommender = recommender

    def rec() -> Recommender:
        return app.state.recommender

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        length = request.headers.get("content-length")
        if length is not None:
            try:
                too_big = int(length) > MAX_BODY_BYTES
            except ValueError:
                return _error(400, "bad_request", "Content-Length is not a number")
            if too_big:
                return _error(413, "too_large", f"request body over {MAX_BODY_BYTES // 1024} KiB")
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, details = _readable(list(exc.errors()))
        return _error(422, "invalid_request", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and "parsing the body" in str(exc.detail):  # undecodable bytes
            return _error(422, "invalid_request", "the request body is not valid JSON (not UTF-8 text)")
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        response = _error(exc.status_code, kind, str(exc.detail))
        if exc.headers:  # a 405 says which methods the path takes (Allow), as HTTP asks
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(FilmNotFoundError)
    async def on_not_found(request: Request, exc: FilmNotFoundError) -> JSONResponse:
        return _error(404, "not_found", str(exc))

    @app.exception_handler(InputError)
    async def on_input(request: Request, exc: InputError) -> JSONResponse:
        return _error(422, "invalid_input", str(exc))

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return _error(500, "internal_error", "something went wrong on our side; please try again")

    errors: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (404, 413, 422)}

    @app.post(
        "/api/v1/recommend",
        response_model=RecommendResponse,
        responses=errors,
        summary="Films similar to a synopsis or to a catalog film",
    )
    def recommend(body: RecommendRequest) -> RecommendResponse:
        r = rec()
        if body.synopsis is not None:
            result = r.similar_to_synopsis(body.synopsis, top_k=body.top_k)
        else:
            result = r.similar_to_film(movie_id=body.tmdb_id, title=body.title, top_k=body.top_k)
        films = [_film_out(x) for x in result.recommendations]
        matched = _film_out(result.matched_film) if result.matched_film else None
        return RecommendResponse(
            query=result.query,
            matched_film=matched,
            recommendations=films,
            count=len(films),
            elapsed_ms=round(result.elapsed_ms, 3),
        )

    @app.post(
        "/api/v1/mood",
        response_model=MoodResponse,
        responses=errors,
        summary="Films for how you feel (match or lift the mood)",
    )
    def mood(body: MoodRequest) -> MoodResponse:
        filters = MoodFilters(**body.filters.model_dump()) if body.filters else MoodFilters()
        result = rec().recommend_for_mood(
            body.text,
            top_k=body.top_k,
            mode=body.mode,
            filters=filters,
            wish=body.wish,
            exclude=body.exclude,
            offset=body.offset,
            ranking=body.ranking,
        )
        films = [_film_out(x) for x in result.recommendations]
        return MoodResponse(
            mode=result.mode,
            emotions=result.emotions,
            genres=result.genres,
            recommendations=films,
            count=len(films),
            cached=result.cached,
            elapsed_ms=round(result.elapsed_ms, 3),
            note=result.note,
            wish=WishOut(id=result.wish, label=result.wish_label, source=result.wish_source, avoid=list(result.avoid)),
        )

    @app.get("/", summary="What this API is and where to go next")
    def index() -> dict[str, Any]:
        return {
            "name": "Reelmood API",
            "version": __version__,
            "description": "Films for how you feel, and films like a synopsis or a film.",
            "links": {
                "docs": "/docs",
                "redoc": "/redoc",
                "openapi": "/openapi.json",
                "health": "/health",
                "mood": "/api/v1/mood",
                "recommend": "/api/v1/recommend",
            },
        }

    @app.get("/health", summary="Models loaded, cache backend and state, catalog size")
    def health() -> Any:
        r = rec()
        if r is None:
            return JSONResponse(status_code=503, content={"status": "loading"})
        status = r.status()
        return {
            "status": "ok",
            "version": __version__,
            "catalog_size": status.catalog_size,
            "models": {
                "emotion": status.emotion_model,
                "emotion_model_id": status.emotion_model_id,
                "encoder": status.encoder_loaded,
            },
            "cache": asdict(status.cache),
            "posters_enabled": status.posters_enabled,
            "index": status.index,
        }

    return app


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas (one per worker thread by default, up to 8 per core).

    Why: FastAPI runs each request in one of ~40 pool threads; every thread got its own
    arena and kept freed memory, and RSS after 2,000 requests was 410 MB instead of 389 MB.
    Returns False where this is not glibc (the cap is then simply not applied).
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(-8, int(arenas)))  # -8 = M_ARENA_MAX
    except (OSError, AttributeError):
        return False


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the API with uvicorn (one process; model calls run in its thread pool)."""
    import uvicorn

    if not limit_malloc_arenas():
        log.info("malloc arenas not capped (not glibc)")
    uvicorn.run(create_app(), host=host, port=port, log_level="info", access_log=False)
