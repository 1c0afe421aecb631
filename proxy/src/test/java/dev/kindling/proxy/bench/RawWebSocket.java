package dev.kindling.proxy.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The load side of the latency and throughput phases: a minimal blocking WebSocket client, used the
 * same way against every path. It sends binary frames masked with a fresh key each, eight bytes at
 * a time, and a reader thread counts the payload bytes that come back and wakes the sender. Every
 * frame's payload is a run of RFB FramebufferUpdateRequests ({@link BenchRfb#updateRequests}).
 */
final class RawWebSocket implements AutoCloseable {
  private static final int READ_BYTES = 256 * 1024;

  /** Enough for the upgrade response and the RFB handshake's frames, whichever read they are in. */
  private static final int HANDSHAKE_READ_BYTES = 8192;

  private final SocketChannel channel;
  private final ByteBuffer out;
  private final AtomicLong received = new AtomicLong();
  private final Thread reader;
  private volatile Thread waiter;
  private volatile IOException failure;

  private RawWebSocket(SocketChannel channel, int maxFrame, ByteBuffer leftover) {
    this.channel = channel;
    this.out = ByteBuffer.allocateDirect(14 + maxFrame);
    this.reader =
        Thread.ofPlatform().name("raw-websocket-reader").daemon().start(() -> read(leftover));
  }

  /**
   * Connects and upgrades, offering the binary subprotocol; frames up to {@code maxFrame} bytes can
   * be sent.
   */
  static RawWebSocket connect(URI uri, int maxFrame) throws IOException {
    SocketChannel channel = SocketChannel.open(new InetSocketAddress(uri.getHost(), uri.getPort()));
    return new RawWebSocket(channel, maxFrame, upgrade(channel, uri));
  }

  /**
   * Connects through the Kindling proxy: upgrades as {@link #connect} does, then does noVNC's side
   * of the RFB handshake the proxy offers, so that the relay has started when this returns.
   */
  static RawWebSocket connectThroughProxy(URI uri, int maxFrame) throws IOException {
    SocketChannel channel = SocketChannel.open(new InetSocketAddress(uri.getHost(), uri.getPort()));
    ByteBuffer in = ByteBuffer.allocate(HANDSHAKE_READ_BYTES).put(upgrade(channel, uri)).flip();
    try {
      NoVncHandshake.perform(new HandshakeStream(channel, in, true));
    } catch (IOException e) {
      channel.close();
      throw new IOException(
          "the RFB handshake through " + uri.getPath() + " failed: " + e.getMessage(), e);
    }
    return new RawWebSocket(channel, maxFrame, in);
  }

  /** Sends the upgrade request and reads the answer; returns what arrived after it. */
  private static ByteBuffer upgrade(SocketChannel channel, URI uri) throws IOException {
    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    byte[] nonce = new byte[16];
    ThreadLocalRandom.current().nextBytes(nonce);
    String path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    String request =
        "GET "
            + path
            + " HTTP/1.1\r\nHost: "
            + uri.getHost()
            + ":"
            + uri.getPort()
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
            + Base64.getEncoder().encodeToString(nonce)
            + "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: binary\r\n\r\n";
    ByteBuffer bytes = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
    ByteBuffer response = ByteBuffer.allocate(HANDSHAKE_READ_BYTES);
    int end;
    while ((end = headersEnd(response)) < 0) {
      if (!response.hasRemaining() || channel.read(response) < 0) {
        channel.close();
        throw new IOException("no complete upgrade response from " + uri);
      }
    }
    String head = new String(response.array(), 0, end, StandardCharsets.US_ASCII);
    if (!head.startsWith("HTTP/1.1 101")) {
      channel.close();
      throw new IOException(
          "upgrade refused by " + uri + ": " + head.lines().findFirst().orElse(""));
    }
    ByteBuffer leftover = ByteBuffer.allocate(response.position() - end);
    return leftover.put(response.array(), end, leftover.capacity()).flip();
  }

  private static int headersEnd(ByteBuffer response) {
    byte[] a = response.array();
    for (int i = 3; i < response.position(); i++) {
      if (a[i - 3] == '\r' && a[i - 2] == '\n' && a[i - 1] == '\r' && a[i] == '\n') {
        return i + 1;
      }
    }
    return -1;
  }

  /** Sends {@code payload[0, size)} as one masked binary frame. */
  void send(ByteBuffer payload, int size) throws IOException {
    int mask = ThreadLocalRandom.current().nextInt();
    out.clear();
    out.put((byte) 0x82);
    if (size < 126) {
      out.put((byte) (0x80 | size));
    } else if (size <= 0xFFFF) {
      out.put((byte) (0x80 | 126)).putShort((short) size);
    } else {
      out.put((byte) (0x80 | 127)).putLong(size);
    }
    out.putInt(mask);
    Masking.xor(payload, 0, out, out.position(), size, mask);
    out.position(out.position() + size).flip();
    while (out.hasRemaining()) {
      channel.write(out);
    }
  }

  long received() {
    return received.get();
  }

  void awaitReceived(long target) throws IOException {
    waiter = Thread.currentThread();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (received.get() < target) {
      if (failure != null) {
        throw failure;
      }
      LockSupport.parkNanos(1_000_000);
      if (System.nanoTime() > deadline) {
        throw new IOException("echo did not come back within 30 s");
      }
    }
  }

  /**
   * Counts the payload bytes of the data frames that arrive; only headers are read, never payloads.
   * Control frames (the proxy's pings) are skipped.
   */
  private void read(ByteBuffer leftover) {
    ByteBuffer in = ByteBuffer.allocateDirect(READ_BYTES);
    in.put(leftover).flip();
    long payloadLeft = 0;
    boolean data = false;
    try {
      while (true) {
        while (in.hasRemaining()) {
          if (payloadLeft > 0) {
            int n = (int) Math.min(payloadLeft, in.remaining());
            in.position(in.position() + n);
            payloadLeft -= n;
            if (data) {
              received.addAndGet(n);
              if (payloadLeft == 0) {
                wake();
              }
            }
            continue;
          }
          if (in.remaining() < 2) {
            break;
          }
          data = (in.get(in.position()) & 0x08) == 0;
          long length = frameLength(in);
          if (length < 0) {
            break;
          }
          payloadLeft = length;
        }
        in.compact();
        if (channel.read(in) < 0) {
          return;
        }
        in.flip();
      }
    } catch (IOException e) {
      failure = e;
      wake();
    }
  }

  /**
   * Consumes one server frame's header and returns its payload length, or -1 (nothing consumed)
   * when incomplete.
   */
  private static long frameLength(ByteBuffer in) {
    if (in.remaining() < 2) {
      return -1;
    }
    int at = in.position();
    int length7 = in.get(at + 1) & 0x7F;
    int header = length7 < 126 ? 2 : length7 == 126 ? 4 : 10;
    if (in.remaining() < header) {
      return -1;
    }
    long length =
        length7 < 126
            ? length7
            : length7 == 126 ? in.getShort(at + 2) & 0xFFFF : in.getLong(at + 2);
    in.position(at + header);
    return length;
  }

  private void wake() {
    Thread t = waiter;
    if (t != null) {
      LockSupport.unpark(t);
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
    try {
      reader.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Round-trip times in nanoseconds of {@code rounds} echoes of {@code size} bytes, after a
   * warm-up.
   */
  static long[] roundTrips(RawWebSocket connection, int warmup, int rounds, int size)
      throws IOException {
    ByteBuffer payload = BenchRfb.updateRequests(size);
    long[] samples = new long[rounds];
    long expected = connection.received();
    for (int i = -warmup; i < rounds; i++) {
      long started = System.nanoTime();
      connection.send(payload, size);
      expected += size;
      connection.awaitReceived(expected);
      if (i >= 0) {
        samples[i] = System.nanoTime() - started;
      }
    }
    return samples;
  }

  /**
   * Echoed bytes per second, sending {@code frame}-sized frames with at most {@code window} bytes
   * unanswered.
   */
  static double throughput(
      RawWebSocket connection,
      ByteBuffer payload,
      int frame,
      int window,
      Duration warmup,
      Duration measure)
      throws IOException {
    connection.waiter = Thread.currentThread();
    long sent = connection.received();
    long measureFrom = System.nanoTime() + warmup.toNanos();
    long end = measureFrom + measure.toNanos();
    long receivedAtStart = -1;
    while (true) {
      long now = System.nanoTime();
      if (receivedAtStart < 0 && now >= measureFrom) {
        receivedAtStart = connection.received();
      }
      if (now >= end) {
        double rate = (connection.received() - receivedAtStart) / (measure.toNanos() / 1e9);
        connection.awaitReceived(sent);
        return rate;
      }
      if (sent - connection.received() + frame > window) {
        if (connection.failure != null) {
          throw connection.failure;
        }
        LockSupport.parkNanos(100_000);
        continue;
      }
      connection.send(payload, frame);
      sent += frame;
    }
  }
}
