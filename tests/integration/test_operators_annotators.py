"""Several annotators in the App (issue 7): the load form's "which
annotation" choices (latest, one person's, every person's into fields of
their own), the status output and the panel's Status row action, against
the real Label Studio server and MongoDB."""

import json
import time

import pytest

from fiftyone_labelstudio import constants
from fiftyone_labelstudio.service.load import EVERY_ANNOTATOR

from test_operators_support import (
    image_dataset,
    make_ctx,
    operator,
    run,
    triggered,
    uri,
)

ALICE = "alice.annotator@example.com"
BOB = "bob.annotator@example.com"
LOAD = "load_annotations"
PANEL = "labelstudio_runs"


def _user(ls_client, email, username):
    for user_id, user in ls_client.list_users().items():
        if user["email"] == email:
            return user_id
    return ls_client.sdk.users.create(email=email, username=username).id


def _weather(ls_client, task_id, value, user_id):
    time.sleep(0.02)  # distinct timestamps: "latest" is well defined
    ls_client.sdk.annotations.create(
        id=task_id,
        result=[
            {
                "id": "w%d_%s" % (task_id, user_id),
                "from_name": "weather",
                "to_name": constants.IMAGE_TAG_NAME,
                "type": "choices",
                "value": {"choices": [value]},
            }
        ],
        completed_by=user_id,
        lead_time=1.0,
    )


@pytest.fixture
def two_people(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    """Run 'multi' on 5 samples; task 0: bob 'sun', then alice 'rain'
    (the latest); task 1: alice 'sun' only."""
    ds = image_dataset(dataset, sample_images)
    run(
        "request_annotations",
        ds,
        {
            "anno_key": "multi",
            "existing_fields": ["weather"],
            "media_mode": "upload",
        },
    )
    results = ds.load_annotation_results(
        "multi", cache=False, url=ls_server.url, api_key=ls_server.api_key
    )
    by_sample = {s: t for t, s in results.task_map.items()}
    ids = ds.values("id")
    alice = _user(ls_client, ALICE, "alice")
    bob = _user(ls_client, BOB, "bob")
    _weather(ls_client, by_sample[ids[0]], "sun", bob)
    _weather(ls_client, by_sample[ids[0]], "rain", alice)
    _weather(ls_client, by_sample[ids[1]], "sun", alice)
    return ds, ids


def test_load_form_offers_every_annotator(two_people):
    from test_operators_support import resolve

    ds, _ = two_people
    props, errors = resolve(ds, LOAD, {"anno_key": "multi"})
    values = [c.value for c in props["annotator"].view.choices]
    assert values[:2] == ["latest", EVERY_ANNOTATOR]
    assert ALICE in values and BOB in values
    assert "dest__field_weather" in props
    assert errors == {}

    params = {"anno_key": "multi", "annotator": EVERY_ANNOTATOR}
    props, errors = resolve(ds, LOAD, params)
    assert "dest__field_weather" not in props
    assert "weather_<annotator>" in props["every_annotator_notice"].view.label
    assert errors == {}


def test_every_annotator_into_their_own_fields(two_people):
    ds, ids = two_people
    result, res = run(
        LOAD, ds, {"anno_key": "multi", "annotator": EVERY_ANNOTATOR}
    )
    assert result["annotator"] == EVERY_ANNOTATOR
    assert result["fields_written"] == ["weather_alice", "weather_bob"]
    rows = {r["annotator"]: r for r in result["annotators"]}
    assert rows[ALICE]["fields"] == "weather_alice"
    assert rows[ALICE]["labels"] == 2 and rows[BOB]["labels"] == 1
    ds.reload()
    first, second = ds[ids[0]], ds[ids[1]]
    assert first.weather_alice.label == "rain"
    assert first.weather_bob.label == "sun"
    assert second.weather_alice.label == "sun"
    assert second.weather_bob is None  # bob did not annotate it
    # the run's own field is untouched
    assert first.weather.label == "sun"
    assert "multi" not in ds._annotation_cache

    # loading again updates the same fields (labels before are counted)
    again, _ = run(
        LOAD, ds, {"anno_key": "multi", "annotator": EVERY_ANNOTATOR}
    )
    before = {f["field"]: f["labels_before"] for f in again["fields"]}
    assert before == {"weather_alice": 2, "weather_bob": 1}

    # the App's output shows one row per person
    op = operator(LOAD)
    ctx = make_ctx(ds, LOAD, {}, results=result)
    props = op.resolve_output(ctx).type.properties
    assert props["annotators"].view.__class__.__name__ == "TableView"
    assert "Annotators (2)" in str(props["annotators"].to_json())


def test_one_annotator_even_with_cached_results(two_people, ls_server):
    ds, ids = two_people
    # results cached in the session (as after a Python call) ignore an
    # annotator= passed to load_annotations; the operator must not
    ds.load_annotation_results(
        "multi", url=ls_server.url, api_key=ls_server.api_key
    )
    assert "multi" in ds._annotation_cache
    result = operator(LOAD)(ds, "multi", annotator=BOB)
    assert result["annotator"] == BOB
    ds.reload()
    assert ds[ids[0]].weather.label == "sun"  # bob's, not the latest
    assert "multi" not in ds._annotation_cache

    result = operator(LOAD)(ds, "multi")
    ds.reload()
    assert ds[ids[0]].weather.label == "rain"  # the latest (alice)


def test_status_output_shows_annotators_and_agreement(two_people):
    ds, _ = two_people
    op = operator("get_annotation_status")
    status = op(ds, "multi")
    rows = {r["annotator"]: r["annotations"] for r in status["annotators"]}
    assert rows == {ALICE: 2, BOB: 1}
    assert status["agreement_summary"].endswith(
        "over 1 tasks (weather: " "exact match 0.000)"
    )

    ctx = make_ctx(ds, "get_annotation_status", {}, results=status)
    props = op.resolve_output(ctx).type.properties
    table = props["annotators"].view.to_json()
    assert [c["key"] for c in table["columns"]] == [
        "annotator",
        "annotations",
        "skipped",
    ]
    assert '"label": "Agreement"' in json.dumps(
        props["agreement_summary"].to_json()
    )
    assert props["open_project"].view.href == status["project_url"]


def _panel(ds, method, state=None, **params):
    ctx = make_ctx(
        ds,
        PANEL,
        {
            "panel_id": "panel-1",
            "panel_state": state or {},
            "__method__": method,
            **params,
        },
    )
    operator(PANEL).execute(ctx)
    calls = triggered(ctx)
    outputs = [p for u, p in calls if u.endswith("show_panel_output")]
    return ctx, calls, outputs[-1]["output"]["type"]["properties"]


def test_panel_status_row_action_shows_annotators(two_people):
    ds, _ = two_people
    ctx, _, props = _panel(ds, "on_load")
    assert "status_header" not in props
    state = {"runs": ctx.panel.get_state("runs")}
    ctx, calls, props = _panel(ds, "status_run", state=state, row=0)
    status = ctx.panel.get_state("status")
    assert status["key"] == "multi"
    assert status["summary"].startswith("5 tasks: 2 annotated")
    assert ctx.panel.get_state("status_annotators") == [
        {"annotator": ALICE, "annotations": 2, "skipped": 0},
        {"annotator": BOB, "annotations": 1, "skipped": 0},
    ]
    assert "Status of `multi`" in props["status_header"]["default"]
    assert props["status_annotators"]["view"]["name"] == "TableView"
    assert "exact match" in props["status_agreement"]["default"]
    (note,) = [p for u, p in calls if u.endswith("notify")]
    assert note["message"] == "multi: 2/5 (40%) annotated"

    # the run deleted: its status goes with it
    operator("delete_annotation_run")(ds, "multi")
    state = {
        "runs": ctx.panel.get_state("runs"),
        "status": status,
        "status_annotators": ctx.panel.get_state("status_annotators"),
    }
    ctx, _, props = _panel(ds, "refresh", state=state)
    assert not ctx.panel.get_state("status")
    assert "status_header" not in props


def test_panel_import_button_prompts_the_import_operator(two_people):
    ds, _ = two_people
    _, _, props = _panel(ds, "on_load")
    buttons = props["buttons"]["type"]["properties"]
    assert buttons["import_project"]["view"]["label"] == (
        "Import a Label Studio project"
    )
    _, calls, _ = _panel(ds, "import_project")
    (prompt,) = [
        p for u, p in calls if u.endswith("prompt_user_for_operation")
    ]
    assert prompt["operator_uri"] == uri("import_project")
    assert prompt["on_success"] == uri(PANEL) + "#refresh"
