"""Every sample of a dataset, grouped or not.

``dataset.select(ids)`` on a grouped dataset sees only its active slice; a
grouped run's samples are in every slice it sent (``groups.py``), so the
load looks its samples up through :func:`every_sample`.
"""

import fiftyone.core.media as fomm


def every_sample(dataset):
    """``dataset``, or a view of every slice of a grouped dataset."""
    if dataset.media_type == fomm.GROUP:
        return dataset.select_group_slices(_allow_mixed=True)
    return dataset
