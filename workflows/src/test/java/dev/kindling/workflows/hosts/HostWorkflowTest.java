package dev.kindling.workflows.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.workflows.Fixtures;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.TestCluster;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostWorkflowTest {
  private TestCluster cluster;
  private KindlingClient kindling;

  @BeforeEach
  void startCluster() {
    cluster = TestCluster.withHosts("h1").start();
    kindling = new KindlingClient(cluster.client);
  }

  @AfterEach
  void stopCluster() {
    cluster.close();
  }

  private void report(HostReport report) {
    kindling.reportHost(report);
  }

  private static HostReport reportOf(String hostId, int running) {
    return new HostReport(
        hostId,
        new HostCapacity(8, 32768, 40),
        running,
        Map.of(Fixtures.TEMPLATE, Fixtures.SNAPSHOT_IMAGE),
        List.of(),
        Map.of(),
        "http://" + hostId + ".test:6090",
        30,
        System.currentTimeMillis());
  }

  private HostRecord await(
      String hostId, String what, java.util.function.Predicate<HostRecord> done)
      throws InterruptedException {
    HostWorkflow record =
        cluster.client.newWorkflowStub(HostWorkflow.class, HostWorkflow.workflowId(hostId));
    return Await.until(
        what, Duration.ofSeconds(20), record::describe, r -> r != null && done.test(r));
  }

  @Test
  void theRecordKeepsTheLastReportAndEachHostHasItsOwn() throws Exception {
    report(reportOf("h1", 1));
    report(reportOf("h1", 3));
    report(reportOf("h2", 0));

    HostRecord h1 = await("h1", "two reports of h1", r -> r.reports() == 2);
    assertEquals(3, h1.report().runningVms());
    assertEquals(40, h1.report().capacity().vmSlots());
    assertEquals(Fixtures.SNAPSHOT_IMAGE, h1.report().images().get(Fixtures.TEMPLATE));
    assertFalse(h1.drained());
    // Each host has a record of its own (listing them needs a server with visibility: the e2e
    // tests list them on the Temporal CLI's dev server).
    assertEquals("h2", await("h2", "h2's report", r -> r.reports() == 1).hostId());
  }

  @Test
  void aHostIsLiveWhileItsLastReportIsFresh() throws Exception {
    report(reportOf("h1", 0));
    HostRecord record = await("h1", "a report", r -> r.reports() == 1);

    long at = record.reportedAtMillis();
    assertTrue(record.liveAt(at + HostWorkflow.STALE_AFTER.toMillis(), HostWorkflow.STALE_AFTER));
    assertFalse(
        record.liveAt(at + HostWorkflow.STALE_AFTER.toMillis() + 1, HostWorkflow.STALE_AFTER));
    assertFalse(
        HostRecord.first("h9").liveAt(0, HostWorkflow.STALE_AFTER),
        "a host that never reported is not live");
  }

  @Test
  void drainAndUndrainAreRecordedAndReportsKeepComing() throws Exception {
    report(reportOf("h1", 2));
    await("h1", "a report", r -> r.reports() == 1);

    kindling.drain("h1", "kernel update");
    HostRecord drained = await("h1", "drained", HostRecord::drained);
    assertEquals("kernel update", drained.drainReason());
    report(reportOf("h1", 1));
    HostRecord stillDrained = await("h1", "a second report", r -> r.reports() == 2);
    assertTrue(stillDrained.drained(), "a report does not undrain the host");

    kindling.undrain("h1");
    HostRecord back = await("h1", "undrained", r -> !r.drained());
    assertNull(back.drainReason());
  }

  @Test
  void drainingAnUnknownHostOrWithABadReasonIsRefused() throws Exception {
    InvalidInputException unknown =
        assertThrows(InvalidInputException.class, () -> kindling.drain("nobody", null));
    assertEquals("hostId", unknown.field());
    assertThrows(InvalidInputException.class, () -> kindling.drain("Bad Host", null));
    report(reportOf("h1", 0));
    await("h1", "a report", r -> r.reports() == 1);
    InvalidInputException reason =
        assertThrows(InvalidInputException.class, () -> kindling.drain("h1", "a\nb"));
    assertEquals("reason", reason.field());
  }

  @Test
  void aReportOfAnotherHostIsIgnored() throws Exception {
    report(reportOf("h1", 2));
    await("h1", "a report", r -> r.reports() == 1);
    cluster
        .client
        .newWorkflowStub(HostWorkflow.class, HostWorkflow.workflowId("h1"))
        .report(reportOf("h2", 7));
    report(reportOf("h1", 3));

    HostRecord h1 = await("h1", "the second report of h1", r -> r.reports() == 2);
    assertEquals(3, h1.report().runningVms());
  }

  @Test
  void aHostSilentPastItsLossTimeIsLostItsSessionsAreToldAndAReportBringsItBack() throws Exception {
    org.mockito.Mockito.when(
            cluster.hostLoss.hostLost(
                org.mockito.ArgumentMatchers.eq("h1"), org.mockito.ArgumentMatchers.anyString()))
        .thenReturn(2);
    report(reportOf("h1", 2)); // lostAfterSeconds 30
    await("h1", "a report", r -> r.reports() == 1);

    cluster.env.sleep(Duration.ofSeconds(20));
    assertFalse(await("h1", "the record", r -> true).lost(), "20 s of silence is not 30");
    cluster.env.sleep(Duration.ofSeconds(30));

    HostRecord lost = await("h1", "lost", HostRecord::lost);
    org.mockito.Mockito.verify(cluster.hostLoss)
        .hostLost(
            org.mockito.ArgumentMatchers.eq("h1"),
            org.mockito.ArgumentMatchers.contains("host.lostAfterSeconds=30"));
    assertTrue(lost.lostAtMillis() - lost.reportedAtMillis() >= 30_000, lost.toString());

    report(reportOf("h1", 0));
    HostRecord back = await("h1", "back", r -> !r.lost() && r.reports() == 2);
    assertEquals(0, back.report().runningVms());
    org.mockito.Mockito.verify(cluster.hostLoss, org.mockito.Mockito.times(1))
        .hostLost(
            org.mockito.ArgumentMatchers.anyString(), org.mockito.ArgumentMatchers.anyString());
  }
}
