package dev.kindling.worker.e2e;

import static dev.kindling.host.testing.HostCapability.BROWSER_E2E;
import static dev.kindling.host.testing.HostCapability.IPROUTE2;
import static dev.kindling.host.testing.HostCapability.QEMU;
import static dev.kindling.host.testing.HostCapability.ROOT;
import static dev.kindling.host.testing.HostCapability.TEMPORAL_CLI;
import static dev.kindling.host.testing.HostCapability.TUN;
import static dev.kindling.host.testing.HostCapability.VM_TESTS_ENABLED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kindling.host.VmSecrets;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.proxy.Scope;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.testing.CurrentImage;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.testing.Await;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A terminal session handed to people, as a platform team would: a view link and a control link
 * open in Debian's headless Chromium at once, neither asks for a password and none of what the
 * browser receives holds it; keys through the view link leave the guest's screen as it was, keys
 * through the control link change it (compared pixel by pixel, screenshots kept under {@code
 * worker/target/e2e/}); the session stays while somebody types for longer than its idle time, and
 * ends IDLE once nobody does.
 */
@Tag("vm")
@RequiresHost({ROOT, IPROUTE2, TUN, QEMU, BROWSER_E2E, TEMPORAL_CLI, VM_TESTS_ENABLED})
class HandoffE2eTest {
  private static final long IDLE_SECONDS = 45;
  private static final long TYPE_SECONDS = 60;
  private static final Path ARTEFACTS =
      Path.of(System.getProperty("kindling.repo.root", "."), "worker", "target", "e2e");

  @RegisterExtension
  static final E2eStack e2e = new E2eStack(Map.of(Setting.PROXY_ACTIVITY_REPORT_SECONDS, "2"));

  @BeforeAll
  static void artefacts() throws Exception {
    Files.createDirectories(ARTEFACTS);
  }

  @Test
  void aViewLinkWatchesAControlLinkTypesAndTheSessionIdlesOnlyWhenNobodyTypes() throws Exception {
    CurrentImage.ensure(e2e.stack(), "terminal");
    String session = E2e.session("handoff");
    e2e.client()
        .startVm(
            new VmRequest(
                session, null, BootMode.AUTO, 1800, IDLE_SECONDS, 0, 0, "terminal", null, null));
    e2e.client().awaitReady(session, E2e.READY_WITHIN);
    VmDescription ready = e2e.client().describe(session);
    String password = VmSecrets.read(e2e.stack().host().paths().vmDir(ready.vmId())).vncPassword();
    try {
      String viewUrl = pageUrl(session, Scope.VIEW);
      String controlUrl = pageUrl(session, Scope.CONTROL);
      assertFalse(fetch(viewUrl).contains(password), "the page holds the VNC password");

      long started = System.currentTimeMillis();
      JsonNode verdict = runBrowser(viewUrl, controlUrl, password);

      assertTrue(verdict.path("ok").asBoolean(), verdict.toString());
      assertTrue(verdict.path("passwordSeen").isEmpty(), "password seen: " + verdict);
      assertTrue(verdict.path("framesChecked").asInt() > 10, verdict.toString());
      assertTrue(verdict.path("viewBadge").asBoolean(), "the view page says it only watches");
      assertFalse(verdict.path("controlBadge").asBoolean());
      JsonNode viewTyping = verdict.path("viewTypedChangedPixels");
      assertEquals(
          0,
          viewTyping.path("onControlPage").asInt(),
          "keys through the view link changed the guest's screen: " + verdict);
      assertEquals(0, viewTyping.path("onViewPage").asInt(), verdict.toString());
      JsonNode controlTyping = verdict.path("controlTypedChangedPixels");
      assertTrue(
          controlTyping.path("onControlPage").asInt() > 500,
          "keys through the control link did not reach the guest: " + verdict);
      assertTrue(
          controlTyping.path("onViewPage").asInt() > 500,
          "the view link does not show what the controller typed: " + verdict);

      // Typing went on for longer than the idle time, and the session is still there.
      long typedFor = verdict.path("typingEndedAtEpochMillis").asLong() - started;
      assertTrue(typedFor > IDLE_SECONDS * 1000, "typed for " + typedFor + " ms");
      VmDescription afterTyping = e2e.client().describe(session);
      assertEquals(
          Phase.READY, afterTyping.phase(), "released while somebody typed: " + afterTyping);
      Await.until(
          "the proxy to report that the browser has gone",
          Duration.ofSeconds(10),
          () -> e2e.client().describe(session).viewers().count(),
          count -> count == 0);

      // Nobody types any more: the session ends IDLE, no sooner than the idle time after.
      long lastInput = verdict.path("typingEndedAtEpochMillis").asLong();
      VmDescription ended = e2e.client().awaitEnd(session);
      long idleFor = System.currentTimeMillis() - lastInput;
      assertEquals(Phase.RELEASED, ended.phase());
      assertEquals(
          "IDLE", e2e.client().workflowStub(session).describe().getMemo("leaseEnd", String.class));
      assertTrue(
          idleFor >= (IDLE_SECONDS - 5) * 1000,
          "ended " + idleFor + " ms after the last key (input is reported every 2 s here)");
      E2e.assertNothingLeft(e2e.stack().host().paths(), ready.vmId());
    } finally {
      E2e.releaseAndAwaitEnd(e2e.stack().connection().client(), session);
    }
  }

  private static String pageUrl(String session, Scope scope) {
    return e2e.stack().proxy().baseUri().resolve(e2e.stack().proxy().config().pagePath(session))
        + "?token="
        + e2e.stack().proxy().tokens().mint(session, Duration.ofMinutes(10), scope);
  }

  private static String fetch(String url) throws Exception {
    return HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static JsonNode runBrowser(String viewUrl, String controlUrl, String password)
      throws Exception {
    return E2e.browserScript(
        "handoff.mjs",
        List.of(
            viewUrl,
            controlUrl,
            ARTEFACTS.toString(),
            password,
            Long.toString(TYPE_SECONDS),
            "90000"),
        Duration.ofMinutes(4));
  }
}
