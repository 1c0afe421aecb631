package dev.kindling.proxy;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.FutureCallback;

/**
 * A socket while the proxy speaks RFB on it itself, before the relay takes over: the VM's side,
 * where the proxy authenticates with the VM's password, and the browser's, where it offers security
 * None. A worker thread reads and writes the WebSocket's binary payload as blocking streams with a
 * deadline; pings are answered and a close frame reads as the end of the stream. What was read but
 * not used is handed to the relay side that takes the socket over, so no byte is lost.
 */
final class HandshakeConnection extends AbstractConnection
    implements Connection.UpgradeTo, Connection.UpgradeFrom {
  private static final int READ_BYTES = 4096;

  private final boolean browser;
  private final ByteBufferPool buffers;
  private final CompletableFuture<Void> opened = new CompletableFuture<>();
  private final Object lock = new Object();
  private ByteBuffer raw = BufferUtil.EMPTY_BUFFER;
  private CompletableFuture<Void> readable;
  private byte[] payload = new byte[0];
  private int payloadAt;
  private long deadlineNanos = Long.MAX_VALUE;
  private boolean closed;

  /**
   * @param browser the browser's socket (frames arrive masked, leave unmasked) or the VM's (the
   *     reverse)
   */
  HandshakeConnection(
      EndPoint endPoint, Executor executor, ByteBufferPool buffers, boolean browser) {
    super(endPoint, executor);
    this.buffers = buffers;
    this.browser = browser;
  }

  /** Hands the socket, with what was read but not used, to the connection {@code next} makes. */
  void upgradeTo(UpstreamConnector.ConnectionFactory next) {
    getEndPoint().upgrade(next.newConnection(getEndPoint(), getExecutor(), buffers));
  }

  /** Every blocking read or write fails once {@code nanos} (a {@link System#nanoTime}) passes. */
  void deadline(long nanos) {
    deadlineNanos = nanos;
  }

  /** Completes once Jetty has opened this connection on its socket. */
  CompletableFuture<Void> opened() {
    return opened;
  }

  InputStream input() {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
      }

      @Override
      public int read(byte[] into, int offset, int length) throws IOException {
        if (length == 0) {
          return 0;
        }
        while (payloadAt == payload.length) {
          if (!nextDataFrame()) {
            return -1;
          }
        }
        int n = Math.min(length, payload.length - payloadAt);
        System.arraycopy(payload, payloadAt, into, offset, n);
        payloadAt += n;
        return n;
      }
    };
  }

  /** Each flush sends what was written since as one binary frame. */
  OutputStream output() {
    return new OutputStream() {
      private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

      @Override
      public void write(int b) {
        pending.write(b);
      }

      @Override
      public void write(byte[] bytes, int offset, int length) {
        pending.write(bytes, offset, length);
      }

      @Override
      public void flush() throws IOException {
        if (pending.size() > 0) {
          send(WebSocketFrames.BINARY, pending.toByteArray());
          pending.reset();
        }
      }
    };
  }

  private void send(int opcode, byte[] bytes) throws IOException {
    FutureCallback written = new FutureCallback();
    getEndPoint().write(written, WebSocketFrames.frame(opcode, bytes, !browser));
    await(written);
  }

  /** Reads frames up to the next data frame with payload; false at a close or end of stream. */
  private boolean nextDataFrame() throws IOException {
    while (true) {
      int b0 = rawByte();
      int b1 = rawByte();
      if (b0 < 0 || b1 < 0) {
        return false;
      }
      boolean masked = (b1 & 0x80) != 0;
      if ((b0 & 0x70) != 0 || masked != browser) {
        throw new ProtocolException(
            "bad WebSocket frame header from the " + (browser ? "browser" : "VM"));
      }
      int opcode = b0 & 0x0F;
      long length = b1 & 0x7F;
      int extra = length == 126 ? 2 : length == 127 ? 8 : 0;
      if (extra > 0) {
        length = 0;
        for (int i = 0; i < extra; i++) {
          length = length << 8 | requireByte();
        }
      }
      if (length < 0 || length > 1 << 20) {
        throw new ProtocolException("a handshake frame of " + length + " bytes");
      }
      int mask = 0;
      for (int i = 0; masked && i < 4; i++) {
        mask = mask << 8 | requireByte();
      }
      byte[] bytes = new byte[(int) length];
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) requireByte();
      }
      if (masked) {
        WebSocketFrames.unmask(bytes, bytes.length, mask);
      }
      switch (opcode) {
        case WebSocketFrames.PING -> send(WebSocketFrames.PONG, bytes);
        case WebSocketFrames.PONG -> {}
        case WebSocketFrames.CLOSE -> {
          closed = true;
          return false;
        }
        case WebSocketFrames.BINARY, WebSocketFrames.CONTINUATION, WebSocketFrames.TEXT -> {
          if (bytes.length > 0) {
            payload = bytes;
            payloadAt = 0;
            return true;
          }
        }
        default -> throw new ProtocolException("unknown WebSocket opcode " + opcode);
      }
    }
  }

  /** True when the peer sent a close frame during the handshake. */
  boolean peerClosed() {
    return closed;
  }

  private int requireByte() throws IOException {
    int b = rawByte();
    if (b < 0) {
      throw new EOFException("the connection ended inside a WebSocket frame");
    }
    return b;
  }

  private int rawByte() throws IOException {
    while (!raw.hasRemaining()) {
      ByteBuffer buffer = BufferUtil.allocate(READ_BYTES);
      int n = getEndPoint().fill(buffer);
      if (n < 0) {
        return -1;
      }
      if (n > 0) {
        raw = buffer;
        break;
      }
      CompletableFuture<Void> wait = new CompletableFuture<>();
      synchronized (lock) {
        readable = wait;
      }
      fillInterested();
      await(wait);
    }
    return raw.get() & 0xFF;
  }

  private void await(java.util.concurrent.Future<?> future) throws IOException {
    long left = deadlineNanos - System.nanoTime();
    try {
      future.get(Math.max(0, left), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new SocketTimeoutException("the RFB handshake took too long");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted during the RFB handshake");
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    }
  }

  @Override
  public void onUpgradeTo(ByteBuffer prefilled) {
    if (BufferUtil.hasContent(prefilled)) {
      raw = BufferUtil.copy(prefilled);
    }
  }

  /**
   * What the relay side must see first: the unread rest of the current frame's payload (as a frame
   * of its own, in the form this side's peer sends) and the bytes read past it.
   */
  @Override
  public ByteBuffer onUpgradeFrom() {
    int rest = payload.length - payloadAt;
    if (rest == 0 && !raw.hasRemaining()) {
      return null;
    }
    ByteBuffer leftover =
        ByteBuffer.allocate(WebSocketFrames.MAX_HEADER_BYTES + rest + raw.remaining());
    if (rest > 0) {
      // A browser's frames must arrive masked: a zero mask leaves the payload as it is.
      WebSocketFrames.putHeader(leftover, true, WebSocketFrames.BINARY, browser, 0, rest);
      leftover.put(payload, payloadAt, rest);
      payloadAt = payload.length;
    }
    leftover.put(raw);
    return leftover.flip();
  }

  @Override
  public void onOpen() {
    super.onOpen();
    opened.complete(null);
  }

  @Override
  public void onFillable() {
    CompletableFuture<Void> wait;
    synchronized (lock) {
      wait = readable;
      readable = null;
    }
    if (wait != null) {
      wait.complete(null);
    }
  }

  @Override
  public void onFillInterestedFailed(Throwable cause) {
    CompletableFuture<Void> wait;
    synchronized (lock) {
      wait = readable;
      readable = null;
    }
    if (wait != null) {
      wait.completeExceptionally(
          cause instanceof IOException ? cause : new IOException("connection failed", cause));
    }
  }

  @Override
  public void onClose(Throwable cause) {
    super.onClose(cause);
    opened.completeExceptionally(new EOFException("the connection closed"));
    onFillInterestedFailed(cause == null ? new EOFException("the connection closed") : cause);
  }

  @Override
  public boolean onIdleExpired(TimeoutException timeout) {
    return true;
  }
}
