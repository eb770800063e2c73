"""Resize an image, then put it on S3: the first workflow of Doug Sillars' image series.

"Building an image processing workflow with Netflix Conductor" turns an
image URL plus a target format and size into a link on Amazon S3, with two
workers: ``image_convert_resize`` (ImageMagick in the blog) writes the resized
file on the worker, and ``upload_toS3`` puts it in the bucket. Later posts reuse
both tasks, so they live here and the other image examples import them.

Retries and timeouts, per worker:

* ``image_convert_resize`` is CPU-bound and idempotent (same inputs, same
  output file). When it fails it is nearly always the input (a corrupt or
  unsupported image), which no retry fixes, so it retries only twice, to
  survive a worker crash. A resize takes seconds: if a worker goes silent for
  two minutes Conductor hands the task to another one (instead of waiting
  its default hour), and a resize still running after five minutes is timed
  out and retried.
* ``upload_toS3`` talks to S3 over the network: throttling (503 SlowDown) and
  dropped connections are routine and pass, and a PUT of the same key is
  idempotent. So it retries five times with exponential backoff (5 s, 10 s,
  20 s, ...) and a short response timeout.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any, TypedDict
from urllib.parse import unquote, urlparse

from flowdsl import RetryLogic, TimeoutPolicy, task, workflow

OWNER = "media-platform@example.com"
BUCKET = "image-processing-orkes"
REGION = "us-east-1"
WORK_DIR = "/tmp/image-worker"
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "avif": "image/avif",
}


class ResizedImage(TypedDict):
    """Output of ``image_convert_resize``."""

    file_location: str  # the resized file, on the worker's disk
    content_type: str


class S3Object(TypedDict):
    """Output of ``upload_toS3``."""

    s3_url: str
    bucket: str
    key: str


@task(
    name="image_convert_resize",
    description="Convert an image to another format and resize it (ImageMagick)",
    owner_email=OWNER,
    retry_count=2,
    retry_logic=RetryLogic.FIXED,
    retry_delay_seconds=10,
    timeout_seconds=300,
    response_timeout_seconds=120,
    timeout_policy=TimeoutPolicy.RETRY,
)
def image_convert_resize(
    file_location: str,
    output_format: str,
    output_width: int,
    output_height: int,
    maintain_aspect_ratio: bool = True,
) -> ResizedImage:
    """Resize the image at ``file_location`` to ``output_width`` x ``output_height``.

    With ``maintain_aspect_ratio`` the image fits inside that box (ImageMagick
    ``-resize WxH``); without, it is stretched to exactly that size (``WxH!``).
    """
    fmt = output_format.lower().lstrip(".")
    if fmt not in CONTENT_TYPES:
        msg = f"unsupported output format {output_format!r}; use one of {', '.join(CONTENT_TYPES)}"
        raise ValueError(msg)
    if output_width <= 0 or output_height <= 0:
        msg = f"output size must be positive, got {output_width}x{output_height}"
        raise ValueError(msg)
    source = PurePosixPath(unquote(urlparse(file_location).path))
    stem = re.sub(r"[^a-z0-9]+", "-", source.stem.lower()).strip("-") or "image"
    fit = "fit" if maintain_aspect_ratio else "exact"
    # The real worker downloads file_location and runs `magick <it> -resize <geometry> <target>`.
    target = f"{WORK_DIR}/{stem}-{output_width}x{output_height}-{fit}.{fmt}"
    return {"file_location": target, "content_type": CONTENT_TYPES[fmt]}


@task(
    name="upload_toS3",
    description="Upload a file from the worker's disk to the public image bucket",
    owner_email=OWNER,
    retry_count=5,
    retry_logic=RetryLogic.EXPONENTIAL_BACKOFF,
    retry_delay_seconds=5,
    timeout_seconds=180,
    response_timeout_seconds=60,
    timeout_policy=TimeoutPolicy.RETRY,
)
def upload_to_s3(file_location: str, content_type: str) -> S3Object:
    """PUT ``file_location`` to S3 under ``resized/<file name>``; return its public URL."""
    name = PurePosixPath(file_location).name
    if not name:
        msg = f"nothing to upload: {file_location!r} is not a file path"
        raise ValueError(msg)
    key = f"resized/{name}"
    # The real worker calls s3.put_object(Bucket=BUCKET, Key=key, Body=..., ContentType=content_type).
    return {
        "s3_url": f"https://{BUCKET}.s3.{REGION}.amazonaws.com/{key}",
        "bucket": BUCKET,
        "key": key,
    }


@workflow(
    name="image_convert_resize",
    description="Convert and resize one image, then upload it to S3",
    owner_email=OWNER,
    timeout_seconds=1800,
)
def image_convert_resize_workflow(
    file_location: str,
    output_format: str,
    output_width: int,
    output_height: int,
    maintain_aspect_ratio: bool = True,
) -> dict[str, Any]:
    """One image in, one S3 link out."""
    resized = image_convert_resize(
        file_location, output_format, output_width, output_height, maintain_aspect_ratio
    )
    upload = upload_to_s3(resized.output["file_location"], resized.output["content_type"])
    return {"file_location": upload.output["s3_url"]}
