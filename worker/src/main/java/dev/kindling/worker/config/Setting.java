package dev.kindling.worker.config;

import java.util.Arrays;
import java.util.Locale;

/**
 * Every configuration setting, with its default. A value comes from (highest first) a command-line
 * flag, the environment ({@link #envName()}), the configuration file ({@link #key()}), the default.
 * An empty default means the value is derived at run time, as the description says. README.md's
 * Configuration table lists every one (SettingsDocTest checks it).
 *
 * <p>The other {@code KINDLING_*} variables are not settings: {@code KINDLING_LOG_LEVEL} (read by
 * logback.xml before any configuration is loaded), {@code KINDLING_JAVA_HOME} (bin/jdk.sh), and,
 * for tests and benchmarks only, {@code KINDLING_SKIP_VM_TESTS}, {@code KINDLING_BENCH_BUILD_DIR}
 * and {@code KINDLING_BENCH_OPTS}. Tests and benchmarks that run without a configuration read
 * {@code KINDLING_CACHE_DIR}, {@code KINDLING_RUN_DIR} and {@code KINDLING_TEMPORAL_CLI} with the
 * meaning of the settings of those names. Inside the guest, {@code KINDLING_SCREEN} and {@code
 * KINDLING_LAUNCH_URL} belong to the image, not to the host.
 */
public enum Setting {
  TEMPORAL_TARGET(
      "temporal.target",
      "localhost:7233",
      "Temporal frontend host:port. `kindling dev` uses the server that answers there, else starts the Temporal CLI's dev server there (localhost only; localhost:0: a private one on free ports, state in memory)."),
  TEMPORAL_CLI(
      "temporal.cli",
      "",
      "The Temporal CLI whose dev server `kindling dev` starts; default: the one bin/setup-host built into <cache.dir>/tools, else `temporal` on PATH."),
  TEMPORAL_UI_PORT(
      "temporal.uiPort",
      "8233",
      "Web UI port of the dev server `kindling dev` starts; 0: a free port; -1: no web UI."),
  TEMPORAL_STATE_DIR(
      "temporal.stateDir",
      "",
      "Where the dev server `kindling dev` starts keeps its SQLite file (temporal-<port>.db, one per port) and output; default $XDG_STATE_HOME/kindling or ~/.local/state/kindling."),
  TEMPORAL_EPHEMERAL(
      "temporal.ephemeral",
      "false",
      "Keep the dev server's state in memory (`kindling dev --ephemeral`): every workflow is gone when it stops."),
  WORKFLOW_CACHE(
      "temporal.workflowCacheSize",
      "600",
      "Workflows a worker keeps between tasks (sticky execution); 0 replays history on every task."),
  TEMPORAL_NAMESPACE("temporal.namespace", "default", "Temporal namespace."),
  HOST_ID(
      "host.id",
      "",
      "This host's id (task queue kindling-host-<id>); default: the machine's hostname, sanitized."),
  HOST_VM_SLOTS(
      "host.vmSlots",
      "0",
      "VMs this host runs at most, as its record reports it; 0: its memory in MiB / 512."),
  HOST_LOST_AFTER_SECONDS(
      "host.lostAfterSeconds",
      "60",
      "After this many seconds without a report from this host, its READY sessions end HostLost (backends may create them again); its leftover VMs are reclaimed when it returns."),
  CACHE_DIR(
      "cache.dir",
      "",
      "Image and snapshot cache (outside any work tree); default $XDG_CACHE_HOME/kindling or ~/.cache/kindling."),
  RUN_DIR("run.dir", "/run/kindling", "Per-VM runtime files (sockets, overlays, serial logs)."),
  ACCELERATOR(
      "vmm.accelerator",
      "auto",
      "auto, kvm or tcg. auto uses KVM only when it can run a stock guest kernel."),
  MACHINE(
      "vmm.machine",
      "pc",
      "QEMU machine type: pc or microvm (pc boots and restores faster under TCG here; see docs/BENCHMARKS.md)."),
  VMM("vmm.driver", "qemu", "qemu or firecracker."),
  FIRECRACKER(
      "vmm.firecracker",
      "firecracker",
      "The Firecracker binary vmm.driver=firecracker runs: a path, or a name looked up on PATH."),
  KERNEL_ARGS(
      "vm.kernelArgs",
      "",
      "Extra guest kernel arguments, appended last (e.g. systemd.mask=... for diagnosis)."),
  DEFAULT_TEMPLATE(
      "template.default",
      "terminal",
      "The template a session gets when it names none (a built-in id or a directory name under templates.dir)."),
  TEMPLATES_DIR(
      "templates.dir",
      "/etc/kindling/templates",
      "The operator's template directories, one per template id; one named like a built-in replaces it."),
  DEBIAN_MIRROR(
      "debian.mirror",
      "",
      "Debian mirror URL golden images are built from (part of the image id); default: the archive this host's own apt sources name for the image's suite."),
  READINESS_TIMEOUT_SECONDS(
      "vm.readinessTimeoutSeconds",
      "300",
      "How long a VM may take to show its app; caps the workflow's own deadline (5 min cold, 60 s restore)."),
  WORKER_METRICS_PORT(
      "worker.metricsPort",
      "9464",
      "Port of the worker's Prometheus endpoint (/metrics: Temporal SDK and Kindling meters) on worker.metricsBind; 0: a free port; -1: none."),
  WORKER_METRICS_BIND(
      "worker.metricsBind", "127.0.0.1", "Address the worker's metrics endpoint listens on."),
  PROXY_BIND("proxy.bind", "127.0.0.1", "Address the proxy listens on."),
  PROXY_PORT("proxy.port", "6090", "Port the proxy listens on."),
  PROXY_PUBLIC_URL(
      "proxy.publicUrl",
      "",
      "Where browsers reach this host's proxy (scheme, host and port, e.g. https://vm-host-3.example.com); session page URLs and redirects from other hosts' proxies use it. Empty: http://proxy.bind:proxy.port."),
  PROXY_REUSE_PORT(
      "proxy.reusePort",
      "false",
      "Bind with SO_REUSEPORT so several `kindling proxy` processes share proxy.port; the kernel spreads connections across them."),
  PROXY_METRICS_PORT(
      "proxy.metricsPort",
      "-1",
      "A port of this proxy process's own serving only /metrics and /healthz; -1: none. With proxy.reusePort, give each process its own and scrape every one."),
  PROXY_MAX_CONNECTIONS(
      "proxy.maxConnections",
      "0",
      "Relayed connections one proxy process holds before refusing with 4513 (proxy full); 0: derived from its open-file limit."),
  PROXY_ORIGINS(
      "proxy.allowedOrigins",
      "",
      "Comma-separated Origins allowed to open sessions; empty: same origin only."),
  PROXY_CONTROL_POLICY(
      "proxy.controlPolicy",
      "take-over",
      "When a control link opens while another controls the session: take-over (the other becomes view-only), take-over-and-close (the other is closed, 4409) or refuse (the new one is refused, 4423)."),
  PROXY_ACTIVITY_REPORT_SECONDS(
      "proxy.activityReportSeconds",
      "10",
      "At most one report of a session's viewers, and one of its input, to its workflow per this many seconds."),
  EGRESS_ALLOW_RANGES(
      "egress.allowRanges",
      "",
      "Comma-separated address ranges (CIDR) the egress proxy may connect to although its deny-list holds them (loopback, link-local, private, this host's addresses); empty: none. For tests and private services only."),
  EGRESS_MAX_CONNECTIONS(
      "egress.maxConnections",
      "64",
      "Connections one VM may hold open through the egress proxy; more are refused with 429."),
  EGRESS_IDLE_SECONDS(
      "egress.idleSeconds",
      "300",
      "An egress connection with no bytes either way for this long is closed."),
  EGRESS_MAX_BYTES(
      "egress.maxBytes",
      "0",
      "Bytes one VM may move through the egress proxy (both ways) before its connections are cut and further requests refused; 0: no limit."),
  POOL_TARGETS(
      "pool.targets",
      "",
      "Comma-separated template=count: ready VMs of each template this host keeps in its warm pool, instead of the template's pool.target; empty: the templates' own (`kindling dev` then keeps one of its default template)."),
  TOKEN_KEY(
      "proxy.tokenKey",
      "",
      "HMAC key for session tokens. Required in production mode; dev mode generates one per run."),
  PRODUCTION(
      "production",
      "false",
      "Production mode: refuse insecure defaults (e.g. a missing token key).");

  private final String key;
  private final String defaultValue;
  private final String description;

  Setting(String key, String defaultValue, String description) {
    this.key = key;
    this.defaultValue = defaultValue;
    this.description = description;
  }

  /** The key in the configuration file. */
  public String key() {
    return key;
  }

  /** KINDLING_ followed by the key in upper snake case, e.g. KINDLING_TEMPORAL_TARGET. */
  public String envName() {
    return "KINDLING_"
        + key.replaceAll("([a-z])([A-Z])", "$1_$2").replace('.', '_').toUpperCase(Locale.ROOT);
  }

  public String defaultValue() {
    return defaultValue;
  }

  public String description() {
    return description;
  }

  public static Setting ofKey(String key) {
    return Arrays.stream(values()).filter(s -> s.key.equals(key)).findFirst().orElse(null);
  }
}
