package dev.kindling.workflows.hosts;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.Validation;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInit;
import org.slf4j.Logger;

/**
 * Keeps one host's record. It holds no history worth keeping: every few thousand events it
 * continues as new with the record alone.
 */
public class HostWorkflowImpl implements HostWorkflow {
  private static final Logger log = Workflow.getLogger(HostWorkflowImpl.class);

  private final String hostId;
  private HostReport report;
  private long reportedAtMillis;
  private long reports;
  private String drainReason;

  /** The record the run starts from, before any signal is handled. */
  @WorkflowInit
  public HostWorkflowImpl(HostRecord record) {
    hostId = record == null ? null : record.hostId();
    if (record != null) {
      report = record.report();
      reportedAtMillis = record.reportedAtMillis();
      reports = record.reports();
      drainReason = record.drainReason();
    }
  }

  @Override
  public void run(HostRecord record) {
    try {
      Validation.hostId(hostId);
    } catch (InvalidInputException | NullPointerException e) {
      throw FailureKind.INVALID_INPUT.failure("host record: " + e.getMessage());
    }
    Workflow.await(
        () -> Workflow.getInfo().isContinueAsNewSuggested() && Workflow.isEveryHandlerFinished());
    Workflow.continueAsNew(describe());
  }

  @Override
  public void report(HostReport value) {
    if (value == null || !hostId.equals(value.hostId())) {
      log.warn("Host {} ignores a report of {}", hostId, value == null ? null : value.hostId());
      return;
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
    return new HostRecord(hostId, report, reportedAtMillis, reports, drainReason);
  }
}
