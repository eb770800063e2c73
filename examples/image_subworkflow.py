"""Reduce, reuse, recycle: the jpg + webp FORK, with each branch one SUB_WORKFLOW.

In the FORK post every branch spells out the same pair of workers,
``image_convert_resize`` then ``upload_toS3``. Doug Sillars' sub-workflow post
notices that this pair *is* the first workflow of the series, and replaces
each branch with a single SUB_WORKFLOW task running it. The parent shrinks
to a fork of two calls; a new format is one more line; and a fix to the
resize-and-upload pair lands in one place.

The child is :func:`examples.image_resize.image_convert_resize_workflow`,
imported as is: compiling this module writes its definition too, byte for
byte the one of :mod:`examples.image_resize`. Retries stay with the workers
(in their TaskDefs), and the SUB_WORKFLOW tasks ask for none of their own: a
retry there would rerun both the resize and the upload for one flaky upload.

Conductor gives every task the TaskDef registered under the task's name, and
a SUB_WORKFLOW task is named after its child workflow by default, here
``image_convert_resize``: the blog's name for both the workflow and the resize
worker. The compiler warns about that (the SUB_WORKFLOW tasks would inherit the
worker's 300 s timeout and retries), so the calls below name their tasks
``image_convert_resize_subworkflow``.
"""

from __future__ import annotations

from typing import Any

from examples.image_resize import OWNER, image_convert_resize_workflow
from flowdsl import fork, sub_workflow, workflow


@workflow(
    name="image_multiple_convert_resize_subworkflow",
    description="Make a jpg and a webp of an image, each through the image_convert_resize workflow",
    owner_email=OWNER,
    timeout_seconds=3600,
)
def image_multiple_convert_resize_subworkflow(
    file_location: str, output_width: int, output_height: int
) -> dict[str, Any]:
    """Two formats of one image, each made and uploaded by the one-image workflow."""
    jpg, webp = fork(
        lambda: sub_workflow(
            image_convert_resize_workflow,
            ref="image_convert_resize_jpg",
            name="image_convert_resize_subworkflow",
            file_location=file_location,
            output_format="jpg",
            output_width=output_width,
            output_height=output_height,
        ),
        lambda: sub_workflow(
            image_convert_resize_workflow,
            ref="image_convert_resize_webp",
            name="image_convert_resize_subworkflow",
            file_location=file_location,
            output_format="webp",
            output_width=output_width,
            output_height=output_height,
        ),
        ref="image_multiple_fork",
        join_ref="image_multiple_join",
    )
    return {
        "file_location_jpg": jpg.output["file_location"],
        "file_location_webp": webp.output["file_location"],
    }
