"""``stockade netpol``: who can talk to whom, what is not isolated, would a change break traffic, and
what policy would allow exactly the traffic seen.  See docs/commands/netpol.md."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Sequence

import click

from stockade.cli.common import F, finish, output_options, write_output
from stockade.errors import InputError
from stockade.netpol.flows import FlowLoad
from stockade.netpol.load import LoadNotes, load_cluster
from stockade.netpol.model import Cluster, IPNetwork
from stockade.netpol.ports import parse_port_spec
from stockade.netpol.semantics.evaluate import Endpoint

EXIT_INPUT = 2


def _namespace_option(func: F) -> F:
    return click.option(
        "-n",
        "--namespace",
        default="default",
        show_default=True,
        help="Namespace of objects that do not name one.",
    )(func)


def _pod_cidr_option(func: F) -> F:
    return click.option(
        "--pod-cidr",
        "pod_cidrs",
        multiple=True,
        metavar="CIDR",
        help="The cluster's pod network (repeatable): decides ipBlocks for pods whose IP is not in the "
        "manifests (default: only 0.0.0.0/0 covers them).",
    )(func)


def _cidrs(texts: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    out: list[IPNetwork] = []
    for text in texts:
        try:
            out.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise click.BadParameter(
                f"{text!r} is not a CIDR (e.g. 10.244.0.0/16)", param_hint="--pod-cidr"
            ) from None
    return tuple(out)


def _ports(text: str | None) -> list[tuple[int, str]] | None:
    if not text:
        return None
    out: list[tuple[int, str]] = []
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            out.append(parse_port_spec(part))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--ports") from None
    return out


def _load(paths: Sequence[str], namespace: str, notes: LoadNotes | None = None) -> Cluster:
    return load_cluster(list(paths), namespace=namespace, notes=notes)


def _errors(cluster: Cluster, quiet: bool = False) -> int:
    """Print every input error (file:line: what) to stderr; 2 when there were any."""
    for err in cluster.errors:
        click.echo(f"stockade: error: {err}", err=True)
    if cluster.errors and not quiet:
        click.echo(
            f"stockade: {len(cluster.errors)} input error(s): the analysis leaves those objects out", err=True
        )
    return EXIT_INPUT if cluster.errors else 0


def _read_flows(path: str) -> FlowLoad:
    import sys

    from stockade.netpol.flows import parse_flows

    if path == "-":
        return parse_flows(sys.stdin, "<stdin>")
    if not os.path.isfile(path):
        raise InputError(
            f"{path}: no such flows file", hint="--flows takes a JSON Lines file, or - for stdin"
        )
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return parse_flows(fh, path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc


@click.group("netpol")
def netpol() -> None:
    """Network segmentation: exact Kubernetes NetworkPolicy analysis.

    PATHS are manifests as `stockade k8s` reads them (files, directories, - for stdin): Namespaces,
    Pods and workloads, Services and networking.k8s.io/v1 NetworkPolicies.  Invalid policies are errors
    naming file:line (exit 2, the rest is still analysed); other kinds are counted, not errors.
    """


@netpol.command("matrix")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--ports",
    "ports_text",
    default=None,
    metavar="80/TCP,53/UDP",
    help="Probe these ports (default: each destination's declared container ports).",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "dot", "mermaid", "html"]),
    default="table",
    show_default=True,
)
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False), help="Write to this file.")
@click.option("--no-policies", is_flag=True, help="JSON: leave out the allowing policies of each connection.")
@_pod_cidr_option
@_namespace_option
def matrix_cmd(
    paths: tuple[str, ...],
    ports_text: str | None,
    fmt: str,
    output: str | None,
    no_policies: bool,
    pod_cidrs: tuple[str, ...],
    namespace: str,
) -> int:
    """Who can talk to whom: the connectivity matrix of every pod and workload."""
    from stockade.netpol.reach import build_matrix
    from stockade.netpol.render import render

    ports = _ports(ports_text)
    cluster = _load(paths, namespace)
    m = build_matrix(cluster, ports=ports, pod_cidrs=_cidrs(pod_cidrs))
    write_output(render(m, fmt, with_policies=not no_policies), output)
    return _errors(cluster)


@netpol.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--from", "src_ref", required=True, metavar="NS/POD|IP", help="Source pod, workload or IP.")
@click.option("--to", "dst_ref", required=True, metavar="NS/POD|NS/SVC|IP", help="Destination.")
@click.option(
    "--port", "port_text", required=True, metavar="N[/PROTO]", help="Destination port, e.g. 5432/TCP."
)
@click.option(
    "--expect",
    type=click.Choice(["allow", "deny"]),
    default=None,
    help="Exit 1 when the verdict is not this (for CI assertions).",
)
@click.option(
    "-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@_pod_cidr_option
@_namespace_option
def check_cmd(
    paths: tuple[str, ...],
    src_ref: str,
    dst_ref: str,
    port_text: str,
    expect: str | None,
    fmt: str,
    pod_cidrs: tuple[str, ...],
    namespace: str,
) -> int:
    """Is one connection allowed?  The verdict, and the policies and rules that allow it or why not."""
    from stockade.netpol.resolve import Resolver, parse_ip
    from stockade.netpol.semantics.evaluate import Evaluator, endpoint_text
    from stockade.report._common import dumps

    try:
        port, proto = parse_port_spec(port_text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--port") from None
    cluster = _load(paths, namespace)
    r = Resolver(cluster)

    def endpoint(ref: str, opt: str) -> Endpoint:
        ip = parse_ip(ref)
        if ip is not None:
            return r.ip(ip) or ip
        peer = r.peer(ref)
        if peer is None:
            known = ", ".join(p.id for p in cluster.peers[:8]) + (" …" if len(cluster.peers) > 8 else "")
            raise click.BadParameter(
                f"{ref!r} is not a pod or workload of the manifests (known: {known or 'none'})",
                param_hint=opt,
            )
        return peer

    src = endpoint(src_ref, "--from")
    targets: list[tuple[Endpoint, int, str | None]] = []
    dst_ip = parse_ip(dst_ref)
    if dst_ip is None:
        svc = r.service(dst_ref) if r.peer(dst_ref) is None else None
    else:
        svc = r.service(dst_ip) if r.ip(dst_ip) is None else None
    if svc is not None:
        targets = [(peer, p, f"{svc.namespace}/{svc.name}") for peer, p in r.backends(svc, port, proto)]
        if not targets:
            raise click.BadParameter(
                f"Service {svc.namespace}/{svc.name} has no backend pod in the manifests", param_hint="--to"
            )
    else:
        targets = [(endpoint(dst_ref, "--to"), port, None)]
    ev = Evaluator(cluster, _cidrs(pod_cidrs))
    verdicts = [(ev.decide(src, dst, p, proto), via) for dst, p, via in targets]
    if fmt == "json":
        docs = [{**v.to_dict(), **({"via_service": via} if via else {})} for v, via in verdicts]
        write_output(dumps(docs[0] if len(docs) == 1 else docs), None)
    else:
        lines = []
        for v, via in verdicts:
            head = f"{endpoint_text(v.src)} -> {endpoint_text(v.dst)} {v.port}/{v.protocol}"
            if via:
                head += f" (via Service {via})"
            lines.append(f"{head}: {'ALLOWED' if v.allowed else 'DENIED'}")
            lines.extend(f"  {reason}" for reason in v.reasons)
        write_output("\n".join(lines) + "\n", None)
    code = _errors(cluster)
    if code:
        return code
    allowed = all(v.allowed for v, _ in verdicts)
    if expect is not None and allowed != (expect == "allow"):
        return 1
    return 0


@netpol.command("findings")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_namespace_option
@output_options
def findings_cmd(paths: tuple[str, ...], namespace: str, **opts: object) -> int:
    """Workloads without ingress/egress isolation, allow-all rules, egress to 0.0.0.0/0, policies that
    select nothing, redundant rules, ignored rules, missing DNS … (STK-NET-0001…)."""
    from stockade.scan.netpol import scan_netpol

    notes = LoadNotes()
    result = scan_netpol(list(paths), namespace=namespace, notes=notes)
    code = finish(result, **opts)  # type: ignore[arg-type]
    return code


@netpol.command("flows")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--flows", "flows_path", required=True, metavar="FILE", help="Observed flows (JSON Lines; - for stdin)."
)
@click.option(
    "--ports",
    "ports_text",
    default=None,
    metavar="80/TCP,…",
    help="Ports probed for allowed-but-never-seen (default: declared container ports).",
)
@click.option(
    "-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False))
@click.option("--fail-on-blocked", is_flag=True, help="Exit 1 when an observed flow would be blocked.")
@_namespace_option
def flows_cmd(
    paths: tuple[str, ...],
    flows_path: str,
    ports_text: str | None,
    fmt: str,
    output: str | None,
    fail_on_blocked: bool,
    namespace: str,
) -> int:
    """Observed flows against the policies: allowed, would-be-blocked, and allowed-but-never-seen."""
    from stockade.netpol.flows import check_flows
    from stockade.netpol.flows_report import render_flows

    ports = _ports(ports_text)
    cluster = _load(paths, namespace)
    load = _read_flows(flows_path)
    report = check_flows(cluster, load, ports=tuple(ports) if ports else None)
    write_output(render_flows(report, fmt), output)
    for err in load.errors:
        click.echo(f"stockade: error: {err}", err=True)
    code = _errors(cluster)
    if code or load.errors:
        return EXIT_INPUT
    return 1 if fail_on_blocked and report.blocked else 0


@netpol.command("generate")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--flows", "flows_path", required=True, metavar="FILE", help="Observed flows (JSON Lines; - for stdin)."
)
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False), help="Write the YAML here.")
@click.option("--dns-tcp", is_flag=True, help="Also allow DNS over TCP where flows show DNS over UDP.")
@click.option("--no-default-deny", is_flag=True, help="Do not emit the per-namespace default-deny policies.")
@_namespace_option
def generate_cmd(
    paths: tuple[str, ...],
    flows_path: str,
    output: str | None,
    dns_tcp: bool,
    no_default_deny: bool,
    namespace: str,
) -> int:
    """Least-privilege NetworkPolicies (YAML) that allow exactly the observed flows.

    PATHS (optional, recommended) are the manifests of the workloads: they give the labels to select
    pods by, and let stockade verify the result.  Without them every flow endpoint must carry labels.
    """
    import yaml

    from stockade.netpol.flows import resolve_flows
    from stockade.netpol.generate import generate, verify
    from stockade.netpol.load import build
    from stockade.netpol.model import Cluster as _Cluster

    load = _read_flows(flows_path)
    cluster = _load(paths, namespace) if paths else _Cluster()
    if not paths:
        _synthesize(cluster, load)
        build([], cluster, namespace=namespace)
    res = resolve_flows(cluster, load.flows)
    for flow, why in res.unresolved:
        click.echo(f"stockade: error: {flows_path}:{flow.line}: {why}", err=True)
    gen = generate(cluster, res.flows, dns_tcp=dns_tcp, default_deny=not no_default_deny)
    header = (
        f"# Generated by stockade netpol generate from {len(res.flows)} observed flows ({flows_path}).\n"
        "# Review before applying: traffic not in the flows will be denied.\n"
    )
    write_output(header + yaml.safe_dump_all(gen.policies, sort_keys=False), output)
    for note in gen.notes:
        click.echo(f"stockade: note: {note}", err=True)
    if cluster.peers and not no_default_deny:
        v = verify(cluster, gen, res.flows, dns_tcp=dns_tcp)
        click.echo(
            f"stockade: verified on the model: {v.allowed_flows} flows allowed, "
            f"{len(v.blocked_flows)} blocked, "
            f"{len(v.extra)} unobserved connections allowed (of {v.probes} probes)",
            err=True,
        )
    for err in load.errors:
        click.echo(f"stockade: error: {err}", err=True)
    code = _errors(cluster, quiet=True)
    return EXIT_INPUT if code or load.errors or res.unresolved else 0


def _synthesize(cluster: Cluster, load: FlowLoad) -> None:
    """Without manifests: one peer per flow endpoint that carries labels."""
    from stockade.netpol.model import Peer

    seen: dict[str, Peer] = {}
    for flow in load.flows:
        for e in (flow.src, flow.dst):
            if e.ref and e.labels is not None and e.ref not in seen:
                ns, _, name = e.ref.partition("/")
                seen[e.ref] = Peer(e.ref, ns, name, "Pod", dict(e.labels), (), (e.ip,) if e.ip else ())
    cluster.peers.extend(seen.values())


@netpol.command("diff")
@click.argument("before", type=click.Path())
@click.argument("after", type=click.Path())
@click.option("--ports", "ports_text", default=None, metavar="80/TCP,…", help="Probe these ports.")
@click.option("--flows", "flows_path", default=None, metavar="FILE", help="Only the observed flows in FILE.")
@click.option(
    "-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@_namespace_option
def diff_cmd(
    before: str, after: str, ports_text: str | None, flows_path: str | None, fmt: str, namespace: str
) -> int:
    """Would AFTER break traffic BEFORE allows?  Exit 1 when a connection would break."""
    from stockade.netpol.diff import diff
    from stockade.report._common import dumps

    ports = _ports(ports_text)
    cb, ca = _load([before], namespace), _load([after], namespace)
    flows = _read_flows(flows_path) if flows_path else None
    d = diff(cb, ca, ports=ports, flows=flows)
    if fmt == "json":
        write_output(
            dumps(
                {
                    "broken": [c.to_dict() for c in d.broken],
                    "opened": [c.to_dict() for c in d.opened],
                    "probes": d.probes,
                    "only_before": d.only_before,
                    "only_after": d.only_after,
                }
            ),
            None,
        )
    else:
        lines = [f"{d.probes} probes: {len(d.broken)} would break, {len(d.opened)} would open"]
        for title, items in (("would break", d.broken), ("would open", d.opened)):
            if items:
                lines.append(f"{title}:")
                for c in items:
                    why = (
                        ", ".join(c.policies_before if c.before else c.policies_after) or "no policy isolates"
                    )
                    lines.append(
                        f"  {c.src} -> {c.dst} {c.port}/{c.protocol}  (before: {why})"
                        if c.before
                        else f"  {c.src} -> {c.dst} {c.port}/{c.protocol}  (after: {why})"
                    )
        if d.only_before:
            lines.append(f"only in BEFORE (not compared): {', '.join(d.only_before)}")
        if d.only_after:
            lines.append(f"only in AFTER (not compared): {', '.join(d.only_after)}")
        write_output("\n".join(lines) + "\n", None)
    code = max(_errors(cb), _errors(ca))
    if code:
        return code
    return 1 if d.broken else 0
