package dev.kindling.proxy;

import dev.kindling.host.rfb.RfbClientMessages;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;
import org.eclipse.jetty.util.thread.Invocable;

/**
 * One side of a relay (the browser's connection or the VM's) after its WebSocket handshake: reads
 * frames from its socket and passes them to the other side, and writes what the other side passes
 * on. Nothing is read until the relay starts, and after that the next read happens only when what
 * the last one passed on has been written: that chain is the backpressure, and it bounds what a
 * side holds to one read buffer, which it returns to the pool whenever it has nothing unread.
 *
 * <p>Reading, scanning and passing on are non-blocking, so they run on the thread that noticed the
 * socket was readable (or that a write completed), without a hand-off to another thread.
 */
final class RelaySide extends AbstractConnection.NonBlocking implements Connection.UpgradeTo {
  /**
   * Reads in a row before a side lets the other connections its thread serves go first, by waiting
   * for the selector again although more may be waiting.
   */
  private static final int READS_PER_TURN = 16;

  private final Relay relay;
  private final boolean browser;
  private final ByteBufferPool buffers;
  private final int readBytes;
  private final FrameScanner scanner;
  private final FrameOutput output;
  private final Segments segments = new Segments();
  private final Pump pump = new Pump();
  private RetainableByteBuffer pooled;
  private ByteBuffer headerArea;
  private ByteBuffer unread;
  private ByteBuffer upgradeLeftover;
  private int readsThisTurn;
  private volatile boolean ending;
  private volatile boolean closeSent;
  private volatile boolean closeReceived;

  /**
   * @param browser the browser's side (frames arrive masked and leave unmasked) or the VM's (the
   *     reverse)
   * @param readBytes how much one read takes from the socket
   * @param messages follows the browser's RFB messages (the browser's side only, else null)
   */
  RelaySide(
      EndPoint endPoint,
      Executor executor,
      Relay relay,
      boolean browser,
      ByteBufferPool buffers,
      int readBytes,
      long maxMessageBytes,
      RfbClientMessages messages) {
    super(endPoint, executor);
    this.relay = relay;
    this.browser = browser;
    this.buffers = buffers;
    this.readBytes = readBytes;
    this.scanner = new FrameScanner(browser, maxMessageBytes, messages);
    this.output = new FrameOutput(endPoint, !browser);
  }

  boolean isBrowser() {
    return browser;
  }

  FrameOutput output() {
    return output;
  }

  /** Starts reading: the relay calls this once both sides are open. */
  void start() {
    pump.iterate();
  }

  /** Sends a ping of the proxy's own. */
  void ping(byte[] payload) {
    if (!ending) {
      output.control(WebSocketFrames.PING, payload, Callback.NOOP);
    }
  }

  /**
   * Ends this side: the close frame goes out behind whatever is being written, then the side reads
   * (and drops) until the peer's close frame or end of stream arrives, and closes its socket then
   * or when {@code graceMillis} run out, whichever comes first.
   */
  void close(int code, String reason, long graceMillis) {
    ending = true;
    output.close(
        code,
        reason,
        Callback.from(
            Invocable.InvocationType.NON_BLOCKING, this::afterCloseSent, this::afterCloseFailed));
    relay.schedule(() -> getEndPoint().close(), graceMillis);
    // A side that never started reading must start now, to see the peer's close frame.
    pump.iterate();
  }

  private void afterCloseSent() {
    closeSent = true;
    if (closeReceived) {
      getEndPoint().close();
    }
  }

  private void afterCloseFailed(Throwable failure) {
    getEndPoint().close(failure);
  }

  @Override
  public void onUpgradeTo(ByteBuffer prefilled) {
    if (BufferUtil.hasContent(prefilled)) {
      upgradeLeftover = BufferUtil.copy(prefilled);
    }
  }

  @Override
  public void onOpen() {
    super.onOpen();
    relay.opened(this);
  }

  @Override
  public void onFillable() {
    pump.iterate();
  }

  @Override
  public void onFillInterestedFailed(Throwable cause) {
    relay.failed(this, cause);
    super.onFillInterestedFailed(cause);
  }

  @Override
  public boolean onIdleExpired(TimeoutException timeout) {
    if (ending) {
      return true;
    }
    relay.idle(this);
    return false;
  }

  @Override
  public void onClose(Throwable cause) {
    super.onClose(cause);
    relay.closed(this, cause);
  }

  /** Reads, scans and passes on, one step at a time; an asynchronous step resumes it when done. */
  private final class Pump extends IteratingCallback {
    @Override
    protected Action process() throws IOException {
      while (true) {
        if (unread != null && unread.hasRemaining()) {
          segments.reset(headerArea);
          switch (scanner.scan(unread, segments)) {
            case FORWARD -> {
              if (!ending && relay.forward(RelaySide.this, segments, this)) {
                return Action.SCHEDULED;
              }
            }
            case CONTROL -> {
              if (onControl()) {
                return Action.SCHEDULED;
              }
            }
            case FAILED ->
                relay.protocolError(RelaySide.this, scanner.violation(), scanner.failureReason());
            case NEED_MORE -> unread.position(unread.limit());
          }
          continue;
        }
        if (closeReceived && ending) {
          release();
          return Action.SUCCEEDED;
        }
        if (!relay.started() && !ending) {
          release();
          return Action.IDLE;
        }
        if (++readsThisTurn > READS_PER_TURN) {
          release();
          return waitForData();
        }
        int filled = fill();
        if (filled > 0) {
          continue;
        }
        release();
        if (filled < 0) {
          relay.endOfStream(RelaySide.this);
          getEndPoint().close();
          return Action.SUCCEEDED;
        }
        return waitForData();
      }
    }

    private Action waitForData() {
      readsThisTurn = 0;
      // A side that was already waiting to read (then closed, and so woken) waits on.
      if (!isFillInterested()) {
        fillInterested();
      }
      return Action.IDLE;
    }

    /**
     * Handles the control frame just scanned; true when that started a write this pump waits for.
     */
    private boolean onControl() {
      int opcode = scanner.controlOpcode();
      byte[] payload = scanner.controlPayload();
      if (opcode == WebSocketFrames.PING && !ending) {
        output.control(WebSocketFrames.PONG, payload, this);
        return true;
      }
      if (opcode == WebSocketFrames.CLOSE) {
        closeReceived = true;
        relay.closeReceived(
            RelaySide.this,
            WebSocketFrames.closeCode(payload, payload.length),
            WebSocketFrames.closeReason(payload, payload.length));
        if (closeSent) {
          getEndPoint().close();
        }
      }
      return false;
    }

    private int fill() throws IOException {
      if (pooled == null) {
        pooled = buffers.acquire(Segments.HEADER_AREA_BYTES + readBytes, true);
        ByteBuffer whole = pooled.getByteBuffer().duplicate().clear();
        headerArea = whole.slice(0, Segments.HEADER_AREA_BYTES);
        unread = whole.slice(Segments.HEADER_AREA_BYTES, readBytes);
        BufferUtil.clear(unread);
      }
      if (upgradeLeftover != null) {
        BufferUtil.clear(unread);
        int n = BufferUtil.append(unread, upgradeLeftover);
        if (!upgradeLeftover.hasRemaining()) {
          upgradeLeftover = null;
        }
        return n;
      }
      BufferUtil.clear(unread);
      return getEndPoint().fill(unread);
    }

    private void release() {
      if (pooled != null) {
        pooled.release();
        pooled = null;
        headerArea = null;
        unread = null;
      }
    }

    @Override
    protected void onCompleteFailure(Throwable cause) {
      release();
      relay.failed(RelaySide.this, cause);
    }

    @Override
    public InvocationType getInvocationType() {
      return InvocationType.NON_BLOCKING;
    }
  }
}
