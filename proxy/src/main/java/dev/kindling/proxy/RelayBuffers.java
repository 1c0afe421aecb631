package dev.kindling.proxy;

import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ByteBufferPool;

/** The proxy's buffer pool, sized for the relay's reads. */
final class RelayBuffers {
  /**
   * How much one read takes from a socket (with the header area of {@link Segments}), and so the
   * largest piece of a frame passed on at once. Larger than a 64 KiB frame with its header, so such
   * a frame usually arrives in one read and leaves as it came. A relay holds a read buffer only
   * while it has unread or unwritten data, so idle connections do not pay for its size.
   */
  static final int READ_BYTES = 256 * 1024;

  private RelayBuffers() {}

  /** Pools buffers up to one read; Jetty's default pool allocates anything over 64 KiB anew. */
  static ByteBufferPool pool() {
    return new ArrayByteBufferPool(0, -1, READ_BYTES);
  }
}
