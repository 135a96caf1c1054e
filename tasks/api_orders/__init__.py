"""Orders over HTTPS (portal.md, Order API): the intake store the API writes, the references we
issue, merchants' API keys, idempotency, and the export of the intake into the inbox, where the pull
merges it like an ORDERS file (kind API_ORDERS). See docs/api.md."""
