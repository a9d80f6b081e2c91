"""A deterministic corpus of real and realistic Kubernetes manifests, for benchmarks/k8s_vs_checkov.py.

Real manifests, from ``shared/conformance/`` beside the repository:

- every Pod Security Standards conformance fixture (``pss/<version>/{pass,fail}/*.yaml``), byte for byte;
- every case of the Kubernetes NetworkPolicy e2e suite (``netpol/e2e-netpol-cases.yaml``, transcribed from
  test/e2e/network/netpol/network_policy.go), as the objects the suite applies: the x/y/z namespaces, the
  nine agnhost pods of its model (containers as netpol/model.go builds them) and the case's policies.

Realistic workloads around them (benchmarks/k8s_workloads.py): ``helm template`` and ``kustomize build``
output, GitOps one-object-per-file trees, ``kubectl get`` Lists and JSON, varied by a seeded RNG, so the same
fixtures and seed always give the same bytes (the corpus sha256 printed with the results says which).

    .venv/bin/python benchmarks/k8s_corpus.py [--out benchmarks/corpus] [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from k8s_workloads import Gen, Obj, dump, workload_files

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "benchmarks" / "corpus"
SEED = 5  # issue 5
QUICK_FILES = 100


def conformance_dir() -> Path:
    """``$STOCKADE_CONFORMANCE``, else ``shared/conformance`` beside the repository (as CI lays it)."""
    return Path(os.environ.get("STOCKADE_CONFORMANCE") or REPO.parent / "shared" / "conformance")


def netpol_container(port: int, protocol: str) -> Obj:
    """As test/e2e/network/netpol/model.go's Container.Spec() builds it."""
    env: list[Obj] = []
    if protocol == "SCTP":
        env.append({"name": f"SERVE_SCTP_PORT_{port}", "value": "foo"})
        cmd = ["/agnhost", "porter"]
    else:
        cmd = ["/agnhost", "serve-hostname", f"--{protocol.lower()}", "--http=false", "--port", str(port)]
    image = "registry.k8s.io/e2e-test-images/agnhost:2.53"
    c: Obj = {"name": f"cont-{port}-{protocol.lower()}", "image": image, "imagePullPolicy": "IfNotPresent"}
    c["command"] = cmd
    if env:
        c["env"] = env
    c["securityContext"] = {}
    c["ports"] = [{"containerPort": port, "name": f"serve-{port}-{protocol.lower()}", "protocol": protocol}]
    return c


def netpol_files(path: Path) -> dict[str, str]:
    data = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    model = data["model"]
    files: dict[str, str] = {}
    for i, case in enumerate(data["cases"]):
        docs: list[Obj] = []
        for ns, spec in model["namespaces"].items():
            docs.append(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": spec["labels"]}}
            )
        for key, spec in model["pods"].items():
            ns, name = key.split("/")
            containers = [
                netpol_container(port, proto) for proto in case["protocols"] for port in case["ports"]
            ]
            pod_spec = {"containers": containers, "terminationGracePeriodSeconds": 0}
            md = {"name": name, "namespace": ns, "labels": spec["labels"]}
            docs.append({"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": pod_spec})
        policies: dict[tuple[str, str], Obj] = {}
        for step in case["steps"]:
            for policy in (*step.get("create_policies", ()), *step.get("update_policies", ())):
                policies[(policy["metadata"].get("namespace", ""), policy["metadata"]["name"])] = policy
        docs += policies.values()
        slug = "".join(ch if ch.isalnum() else "-" for ch in case["name"].lower()).strip("-")
        while "--" in slug:
            slug = slug.replace("--", "-")
        header = f"# NetworkPolicy e2e case: {case['name']}\n"
        files[f"netpol/{i:02d}-{slug[:60].rstrip('-')}.yaml"] = header + "---\n".join(dump(d) for d in docs)
    return files


def pss_files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root.parent)): p.read_bytes()
        for p in sorted(root.glob("*/*/*.yaml"))
        if p.parent.name in ("pass", "fail")
    }


def build(conformance: Path, seed: int = SEED) -> dict[str, bytes]:
    """Every corpus file, relative path → bytes; the same bytes for the same inputs and seed."""
    pss = conformance / "pss"
    netpol = conformance / "netpol" / "e2e-netpol-cases.yaml"
    if not pss.is_dir() or not netpol.is_file():
        raise SystemExit(f"conformance fixtures not found under {conformance} (set STOCKADE_CONFORMANCE)")
    files = pss_files(pss)
    texts = {**netpol_files(netpol), **workload_files(Gen(seed))}
    files.update({k: v.encode() for k, v in texts.items()})
    return dict(sorted(files.items()))


def quick_subset(files: dict[str, bytes], n: int = QUICK_FILES) -> dict[str, bytes]:
    """``n`` files evenly spaced over the sorted paths, so every source keeps its share."""
    keys = list(files)
    if len(keys) <= n:
        return files
    return {k: files[k] for k in (keys[i * len(keys) // n] for i in range(n))}


def stats(files: dict[str, bytes]) -> dict[str, Any]:
    """Files, YAML documents, Kubernetes objects (List items counted, not the List) and kinds."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    docs = 0
    kinds: Counter[str] = Counter()
    digest = hashlib.sha256()
    for path, data in files.items():
        digest.update(path.encode() + b"\0" + data + b"\0")
        for doc in yaml.load_all(data, Loader=loader):
            if doc is None:
                continue
            docs += 1
            if (
                isinstance(doc, dict)
                and doc.get("kind", "").endswith("List")
                and isinstance(doc.get("items"), list)
            ):
                kinds.update(item.get("kind", "?") for item in doc["items"])
            elif isinstance(doc, dict):
                kinds[doc.get("kind", "?")] += 1
    return {
        "files": len(files),
        "documents": docs,
        "objects": sum(kinds.values()),
        "bytes": sum(len(d) for d in files.values()),
        "sha256": digest.hexdigest(),
        "kinds": dict(kinds.most_common()),
    }


def write(files: dict[str, bytes], out: Path) -> None:
    """Replace ``out`` with exactly these files (and a ``.gitignore`` that keeps them out of git)."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / ".gitignore").write_text("# generated by benchmarks/k8s_corpus.py\n*\n")
    for rel, data in files.items():
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--quick", action="store_true", help=f"only {QUICK_FILES} files, evenly spread")
    args = ap.parse_args()
    files = build(conformance_dir())
    if args.quick:
        files = quick_subset(files)
    write(files, args.out)
    print(json.dumps({"out": str(args.out), **stats(files)}))


if __name__ == "__main__":
    main()
