"""The labelstudio_runs panel, driven through real ExecutionContexts (the
handlers, their state and the rendered output), with the real Label Studio
server and MongoDB."""

import pytest

from fiftyone_labelstudio import constants

from test_operators_support import (
    assert_no_secret,
    image_dataset,
    make_ctx,
    operator,
    run,
    triggered,
    uri,
)

PANEL = "labelstudio_runs"


@pytest.fixture
def images_ds(dataset, sample_images, ls_server):
    return image_dataset(dataset, sample_images)


def panel_event(dataset, method, state=None, **params):
    """Runs one panel event; returns (ctx, triggered requests)."""
    panel = operator(PANEL)
    ctx = make_ctx(
        dataset,
        PANEL,
        {
            "panel_id": "panel-1",
            "panel_state": state or {},
            "__method__": method,
            **params,
        },
    )
    panel.execute(ctx)
    return ctx, triggered(ctx)


def rendered(calls):
    outputs = [p for u, p in calls if u.endswith("show_panel_output")]
    assert outputs, "the panel did not render"
    return outputs[-1]["output"]["type"]["properties"]


def _request(ds, key, fields=None):
    fields = fields or {"ground_truth": {}}
    return run(
        "request_annotations",
        ds,
        {
            "anno_key": key,
            "existing_fields": list(fields),
            "media_mode": "upload",
            "open_in_labelstudio": True,
        },
    )[0]


def test_empty_dataset_explains_how_to_start(images_ds, ls_server):
    ctx, calls = panel_event(images_ds, "on_load")
    assert ctx.panel.get_state("num_runs") == 0
    assert ctx.panel.get_state("server_ok") is True
    assert ls_server.version in ctx.panel.get_state("server_status")
    props = rendered(calls)
    assert "empty" in props and "runs" not in props
    assert "Request annotations" in props["empty"]["default"]
    buttons = props["buttons"]["type"]["properties"]
    assert set(buttons) == {
        "request_annotations",
        "import_project",
        "refresh_progress",
        "refresh",
    }
    assert buttons["request_annotations"]["view"]["label"] == (
        "Request annotations"
    )
    titles = [p["title"] for u, p in calls if u.endswith("set_panel_title")]
    assert titles == ["Label Studio runs (0)"]
    assert_no_secret(calls, ls_server.api_key)


def test_request_button_prompts_the_request_operator(images_ds):
    _, calls = panel_event(images_ds, "request_annotations")
    ((name, params),) = [
        (u, p) for u, p in calls if u.endswith("prompt_user_for_operation")
    ]
    assert params["operator_uri"] == uri("request_annotations")
    assert params["on_success"] == uri(PANEL) + "#refresh"


def test_missing_key_is_shown_without_failing(images_ds, monkeypatch):
    monkeypatch.delenv(constants.SECRET_API_KEY, raising=False)
    ctx, calls = panel_event(images_ds, "on_load")
    assert ctx.panel.get_state("server_ok") is False
    assert constants.SECRET_API_KEY in ctx.panel.get_state("server_status")
    assert rendered(calls)["server_status"]["view"]["name"] == "Error"


def test_runs_are_listed_with_actions_and_links(
    images_ds, ls_server, ls_projects_guard
):
    _request(images_ds, "first")
    _request(images_ds, "second", {"weather": {}})
    ctx, calls = panel_event(images_ds, "on_load")

    rows = ctx.panel.get_state("runs")
    assert [r["key"] for r in rows] == ["first", "second"]
    first = rows[0]
    assert first["label_fields"] == "ground_truth"
    assert first["num_samples"] == len(images_ds)
    assert first["project_url"].startswith(ls_server.url)
    assert first["last_loaded"] == "never"
    assert first["progress"] == "not checked"
    assert first["created"]

    props = rendered(calls)
    table = props["runs"]["view"]
    assert table["name"] == "TableView"
    # few columns: the actions stay visible in a half-width panel
    assert [c["key"] for c in table["columns"]] == [
        "key",
        "project",
        "fields",
        "progress",
        "dates",
    ]
    assert first["fields"] == "ground_truth (%d)" % len(images_ds)
    assert first["dates"].endswith(" / never")
    assert first["project"].startswith("FiftyOne_%s (#" % images_ds.name)
    assert [a["name"] for a in table["row_actions"]] == [
        "load_run",
        "open_run",
        "status_run",
        "sync_run",
        "view_run",
        "rename_run",
        "delete_run",
    ]
    links = props["project_links"]["type"]["properties"]
    assert {link["view"]["href"] for link in links.values()} == {
        r["project_url"] for r in rows
    }
    assert (
        links["open_project_0"]["view"]["componentsProps"]["button"]["target"]
        == "_blank"
    )
    assert_no_secret(calls, ls_server.api_key)
    assert_no_secret(rows, ls_server.api_key)


def test_refresh_progress_reads_label_studio(
    images_ds, ls_server, ls_projects_guard
):
    _request(images_ds, "prog")
    ctx, calls = panel_event(images_ds, "refresh_progress")
    (row,) = ctx.panel.get_state("runs")
    assert row["progress"] == "0/%d (0%%)" % len(images_ds)
    assert_no_secret(calls, ls_server.api_key)


def test_row_actions_prompt_operators_for_that_run(
    images_ds, ls_projects_guard
):
    _request(images_ds, "act")
    ctx, _ = panel_event(images_ds, "on_load")
    state = {"runs": ctx.panel.get_state("runs")}
    for method, op_name in [
        ("load_run", "load_annotations"),
        ("open_run", "open_in_labelstudio"),
        ("sync_run", "sync_annotations"),
        ("rename_run", "rename_annotation_run"),
        ("delete_run", "delete_annotation_run"),
    ]:
        _, calls = panel_event(images_ds, method, state=state, row=0)
        prompts = [
            p for u, p in calls if u.endswith("prompt_user_for_operation")
        ]
        assert len(prompts) == 1, method
        assert prompts[0]["operator_uri"] == uri(op_name)
        assert prompts[0]["params"] == {"anno_key": "act"}

    ctx, calls = panel_event(images_ds, "status_run", state=state, row=0)
    assert ctx.panel.get_state("runs")[0]["progress"] == "0/%d (0%%)" % len(
        images_ds
    )
    (note,) = [p for u, p in calls if u.endswith("notify")]
    assert note["message"].startswith("act: 0/")

    _, calls = panel_event(images_ds, "view_run", state=state, row=0)
    views = [p for u, p in calls if u.endswith("set_view")]
    assert len(views) == 1

    # a row that is out of range does nothing
    _, calls = panel_event(images_ds, "load_run", state=state, row=7)
    assert not [u for u, _ in calls if u.endswith("prompt_user_for_operation")]


def test_unreachable_server_still_lists_runs(
    images_ds, ls_projects_guard, monkeypatch
):
    _request(images_ds, "offline")
    monkeypatch.setenv(constants.SECRET_URL, "http://127.0.0.1:9")
    ctx, calls = panel_event(images_ds, "refresh_progress")
    assert ctx.panel.get_state("server_ok") is False
    assert "127.0.0.1:9" in ctx.panel.get_state("server_status")
    assert [r["key"] for r in ctx.panel.get_state("runs")] == ["offline"]
    assert rendered(calls)["server_status"]["view"]["name"] == "Error"


def test_many_runs(images_ds, ls_projects_guard):
    for i in range(14):
        _request(images_ds, "many_%02d" % i)
    ctx, calls = panel_event(images_ds, "on_load")
    assert ctx.panel.get_state("num_runs") == 14
    links = rendered(calls)["project_links"]["type"]["properties"]
    # the newest runs' (first), in rows of 3; the table covers the rest
    assert len(links) == 6
    assert [link["view"]["label"] for link in links.values()][:2] == [
        "Open many_13",
        "Open many_12",
    ]
    assert rendered(calls)["project_links"]["view"]["columns"] == 3


def test_last_loaded_is_shown_after_a_load(images_ds, ls_projects_guard):
    _request(images_ds, "loaded")
    result, _ = run("load_annotations", images_ds, {"anno_key": "loaded"})
    ctx, _ = panel_event(images_ds, "refresh")
    (row,) = ctx.panel.get_state("runs")
    assert row["last_loaded"] == result["last_loaded"] != "never"
