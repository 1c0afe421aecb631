package dev.kindling.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.workflows.testing.Await;
import dev.kindling.workflows.vm.Viewers;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The proxy authenticates to the VM and offers browsers security None; view links cannot act on the
 * desktop; one control link at a time; viewers and input are reported to the session's owner.
 */
class HandoffTest {
  private static final byte[] UPDATE_REQUEST = {3, 1, 0, 0, 0, 0, 0, 64, 0, 48};
  private static final byte[] KEY = {4, 1, 0, 0, 0, 0, 0, 0x61};
  private static final byte[] POINTER = {5, 1, 0, 10, 0, 20};
  private static final byte[] CUT_TEXT = {6, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c'};
  private static final byte[] PIXEL_FORMAT = new byte[20];

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static byte[] receivedByVm(ProxyFixture fixture) {
    synchronized (fixture.upstream.received) {
      return fixture.upstream.received.toByteArray();
    }
  }

  private static void awaitVmGot(ProxyFixture fixture, byte[] expected) throws Exception {
    Await.until(
        "the VM's bytes to be " + Arrays.toString(expected),
        Duration.ofSeconds(10),
        () -> receivedByVm(fixture),
        got -> got.length >= expected.length);
    assertArrayEquals(expected, receivedByVm(fixture));
  }

  @Test
  void theBrowserGetsSecurityNoneAndTheVmACorrectVncAuthentication() throws Exception {
    try (ProxyFixture fixture = ProxyFixture.start()) {
      TestClient.Connection browser =
          fixture.client.connect(fixture.websocket(ProxyFixture.SESSION));
      assertArrayEquals(FakeVncServer.SERVER_INIT.encode(), browser.serverInit);
      assertEquals(1, fixture.upstream.authenticated.get());
      assertEquals(0, fixture.upstream.refusedPasswords.get());

      browser.sendBinary(UPDATE_REQUEST);
      assertArrayEquals(UPDATE_REQUEST, (byte[]) browser.next());
    }
  }

  @Test
  void aViewLinksKeysPointerAndClipboardNeverReachTheVmItsRequestsDo() throws Exception {
    try (ProxyFixture fixture = ProxyFixture.start()) {
      TestClient.Connection view =
          fixture.client.connect(fixture.viewWebsocket(ProxyFixture.SESSION));
      // Several messages in one frame, one message split across frames, one fragmented message.
      view.sendBinary(concat(PIXEL_FORMAT, KEY, POINTER, UPDATE_REQUEST, KEY));
      view.sendBinary(Arrays.copyOfRange(KEY, 0, 3));
      view.sendBinary(concat(Arrays.copyOfRange(KEY, 3, KEY.length), CUT_TEXT));
      view.sendFragment(concat(POINTER, Arrays.copyOfRange(UPDATE_REQUEST, 0, 4)), false);
      view.sendFragment(Arrays.copyOfRange(UPDATE_REQUEST, 4, UPDATE_REQUEST.length), true);
      view.sendBinary(UPDATE_REQUEST);

      awaitVmGot(fixture, concat(PIXEL_FORMAT, UPDATE_REQUEST, UPDATE_REQUEST, UPDATE_REQUEST));
      assertTrue(fixture.activity.inputs().isEmpty(), "a view link's input is no input");
    }
  }

  @Test
  void aNewControlLinkTakesOverAndThePreviousOneOnlyWatches() throws Exception {
    try (ProxyFixture fixture =
        ProxyFixture.start(
            b -> b.sessionConnectionLimit(4).activityReportInterval(Duration.ofMillis(100)))) {
      TestClient.Connection first = fixture.client.connect(fixture.websocket(ProxyFixture.SESSION));
      first.sendBinary(KEY);
      assertArrayEquals(KEY, (byte[]) first.next());

      TestClient.Connection second =
          fixture.client.connect(fixture.websocket(ProxyFixture.SESSION));
      Await.until(
          "the second link to control",
          Duration.ofSeconds(5),
          () -> fixture.activity.lastViewers(ProxyFixture.SESSION),
          v -> v != null && v.count() == 2 && v.controller() != null);
      first.sendBinary(concat(KEY, UPDATE_REQUEST));
      awaitVmGot(fixture, concat(KEY, UPDATE_REQUEST));
      second.sendBinary(POINTER);
      awaitVmGot(fixture, concat(KEY, UPDATE_REQUEST, POINTER));
      assertFalse(first.closed.isDone(), "the previous controller stays, view-only");
      Viewers viewers = fixture.activity.lastViewers(ProxyFixture.SESSION);
      assertEquals(2, viewers.count());
      assertNotNull(viewers.controller());
    }
  }

  @Test
  void aControllerInsideAnOpenMessageLosesItsInputAtTheTakeOver() throws Exception {
    try (ProxyFixture fixture =
        ProxyFixture.start(
            b -> b.sessionConnectionLimit(4).activityReportInterval(Duration.ofMillis(100)))) {
      TestClient.Connection first = fixture.client.connect(fixture.websocket(ProxyFixture.SESSION));
      first.sendFragment(KEY, false);
      awaitVmGot(fixture, KEY);

      fixture.client.connect(fixture.websocket(ProxyFixture.SESSION));
      Await.until(
          "the second link to control",
          Duration.ofSeconds(5),
          () -> fixture.activity.lastViewers(ProxyFixture.SESSION),
          v -> v != null && v.count() == 2);
      // The message the first link opened as controller never ends; its keys must stop anyway.
      first.sendFragment(concat(KEY, POINTER), false);
      first.sendFragment(UPDATE_REQUEST, false);

      awaitVmGot(fixture, concat(KEY, UPDATE_REQUEST));
    }
  }

  @Test
  void theOwnerHearsOfViewersAndOfInputAtMostOncePerInterval() throws Exception {
    try (ProxyFixture fixture =
        ProxyFixture.start(
            b ->
                b.activityReportInterval(Duration.ofMillis(500))
                    .pingInterval(Duration.ofMillis(50)))) {
      TestClient.Connection browser =
          fixture.client.connect(fixture.websocket(ProxyFixture.SESSION));
      long started = System.nanoTime();
      while (System.nanoTime() - started < Duration.ofMillis(1600).toNanos()) {
        browser.sendBinary(KEY);
        browser.next();
        Thread.sleep(20);
      }
      Await.until(
          "input reported",
          Duration.ofSeconds(5),
          () -> fixture.activity.inputs().size(),
          n -> n >= 2);
      var inputs = fixture.activity.inputs();
      assertTrue(inputs.size() <= 5, "at most one input report per 500 ms: " + inputs.size());
      for (int i = 1; i < inputs.size(); i++) {
        long gap = inputs.get(i).atNanos() - inputs.get(i - 1).atNanos();
        assertTrue(
            gap >= Duration.ofMillis(450).toNanos(), "reports " + gap / 1_000_000 + " ms apart");
      }
      assertEquals(
          new Viewers(1, "connection 1"), fixture.activity.lastViewers(ProxyFixture.SESSION));

      browser.session.close(1000, "done", org.eclipse.jetty.websocket.api.Callback.NOOP);
      Await.until(
          "no viewers",
          Duration.ofSeconds(5),
          () -> fixture.activity.lastViewers(ProxyFixture.SESSION),
          v -> v.count() == 0);
    }
  }
}
