package dev.kindling.workflows.client;

import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.KindlingSearchAttributes;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.cleanup.CleanupWorkflow;
import dev.kindling.workflows.hosts.HostRecord;
import dev.kindling.workflows.hosts.HostReport;
import dev.kindling.workflows.hosts.HostWorkflow;
import dev.kindling.workflows.pool.PoolState;
import dev.kindling.workflows.pool.PoolWorkflow;
import dev.kindling.workflows.vm.BrowserVmWorkflow;
import dev.kindling.workflows.vm.Endpoint;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import io.grpc.Context;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.BatchRequest;
import io.temporal.client.UpdateOptions;
import io.temporal.client.WithStartWorkflowOperation;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowException;
import io.temporal.client.WorkflowExecutionMetadata;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateHandle;
import io.temporal.client.WorkflowUpdateStage;
import io.temporal.client.WorkflowUpdateTimeoutOrCancelledException;
import io.temporal.client.schedules.Schedule;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleAlreadyRunningException;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleClientOptions;
import io.temporal.client.schedules.ScheduleIntervalSpec;
import io.temporal.client.schedules.ScheduleOptions;
import io.temporal.client.schedules.ScheduleSpec;
import io.temporal.common.SearchAttributes;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Browser VMs for a Java backend. Every method takes the session id; the workflow id is {@code
 * browser-vm-<sessionId>} and starts are idempotent: while a session's VM workflow runs, starting
 * it again returns that run. The {@link WorkflowClient} should read payloads with {@link
 * dev.kindling.workflows.StrictDataConverter} like Kindling's workers do.
 */
public final class KindlingClient {
  private static final Logger log = LoggerFactory.getLogger(KindlingClient.class);

  /** Fires the gRPC deadlines that bound waiting calls. */
  private static final ScheduledExecutorService DEADLINES =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("kindling-client-deadlines").daemon().factory());

  private static final String VM_QUERY =
      "WorkflowType = '" + BrowserVmWorkflow.WORKFLOW_TYPE + "' AND ExecutionStatus = 'Running'";

  private final WorkflowClient client;

  public KindlingClient(WorkflowClient client) {
    this.client = client;
  }

  /**
   * Options that make a start idempotent: an id conflict with a running workflow returns the
   * running one; a finished session may start again (a new VM). The summary is what the Temporal
   * web UI lists the workflow by.
   */
  public static WorkflowOptions vmWorkflowOptions(VmRequest request) {
    String sessionId = Validation.sessionId(request.sessionId());
    return WorkflowOptions.newBuilder()
        .setWorkflowId(BrowserVmWorkflow.workflowId(sessionId))
        .setTaskQueue(TaskQueues.SHARED)
        .setWorkflowIdConflictPolicy(
            WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)
        .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
        .setTypedSearchAttributes(
            SearchAttributes.newBuilder()
                .set(KindlingSearchAttributes.SESSION, sessionId)
                .set(KindlingSearchAttributes.PHASE, Phase.PLACING.name())
                .build())
        .setMemo(Map.of("sessionId", sessionId))
        .setStaticSummary(summary(request))
        .build();
  }

  /** "browser VM for session alice (template browser)". */
  static String summary(VmRequest request) {
    return "browser VM for session "
        + request.sessionId()
        + (request.template() == null ? "" : " (template " + request.template() + ")");
  }

  /** Starts the session's VM, or returns the run already serving it. */
  public WorkflowExecution startVm(VmRequest request) {
    BrowserVmWorkflow stub =
        client.newWorkflowStub(BrowserVmWorkflow.class, vmWorkflowOptions(request));
    WorkflowExecution execution = WorkflowClient.start(stub::run, request);
    log.debug("Session {} runs as {}", request.sessionId(), execution.getRunId());
    return execution;
  }

  /**
   * Starts the session's VM (or joins the run already serving it) and waits until it is READY, in
   * one call to the server (update-with-start); returns its description.
   *
   * @throws VmFailedException when it failed or its lease ended before it became ready
   * @throws TimeoutException when it is still provisioning after {@code timeout}
   */
  public VmDescription createVm(VmRequest request, Duration timeout) throws TimeoutException {
    BrowserVmWorkflow stub =
        client.newWorkflowStub(BrowserVmWorkflow.class, vmWorkflowOptions(request));
    WithStartWorkflowOperation<VmDescription> start =
        new WithStartWorkflowOperation<>(stub::run, request);
    return ready(
        request.sessionId(),
        timeout,
        () -> WorkflowClient.startUpdateWithStart(stub::awaitReady, awaitReadyOptions(), start));
  }

  /**
   * Waits until the session's VM is READY and returns where its websockify is. A VM that has
   * settled is answered from {@code describe}; otherwise the workflow answers once, when the VM is
   * ready or will not be (a workflow update): no polling.
   *
   * @throws VmFailedException when it failed or its lease ended before it became ready
   * @throws TimeoutException when it is still provisioning after {@code timeout}
   */
  public Endpoint awaitReady(String sessionId, Duration timeout) throws TimeoutException {
    VmDescription now = vm(sessionId).describe();
    if (now != null && now.phase().settled()) {
      return readyOrThrow(now).endpoint();
    }
    WorkflowStub stub = workflowStub(sessionId);
    return ready(sessionId, timeout, () -> stub.startUpdate(awaitReadyOptions())).endpoint();
  }

  private static UpdateOptions<VmDescription> awaitReadyOptions() {
    return UpdateOptions.newBuilder(VmDescription.class)
        .setUpdateName(BrowserVmWorkflow.AWAIT_READY)
        .setWaitForStage(WorkflowUpdateStage.ACCEPTED)
        .build();
  }

  /**
   * Sends the update and waits for its answer, both within {@code timeout} (a gRPC deadline bounds
   * the SDK's own retries while no worker accepts the update).
   */
  private VmDescription ready(
      String sessionId, Duration timeout, Supplier<WorkflowUpdateHandle<VmDescription>> update)
      throws TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    VmDescription description;
    try (Context.CancellableContext bounded =
        Context.current().withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS, DEADLINES)) {
      description =
          bounded.call(
              () ->
                  update
                      .get()
                      .getResult(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
    } catch (Exception e) {
      if (causedBy(e, WorkflowUpdateTimeoutOrCancelledException.class)
          || System.nanoTime() >= deadline) {
        throw new TimeoutException("session " + sessionId + " not ready after " + timeout);
      }
      if (!(e instanceof WorkflowException workflowProblem)) {
        throw e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e);
      }
      if (running(sessionId)) {
        // Not an answer about the VM: no worker took the update, the server refused it, or a limit
        // was reached.
        throw workflowProblem;
      }
      // The workflow ended before it could answer (its input was unreadable, or it failed or was
      // released meanwhile).
      description = ended(sessionId);
    }
    return readyOrThrow(description);
  }

  private static VmDescription readyOrThrow(VmDescription description) {
    if (description.phase() != Phase.READY) {
      throw new VmFailedException(description);
    }
    return description;
  }

  private boolean running(String sessionId) {
    return workflowStub(sessionId).describe().getStatus()
        == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /**
   * How an ended workflow left its VM: its last description, or its failure when it never described
   * one.
   */
  private VmDescription ended(String sessionId) {
    try {
      VmDescription end = awaitEnd(sessionId);
      if (end == null) {
        throw new IllegalStateException(
            "the workflow of session " + sessionId + " ended without describing its VM");
      }
      return end;
    } catch (WorkflowFailedException e) {
      VmDescription last = vm(sessionId).describe();
      return last != null ? last : failedBeforeStart(sessionId, e);
    }
  }

  private static VmDescription failedBeforeStart(String sessionId, WorkflowFailedException e) {
    if (e.getCause() instanceof ApplicationFailure failure) {
      return VmDescription.failedBeforeStart(
          sessionId, failure.getType(), failure.getOriginalMessage());
    }
    return VmDescription.failedBeforeStart(
        sessionId,
        e.getCause() == null ? "Unknown" : e.getCause().getClass().getSimpleName(),
        e.getMessage());
  }

  /**
   * The session's VM as its workflow describes it (also after it ended); a workflow whose input
   * could not be read never described a VM, and is described by its failure.
   */
  public VmDescription describe(String sessionId) {
    VmDescription described = vm(sessionId).describe();
    if (described != null) {
      return described;
    }
    try {
      WorkflowStub stub = workflowStub(sessionId);
      if (stub.describe().getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED) {
        stub.getResult(VmDescription.class);
      }
      return null;
    } catch (WorkflowFailedException e) {
      return failedBeforeStart(sessionId, e);
    }
  }

  /** Ends the lease now; the workflow tears the VM down. */
  public void release(String sessionId) {
    vm(sessionId).release();
  }

  /**
   * Moves the lease's expiry to {@code by} from now (never earlier) and restarts the idle timer.
   * Rejected (WorkflowUpdateException) unless the VM is READY and {@code by} is positive and at
   * most 24 hours.
   */
  public long extend(String sessionId, Duration by) {
    return vm(sessionId).extend(by.toSeconds());
  }

  /** Waits for the session's workflow to end and returns its final description. */
  public VmDescription awaitEnd(String sessionId) {
    return client
        .newUntypedWorkflowStub(BrowserVmWorkflow.workflowId(sessionId))
        .getResult(VmDescription.class);
  }

  /** Running browser VM workflows, from visibility. */
  public List<VmSummary> list() {
    return client.listExecutions(VM_QUERY).map(KindlingClient::summary).toList();
  }

  /** Running browser VM workflows placed on {@code hostId}, from visibility. */
  public List<VmSummary> list(String hostId) {
    return client
        .listExecutions(
            VM_QUERY
                + " AND "
                + KindlingSearchAttributes.HOST.getName()
                + " = '"
                + Validation.hostId(hostId)
                + "'")
        .map(KindlingClient::summary)
        .toList();
  }

  /** Every host's record, as the hosts' workers last reported them. */
  public List<HostRecord> hosts() {
    return running(HostWorkflow.WORKFLOW_TYPE, id -> workflow(HostWorkflow.class, id).describe())
        .stream()
        .sorted(java.util.Comparator.comparing(HostRecord::hostId))
        .toList();
  }

  /** What a host's worker does every few seconds: signal-with-starts the host's record with it. */
  public void reportHost(HostReport report) {
    HostWorkflow record =
        client.newWorkflowStub(
            HostWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(HostWorkflow.workflowId(Validation.hostId(report.hostId())))
                .setTaskQueue(TaskQueues.SHARED)
                .build());
    BatchRequest request = client.newSignalWithStartRequest();
    request.add(record::run, HostRecord.first(report.hostId()));
    request.add(record::report, report);
    client.signalWithStart(request);
  }

  /**
   * Takes {@code hostId} out of placement: no new sessions; its running ones continue to their
   * lease end.
   *
   * @throws InvalidInputException when the host id is malformed or no such host has reported
   */
  public void drain(String hostId, String reason) {
    if (reason != null
        && (reason.length() > 200 || reason.chars().anyMatch(Character::isISOControl))) {
      throw new InvalidInputException(
          "reason", "at most 200 characters without control characters");
    }
    hostRecord(hostId).drain(reason);
  }

  /** Lets {@code hostId} take new sessions again. */
  public void undrain(String hostId) {
    hostRecord(hostId).undrain();
  }

  private HostWorkflow hostRecord(String hostId) {
    String id = Validation.hostId(hostId);
    HostWorkflow record = client.newWorkflowStub(HostWorkflow.class, HostWorkflow.workflowId(id));
    try {
      record.describe();
    } catch (io.temporal.client.WorkflowNotFoundException e) {
      throw new InvalidInputException("hostId", "no host " + id + " has reported to this Temporal");
    }
    return record;
  }

  /** The running warm pools (every host's and template's), as each reports itself. */
  public List<PoolState> pools() {
    return running(PoolWorkflow.WORKFLOW_TYPE, id -> workflow(PoolWorkflow.class, id).describe());
  }

  /** What {@code describe} answers for each running workflow of {@code type}, from visibility. */
  private <T> List<T> running(String type, java.util.function.Function<String, T> describe) {
    return client
        .listExecutions("WorkflowType = '" + type + "' AND ExecutionStatus = 'Running'")
        .map(execution -> describe.apply(execution.getExecution().getWorkflowId()))
        .filter(java.util.Objects::nonNull)
        .toList();
  }

  private <T> T workflow(Class<T> type, String workflowId) {
    return client.newWorkflowStub(type, workflowId);
  }

  /**
   * Makes sure the Temporal Schedule {@value CleanupWorkflow#WORKFLOW_ID} starts the cleanup
   * workflow every {@code every}; an existing schedule is left as it is.
   */
  public void ensureCleanup(Duration every) {
    Schedule schedule =
        Schedule.newBuilder()
            .setAction(
                ScheduleActionStartWorkflow.newBuilder()
                    .setWorkflowType(CleanupWorkflow.class)
                    .setOptions(
                        WorkflowOptions.newBuilder()
                            .setWorkflowId(CleanupWorkflow.WORKFLOW_ID)
                            .setTaskQueue(TaskQueues.SHARED)
                            .build())
                    .build())
            .setSpec(
                ScheduleSpec.newBuilder()
                    .setIntervals(List.of(new ScheduleIntervalSpec(every)))
                    .build())
            .build();
    try {
      schedules()
          .createSchedule(
              CleanupWorkflow.WORKFLOW_ID,
              schedule,
              ScheduleOptions.newBuilder().setMemo(Map.of("every", every.toString())).build());
      log.info("Cleanup scheduled every {}", every);
    } catch (ScheduleAlreadyRunningException e) {
      log.debug("Cleanup schedule already exists");
    }
  }

  /**
   * Runs the cleanup schedule's action now (a restarted worker's host is reconciled at once); false
   * when there is no schedule yet.
   */
  public boolean triggerCleanup() {
    try {
      schedules().getHandle(CleanupWorkflow.WORKFLOW_ID).trigger();
      return true;
    } catch (io.temporal.client.schedules.ScheduleException e) {
      return false;
    } catch (io.grpc.StatusRuntimeException e) {
      if (e.getStatus().getCode() == io.grpc.Status.Code.NOT_FOUND) {
        return false;
      }
      throw e;
    }
  }

  private ScheduleClient schedules() {
    return ScheduleClient.newInstance(
        client.getWorkflowServiceStubs(),
        ScheduleClientOptions.newBuilder()
            .setNamespace(client.getOptions().getNamespace())
            .setDataConverter(client.getOptions().getDataConverter())
            .build());
  }

  private BrowserVmWorkflow vm(String sessionId) {
    return client.newWorkflowStub(
        BrowserVmWorkflow.class, BrowserVmWorkflow.workflowId(Validation.sessionId(sessionId)));
  }

  private static VmSummary summary(WorkflowExecutionMetadata metadata) {
    SearchAttributes attributes = metadata.getTypedSearchAttributes();
    String workflowId = metadata.getExecution().getWorkflowId();
    String sessionId = attributes.get(KindlingSearchAttributes.SESSION);
    return new VmSummary(
        sessionId != null ? sessionId : workflowId.replaceFirst("^browser-vm-", ""),
        workflowId,
        metadata.getExecution().getRunId(),
        metadata.getStatus().name().replaceFirst("^WORKFLOW_EXECUTION_STATUS_", ""),
        attributes.get(KindlingSearchAttributes.HOST),
        attributes.get(KindlingSearchAttributes.IMAGE),
        attributes.get(KindlingSearchAttributes.TEMPLATE),
        attributes.get(KindlingSearchAttributes.PHASE),
        metadata.getStartTime());
  }

  /** The untyped stub, for callers that want the raw Temporal handle. */
  public WorkflowStub workflowStub(String sessionId) {
    return client.newUntypedWorkflowStub(
        BrowserVmWorkflow.workflowId(Validation.sessionId(sessionId)));
  }
}
