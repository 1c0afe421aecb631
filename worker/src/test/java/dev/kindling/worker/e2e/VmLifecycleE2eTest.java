package dev.kindling.worker.e2e;

import static dev.kindling.host.testing.HostCapability.IPROUTE2;
import static dev.kindling.host.testing.HostCapability.QEMU;
import static dev.kindling.host.testing.HostCapability.ROOT;
import static dev.kindling.host.testing.HostCapability.TEMPORAL_CLI;
import static dev.kindling.host.testing.HostCapability.TUN;
import static dev.kindling.host.testing.HostCapability.VM_TESTS_ENABLED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.worker.runtime.ProxiedDesktop;
import dev.kindling.worker.testing.CurrentImage;
import dev.kindling.workflows.KindlingSearchAttributes;
import dev.kindling.workflows.client.VmFailedException;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.GuestNetwork;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.StageTiming;
import dev.kindling.workflows.vm.BrowserVmWorkflow;
import dev.kindling.workflows.vm.Endpoint;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A browser VM's whole life on real VMs: create (AUTO, so the image's snapshot is restored) → READY
 * → a full RFB handshake through the proxy at the published endpoint → release → RELEASED → nothing
 * left on the host.
 */
@Tag("vm")
@RequiresHost({ROOT, IPROUTE2, TUN, QEMU, TEMPORAL_CLI, VM_TESTS_ENABLED})
class VmLifecycleE2eTest {
  @RegisterExtension static final E2eStack e2e = new E2eStack();
  private static ImageRef image;

  @BeforeAll
  static void currentImage() throws Exception {
    image = CurrentImage.ensure(e2e.stack());
  }

  @Test
  void createReadyHandshakeThroughProxyReleaseLeavesNothing() throws Exception {
    String session = E2e.session("life");
    e2e.client()
        .startVm(new VmRequest(session, null, BootMode.AUTO, 600, 0, 0, 0, null, null, null));
    Endpoint endpoint;
    try {
      endpoint = e2e.client().awaitReady(session, E2e.READY_WITHIN);
    } catch (VmFailedException | TimeoutException e) {
      E2e.releaseAndAwaitEnd(
          e2e.stack().connection().client(),
          session); // compensation finishes before the stack stops
      throw e;
    }
    VmDescription ready = e2e.client().describe(session);
    String vmId = ready.vmId();
    try {
      assertEquals(Phase.READY, ready.phase());
      assertEquals(e2e.stack().config().hostId(), ready.hostId());
      assertEquals(image.imageId(), ready.imageId());
      assertEquals(image.hasSnapshot() ? "RESTORE" : "COLD", ready.bootMode());
      assertEquals(
          new Endpoint(
              session,
              e2e.stack().config().hostId(),
              vmId,
              GuestNetwork.namespaceFor(vmId),
              GuestNetwork.GUEST_ADDRESS,
              GuestNetwork.WEBSOCKIFY_PORT,
              "/"),
          endpoint);
      assertTrue(
          NetworkNamespaces.exists(endpoint.namespace()),
          "the VM's namespace exists while it is READY");
      assertTrue(
          ready.leaseExpiresAtEpochMillis() > System.currentTimeMillis(),
          "the lease runs into the future");
      List<String> stages = ready.timings().stream().map(StageTiming::stage).toList();
      assertTrue(
          stages.containsAll(
              List.of(
                  "placing",
                  "booting/network",
                  "booting",
                  "readiness",
                  "vmm-start",
                  "readiness/guest-reachable",
                  "readiness/tcp-6080",
                  "readiness/websocket-upgrade",
                  "readiness/rfb-handshake")),
          "per-phase and per-stage timings: " + stages);
      assertTrue(
          ready.timings().stream().allMatch(t -> t.millis() >= 0),
          "timings are durations: " + ready.timings());

      Map<String, String> attributes =
          E2e.upsertedSearchAttributes(
              e2e.stack().connection().client(), BrowserVmWorkflow.workflowId(session));
      assertEquals(session, attributes.get(KindlingSearchAttributes.SESSION.getName()));
      assertEquals(
          e2e.stack().config().hostId(), attributes.get(KindlingSearchAttributes.HOST.getName()));
      assertEquals(image.imageId(), attributes.get(KindlingSearchAttributes.IMAGE.getName()));
      assertEquals(Phase.READY.name(), attributes.get(KindlingSearchAttributes.PHASE.getName()));

      // What a user's noVNC does: a token-authenticated WebSocket to the proxy, which routes to the
      // endpoint the workflow published; then the VM's RFB handshake and one full framebuffer.
      String token = e2e.stack().proxy().tokens().mint(session);
      ProxiedDesktop desktop =
          ProxiedDesktop.capture(
              new InetSocketAddress("127.0.0.1", e2e.stack().proxy().port()),
              e2e.stack().proxy().config().websocketPath(session),
              token,
              Duration.ofSeconds(30));
      assertTrue(
          desktop.serverInit().width() > 0 && desktop.serverInit().height() > 0,
          "ServerInit names a framebuffer");
      assertEquals(desktop.serverInit().width(), desktop.frame().image().getWidth());
      assertTrue(desktop.frame().distinctColours() > 1, "the desktop shows more than one colour");
    } finally {
      e2e.client().release(session);
    }
    VmDescription end = e2e.client().awaitEnd(session);
    assertEquals(Phase.RELEASED, end.phase());
    assertEquals(null, end.failureType());
    assertTrue(
        end.timings().stream().anyMatch(t -> t.stage().equals("releasing")),
        "teardown is timed: " + end.timings());
    assertEquals(
        Phase.RELEASED.name(),
        E2e.upsertedSearchAttributes(
                e2e.stack().connection().client(), BrowserVmWorkflow.workflowId(session))
            .get(KindlingSearchAttributes.PHASE.getName()));
    E2e.assertNothingLeft(e2e.stack().host().paths(), vmId);
    assertFalse(Files.exists(e2e.stack().host().paths().vmDir(vmId)));
    assertNotNull(vmId);
  }
}
