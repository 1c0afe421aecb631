package dev.kindling.workflows.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doThrow;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.Fixtures;
import dev.kindling.workflows.TestCluster;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmRequest;
import java.time.Duration;
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
        assertThrows(
            VmFailedException.class,
            () -> kindling.awaitReady("s-unreachable", Duration.ofSeconds(20)));

    assertEquals("GuestUnreachable", failed.failureType());
    assertEquals(Phase.FAILED, failed.description().phase());
  }

  @Test
  void createVmStartsAndWaitsInOneCallAndAJoinedStartGetsTheSameVm() throws Exception {
    var ready = kindling.createVm(VmRequest.forSession("s-create"), Duration.ofSeconds(20));
    var again = kindling.createVm(VmRequest.forSession("s-create"), Duration.ofSeconds(20));

    assertEquals(Phase.READY, ready.phase());
    assertEquals(ready.vmId(), again.vmId());
    assertEquals(ready.endpoint(), kindling.awaitReady("s-create", Duration.ofSeconds(5)));
    kindling.release("s-create");
  }

  @Test
  void awaitReadyAfterTheWorkflowFailedReportsItsFailure() {
    doThrow(FailureKind.WEBSOCKIFY_REFUSED.failure("connection refused on 6080"))
        .when(cluster.host("h1").readiness())
        .awaitReady(any());
    kindling.startVm(VmRequest.forSession("s-late"));
    assertThrows(
        io.temporal.client.WorkflowFailedException.class, () -> kindling.awaitEnd("s-late"));

    VmFailedException failed =
        assertThrows(
            VmFailedException.class, () -> kindling.awaitReady("s-late", Duration.ofSeconds(10)));

    assertEquals("WebsockifyRefused", failed.failureType());
  }

  @Test
  void awaitReadyGivesUpAfterItsTimeoutWhileTheVmIsStillProvisioning() {
    doAnswer(
            call -> {
              Thread.sleep(15_000);
              return null;
            })
        .when(cluster.host("h1").readiness())
        .awaitReady(any());
    kindling.startVm(VmRequest.forSession("s-slow"));

    long start = System.nanoTime();
    assertThrows(
        java.util.concurrent.TimeoutException.class,
        () -> kindling.awaitReady("s-slow", Duration.ofSeconds(2)));

    long waited = (System.nanoTime() - start) / 1_000_000;
    assertTrue(waited < 10_000, "gave up after " + waited + " ms, not when the VM settled");
    kindling.release("s-slow");
  }
}
