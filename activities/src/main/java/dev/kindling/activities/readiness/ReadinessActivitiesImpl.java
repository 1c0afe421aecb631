package dev.kindling.activities.readiness;

import dev.kindling.activities.diagnostics.DiagnosticsCollector;
import dev.kindling.activities.temporal.CurrentActivity;
import dev.kindling.activities.temporal.HostFailures;
import dev.kindling.host.HostPaths;
import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.host.AppExit;
import dev.kindling.workflows.host.Diagnostics;
import dev.kindling.workflows.host.ReadinessActivities;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.ReadinessRequest;
import dev.kindling.workflows.host.ReadinessStage;
import dev.kindling.workflows.host.VmRef;
import io.temporal.activity.ActivityExecutionContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Readiness and diagnostics on the VM's host. Heartbeats the current stage when it runs as a
 * Temporal activity, and turns a {@link ReadinessFailure} into the stage's typed Temporal failure
 * with the diagnostics as details.
 */
public final class ReadinessActivitiesImpl implements ReadinessActivities {
  /**
   * How often a ready VM's app is asked whether it still runs: each ask starts processes in the
   * guest.
   */
  static final Duration APP_WATCH_EVERY = Duration.ofSeconds(5);

  /**
   * Each of parking's connect, upgrade and reads may take this long (under emulation all of them
   * take about 0.3 s), so the three fit well inside one heartbeat timeout after the heartbeat
   * before them.
   */
  static final Duration PARK_TIMEOUT = Duration.ofSeconds(2);

  private static final Logger log = LoggerFactory.getLogger(ReadinessActivitiesImpl.class);

  private final HostPaths paths;
  private final Function<String, VmmLiveness> livenessByVmId;
  private final ReadinessProbe probe;
  private final DiagnosticsCollector collector;
  private final Duration maxTimeout;
  private final ParkedHandshakes parked = new ParkedHandshakes();

  public ReadinessActivitiesImpl(HostPaths paths, Function<String, VmmLiveness> livenessByVmId) {
    this(paths, livenessByVmId, ProbeSettings.defaults());
  }

  public ReadinessActivitiesImpl(
      HostPaths paths, Function<String, VmmLiveness> livenessByVmId, ProbeSettings settings) {
    this(paths, livenessByVmId, settings, null);
  }

  /**
   * @param maxTimeout the host's ceiling on any request's readiness deadline (its configured
   *     readiness timeout), or null for none: a workflow's deadline is a default, the host decides
   */
  public ReadinessActivitiesImpl(
      HostPaths paths,
      Function<String, VmmLiveness> livenessByVmId,
      ProbeSettings settings,
      Duration maxTimeout) {
    this.paths = paths;
    this.livenessByVmId = livenessByVmId;
    this.maxTimeout = maxTimeout;
    this.collector = new DiagnosticsCollector();
    this.probe = new ReadinessProbe(settings, collector);
  }

  @Override
  public ReadinessReport awaitReady(ReadinessRequest request) {
    return probe(request, false);
  }

  /** Readiness of a pool VM handed to a session ({@link ReadinessProbe#awaitHandOver}). */
  public ReadinessReport awaitHandOver(ReadinessRequest request) {
    return probe(request, true);
  }

  private ReadinessReport probe(ReadinessRequest request, boolean handOver) {
    VmRef vm = request.vm();
    Validation.vmId(vm.vmId());
    if (request.timeoutMillis() <= 0) {
      throw FailureKind.INVALID_INPUT.failure(
          "timeoutMillis must be positive, was " + request.timeoutMillis());
    }
    ProbeTarget target;
    try {
      target = ProbeTarget.forVm(vm, paths).withLaunch(request.launch());
    } catch (UncheckedIOException e) {
      throw FailureKind.VMM_FAILED_TO_START.failure("the VM has no secrets: " + e.getMessage());
    }
    VmmLiveness liveness = livenessOf(vm.vmId());
    Duration deadline = deadline(request);
    if (handOver) {
      return HostFailures.typed(
          () ->
              probe.awaitHandOver(
                  target, liveness, deadline, heartbeats(), parked.take(vm.vmId())));
    }
    ReadinessReport report =
        HostFailures.typed(() -> probe.await(target, liveness, deadline, heartbeats()));
    if (request.parkForHandOver()) {
      park(target);
    }
    return report;
  }

  /**
   * Parks a handshake for the VM's hand-over. Without one the hand-over makes a full handshake, so
   * a failure here costs only time.
   */
  private void park(ProbeTarget target) {
    CurrentActivity.context().ifPresent(context -> context.heartbeat(Map.of("stage", "park")));
    try {
      parked.park(target.vmId(), probe.park(target, PARK_TIMEOUT));
    } catch (IOException | RuntimeException e) {
      log.warn(
          "{}: no handshake parked for its hand-over ({}); it will make a full one",
          target.vmId(),
          e.toString());
    }
  }

  /** Parked handshakes waiting for their hand-over (for tests). */
  int parkedCount() {
    return parked.size();
  }

  @Override
  public AppExit awaitAppExit(VmRef vm) {
    Validation.vmId(vm.vmId());
    ProbeTarget target = ProbeTarget.forVm(vm, paths, "");
    AgentClient agent =
        new AgentClient(
            target.namespace(), target.agent(), Duration.ofSeconds(1), Duration.ofSeconds(10));
    Optional<ActivityExecutionContext> activity = CurrentActivity.context();
    String lastProblem = "";
    while (true) {
      Optional<String> vmmExit = livenessOf(vm.vmId()).exitReason();
      if (vmmExit.isPresent()) {
        return new AppExit(false, "not watched any more: the VMM exited (" + vmmExit.get() + ")");
      }
      if (!NetworkNamespaces.exists(target.namespace())) {
        return new AppExit(false, "not watched any more: the VM's namespace is gone");
      }
      try {
        Optional<AppStatus> status = agent.app();
        if (status.isEmpty() || !status.get().releasesOnExit()) {
          return new AppExit(false, "not watched: the template restarts its app");
        }
        if (status.get().gaveUp()) {
          return new AppExit(true, status.get().ending());
        }
        lastProblem = "";
      } catch (IOException e) {
        lastProblem = "GET /v1/app: " + e.getMessage();
      }
      // Throws when the workflow cancelled the watch (its lease ended otherwise).
      String problem = lastProblem;
      activity.ifPresent(context -> context.heartbeat(problem));
      try {
        Thread.sleep(APP_WATCH_EVERY.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new AppExit(false, "not watched any more: interrupted");
      }
    }
  }

  @Override
  public Diagnostics collectDiagnostics(VmRef vm) {
    Validation.vmId(vm.vmId());
    return collector.collect(
        ProbeTarget.forVm(vm, paths, ""), "describe", "requested", livenessOf(vm.vmId()), null);
  }

  /**
   * The request's deadline (capped by the host's), less what earlier attempts used: an attempt that
   * replaces one whose worker died continues the same wait instead of starting a new one.
   */
  private Duration deadline(ReadinessRequest request) {
    Duration requested = Duration.ofMillis(request.timeoutMillis());
    Duration allowed =
        maxTimeout != null && maxTimeout.compareTo(requested) < 0 ? maxTimeout : requested;
    Duration left = allowed.minus(usedByEarlierAttempts());
    return left.isNegative() ? Duration.ZERO : left;
  }

  /** Both timestamps are the server's, so the hosts' clocks do not matter. */
  private static Duration usedByEarlierAttempts() {
    return CurrentActivity.context()
        .map(ActivityExecutionContext::getInfo)
        .map(
            info ->
                Duration.ofMillis(
                    Math.max(
                        0,
                        info.getCurrentAttemptScheduledTimestamp() - info.getScheduledTimestamp())))
        .orElse(Duration.ZERO);
  }

  private VmmLiveness livenessOf(String vmId) {
    VmmLiveness liveness = livenessByVmId.apply(vmId);
    return liveness == null ? VmmLiveness.UNKNOWN : liveness;
  }

  /** Heartbeats with the current stage inside an activity; a no-op elsewhere (tests, the CLI). */
  private static ProbeListener heartbeats() {
    Optional<ActivityExecutionContext> current = CurrentActivity.context();
    if (current.isEmpty()) {
      return ProbeListener.NONE;
    }
    ActivityExecutionContext context = current.get();
    return new ProbeListener() {
      @Override
      public void stageStarted(ReadinessStage stage) {
        context.heartbeat(Map.of("stage", stage.label()));
      }

      @Override
      public void stillWaiting(ReadinessStage stage, Duration elapsed, String lastCause) {
        context.heartbeat(
            Map.of(
                "stage",
                stage.label(),
                "waitingMillis",
                elapsed.toMillis(),
                "lastCause",
                lastCause == null ? "" : lastCause));
      }
    };
  }
}
