"""``stockade runtime watch``: live detection.  The ``runtime`` group, ``runtime rules validate`` and
``runtime replay`` (of what ``watch --record`` saves) are in :mod:`stockade.cli.rules_cmds`."""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from stockade.cli.rules_cmds import runtime
from stockade.errors import InputError, StockadeError
from stockade.runtime.enrich.pipeline import Enricher
from stockade.runtime.enrich.runtime import RuntimeInspector
from stockade.runtime.interface import EventSource
from stockade.runtime.metrics import MetricsServer, Periodic, prometheus
from stockade.runtime.respond.actions import ACTIONS, Responder
from stockade.runtime.rules.engine import Engine
from stockade.runtime.sensor import DEFAULT_RULES, Sensor, load_engine
from stockade.runtime.sink.sinks import open_sink

if TYPE_CHECKING:
    from stockade.runtime.source.bpfprog import PathTests
    from stockade.runtime.source.names import NameCache

SOURCES = ("auto", "ebpf", "proc", "falco-json", "tetragon-json")
LIVE = ("ebpf", "proc")


def _engine(rules: tuple[str, ...], with_default: bool, rule_matching: str):  # type: ignore[no-untyped-def]
    files = [*([str(DEFAULT_RULES)] if with_default or not rules else []), *rules]
    engine, errors = load_engine(files, rule_matching)
    if errors:
        raise InputError(
            f"rules failed to load: {errors[0]}" + (f" (+{len(errors) - 1} more)" if len(errors) > 1 else "")
        )
    return engine, files


def _actions(specs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for s in specs:
        rule, _, action = s.rpartition("=")
        if not rule or action not in ACTIONS:
            raise InputError(f"--action takes RULE=kill or RULE=stop, not {s!r}")
        out[rule] = action
    return out


@runtime.command()
@click.option(
    "--rules",
    "rules",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Falco rules file (repeatable); replaces the default set unless --with-default.",
)
@click.option("--with-default", is_flag=True, help="Load stockade's default rules as well as --rules.")
@click.option(
    "--source",
    type=click.Choice(SOURCES),
    default="auto",
    show_default=True,
    help="auto: ebpf when it can run here, else the proc connector.",
)
@click.option(
    "--input",
    "input_path",
    type=click.Path(exists=True, dir_okay=False),
    help="File for falco-json/tetragon-json.",
)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    default=("stdout",),
    show_default=True,
    help="stdout, jsonl:FILE, webhook:URL, syslog, syslog:udp://HOST:PORT, syslog:unix:///PATH (repeatable).",
)
@click.option(
    "--record",
    type=click.Path(dir_okay=False),
    help="Save enriched events (JSON lines) for `runtime replay`.",
)
@click.option("--respond", is_flag=True, help="Enforce responses (default: monitor mode, count only).")
@click.option("--action", "actions", multiple=True, help="RULE=kill|stop: respond to a rule (repeatable).")
@click.option("--duration", type=float, help="Stop after S seconds.")
@click.option("--rule-matching", type=click.Choice(["first", "all"]), default="first", show_default=True)
@click.option(
    "--podman-arg",
    "podman_args",
    multiple=True,
    help="Extra podman argument for inspect/stop (e.g. --root=DIR).",
)
@click.option(
    "--status-file",
    type=click.Path(dir_okay=False),
    help="Write the status line as JSON here when ready and at exit.",
)
@click.option(
    "--metrics",
    "metrics_file",
    type=click.Path(dir_okay=False),
    help="Keep this file up to date with the sensor's counters in the Prometheus text format (for a node "
    "exporter's textfile collector): events, alerts by rule, lost events, responses.",
)
@click.option(
    "--metrics-listen",
    metavar="HOST:PORT",
    help="Serve the same counters over HTTP at /metrics (e.g. 127.0.0.1:9464; port 0 picks a free one, "
    "printed at start).",
)
@click.option(
    "--status-interval",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds between two rewrites of --status-file and --metrics while the sensor runs.",
)
@click.option(
    "--wakeups",
    type=click.Choice(["batched", "per-record"]),
    default="batched",
    show_default=True,
    help="eBPF: wake the reader once per 16 kernel records (the sensor sets this on bpftrace's buffers "
    "through ptrace at start; cheaper for the traced processes, records wait up to 0.1 s) or per record "
    "(bpftrace as it is).",
)
def watch(
    rules: tuple[str, ...], with_default: bool, source: str, input_path: str | None, outputs: tuple[str, ...],
    record: str | None, respond: bool, actions: tuple[str, ...], duration: float | None, rule_matching: str,
    podman_args: tuple[str, ...], status_file: str | None, metrics_file: str | None,
    metrics_listen: str | None, status_interval: float, wakeups: str,
) -> None:  # fmt: skip
    """Stream Falco-shaped alerts for live events.

    Runs until --duration ends, Ctrl-C or SIGTERM; then the events already read are processed and the final
    status (events, alerts, lost events, responses) is printed and written to --status-file.  While it
    runs, --status-file and --metrics are rewritten every --status-interval seconds (whole: a reader never
    sees half a file) and --metrics-listen serves the counters to Prometheus."""
    listen = _listen_address(metrics_listen) if metrics_listen else None
    engine, files = _engine(rules, with_default, rule_matching)
    sinks = [open_sink(o) for o in outputs]
    responder = Responder(enforce=respond, by_rule=_actions(actions), podman_args=podman_args)
    rec = open(record, "ab") if record else None  # noqa: SIM115
    # without --record only the syscalls some loaded rule can match are traced (a recording is kept whole,
    # for replay with other rules)
    wants = None if record else (lambda t: bool(engine.rules_for(t)))
    paths = None if record else _path_tests(engine)
    src, why = _start_source(source, input_path, wants, paths, batching=wakeups == "batched")
    enricher = Enricher(RuntimeInspector(podman_args)) if src.NAME in LIVE else None
    sensor = Sensor(engine, sinks, responder=responder, enricher=enricher, record=rec)
    names = _names(engine, src)
    started = time.time()

    def snapshot(state: str) -> dict[str, Any]:
        return {"state": state, **_summary(sensor.stats.to_dict(), src, responder, enricher, sinks)}

    def publish(status: dict[str, Any]) -> None:
        _status(status_file, status)
        if metrics_file:
            _write(metrics_file, prometheus(status, started))

    periodic = Periodic(status_interval, lambda: publish(snapshot("running")))
    server: MetricsServer | None = None
    try:
        blind = "; ".join(src.BLIND_SPOTS)
        if why:
            click.echo(f"stockade: {why}", err=True)
        if names is not None:
            listed = ", ".join(names.names)
            click.echo(f"stockade: resolving the rules' domain names: {listed}", err=True)
        click.echo(
            f"stockade: source {src.NAME} ready; rules: {', '.join(files)}; cannot see: {blind}", err=True
        )
        delivery = getattr(src, "delivery", "")
        if delivery:
            click.echo(f"stockade: kernel records reach the sensor with {delivery}", err=True)
        for line in _blind_rules(engine, src):
            click.echo(f"stockade: {line}", err=True)
        if listen is not None:
            server = _serve(listen, lambda: prometheus(snapshot("running"), started))
            host, port = server.address
            click.echo(f"stockade: metrics at http://{_host(host)}:{port}/metrics", err=True)
        publish(snapshot("ready"))
        periodic.start()
        # SIGTERM (systemd, a Kubernetes pod's shutdown, kill) stops the sensor as Ctrl-C does: drained,
        # with its status written (SIGINT stays ignored where the sensor was started with it ignored)
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            stats = sensor.run(src, duration)
        except KeyboardInterrupt:
            stats = sensor.stats
        finally:
            signal.signal(signal.SIGTERM, previous)
    finally:
        periodic.stop()
        if server is not None:
            server.stop()
        if names is not None:
            names.stop()
        src.stop()
        for s in sinks:
            s.close()
        if rec:
            rec.close()
    summary = _summary(stats.to_dict(), src, responder, enricher, sinks)
    for entry in responder.log:
        click.echo(f"stockade: response {json.dumps(entry, sort_keys=True, default=str)}", err=True)
    if periodic.error is not None:
        click.echo(f"stockade: the status was not kept up to date: {periodic.error}", err=True)
    click.echo(f"stockade: status {json.dumps(summary, sort_keys=True)}", err=True)
    publish({"state": "done", **summary})


def _summary(
    stats: dict[str, Any],
    src: EventSource,
    responder: Responder,
    enricher: Enricher | None = None,
    sinks: Sequence[object] = (),
) -> dict[str, Any]:
    """The status of a run: the sensor's counts, with the source's own (read live: a status thread asks
    while the sensor runs), the container inspects given up, the alerts outputs failed to deliver or
    dropped, and the responses."""
    timeouts = enricher.inspector.timeouts if enricher is not None else 0
    failed = sum(int(getattr(s, "failures", 0)) for s in sinks)
    dropped = sum(int(getattr(s, "dropped", 0)) for s in sinks)
    return {
        **stats,
        "lost_events": src.lost,
        "malformed": int(getattr(src, "malformed", 0)),
        "source": src.NAME,
        **{
            k: getattr(src, k)
            for k in ("unreadable", "partial", "overtaken", "late", "error", "delivery")
            if getattr(src, k, None) not in (None, "")
        },
        **({"inspect_timeouts": timeouts} if timeouts else {}),
        **({"output_failures": failed} if failed else {}),
        **({"output_dropped": dropped} if dropped else {}),
        "responses_would": dict(responder.would),
        "responses_done": dict(responder.done),
    }


def _listen_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) → (host, port); a usage error otherwise."""
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise click.BadParameter(
            f"expected HOST:PORT, such as 127.0.0.1:9464, not {text!r}", param_hint="--metrics-listen"
        )
    return host, int(port)


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _serve(listen: tuple[str, int], render: Callable[[], str]) -> MetricsServer:
    try:
        server = MetricsServer(listen[0], listen[1], render)
    except OSError as exc:
        raise InputError(f"--metrics-listen {_host(listen[0])}:{listen[1]}: {exc.strerror or exc}") from None
    server.start()
    return server


def _write(path: str, text: str) -> None:
    """The whole file at once (a reader never sees half of it); an :class:`OutputError` naming it if not."""
    from stockade.cli.common import write_output

    write_output(text, path)


def _names(engine: Any, src: EventSource) -> NameCache | None:
    """The rules' domain names (``fd.sip.name = …``), resolved in the background for a source that fills
    ``fd.*.name`` from them (None: no such rule, or such a source)."""
    from stockade.runtime.rules.names import domain_names
    from stockade.runtime.source.names import NameCache

    wanted = domain_names(engine)
    use = getattr(src, "use_names", None)
    if not wanted or use is None:
        return None
    cache = NameCache(wanted)
    cache.start()
    use(cache)
    return cache


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _status(path: str | None, obj: dict[str, object]) -> None:
    if path:
        _write(path, json.dumps(obj, sort_keys=True))


def _blind_rules(engine: Any, src: EventSource) -> list[str]:
    """The loaded rules this source leaves degraded: fields it never fills, event types it never sees."""
    from stockade.runtime.rules.evttypes import ALL
    from stockade.runtime.rules.usage import blind_rules

    out: list[str] = []
    unfilled: dict[str, str] = getattr(src, "UNFILLED_FIELDS", {})
    for rule, fields in blind_rules(engine.ruleset, unfilled).items():
        out.append(f"rule {rule!r} reads {', '.join(fields)}, which source {src.NAME} does not fill")
    seen: frozenset[str] | None = getattr(src, "EVENT_TYPES", None)
    if seen is not None:
        never = [r.name for r in engine.ruleset.rules if r.evttypes != ALL and not (r.evttypes & seen)]
        if never:
            out.append(
                f"{len(never)} rules match only event types source {src.NAME} does not produce "
                f"({', '.join(sorted(seen))}): {', '.join(never[:5])}{' …' if len(never) > 5 else ''}"
            )
    return out


def _path_tests(engine: Engine) -> PathTests | None:
    """The rules' path tests for the kernel's open filter (None: every write open is needed)."""
    from stockade.runtime.rules.paths import open_filter

    f = open_filter(engine)
    return None if f is None else (f.prefixes, f.substrings, f.suffixes)


def _start_source(
    name: str,
    path: str | None,
    wants: Callable[[str], bool] | None = None,
    paths: PathTests | None = None,
    *,
    batching: bool = True,
) -> tuple[EventSource, str]:
    """The started source, and why ``auto`` chose the proc connector ("" otherwise).

    ``auto`` runs eBPF when it can (root, bpftrace, BTF, and bpftrace attaching its probes), else falls back
    to the proc connector; an explicit ``--source`` never falls back.
    """
    if name != "auto":
        src = _source(name, path, wants, paths, batching=batching)
        src.start()
        return src, ""
    from stockade.runtime.source import ebpf, proc_connector

    reason = ebpf.unavailable_reason()
    if reason is None:
        first = ebpf.EbpfSource(wants=wants, paths=paths, batching=batching)
        try:
            first.start()
            return first, ""
        except ebpf.SourceError as exc:
            first.stop()
            reason = str(exc)
    pc_reason = proc_connector.unavailable_reason()
    if pc_reason is not None:
        raise InputError(f"no live source can run here: eBPF: {reason}; proc connector: {pc_reason}")
    src = proc_connector.ProcConnectorSource()
    src.start()
    return src, f"eBPF unavailable ({reason}); falling back to the proc connector"


def _source(
    name: str,
    path: str | None,
    wants: Callable[[str], bool] | None = None,
    paths: PathTests | None = None,
    *,
    batching: bool = True,
) -> EventSource:
    if name == "ebpf":
        from stockade.runtime.source.ebpf import EbpfSource

        return EbpfSource(wants=wants, paths=paths, batching=batching)
    if name == "proc":
        from stockade.runtime.source.proc_connector import ProcConnectorSource

        return ProcConnectorSource()
    if path is None:
        raise InputError(f"--source {name} needs --input FILE")
    if name == "falco-json":
        from stockade.runtime.source.falco_json import FalcoJsonSource

        return FalcoJsonSource(path)
    from stockade.runtime.source.tetragon_json import TetragonJsonSource

    return TetragonJsonSource(path)


def main() -> None:  # pragma: no cover - used by tests as a subprocess entry point
    try:
        runtime.main(standalone_mode=True)
    except StockadeError as exc:
        click.echo(f"stockade: error: {exc}", err=True)
        sys.exit(exc.exit_code)
