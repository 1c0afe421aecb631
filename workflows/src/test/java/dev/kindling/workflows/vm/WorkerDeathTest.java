package dev.kindling.workflows.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;

import dev.kindling.workflows.Fixtures;
import dev.kindling.workflows.TestCluster;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.host.BootRequest;
import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.ReadinessRequest;
import dev.kindling.workflows.host.VmHandle;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityInfo;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mockito.stubbing.Answer;

/**
 * A worker that dies during bootVm or awaitReady: its attempt neither completes nor heartbeats. The
 * heartbeat timeout notices, and the step is retried with the same request: the host's bootVm is
 * idempotent (it adopts or replaces the VMM the dead attempt started), and a second readiness
 * attempt probes for what is left of the first one's deadline.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WorkerDeathTest {
  private final TestCluster cluster = TestCluster.withHosts("h1");
  private final CountDownLatch deadWorker = new CountDownLatch(1);
  private final CompletableFuture<Failure> retryCause = new CompletableFuture<>();

  @AfterEach
  void stopCluster() {
    deadWorker.countDown();
    cluster.close();
  }

  @Test
  void aBootWhoseWorkerStopsHeartbeatingIsRetriedWithTheSameRequestAfterTheHeartbeatTimeout()
      throws Exception {
    Fixtures.healthyHost(cluster, "h1", Fixtures.COLD_IMAGE);
    List<BootRequest> attempts = new CopyOnWriteArrayList<>();
    doAnswer(
            firstAttemptDies(
                attempts,
                (BootRequest boot) ->
                    new VmHandle(
                        boot.vmId(),
                        "qemu",
                        "tcg",
                        4242,
                        "/run/kindling/vms/" + boot.vmId(),
                        "serial.log",
                        boot.mode(),
                        1L,
                        180)))
        .when(cluster.host("h1").vmm())
        .bootVm(any());

    // Within the 2-minute start-to-close the first attempt would still hold the boot; the heartbeat
    // timeout frees it.
    runToReadyAndRelease("s-dead-worker");

    assertRetriedOnceWithTheSameRequest(attempts);
  }

  @Test
  void aReadinessProbeWhoseWorkerStopsHeartbeatingIsRetriedWithTheSameRequest() throws Exception {
    Fixtures.healthyHost(cluster, "h1", Fixtures.COLD_IMAGE);
    List<ReadinessRequest> attempts = new CopyOnWriteArrayList<>();
    doAnswer(
            firstAttemptDies(
                attempts,
                (ReadinessRequest probe) ->
                    new ReadinessReport(List.of(), 1, 1024, 768, "kindling", null)))
        .when(cluster.host("h1").readiness())
        .awaitReady(any());

    // With one attempt only, the dead probe would fail the VM as HostUnavailable.
    runToReadyAndRelease("s-dead-probe");

    assertRetriedOnceWithTheSameRequest(attempts);
  }

  /**
   * An activity whose first attempt runs on a dead worker (no result, no heartbeat, until the test
   * ends) and whose retry answers {@code result}, after noting why the server retried it.
   */
  private <T, R> Answer<R> firstAttemptDies(List<T> attempts, Function<T, R> result) {
    return call -> {
      T request = call.getArgument(0);
      attempts.add(request);
      if (attempts.size() == 1) {
        deadWorker.await();
        throw new IllegalStateException("the first attempt's worker was dead");
      }
      retryCause.complete(pendingActivityFailure(Activity.getExecutionContext().getInfo()));
      return result.apply(request);
    };
  }

  private void runToReadyAndRelease(String sessionId) throws Exception {
    cluster.start();
    KindlingClient kindling = new KindlingClient(cluster.client);
    kindling.startVm(VmRequest.forSession(sessionId));
    kindling.awaitReady(sessionId, Duration.ofSeconds(45));
    kindling.release(sessionId);
    kindling.awaitEnd(sessionId);
  }

  private void assertRetriedOnceWithTheSameRequest(List<?> attempts) {
    assertEquals(2, attempts.size(), "one retry after the dead attempt");
    assertEquals(attempts.get(0), attempts.get(1), "the retry carries the same request");
    Failure cause = retryCause.getNow(null);
    assertEquals(
        TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
        cause.getTimeoutFailureInfo().getTimeoutType(),
        "retried because the heartbeats stopped: " + cause);
  }

  /**
   * Why the server retried the running activity: the last failure of the pending activity, as the
   * server describes it.
   */
  private Failure pendingActivityFailure(ActivityInfo info) {
    DescribeWorkflowExecutionResponse description =
        cluster
            .client
            .getWorkflowServiceStubs()
            .blockingStub()
            .describeWorkflowExecution(
                DescribeWorkflowExecutionRequest.newBuilder()
                    .setNamespace(info.getNamespace())
                    .setExecution(
                        WorkflowExecution.newBuilder()
                            .setWorkflowId(info.getWorkflowId())
                            .setRunId(info.getWorkflowRunId()))
                    .build());
    PendingActivityInfo pending =
        description.getPendingActivitiesList().stream()
            .filter(a -> a.getActivityId().equals(info.getActivityId()))
            .findFirst()
            .orElseThrow();
    assertEquals(2, pending.getAttempt(), "the second attempt");
    return pending.getLastFailure();
  }
}
