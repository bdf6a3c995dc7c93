"""Fake model catalogs on 127.0.0.1: OpenRouter's public model list (with per-model endpoints)
and an OpenAI-compatible `/models` behind Bearer auth, in the real wire shapes.

Unconfirmed details, chosen to exercise both ways a client can be wrong:
- whether openrouter.ai sends validators on the edge-cached list: `validators` turns ETags and
  304s on or off (off by default);
- OpenRouter's 401/404 messages ("User not found.", "Model not found") and whether the endpoints
  route enforces a key (`accept_keys` turns enforcement on);
- DeepSeek's 401 message, which echoes the key's last four characters ("****abcd").
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
from pathlib import Path
from typing import Any, ClassVar

from aiohttp import web

from .upstream import FakeUpstream, json_response

FIXTURES = Path(__file__).parent.parent / "fixtures" / "catalogs"
FILLER_AUTHORS = ("openai", "anthropic", "google", "meta-llama", "mistralai", "qwen", "x-ai", "cohere",
                  "nousresearch", "microsoft", "amazon", "nvidia", "moonshotai", "z-ai", "minimax")
FILLER_FAMILIES = ("chat", "instruct", "coder", "vision", "reasoner", "mini", "large", "flash")


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def _bearer(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _fixture_model(model_id: str) -> dict[str, Any]:
    return next(m for m in fixture("openrouter_models.json")["data"] if m["id"] == model_id)


def _fixture_endpoint() -> dict[str, Any]:
    return dict(fixture("openrouter_endpoints_deepseek-chat.json")["data"]["endpoints"][0])


def _filler(n: int) -> list[dict[str, Any]]:
    """Deterministic models of other labs, so the list is as large as the real one (hundreds)."""
    template = fixture("openrouter_models.json")["data"][-2]
    models = []
    for i in range(n):
        author, family = FILLER_AUTHORS[i % len(FILLER_AUTHORS)], FILLER_FAMILIES[i % len(FILLER_FAMILIES)]
        model = copy.deepcopy(template)
        model.update(id=f"{author}/{family}-{i:03d}", canonical_slug=f"{author}/{family}-{i:03d}-2025",
                     name=f"{author.title()}: {family.title()} {i}", created=1700000000 + i * 86400,
                     context_length=[8192, 32768, 131072, 262144][i % 4], hugging_face_id="",
                     description=f"A {family} model by {author}, number {i}. " * 8)
        model["pricing"] = {**model["pricing"], "prompt": f"0.000000{i % 90 + 10}",
                            "completion": f"0.00000{i % 90 + 10}"}
        models.append(model)
    return models


class FakeOpenRouter(FakeUpstream):
    """`GET /api/v1/models` ({"data": [...]}, `output_modalities` filter) and
    `GET /api/v1/models/{author}/{slug}/endpoints`, with OpenRouter's `{"error": {code, message}}`."""

    control_ops: ClassVar[tuple[str, ...]] = (
        *FakeUpstream.control_ops,
        *("add_model", "update_model", "remove_model", "hide_model", "partial", "set_validators"),
        *("accept_keys", "drop_endpoints"),
        *("add_provider", "update_provider", "remove_provider", "rate_limit", "clear_rate_limit"),
    )
    filler: ClassVar[int] = 320

    def __init__(self) -> None:
        super().__init__()
        self._wipe()

    def _wipe(self) -> None:
        self._models: dict[str, dict[str, Any]] = {}
        for model in [*fixture("openrouter_models.json")["data"], *_filler(self.filler)]:
            self._models[model["id"]] = model
        self._endpoints: dict[str, list[dict[str, Any]]] = {
            "deepseek/deepseek-chat": fixture("openrouter_endpoints_deepseek-chat.json")["data"]["endpoints"]}
        self._created = itertools.count(1772000000, 3600)
        self._tick = itertools.count()
        self._keys: set[str] = set()
        self._validators = False
        self._partial: int | None = None
        self._hidden: set[str] = set()
        self._no_endpoints: set[str] = set()
        self._limited: dict[str, str] | None = None

    def reset(self) -> None:
        super().reset()
        with self.lock:
            self._wipe()

    def fail_next(self, n: int = 1, status: int = 500, path_contains: str | None = None,
                  body: Any = None) -> None:
        default = {"error": {"code": status, "message": "Internal Server Error"}}
        super().fail_next(n, status, path_contains, default if body is None else body)

    # -- control API -------------------------------------------------------------------------

    def add_model(self, model_id: str, *, context_length: int = 131072, prompt: str = "0.00000027",
                  completion: str = "0.0000011", input_modalities: tuple[str, ...] = ("text",),
                  output_modalities: tuple[str, ...] = ("text",), **fields: Any) -> dict[str, Any]:
        with self.lock:
            if model_id in self._models:
                raise ValueError(f"model {model_id} already exists")
            model = _fixture_model("deepseek/deepseek-chat")
            model.update(id=model_id, canonical_slug=f"{model_id}-2026", name=model_id.split("/")[-1],
                         created=next(self._created), hugging_face_id="")
            self._models[model_id] = model
            self._set(model, context_length=context_length, prompt=prompt, completion=completion,
                      input_modalities=input_modalities, output_modalities=output_modalities, **fields)
            return copy.deepcopy(model)

    def update_model(self, model_id: str, **fields: Any) -> dict[str, Any]:
        """Also `prompt=`, `completion=`, `input_modalities=`, ...: the nested fields people change."""
        with self.lock:
            self._set(self._models[model_id], **fields)
            return copy.deepcopy(self._models[model_id])

    def remove_model(self, model_id: str) -> None:
        with self.lock:
            del self._models[model_id]
            self._endpoints.pop(model_id, None)

    def hide_model(self, model_id: str, hidden: bool = True) -> None:
        """Leave a model out of the list (and bring it back) without touching its fields."""
        with self.lock:
            (self._hidden.add if hidden else self._hidden.discard)(model_id)

    def drop_endpoints(self, model_id: str) -> None:
        """The model stays listed but its endpoints route answers 404."""
        with self.lock:
            self._no_endpoints.add(model_id)

    def partial(self, keep: int | None) -> None:
        """Serve only the first `keep` models (a truncated answer); None serves them all again."""
        with self.lock:
            self._partial = keep

    def set_validators(self, on: bool = True) -> None:
        with self.lock:
            self._validators = on

    def accept_keys(self, *keys: str) -> None:
        """The endpoints route then wants one of these Bearer keys; with none it is open."""
        with self.lock:
            self._keys = set(keys)

    def add_provider(self, model_id: str, provider: str, *, tag: str | None = None,
                     quantization: str = "fp8", context_length: int | None = None,
                     prompt: str | None = None, completion: str | None = None,
                     max_completion_tokens: int | None = None) -> dict[str, Any]:
        with self.lock:
            model = self._models[model_id]
            endpoint = _fixture_endpoint()
            endpoint.update(name=f"{provider} | {model_id}", model_id=model_id, model_name=model["name"],
                            provider_name=provider, tag=tag or f"{provider.lower()}/{quantization}",
                            quantization=quantization,
                            context_length=context_length or model["context_length"],
                            max_completion_tokens=max_completion_tokens)
            endpoint["pricing"].update(prompt=prompt or model["pricing"]["prompt"],
                                       completion=completion or model["pricing"]["completion"])
            endpoint["pricing"].pop("input_cache_read", None)
            self._endpoints_of(model_id).append(endpoint)
            return copy.deepcopy(endpoint)

    def update_provider(self, model_id: str, tag: str, *, prompt: str | None = None,
                        completion: str | None = None, **fields: Any) -> None:
        with self.lock:
            endpoint = next(e for e in self._endpoints_of(model_id) if e["tag"] == tag)
            endpoint.update(fields)
            for key, value in (("prompt", prompt), ("completion", completion)):
                if value is not None:
                    endpoint["pricing"][key] = value

    def remove_provider(self, model_id: str, tag: str) -> None:
        with self.lock:
            self._endpoints[model_id] = [e for e in self._endpoints_of(model_id) if e["tag"] != tag]

    def rate_limit(self, retry_after: int | None = None) -> None:
        """Every request answers 429 until `clear_rate_limit()`."""
        with self.lock:
            self._limited = {"Retry-After": str(retry_after)} if retry_after is not None else {}

    def clear_rate_limit(self) -> None:
        with self.lock:
            self._limited = None

    # -- state helpers (callers hold self.lock) ----------------------------------------------

    def _set(self, model: dict[str, Any], **fields: Any) -> None:
        arch, pricing, top = model["architecture"], model["pricing"], model["top_provider"]
        for key in ("input_modalities", "output_modalities"):
            if key in fields:
                arch[key] = list(fields.pop(key))
        arch["modality"] = "+".join(arch["input_modalities"]) + "->" + "+".join(arch["output_modalities"])
        for key in ("prompt", "completion", "request", "image", "input_cache_read", "web_search"):
            if key in fields:
                pricing[key] = fields.pop(key)
        if "context_length" in fields:
            top["context_length"] = fields["context_length"]
        if "max_completion_tokens" in fields:
            top["max_completion_tokens"] = fields.pop("max_completion_tokens")
        model.update(fields)

    def _endpoints_of(self, model_id: str) -> list[dict[str, Any]]:
        """A model without a fixture is served by its author, at its list price."""
        if model_id not in self._endpoints:
            model = self._models[model_id]
            author = model_id.split("/")[0]
            self._endpoints[model_id] = [{
                **_fixture_endpoint(),
                "name": f"{author.title()} | {model_id}", "model_id": model_id, "model_name": model["name"],
                "provider_name": author.title(), "tag": author, "quantization": "unknown",
                "context_length": model["context_length"],
                "pricing": {**model["pricing"], "discount": 0}}]
        return self._endpoints[model_id]

    # -- HTTP --------------------------------------------------------------------------------

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/api/v1/models", self._list)
        router.add_get("/api/v1/models/{author}/{slug}/endpoints", self._model_endpoints)
        router.add_route("*", "/{tail:.*}", self._not_found)

    async def _not_found(self, request: web.Request) -> web.Response:
        return json_response(404, {"error": {"code": 404, "message": "Not Found"}})

    def _limit_reply(self) -> web.Response | None:
        if self._limited is None:
            return None
        body = {"error": {"code": 429, "message": "Rate limit exceeded: limit_rpm/deepseek/12345. "
                                                  "High demand for this model."}}
        return json_response(429, body, self._limited)

    async def _list(self, request: web.Request) -> web.Response:
        wanted = request.query.get("output_modalities", "text")
        with self.lock:
            if (limited := self._limit_reply()) is not None:
                return limited
            models = [m for m in self._models.values() if m["id"] not in self._hidden and (wanted == "all"
                      or set(wanted.split(",")) & set(m["architecture"]["output_modalities"]))]
            if self._partial is not None:
                models = models[: self._partial]
            return self._answer(request, {"data": models})

    async def _model_endpoints(self, request: web.Request) -> web.Response:
        model_id = f"{request.match_info['author']}/{request.match_info['slug']}"
        with self.lock:
            if (limited := self._limit_reply()) is not None:
                return limited
            if self._keys:
                key = _bearer(request)
                if key is None:
                    missing = {"error": {"code": 401, "message": "No auth credentials found"}}
                    return json_response(401, missing)
                if key not in self._keys:
                    return json_response(401, fixture("openrouter_error_401.json"))
            model = self._models.get(model_id)
            if model is None or model_id in self._no_endpoints:
                return json_response(404, fixture("openrouter_error_404.json"))
            tick = next(self._tick)
            endpoints = []
            for endpoint in self._endpoints_of(model_id):
                moving = copy.deepcopy(endpoint)
                moving["uptime_last_30m"] = round(95 + (tick * 7 % 50) / 10, 1)
                moving["latency_last_30m"] = {"p50": 0.5 + tick / 100, "p75": 0.8, "p90": 1.2, "p99": 3.1}
                moving["throughput_last_30m"] = {"p50": 30 + tick, "p75": 25, "p90": 18, "p99": 9}
                endpoints.append(moving)
            data = {k: model[k] for k in ("id", "name", "created", "description")}
            data["architecture"] = {k: v for k, v in model["architecture"].items()}
            return self._answer(request, {"data": {**data, "endpoints": endpoints}}, cacheable=False)

    def _answer(self, request: web.Request, body: Any, cacheable: bool = True) -> web.Response:
        text = json.dumps(body)
        headers = {"cache-control": "public, max-age=300" if cacheable else "private, no-store"}
        if self._validators and cacheable:
            etag = f'W/"{hashlib.sha1(text.encode()).hexdigest()}"'
            headers["etag"] = etag
            sent = {t.strip().removeprefix("W/") for t in request.headers.get("If-None-Match", "").split(",")}
            if etag.removeprefix("W/") in sent:
                return web.Response(status=304, headers=headers)
        return web.Response(status=200, text=text, content_type="application/json", headers=headers)


class FakeOpenAIModels(FakeUpstream):
    """An OpenAI-compatible `GET /models` (also under `/v1`) behind Bearer auth, with OpenAI-style
    error bodies `{"error": {message, type, param, code}}`."""

    control_ops: ClassVar[tuple[str, ...]] = (
        *FakeUpstream.control_ops,
        *("add_model", "remove_model", "accept_keys", "set_echo", "set_shape"),
    )
    failure_body: ClassVar[Any] = {"error": {"message": "Service Unavailable", "type": "server_error",
                                             "param": None, "code": None}}

    def __init__(self) -> None:
        super().__init__()
        self._wipe()

    def _wipe(self) -> None:
        self._models = list(fixture("openai_models_deepseek.json")["data"])
        self._keys: set[str] = set()
        self._echo = "deepseek"
        self._shape = "openai"
        self._stamps = itertools.count(1772000000, 7)

    def reset(self) -> None:
        super().reset()
        with self.lock:
            self._wipe()

    def add_model(self, model_id: str, owned_by: str = "deepseek", created: int | None = None) -> None:
        with self.lock:
            model: dict[str, Any] = {"id": model_id, "object": "model", "owned_by": owned_by}
            if created is not None:
                model["created"] = created
            self._models.append(model)

    def remove_model(self, model_id: str) -> None:
        with self.lock:
            self._models = [m for m in self._models if m["id"] != model_id]

    def accept_keys(self, *keys: str) -> None:
        """Only these Bearer keys are valid; with none, every request is refused."""
        with self.lock:
            self._keys = set(keys)

    def set_echo(self, style: str) -> None:
        """How a 401 repeats the key: "deepseek" (****abcd), "openai" (sk-ab***abcd) or "full"."""
        with self.lock:
            self._echo = style

    def set_shape(self, shape: str) -> None:
        """"openai" ({"object": "list", "data": [...]}), "bare" (a list, as Together sends) or
        "vllm" (`created` stamped with the time of each request)."""
        with self.lock:
            self._shape = shape

    def add_routes(self, router: web.UrlDispatcher) -> None:
        for path in ("/models", "/v1/models"):
            router.add_get(path, self._list)
        router.add_route("*", "/{tail:.*}", self._not_found)

    async def _not_found(self, request: web.Request) -> web.Response:
        body = {"error": {"message": f"Invalid URL ({request.method} {request.path})",
                          "type": "invalid_request_error", "param": None, "code": None}}
        return json_response(404, body)

    def _refusal(self, key: str | None) -> dict[str, Any]:
        body = fixture("openai_error_401.json")
        if key is None:
            body["error"]["message"] = "Authentication Fails, no api key provided"
        elif self._echo == "openai":
            body["error"]["message"] = (f"Incorrect API key provided: {key[:5]}{'*' * 20}{key[-4:]}. You can "
                                        "find your API key at https://platform.openai.com/account/api-keys.")
        elif self._echo == "full":
            body["error"]["message"] = f"Invalid API key {key} for this endpoint"
        else:
            body["error"]["message"] = body["error"]["message"].format(last4=key[-4:])
        return body

    async def _list(self, request: web.Request) -> web.Response:
        key = _bearer(request)
        with self.lock:
            if key is None or key not in self._keys:
                return json_response(401, self._refusal(key))
            models = copy.deepcopy(self._models)
            if self._shape == "vllm":
                for model in models:
                    model.update(created=next(self._stamps), root=model["id"], parent=None,
                                 max_model_len=131072, permission=[])
            body: Any = models if self._shape == "bare" else {"object": "list", "data": models}
        return json_response(200, body)
