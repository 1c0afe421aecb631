package dev.kindling.activities.egress;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;

/**
 * Copies bytes both ways between a guest's connection and its upstream, one thread per direction. A
 * direction that reaches its end passes the end on (half-close) and then watches the idle deadline
 * until the other ends too. Either direction counts as activity, so one quiet direction does not
 * end a connection whose other direction is busy; when neither moved a byte for the idle timeout,
 * both sockets close. A failure on either side closes both.
 */
final class Relay {
  private static final int BUFFER = 16 * 1024;

  private final Socket client;
  private final Socket upstream;
  private final long idleNanos;
  private final LongConsumer fromGuest;
  private final LongConsumer toGuest;
  private final boolean endWithUpstream;
  private final long guestBytes;
  private final AtomicInteger running = new AtomicInteger(2);
  private final CountDownLatch ended = new CountDownLatch(1);
  private volatile long lastActivity = System.nanoTime();

  /**
   * @param fromGuest told each count of bytes the guest sent upstream
   * @param toGuest told each count of bytes that went back to the guest
   * @param endWithUpstream whether the guest's side ends as soon as the upstream ends (a forwarded
   *     request: the response is over), rather than when the guest ends it too (a tunnel)
   * @param guestBytes how many more bytes of the guest's go upstream (a forwarded request's body:
   *     what the guest sends after it is never read), or {@link Long#MAX_VALUE} for a tunnel
   */
  Relay(
      Socket client,
      Socket upstream,
      Duration idleTimeout,
      LongConsumer fromGuest,
      LongConsumer toGuest,
      boolean endWithUpstream,
      long guestBytes) {
    this.client = client;
    this.upstream = upstream;
    this.idleNanos = idleTimeout.toNanos();
    this.fromGuest = fromGuest;
    this.toGuest = toGuest;
    this.endWithUpstream = endWithUpstream;
    this.guestBytes = guestBytes;
  }

  /** Relays until both directions have ended or the sockets closed; the caller closes them. */
  void run(String name) {
    Thread out =
        Thread.ofVirtual().name(name + "-out").start(() -> pump(client, upstream, fromGuest));
    pump(upstream, client, toGuest);
    try {
      out.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeBoth();
    }
  }

  private void pump(Socket from, Socket to, LongConsumer counted) {
    byte[] buffer = new byte[BUFFER];
    long remaining = from == client ? guestBytes : Long.MAX_VALUE;
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      while (remaining > 0) {
        long left = idleNanos - (System.nanoTime() - lastActivity);
        if (left <= 0) {
          closeBoth();
          return;
        }
        from.setSoTimeout(RequestHeadReader.millis(left));
        int n;
        try {
          n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
        } catch (SocketTimeoutException e) {
          continue;
        }
        if (n < 0) {
          break;
        }
        lastActivity = System.nanoTime();
        out.write(buffer, 0, n);
        lastActivity = System.nanoTime();
        counted.accept(n);
        remaining -= n;
      }
      if (remaining == 0) {
        // A forwarded request's body is complete: the rest of the guest's bytes stay unread.
        directionEnded();
        return;
      }
      to.shutdownOutput();
      if (from == upstream && endWithUpstream) {
        upstream.close();
      }
    } catch (IOException e) {
      closeBoth();
      return;
    }
    directionEnded();
  }

  private void directionEnded() {
    if (running.decrementAndGet() == 0) {
      ended.countDown();
      return;
    }
    try {
      while (ended.getCount() > 0) {
        long left = idleNanos - (System.nanoTime() - lastActivity);
        if (left <= 0) {
          closeBoth();
          return;
        }
        ended.await(left, TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeBoth();
    }
  }

  private void closeBoth() {
    Sockets.closeQuietly(client);
    Sockets.closeQuietly(upstream);
    ended.countDown();
  }
}
