"""Several people annotating the same tasks, against a real server:
latest / one person's / everyone's annotations, per-annotator counts and
agreement figures on a case with a known answer.

Label Studio 1.23.2 Community creates users with ``POST /api/users/``
(organization admins); such users have no password and their tokens are
only readable by themselves, so their annotations are posted by the admin
with ``completed_by`` set to them, which the server honours (checked
below).
"""

import time

import pytest

import fiftyone as fo
from fiftyone_labelstudio import load_all_annotators, load_annotator

from test_backend_common import (
    BACKEND,
    add_images,
    by_id,
    close,
    creds,
    new_region,
    prediction_results,
    snapshot,
    tasks_by_sample,
)

ALICE = "alice.annotator@example.com"
BOB = "bob.annotator@example.com"
ADMIN = "admin@example.com"


def _user(ls_client, email, username):
    """The id of the user with ``email`` (created when missing)."""
    for user_id, user in ls_client.list_users().items():
        if user["email"] == email:
            return user_id
    return ls_client.sdk.users.create(email=email, username=username).id


def _post(ls_client, task_id, result, user_id):
    """An annotation by ``user_id`` (posted by the admin)."""
    time.sleep(0.02)  # distinct timestamps: "latest" is well defined
    return ls_client.sdk.annotations.create(
        id=task_id, result=result, completed_by=user_id, lead_time=1.0
    )


def _tag(value, w, h):
    return new_region(
        "tag0000001", "tag", "choices", {"choices": [value]}, w, h
    )


@pytest.fixture
def three_annotators(
    dataset, sample_images, ls_server, ls_client, ls_projects_guard
):
    """3 samples; alice, bob and the admin annotate as in the docstring
    of test_status_counts_and_agreement."""
    s0, s1, s2 = add_images(dataset, sample_images, 3)
    s0["gt"] = fo.Detections(
        detections=[
            fo.Detection(label="cat", bounding_box=[0.1, 0.1, 0.2, 0.2]),
            fo.Detection(label="dog", bounding_box=[0.5, 0.5, 0.3, 0.3]),
        ]
    )
    s0.save()
    s1["gt"] = fo.Detections(
        detections=[
            fo.Detection(label="cat", bounding_box=[0.2, 0.3, 0.4, 0.5])
        ]
    )
    s1.save()
    results = dataset.annotate(
        "multi",
        backend=BACKEND,
        label_schema={
            "gt": {"type": "detections", "classes": ["cat", "dog"]},
            "tag": {"type": "classification", "classes": ["x", "y"]},
        },
        **creds(ls_server),
    )
    alice = _user(ls_client, ALICE, "alice")
    bob = _user(ls_client, BOB, "bob")
    admin = ls_client.check()["user"]["id"]
    tasks = tasks_by_sample(ls_client, results.project_id)
    a_id, b_id = [d.id for d in s0.gt.detections]

    def sizes(s):
        return s.metadata.width, s.metadata.height

    w, h = sizes(s0)
    t0 = tasks[s0.id]["id"]
    _post(
        ls_client,
        t0,
        prediction_results(tasks[s0.id]) + [_tag("x", w, h)],
        alice,
    )
    moved = prediction_results(tasks[s0.id])
    by_id(moved, b_id)["value"].update(x=0.0, y=0.0)
    _post(ls_client, t0, moved + [_tag("x", w, h)], bob)
    _post(
        ls_client,
        t0,
        prediction_results(tasks[s0.id]) + [_tag("y", w, h)],
        admin,
    )

    w, h = sizes(s1)
    t1 = tasks[s1.id]["id"]
    _post(
        ls_client,
        t1,
        prediction_results(tasks[s1.id]) + [_tag("y", w, h)],
        alice,
    )
    _post(
        ls_client,
        t1,
        prediction_results(tasks[s1.id]) + [_tag("y", w, h)],
        bob,
    )

    w, h = sizes(s2)
    _post(ls_client, tasks[s2.id]["id"], [_tag("x", w, h)], alice)
    return dict(
        results=results,
        samples=(s0, s1, s2),
        users={"alice": alice, "bob": bob, "admin": admin},
        label_ids=(a_id, b_id),
        tasks=tasks,
    )


def test_completed_by_is_honoured(three_annotators, ls_client):
    run = three_annotators
    s0 = run["samples"][0]
    task = ls_client.export_tasks(
        run["results"].project_id, ids=[run["tasks"][s0.id]["id"]]
    )[0]
    who = [a["completed_by"] for a in task["annotations"]]
    users = run["users"]
    assert who == [users["alice"], users["bob"], users["admin"]]


def test_status_counts_and_agreement(three_annotators):
    """s0: alice keeps both boxes + tag x; bob moves the dog box away
    (IoU 0) + tag x; admin keeps both boxes + tag y.
    s1: alice and bob keep the box + tag y.  s2: alice only, tag x.

    gt (box F1): s0 alice/bob 0.5, alice/admin 1, bob/admin 0.5;
    s1 alice/bob 1 -> 3/4.  tag (exact): s0 1, 0, 0; s1 1 -> 1/2.
    """
    status = three_annotators["results"].get_status()
    assert status["annotated"] == 3
    assert status["annotators"] == {
        ADMIN: {"annotations": 1, "skipped": 0},
        ALICE: {"annotations": 3, "skipped": 0},
        BOB: {"annotations": 2, "skipped": 0},
    }
    agreement = status["agreement"]
    assert agreement["tasks"] == 2
    assert agreement["fields"]["gt"]["comparisons"] == 4
    assert agreement["fields"]["gt"]["mean"] == pytest.approx(0.75)
    assert agreement["fields"]["tag"]["mean"] == pytest.approx(0.5)
    assert agreement["mean"] == pytest.approx(5 / 8)
    pairs = agreement["pairs"]
    assert pairs["%s / %s" % (ALICE, BOB)]["mean"] == pytest.approx(3.5 / 4)
    assert pairs["%s / %s" % (ADMIN, ALICE)]["mean"] == pytest.approx(0.5)
    assert pairs["%s / %s" % (ADMIN, BOB)]["mean"] == pytest.approx(0.25)


def test_status_operator_shows_annotators_and_agreement(
    three_annotators, dataset
):
    from test_operators_support import operator

    status = operator("get_annotation_status")(dataset, "multi")
    rows = {r["annotator"]: r["annotations"] for r in status["annotators"]}
    assert rows == {ADMIN: 1, ALICE: 3, BOB: 2}
    assert status["agreement_summary"] == (
        "0.625 over 2 tasks (gt: box F1 (IoU >= 0.5) 0.750; "
        "tag: exact match 0.500)"
    )


def test_latest_and_one_annotator(three_annotators, dataset, ls_server):
    run = three_annotators
    s0, s1, s2 = run["samples"]
    a_id, b_id = run["label_ids"]

    # default: the latest annotation of each task (admin, bob, alice)
    dataset.load_annotations("multi", unexpected="ignore")
    got = {s.id: s for s in dataset.iter_samples()}
    assert got[s0.id].tag.label == "y"
    assert got[s1.id].tag.label == "y"
    assert got[s2.id].tag.label == "x"
    assert close(
        got[s0.id].gt.detections[1].bounding_box, [0.5, 0.5, 0.3, 0.3]
    )

    # bob's, with the results cached in this session (annotate cached
    # them): samples bob did not annotate keep their labels
    before_s2 = snapshot(dataset.select(s2.id), ["gt", "tag"])
    load_annotator(dataset, "multi", "bob", **creds(ls_server))
    got = {s.id: s for s in dataset.iter_samples()}
    dets = got[s0.id].gt.detections
    assert [d.id for d in dets] == [a_id, b_id]
    assert close(dets[1].bounding_box, [0.0, 0.0, 0.3, 0.3])
    assert got[s0.id].tag.label == "x"
    assert snapshot(dataset.select(s2.id), ["gt", "tag"]) == before_s2

    # the built-in path takes annotator= only when FiftyOne reads the
    # results from the database
    dataset._annotation_cache.clear()
    dataset.load_annotations(
        "multi", unexpected="ignore", annotator=ALICE, **creds(ls_server)
    )
    s0.reload()
    assert close(s0.gt.detections[1].bounding_box, [0.5, 0.5, 0.3, 0.3])


def test_all_annotators_into_own_fields(three_annotators, dataset, ls_server):
    run = three_annotators
    s0, s1, s2 = run["samples"]
    a_id, b_id = run["label_ids"]
    before = snapshot(dataset, ["gt", "tag"])

    loaded = load_all_annotators(dataset, "multi", **creds(ls_server))

    assert loaded == {
        ADMIN: {
            "user_id": run["users"]["admin"],
            "fields": {"gt": "gt_admin", "tag": "tag_admin"},
        },
        ALICE: {
            "user_id": run["users"]["alice"],
            "fields": {"gt": "gt_alice", "tag": "tag_alice"},
        },
        BOB: {
            "user_id": run["users"]["bob"],
            "fields": {"gt": "gt_bob", "tag": "tag_bob"},
        },
    }
    assert snapshot(dataset, ["gt", "tag"]) == before  # run's fields alone

    def values(field):
        return dict(zip(*dataset.values(["id", field])))

    gt_alice, gt_bob, gt_admin = (
        values("gt_alice"),
        values("gt_bob"),
        values("gt_admin"),
    )
    assert [d.id for d in gt_alice[s0.id].detections] == [a_id, b_id]
    assert close(
        gt_alice[s0.id].detections[1].bounding_box, [0.5, 0.5, 0.3, 0.3]
    )
    assert close(gt_bob[s0.id].detections[1].bounding_box, [0, 0, 0.3, 0.3])
    assert len(gt_bob[s1.id].detections) == 1
    # only what each person annotated: never a copy of the run's field
    assert gt_admin[s1.id] is None and gt_admin[s2.id] is None
    assert gt_bob[s2.id] is None
    assert gt_alice[s2.id] is None  # alice drew no box on s2
    tags = {
        name: values("tag_%s" % name) for name in ("alice", "bob", "admin")
    }
    assert {k: (v[s0.id] and v[s0.id].label) for k, v in tags.items()} == {
        "alice": "x",
        "bob": "x",
        "admin": "y",
    }
    assert tags["alice"][s2.id].label == "x"
    assert tags["bob"][s2.id] is None and tags["admin"][s2.id] is None

    # loading again changes nothing
    fields = ["gt_alice", "gt_bob", "gt_admin"] + [
        "tag_%s" % n for n in ("alice", "bob", "admin")
    ]
    again = snapshot(dataset, fields)
    dataset._annotation_cache.clear()
    load_all_annotators(dataset, "multi", **creds(ls_server))
    assert snapshot(dataset, fields) == again

    # only some people
    loaded = load_all_annotators(
        dataset, "multi", annotators=["bob"], **creds(ls_server)
    )
    assert list(loaded) == [BOB]
    with pytest.raises(ValueError, match="is not a user"):
        load_all_annotators(
            dataset, "multi", annotators=["nobody"], **creds(ls_server)
        )
