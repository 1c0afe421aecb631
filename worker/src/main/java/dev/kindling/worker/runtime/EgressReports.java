package dev.kindling.worker.runtime;

import dev.kindling.activities.network.VmEgress;
import dev.kindling.workflows.egress.EgressReport;
import dev.kindling.workflows.vm.BrowserVmWorkflow;
import io.temporal.client.WorkflowClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells each session's workflow what its VM's egress did, so {@code describe} and the web UI show
 * it: every {@link #EVERY}, the reports that changed since they were last sent, one signal each.
 * Signals are history: at this pace a lease of the longest kind (24 h) takes at most 5,760, well
 * inside a run's signal limit, and only the first of a session carries its rules (up to 256).
 */
final class EgressReports implements AutoCloseable {
  static final Duration EVERY = Duration.ofSeconds(15);
  private static final Logger log = LoggerFactory.getLogger(EgressReports.class);

  private final VmEgress egress;
  private final WorkflowClient client;
  private final Map<String, EgressReport> sent = new HashMap<>();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("egress-reports").daemon().factory());

  private EgressReports(VmEgress egress, WorkflowClient client) {
    this.egress = egress;
    this.client = client;
  }

  static EgressReports start(VmEgress egress, WorkflowClient client) {
    EgressReports reports = new EgressReports(egress, client);
    reports.timer.scheduleWithFixedDelay(
        reports::sendChanged, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
    return reports;
  }

  private void sendChanged() {
    try {
      Map<String, EgressReport> current = egress.reportsBySession();
      sent.keySet().retainAll(current.keySet());
      current.forEach(
          (sessionId, report) -> {
            EgressReport last = sent.get(sessionId);
            if (!report.equals(last)) {
              boolean rulesKnown = last != null && last.rules().equals(report.rules());
              signal(sessionId, rulesKnown ? report.withRules(List.of()) : report);
              sent.put(sessionId, report);
            }
          });
    } catch (RuntimeException e) {
      log.warn("egress reports: {}", e.toString());
    }
  }

  private void signal(String sessionId, EgressReport report) {
    try {
      client
          .newUntypedWorkflowStub(BrowserVmWorkflow.workflowId(sessionId))
          .signal("egress", report);
    } catch (RuntimeException e) {
      // A session whose workflow has ended has nobody left to tell.
      log.debug("could not report egress to session {}: {}", sessionId, e.toString());
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
