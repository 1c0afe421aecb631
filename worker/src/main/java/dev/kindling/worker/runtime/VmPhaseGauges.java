package dev.kindling.worker.runtime;

import dev.kindling.workflows.KindlingSearchAttributes;
import dev.kindling.workflows.vm.BrowserVmWorkflow;
import dev.kindling.workflows.vm.Phase;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.temporal.api.workflowservice.v1.CountWorkflowExecutionsRequest;
import io.temporal.client.WorkflowClient;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kindling_vms{phase}}: running browser VM workflows on this host by phase, counted by the
 * server's visibility. PLACING VMs have no host yet, so that phase counts them cluster-wide.
 */
final class VmPhaseGauges implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(VmPhaseGauges.class);

  /** Visibility lags by a second or so anyway; counting more often only loads the server. */
  static final Duration EVERY = Duration.ofSeconds(15);

  private final MeterRegistry registry;
  private final WorkflowClient client;
  private final String hostId;
  // Micrometer holds gauge state weakly: these references keep the gauges alive.
  private final Map<Phase, AtomicLong> counts = new EnumMap<>(Phase.class);
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("kindling-vm-phase-gauges").daemon().factory());

  VmPhaseGauges(MeterRegistry registry, WorkflowClient client, String hostId) {
    this.registry = registry;
    this.client = client;
    this.hostId = hostId;
  }

  void start() {
    scheduler.scheduleWithFixedDelay(
        this::refreshQuietly, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Counts every phase and sets its gauge. A phase's gauge appears with its first count, so a
   * server that cannot count (the embedded test server) shows no gauge rather than a false zero.
   */
  void refresh() {
    for (Phase phase : Phase.values()) {
      long count =
          client
              .getWorkflowServiceStubs()
              .blockingStub()
              .countWorkflowExecutions(
                  CountWorkflowExecutionsRequest.newBuilder()
                      .setNamespace(client.getOptions().getNamespace())
                      .setQuery(query(phase, hostId))
                      .build())
              .getCount();
      gauge(phase).set(count);
    }
  }

  static String query(Phase phase, String hostId) {
    String query =
        "WorkflowType = '"
            + BrowserVmWorkflow.WORKFLOW_TYPE
            + "' AND ExecutionStatus = 'Running'"
            + " AND "
            + KindlingSearchAttributes.PHASE.getName()
            + " = '"
            + phase.name()
            + "'";
    return phase == Phase.PLACING
        ? query
        : query + " AND " + KindlingSearchAttributes.HOST.getName() + " = '" + hostId + "'";
  }

  private synchronized AtomicLong gauge(Phase phase) {
    return counts.computeIfAbsent(
        phase,
        p -> {
          AtomicLong count = new AtomicLong();
          Gauge.builder("kindling.vms", count, AtomicLong::get)
              .description(
                  "Running browser VMs by phase (PLACING: not yet on a host, counted cluster-wide).")
              .tag("phase", p.name())
              .register(registry);
          return count;
        });
  }

  private void refreshQuietly() {
    try {
      refresh();
    } catch (RuntimeException e) {
      log.debug("counting VMs by phase failed; kindling_vms keeps its last values", e);
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
