package dev.kindling.proxy;

import java.nio.ByteBuffer;

/**
 * What one write passes on: slices of a read buffer, and new headers for frames passed on in
 * pieces, written into a small header area of the same pooled buffer. Slices that follow each other
 * in the read buffer are merged, so whole frames read together leave in one slice.
 */
final class Segments {
  /** At most this many slices per write; each piece needs two. */
  static final int MAX = 32;

  /** Room for a new header for every piece a write can hold. */
  static final int HEADER_AREA_BYTES = MAX / 2 * WebSocketFrames.MAX_HEADER_BYTES;

  private final ByteBuffer[] sources = new ByteBuffer[MAX];
  private final int[] from = new int[MAX];
  private final int[] to = new int[MAX];
  private ByteBuffer headers;
  private int count;
  private long payloadBytes;

  /** Starts an empty write whose new headers go into {@code headerArea}. */
  void reset(ByteBuffer headerArea) {
    headers = headerArea;
    headers.clear();
    count = 0;
    payloadBytes = 0;
  }

  boolean isEmpty() {
    return count == 0;
  }

  /** Full when another piece (a header and a slice) would not fit. */
  boolean isFull() {
    return count > MAX - 2;
  }

  /** Payload bytes passed on, headers not counted. */
  long payloadBytes() {
    return payloadBytes;
  }

  void countPayload(int bytes) {
    payloadBytes += bytes;
  }

  /** {@code in[start, end)} as it is: whole frames. */
  void addVerbatim(ByteBuffer in, int start, int end) {
    if (count > 0 && sources[count - 1] == in && to[count - 1] == start) {
      to[count - 1] = end;
      return;
    }
    add(in, start, end);
  }

  /** A piece of a frame: a new header, then {@code in[start, start + length)}. */
  void addPiece(
      boolean fin, int opcode, boolean masked, int mask, ByteBuffer in, int start, int length) {
    int headerStart = headers.position();
    WebSocketFrames.putHeader(headers, fin, opcode, masked, mask, length);
    add(headers, headerStart, headers.position());
    if (length > 0) {
      add(in, start, start + length);
    }
  }

  private void add(ByteBuffer source, int start, int end) {
    sources[count] = source;
    from[count] = start;
    to[count] = end;
    count++;
  }

  /** The slices to write, in order. */
  ByteBuffer[] toBuffers() {
    ByteBuffer[] buffers = new ByteBuffer[count];
    for (int i = 0; i < count; i++) {
      buffers[i] = sources[i].slice(from[i], to[i] - from[i]);
    }
    return buffers;
  }
}
