package dev.kindling.worker.bench;

import dev.kindling.activities.shared.HostLossActivitiesImpl;
import dev.kindling.activities.shared.HostRecords;
import dev.kindling.activities.shared.LivenessActivitiesImpl;
import dev.kindling.activities.shared.PlacementActivitiesImpl;
import dev.kindling.activities.shared.RetirementActivitiesImpl;
import dev.kindling.activities.shared.TemporalHostRecords;
import dev.kindling.host.FileTrees;
import dev.kindling.host.TemporalCli;
import dev.kindling.host.exec.Commands;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.dev.TemporalDevServer;
import dev.kindling.worker.runtime.TemporalConnection;
import dev.kindling.worker.runtime.WorkerMetrics;
import dev.kindling.workflows.SharedWorkflows;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.client.VmFailedException;
import dev.kindling.workflows.host.AppExit;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.Diagnostics;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.NetworkActivities;
import dev.kindling.workflows.host.NetworkRequest;
import dev.kindling.workflows.host.Placement;
import dev.kindling.workflows.host.PlacementActivities;
import dev.kindling.workflows.host.PlacementRequest;
import dev.kindling.workflows.host.ReadinessActivities;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.ReadinessRequest;
import dev.kindling.workflows.host.SnapshotRequest;
import dev.kindling.workflows.host.StartedVm;
import dev.kindling.workflows.host.VmHandle;
import dev.kindling.workflows.host.VmNetwork;
import dev.kindling.workflows.host.VmRef;
import dev.kindling.workflows.host.VmStartActivities;
import dev.kindling.workflows.host.VmmActivities;
import dev.kindling.workflows.hosts.HostCapacity;
import dev.kindling.workflows.hosts.HostRecord;
import dev.kindling.workflows.hosts.HostReport;
import dev.kindling.workflows.hosts.HostWorkflow;
import dev.kindling.workflows.pool.ClientPoolClaims;
import dev.kindling.workflows.vm.BrowserVmWorkflow;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmRequest;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.failure.ApplicationFailure;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.worker.WorkerOptions;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control-plane benchmark: how many sessions per second the real Temporal dev server, the real
 * workflows, placement and host records start across three workers, and start → READY at that rate.
 * <b>A benchmark only: the VMM and readiness are stand-ins</b> ({@link NoOpVmm}, {@link
 * InstantReadiness}); no VM boots and no network namespace is made, so this measures Temporal, the
 * workflows, placement and the hosts' records, and nothing of a host's own work.
 *
 * <p>One Temporal CLI dev server (its state in a SQLite file, as {@code kindling dev} keeps it, or
 * in memory with {@code --ephemeral}); three workers in this JVM, hosts {@code cp-a}, {@code cp-b}
 * and {@code cp-c}, each with its own connection and {@link WorkerFactory}, registering on the
 * shared queue what {@code WorkerRuntime} registers (the five workflows and the real shared
 * activities, placement wrapped in a timer) and the stand-ins on its host queue, with {@code
 * WorkerRuntime}'s worker options; each reports its host every 5 s as a worker does, with 100,000
 * VM slots (capacity never binds) and a fake current image of {@code terminal}. A fourth connection
 * is the backend: sessions start at a fixed offered rate whatever earlier ones did (open loop),
 * each with one update-with-start call ({@code KindlingClient.createVm}, returning at READY), and
 * are released at READY. The rate is stepped until a step is not sustained.
 *
 * <p>Arguments: {@code [--rates 2,5,10,...] [--window SECONDS] [--warmup SECONDS] [--ephemeral |
 * --state-dir DIR] [--hosts 1-3] [--server-log FILE] [--out FILE]}. Needs the Temporal CLI ({@code
 * bin/setup-host}); not root, not QEMU. Prints the "Control plane (stand-in VMM)" section of
 * docs/BENCHMARKS.md as Markdown.
 */
public final class ControlPlaneBench {
  private static final Logger log = LoggerFactory.getLogger(ControlPlaneBench.class);

  static final List<String> HOSTS = List.of("cp-a", "cp-b", "cp-c");
  static final String TEMPLATE = "terminal";

  /** So many that capacity never decides placement. */
  static final int VM_SLOTS = 100_000;

  /** What the stand-in hosts report as their current image of {@link #TEMPLATE}: nothing real. */
  static final ImageRef STAND_IN_IMAGE =
      new ImageRef("0c0ffee0".repeat(8), "stand-in-snapshot", "stand-in", 1_764_547_200L, TEMPLATE);

  /** The host activities' slots, as {@code WorkerRuntime} sets them. */
  static final int HOST_ACTIVITY_SLOTS = 16;

  static final int APP_WATCH_SLOTS = 2000;

  /** Achieved completions at least this share of the offered rate, for a sustained step. */
  static final double SUSTAINED_SHARE = 0.95;

  /**
   * Sessions queue when start → READY p50 is more than this many times the lightest step's: a step
   * that keeps up only by letting sessions wait is not sustained.
   */
  static final int QUEUED = 2;

  static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(120);
  static final String OPEN_SESSIONS =
      "WorkflowType = '" + BrowserVmWorkflow.WORKFLOW_TYPE + "' AND ExecutionStatus = 'Running'";

  private ControlPlaneBench() {}

  record Options(
      List<Double> rates,
      int windowSeconds,
      int warmupSeconds,
      boolean ephemeral,
      int hosts,
      Path stateDir,
      Path serverLog,
      Path out) {
    static Options parse(String[] args) {
      List<Double> rates = List.of(2.0, 5.0, 10.0, 20.0, 30.0, 40.0, 60.0, 80.0);
      int window = 30;
      int warmup = 5;
      boolean ephemeral = false;
      int hosts = HOSTS.size();
      Path stateDir = null;
      Path serverLog = null;
      Path out = null;
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--rates" ->
              rates = Arrays.stream(args[++i].split(",")).map(Double::parseDouble).toList();
          case "--window" -> window = Integer.parseInt(args[++i]);
          case "--warmup" -> warmup = Integer.parseInt(args[++i]);
          case "--ephemeral" -> ephemeral = true;
          case "--hosts" -> hosts = Integer.parseInt(args[++i]);
          case "--state-dir" -> stateDir = Path.of(args[++i]);
          case "--server-log" -> serverLog = Path.of(args[++i]);
          case "--out" -> out = Path.of(args[++i]);
          default -> throw new IllegalArgumentException("unknown argument " + args[i]);
        }
      }
      if (hosts < 1 || hosts > HOSTS.size()) {
        throw new IllegalArgumentException("--hosts: 1 to " + HOSTS.size());
      }
      return new Options(rates, window, warmup, ephemeral, hosts, stateDir, serverLog, out);
    }

    List<String> hostIds() {
      return HOSTS.subList(0, hosts);
    }
  }

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    String loadBefore = loadAverage();
    String qemuBefore = qemuProcesses();
    Path runDir = Files.createTempDirectory("kindling-cp-bench-");
    List<StepResult> results = new ArrayList<>();
    List<Long> warmups;
    String serverDescription;
    String spread;
    Path stateDir = options.stateDir() == null ? runDir : options.stateDir();
    Path database =
        options.ephemeral()
            ? null
            : Files.createTempDirectory(stateDir, "kindling-cp-bench-state-")
                .resolve("temporal.db");
    try {
      KindlingConfig base = config(runDir, "localhost:0", HOSTS.getFirst());
      String named = System.getenv("KINDLING_TEMPORAL_CLI");
      Path cli =
          TemporalCli.find(named, base.paths())
              .orElseThrow(
                  () -> new IllegalStateException(TemporalCli.missing(named, base.paths())));
      Path serverLog =
          options.serverLog() == null
              ? runDir.resolve("temporal-dev-server.log")
              : options.serverLog();
      try (TemporalDevServer server =
          TemporalDevServer.start(
              new TemporalDevServer.Options(cli, 0, -1, database, "default", serverLog))) {
        serverDescription =
            "a private Temporal CLI "
                + TemporalCli.VERSION
                + " dev server on loopback ("
                + (database == null
                    ? "state in memory"
                    : "state in a SQLite file, as `kindling dev` keeps it, on "
                        + fileSystem(database.getParent()))
                + ", search attributes registered, log level warn)";
        PlacementSink sink = new PlacementSink();
        List<BenchWorker> workers = new ArrayList<>();
        try (TemporalConnection backend =
            TemporalConnection.open(config(runDir, server.target(), "cp-backend"))) {
          for (String hostId : options.hostIds()) {
            workers.add(BenchWorker.start(config(runDir, server.target(), hostId), sink));
          }
          KindlingClient client = new KindlingClient(backend.client());
          awaitHostRecords(client, options.hostIds());
          warmups = warmUp(client, backend.client(), 20);
          log.info("warm-up sessions (ms, one after another): {}", warmups);
          for (int i = 0; i < options.rates().size(); i++) {
            StepResult result =
                step(
                    i + 1,
                    options.rates().get(i),
                    options,
                    client,
                    backend.client(),
                    workers,
                    sink,
                    server.pid(),
                    results.isEmpty() ? 0 : percentile(results.getFirst().latencyMillis(), 0.5));
            results.add(result);
            log.info("{}", result.summary());
            if (!result.sustained()) {
              break;
            }
          }
          spread =
              String.join(
                  ", ",
                  workers.stream().map(w -> "`" + w.hostId + "` " + w.vmm.started.get()).toList());
        } finally {
          for (BenchWorker worker : workers) {
            worker.close();
          }
        }
      }
    } finally {
      FileTrees.deleteRecursively(runDir);
      if (database != null && !database.startsWith(runDir)) {
        FileTrees.deleteRecursively(database.getParent());
      }
    }
    String markdown =
        markdown(options, serverDescription, loadBefore, qemuBefore, warmups, results, spread);
    System.out.println(markdown);
    if (options.out() != null) {
      Files.writeString(options.out(), markdown);
    }
  }

  /** The file system {@code dir} is on, as df names its type and mount point. */
  private static String fileSystem(Path dir) {
    List<String> lines =
        Commands.run(List.of("df", "--output=fstype,target", dir.toString()))
            .stdout()
            .strip()
            .lines()
            .toList();
    if (lines.size() < 2) {
      return dir.toString();
    }
    String[] fields = lines.getLast().strip().split("\\s+");
    return fields[0] + " (" + dir + ", mounted on " + fields[1] + ")";
  }

  static KindlingConfig config(Path runDir, String target, String hostId) {
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    flags.put(Setting.TEMPORAL_TARGET, target);
    flags.put(Setting.HOST_ID, hostId);
    flags.put(Setting.HOST_VM_SLOTS, Integer.toString(VM_SLOTS));
    flags.put(Setting.RUN_DIR, runDir.resolve("run").toString());
    flags.put(Setting.WORKER_METRICS_PORT, "-1");
    flags.put(Setting.DEFAULT_TEMPLATE, TEMPLATE);
    return KindlingConfig.load(null, Map.of(), flags);
  }

  /** Until every stand-in host's record holds a report (placement needs them). */
  private static void awaitHostRecords(KindlingClient client, List<String> hosts)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (true) {
      List<HostRecord> records = client.hosts();
      long reported =
          records.stream().filter(r -> hosts.contains(r.hostId()) && r.report() != null).count();
      if (reported == hosts.size()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the stand-in hosts did not report: " + records);
      }
      Thread.sleep(200);
    }
  }

  /** Sessions one after another, before anything is measured: class loading and JIT compilation. */
  private static List<Long> warmUp(KindlingClient client, WorkflowClient temporal, int sessions)
      throws Exception {
    List<Long> millis = new ArrayList<>();
    for (int i = 0; i < sessions; i++) {
      String session = "cp-warm-" + i + "-" + shortId();
      long t0 = System.nanoTime();
      client.createVm(request(session), READY_TIMEOUT);
      millis.add((System.nanoTime() - t0) / 1_000_000);
      client.release(session);
    }
    awaitNoOpenSessions(temporal, System.nanoTime());
    return millis;
  }

  static VmRequest request(String session) {
    return new VmRequest(session, null, BootMode.AUTO, 600, 0, 0, 0, TEMPLATE, null, null);
  }

  private static String shortId() {
    return UUID.randomUUID().toString().substring(0, 6);
  }

  // ---------------------------------------------------------------------------------------------
  // One step of the offered rate.

  record StepResult(
      int step,
      long baselineP50,
      double offered,
      int windowSeconds,
      int scheduled,
      int readyInWindow,
      int failures,
      List<String> failureSamples,
      int releaseFailures,
      long[] latencyMillis,
      long[] placementMicros,
      long[] recordsMicros,
      int recordReads,
      double inFlightFirstThird,
      double inFlightLastThird,
      int inFlightMax,
      int lateAtWindowEnd,
      long drainMillis,
      boolean drained,
      Cpu cpu,
      WorkerStats workers,
      Paths paths,
      String loadAfter) {

    double achieved() {
      return (double) readyInWindow / windowSeconds;
    }

    boolean backlogGrows() {
      return inFlightLastThird > 1.5 * inFlightFirstThird + 2;
    }

    /** A queue in front of the sessions: p50 more than {@link #QUEUED} × the lightest step's. */
    boolean queued() {
      return percentile(latencyMillis, 0.5) > QUEUED * baselineP50;
    }

    boolean sustained() {
      return achieved() >= SUSTAINED_SHARE * offered
          && failures == 0
          && !backlogGrows()
          && !queued()
          && drained;
    }

    String why() {
      List<String> reasons = new ArrayList<>();
      if (achieved() < SUSTAINED_SHARE * offered) {
        reasons.add(
            String.format(
                Locale.ROOT,
                "achieved %.1f/s < %.0f %% of offered",
                achieved(),
                SUSTAINED_SHARE * 100));
      }
      if (failures > 0) {
        reasons.add(failures + " failed");
      }
      if (backlogGrows()) {
        reasons.add(
            String.format(
                Locale.ROOT,
                "waiting sessions grew %.1f → %.1f",
                inFlightFirstThird,
                inFlightLastThird));
      }
      if (queued()) {
        reasons.add(
            "start → READY p50 "
                + percentile(latencyMillis, 0.5)
                + " ms > "
                + QUEUED
                + " × "
                + baselineP50
                + " ms of the lightest step");
      }
      if (!drained) {
        reasons.add("teardown not drained in " + DRAIN_TIMEOUT.toSeconds() + " s");
      }
      return reasons.isEmpty() ? "sustained" : String.join("; ", reasons);
    }

    String summary() {
      return String.format(
          Locale.ROOT,
          "step %d: offered %.1f/s achieved %.2f/s, start->READY p50 %d p99 %d max %d ms,"
              + " placement p50 %.2f p99 %.2f ms (records p50 %.2f p99 %.2f ms, %d reads),"
              + " waiting %.1f -> %.1f (max %d), %d failed, drained in %d ms; bench %.2f CPUs,"
              + " server %.2f CPUs, host %.0f %% busy; %s",
          step,
          offered,
          achieved(),
          percentile(latencyMillis, 0.5),
          percentile(latencyMillis, 0.99),
          percentile(latencyMillis, 1.0),
          percentile(placementMicros, 0.5) / 1000.0,
          percentile(placementMicros, 0.99) / 1000.0,
          percentile(recordsMicros, 0.5) / 1000.0,
          percentile(recordsMicros, 0.99) / 1000.0,
          recordReads,
          inFlightFirstThird,
          inFlightLastThird,
          inFlightMax,
          failures,
          drainMillis,
          cpu.benchCpus(),
          cpu.serverCpus(),
          cpu.hostBusyPercent(),
          why());
    }
  }

  private static StepResult step(
      int stepNo,
      double rate,
      Options options,
      KindlingClient client,
      WorkflowClient temporal,
      List<BenchWorker> workers,
      PlacementSink sink,
      long serverPid,
      long baselineP50)
      throws Exception {
    long period = (long) (1e9 / rate);
    long start = System.nanoTime() + 100_000_000L;
    long from = start + TimeUnit.SECONDS.toNanos(options.warmupSeconds());
    long to = from + TimeUnit.SECONDS.toNanos(options.windowSeconds());
    Samples latency = new Samples();
    AtomicInteger scheduled = new AtomicInteger();
    AtomicInteger readyInWindow = new AtomicInteger();
    AtomicInteger failures = new AtomicInteger();
    AtomicInteger releaseFailures = new AtomicInteger();
    AtomicInteger inFlight = new AtomicInteger();
    ConcurrentLinkedQueue<String> failureSamples = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<String> readySessions = new ConcurrentLinkedQueue<>();
    PlacementSamples placement = new PlacementSamples();
    Sampler sampler = new Sampler(from, to, inFlight, workers, placement, sink, serverPid);
    Thread samplerThread = Thread.ofPlatform().name("cp-bench-sampler").start(sampler);
    try (ExecutorService sessions = Executors.newVirtualThreadPerTaskExecutor()) {
      for (long i = 0; ; i++) {
        long at = start + i * period;
        if (at >= to) {
          break;
        }
        parkUntil(at);
        boolean measured = at >= from;
        if (measured) {
          scheduled.incrementAndGet();
        }
        String session = "cp" + stepNo + "-" + i + "-" + shortId();
        sessions.submit(
            () -> {
              inFlight.incrementAndGet();
              boolean ended = false;
              try {
                client.createVm(request(session), READY_TIMEOUT);
                long now = System.nanoTime();
                if (measured) {
                  // From the intended start: a start the load side made late counts.
                  latency.add((now - at) / 1_000_000);
                  readySessions.add(session);
                }
                if (now >= from && now < to) {
                  readyInWindow.incrementAndGet();
                }
              } catch (Exception e) {
                ended = e instanceof VmFailedException;
                if (measured) {
                  failures.incrementAndGet();
                  if (failureSamples.size() < 5) {
                    failureSamples.add(describe(e));
                  }
                }
              } finally {
                inFlight.decrementAndGet();
              }
              if (!ended) {
                // Also after a timeout: the session must not outlive the step.
                try {
                  client.release(session);
                } catch (RuntimeException e) {
                  releaseFailures.incrementAndGet();
                }
              }
            });
      }
      // Closing waits for every session of this step: READY (or its timeout) and its release.
    }
    samplerThread.join();
    long drainStart = System.nanoTime();
    boolean drained = awaitNoOpenSessions(temporal, drainStart);
    long drainMillis = (System.nanoTime() - Math.max(drainStart, to)) / 1_000_000;
    long[] sortedLatency = latency.sorted();
    return new StepResult(
        stepNo,
        baselineP50 > 0 ? baselineP50 : percentile(sortedLatency, 0.5),
        rate,
        options.windowSeconds(),
        scheduled.get(),
        readyInWindow.get(),
        failures.get(),
        List.copyOf(failureSamples),
        releaseFailures.get(),
        sortedLatency,
        placement.total.sorted(),
        placement.records.sorted(),
        placement.reads.get(),
        sampler.inFlightMean(0, 1.0 / 3),
        sampler.inFlightMean(2.0 / 3, 1),
        sampler.inFlightMax(),
        sampler.inFlightAtEnd(),
        drainMillis,
        drained,
        sampler.cpu(),
        sampler.workerStats(),
        Paths.of(temporal, List.copyOf(readySessions)),
        loadAverage());
  }

  /**
   * Where start → READY went on the server, p50 over up to {@link #SAMPLED} sessions spread over
   * the window, from their histories' event times ({@link CriticalPath}).
   */
  record Paths(
      int sampled,
      long startToReady,
      long workflowTasks,
      long workflowTaskWait,
      long activityPickup,
      long activityBodies,
      long tasksBeforeReady) {
    static final int SAMPLED = 20;

    static Paths of(WorkflowClient temporal, List<String> sessions) {
      List<long[]> rows = new ArrayList<>();
      int step = Math.max(1, sessions.size() / SAMPLED);
      for (int i = 0; i < sessions.size() && rows.size() < SAMPLED; i += step) {
        List<HistoryEvent> events =
            temporal.fetchHistory(BrowserVmWorkflow.workflowId(sessions.get(i))).getEvents();
        HistoryEvent ready =
            events.stream()
                .filter(e -> LifecycleBench.setsPhase(e, Phase.READY))
                .findFirst()
                .orElse(null);
        if (ready == null) {
          continue;
        }
        CriticalPath path = CriticalPath.until(events, ready);
        rows.add(
            new long[] {
              Duration.between(CriticalPath.time(events.getFirst()), CriticalPath.time(ready))
                  .toMillis(),
              path.workflowTaskMillis(),
              path.taskWaitMillis(),
              path.pickupMillis(),
              path.bodiesMillis(),
              path.workflowTasks()
            });
      }
      return new Paths(
          rows.size(),
          median(rows, 0),
          median(rows, 1),
          median(rows, 2),
          median(rows, 3),
          median(rows, 4),
          median(rows, 5));
    }

    private static long median(List<long[]> rows, int column) {
      return percentile(rows.stream().mapToLong(r -> r[column]).sorted().toArray(), 0.5);
    }
  }

  /** Until no session's workflow runs (every teardown done); false after {@link #DRAIN_TIMEOUT}. */
  private static boolean awaitNoOpenSessions(WorkflowClient client, long since)
      throws InterruptedException {
    long deadline = since + DRAIN_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (client.countWorkflows(OPEN_SESSIONS).getCount() == 0) {
        return true;
      }
      Thread.sleep(250);
    }
    return false;
  }

  private static void parkUntil(long nanoTime) {
    for (long left = nanoTime - System.nanoTime(); left > 0; left = nanoTime - System.nanoTime()) {
      LockSupport.parkNanos(left);
    }
  }

  private static String brief(String message) {
    if (message == null) {
      return "";
    }
    String line = message.lines().findFirst().orElse("");
    return line.length() > 200 ? line.substring(0, 200) + "…" : line;
  }

  // ---------------------------------------------------------------------------------------------
  // What happens during the window: sessions waiting for READY, CPU, the SDK's worker meters.

  /** CPU over the measured window, in CPUs (CPU seconds per second). */
  record Cpu(
      double benchCpus,
      double serverCpus,
      double hostBusyPercent,
      double stealPercent,
      double iowaitPercent,
      double serverWritesPerSecond,
      double serverWriteKibPerSecond,
      double gcMillisPerSecond,
      String others) {}

  /**
   * The Temporal SDK's account of the three workers over the window: the most workflow task, local
   * activity and host activity slots in use at once (summed over the workers, sampled once a
   * second), and mean latencies.
   */
  record WorkerStats(
      int workflowSlotsMax,
      int workflowSlotsTotal,
      int localActivitySlotsMax,
      int hostActivitySlotsMax,
      double workflowTaskWaitMillis,
      double workflowTaskWaitP50Bound,
      double workflowTaskExecutionMillis,
      long workflowTasks,
      double hostActivityWaitMillis,
      double hostActivityWaitP50Bound,
      double localActivityMillis) {}

  private static final class Sampler implements Runnable {
    private static final long EVERY_NANOS = 250_000_000L;

    private final long from;
    private final long to;
    private final AtomicInteger inFlight;
    private final List<BenchWorker> workers;
    private final PlacementSamples placement;
    private final PlacementSink sink;
    private final long serverPid;
    private final List<long[]> inFlightSamples = new ArrayList<>();
    private int workflowSlotsMax;
    private int localActivitySlotsMax;
    private int hostActivitySlotsMax;
    private volatile Cpu cpu;
    private volatile WorkerStats stats;
    private volatile int atEnd;

    Sampler(
        long from,
        long to,
        AtomicInteger inFlight,
        List<BenchWorker> workers,
        PlacementSamples placement,
        PlacementSink sink,
        long serverPid) {
      this.from = from;
      this.to = to;
      this.inFlight = inFlight;
      this.workers = workers;
      this.placement = placement;
      this.sink = sink;
      this.serverPid = serverPid;
    }

    @Override
    public void run() {
      parkUntil(from);
      sink.current.set(placement);
      CpuReading cpuBefore = CpuReading.now(serverPid);
      MeterTotals metersBefore = MeterTotals.read(workers);
      for (long next = from; next < to; next += EVERY_NANOS) {
        parkUntil(next);
        synchronized (this) {
          inFlightSamples.add(new long[] {next - from, inFlight.get()});
          workflowSlotsMax = Math.max(workflowSlotsMax, slotsUsed("WorkflowWorker", null));
          localActivitySlotsMax =
              Math.max(localActivitySlotsMax, slotsUsed("LocalActivityWorker", null));
          hostActivitySlotsMax =
              Math.max(hostActivitySlotsMax, slotsUsed("ActivityWorker", "kindling-host-"));
        }
      }
      parkUntil(to);
      sink.current.set(null);
      atEnd = inFlight.get();
      CpuReading cpuAfter = CpuReading.now(serverPid);
      MeterTotals metersAfter = MeterTotals.read(workers);
      cpu = cpuBefore.until(cpuAfter);
      MeterTotals delta = metersAfter.minus(metersBefore);
      synchronized (this) {
        stats =
            new WorkerStats(
                workflowSlotsMax,
                workers.size()
                    * WorkerOptions.getDefaultInstance()
                        .getMaxConcurrentWorkflowTaskExecutionSize(),
                localActivitySlotsMax,
                hostActivitySlotsMax,
                delta.mean("wfWait"),
                delta.percentileBound("wfWait", 0.5),
                delta.mean("wfExec"),
                delta.counts.getOrDefault("wfExec", 0L),
                delta.mean("hostActWait"),
                delta.percentileBound("hostActWait", 0.5),
                delta.mean("laExec"));
      }
    }

    private int slotsUsed(String workerType, String queuePrefix) {
      int used = 0;
      for (BenchWorker worker : workers) {
        for (Meter meter : worker.metrics.registry().getMeters()) {
          Meter.Id id = meter.getId();
          if (meter instanceof Gauge gauge
              && id.getName().equals("temporal_worker_task_slots_used")
              && workerType.equals(id.getTag("worker_type"))
              && (queuePrefix == null
                  || (id.getTag("task_queue") != null
                      && id.getTag("task_queue").startsWith(queuePrefix)))) {
            used += (int) gauge.value();
          }
        }
      }
      return used;
    }

    synchronized double inFlightMean(double fromShare, double toShare) {
      long window = to - from;
      return inFlightSamples.stream()
          .filter(s -> s[0] >= fromShare * window && s[0] < toShare * window)
          .mapToLong(s -> s[1])
          .average()
          .orElse(0);
    }

    synchronized int inFlightMax() {
      return (int) inFlightSamples.stream().mapToLong(s -> s[1]).max().orElse(0);
    }

    int inFlightAtEnd() {
      return atEnd;
    }

    Cpu cpu() {
      return cpu;
    }

    synchronized WorkerStats workerStats() {
      return stats;
    }
  }

  /** Sums of the SDK's timers over the three workers, by what they time. */
  private record MeterTotals(
      Map<String, Double> seconds,
      Map<String, Long> counts,
      Map<String, java.util.TreeMap<Double, Double>> buckets) {
    static MeterTotals read(List<BenchWorker> workers) {
      Map<String, Double> seconds = new HashMap<>();
      Map<String, Long> counts = new HashMap<>();
      Map<String, java.util.TreeMap<Double, Double>> buckets = new HashMap<>();
      for (BenchWorker worker : workers) {
        for (Meter meter : worker.metrics.registry().getMeters()) {
          if (!(meter instanceof Timer timer)) {
            continue;
          }
          Meter.Id id = meter.getId();
          String queue = id.getTag("task_queue");
          String key =
              switch (id.getName()) {
                case "temporal_workflow_task_schedule_to_start_latency" -> "wfWait";
                case "temporal_workflow_task_execution_latency" -> "wfExec";
                case "temporal_local_activity_execution_latency" -> "laExec";
                case "temporal_activity_schedule_to_start_latency" ->
                    queue != null && queue.startsWith("kindling-host-") ? "hostActWait" : null;
                default -> null;
              };
          if (key != null) {
            seconds.merge(key, timer.totalTime(TimeUnit.SECONDS), Double::sum);
            counts.merge(key, timer.count(), Long::sum);
            // The SDK's timers publish a histogram: cumulative counts at or below each bound.
            java.util.TreeMap<Double, Double> byBound =
                buckets.computeIfAbsent(key, k -> new java.util.TreeMap<>());
            for (CountAtBucket bucket : timer.takeSnapshot().histogramCounts()) {
              byBound.merge(bucket.bucket(TimeUnit.MILLISECONDS), bucket.count(), Double::sum);
            }
          }
        }
      }
      return new MeterTotals(seconds, counts, buckets);
    }

    MeterTotals minus(MeterTotals earlier) {
      Map<String, Double> s = new HashMap<>(seconds);
      Map<String, Long> c = new HashMap<>(counts);
      earlier.seconds.forEach((k, v) -> s.merge(k, -v, Double::sum));
      earlier.counts.forEach((k, v) -> c.merge(k, -v, Long::sum));
      Map<String, java.util.TreeMap<Double, Double>> b = new HashMap<>();
      buckets.forEach(
          (k, v) -> {
            java.util.TreeMap<Double, Double> delta = new java.util.TreeMap<>(v);
            earlier
                .buckets
                .getOrDefault(k, new java.util.TreeMap<>())
                .forEach((bound, n) -> delta.merge(bound, -n, Double::sum));
            b.put(k, delta);
          });
      return new MeterTotals(s, c, b);
    }

    /**
     * The histogram bound (ms) at or below which {@code p} of the window's values of {@code key}
     * fell; NaN without a histogram.
     */
    double percentileBound(String key, double p) {
      long n = counts.getOrDefault(key, 0L);
      java.util.TreeMap<Double, Double> byBound = buckets.get(key);
      if (n <= 0 || byBound == null || byBound.isEmpty()) {
        return Double.NaN;
      }
      for (Map.Entry<Double, Double> bucket : byBound.entrySet()) {
        if (bucket.getValue() >= p * n) {
          return bucket.getKey();
        }
      }
      return Double.POSITIVE_INFINITY;
    }

    double mean(String key) {
      long n = counts.getOrDefault(key, 0L);
      return n <= 0 ? 0 : seconds.getOrDefault(key, 0.0) * 1000 / n;
    }
  }

  /** CPU ticks of this JVM, the dev server (with its children) and every other process. */
  private record CpuReading(
      long nanoTime,
      long benchTicks,
      long serverTicks,
      long[] hostTicks,
      Map<Long, Long> processTicks,
      Map<Long, String> names,
      Set<Long> serverPids,
      long[] serverIo,
      long gcMillis) {

    static CpuReading now(long serverPid) {
      Set<Long> serverPids = new HashSet<>();
      serverPids.add(serverPid);
      ProcessHandle.of(serverPid)
          .ifPresent(p -> p.descendants().forEach(d -> serverPids.add(d.pid())));
      Map<Long, Long> ticks = new HashMap<>();
      Map<Long, String> names = new HashMap<>();
      try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
        procs
            .filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
            .forEach(
                p -> {
                  long pid = Long.parseLong(p.getFileName().toString());
                  ProcStat stat = ProcStat.read(pid);
                  if (stat != null) {
                    ticks.put(pid, stat.ticks());
                    names.put(pid, stat.name());
                  }
                });
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      long self = ProcessHandle.current().pid();
      long server = serverPids.stream().mapToLong(pid -> ticks.getOrDefault(pid, 0L)).sum();
      long gc =
          ManagementFactory.getGarbageCollectorMXBeans().stream()
              .mapToLong(GarbageCollectorMXBean::getCollectionTime)
              .filter(t -> t > 0)
              .sum();
      return new CpuReading(
          System.nanoTime(),
          ticks.getOrDefault(self, 0L),
          server,
          readHostTicks(),
          ticks,
          names,
          serverPids,
          readServerIo(serverPids),
          gc);
    }

    Cpu until(CpuReading after) {
      double seconds = (after.nanoTime - nanoTime) / 1e9;
      double hz = clockTicksPerSecond();
      long total = 0;
      long idle = 0;
      for (int i = 0; i < hostTicks.length; i++) {
        long d = after.hostTicks[i] - hostTicks[i];
        total += d;
        if (i == 3 || i == 4) {
          idle += d; // idle, iowait
        }
      }
      long steal = after.hostTicks[7] - hostTicks[7];
      long iowait = after.hostTicks[4] - hostTicks[4];
      // Other processes that used at least 5 % of a CPU, by name.
      long self = ProcessHandle.current().pid();
      Map<String, Long> others = new LinkedHashMap<>();
      after.processTicks.forEach(
          (pid, t) -> {
            Long before = processTicks.get(pid);
            if (before != null && pid != self && !serverPids.contains(pid)) {
              long d = t - before;
              if (d > 0) {
                others.merge(after.names.get(pid), d, Long::sum);
              }
            }
          });
      String busy =
          String.join(
              ", ",
              others.entrySet().stream()
                  .filter(e -> e.getValue() / hz / seconds >= 0.05)
                  .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                  .limit(4)
                  .map(
                      e ->
                          String.format(
                              Locale.ROOT, "%s %.2f", e.getKey(), e.getValue() / hz / seconds))
                  .toList());
      return new Cpu(
          (after.benchTicks - benchTicks) / hz / seconds,
          (after.serverTicks - serverTicks) / hz / seconds,
          total == 0 ? 0 : 100.0 * (total - idle) / total,
          total == 0 ? 0 : 100.0 * steal / total,
          total == 0 ? 0 : 100.0 * iowait / total,
          (after.serverIo[0] - serverIo[0]) / seconds,
          (after.serverIo[1] - serverIo[1]) / 1024.0 / seconds,
          (after.gcMillis - gcMillis) / seconds,
          busy.isEmpty() ? "nothing" : busy);
    }
  }

  /**
   * Write system calls and bytes written to storage of the dev server's processes so far, from
   * /proc/PID/io.
   */
  private static long[] readServerIo(Set<Long> pids) {
    long[] io = new long[2];
    for (long pid : pids) {
      try {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "io"))) {
          if (line.startsWith("syscw:")) {
            io[0] += Long.parseLong(line.substring(6).strip());
          } else if (line.startsWith("write_bytes:")) {
            io[1] += Long.parseLong(line.substring(12).strip());
          }
        }
      } catch (IOException | RuntimeException e) {
        // Gone, or not ours to read.
      }
    }
    return io;
  }

  /** One process's name and user plus system CPU ticks, from /proc/PID/stat; null when gone. */
  private record ProcStat(String name, long ticks) {
    static ProcStat read(long pid) {
      try {
        String text = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        int open = text.indexOf('(');
        int close = text.lastIndexOf(')');
        String[] fields = text.substring(close + 2).split(" ");
        // After "pid (comm) ": state is field 3, utime 14, stime 15.
        return new ProcStat(
            text.substring(open + 1, close),
            Long.parseLong(fields[11]) + Long.parseLong(fields[12]));
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }
  }

  /** The host's CPU ticks: user, nice, system, idle, iowait, irq, softirq, steal. */
  private static long[] readHostTicks() {
    try {
      String[] fields = Files.readAllLines(Path.of("/proc/stat")).getFirst().strip().split("\\s+");
      long[] ticks = new long[8];
      for (int i = 0; i < ticks.length; i++) {
        ticks[i] = Long.parseLong(fields[i + 1]);
      }
      return ticks;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static volatile double clockTicks;

  private static double clockTicksPerSecond() {
    if (clockTicks == 0) {
      String out = Commands.run(List.of("getconf", "CLK_TCK")).stdout().strip();
      clockTicks = out.isEmpty() ? 100 : Double.parseDouble(out);
    }
    return clockTicks;
  }

  static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).strip().split(" ");
      return String.join(" ", fields[0], fields[1], fields[2]);
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static String qemuProcesses() {
    String count = Commands.run(List.of("pgrep", "-c", "qemu-system")).stdout().strip();
    return count.isEmpty() ? "0" : count;
  }

  // ---------------------------------------------------------------------------------------------
  // Placement, timed.

  /** Where the placement timings of the measured window go (none outside it). */
  static final class PlacementSink {
    final AtomicReference<PlacementSamples> current = new AtomicReference<>();
  }

  static final class PlacementSamples {
    final Samples total = new Samples();
    final Samples records = new Samples();
    final AtomicInteger reads = new AtomicInteger();
  }

  /** Time spent reading the host records inside the current thread's {@code place} call. */
  private static final class RecordsTime {
    long nanos;
    boolean read;
  }

  private static final ThreadLocal<RecordsTime> RECORDS_TIME = new ThreadLocal<>();

  /**
   * The real placement (PlacementActivitiesImpl), each {@code place} call timed from inside the
   * local activity: the decision time, records read included.
   */
  static final class TimedPlacement implements PlacementActivities {
    private final PlacementActivities placement;
    private final PlacementSink sink;

    TimedPlacement(PlacementActivities placement, PlacementSink sink) {
      this.placement = placement;
      this.sink = sink;
    }

    @Override
    public Placement place(PlacementRequest request) {
      RecordsTime records = new RecordsTime();
      RECORDS_TIME.set(records);
      long t0 = System.nanoTime();
      try {
        return placement.place(request);
      } finally {
        long nanos = System.nanoTime() - t0;
        RECORDS_TIME.remove();
        PlacementSamples samples = sink.current.get();
        if (samples != null) {
          samples.total.add(nanos / 1000);
          samples.records.add(records.nanos / 1000);
          if (records.read) {
            samples.reads.incrementAndGet();
          }
        }
      }
    }
  }

  /**
   * The real host records (TemporalHostRecords), timed: how much of a placement is reading them
   * (waiting for another thread's read included), and whether this call got a newly read list.
   */
  static final class TimedRecords implements HostRecords {
    private final HostRecords records;
    private final AtomicReference<List<HostRecord>> last = new AtomicReference<>();

    TimedRecords(HostRecords records) {
      this.records = records;
    }

    @Override
    public List<HostRecord> cached() {
      return timed(true);
    }

    @Override
    public List<HostRecord> fresh() {
      return timed(false);
    }

    private List<HostRecord> timed(boolean cached) {
      long t0 = System.nanoTime();
      List<HostRecord> list = cached ? records.cached() : records.fresh();
      long nanos = System.nanoTime() - t0;
      RecordsTime time = RECORDS_TIME.get();
      if (time != null) {
        time.nanos += nanos;
        time.read |= last.getAndSet(list) != list;
      }
      return list;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The stand-ins: a benchmark only.

  /**
   * STAND-IN, for this benchmark only: a VMM and network that do nothing. {@code startVm} returns
   * at once with the standard network of the VM id and a handle naming no process; destroy and
   * delete do nothing. It only counts the VMs it "holds" for the host's report.
   */
  static final class NoOpVmm implements VmStartActivities, VmmActivities, NetworkActivities {
    final Set<String> running = ConcurrentHashMap.newKeySet();
    final AtomicLong started = new AtomicLong();

    @Override
    public StartedVm startVm(NetworkRequest network, BootRequest boot) {
      return new StartedVm(VmNetwork.standard(boot.vmId()), bootVm(boot), 0);
    }

    @Override
    public VmHandle bootVm(BootRequest request) {
      running.add(request.vmId());
      started.incrementAndGet();
      return new VmHandle(
          request.vmId(),
          "stand-in",
          "none",
          0,
          "/nonexistent/stand-in/" + request.vmId(),
          "",
          request.mode(),
          System.currentTimeMillis(),
          0);
    }

    @Override
    public void destroyVm(VmRef vm) {
      running.remove(vm.vmId());
    }

    @Override
    public String snapshotVm(SnapshotRequest request) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the control-plane benchmark's stand-in VMM takes no snapshots", "StandIn");
    }

    @Override
    public VmNetwork createNetwork(NetworkRequest request) {
      return VmNetwork.standard(request.vmId());
    }

    @Override
    public void deleteNetwork(NetworkRequest request) {
      // Nothing was made.
    }
  }

  /**
   * STAND-IN, for this benchmark only: readiness that answers at once, with no stages, a template
   * that restarts its app (so no app watch runs) and no evidence.
   */
  static final class InstantReadiness implements ReadinessActivities {
    @Override
    public ReadinessReport awaitReady(ReadinessRequest request) {
      return new ReadinessReport(List.of(), 0, 1280, 800, "stand-in (no VM)", "restart");
    }

    @Override
    public AppExit awaitAppExit(VmRef vm) {
      return new AppExit(false, "the stand-in's app restarts");
    }

    @Override
    public Diagnostics collectDiagnostics(VmRef vm) {
      return new Diagnostics(
          vm.vmId(),
          "stand-in",
          "no VM: the control-plane benchmark's stand-in",
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // A worker as WorkerRuntime registers it, with the stand-ins on its host queue.

  static final class BenchWorker implements AutoCloseable {
    final String hostId;
    final WorkerMetrics metrics;
    final TemporalConnection connection;
    final WorkerFactory factory;
    final NoOpVmm vmm;
    final ScheduledExecutorService reporter;

    private BenchWorker(
        String hostId,
        WorkerMetrics metrics,
        TemporalConnection connection,
        WorkerFactory factory,
        NoOpVmm vmm,
        ScheduledExecutorService reporter) {
      this.hostId = hostId;
      this.metrics = metrics;
      this.connection = connection;
      this.factory = factory;
      this.vmm = vmm;
      this.reporter = reporter;
    }

    static BenchWorker start(KindlingConfig config, PlacementSink sink) {
      String hostId = config.hostId();
      // Not served (-1): the SDK's meters are read from the registry.
      WorkerMetrics metrics = WorkerMetrics.start("127.0.0.1", -1, hostId);
      TemporalConnection connection = TemporalConnection.open(config, metrics.temporalScope());
      WorkflowClient client = connection.client();
      WorkerFactory factory =
          WorkerFactory.newInstance(
              client,
              WorkerFactoryOptions.newBuilder()
                  .setWorkflowCacheSize(config.intValue(Setting.WORKFLOW_CACHE))
                  .setWorkerInterceptors(metrics.interceptor())
                  .build());
      // The shared queue, as WorkerRuntime and SharedActivities register it.
      HostRecords records = new TemporalHostRecords(new KindlingClient(client), Clock.systemUTC());
      Worker shared = factory.newWorker(TaskQueues.SHARED);
      shared.registerWorkflowImplementationTypes(SharedWorkflows.implementations());
      shared.registerActivitiesImplementations(
          new TimedPlacement(
              new PlacementActivitiesImpl(
                  new TimedRecords(records), config.defaultTemplate(), Clock.systemUTC()),
              sink),
          new LivenessActivitiesImpl(client, records),
          new RetirementActivitiesImpl(client),
          new ClientPoolClaims(client),
          new HostLossActivitiesImpl(client));
      // The host queue, with WorkerRuntime's options, served by the stand-ins.
      String hostQueue = TaskQueues.forHost(hostId);
      NoOpVmm vmm = new NoOpVmm();
      Worker host =
          factory.newWorker(
              hostQueue,
              WorkerOptions.newBuilder()
                  .setMaxConcurrentActivityExecutionSize(HOST_ACTIVITY_SLOTS)
                  .build());
      host.registerActivitiesImplementations(vmm, new InstantReadiness());
      Worker appWatches =
          factory.newWorker(
              TaskQueues.appWatchOf(hostQueue),
              WorkerOptions.newBuilder()
                  .setUsingVirtualThreadsOnActivityWorker(true)
                  .setMaxConcurrentActivityExecutionSize(APP_WATCH_SLOTS)
                  .build());
      appWatches.registerActivitiesImplementations(new InstantReadiness());
      factory.start();
      ScheduledExecutorService reporter =
          Executors.newSingleThreadScheduledExecutor(
              Thread.ofPlatform().name("cp-bench-report-" + hostId).daemon().factory());
      BenchWorker worker = new BenchWorker(hostId, metrics, connection, factory, vmm, reporter);
      worker.report();
      reporter.scheduleWithFixedDelay(
          worker::reportQuietly,
          HostWorkflow.REPORT_EVERY.toMillis(),
          HostWorkflow.REPORT_EVERY.toMillis(),
          TimeUnit.MILLISECONDS);
      return worker;
    }

    /** What a worker reports of its host, with the stand-in's VMs as the running ones. */
    HostReport hostReport() {
      return new HostReport(
          hostId,
          new HostCapacity(Runtime.getRuntime().availableProcessors(), memoryMib(), VM_SLOTS),
          vmm.running.size(),
          Map.of(TEMPLATE, STAND_IN_IMAGE),
          List.of(STAND_IN_IMAGE),
          Map.of(),
          null,
          HostReport.DEFAULT_LOST_AFTER_SECONDS,
          System.currentTimeMillis());
    }

    /** Reports the host as a worker does. */
    void report() {
      new KindlingClient(connection.client()).reportHost(hostReport());
    }

    private void reportQuietly() {
      try {
        report();
      } catch (RuntimeException e) {
        log.warn("cannot report stand-in host {}: {}", hostId, e.toString());
      }
    }

    @Override
    public void close() {
      reporter.shutdownNow();
      try {
        factory.shutdown();
        factory.awaitTermination(10, TimeUnit.SECONDS);
        if (!factory.isTerminated()) {
          factory.shutdownNow();
        }
      } finally {
        connection.close();
        metrics.close();
      }
    }
  }

  private static long memoryMib() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/meminfo"))) {
      return lines
          .filter(line -> line.startsWith("MemTotal:"))
          .map(line -> Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024)
          .findFirst()
          .orElse(0L);
    } catch (IOException e) {
      return 0;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Numbers.

  /** Values added from many threads, sorted once at the end. */
  static final class Samples {
    private long[] values = new long[1024];
    private int size;

    synchronized void add(long value) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = value;
    }

    synchronized long[] sorted() {
      long[] copy = Arrays.copyOf(values, size);
      Arrays.sort(copy);
      return copy;
    }
  }

  /** Nearest rank: the smallest value with at least {@code p} of the values at or below it. */
  static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int index = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  private static String ms(long[] micros, double p) {
    return String.format(Locale.ROOT, "%.1f", percentile(micros, p) / 1000.0);
  }

  // ---------------------------------------------------------------------------------------------
  // Markdown.

  static String markdown(
      Options options,
      String server,
      String loadBefore,
      String qemuBefore,
      List<Long> warmups,
      List<StepResult> results,
      String spread) {
    StringBuilder md = new StringBuilder("## Control plane (stand-in VMM)\n\n");
    md.append(
        "**A benchmark only: the VMM and readiness are stand-ins, and no VM boots.** The host"
            + " queues are served by `NoOpVmm` (start returns at once with a handle naming no"
            + " process; destroy and the network's delete do nothing) and `InstantReadiness`"
            + " (READY at once, no stages, a template that restarts its app, so no app watch"
            + " runs), both in `ControlPlaneBench`. What is measured is only Temporal, the"
            + " workflows, placement and the hosts' records.\n\n");
    WorkerOptions defaults = WorkerOptions.getDefaultInstance();
    List<String> hosts = options.hostIds();
    md.append("On ")
        .append(server)
        .append(", ")
        .append(hosts.size() == 3 ? "three workers" : hosts.size() + " worker(s)")
        .append(" in the benchmark's JVM (hosts ")
        .append(String.join(", ", hosts.stream().map(h -> "`" + h + "`").toList()))
        .append(
            "), each with its own gRPC connection and `WorkerFactory` (workflow cache 600), registering on"
                + " the shared queue what `WorkerRuntime` does: the five workflows and the real"
                + " shared activities (`PlacementActivitiesImpl` on `TemporalHostRecords`, liveness,"
                + " retirement, host loss, `ClientPoolClaims`), with the SDK's default worker"
                + " options (")
        .append(defaults.getMaxConcurrentWorkflowTaskExecutionSize())
        .append(" workflow task slots, ")
        .append(defaults.getMaxConcurrentLocalActivityExecutionSize())
        .append(" local activity slots, ")
        .append(defaults.getMaxConcurrentWorkflowTaskPollers())
        .append(" workflow task pollers per worker); the stand-ins on each host queue with ")
        .append(HOST_ACTIVITY_SLOTS)
        .append(
            " activity slots, as a real host has. Each worker reports its host every 5 s by"
                + " signal-with-start of its `KindlingHost` record, as `HostReporter` does, with ")
        .append(String.format(Locale.ROOT, "%,d", VM_SLOTS))
        .append(
            " VM slots (capacity never decides), the stand-in's sessions as its running VMs, and"
                + " a fake current image of `terminal` with a snapshot (so sessions take the"
                + " restore path). No host keeps a warm pool, so each session's claim finds none"
                + " (`ClientPoolClaims` remembers that for 10 s per worker and host). A fourth"
                + " connection is the backend: each session is one `KindlingClient.createVm`"
                + " (update-with-start, `bootMode` AUTO, template `terminal`), called on its own"
                + " virtual thread, and is released (`release`, a signal) as soon as it returns"
                + " READY, so every session is a whole life: placement and the pool claim (local"
                + " activities), the start and readiness host steps, READY, release, destroy and"
                + " network delete, the workflow's end.\n\n");
    md.append(
            "Load: open loop. Sessions start at fixed intervals (1/rate) whatever earlier ones did;")
        .append(" start → READY is measured from each session's intended start to `createVm`")
        .append(" returning, so a start the load side made late counts. Each step: ")
        .append(options.warmupSeconds())
        .append(" s at its rate unmeasured, then ")
        .append(options.windowSeconds())
        .append(
            " s measured, then every session of the step waited for (READY and release) and"
                + " every session's workflow waited for to end (teardown) before the next step."
                + " Achieved is READY answers that arrived inside the window, per second."
                + " Placement is each `place` call (the local activity's body) timed inside the"
                + " worker, and of that the records read (`TemporalHostRecords.cached()`: a"
                + " visibility list of the host records and a query to each, at most every 2 s"
                + " per worker, or the wait for another thread's read). Before the steps, ")
        .append(warmups.size())
        .append(" sessions one after another warmed the JVM up (")
        .append(percentile(warmups.stream().mapToLong(Long::longValue).sorted().toArray(), 0.5))
        .append(" ms p50, first ")
        .append(warmups.isEmpty() ? 0 : warmups.getFirst())
        .append(" ms).\n\n");
    md.append("Run ")
        .append(Instant.now().truncatedTo(ChronoUnit.SECONDS))
        .append(" on ")
        .append(RestoreBench.machine())
        .append(", ")
        .append(System.getProperty("java.vm.name"))
        .append(" ")
        .append(System.getProperty("java.vm.version"))
        .append("; load average (1, 5, 15 min) ")
        .append(loadBefore)
        .append(" before, ")
        .append(results.isEmpty() ? "?" : results.getLast().loadAfter())
        .append(" after; QEMU processes running before: ")
        .append(qemuBefore)
        .append(".\n\n");

    md.append(
        "| offered /s | achieved /s | sessions measured (failed) | start → READY p50 / p99 /"
            + " max, ms | placement p50 / p99, ms | of which records read p50 / p99, ms | record"
            + " reads | sessions waiting for READY, first → last third (max) | sustained |\n");
    md.append("|---|---|---|---|---|---|---|---|---|\n");
    for (StepResult r : results) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %.2f | %d (%d) | %d / %d / %d | %s / %s | %s / %s | %d | %.1f → %.1f (%d)"
                  + " | %s |%n",
              number(r.offered()),
              r.achieved(),
              r.scheduled(),
              r.failures(),
              percentile(r.latencyMillis(), 0.5),
              percentile(r.latencyMillis(), 0.99),
              percentile(r.latencyMillis(), 1.0),
              ms(r.placementMicros(), 0.5),
              ms(r.placementMicros(), 0.99),
              ms(r.recordsMicros(), 0.5),
              ms(r.recordsMicros(), 0.99),
              r.recordReads(),
              r.inFlightFirstThird(),
              r.inFlightLastThird(),
              r.inFlightMax(),
              r.sustained() ? "yes" : "**no**: " + r.why()));
    }
    md.append("\nWhere the time and the CPUs went, per step (measured window only):\n\n");
    md.append(
        "| offered /s | benchmark JVM (3 workers + backend), CPUs | dev server, CPUs | host CPUs"
            + " busy (steal, I/O wait) | dev server writes: calls/s, KiB/s to storage | GC, ms/s | workflow task slots in use, max of all | local activity"
            + " slots, max | host activity slots, max | workflow tasks /s | workflow task"
            + " schedule → start, mean ms (p50 ≤) | workflow task execution, mean ms | host activity"
            + " schedule → start, mean ms (p50 ≤) | other processes, CPUs | drained after |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (StepResult r : results) {
      Cpu c = r.cpu();
      WorkerStats w = r.workers();
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %.2f | %.2f | %.0f %% (%.1f %%, %.1f %%) | %.0f, %.0f | %.0f | %d of %d | %d | %d | %.0f | %.1f"
                  + " (%s) | %.1f | %.1f (%s) | %s | %.1f s |%n",
              number(r.offered()),
              c.benchCpus(),
              c.serverCpus(),
              c.hostBusyPercent(),
              c.stealPercent(),
              c.iowaitPercent(),
              c.serverWritesPerSecond(),
              c.serverWriteKibPerSecond(),
              c.gcMillisPerSecond(),
              w.workflowSlotsMax(),
              w.workflowSlotsTotal(),
              w.localActivitySlotsMax(),
              w.hostActivitySlotsMax(),
              (double) w.workflowTasks() / r.windowSeconds(),
              w.workflowTaskWaitMillis(),
              bound(w.workflowTaskWaitP50Bound()),
              w.workflowTaskExecutionMillis(),
              w.hostActivityWaitMillis(),
              bound(w.hostActivityWaitP50Bound()),
              c.others(),
              r.drainMillis() / 1000.0));
    }
    md.append(
        "\nOn the path to READY, from the server's event times (p50 of up to "
            + Paths.SAMPLED
            + " sessions per step, spread over the window; `CriticalPath`, as in the Lifecycle"
            + " section):\n\n");
    md.append(
        "| offered /s | sessions read | workflow start → READY, ms | workflow tasks on the path,"
            + " ms (of which waiting to start) | host activity pickup, ms | host activity bodies,"
            + " ms | workflow tasks before READY |\n");
    md.append("|---|---|---|---|---|---|---|\n");
    for (StepResult r : results) {
      Paths p = r.paths();
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %d | %d (%d) | %d | %d | %d |%n",
              number(r.offered()),
              p.sampled(),
              p.startToReady(),
              p.workflowTasks(),
              p.workflowTaskWait(),
              p.activityPickup(),
              p.activityBodies(),
              p.tasksBeforeReady()));
    }
    for (StepResult r : results) {
      if (!r.failureSamples().isEmpty()) {
        md.append("\nFailures at ")
            .append(number(r.offered()))
            .append("/s (first few): ")
            .append(String.join("; ", r.failureSamples()))
            .append(".\n");
      }
      if (r.releaseFailures() > 0) {
        md.append("\nReleases that failed at ")
            .append(number(r.offered()))
            .append("/s: ")
            .append(r.releaseFailures())
            .append(".\n");
      }
    }
    StepResult best = null;
    for (StepResult r : results) {
      if (r.sustained()) {
        best = r;
      } else {
        break;
      }
    }
    md.append("\nSessions started on each host over the whole run (warm-up included): ")
        .append(spread)
        .append(".\n");
    md.append("\nSustained: ");
    if (best == null) {
      md.append("no step.");
    } else {
      md.append("**")
          .append(number(best.offered()))
          .append(" sessions/s** (start → READY p50 ")
          .append(percentile(best.latencyMillis(), 0.5))
          .append(" ms, p99 ")
          .append(percentile(best.latencyMillis(), 0.99))
          .append(" ms; placement p50 ")
          .append(ms(best.placementMicros(), 0.5))
          .append(" ms, p99 ")
          .append(ms(best.placementMicros(), 0.99))
          .append(" ms)");
      StepResult next =
          results.indexOf(best) + 1 < results.size()
              ? results.get(results.indexOf(best) + 1)
              : null;
      md.append(
          next == null
              ? "; no higher rate was tried."
              : "; the next step, " + number(next.offered()) + "/s, was not: " + next.why() + ".");
    }
    md.append(
        String.format(
            Locale.ROOT,
            " A step is sustained when READY answers inside its window reach %.0f %% of the"
                + " offered rate, no session fails, the sessions waiting for READY do not grow"
                + " (their mean over the window's last third is at most 1.5 × that of its first"
                + " third, plus 2), no queue builds up in front of them (start → READY p50 at"
                + " most %d × the lightest step's), and every session's workflow has ended within %d s of the"
                + " step's last READY (teardown keeps up too). Steps stop at the first that is not"
                + " sustained.%n",
            SUSTAINED_SHARE * 100,
            QUEUED,
            DRAIN_TIMEOUT.toSeconds()));
    md.append(
        "\nCPU: user plus system time from /proc of the benchmark's JVM (the workers and the"
            + " backend's client together) and of the dev server's process, over the window, in"
            + " CPUs (seconds per second); host busy (neither idle nor waiting for I/O), steal and"
            + " I/O wait from /proc/stat; the dev server's writes from /proc/PID/io (write system"
            + " calls, sockets included, and bytes sent to storage); other processes are those"
            + " using at least 5 % of a CPU over the window. Slots: the SDK's"
            + " `temporal_worker_task_slots_used`, summed over the workers and sampled every 250"
            + " ms (the SDK updates it once a second); latencies are the SDK's timers over the"
            + " window, p50 as the bound of the SDK's histogram bucket it fell in.\n");
    md.append(
        "\nReproduce: `bench/control-plane.sh [--rates 2,5,10,20,30,40,60,80] [--window 30]"
            + " [--warmup 5] [--ephemeral | --state-dir DIR] [--hosts 3] [--server-log FILE]"
            + " [--out FILE]` (needs the Temporal CLI of `bin/setup-host`; no root, no QEMU)."
            + " Without `--ephemeral` the dev server's SQLite file goes to a fresh directory"
            + " under `--state-dir` (default: the system's temporary directory).\n");
    return md.toString();
  }

  private static String bound(double millis) {
    if (Double.isNaN(millis)) {
      return "?";
    }
    if (Double.isInfinite(millis)) {
      return "above the histogram";
    }
    return millis >= 10
        ? String.format(Locale.ROOT, "%.0f", millis)
        : String.format(Locale.ROOT, "%.1f", millis);
  }

  private static String number(double value) {
    return value == Math.rint(value)
        ? Long.toString((long) value)
        : String.format(Locale.ROOT, "%.1f", value);
  }

  /** Why a session did not become READY in time, for a failure sample. */
  static String describe(Exception e) {
    return e instanceof TimeoutException
        ? "not READY in " + READY_TIMEOUT.toSeconds() + " s"
        : e.getClass().getSimpleName() + ": " + brief(e.getMessage());
  }
}
