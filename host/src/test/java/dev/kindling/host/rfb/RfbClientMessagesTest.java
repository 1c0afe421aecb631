package dev.kindling.host.rfb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RfbClientMessagesTest {
  private static final byte[] PIXEL_FORMAT = message(0, 19);
  private static final byte[] ENCODINGS = concat(new byte[] {2, 0, 0, 3}, new byte[12]);
  private static final byte[] UPDATE_REQUEST = message(3, 9);
  private static final byte[] KEY = message(4, 7);
  private static final byte[] POINTER = message(5, 5);
  private static final byte[] CUT_TEXT =
      concat(new byte[] {6, 0, 0, 0, 0, 0, 0, 5}, "hello".getBytes());
  private static final byte[] FENCE =
      concat(new byte[] {(byte) 248, 0, 0, 0, 0, 0, 0, 0, 2}, new byte[2]);
  private static final byte[] QEMU_KEY = concat(new byte[] {(byte) 255, 0, 0, 1}, new byte[8]);

  private static byte[] message(int type, int body) {
    byte[] m = new byte[1 + body];
    m[0] = (byte) type;
    for (int i = 1; i < m.length; i++) {
      m[i] = (byte) (0x40 + i);
    }
    return m;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /**
   * Feeds {@code stream} masked with {@code mask}, cut into pieces of at most {@code cut} bytes,
   * and returns the unmasked bytes that passed.
   */
  private static byte[] passed(RfbClientMessages messages, byte[] stream, int mask, int cut) {
    byte[] wire = stream.clone();
    for (int i = 0; i < wire.length; i++) {
      wire[i] ^= (byte) (mask >>> (24 - 8 * (i & 3)));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int start = 0; start < wire.length; start += cut) {
      int end = Math.min(wire.length, start + cut);
      ByteBuffer piece = ByteBuffer.wrap(wire, 0, end);
      int at = start;
      while (at < end) {
        int run = messages.run(piece, at, end - at, mask, at);
        assertTrue(run != 0, "stream lost at " + at);
        if (run > 0) {
          for (int i = at; i < at + run; i++) {
            out.write(wire[i] ^ (byte) (mask >>> (24 - 8 * (i & 3))));
          }
        }
        at += Math.abs(run);
      }
    }
    return out.toByteArray();
  }

  @Test
  void aViewOnlyStreamKeepsRequestsAndDropsInputHoweverItIsCut() {
    byte[] stream =
        concat(
            PIXEL_FORMAT,
            ENCODINGS,
            KEY,
            UPDATE_REQUEST,
            POINTER,
            POINTER,
            CUT_TEXT,
            FENCE,
            QEMU_KEY,
            UPDATE_REQUEST);
    byte[] kept = concat(PIXEL_FORMAT, ENCODINGS, UPDATE_REQUEST, FENCE, UPDATE_REQUEST);
    for (int cut : new int[] {1, 2, 3, 7, 13, stream.length}) {
      for (int mask : new int[] {0, 0x12345678, new Random(cut).nextInt()}) {
        RfbClientMessages messages = new RfbClientMessages(true);
        assertArrayEquals(kept, passed(messages, stream, mask, cut), "cut " + cut);
        assertEquals(5, messages.inputMessages());
        assertFalse(messages.lost());
      }
    }
  }

  @Test
  void aControlStreamPassesEverythingAndCountsInput() {
    byte[] stream = concat(KEY, UPDATE_REQUEST, POINTER, CUT_TEXT);
    RfbClientMessages messages = new RfbClientMessages(false);
    assertArrayEquals(stream, passed(messages, stream, 0x0badf00d, 5));
    assertEquals(3, messages.inputMessages());
  }

  @Test
  void anUnknownTypeLosesTheStreamAControlConnectionPassesItAViewOnlyOneCannot() {
    byte[] stream = concat(UPDATE_REQUEST, new byte[] {99, 1, 2, 3}, KEY);
    RfbClientMessages control = new RfbClientMessages(false);
    assertArrayEquals(stream, passed(control, stream, 0, 64));
    assertTrue(control.lost());
    assertEquals(99, control.lostType());

    RfbClientMessages view = new RfbClientMessages(true);
    ByteBuffer wire = ByteBuffer.wrap(stream);
    assertEquals(UPDATE_REQUEST.length, view.run(wire, 0, stream.length, 0, 0));
    assertEquals(0, view.run(wire, UPDATE_REQUEST.length, stream.length - 10, 0, 10));
    assertTrue(view.lost());
  }

  @Test
  void aRequestedChangeAppliesAtSettle() {
    RfbClientMessages messages = new RfbClientMessages(false);
    messages.requestViewOnly(true);
    assertFalse(messages.viewOnly(), "not before the reader settles it");
    assertArrayEquals(KEY, passed(messages, KEY, 0, 64));
    messages.settle();
    assertArrayEquals(new byte[0], passed(messages, KEY, 0, 64));
  }
}
