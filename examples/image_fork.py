"""A jpg and a webp of the same image, in parallel: the FORK post of the image series.

Browsers differ in what they accept, so the image pipeline publishes two
versions of every image: a jpg that everything can show and a smaller webp.
Doug Sillars' second post builds this with a FORK: each branch runs the two
workers of the first post, ``image_convert_resize`` then ``upload_toS3``, and a
JOIN waits for both uploads. The workers are the very same ones (imported, not
copied), so their TaskDefs, retries and timeouts are those of
:mod:`examples.image_resize`; each call only gets a reference name telling the
branches apart.
"""

from __future__ import annotations

from typing import Any

from examples.image_resize import OWNER, S3Object, image_convert_resize, upload_to_s3
from flowdsl import Handle, fork, workflow


@workflow(
    name="image_multiple_convert_resize",
    description="Convert an image to jpg and webp in parallel and upload both to S3",
    owner_email=OWNER,
    timeout_seconds=1800,
)
def image_multiple_convert_resize(
    file_location: str, output_width: int, output_height: int
) -> dict[str, Any]:
    """Two formats of one image, each resized and uploaded on its own branch."""

    def jpg() -> Handle[S3Object]:
        resized = image_convert_resize.options(ref="image_convert_resize_jpg")(
            file_location, "jpg", output_width, output_height
        )
        return upload_to_s3.options(ref="upload_toS3_jpg")(
            resized.output["file_location"], resized.output["content_type"]
        )

    def webp() -> Handle[S3Object]:
        resized = image_convert_resize.options(ref="image_convert_resize_webp")(
            file_location, "webp", output_width, output_height
        )
        return upload_to_s3.options(ref="upload_toS3_webp")(
            resized.output["file_location"], resized.output["content_type"]
        )

    jpg_upload, webp_upload = fork(
        jpg, webp, ref="image_multiple_fork", join_ref="image_multiple_join"
    )
    return {
        "file_location_jpg": jpg_upload.output["s3_url"],
        "file_location_webp": webp_upload.output["s3_url"],
    }
