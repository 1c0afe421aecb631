package dev.kindling.proxy;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;

/**
 * Everything written to one side, one write at a time and in order: frames passed on from the other
 * side, and the proxy's own pings, pongs and close frame. Writes wait in a queue while one is in
 * progress; the queue stays short because each side passes on one read at a time and control frames
 * are answered before the next read. Once the close frame is queued nothing else is.
 */
final class FrameOutput extends IteratingCallback {
  private record Write(ByteBuffer[] buffers, Callback done) {}

  private final EndPoint endPoint;
  private final boolean masked;
  private final ArrayDeque<Write> queue = new ArrayDeque<>();
  private Write current;
  private boolean closeQueued;

  /**
   * @param masked frames to this side are masked: the side is a server (the VM) and the proxy its
   *     client
   */
  FrameOutput(EndPoint endPoint, boolean masked) {
    this.endPoint = endPoint;
    this.masked = masked;
  }

  /** Writes {@code buffers}; {@code done} completes when they are written or cannot be. */
  void write(Callback done, ByteBuffer... buffers) {
    enqueue(new Write(buffers, done), false);
  }

  /** Writes a control frame of the proxy's own (ping or pong). */
  void control(int opcode, byte[] payload, Callback done) {
    enqueue(
        new Write(new ByteBuffer[] {WebSocketFrames.frame(opcode, payload, masked)}, done), false);
  }

  /** Queues the close frame behind whatever is being written; later writes fail. */
  void close(int code, String reason, Callback done) {
    ByteBuffer frame =
        WebSocketFrames.frame(
            WebSocketFrames.CLOSE, WebSocketFrames.closePayload(code, reason), masked);
    enqueue(new Write(new ByteBuffer[] {frame}, done), true);
  }

  private void enqueue(Write write, boolean close) {
    boolean refused;
    synchronized (this) {
      refused = closeQueued;
      if (!refused) {
        closeQueued = close;
        queue.add(write);
      }
    }
    if (refused) {
      write.done.failed(new ClosedChannelException());
    } else {
      iterate();
    }
  }

  @Override
  protected Action process() {
    Write next;
    synchronized (this) {
      next = queue.poll();
      current = next;
    }
    if (next == null) {
      return Action.IDLE;
    }
    endPoint.write(this, next.buffers);
    return Action.SCHEDULED;
  }

  @Override
  protected void onSuccess() {
    Write done;
    synchronized (this) {
      done = current;
      current = null;
    }
    if (done != null) {
      done.done.succeeded();
    }
  }

  @Override
  protected void onCompleteFailure(Throwable failure) {
    Write failed;
    Write[] waiting;
    synchronized (this) {
      failed = current;
      current = null;
      waiting = queue.toArray(Write[]::new);
      queue.clear();
      closeQueued = true;
    }
    if (failed != null) {
      failed.done.failed(failure);
    }
    for (Write w : waiting) {
      w.done.failed(failure);
    }
  }

  @Override
  public InvocationType getInvocationType() {
    return InvocationType.NON_BLOCKING;
  }
}
