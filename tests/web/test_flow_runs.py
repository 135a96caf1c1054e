"""フローの実行 in the console: the last runs from the Prefect API with links into its UI."""

from __future__ import annotations

from flows.runtime import flow

from .conftest import login


@flow(name="web-test-flow")
def tiny() -> int:
    return 1


def test_runs_page_lists_flow_runs_with_ui_links(web, prefect_harness):
    tiny()
    with web.client() as c:
        login(c, "ops")
        page = c.get("/console/runs").text
    assert "web-test-flow" in page and "Completed" in page
    assert "/runs/flow-run/" in page
