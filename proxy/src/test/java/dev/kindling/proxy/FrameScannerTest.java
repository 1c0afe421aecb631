package dev.kindling.proxy;

import static dev.kindling.proxy.FrameScanner.Violation.MESSAGE_TOO_BIG;
import static dev.kindling.proxy.FrameScanner.Violation.PROTOCOL_ERROR;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The frame scanner against hand-built frames, checked by decoding what it passes on. */
class FrameScannerTest {
  private static final long LIMIT = 1 << 20;

  /** One decoded frame. */
  record Frame(boolean fin, int opcode, boolean masked, int mask, byte[] payload) {}

  @Test
  void wholeFramesLeaveAsOneSliceOfTheBytesTheyArrivedAs() {
    byte[] stream =
        concat(frame(true, 2, false, 0, bytes(300)), frame(true, 2, false, 0, bytes(70_000)));
    FrameScanner scanner = new FrameScanner(false, LIMIT);
    Segments out = new Segments();
    ByteBuffer in = direct(stream);

    out.reset(ByteBuffer.allocateDirect(Segments.HEADER_AREA_BYTES));
    assertEquals(FrameScanner.Stop.FORWARD, scanner.scan(in, out));

    ByteBuffer[] buffers = out.toBuffers();
    assertEquals(1, buffers.length);
    assertArrayEquals(stream, toBytes(buffers));
    assertEquals(70_300, out.payloadBytes());
    out.reset(ByteBuffer.allocateDirect(Segments.HEADER_AREA_BYTES));
    assertEquals(FrameScanner.Stop.NEED_MORE, scanner.scan(in, out));
  }

  @Test
  void aMaskedFrameCutByReadsLeavesInPiecesWhoseBytesAreUnchangedAndDecodeToTheSamePayload() {
    Random random = new Random(11);
    for (int round = 0; round < 200; round++) {
      byte[] payload = bytes(1 + random.nextInt(5000));
      byte[] text = "text that goes with it".getBytes(StandardCharsets.UTF_8);
      int mask = random.nextInt();
      byte[] stream =
          concat(
              frame(false, 2, true, mask, payload),
              frame(true, 0, true, ~mask, text),
              frame(true, 1, true, mask, text));

      List<byte[]> reads = cut(stream, random);
      byte[] passedOn = scanAll(new FrameScanner(true, LIMIT), reads, new ArrayList<>());

      List<Frame> frames = decode(passedOn);
      assertArrayEquals(concat(payload, text), message(frames, 0), "round " + round);
      assertArrayEquals(text, message(frames, 1), "round " + round);
      assertArrayEquals(
          maskedPayloadBytes(stream),
          maskedPayloadBytes(passedOn),
          "payload bytes must pass unchanged");
      assertTrue(frames.stream().allMatch(Frame::masked));
    }
  }

  @Test
  void controlFramesAreHandedOverUnmaskedAndNotPassedOn() {
    byte[] ping = "are you there".getBytes(StandardCharsets.US_ASCII);
    byte[] stream =
        concat(
            frame(true, 2, true, 0x01020304, bytes(10)),
            frame(true, 9, true, 0x0A0B0C0D, ping),
            frame(true, 2, true, 7, bytes(20)));
    FrameScanner scanner = new FrameScanner(true, LIMIT);
    ByteBuffer in = direct(stream);
    Segments out = new Segments();
    List<FrameScanner.Stop> stops = new ArrayList<>();
    ByteArrayOutputStream passedOn = new ByteArrayOutputStream();
    FrameScanner.Stop stop;
    do {
      out.reset(ByteBuffer.allocateDirect(Segments.HEADER_AREA_BYTES));
      stop = scanner.scan(in, out);
      stops.add(stop);
      if (stop == FrameScanner.Stop.CONTROL) {
        assertEquals(WebSocketFrames.PING, scanner.controlOpcode());
        assertArrayEquals(ping, scanner.controlPayload());
      }
      passedOn.writeBytes(toBytes(out.toBuffers()));
    } while (stop != FrameScanner.Stop.NEED_MORE);

    assertEquals(
        List.of(
            FrameScanner.Stop.FORWARD,
            FrameScanner.Stop.CONTROL,
            FrameScanner.Stop.FORWARD,
            FrameScanner.Stop.NEED_MORE),
        stops);
    assertEquals(2, decode(passedOn.toByteArray()).size());
  }

  @Test
  void aControlFrameCutByReadsIsCollectedWhole() {
    byte[] reason = WebSocketFrames.closePayload(4100, "user left");
    byte[] stream = frame(true, 8, false, 0, reason);
    FrameScanner scanner = new FrameScanner(false, LIMIT);
    List<byte[]> controls = new ArrayList<>();
    scanAll(
        scanner,
        List.of(
            Arrays.copyOfRange(stream, 0, 1),
            Arrays.copyOfRange(stream, 1, 5),
            Arrays.copyOfRange(stream, 5, stream.length)),
        controls);

    assertEquals(1, controls.size());
    assertEquals(4100, WebSocketFrames.closeCode(controls.get(0), controls.get(0).length));
    assertEquals("user left", WebSocketFrames.closeReason(controls.get(0), controls.get(0).length));
  }

  @Test
  void protocolViolationsAndOversizedMessagesFail() {
    assertFails(new FrameScanner(true, LIMIT), frame(true, 2, false, 0, bytes(5)), PROTOCOL_ERROR);
    assertFails(new FrameScanner(false, LIMIT), frame(true, 2, true, 5, bytes(5)), PROTOCOL_ERROR);
    assertFails(new FrameScanner(false, LIMIT), frame(true, 0, false, 0, bytes(5)), PROTOCOL_ERROR);
    assertFails(
        new FrameScanner(false, LIMIT),
        concat(frame(false, 2, false, 0, bytes(5)), frame(true, 2, false, 0, bytes(5))),
        PROTOCOL_ERROR);
    assertFails(
        new FrameScanner(false, LIMIT), frame(false, 9, false, 0, bytes(5)), PROTOCOL_ERROR);
    assertFails(new FrameScanner(false, LIMIT), frame(true, 3, false, 0, bytes(5)), PROTOCOL_ERROR);
    byte[] reserved = frame(true, 2, false, 0, bytes(5));
    reserved[0] |= 0x40;
    assertFails(new FrameScanner(false, LIMIT), reserved, PROTOCOL_ERROR);
    assertFails(
        new FrameScanner(false, 100), frame(true, 2, false, 0, bytes(101)), MESSAGE_TOO_BIG);
    assertFails(
        new FrameScanner(false, 100),
        concat(frame(false, 2, false, 0, bytes(60)), frame(true, 0, false, 0, bytes(60))),
        MESSAGE_TOO_BIG);
  }

  private static void assertFails(
      FrameScanner scanner, byte[] stream, FrameScanner.Violation violation) {
    ByteBuffer in = direct(stream);
    FrameScanner.Stop stop;
    do {
      Segments out = new Segments();
      out.reset(ByteBuffer.allocateDirect(Segments.HEADER_AREA_BYTES));
      stop = scanner.scan(in, out);
    } while (stop == FrameScanner.Stop.FORWARD || stop == FrameScanner.Stop.CONTROL);
    assertEquals(FrameScanner.Stop.FAILED, stop);
    assertEquals(violation, scanner.violation());
  }

  /** Scans {@code reads} one after another, as a relay side would; returns all bytes passed on. */
  private static byte[] scanAll(FrameScanner scanner, List<byte[]> reads, List<byte[]> controls) {
    ByteArrayOutputStream passedOn = new ByteArrayOutputStream();
    for (byte[] read : reads) {
      ByteBuffer in = direct(read);
      while (true) {
        Segments out = new Segments();
        out.reset(ByteBuffer.allocateDirect(Segments.HEADER_AREA_BYTES));
        FrameScanner.Stop stop = scanner.scan(in, out);
        passedOn.writeBytes(toBytes(out.toBuffers()));
        if (stop == FrameScanner.Stop.CONTROL) {
          controls.add(scanner.controlPayload());
        } else if (stop == FrameScanner.Stop.NEED_MORE) {
          break;
        } else if (stop == FrameScanner.Stop.FAILED) {
          throw new AssertionError(scanner.failureReason());
        }
      }
    }
    return passedOn.toByteArray();
  }

  /** A frame as a peer would send it: payload masked with {@code mask} when {@code masked}. */
  static byte[] frame(boolean fin, int opcode, boolean masked, int mask, byte[] payload) {
    ByteBuffer out =
        ByteBuffer.allocate(WebSocketFrames.headerLength(payload.length, masked) + payload.length);
    WebSocketFrames.putHeader(out, fin, opcode, masked, mask, payload.length);
    byte[] body = payload.clone();
    if (masked) {
      WebSocketFrames.unmask(body, body.length, mask);
    }
    out.put(body);
    return out.array();
  }

  /** Decodes a stream of whole frames, unmasking payloads. */
  static List<Frame> decode(byte[] stream) {
    List<Frame> frames = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(stream);
    while (in.hasRemaining()) {
      int b0 = in.get() & 0xFF;
      int b1 = in.get() & 0xFF;
      long length = b1 & 0x7F;
      if (length == 126) {
        length = in.getShort() & 0xFFFF;
      } else if (length == 127) {
        length = in.getLong();
      }
      boolean masked = (b1 & 0x80) != 0;
      int mask = masked ? in.getInt() : 0;
      byte[] payload = new byte[(int) length];
      in.get(payload);
      if (masked) {
        WebSocketFrames.unmask(payload, payload.length, mask);
      }
      frames.add(new Frame((b0 & 0x80) != 0, b0 & 0x0F, masked, mask, payload));
    }
    return frames;
  }

  /**
   * The payload of message {@code index}: a first frame and its continuations up to the final one.
   */
  private static byte[] message(List<Frame> frames, int index) {
    int seen = -1;
    ByteArrayOutputStream payload = new ByteArrayOutputStream();
    for (Frame f : frames) {
      if (f.opcode() != WebSocketFrames.CONTINUATION) {
        seen++;
      }
      if (seen == index) {
        payload.writeBytes(f.payload());
        if (f.fin()) {
          return payload.toByteArray();
        }
      }
    }
    throw new AssertionError("no message " + index + " in " + frames.size() + " frames");
  }

  /** The payload bytes of a stream of masked frames as they are on the wire, headers left out. */
  private static byte[] maskedPayloadBytes(byte[] stream) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Frame f : decode(stream)) {
      byte[] wire = f.payload().clone();
      WebSocketFrames.unmask(wire, wire.length, f.mask());
      out.writeBytes(wire);
    }
    return out.toByteArray();
  }

  private static List<byte[]> cut(byte[] stream, Random random) {
    List<byte[]> reads = new ArrayList<>();
    int at = 0;
    while (at < stream.length) {
      int n = 1 + random.nextInt(Math.min(stream.length - at, random.nextBoolean() ? 7 : 3000));
      reads.add(Arrays.copyOfRange(stream, at, at + n));
      at += n;
    }
    return reads;
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static ByteBuffer direct(byte[] bytes) {
    ByteBuffer b = ByteBuffer.allocateDirect(bytes.length);
    b.put(bytes).flip();
    return b;
  }

  private static byte[] toBytes(ByteBuffer[] buffers) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ByteBuffer b : buffers) {
      byte[] bytes = new byte[b.remaining()];
      b.duplicate().get(bytes);
      out.writeBytes(bytes);
    }
    return out.toByteArray();
  }
}
