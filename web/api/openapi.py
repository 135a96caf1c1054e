"""The order API's part of the app's OpenAPI document (served at /openapi.json), as checked into
docs/openapi.json: `python -m web.api.openapi > docs/openapi.json`."""

from __future__ import annotations

import json


def api_schema(schema: dict) -> dict:
    """Only the /api/ paths (the web pages are no API) and the schemas they use."""
    out = {**schema, "paths": {p: v for p, v in schema["paths"].items() if p.startswith("/api/")}}
    text = json.dumps(out["paths"])
    comps = schema.get("components", {}).get("schemas", {})
    used = {name: s for name, s in comps.items() if f"#/components/schemas/{name}\"" in text}
    out["components"] = {"schemas": dict(sorted(used.items()))} if used else {}
    return out


def main() -> None:
    from tasks.settings import Settings
    from web.app import create_app

    print(json.dumps(api_schema(create_app(Settings()).openapi()), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
