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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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
  void aBootWhoseWorkerStopsHeartbeatingIsRetriedWithTheSameRequestAfterTheHeartbeatTimeout() throws Exception {
    Fixtures.healthyHost(cluster, "h1", Fixtures.COLD_IMAGE);
    List<BootRequest> attempts = new CopyOnWriteArrayList<>();
    doAnswer(call -> {
      BootRequest boot = call.getArgument(0);
      attempts.add(boot);
      if (attempts.size() == 1) {
        deadWorker.await(); // A dead worker: no result, no heartbeat, until the test ends.
        throw new IllegalStateException("the first attempt's worker was dead");
      }
      retryCause.complete(pendingBootFailure(Activity.getExecutionContext().getInfo()));
      return new VmHandle(boot.vmId(), "qemu", "tcg", 4242, "/run/kindling/vms/" + boot.vmId(), "serial.log", boot.mode(), 1L, 180);
    }).when(cluster.host("h1").vmm()).bootVm(any());
    cluster.start();
    KindlingClient kindling = new KindlingClient(cluster.client);
    kindling.startVm(VmRequest.forSession("s-dead-worker"));

    // Within the 2-minute start-to-close the first attempt would still hold the boot; the heartbeat timeout frees it.
    kindling.awaitReady("s-dead-worker", Duration.ofSeconds(45));

    assertEquals(2, attempts.size(), "one retry after the dead attempt");
    assertEquals(attempts.get(0), attempts.get(1), "the retry carries the same request (request id, VM id, network)");
    Failure cause = retryCause.getNow(null);
    assertEquals(TimeoutType.TIMEOUT_TYPE_HEARTBEAT, cause.getTimeoutFailureInfo().getTimeoutType(),
        "retried because the heartbeats stopped: " + cause);
    kindling.release("s-dead-worker");
    kindling.awaitEnd("s-dead-worker");
  }

  @Test
  void aReadinessProbeWhoseWorkerStopsHeartbeatingIsRetriedWithTheSameRequest() throws Exception {
    Fixtures.healthyHost(cluster, "h1", Fixtures.COLD_IMAGE);
    List<ReadinessRequest> attempts = new CopyOnWriteArrayList<>();
    doAnswer(call -> {
      ReadinessRequest probe = call.getArgument(0);
      attempts.add(probe);
      if (attempts.size() == 1) {
        deadWorker.await();
        throw new IllegalStateException("the first attempt's worker was dead");
      }
      retryCause.complete(pendingBootFailure(Activity.getExecutionContext().getInfo()));
      return new ReadinessReport(List.of(), 1, 1024, 768, "kindling");
    }).when(cluster.host("h1").readiness()).awaitReady(any());
    cluster.start();
    KindlingClient kindling = new KindlingClient(cluster.client);
    kindling.startVm(VmRequest.forSession("s-dead-probe"));

    kindling.awaitReady("s-dead-probe", Duration.ofSeconds(45));

    assertEquals(2, attempts.size(), "one retry after the dead attempt");
    assertEquals(attempts.get(0), attempts.get(1), "the retry probes the same VM with the same deadline");
    assertEquals(TimeoutType.TIMEOUT_TYPE_HEARTBEAT, retryCause.getNow(null).getTimeoutFailureInfo().getTimeoutType());
    kindling.release("s-dead-probe");
    kindling.awaitEnd("s-dead-probe");
  }

  /** Why the server retried the running activity: the last failure of the pending activity, as the server describes it. */
  private Failure pendingBootFailure(ActivityInfo info) {
    DescribeWorkflowExecutionResponse description = cluster.client.getWorkflowServiceStubs().blockingStub()
        .describeWorkflowExecution(DescribeWorkflowExecutionRequest.newBuilder()
            .setNamespace(info.getNamespace())
            .setExecution(WorkflowExecution.newBuilder().setWorkflowId(info.getWorkflowId()).setRunId(info.getRunId()))
            .build());
    PendingActivityInfo pending = description.getPendingActivitiesList().stream()
        .filter(a -> a.getActivityId().equals(info.getActivityId()))
        .findFirst().orElseThrow();
    assertEquals(2, pending.getAttempt(), "the second attempt");
    return pending.getLastFailure();
  }
}
