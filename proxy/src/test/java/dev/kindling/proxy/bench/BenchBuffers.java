package dev.kindling.proxy.bench;

import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.RetainableByteBuffer;

/**
 * Buffers for the benchmark's own WebSocket client and echo backend, so that the measuring side
 * keeps up with what it measures. With Jetty's defaults (4 KiB reads) each 64 KiB frame reached the
 * echo backend in 16 pieces that it echoed as 16 frames, one write each, and the client woke up
 * for each of them: straight to the backend was slower than the TCP echo websockify relays to.
 */
final class BenchBuffers {
  /** Larger than a 64 KiB frame with its header, so a frame usually arrives in one read. */
  static final int READ_BYTES = 256 * 1024;

  private BenchBuffers() {}

  /** Pooled up to {@link #READ_BYTES} and always direct, so reads and writes need no extra copy. */
  static ByteBufferPool pool() {
    return new ByteBufferPool.Wrapper(new ArrayByteBufferPool(0, -1, READ_BYTES)) {
      @Override
      public RetainableByteBuffer.Mutable acquire(int size, boolean direct) {
        return super.acquire(size, true);
      }
    };
  }
}
