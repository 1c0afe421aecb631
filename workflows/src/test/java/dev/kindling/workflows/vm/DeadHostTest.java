package dev.kindling.workflows.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.HostStubs;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.TestCluster;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.host.Placement;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.client.WorkflowFailedException;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.worker.WorkflowImplementationOptions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A host whose worker is gone: nobody polls its queue, so the first host step times out on
 * schedule-to-start and the workflow fails typed instead of hanging.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeadHostTest {
  /**
   * The in-memory server does not skip time while a task waits on a queue, so the pickup timeout is
   * shortened here to keep the test quick; the mechanism is the production one.
   */
  private static final ActivityOptions QUICK_PICKUP =
      ActivityOptions.newBuilder(HostStubs.NETWORK)
          .setScheduleToStartTimeout(Duration.ofSeconds(1))
          .build();

  @Test
  void deadHostTimesOutOnScheduleToStartAndFailsTypedAfterTryingToCompensate() {
    WorkflowImplementationOptions options =
        WorkflowImplementationOptions.newBuilder()
            .setActivityOptions(
                Map.of(
                    "StartVm",
                    QUICK_PICKUP,
                    "DestroyVm",
                    QUICK_PICKUP,
                    "DeleteNetwork",
                    QUICK_PICKUP))
            .build();
    try (TestCluster cluster = TestCluster.withHosts(options, "h1").start()) {
      KindlingClient kindling = new KindlingClient(cluster.client);
      when(cluster.placement.place(any()))
          .thenReturn(
              new Placement("dead", TaskQueues.forHost("dead"), BrowserVmWorkflowTest.COLD_IMAGE));
      kindling.startVm(VmRequest.forSession("s-dead"));

      WorkflowFailedException failed =
          assertThrows(WorkflowFailedException.class, () -> kindling.awaitEnd("s-dead"));

      ApplicationFailure failure = assertInstanceOf(ApplicationFailure.class, failed.getCause());
      assertEquals(FailureKind.HOST_UNAVAILABLE.type(), failure.getType());
      ActivityFailure step = assertInstanceOf(ActivityFailure.class, failure.getCause());
      assertEquals(
          TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
          assertInstanceOf(TimeoutFailure.class, step.getCause()).getTimeoutType());
      VmDescription described = kindling.describe("s-dead");
      assertEquals(Phase.FAILED, described.phase());
      assertEquals("dead", described.hostId());
      assertEquals(FailureKind.HOST_UNAVAILABLE.type(), described.failureType());
      verifyNoInteractions(
          cluster.host("h1").readiness(), cluster.host("h1").vmm(), cluster.host("h1").network());
    }
  }
}
