"""Loading the annotations of one person, or of every person, of a run.

Label Studio tasks can carry annotations by several people. A normal
``load_annotations`` loads each task's latest annotation (or the run's
``annotator``'s). The helpers here:

- :func:`load_annotator`: one person's annotations, into the run's fields
  or into ``dest_field`` (credentials are applied to the run's results
  even when they are cached in the session: FiftyOne passes them to the
  results only when it reads them from the database).
- :func:`load_all_annotators`: every person who annotated, each into
  fields of their own, ``<field>_<annotator>`` (e.g. ``gt_alice``). These
  fields hold only what that person annotated: samples the person did not
  annotate have no labels there (never a copy of the run's field).

Both go through ``bulk_load.load_with_report`` (``dest_field``, and
``LoadOptions.annotator`` / ``only_annotated``), so the usual merge rules (``allow_*`` flags, ``unexpected=``) apply and loading
again updates the same fields.
"""

import logging
import re

from . import run_tasks
from .bulk_load import load_with_report
from .errors import LabelStudioBackendError
from .locks import run_lock
from .project import call

logger = logging.getLogger(__name__)

_NOT_NAME = re.compile(r"[^a-z0-9]+")


def annotator_suffix(user: dict, user_id) -> str:
    """A field-name suffix for a Label Studio user: the username, else
    the e-mail's local part, lower-case, letters/digits/underscores."""
    name = (user or {}).get("username") or ""
    if not name:
        name = ((user or {}).get("email") or "").split("@")[0]
    name = _NOT_NAME.sub("_", name.lower()).strip("_")
    return name or "user%s" % user_id


def load_annotator(
    samples,
    anno_key: str,
    annotator,
    dest_field=None,
    unexpected: str = "ignore",
    progress=None,
    only_annotated: bool = False,
    **credentials,
):
    """Loads ``annotator``'s latest annotation of each task they annotated.

    Args:
        samples: the dataset (or a view of it) of the run
        anno_key: the run key
        annotator: the person's e-mail, username or Label Studio user id
        dest_field (None): like ``load_annotations``: a new field name (for
            one-field schemas) or ``{schema field: field}``
        unexpected ("ignore"): like ``load_annotations``
        progress (None): like ``load_annotations``
        only_annotated (False): write nothing for samples this person did
            not annotate (with False, those samples keep their current
            labels, as in any load)
        **credentials: ``url``, ``api_key`` (else env / config)

    Returns:
        what ``load_annotations`` returns
    """
    dataset = samples._root_dataset
    with run_lock(dataset, anno_key, "load"):
        _results(dataset, anno_key, credentials)
        returned, _ = load_with_report(
            dataset,
            anno_key,
            dest_field=dest_field,
            unexpected=unexpected,
            progress=progress,
            only_annotated=bool(only_annotated),
            annotator=str(annotator),
        )
        return returned


def load_all_annotators(
    samples,
    anno_key: str,
    annotators=None,
    unexpected: str = "ignore",
    progress=None,
    **credentials,
) -> dict:
    """Loads every annotator's annotations into fields of their own.

    For each person with a (non-cancelled) annotation in the run's
    project, each field ``f`` of the run's schema is loaded into
    ``f_<annotator>`` (see :func:`annotator_suffix`; a user id is appended
    when two people would get the same name), from that person's latest
    annotation of each task. Samples the person did not annotate get no
    labels in their fields.

    Args:
        samples: the dataset (or a view of it) of the run
        anno_key: the run key
        annotators (None): only these people (e-mails, usernames or ids);
            default everyone who annotated
        unexpected ("ignore"): like ``load_annotations``
        progress (None): like ``load_annotations``
        **credentials: ``url``, ``api_key`` (else env / config)

    Returns:
        ``{annotator e-mail (or id): {"user_id": id, "fields": {schema
        field: loaded field}}}``
    """
    dataset = samples._root_dataset
    with run_lock(dataset, anno_key, "load"):
        results = _results(dataset, anno_key, credentials)
        client = results.backend.client
        users = client.list_users()
        if annotators is None:
            # the run's own tasks: a project can hold other runs' tasks
            tasks = call(
                results,
                lambda c, pid: run_tasks.export_run_tasks(
                    c, results, predictions=False
                ),
            )
            user_ids = run_tasks.annotators_of(tasks)
        else:
            user_ids = [run_tasks.annotator_id(results, a) for a in annotators]

        suffixes = _unique_suffixes(user_ids, users)
        schema = results.config.label_schema
        loaded = {}
        for user_id in user_ids:
            fields = {
                field: "%s_%s" % (field, suffixes[user_id]) for field in schema
            }
            _check_fields(fields)
            load_with_report(
                dataset,
                anno_key,
                dest_field=fields,
                unexpected=unexpected,
                progress=progress,
                only_annotated=True,
                annotator=str(user_id),
            )
            user = users.get(user_id) or {}
            name = user.get("email") or str(user_id)
            loaded[name] = {"user_id": user_id, "fields": fields}
            logger.info(
                "Loaded the annotations of %s into %s",
                name,
                ", ".join(sorted(fields.values())),
            )
        return loaded


def _results(dataset, anno_key, credentials):
    results = dataset.load_annotation_results(anno_key, **credentials)
    if credentials:
        # cached results never saw these (FiftyOne applies them only when
        # it reads the results from the database)
        results.config.load_credentials(**credentials)
    return results


def _unique_suffixes(user_ids, users) -> dict:
    suffixes = {u: annotator_suffix(users.get(u), u) for u in user_ids}
    counts = {}
    for suffix in suffixes.values():
        counts[suffix] = counts.get(suffix, 0) + 1
    return {
        u: s if counts[s] == 1 else "%s_%s" % (s, u)
        for u, s in suffixes.items()
    }


def _check_fields(fields):
    """Refuses per-annotator field names that are schema fields of the
    run itself (a user named like a field suffix could collide)."""
    clash = [f for f in fields.values() if f in fields]
    if clash:
        raise LabelStudioBackendError(
            "Per-annotator field %s would overwrite a field of the run. "
            "Load this annotator with load_annotator(..., dest_field=...)"
            % ", ".join(repr(f) for f in clash)
        )
