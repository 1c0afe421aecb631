package dev.kindling.workflows.client;

import dev.kindling.workflows.KindlingSearchAttributes;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.cleanup.CleanupWorkflow;
import dev.kindling.workflows.vm.BrowserVmWorkflow;
import dev.kindling.workflows.vm.Endpoint;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import com.google.protobuf.ByteString;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.filter.v1.WorkflowTypeFilter;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.ListOpenWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListOpenWorkflowExecutionsResponse;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowExecutionDescription;
import io.temporal.client.WorkflowExecutionMetadata;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.schedules.Schedule;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleAlreadyRunningException;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleClientOptions;
import io.temporal.client.schedules.ScheduleIntervalSpec;
import io.temporal.client.schedules.ScheduleOptions;
import io.temporal.client.schedules.ScheduleSpec;
import io.temporal.common.SearchAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Browser VMs for a Java backend. Every method takes the session id; the workflow id is {@code
 * browser-vm-<sessionId>} and starts are idempotent: while a session's VM workflow runs, starting
 * it again returns that run.
 */
public final class KindlingClient {
  /** How often {@link #awaitReady} reads the workflow's phase from the server. */
  public static final Duration READY_POLL_INTERVAL = Duration.ofMillis(20);
  /** Phases after which a VM that is not READY will not become ready. */
  private static final Set<String> SETTLED_PHASES =
      Set.of(Phase.READY.name(), Phase.FAILED.name(), Phase.RELEASING.name(), Phase.RELEASED.name());

  private static final Logger log = LoggerFactory.getLogger(KindlingClient.class);
  private static final String VM_QUERY =
      "WorkflowType = '" + BrowserVmWorkflow.WORKFLOW_TYPE + "' AND ExecutionStatus = 'Running'";

  private final WorkflowClient client;

  public KindlingClient(WorkflowClient client) {
    this.client = client;
  }

  /**
   * Options that make a start idempotent: an id conflict with a running workflow returns the
   * running one; a finished session may start again (a new VM).
   */
  public static WorkflowOptions vmWorkflowOptions(String sessionId) {
    return WorkflowOptions.newBuilder()
        .setWorkflowId(BrowserVmWorkflow.workflowId(Validation.sessionId(sessionId)))
        .setTaskQueue(TaskQueues.SHARED)
        .setWorkflowIdConflictPolicy(WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)
        .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
        .setTypedSearchAttributes(
            SearchAttributes.newBuilder()
                .set(KindlingSearchAttributes.SESSION, sessionId)
                .set(KindlingSearchAttributes.PHASE, Phase.PLACING.name())
                .build())
        .setMemo(Map.of("sessionId", sessionId))
        .build();
  }

  /** Starts the session's VM, or returns the run already serving it. */
  public WorkflowExecution startVm(VmRequest request) {
    BrowserVmWorkflow stub = client.newWorkflowStub(BrowserVmWorkflow.class, vmWorkflowOptions(request.sessionId()));
    WorkflowExecution execution = WorkflowClient.start(stub::run, request);
    log.debug("Session {} runs as {}", request.sessionId(), execution.getRunId());
    return execution;
  }

  /** The session's VM as its workflow describes it (also after it ended). */
  public VmDescription describe(String sessionId) {
    return vm(sessionId).describe();
  }

  /**
   * Waits until the session's VM is READY and returns where its websockify is.
   *
   * <p>While it waits it reads the phase the workflow upserts as a search attribute, which the
   * server answers on its own; only the final description is a query, which the worker answers.
   * Polling by query would keep the worker busy (and, on the embedded server, add workflow tasks)
   * while it provisions.
   *
   * @throws VmFailedException when it failed or its lease ended before it became ready
   * @throws TimeoutException when it is still provisioning after {@code timeout}
   */
  public Endpoint awaitReady(String sessionId, Duration timeout) throws TimeoutException, InterruptedException {
    WorkflowStub execution = workflowStub(sessionId);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      WorkflowExecutionDescription described = execution.describe();
      String phase = described.getTypedSearchAttributes().get(KindlingSearchAttributes.PHASE);
      boolean running = described.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
      if (!running || SETTLED_PHASES.contains(phase)) {
        VmDescription description = describe(sessionId);
        if (description == null) {
          throw new IllegalStateException("the workflow of session " + sessionId + " is " + described.getStatus()
              + " and never described its VM");
        }
        if (description.phase() == Phase.READY && running) {
          return description.endpoint();
        }
        throw new VmFailedException(description);
      }
      if (System.nanoTime() >= deadline) {
        throw new TimeoutException("session " + sessionId + " not ready after " + timeout + " (phase " + phase + ")");
      }
      Thread.sleep(READY_POLL_INTERVAL);
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
    return client.newUntypedWorkflowStub(BrowserVmWorkflow.workflowId(sessionId)).getResult(VmDescription.class);
  }

  /**
   * Running browser VM workflows, from visibility. Servers without advanced visibility (the
   * embedded test server) answer the older open-executions listing instead.
   */
  public List<VmSummary> list() {
    try {
      return client.listExecutions(VM_QUERY).map(KindlingClient::summary).toList();
    } catch (StatusRuntimeException e) {
      if (!unimplemented(e)) {
        throw e;
      }
      return listOpen();
    }
  }

  private List<VmSummary> listOpen() {
    List<VmSummary> result = new ArrayList<>();
    ByteString page = ByteString.EMPTY;
    do {
      ListOpenWorkflowExecutionsResponse response =
          client
              .getWorkflowServiceStubs()
              .blockingStub()
              .listOpenWorkflowExecutions(
                  ListOpenWorkflowExecutionsRequest.newBuilder()
                      .setNamespace(client.getOptions().getNamespace())
                      .setTypeFilter(WorkflowTypeFilter.newBuilder().setName(BrowserVmWorkflow.WORKFLOW_TYPE))
                      .setNextPageToken(page)
                      .build());
      for (WorkflowExecutionInfo info : response.getExecutionsList()) {
        result.add(withDescription(summary(new WorkflowExecutionMetadata(info, client.getOptions().getDataConverter()))));
      }
      page = response.getNextPageToken();
    } while (!page.isEmpty());
    return result;
  }

  /**
   * Makes sure the cleanup workflow runs every {@code every}: as a Temporal Schedule when the
   * server has Schedules, else as a cron workflow (whose period is rounded to whole minutes).
   */
  public CleanupTrigger ensureCleanup(Duration every) {
    WorkflowOptions cleanupOptions =
        WorkflowOptions.newBuilder()
            .setWorkflowId(CleanupWorkflow.WORKFLOW_ID)
            .setTaskQueue(TaskQueues.SHARED)
            .build();
    try {
      ScheduleClient schedules =
          ScheduleClient.newInstance(
              client.getWorkflowServiceStubs(),
              ScheduleClientOptions.newBuilder().setNamespace(client.getOptions().getNamespace()).build());
      Schedule schedule =
          Schedule.newBuilder()
              .setAction(
                  ScheduleActionStartWorkflow.newBuilder()
                      .setWorkflowType(CleanupWorkflow.class)
                      .setOptions(cleanupOptions)
                      .build())
              .setSpec(ScheduleSpec.newBuilder().setIntervals(List.of(new ScheduleIntervalSpec(every))).build())
              .build();
      schedules.createSchedule(CleanupWorkflow.WORKFLOW_ID, schedule, ScheduleOptions.newBuilder().build());
      log.info("Cleanup scheduled every {}", every);
      return CleanupTrigger.SCHEDULE;
    } catch (ScheduleAlreadyRunningException e) {
      return CleanupTrigger.SCHEDULE;
    } catch (RuntimeException e) {
      if (!unimplemented(e)) {
        throw e;
      }
      log.info("The server has no Schedules; running cleanup as a cron workflow");
    }
    CleanupWorkflow cron =
        client.newWorkflowStub(
            CleanupWorkflow.class, WorkflowOptions.newBuilder(cleanupOptions).setCronSchedule(cronFor(every)).build());
    try {
      WorkflowClient.start(cron::run);
    } catch (WorkflowExecutionAlreadyStarted alreadyRunning) {
      log.debug("Cleanup cron workflow already runs");
    }
    return CleanupTrigger.CRON;
  }

  /** A cron expression firing every {@code every}, rounded to whole minutes (at least one). */
  static String cronFor(Duration every) {
    long minutes = Math.max(1, every.toMinutes());
    if (minutes < 60) {
      return "*/" + minutes + " * * * *";
    }
    long hours = Math.min(23, minutes / 60);
    return "0 */" + hours + " * * *";
  }

  /** True when the server answered UNIMPLEMENTED, directly or wrapped by the SDK. */
  private static boolean unimplemented(RuntimeException e) {
    Throwable status = e instanceof StatusRuntimeException ? e : e.getCause();
    return status instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.UNIMPLEMENTED;
  }

  private BrowserVmWorkflow vm(String sessionId) {
    return client.newWorkflowStub(BrowserVmWorkflow.class, BrowserVmWorkflow.workflowId(Validation.sessionId(sessionId)));
  }

  /**
   * The older listing does not carry upserted search attributes everywhere (the embedded server
   * keeps only those set at start), so ask the workflow itself.
   */
  private VmSummary withDescription(VmSummary listed) {
    try {
      VmDescription description = describe(listed.sessionId());
      if (description == null) {
        return listed;
      }
      return new VmSummary(
          listed.sessionId(),
          listed.workflowId(),
          listed.runId(),
          listed.status(),
          description.hostId(),
          description.imageId(),
          description.template(),
          description.phase() == null ? null : description.phase().name(),
          listed.startedAt());
    } catch (RuntimeException e) {
      log.debug("Could not describe session {}: {}", listed.sessionId(), e.toString());
      return listed;
    }
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
    return client.newUntypedWorkflowStub(BrowserVmWorkflow.workflowId(Validation.sessionId(sessionId)));
  }
}
