package dev.kindling.workflows.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doThrow;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.Fixtures;
import dev.kindling.workflows.TestCluster;
import dev.kindling.workflows.cleanup.CleanupWorkflow;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmRequest;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KindlingClientTest {
  private TestCluster cluster;
  private KindlingClient kindling;

  @BeforeEach
  void startCluster() {
    cluster = TestCluster.withHosts("h1").start();
    kindling = new KindlingClient(cluster.client);
    Fixtures.healthyHost(cluster, "h1", Fixtures.COLD_IMAGE);
  }

  @AfterEach
  void stopCluster() {
    cluster.close();
  }

  @Test
  void awaitReadyThrowsTheTypedFailureOfAFailedVm() {
    doThrow(FailureKind.GUEST_UNREACHABLE.failure("no ARP reply from 169.254.77.2"))
        .when(cluster.host("h1").readiness())
        .awaitReady(any());
    kindling.startVm(VmRequest.forSession("s-unreachable"));

    VmFailedException failed =
        assertThrows(VmFailedException.class, () -> kindling.awaitReady("s-unreachable", Duration.ofSeconds(20)));

    assertEquals("GuestUnreachable", failed.failureType());
    assertEquals(Phase.FAILED, failed.description().phase());
  }

  @Test
  void listShowsRunningVmsWithTheirSearchAttributes() throws Exception {
    kindling.startVm(VmRequest.forSession("s-one"));
    kindling.startVm(VmRequest.forSession("s-two"));
    kindling.awaitReady("s-one", Duration.ofSeconds(20));
    kindling.awaitReady("s-two", Duration.ofSeconds(20));

    List<VmSummary> vms = kindling.list();

    assertEquals(List.of("s-one", "s-two"), vms.stream().map(VmSummary::sessionId).sorted().toList());
    for (VmSummary vm : vms) {
      assertEquals("h1", vm.hostId());
      assertEquals(Fixtures.IMAGE, vm.imageId());
      assertEquals(Fixtures.TEMPLATE, vm.template());
      assertEquals("RUNNING", vm.status());
    }
    kindling.release("s-one");
    kindling.release("s-two");
  }

  @Test
  void cleanupFallsBackToACronWorkflowWithoutSchedulesAndIsIdempotent() {
    CleanupTrigger first = kindling.ensureCleanup(Duration.ofMinutes(5));
    CleanupTrigger second = kindling.ensureCleanup(Duration.ofMinutes(5));

    assertEquals(first, second);
    if (first == CleanupTrigger.CRON) {
      var description = cluster.client.newUntypedWorkflowStub(CleanupWorkflow.WORKFLOW_ID).describe();
      assertEquals(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, description.getStatus());
      String cron =
          cluster.client.fetchHistory(CleanupWorkflow.WORKFLOW_ID).getEvents().get(0)
              .getWorkflowExecutionStartedEventAttributes()
              .getCronSchedule();
      assertEquals("*/5 * * * *", cron);
    }
  }

  @Test
  void cronExpressionsRoundToWholeMinutes() {
    assertEquals("*/1 * * * *", KindlingClient.cronFor(Duration.ofSeconds(10)));
    assertEquals("*/5 * * * *", KindlingClient.cronFor(Duration.ofMinutes(5)));
    assertEquals("0 */2 * * *", KindlingClient.cronFor(Duration.ofHours(2)));
  }
}
