package dev.kindling.proxy.bench;

import java.nio.ByteBuffer;

/**
 * WebSocket masking eight bytes at a time, as browsers do it with wide instructions; Jetty's own
 * goes four bytes at a time through bounds-checked buffer calls, which made the benchmark's client
 * and echo backend slower than the relays they measure.
 */
final class Masking {
  private Masking() {}

  /**
   * Writes {@code from[fromAt, fromAt + length)} XOR {@code mask} to {@code to} at {@code toAt}.
   * Both buffers must be big-endian (the default), and may be the same buffer at the same place.
   */
  static void xor(ByteBuffer from, int fromAt, ByteBuffer to, int toAt, int length, int mask) {
    long wide = (mask & 0xFFFFFFFFL) << 32 | (mask & 0xFFFFFFFFL);
    int i = 0;
    for (; i + 8 <= length; i += 8) {
      to.putLong(toAt + i, from.getLong(fromAt + i) ^ wide);
    }
    for (; i < length; i++) {
      to.put(toAt + i, (byte) (from.get(fromAt + i) ^ (mask >>> (24 - 8 * (i & 3)))));
    }
  }
}
