package dev.kindling.worker.e2e;

import static dev.kindling.host.testing.HostCapability.IPROUTE2;
import static dev.kindling.host.testing.HostCapability.QEMU;
import static dev.kindling.host.testing.HostCapability.ROOT;
import static dev.kindling.host.testing.HostCapability.TEMPORAL_CLI;
import static dev.kindling.host.testing.HostCapability.TUN;
import static dev.kindling.host.testing.HostCapability.VM_TESTS_ENABLED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.activities.readiness.AgentClient;
import dev.kindling.host.images.SnapshotManifest;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.worker.testing.CurrentImage;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores are clones: two VMs restored from one snapshot (taken well before) each get this host's
 * wall clock and fresh entropy before READY, as their agents report them afterwards.
 */
@Tag("vm")
@RequiresHost({ROOT, IPROUTE2, TUN, QEMU, TEMPORAL_CLI, VM_TESTS_ENABLED})
class CloneSafetyE2eTest {
  private static final Logger log = LoggerFactory.getLogger(CloneSafetyE2eTest.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension static final E2eStack e2e = new E2eStack();

  @Test
  void twoRestoresOfOneSnapshotHaveTheHostsClockAndTheirOwnRandomBytes() throws Exception {
    ImageRef image = CurrentImage.ensure(e2e.stack(), "terminal");
    assertTrue(image.hasSnapshot(), "the terminal image has a memory snapshot");
    long snapshotAt =
        SnapshotManifest.read(
                e2e.stack().host().paths().snapshotDir(image.imageId(), image.snapshotId()))
            .manifest()
            .createdAtEpochMillis();
    List<String> sessions = List.of(E2e.session("clone-a"), E2e.session("clone-b"));
    List<VmDescription> ready = new ArrayList<>();
    try {
      for (String session : sessions) {
        e2e.client()
            .startVm(
                new VmRequest(
                    session, null, BootMode.RESTORE, 600, 0, 0, 0, "terminal", null, null));
      }
      for (String session : sessions) {
        e2e.client().awaitReady(session, E2e.READY_WITHIN);
        VmDescription described = e2e.client().describe(session);
        assertEquals(Phase.READY, described.phase());
        assertEquals("RESTORE", described.bootMode());
        ready.add(described);
      }

      List<JsonNode> clones = new ArrayList<>();
      for (VmDescription vm : ready) {
        AgentClient agent =
            new AgentClient(
                vm.endpoint().namespace(),
                new InetSocketAddress(GuestNetwork.GUEST_ADDRESS, GuestNetwork.AGENT_PORT),
                Duration.ofSeconds(5),
                Duration.ofSeconds(10));
        long before = System.currentTimeMillis();
        AgentClient.Response answer = agent.exchange("GET", "/v1/clone", null);
        long after = System.currentTimeMillis();
        assertEquals(200, answer.status(), answer.body());
        JsonNode clone = JSON.readTree(answer.body());
        clones.add(clone);
        long guest = clone.path("epochMillis").asLong();
        long skew = Math.max(before - guest, guest - after);
        log.info(
            "VM {} ({}): guest clock {} ms off the host's, stepped by {} ms at READY; snapshot"
                + " taken {} s before",
            vm.vmId(),
            vm.sessionId(),
            Math.max(0, skew),
            clone.path("clockStepMillis").asLong(),
            (before - snapshotAt) / 1000);
        assertTrue(skew < 1000, "the guest's clock is within 1 s of the host's: " + clone);
        assertTrue(clone.path("reseeded").asBoolean(), "the kernel generator was reseeded");
        assertTrue(clone.path("entropyBytes").asInt() >= 32, clone.toString());
        long snapshotAge = before - snapshotAt;
        if (snapshotAge > 10_000) {
          assertTrue(
              clone.path("clockStepMillis").asLong() > snapshotAge / 2,
              "a clone wakes with its snapshot's clock, "
                  + snapshotAge
                  + " ms old, and was set forward: "
                  + clone);
        }
      }
      assertNotEquals(
          clones.get(0).path("urandom").asText(),
          clones.get(1).path("urandom").asText(),
          "two clones read different bytes from /dev/urandom");
    } finally {
      for (String session : sessions) {
        E2e.releaseAndAwaitEnd(e2e.stack().connection().client(), session);
      }
      for (VmDescription vm : ready) {
        E2e.assertNothingLeft(e2e.stack().host().paths(), vm.vmId());
      }
    }
  }
}
