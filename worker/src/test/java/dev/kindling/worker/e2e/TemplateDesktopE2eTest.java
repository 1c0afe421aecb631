package dev.kindling.worker.e2e;

import static dev.kindling.host.testing.HostCapability.BROWSER_E2E;
import static dev.kindling.host.testing.HostCapability.IPROUTE2;
import static dev.kindling.host.testing.HostCapability.QEMU;
import static dev.kindling.host.testing.HostCapability.ROOT;
import static dev.kindling.host.testing.HostCapability.TEMPORAL_CLI;
import static dev.kindling.host.testing.HostCapability.TUN;
import static dev.kindling.host.testing.HostCapability.VM_TESTS_ENABLED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.testing.RequiresHost;
import dev.kindling.snapshot.BuildOptions;
import dev.kindling.snapshot.ImageBuilder;
import dev.kindling.snapshot.Templates;
import dev.kindling.worker.testing.CurrentImage;
import dev.kindling.workflows.client.VmFailedException;
import dev.kindling.workflows.host.BootMode;
import dev.kindling.workflows.host.Diagnostics;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.Launch;
import dev.kindling.workflows.testing.Await;
import dev.kindling.workflows.vm.Phase;
import dev.kindling.workflows.vm.VmDescription;
import dev.kindling.workflows.vm.VmRequest;
import io.temporal.client.WorkflowFailedException;
import io.temporal.failure.ApplicationFailure;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a user sees, per template: Debian's headless Chromium opens the proxy's noVNC page for a
 * session (with a session token), noVNC connects through the proxy to the VM's websockify, and the
 * canvas shows the template's app, checked by colours only that app puts on screen. Screenshots are
 * kept under {@code worker/target/e2e/} as test artefacts. Templates whose app exits or draws
 * nothing fail typed, with their evidence, and leave nothing behind.
 */
@Tag("vm")
@RequiresHost({ROOT, IPROUTE2, TUN, QEMU, BROWSER_E2E, TEMPORAL_CLI, VM_TESTS_ENABLED})
class TemplateDesktopE2eTest {
  /** The terminal template's background and the banner's yellow (template.json, bash_profile). */
  private static final int TERMINAL_BACKGROUND = 0x0b3954;

  /** The browser template's start page band (start/index.html). */
  private static final int START_PAGE_BAND = 0xff7a00;

  private static final Path ARTEFACTS = Screenshots.ARTEFACTS;

  @RegisterExtension static final E2eStack e2e = new E2eStack();

  @BeforeAll
  static void artefacts() throws Exception {
    Files.createDirectories(ARTEFACTS);
  }

  @Test
  void theTerminalShowsALoginShellFillingTheScreen() throws Exception {
    CurrentImage.ensure(e2e.stack(), "terminal");
    String session = E2e.session("terminal");
    e2e.client().startVm(request(session, "terminal", null));
    VmDescription ready = awaitReady(session);
    try {
      assertEquals("terminal", ready.template());
      BufferedImage image = screenshot(session, "terminal", TERMINAL_BACKGROUND, 0.6);
      assertTrue(
          Screenshots.share(image, TERMINAL_BACKGROUND) > 0.6,
          "the terminal's background fills the screen: "
              + Screenshots.share(image, TERMINAL_BACKGROUND));
      assertTrue(
          Screenshots.count(
                  image,
                  rgb ->
                      Screenshots.red(rgb) > 200
                          && Screenshots.green(rgb) > 200
                          && Screenshots.blue(rgb) > 180)
              > 200,
          "light text on it (prompt)");
      assertTrue(
          Screenshots.count(
                  image,
                  rgb ->
                      Screenshots.red(rgb) > 200
                          && Screenshots.green(rgb) > 200
                          && Screenshots.blue(rgb) < 100)
              > 50,
          "the yellow greeting line");
    } finally {
      end(session, ready);
    }
  }

  @Test
  void theBrowserShowsItsStartPage() throws Exception {
    CurrentImage.ensure(e2e.stack(), "browser");
    String session = E2e.session("browser");
    e2e.client().startVm(request(session, "browser", null));
    VmDescription ready = awaitReady(session);
    try {
      assertEquals("browser", ready.template());
      BufferedImage image = screenshot(session, "browser-start-page", START_PAGE_BAND, 0.3);
      assertTrue(
          Screenshots.share(image, START_PAGE_BAND) > 0.3,
          "the start page's orange band: " + Screenshots.share(image, START_PAGE_BAND));
    } finally {
      end(session, ready);
    }
  }

  /** Two sessions restored from the same snapshot each show the page their launch named. */
  @Test
  void eachBrowserSessionOpensItsOwnUrl() throws Exception {
    ImageRef image = CurrentImage.ensure(e2e.stack(), "browser");
    assertTrue(image.hasSnapshot());
    for (String[] page :
        List.of(new String[] {"green", "00a86b"}, new String[] {"purple", "7b2cbf"})) {
      String session = E2e.session("url-" + page[0]);
      String url = PageInNamespace.url("/" + page[0] + ".html");
      e2e.client().startVm(request(session, "browser", new Launch(url, List.of())));
      String vmId = vmIdOf(session);
      VmDescription ready = null;
      try (PageInNamespace served =
          PageInNamespace.serve(
              vmId, PageInNamespace.solidPage(page[0], page[1]), Duration.ofSeconds(30))) {
        ready = awaitReady(session);
        assertEquals("RESTORE", ready.bootMode());
        assertEquals(url, ready.launch().url());
        int colour = Integer.parseInt(page[1], 16);
        BufferedImage shown = screenshot(session, "browser-url-" + page[0], colour, 0.5);
        assertTrue(
            Screenshots.share(shown, colour) > 0.5,
            "the session's own page ("
                + page[0]
                + ") fills the screen: "
                + Screenshots.share(shown, colour));
        assertTrue(Screenshots.share(shown, START_PAGE_BAND) < 0.01, "the start page is gone");
      } finally {
        end(session, ready);
      }
    }
  }

  @Test
  void anAppThatExitsAtOnceFailsAppNotRunningWithItsLog() throws Exception {
    Diagnostics evidence = failingTemplate("exits-at-once", "AppNotRunning");
    assertTrue(
        evidence.app() != null && evidence.app().contains("status 3"),
        "exit status in " + evidence.app());
    assertTrue(
        evidence.appLogTail() != null && evidence.appLogTail().contains("giving up on purpose"),
        "log tail: " + evidence.appLogTail());
  }

  @Test
  void anAppThatDrawsNothingFailsBlankDesktopWithAThumbnail() throws Exception {
    Diagnostics evidence = failingTemplate("draws-nothing", "BlankDesktop");
    assertNotNull(evidence.thumbnail(), "thumbnail path in " + evidence);
    Path thumbnail = Path.of(evidence.thumbnail());
    assertTrue(Files.isRegularFile(thumbnail), thumbnail + " exists");
    BufferedImage image = ImageIO.read(thumbnail.toFile());
    assertTrue(
        Screenshots.share(image, 0x000000) > 0.99,
        "the thumbnail is the black screen the VM showed");
    Files.copy(
        thumbnail,
        ARTEFACTS.resolve("draws-nothing-thumbnail.png"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * A template whose onExit is "release": when its command ends, so does the session, long before
   * its lease.
   */
  @Test
  void aSessionEndsWhenItsAppExitsUnderReleaseOnExit() throws Exception {
    ImageRef image = testImage("exits-later");
    String session = E2e.session("exits-later");
    e2e.client()
        .startVm(
            new VmRequest(
                session, image.imageId(), BootMode.COLD, 3600, 0, 0, 0, "exits-later", null, null));
    VmDescription ready = awaitReady(session);
    long readyAt = System.nanoTime();
    VmDescription end = e2e.client().awaitEnd(session);
    assertEquals(Phase.RELEASED, end.phase());
    assertTrue(
        System.nanoTime() - readyAt < TimeUnit.MINUTES.toNanos(3),
        "ended with the app, not with the one-hour lease");
    var described = e2e.client().workflowStub(session).describe();
    assertEquals("APP_EXITED", described.getMemo("leaseEnd", String.class));
    String appExit = String.valueOf(described.getMemo("appExit", String.class));
    assertTrue(appExit != null && appExit.contains("status 0"), appExit);
    E2e.assertNothingLeft(e2e.stack().host().paths(), ready.vmId());
  }

  /** The image of a test template under src/test/resources/templates, built without a canary. */
  private static ImageRef testImage(String template) throws Exception {
    Path dir =
        Path.of(
                TemplateDesktopE2eTest.class
                    .getResource("/templates/" + template + "/template.json")
                    .toURI())
            .getParent();
    return new ImageBuilder()
        .build(BuildOptions.forTemplate(Templates.fromDirectory(dir), e2e.stack().host().paths()))
        .ref();
  }

  /**
   * Builds the test template's image (no canary: it would fail by design), cold-boots a session on
   * it, and returns the typed failure's evidence after checking that nothing was left behind.
   */
  private static Diagnostics failingTemplate(String template, String failureType) throws Exception {
    ImageRef image = testImage(template);
    String session = E2e.session(template);
    e2e.client()
        .startVm(
            new VmRequest(
                session, image.imageId(), BootMode.COLD, 600, 0, 0, 0, template, null, null));
    VmFailedException failed =
        assertThrows(
            VmFailedException.class, () -> e2e.client().awaitReady(session, E2e.READY_WITHIN));
    assertEquals(
        failureType, failed.description().failureType(), failed.description().failureMessage());
    WorkflowFailedException ended =
        assertThrows(WorkflowFailedException.class, () -> e2e.client().awaitEnd(session));
    ApplicationFailure cause = (ApplicationFailure) ended.getCause();
    assertEquals(failureType, cause.getType());
    Diagnostics evidence = cause.getDetails().get(Diagnostics.class);
    assertEquals("desktop", evidence.stage());
    E2e.assertNothingLeft(e2e.stack().host().paths(), failed.description().vmId());
    return evidence;
  }

  private static VmRequest request(String session, String template, Launch launch) {
    return new VmRequest(session, null, BootMode.AUTO, 600, 0, 0, 0, template, launch, null);
  }

  private static VmDescription awaitReady(String session) throws Exception {
    e2e.client().awaitReady(session, E2e.READY_WITHIN);
    VmDescription ready = e2e.client().describe(session);
    assertEquals(Phase.READY, ready.phase());
    assertTrue(
        ready.timings().stream().anyMatch(t -> t.stage().equals("readiness/desktop")),
        "a desktop stage: " + ready.timings());
    return ready;
  }

  private static String vmIdOf(String session) throws InterruptedException {
    return Await.until(
            "session " + session + " to name its VM",
            Duration.ofSeconds(30),
            () -> e2e.client().describe(session),
            description -> description != null && description.vmId() != null)
        .vmId();
  }

  private static void end(String session, VmDescription ready) {
    E2e.releaseAndAwaitEnd(e2e.stack().connection().client(), session);
    if (ready != null) {
      E2e.assertNothingLeft(e2e.stack().host().paths(), ready.vmId());
    }
  }

  private static BufferedImage screenshot(String session, String name, int colour, double share)
      throws Exception {
    return Screenshots.desktop(
        e2e.stack().proxy(), session, ARTEFACTS.resolve(name + ".png"), colour, share);
  }
}
