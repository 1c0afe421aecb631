package dev.kindling.workflows.hosts;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.Failures;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.Validation;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInit;
import java.time.Duration;
import org.slf4j.Logger;

/**
 * Keeps one host's record. It holds no history worth keeping: every few thousand events it
 * continues as new with the record alone.
 */
public class HostWorkflowImpl implements HostWorkflow {
  private static final Logger log = Workflow.getLogger(HostWorkflowImpl.class);

  /** The version marker of ending a silent host's READY sessions. */
  static final String HOST_LOSS = "host-loss";

  static final Duration CHECK_AT_MOST_EVERY = Duration.ofSeconds(15);

  /** Telling sessions lists and signals through the server; retried while the server is busy. */
  private final HostLossActivities loss =
      Workflow.newActivityStub(
          HostLossActivities.class,
          ActivityOptions.newBuilder()
              .setTaskQueue(TaskQueues.SHARED)
              .setStartToCloseTimeout(Duration.ofSeconds(60))
              .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(5).build())
              .build());

  private final String hostId;
  private HostReport report;
  private long reportedAtMillis;
  private long reports;
  private String drainReason;
  private long lostAtMillis;

  /** The record the run starts from, before any signal is handled. */
  @WorkflowInit
  public HostWorkflowImpl(HostRecord record) {
    hostId = record == null ? null : record.hostId();
    if (record != null) {
      report = record.report();
      reportedAtMillis = record.reportedAtMillis();
      reports = record.reports();
      drainReason = record.drainReason();
      lostAtMillis = record.lostAtMillis();
    }
  }

  @Override
  public void run(HostRecord record) {
    try {
      Validation.hostId(hostId);
    } catch (InvalidInputException | NullPointerException e) {
      throw FailureKind.INVALID_INPUT.failure("host record: " + e.getMessage());
    }
    if (Workflow.getVersion(HOST_LOSS, Workflow.DEFAULT_VERSION, 1) == Workflow.DEFAULT_VERSION) {
      Workflow.await(this::mayContinueAsNew);
    } else {
      while (!mayContinueAsNew()) {
        if (report == null || lostAtMillis > 0) {
          long seen = reports;
          Workflow.await(() -> reports != seen || mayContinueAsNew());
        } else if (Workflow.currentTimeMillis() - reportedAtMillis > lostAfter().toMillis()) {
          lose();
        } else {
          Workflow.await(checkEvery(), this::mayContinueAsNew);
        }
      }
    }
    Workflow.continueAsNew(describe());
  }

  private boolean mayContinueAsNew() {
    return Workflow.getInfo().isContinueAsNewSuggested() && Workflow.isEveryHandlerFinished();
  }

  private Duration lostAfter() {
    return Duration.ofSeconds(report.lostAfterSeconds());
  }

  /** A quarter of the loss time, at most 15 s: a loss is noticed at most that late. */
  private Duration checkEvery() {
    Duration quarter = lostAfter().dividedBy(4);
    return quarter.compareTo(CHECK_AT_MOST_EVERY) > 0 ? CHECK_AT_MOST_EVERY : quarter;
  }

  private void lose() {
    lostAtMillis = Workflow.currentTimeMillis();
    String reason =
        "host "
            + hostId
            + " has not reported for "
            + (lostAtMillis - reportedAtMillis) / 1000
            + " s (host.lostAfterSeconds="
            + report.lostAfterSeconds()
            + ")";
    log.warn("Host {} lost: {}", hostId, reason);
    details();
    try {
      int told = loss.hostLost(hostId, reason);
      log.info("Host {}: {} session(s) told of the loss", hostId, told);
    } catch (RuntimeException e) {
      if (Failures.isCancellation(e)) {
        throw e;
      }
      log.warn("Host {}: its sessions could not be told of the loss: {}", hostId, e.toString());
    }
  }

  @Override
  public void report(HostReport value) {
    if (value == null || !hostId.equals(value.hostId())) {
      log.warn("Host {} ignores a report of {}", hostId, value == null ? null : value.hostId());
      return;
    }
    if (lostAtMillis > 0) {
      log.info("Host {} reports again after it was lost", hostId);
      lostAtMillis = 0;
    }
    report = value;
    reportedAtMillis = Workflow.currentTimeMillis();
    reports++;
    details();
  }

  @Override
  public void drain(String reason) {
    drainReason = reason == null || reason.isBlank() ? "drained" : reason;
    log.info("Host {} drained: {}", hostId, drainReason);
    details();
  }

  @Override
  public void undrain() {
    drainReason = null;
    log.info("Host {} takes sessions again", hostId);
    details();
  }

  /** Markdown for the Temporal web UI's "current details". */
  private void details() {
    StringBuilder md = new StringBuilder("**host** `").append(hostId).append('`');
    md.append(drainReason == null ? ": takes sessions" : ": **drained** (" + drainReason + ")");
    if (lostAtMillis > 0) {
      md.append("; **lost**: no report since its sessions were ended");
    }
    if (report != null) {
      HostCapacity capacity = report.capacity();
      md.append("\n\n")
          .append(report.runningVms())
          .append(" VM(s) running of ")
          .append(capacity.vmSlots())
          .append(" slots; ")
          .append(capacity.vcpus())
          .append(" CPUs, ")
          .append(capacity.memoryMib())
          .append(" MiB\n");
      report
          .images()
          .forEach(
              (template, image) ->
                  md.append("\n- `")
                      .append(template)
                      .append("`: image `")
                      .append(image.imageId(), 0, Math.min(12, image.imageId().length()))
                      .append('`')
                      .append(image.hasSnapshot() ? " with a snapshot" : "")
                      .append('\n'));
    }
    Workflow.setCurrentDetails(md.toString());
  }

  @Override
  public HostRecord describe() {
    return new HostRecord(hostId, report, reportedAtMillis, reports, drainReason, lostAtMillis);
  }
}
