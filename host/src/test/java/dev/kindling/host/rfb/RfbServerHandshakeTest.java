package dev.kindling.host.rfb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The proxy's side towards a browser against the client side Kindling's own tools use. */
class RfbServerHandshakeTest {
  private static final ServerInit INIT =
      new ServerInit(
          1280, 800, new PixelFormat(32, 24, false, true, 255, 255, 255, 16, 8, 0), "vm");

  @Test
  void aClientWithoutPasswordGetsSecurityNoneAndTheVmsServerInit() throws Exception {
    PipedInputStream clientIn = new PipedInputStream(1 << 16);
    PipedInputStream serverIn = new PipedInputStream(1 << 16);
    OutputStream toClient = new PipedOutputStream(clientIn);
    OutputStream toServer = new PipedOutputStream(serverIn);
    CompletableFuture<Integer> server =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return RfbServerHandshake.offerNone(serverIn, toClient, INIT);
              } catch (RfbHandshakeException e) {
                throw new IllegalStateException(e);
              }
            });
    RfbSession session = RfbHandshake.perform(clientIn, toServer, null);
    assertEquals(INIT, session.serverInit());
    assertEquals(8, server.get(10, TimeUnit.SECONDS));
  }

  @Test
  void aClientThatInsistsOnVncAuthenticationIsToldWhy() throws Exception {
    PipedInputStream clientIn = new PipedInputStream(1 << 16);
    PipedInputStream serverIn = new PipedInputStream(1 << 16);
    OutputStream toClient = new PipedOutputStream(clientIn);
    OutputStream toServer = new PipedOutputStream(serverIn);
    toServer.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
    toServer.write(RfbHandshake.SECURITY_VNC_AUTH);
    RfbHandshakeException e =
        assertThrows(
            RfbHandshakeException.class,
            () -> RfbServerHandshake.offerNone(serverIn, toClient, INIT));
    assertTrue(e.getMessage().contains("chose security type 2"), e.getMessage());
    DataInputStream in = new DataInputStream(clientIn);
    in.readNBytes(12);
    assertEquals(1, in.readUnsignedByte());
    assertEquals(RfbHandshake.SECURITY_NONE, in.readUnsignedByte());
    assertEquals(1, in.readInt(), "SecurityResult: failed");
    byte[] reason = in.readNBytes(in.readInt());
    assertEquals(
        "only security type None is offered", new String(reason, StandardCharsets.US_ASCII));
  }

  @Test
  void garbageInsteadOfAVersionFails() throws IOException {
    PipedInputStream clientIn = new PipedInputStream(1 << 16);
    PipedInputStream serverIn = new PipedInputStream(1 << 16);
    OutputStream toClient = new PipedOutputStream(clientIn);
    OutputStream toServer = new PipedOutputStream(serverIn);
    toServer.write("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
    assertThrows(
        RfbHandshakeException.class, () -> RfbServerHandshake.offerNone(serverIn, toClient, INIT));
  }
}
