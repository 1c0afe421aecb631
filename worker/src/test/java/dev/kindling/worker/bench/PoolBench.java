package dev.kindling.worker.bench;

import dev.kindling.activities.readiness.WebSocketClientConnection;
import dev.kindling.activities.vmm.VmProcesses;
import dev.kindling.host.FileTrees;
import dev.kindling.host.images.ImageStore;
import dev.kindling.host.rfb.RfbHandshake;
import dev.kindling.host.rfb.RfbSession;
import dev.kindling.proxy.ProxyServer;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.runtime.LeakCheck;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.ReadinessStage;
import dev.kindling.workflows.host.StageTiming;
import dev.kindling.workflows.pool.PoolPolicy;
import dev.kindling.workflows.pool.PoolState;
import dev.kindling.workflows.pool.PoolWorkflow;
import dev.kindling.workflows.pool.PooledVm;
import dev.kindling.workflows.vm.BrowserVmWorkflow;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * The warm-pool benchmark: start request → READY of sessions that claim a ready pool VM, measured
 * by the backend's client (one update-with-start call), N sequential sessions with the pool
 * refilled before each; the first framebuffer through the proxy after READY; the pool's refill
 * time; RSS and PSS of idle pool VMs. Not a test: it asserts nothing about speed and prints a
 * Markdown section.
 *
 * <p>Arguments: {@code [--runs N] [--warmup N] [--template ID] [--out FILE] [--temporal
 * HOST:PORT]}. Needs the template's current image (with its snapshot) in the cache.
 */
public final class PoolBench {
  private PoolBench() {}

  record Run(
      String vmId,
      String bootMode,
      long startToReadyMillis,
      long readyToFirstFrameMillis,
      long refillMillis,
      Map<String, Long> stages,
      long startedAtMillis,
      long serverStartToReadyMillis,
      CriticalPath path) {
    Run withRefill(long millis) {
      return new Run(
          vmId,
          bootMode,
          startToReadyMillis,
          readyToFirstFrameMillis,
          millis,
          stages,
          startedAtMillis,
          serverStartToReadyMillis,
          path);
    }

    long stage(String name) {
      return stages.getOrDefault(name, 0L);
    }

    long readinessStagesMillis() {
      return LifecycleBench.readinessStages(stages);
    }

    long handOverBeyondStagesMillis() {
      return path.bodyMillis().getOrDefault("HandOver", 0L) - readinessStagesMillis();
    }
  }

  /** An idle pool VM's QEMU process: memory, and CPU over {@link #IDLE_CPU_WINDOW}. */
  record Memory(String vmId, long rssKib, long pssKib, double cpuPercent) {}

  static final Duration IDLE_CPU_WINDOW = Duration.ofSeconds(20);

  /** /proc/[pid]/stat counts CPU time in ticks of this many per second (USER_HZ on Linux). */
  private static final int TICKS_PER_SECOND = 100;

  public static void main(String[] args) throws Exception {
    int runs = 20;
    int warmups = 2;
    String template = "terminal";
    Path out = null;
    String temporal = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--warmup" -> warmups = Integer.parseInt(args[++i]);
        case "--template" -> template = args[++i];
        case "--temporal" -> temporal = args[++i];
        case "--out" -> out = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    String loadBefore = RestoreBench.contention();
    Path runDir = Files.createTempDirectory("kindling-bench-");
    List<Run> measured = new ArrayList<>();
    List<Run> warm = new ArrayList<>();
    List<Memory> memory;
    String stackDescription;
    try (BenchStack stack =
        BenchStack.start(temporal, runDir, Map.of(Setting.POOL_TARGETS, template + "=1"))) {
      stackDescription = stack.description();
      if (new ImageStore(stack.paths()).current(template).isEmpty()) {
        throw new IllegalStateException(
            "no current image of "
                + template
                + ": run `kindling image build --template "
                + template
                + "` first");
      }
      KindlingClient client = new KindlingClient(stack.client());
      PoolWorkflow pool =
          stack
              .client()
              .newWorkflowStub(
                  PoolWorkflow.class,
                  PoolWorkflow.workflowId(stack.stack().config().hostId(), template));
      try {
        awaitState(pool, s -> s.ready().size() == 1);
        for (int i = 0; i < warmups + runs; i++) {
          Run claimed = once(stack, client, template);
          PooledVm next = awaitState(pool, s -> s.ready().size() == 1).ready().getFirst();
          // Both times are the server's: the session's start (its claim) and the next VM's ready.
          Run run = claimed.withRefill(next.readyAtMillis() - claimed.startedAtMillis());
          System.err.printf(
              "%s %d: %s %s start->READY %d ms, first frame +%d ms, refilled %d ms after (%s)%n",
              i < warmups ? "warm-up" : "run",
              i < warmups ? i + 1 : i - warmups + 1,
              run.bootMode(),
              run.vmId(),
              run.startToReadyMillis(),
              run.readyToFirstFrameMillis(),
              run.refillMillis(),
              run.stages());
          (i < warmups ? warm : measured).add(run);
        }
        pool.policy(new PoolPolicy(2, 0, 0), 0);
        PoolState two = awaitState(pool, s -> s.ready().size() == 2);
        memory = idleVms(stack.paths(), two.ready());
      } finally {
        pool.policy(PoolPolicy.DISABLED, 0);
        awaitState(pool, s -> s.ready().isEmpty() && s.preparing() == 0);
        awaitNoVmDirs(stack);
      }
    } finally {
      FileTrees.deleteRecursively(runDir);
    }
    String markdown = markdown(stackDescription, template, loadBefore, warm, measured, memory);
    System.out.println(markdown);
    if (out != null) {
      Files.writeString(out, markdown);
    }
  }

  private static Run once(BenchStack stack, KindlingClient client, String template)
      throws Exception {
    String session = "bench-" + UUID.randomUUID().toString().substring(0, 8);
    long t0 = System.nanoTime();
    VmDescription ready =
        client.createVm(
            new VmRequest(session, null, BootMode.AUTO, 600, 0, 0, 0, template, null, null),
            Duration.ofMinutes(5));
    long t1 = System.nanoTime();
    long firstFrame = firstFrameThroughProxy(stack.stack().proxy(), session);
    Map<String, Long> stages = new LinkedHashMap<>();
    for (StageTiming timing : ready.timings()) {
      stages.put(timing.stage(), timing.millis());
    }
    client.release(session);
    VmDescription end = client.awaitEnd(session);
    if (end.phase() != Phase.RELEASED) {
      throw new IllegalStateException(session + " ended " + end.phase());
    }
    LeakCheck leaks = LeakCheck.forVm(stack.paths(), ready.vmId());
    if (!leaks.clean()) {
      throw new IllegalStateException(leaks.summary());
    }
    List<HistoryEvent> events =
        stack.client().fetchHistory(BrowserVmWorkflow.workflowId(session)).getEvents();
    HistoryEvent readyEvent =
        events.stream()
            .filter(e -> LifecycleBench.setsPhase(e, Phase.READY))
            .findFirst()
            .orElseThrow();
    Instant started =
        CriticalPath.time(
            LifecycleBench.first(events, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED));
    return new Run(
        ready.vmId(),
        ready.bootMode(),
        (t1 - t0) / 1_000_000,
        (firstFrame - t1) / 1_000_000,
        0,
        stages,
        started.toEpochMilli(),
        Duration.between(started, CriticalPath.time(readyEvent)).toMillis(),
        CriticalPath.until(events, readyEvent));
  }

  /**
   * When the first full framebuffer arrived through the proxy, as a browser's noVNC would ask for
   * it: the session's WebSocket with a token, the proxy's RFB handshake (security None), one
   * FramebufferUpdateRequest.
   */
  private static long firstFrameThroughProxy(ProxyServer proxy, String session) throws IOException {
    URI base = proxy.baseUri();
    SocketChannel channel =
        SocketChannel.open(new InetSocketAddress(base.getHost(), base.getPort()));
    try (WebSocketClientConnection ws =
        WebSocketClientConnection.upgrade(
            channel,
            base.getHost() + ":" + base.getPort(),
            proxy.config().websocketPath(session) + "?token=" + proxy.tokens().mint(session),
            List.of("binary"),
            Duration.ofSeconds(30))) {
      RfbSession rfb = RfbHandshake.perform(ws.input(), ws.output(), null);
      rfb.requestFullFramebuffer();
      rfb.readFramebufferUpdate();
      return System.nanoTime();
    }
  }

  private static PoolState awaitState(PoolWorkflow pool, Predicate<PoolState> done)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (System.nanoTime() < deadline) {
      PoolState state = pool.describe();
      if (state != null && done.test(state)) {
        return state;
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("the pool did not get there in 5 minutes: " + pool.describe());
  }

  private static void awaitNoVmDirs(BenchStack stack) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (System.nanoTime() < deadline) {
      if (!Files.isDirectory(stack.paths().vmsDir())) {
        return;
      }
      try (var dirs = Files.list(stack.paths().vmsDir())) {
        if (dirs.findAny().isEmpty()) {
          return;
        }
      }
      Thread.sleep(100);
    }
  }

  /** Memory of each VM's QEMU process, and its CPU over one window for all of them. */
  private static List<Memory> idleVms(dev.kindling.host.HostPaths paths, List<PooledVm> vms)
      throws IOException, InterruptedException {
    List<Long> pids = new ArrayList<>();
    for (PooledVm vm : vms) {
      OptionalLong pid =
          VmProcesses.readPidFile(paths.vmDir(vm.vmId()).resolve(VmProcesses.PID_FILE));
      if (pid.isEmpty()) {
        throw new IllegalStateException(vm.vmId() + " has no VMM pid");
      }
      pids.add(pid.getAsLong());
    }
    List<Long> before = new ArrayList<>();
    for (long pid : pids) {
      before.add(cpuTicks(pid));
    }
    Thread.sleep(IDLE_CPU_WINDOW);
    List<Memory> result = new ArrayList<>();
    for (int i = 0; i < vms.size(); i++) {
      double seconds = (cpuTicks(pids.get(i)) - before.get(i)) / (double) TICKS_PER_SECOND;
      result.add(
          memoryOf(pids.get(i), vms.get(i).vmId(), 100 * seconds / IDLE_CPU_WINDOW.toSeconds()));
    }
    return result;
  }

  /** User and system time of the process so far (fields 14 and 15 of /proc/[pid]/stat). */
  private static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  /** RSS and PSS of the VM's QEMU process (smaps_rollup). */
  private static Memory memoryOf(long pid, String vmId, double cpuPercent) throws IOException {
    long rss = 0;
    long pss = 0;
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
      String[] parts = line.split("\\s+");
      if (line.startsWith("Rss:")) {
        rss = Long.parseLong(parts[1]);
      } else if (line.startsWith("Pss:")) {
        pss = Long.parseLong(parts[1]);
      }
    }
    return new Memory(vmId, rss, pss, cpuPercent);
  }

  private static long percentile(List<Run> runs, ToLongFunction<Run> value, double p) {
    List<Long> sorted = runs.stream().map(value::applyAsLong).sorted().toList();
    if (sorted.isEmpty()) {
      return 0;
    }
    int index = (int) Math.ceil(p * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }

  private static String row(
      String label, List<Run> runs, ToLongFunction<Run> value, String target) {
    return "| "
        + label
        + " | "
        + percentile(runs, value, 0.5)
        + " | "
        + percentile(runs, value, 0.99)
        + " | "
        + runs.stream().mapToLong(value).min().orElse(0)
        + " | "
        + runs.stream().mapToLong(value).max().orElse(0)
        + " | "
        + target
        + " |\n";
  }

  private static String markdown(
      String stack,
      String template,
      String loadBefore,
      List<Run> warm,
      List<Run> runs,
      List<Memory> memory) {
    StringBuilder md = new StringBuilder("## Warm pool\n\n");
    long claimed = runs.stream().filter(r -> "POOL".equals(r.bootMode())).count();
    md.append("Sessions of the `")
        .append(template)
        .append("` template on ")
        .append(stack)
        .append(", a pool of one ready VM, each session started once the pool was full again, ")
        .append(runs.size())
        .append(" sequential sessions after ")
        .append(warm.size())
        .append(" unmeasured warm-up session(s), ")
        .append(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS))
        .append(". Machine: ")
        .append(RestoreBench.machine())
        .append("; before: ")
        .append(loadBefore)
        .append(". ")
        .append(claimed)
        .append(" of ")
        .append(runs.size())
        .append(" sessions took a pool VM.\n\n");
    md.append("| ms | p50 | p99 | min | max | target |\n|---|---|---|---|---|---|\n");
    md.append(
        row(
            "start request → READY (client: createVm returned)",
            runs,
            Run::startToReadyMillis,
            "p50 ≤ 150, p99 ≤ 300"));
    md.append(
        row("— of which placing (placement and the claim)", runs, r -> r.stage("placing"), ""));
    md.append(
        row(
            "— of which readiness phase (hand-over activity)",
            runs,
            r -> r.stage("readiness"),
            ""));
    // The stages the hand-overs ran, in their order (one that answers a parked handshake has no
    // TCP and upgrade stages).
    for (ReadinessStage stage : ReadinessStage.values()) {
      String key = "readiness/" + stage.label();
      if (runs.stream().anyMatch(r -> r.stages().containsKey(key))) {
        md.append(row("— — " + key, runs, r -> r.stage(key), ""));
      }
    }
    md.append(
        row(
            "workflow start → READY (server event times)",
            runs,
            Run::serverStartToReadyMillis,
            ""));
    md.append(
        row(
            "— on the path: workflow tasks (first task with placement and the claim, READY's task)",
            runs,
            r -> r.path().workflowTaskMillis(),
            ""));
    md.append(
        row(
            "— on the path: hand-over activity pickup (scheduled → started)",
            runs,
            r -> r.path().pickupMillis(),
            ""));
    md.append(
        row(
            "— on the path: hand-over activity body beyond its readiness stages",
            runs,
            Run::handOverBeyondStagesMillis,
            ""));
    md.append(
        row("— on the path: readiness stages in the guest", runs, Run::readinessStagesMillis, ""));
    md.append(
        row("READY → first framebuffer through the proxy", runs, Run::readyToFirstFrameMillis, ""));
    md.append(
        row(
            "pool refill (session's start → the next pool VM ready, server times)",
            runs,
            Run::refillMillis,
            ""));
    md.append("\nIdle pool VMs (two ready at once, restored from one snapshot):\n\n");
    md.append(
        "| VM | RSS MiB | PSS MiB | CPU over "
            + IDLE_CPU_WINDOW.toSeconds()
            + " s (% of one host CPU) |\n|---|---|---|---|\n");
    for (Memory m : memory) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %.1f | %.1f | %.1f |%n",
              m.vmId(),
              m.rssKib() / 1024.0,
              m.pssKib() / 1024.0,
              m.cpuPercent()));
    }
    md.append("\nWarm-up sessions (not in the table): ");
    md.append(
        String.join(
            ", ",
            warm.stream().map(r -> r.bootMode() + " " + r.startToReadyMillis() + " ms").toList()));
    md.append(
        ".\n\nReproduce (as root, with the template's current image in the cache): `bench/pool.sh"
            + " [--runs 20] [--warmup 2] [--template terminal]`\n");
    return md.toString();
  }
}
