"""Every format times every size, decided at run time: the dynamic-fork post of the image series.

A FORK has as many branches as the workflow file has, so the two-version
pipeline of :mod:`examples.image_fork` needs a new release for every new
format or screen size. Doug Sillars' dynamic-fork post moves that decision to
run time: a first worker reads the wanted formats and sizes from the
workflow input and lists one ``image_convert_resize`` input per combination;
a FORK_JOIN_DYNAMIC then runs one resize per list element in parallel, and
the JOIN waits for them all. Here a last worker turns the JOIN's output (each
forked task's output, by reference name) into a manifest of the files made.
As in the post, the files stay on the workers: uploading each one is what the
sub-workflow post (:mod:`examples.image_subworkflow`) adds.

``image_convert_resize`` is the worker of :mod:`examples.image_resize`, with
its retries and timeouts. The two new workers are pure bookkeeping, done in
milliseconds: a failure there is a bug, which retrying does not fix, so they
retry once (a worker restart) and time out quickly.
"""

from __future__ import annotations

from typing import Any, TypedDict

from examples.image_resize import OWNER, image_convert_resize
from flowdsl import RetryLogic, dynamic_fork, task, workflow


class ResizeRequest(TypedDict):
    """The inputs of one ``image_convert_resize`` task."""

    file_location: str
    output_format: str
    output_width: int
    output_height: int
    maintain_aspect_ratio: bool


class Size(TypedDict):
    """A target size, as given in the workflow input."""

    width: int
    height: int


class ResizePlan(TypedDict):
    """Output of ``image_resize_plan``."""

    requests: list[ResizeRequest]
    count: int


class VariantFile(TypedDict):
    """One file of the manifest."""

    task: str
    file_location: str
    content_type: str


class ImageManifest(TypedDict):
    """Output of ``image_manifest``."""

    source: str
    files: list[VariantFile]
    count: int


@task(
    name="image_resize_plan",
    description="List one resize per output format and size",
    owner_email=OWNER,
    retry_count=1,
    retry_logic=RetryLogic.FIXED,
    retry_delay_seconds=1,
    timeout_seconds=30,
    response_timeout_seconds=30,
)
def image_resize_plan(
    file_location: str,
    output_formats: list[str],
    output_sizes: list[Size],
    maintain_aspect_ratio: bool = True,
) -> ResizePlan:
    """One ``image_convert_resize`` input per (format, size) pair, duplicates dropped."""
    if not output_formats or not output_sizes:
        msg = "give at least one output format and one output size"
        raise ValueError(msg)
    requests: list[ResizeRequest] = []
    seen: set[tuple[str, int, int]] = set()
    for fmt in output_formats:
        for size in output_sizes:
            key = (fmt.lower(), int(size["width"]), int(size["height"]))
            if key in seen:
                continue
            seen.add(key)
            requests.append(
                {
                    "file_location": file_location,
                    "output_format": key[0],
                    "output_width": key[1],
                    "output_height": key[2],
                    "maintain_aspect_ratio": maintain_aspect_ratio,
                }
            )
    return {"requests": requests, "count": len(requests)}


@task(
    name="image_manifest",
    description="Summarise the files a dynamic fork made",
    owner_email=OWNER,
    retry_count=1,
    retry_logic=RetryLogic.FIXED,
    retry_delay_seconds=1,
    timeout_seconds=30,
    response_timeout_seconds=30,
)
def image_manifest(file_location: str, resized: dict[str, Any]) -> ImageManifest:
    """The files in the JOIN output ``resized`` (forked task ref -> its output), by file name."""
    files: list[VariantFile] = sorted(
        (
            {
                "task": ref,
                "file_location": str(output["file_location"]),
                "content_type": str(output["content_type"]),
            }
            for ref, output in resized.items()
            if isinstance(output, dict) and "file_location" in output
        ),
        key=lambda file: file["file_location"],
    )
    return {"source": file_location, "files": files, "count": len(files)}


@workflow(
    name="image_multiple_convert_resize_dynamic",
    description="Convert an image to every requested format and size, in parallel",
    owner_email=OWNER,
    timeout_seconds=3600,
)
def image_multiple_convert_resize_dynamic(
    file_location: str,
    output_formats: list[str],
    output_sizes: list[Size],
    maintain_aspect_ratio: bool = True,
) -> dict[str, Any]:
    """Plan the variants, resize them all in parallel, then list what was made."""
    plan = image_resize_plan(file_location, output_formats, output_sizes, maintain_aspect_ratio)
    resized = dynamic_fork(image_convert_resize, plan.output["requests"], ref="image_resize_fork")
    manifest = image_manifest(file_location, resized.output)
    return {"files": manifest.output["files"], "count": manifest.output["count"]}
