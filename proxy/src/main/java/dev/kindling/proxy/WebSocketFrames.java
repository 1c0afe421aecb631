package dev.kindling.proxy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * RFC 6455 framing: opcodes, frame headers, close payloads and the handshake's key. The key's hash
 * (Sec-WebSocket-Accept) is the readiness probe's {@link
 * dev.kindling.host.websocket.WebSocketFrames#acceptFor}.
 */
final class WebSocketFrames {
  static final int CONTINUATION = 0x0;
  static final int TEXT = 0x1;
  static final int BINARY = 0x2;
  static final int CLOSE = 0x8;
  static final int PING = 0x9;
  static final int PONG = 0xA;

  /** Two bytes, eight of extended length, four of mask. */
  static final int MAX_HEADER_BYTES = 14;

  static final int MAX_CONTROL_PAYLOAD = 125;

  /** No status code in a close frame; never sent. */
  static final int NO_STATUS = 1005;

  private static final SecureRandom MASKS = new SecureRandom();

  private WebSocketFrames() {}

  static boolean isControl(int opcode) {
    return (opcode & 0x8) != 0;
  }

  static boolean isKnown(int opcode) {
    return opcode <= BINARY || opcode >= CLOSE && opcode <= PONG;
  }

  /** The length of a header for {@code payloadLength} bytes, with or without a mask. */
  static int headerLength(long payloadLength, boolean masked) {
    int length = payloadLength < 126 ? 2 : payloadLength <= 0xFFFF ? 4 : 10;
    return masked ? length + 4 : length;
  }

  /**
   * Writes a frame header at {@code out}'s position; {@code mask} is used only when {@code masked}.
   */
  static void putHeader(
      ByteBuffer out, boolean fin, int opcode, boolean masked, int mask, long payloadLength) {
    out.put((byte) ((fin ? 0x80 : 0) | opcode));
    int maskBit = masked ? 0x80 : 0;
    if (payloadLength < 126) {
      out.put((byte) (maskBit | payloadLength));
    } else if (payloadLength <= 0xFFFF) {
      out.put((byte) (maskBit | 126));
      out.putShort((short) payloadLength);
    } else {
      out.put((byte) (maskBit | 127));
      out.putLong(payloadLength);
    }
    if (masked) {
      out.putInt(mask);
    }
  }

  /**
   * The mask key that applies from byte {@code offset} of a frame on: byte i of a frame is masked
   * with key byte i mod 4, so a piece cut from the middle of a frame keeps its bytes and takes the
   * key rotated by its offset.
   */
  static int maskFrom(int mask, long offset) {
    return Integer.rotateLeft(mask, 8 * (int) (offset & 3));
  }

  /** XORs {@code bytes[0, length)} with {@code mask} in place (small control payloads only). */
  static void unmask(byte[] bytes, int length, int mask) {
    for (int i = 0; i < length; i++) {
      bytes[i] ^= (byte) (mask >>> (24 - 8 * (i & 3)));
    }
  }

  /** A whole frame, masked with a fresh key when {@code masked}. */
  static ByteBuffer frame(int opcode, byte[] payload, boolean masked) {
    int mask = masked ? MASKS.nextInt() : 0;
    ByteBuffer frame = ByteBuffer.allocate(headerLength(payload.length, masked) + payload.length);
    putHeader(frame, true, opcode, masked, mask, payload.length);
    byte[] body = payload.clone();
    if (masked) {
      unmask(body, body.length, mask);
    }
    frame.put(body).flip();
    return frame;
  }

  /** A close frame's payload: the code and as much of {@code reason} as fits whole in 123 bytes. */
  static byte[] closePayload(int code, String reason) {
    byte[] text =
        CloseOutcome.fitReason(reason == null ? "" : reason, reason == null ? "" : reason)
            .getBytes(StandardCharsets.UTF_8);
    byte[] payload = new byte[2 + text.length];
    payload[0] = (byte) (code >>> 8);
    payload[1] = (byte) code;
    System.arraycopy(text, 0, payload, 2, text.length);
    return payload;
  }

  /** The status code of a received close payload, {@link #NO_STATUS} when it has none. */
  static int closeCode(byte[] payload, int length) {
    return length >= 2 ? (payload[0] & 0xFF) << 8 | payload[1] & 0xFF : NO_STATUS;
  }

  static String closeReason(byte[] payload, int length) {
    return length > 2 ? new String(payload, 2, length - 2, StandardCharsets.UTF_8) : "";
  }

  /** A fresh Sec-WebSocket-Key. */
  static String newKey() {
    byte[] nonce = new byte[16];
    MASKS.nextBytes(nonce);
    return Base64.getEncoder().encodeToString(nonce);
  }
}
