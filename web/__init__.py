"""The web application: merchants' 管理画面, operators' console, order API, payment page (portal.md).

Depends on `tasks/` one way, like the CLI in `flows/`: no SQL and no rule lives here.
"""
