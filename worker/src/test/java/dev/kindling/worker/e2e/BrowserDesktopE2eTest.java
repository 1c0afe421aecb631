package dev.kindling.worker.e2e;

import static dev.kindling.activities.testing.HostCapability.BROWSER_E2E;
import static dev.kindling.activities.testing.HostCapability.IPROUTE2;
import static dev.kindling.activities.testing.HostCapability.QEMU;
import static dev.kindling.activities.testing.HostCapability.ROOT;
import static dev.kindling.activities.testing.HostCapability.TUN;
import static dev.kindling.activities.testing.HostCapability.VM_TESTS_ENABLED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.worker.testing.CurrentImage;
import dev.kindling.activities.testing.RequiresHost;
import dev.kindling.worker.dev.DevStack;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What a user sees: Debian's headless Chromium opens the proxy's noVNC page for a session (with a
 * session token), noVNC connects through the proxy to the VM's websockify, and the VM's desktop
 * appears on the canvas. The screenshot is kept under the build directory as a test artefact.
 */
@Tag("vm")
@RequiresHost({ROOT, IPROUTE2, TUN, QEMU, BROWSER_E2E, VM_TESTS_ENABLED})
class BrowserDesktopE2eTest {
  private static Path runDir;
  private static DevStack stack;
  private static KindlingClient client;

  @BeforeAll
  static void startStack() throws Exception {
    runDir = E2e.tempRunDir();
    stack = DevStack.start(E2e.config(runDir, Map.of()));
    client = new KindlingClient(stack.connection().client());
    CurrentImage.ensure(stack);
  }

  @AfterAll
  static void stopStack() throws Exception {
    if (stack != null) {
      stack.close();
    }
    E2e.deleteRecursively(runDir);
  }

  @Test
  void chromiumShowsTheDesktopThroughTheProxy() throws Exception {
    String session = E2e.session("browser");
    client.startVm(new VmRequest(session, null, BootMode.AUTO, 600, 0, 0, 0, null, null));
    client.awaitReady(session, E2e.READY_WITHIN);
    VmDescription ready = client.describe(session);
    try {
      String token = stack.proxy().tokens().mint(session);
      String url = stack.proxy().baseUri().resolve(stack.proxy().config().pagePath(session)) + "?token=" + token;
      Path screenshot = Path.of(System.getProperty("kindling.repo.root", "."), "worker", "target", "e2e", "browser-desktop.png");
      Files.createDirectories(screenshot.getParent());

      JsonNode verdict = runBrowser(url, screenshot);
      assertTrue(verdict.path("connected").asBoolean(), "noVNC did not show the desktop: " + verdict);
      assertEquals(1280, verdict.path("width").asInt(), verdict.toString());
      assertEquals(800, verdict.path("height").asInt(), verdict.toString());

      BufferedImage image = ImageIO.read(screenshot.toFile());
      assertTrue(distinctColours(image) > 1, "the screenshot " + screenshot + " is a single colour: blank");
      assertTrue(nonBlackShare(image) > 0.05, "the screenshot " + screenshot + " is mostly black");
    } finally {
      client.release(session);
      client.awaitEnd(session);
      E2e.assertNothingLeft(stack.host().paths(), ready.vmId());
    }
  }

  private static JsonNode runBrowser(String url, Path screenshot) throws Exception {
    Path script = Path.of(System.getProperty("kindling.repo.root", "."), "e2e", "browser", "desktop.mjs");
    Process node = new ProcessBuilder(List.of("node", script.toString(), url, screenshot.toString(), "90000"))
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    String out;
    try {
      out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!node.waitFor(3, TimeUnit.MINUTES)) {
        throw new AssertionError("the browser run did not finish");
      }
    } finally {
      node.destroyForcibly();
    }
    String last = out.lines().reduce((a, b) -> b).orElse("{}");
    return new ObjectMapper().readTree(last);
  }

  private static int distinctColours(BufferedImage image) {
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 3) {
      for (int x = 0; x < image.getWidth(); x += 3) {
        colours.add(image.getRGB(x, y) & 0xffffff);
      }
    }
    return colours.size();
  }

  private static double nonBlackShare(BufferedImage image) {
    long nonBlack = 0;
    long total = 0;
    for (int y = 0; y < image.getHeight(); y += 3) {
      for (int x = 0; x < image.getWidth(); x += 3) {
        total++;
        if ((image.getRGB(x, y) & 0xffffff) != 0) {
          nonBlack++;
        }
      }
    }
    return (double) nonBlack / total;
  }
}
