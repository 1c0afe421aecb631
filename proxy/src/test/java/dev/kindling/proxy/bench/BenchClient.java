package dev.kindling.proxy.bench;

import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;

/** The load side: one Jetty WebSocket client used the same way against both relays. */
final class BenchClient implements AutoCloseable {
  private final WebSocketClient client;

  BenchClient() throws Exception {
    HttpClient http = new HttpClient();
    QueuedThreadPool threads = new QueuedThreadPool(64, 4);
    threads.setName("bench-client");
    http.setExecutor(threads);
    http.setMaxConnectionsPerDestination(1 << 16);
    http.setMaxRequestsQueuedPerDestination(1 << 16);
    http.setConnectTimeout(10_000);
    http.setByteBufferPool(BenchBuffers.pool());
    client = new WebSocketClient(http);
    client.setMaxFrameSize(8 << 20);
    client.setMaxBinaryMessageSize(8 << 20);
    client.setInputBufferSize(BenchBuffers.READ_BYTES);
    client.setOutputBufferSize(BenchBuffers.READ_BYTES);
    client.setIdleTimeout(Duration.ofHours(1));
    client.start();
  }

  /** Counts what it receives and wakes the thread waiting for it. */
  public static final class Counting implements Session.Listener.AutoDemanding {
    final AtomicLong received = new AtomicLong();
    volatile Session session;
    volatile Thread waiter;

    @Override
    public void onWebSocketOpen(Session session) {
      this.session = session;
    }

    @Override
    public void onWebSocketPartialBinary(ByteBuffer payload, boolean last, Callback callback) {
      received.addAndGet(payload.remaining());
      callback.succeed();
      Thread t = waiter;
      if (t != null) {
        LockSupport.unpark(t);
      }
    }

    @Override
    public void onWebSocketError(Throwable cause) {
      // Connections are dropped at the end of each phase.
    }

    void awaitReceived(long target) {
      waiter = Thread.currentThread();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (received.get() < target) {
        LockSupport.parkNanos(1_000_000);
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("echo did not come back within 30 s");
        }
      }
    }
  }

  /** Holds a connection open and does nothing. */
  public static final class Idle implements Session.Listener.AutoDemanding {
    @Override
    public void onWebSocketError(Throwable cause) {
      // Connections are dropped at the end of each phase.
    }
  }

  Counting connect(URI uri) throws Exception {
    Counting listener = new Counting();
    ClientUpgradeRequest request = new ClientUpgradeRequest(uri);
    request.setSubProtocols("binary");
    client.connect(listener, request).get(30, TimeUnit.SECONDS);
    return listener;
  }

  /** Round-trip times in nanoseconds of {@code rounds} echoes of {@code size} bytes, after a warm-up. */
  static long[] roundTrips(Counting connection, int warmup, int rounds, int size) {
    ByteBuffer payload = ByteBuffer.allocateDirect(size);
    long[] samples = new long[rounds];
    long expected = connection.received.get();
    for (int i = -warmup; i < rounds; i++) {
      long started = System.nanoTime();
      connection.session.sendBinary(payload.duplicate(), Callback.NOOP);
      expected += size;
      connection.awaitReceived(expected);
      if (i >= 0) {
        samples[i] = System.nanoTime() - started;
      }
    }
    return samples;
  }

  /** Echoed bytes per second, sending {@code frame}-sized frames with at most {@code window} bytes unanswered. */
  static double throughput(Counting connection, int frame, int window, Duration warmup, Duration measure) {
    ByteBuffer payload = ByteBuffer.allocateDirect(frame);
    connection.waiter = Thread.currentThread();
    long sent = connection.received.get();
    long measureFrom = System.nanoTime() + warmup.toNanos();
    long end = measureFrom + measure.toNanos();
    long receivedAtStart = -1;
    while (true) {
      long now = System.nanoTime();
      if (receivedAtStart < 0 && now >= measureFrom) {
        receivedAtStart = connection.received.get();
      }
      if (now >= end) {
        double rate = (connection.received.get() - receivedAtStart) / (measure.toNanos() / 1e9);
        connection.awaitReceived(sent);
        return rate;
      }
      if (sent - connection.received.get() + frame > window) {
        LockSupport.parkNanos(100_000);
        continue;
      }
      connection.session.sendBinary(payload.duplicate(), Callback.NOOP);
      sent += frame;
    }
  }

  /** The result of opening many idle connections. */
  record IdleResult(int opened, String stoppedBecause, List<Session> sessions) {}

  /** Opens up to {@code max} idle connections, {@code concurrency} at a time, for at most {@code limit}. */
  IdleResult openIdle(IntFunction<URI> uris, int max, int concurrency, Duration limit) throws InterruptedException {
    Semaphore slots = new Semaphore(concurrency);
    List<Session> sessions = java.util.Collections.synchronizedList(new ArrayList<>(max));
    AtomicReference<String> failure = new AtomicReference<>();
    long deadline = System.nanoTime() + limit.toNanos();
    int started = 0;
    while (started < max && failure.get() == null && System.nanoTime() < deadline) {
      if (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
        continue;
      }
      ClientUpgradeRequest request = new ClientUpgradeRequest(uris.apply(started));
      request.setSubProtocols("binary");
      CompletableFuture<Session> future;
      try {
        future = client.connect(new Idle(), request);
      } catch (Exception e) {
        failure.compareAndSet(null, e.toString());
        break;
      }
      started++;
      future.whenComplete((session, error) -> {
        if (error != null) {
          failure.compareAndSet(null, String.valueOf(error));
        } else {
          sessions.add(session);
        }
        slots.release();
      });
    }
    slots.acquire(concurrency);
    String why = failure.get() != null ? "failure: " + failure.get()
        : sessions.size() >= max ? "reached the cap of " + max
        : "time limit of " + limit.toSeconds() + " s";
    return new IdleResult(sessions.size(), why, sessions);
  }

  @Override
  public void close() throws Exception {
    client.stop();
  }
}
