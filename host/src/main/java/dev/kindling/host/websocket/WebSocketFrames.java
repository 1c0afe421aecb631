package dev.kindling.host.websocket;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/** RFC 6455 framing: what a client writes (always masked) and what it reads (never masked). */
public final class WebSocketFrames {
  public static final int CONTINUATION = 0x0;
  public static final int TEXT = 0x1;
  public static final int BINARY = 0x2;
  public static final int CLOSE = 0x8;
  public static final int PING = 0x9;
  public static final int PONG = 0xA;
  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  /** Far above any RFB message the probe reads; a bigger frame means a confused peer. */
  private static final long MAX_PAYLOAD = 64L * 1024 * 1024;

  private WebSocketFrames() {}

  /** One frame as read from the wire. */
  public record Frame(boolean fin, int opcode, byte[] payload) {
    public boolean isControl() {
      return (opcode & 0x8) != 0;
    }
  }

  /** The {@code Sec-WebSocket-Accept} value a server must answer to {@code key}. */
  public static String acceptFor(String key) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-1")
              .digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is not available in this JDK", e);
    }
  }

  /** A masked frame, as a client must send it. */
  public static byte[] clientFrame(boolean fin, int opcode, byte[] payload, byte[] mask) {
    if (mask.length != 4) {
      throw new IllegalArgumentException("a mask has 4 bytes");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + 14);
    out.write((fin ? 0x80 : 0) | (opcode & 0x0f));
    writeLength(out, payload.length, 0x80);
    out.writeBytes(mask);
    for (int i = 0; i < payload.length; i++) {
      out.write(payload[i] ^ mask[i & 3]);
    }
    return out.toByteArray();
  }

  /** An unmasked frame, as a server sends it (used by tests that play the server). */
  public static byte[] serverFrame(boolean fin, int opcode, byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + 10);
    out.write((fin ? 0x80 : 0) | (opcode & 0x0f));
    writeLength(out, payload.length, 0);
    out.writeBytes(payload);
    return out.toByteArray();
  }

  /**
   * Reads one frame, unmasking it if it is masked. Throws {@link EOFException} when the stream ends
   * before a whole frame arrived and {@link ProtocolException} on a malformed frame.
   */
  public static Frame read(InputStream in) throws IOException {
    int b0 = readByte(in);
    int b1 = readByte(in);
    if ((b0 & 0x70) != 0) {
      throw new ProtocolException(
          "WebSocket frame uses reserved bits (no extension was negotiated)");
    }
    boolean fin = (b0 & 0x80) != 0;
    int opcode = b0 & 0x0f;
    boolean masked = (b1 & 0x80) != 0;
    long length = b1 & 0x7f;
    if (length == 126) {
      length = (readByte(in) << 8) | readByte(in);
    } else if (length == 127) {
      length = 0;
      for (int i = 0; i < 8; i++) {
        length = (length << 8) | readByte(in);
      }
    }
    if (length < 0 || length > MAX_PAYLOAD) {
      throw new ProtocolException(
          "WebSocket frame of " + length + " bytes is larger than " + MAX_PAYLOAD);
    }
    if ((opcode & 0x8) != 0 && (length > 125 || !fin)) {
      throw new ProtocolException("WebSocket control frame is fragmented or longer than 125 bytes");
    }
    byte[] mask = masked ? in.readNBytes(4) : null;
    if (mask != null && mask.length < 4) {
      throw new EOFException("WebSocket stream ended inside a frame header");
    }
    byte[] payload = in.readNBytes((int) length);
    if (payload.length < length) {
      throw new EOFException("WebSocket stream ended inside a frame payload");
    }
    if (mask != null) {
      for (int i = 0; i < payload.length; i++) {
        payload[i] ^= mask[i & 3];
      }
    }
    return new Frame(fin, opcode, payload);
  }

  /** A close frame's payload: the status code, then a UTF-8 reason. */
  public static byte[] closePayload(int code, String reason) {
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    byte[] payload = new byte[2 + Math.min(text.length, 123)];
    payload[0] = (byte) (code >> 8);
    payload[1] = (byte) code;
    System.arraycopy(text, 0, payload, 2, payload.length - 2);
    return payload;
  }

  private static void writeLength(ByteArrayOutputStream out, int length, int maskBit) {
    if (length < 126) {
      out.write(maskBit | length);
    } else if (length <= 0xffff) {
      out.write(maskBit | 126);
      out.write(length >> 8);
      out.write(length);
    } else {
      out.write(maskBit | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.write((int) ((long) length >> shift));
      }
    }
  }

  private static int readByte(InputStream in) throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException("WebSocket stream ended inside a frame header");
    }
    return b;
  }
}
