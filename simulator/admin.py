"""The admin HTTP API: switch faults per model, reset, and read stats and scenario status."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import logs
from .faults import FaultStore, FieldError, validate_patch
from .scenario_runner import ScenarioRunner
from .stats import Stats


def _invalid(field: str, reason: str, status: int = 422) -> JSONResponse:
    return JSONResponse({"error": f"{field}: {reason}", "field": field, "reason": reason}, status_code=status)


def routes(faults: FaultStore, stats: Stats, runner: ScenarioRunner) -> list[Route]:
    async def put_model(request: Request) -> JSONResponse:
        model = request.path_params["model"]
        try:
            body: Any = json.loads(await request.body() or b"null")
        except ValueError:
            return _invalid("body", "not valid JSON", 400)
        try:
            patch = validate_patch(body)
        except FieldError as exc:
            return _invalid(exc.field, exc.reason)
        settings = faults.update(model, patch)
        logs.event("admin set", model=model, set=patch, settings=settings.to_json())
        return JSONResponse(settings.to_json())

    async def delete_model(request: Request) -> JSONResponse:
        model = request.path_params["model"]
        settings = faults.clear(model)
        logs.event("admin clear", model=model)
        return JSONResponse(settings.to_json())

    async def list_models(request: Request) -> JSONResponse:
        return JSONResponse(faults.snapshot())

    async def reset(request: Request) -> JSONResponse:
        runner.stop()
        faults.reset()
        stats.reset()
        logs.event("admin reset")
        return JSONResponse({"status": "reset", "scenario": runner.status()["state"]})

    async def get_stats(request: Request) -> JSONResponse:
        return JSONResponse(stats.snapshot())

    async def get_scenario(request: Request) -> JSONResponse:
        return JSONResponse(runner.status())

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/admin/models", list_models, methods=["GET"]),
        Route("/admin/models/{model:path}", put_model, methods=["PUT"]),
        Route("/admin/models/{model:path}", delete_model, methods=["DELETE"]),
        Route("/admin/reset", reset, methods=["POST"]),
        Route("/admin/stats", get_stats, methods=["GET"]),
        Route("/admin/scenario", get_scenario, methods=["GET"]),
    ]
