package dev.kindling.host.websocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.net.ProtocolException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class WebSocketFramesTest {

  @Test
  void acceptValueMatchesTheRfcExample() {
    // RFC 6455 section 1.3.
    assertEquals(
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketFrames.acceptFor("dGhlIHNhbXBsZSBub25jZQ=="));
  }

  @Test
  void clientFramesAreMaskedLikeTheRfcExample() {
    // RFC 6455 section 5.7: a masked "Hello".
    byte[] frame =
        WebSocketFrames.clientFrame(
            true, WebSocketFrames.TEXT, "Hello".getBytes(), HexFormat.of().parseHex("37fa213d"));
    assertEquals("818537fa213d7f9f4d5158", HexFormat.of().formatHex(frame));
  }

  @Test
  void readsWhatEitherSideWritesAtEveryLengthEncoding() throws Exception {
    for (int length : new int[] {0, 1, 125, 126, 65535, 65536, 200_000}) {
      byte[] payload = new byte[length];
      for (int i = 0; i < length; i++) {
        payload[i] = (byte) (i * 31);
      }
      var masked =
          WebSocketFrames.read(
              new ByteArrayInputStream(
                  WebSocketFrames.clientFrame(
                      false, WebSocketFrames.BINARY, payload, new byte[] {1, 2, 3, 4})));
      assertFalse(masked.fin());
      assertEquals(WebSocketFrames.BINARY, masked.opcode());
      assertArrayEquals(payload, masked.payload(), "masked, length " + length);

      var plain =
          WebSocketFrames.read(
              new ByteArrayInputStream(
                  WebSocketFrames.serverFrame(true, WebSocketFrames.CONTINUATION, payload)));
      assertTrue(plain.fin());
      assertEquals(WebSocketFrames.CONTINUATION, plain.opcode());
      assertArrayEquals(payload, plain.payload(), "unmasked, length " + length);
    }
  }

  @Test
  void rejectsTruncatedAndMalformedFrames() {
    byte[] frame = WebSocketFrames.serverFrame(true, WebSocketFrames.BINARY, new byte[10]);
    assertThrows(
        EOFException.class, () -> WebSocketFrames.read(new ByteArrayInputStream(frame, 0, 5)));
    assertThrows(
        ProtocolException.class,
        () -> WebSocketFrames.read(new ByteArrayInputStream(new byte[] {(byte) 0xC2, 0})));
    byte[] longPing = WebSocketFrames.serverFrame(true, WebSocketFrames.PING, new byte[126]);
    assertThrows(
        ProtocolException.class, () -> WebSocketFrames.read(new ByteArrayInputStream(longPing)));
  }

  @Test
  void closePayloadCarriesCodeThenReason() {
    assertEquals("03e8627965", HexFormat.of().formatHex(WebSocketFrames.closePayload(1000, "bye")));
  }
}
