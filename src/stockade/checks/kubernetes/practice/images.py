"""Image references and pull policy (STK-K8S-0007 … 0010).

An image reference is ``[host[:port]/]path[:tag][@digest]`` (distribution/reference grammar): the tag is
what follows the last ``:`` of the last path component, the digest what follows ``@``.  A reference with
a digest is immutable whatever its tag says, so ``nginx:latest@sha256:…`` is pinned.  Without a tag and a
digest the runtime pulls ``latest``.

Pull policy defaulting (Kubernetes docs, "Images"): when ``imagePullPolicy`` is omitted it becomes
``Always`` for a reference without a tag or with ``latest`` (and no digest), ``IfNotPresent`` otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stockade.checks.imageref import split_reference
from stockade.checks.interface import Path, Violation
from stockade.checks.kubernetes.practice._common import K8S, ContainerCheck, cis, label, nsa
from stockade.model.severity import Severity

_DOC = f"{K8S}/concepts/containers/images/"
_TAGS_DOC = f"{K8S}/concepts/configuration/overview/#container-images"
_POLICY_DOC = f"{K8S}/concepts/containers/images/#image-pull-policy"
_ALWAYS_PULL_DOC = f"{K8S}/reference/access-authn-authz/admission-controllers/#alwayspullimages"
_CIS_PROVENANCE = cis("5.5.1", "Configure Image Provenance using ImagePolicyWebhook admission controller")
_NSA = nsa("Kubernetes Pod security: Building secure container images")


def split_image(image: str) -> tuple[str | None, str | None]:
    """``(tag, digest)`` of an image reference; either is None when absent (an empty tag too)."""
    _, tag, digest = split_reference(image)
    return (tag or None), digest


def _image(container: dict[str, Any]) -> str | None:
    image = container.get("image")
    if not isinstance(image, str):
        return None
    image = image.strip()
    return image or None


class ImageWithoutTag(ContainerCheck):
    NAME = "kubernetes/practice/image-without-tag"
    ID = "STK-K8S-0007"
    SEVERITY = Severity.MEDIUM
    TITLE = "Image has no tag"
    RATIONALE = (
        "An image named without a tag or digest means 'latest': whatever was pushed last.  Each node may "
        "run a different build, a rollback cannot go back to a known image, and a compromised registry "
        "account ships code straight into the cluster."
    )
    REMEDIATION = "Reference the image by an explicit version tag, better by digest (name:tag@sha256:…)."
    REFERENCES = (_DOC, _TAGS_DOC, _CIS_PROVENANCE, _NSA)

    def check_container(
        self, spec: dict[str, Any], path: Path, container: dict[str, Any]
    ) -> Iterator[Violation]:
        image = _image(container)
        if image is None:
            return
        tag, digest = split_image(image)
        if tag is None and digest is None:
            yield Violation(
                f"{label(path, container)} uses image {image!r} without a tag (pulls 'latest')",
                path=(*path, "image"),
                evidence=f"image: {image}",
            )


class ImageLatestTag(ContainerCheck):
    NAME = "kubernetes/practice/image-latest-tag"
    ID = "STK-K8S-0008"
    SEVERITY = Severity.MEDIUM
    TITLE = "Image uses the 'latest' tag"
    RATIONALE = (
        "'latest' moves with every push: the running version is unknown, nodes drift apart, rollbacks do "
        "not restore the previous image, and an image pushed by anyone with registry access is deployed "
        "on the next pull."
    )
    REMEDIATION = "Reference the image by an explicit version tag, better by digest (name:tag@sha256:…)."
    REFERENCES = (_DOC, _TAGS_DOC, _CIS_PROVENANCE, _NSA)

    def check_container(
        self, spec: dict[str, Any], path: Path, container: dict[str, Any]
    ) -> Iterator[Violation]:
        image = _image(container)
        if image is None:
            return
        tag, digest = split_image(image)
        if tag == "latest" and digest is None:
            yield Violation(
                f"{label(path, container)} uses image {image!r} with the mutable 'latest' tag",
                path=(*path, "image"),
                evidence=f"image: {image}",
            )


class ImageWithoutDigest(ContainerCheck):
    NAME = "kubernetes/practice/image-without-digest"
    ID = "STK-K8S-0009"
    SEVERITY = Severity.LOW
    TITLE = "Image is not pinned by digest"
    RATIONALE = (
        "A tag can be moved to another image at any time (by the publisher, or by whoever controls the "
        "registry account).  Only a digest names exactly the image that was reviewed and scanned."
    )
    REMEDIATION = (
        "Pin the image by digest (name:tag@sha256:…), and let a tool such as Renovate or Dependabot "
        "update the digest."
    )
    REFERENCES = (_DOC, _CIS_PROVENANCE, _NSA)

    def check_container(
        self, spec: dict[str, Any], path: Path, container: dict[str, Any]
    ) -> Iterator[Violation]:
        image = _image(container)
        if image is None:
            return
        if split_image(image)[1] is None:
            yield Violation(
                f"{label(path, container)} uses image {image!r} without a digest",
                path=(*path, "image"),
                evidence=f"image: {image}",
            )


class ImagePullPolicy(ContainerCheck):
    NAME = "kubernetes/practice/image-pull-policy"
    ID = "STK-K8S-0010"
    SEVERITY = Severity.LOW
    TITLE = "imagePullPolicy is not Always for an image referenced by a mutable tag"
    RATIONALE = (
        "With IfNotPresent or Never a node keeps running whatever image it cached under the tag, so nodes "
        "run different builds of the same tag; and a pod can start from a cached private image without "
        "presenting the registry credentials that guard it.  Images pinned by digest are not affected."
    )
    REMEDIATION = (
        "Set imagePullPolicy: Always for images referenced by tag (or pin them by digest); cluster-wide, "
        "enable the AlwaysPullImages admission plug-in."
    )
    REFERENCES = (_POLICY_DOC, _ALWAYS_PULL_DOC, _NSA)

    def check_container(
        self, spec: dict[str, Any], path: Path, container: dict[str, Any]
    ) -> Iterator[Violation]:
        image = _image(container)
        if image is None:
            return
        tag, digest = split_image(image)
        if digest is not None:
            return
        policy = container.get("imagePullPolicy")
        if isinstance(policy, str) and policy:
            if policy == "Always":
                return
            message = f"{label(path, container)} pulls mutable image {image!r} with imagePullPolicy {policy}"
            evidence = f"imagePullPolicy: {policy}"
        elif tag is None or tag == "latest":
            return  # defaulted to Always
        else:
            message = (
                f"{label(path, container)} pulls mutable image {image!r} with the default imagePullPolicy "
                "IfNotPresent"
            )
            evidence = "imagePullPolicy not set (defaults to IfNotPresent)"
        yield Violation(message, path=(*path, "imagePullPolicy"), evidence=evidence)


CHECKS = (ImageWithoutTag, ImageLatestTag, ImageWithoutDigest, ImagePullPolicy)
