package dev.kindling.proxy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.exceptions.MessageTooLargeException;
import org.eclipse.jetty.websocket.api.exceptions.WebSocketTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One browser connection relayed to one VM websockify: two listeners, one per side.
 *
 * <p>Neither side reads on its own (no auto-demand). A frame read from one side is written to the
 * other, and only when that write completes is the next frame demanded from the first side. That
 * chain is the backpressure: a side that stops reading stops the other side being read, so at
 * most one frame per direction is ever held here. A tick checks write timeouts and idleness and
 * pings both sides. A failure or close on one side closes the other with the code and reason
 * passed through, and every end goes through {@link #end}.
 */
final class Relay {
  private static final Logger LOG = LoggerFactory.getLogger(Relay.class);
  private static final ByteBuffer PING = ByteBuffer.wrap("kindling".getBytes(StandardCharsets.US_ASCII)).asReadOnlyBuffer();

  private final String sessionId;
  private final String connectionId;
  private final ProxyConfig config;
  private final ProxyMetrics metrics;
  private final Runnable onEnd;
  private final ScheduledExecutorService ticker;
  private final BrowserSide browserSide = new BrowserSide();
  private final UpstreamSide upstreamSide = new UpstreamSide();
  private final Direction toUpstream = new Direction("to_upstream", true);
  private final Direction toBrowser = new Direction("to_browser", false);
  private final AtomicBoolean ended = new AtomicBoolean();
  private final AtomicBoolean counted = new AtomicBoolean();
  private volatile Session browser;
  private volatile Session upstream;
  private volatile long lastDataNanos = System.nanoTime();
  private volatile long lastPingNanos = System.nanoTime();
  private volatile ScheduledFuture<?> tick;
  private volatile int endCode = CloseOutcome.PROXY_SHUTTING_DOWN.closeCode();
  private volatile String endReason = CloseOutcome.PROXY_SHUTTING_DOWN.reason();

  Relay(String sessionId, String connectionId, ProxyConfig config, ProxyMetrics metrics, ScheduledExecutorService ticker, Runnable onEnd) {
    this.sessionId = sessionId;
    this.connectionId = connectionId;
    this.config = config;
    this.metrics = metrics;
    this.ticker = ticker;
    this.onEnd = onEnd;
  }

  Session.Listener browserListener() {
    return browserSide;
  }

  Session.Listener upstreamListener() {
    return upstreamSide;
  }

  boolean browserOpened() {
    return browser != null;
  }

  int endCode() {
    return endCode;
  }

  String endReason() {
    return endReason;
  }

  boolean isEnded() {
    return ended.get();
  }

  /** Ends the relay with {@code outcome}'s code and reason on both sides. */
  void end(CloseOutcome outcome, String detail, Throwable cause) {
    end(outcome, outcome.closeCode(), outcome.reasonWith(detail), detail, cause);
  }

  void end(CloseOutcome outcome, int code, String reason, Throwable cause) {
    end(outcome, code, reason, null, cause);
  }

  /**
   * The one place a relay ends: logs by blame, counts the outcome, cancels the tick and closes
   * whichever sides are open. {@code code} is what the browser gets; the VM gets the same code
   * when it may be sent, else 1001.
   */
  private void end(CloseOutcome outcome, int code, String reason, String detail, Throwable cause) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    int sent = CloseOutcome.transmittable(code) ? code : outcome.closeCode();
    String text = CloseOutcome.fitReason(reason == null || reason.isBlank() ? outcome.reason() : reason, outcome.reason());
    endCode = sent;
    endReason = text;
    log(outcome, sent, text, detail, cause);
    metrics.closed(outcome, sent);
    ScheduledFuture<?> t = tick;
    if (t != null) {
      t.cancel(false);
    }
    close(browser, sent, text);
    close(upstream, sent, text);
    if (counted.compareAndSet(true, false)) {
      metrics.sessionClosed();
    }
    onEnd.run();
  }

  private void log(CloseOutcome outcome, int code, String reason, String detail, Throwable cause) {
    String message = "session {} connection {} ended: {} (code {}, \"{}\"){}";
    String why = detail != null ? ": " + detail : cause == null ? "" : ": " + cause;
    switch (outcome.blame()) {
      case PROXY -> LOG.error(message, sessionId, connectionId, outcome, code, reason, why, cause);
      case UPSTREAM -> LOG.warn(message, sessionId, connectionId, outcome, code, reason, why);
      case CLIENT, NONE -> LOG.info(message, sessionId, connectionId, outcome, code, reason, why);
    }
  }

  private static void close(Session session, int code, String reason) {
    if (session != null && session.isOpen()) {
      session.close(code, reason, Callback.NOOP);
    }
  }

  private void started() {
    if (counted.compareAndSet(false, true)) {
      metrics.sessionOpened();
    }
    long period = Math.max(10, Math.min(config.pingInterval().toMillis(), Math.min(config.idleTimeout().toMillis(), config.writeTimeout().toMillis()) / 2));
    tick = ticker.scheduleAtFixedRate(this::onTick, period, period, TimeUnit.MILLISECONDS);
    if (ended.get()) {
      tick.cancel(false);
      return;
    }
    upstream.demand();
    browser.demand();
  }

  private void onTick() {
    try {
      long now = System.nanoTime();
      if (toBrowser.stalledSince(now) > config.writeTimeout().toNanos()) {
        end(CloseOutcome.BROWSER_TOO_SLOW, null, null);
      } else if (toUpstream.stalledSince(now) > config.writeTimeout().toNanos()) {
        end(CloseOutcome.UPSTREAM_STALLED, null, null);
      } else if (now - lastDataNanos > config.idleTimeout().toNanos()) {
        end(CloseOutcome.IDLE_TIMEOUT, null, null);
      } else if (now - lastPingNanos >= config.pingInterval().toNanos()) {
        lastPingNanos = now;
        ping(browser);
        ping(upstream);
      }
    } catch (RuntimeException e) {
      end(CloseOutcome.INTERNAL_ERROR, null, e);
    }
  }

  private static void ping(Session session) {
    if (session != null && session.isOpen()) {
      session.sendPing(PING.slice(), Callback.NOOP);
    }
  }

  private void forwardBinary(Direction direction, Session from, Session to, ByteBuffer payload, boolean last, Callback callback) {
    int size = payload.remaining();
    direction.admit(size);
    lastDataNanos = System.nanoTime();
    to.sendPartialBinary(payload, last, Callback.from(() -> {
      // The payload belongs to the side it was read from until it has been written.
      callback.succeed();
      direction.written(size, from);
    }, failure -> {
      callback.fail(failure);
      direction.failed(size);
      writeFailed(direction, failure);
    }));
    direction.demandIfRoom(from);
  }

  private void forwardText(Direction direction, Session from, Session to, String payload, boolean last) {
    int size = utf8Length(payload);
    direction.admit(size);
    lastDataNanos = System.nanoTime();
    to.sendPartialText(payload, last, Callback.from(() -> direction.written(size, from), failure -> {
      direction.failed(size);
      writeFailed(direction, failure);
    }));
    direction.demandIfRoom(from);
  }

  private static int utf8Length(String text) {
    int bytes = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  private void writeFailed(Direction direction, Throwable failure) {
    if (direction.toUpstream) {
      end(CloseOutcome.UPSTREAM_CLOSED, "write to VM failed", failure);
    } else {
      end(CloseOutcome.BROWSER_CLOSED, 1001, "browser went away", failure);
    }
  }

  private static void pong(Session session, ByteBuffer payload) {
    session.sendPong(payload, Callback.from(session::demand, failure -> {}));
  }

  /**
   * Bytes read from one side and not yet written to the other. The next frame is demanded while
   * fewer than {@code maxQueuedBytes} are unwritten; at the bound the side is paused, and the write
   * completion that brings it back under the bound demands again. Exactly one of the two paths
   * demands, so each side has at most one demand outstanding.
   */
  private final class Direction {
    private final String label;
    private final boolean toUpstream;
    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicBoolean paused = new AtomicBoolean();
    private volatile long lastProgressNanos;

    Direction(String label, boolean toUpstream) {
      this.label = label;
      this.toUpstream = toUpstream;
    }

    void admit(long bytes) {
      if (inFlight.getAndAdd(bytes) == 0) {
        lastProgressNanos = System.nanoTime();
      }
      metrics.queued(bytes);
    }

    /** After forwarding a frame: demand the next one now, or pause until writes catch up. */
    void demandIfRoom(Session from) {
      if (inFlight.get() < config.maxQueuedBytes()) {
        from.demand();
        return;
      }
      paused.set(true);
      if (inFlight.get() < config.maxQueuedBytes() && paused.compareAndSet(true, false)) {
        from.demand();
      }
    }

    void written(long bytes, Session from) {
      lastProgressNanos = System.nanoTime();
      long left = inFlight.addAndGet(-bytes);
      metrics.queued(-bytes);
      metrics.relayed(toUpstream, bytes);
      if (left < config.maxQueuedBytes() && paused.get() && paused.compareAndSet(true, false)) {
        from.demand();
      }
    }

    void failed(long bytes) {
      inFlight.addAndGet(-bytes);
      metrics.queued(-bytes);
    }

    /** How long writes this way have made no progress while bytes were waiting; 0 when none wait. */
    long stalledSince(long now) {
      return inFlight.get() == 0 ? 0 : now - lastProgressNanos;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /** The browser's side: opened only after the VM's side is connected and verified. */
  public final class BrowserSide implements Session.Listener {
    @Override
    public void onWebSocketOpen(Session session) {
      browser = session;
      if (ended.get()) {
        close(session, endCode, endReason);
        return;
      }
      LOG.debug("session {} connection {} relaying", sessionId, connectionId);
      started();
    }

    @Override
    public void onWebSocketPartialBinary(ByteBuffer payload, boolean last, Callback callback) {
      forwardBinary(toUpstream, browser, upstream, payload, last, callback);
    }

    @Override
    public void onWebSocketPartialText(String payload, boolean last) {
      forwardText(toUpstream, browser, upstream, payload, last);
    }

    @Override
    public void onWebSocketPing(ByteBuffer payload) {
      pong(browser, payload);
    }

    @Override
    public void onWebSocketPong(ByteBuffer payload) {
      browser.demand();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
      if (cause instanceof WebSocketTimeoutException) {
        end(CloseOutcome.IDLE_TIMEOUT, "browser connection idle", null);
      } else if (cause instanceof MessageTooLargeException) {
        end(CloseOutcome.BROWSER_CLOSED, 1009, "message larger than " + config.maxFrameBytes() + " bytes", null);
      } else {
        end(CloseOutcome.BROWSER_CLOSED, 1001, "browser connection failed", cause);
      }
    }

    @Override
    public void onWebSocketClose(int code, String reason, Callback callback) {
      end(CloseOutcome.BROWSER_CLOSED, CloseOutcome.transmittable(code) ? code : 1001, reason, null);
      callback.succeed();
    }

  }

  /** The VM's side: connected first; not read until the browser's side is open. */
  public final class UpstreamSide implements Session.Listener {
    @Override
    public void onWebSocketOpen(Session session) {
      upstream = session;
      if (ended.get()) {
        close(session, endCode, endReason);
      }
    }

    @Override
    public void onWebSocketPartialBinary(ByteBuffer payload, boolean last, Callback callback) {
      forwardBinary(toBrowser, upstream, browser, payload, last, callback);
    }

    @Override
    public void onWebSocketPartialText(String payload, boolean last) {
      forwardText(toBrowser, upstream, browser, payload, last);
    }

    @Override
    public void onWebSocketPing(ByteBuffer payload) {
      pong(upstream, payload);
    }

    @Override
    public void onWebSocketPong(ByteBuffer payload) {
      upstream.demand();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
      if (upstream == null) {
        return; // a failed connect: the connecting code classifies it
      }
      if (cause instanceof WebSocketTimeoutException) {
        end(CloseOutcome.IDLE_TIMEOUT, "VM connection idle", null);
      } else {
        end(CloseOutcome.UPSTREAM_CLOSED, "connection to VM failed", cause);
      }
    }

    @Override
    public void onWebSocketClose(int code, String reason, Callback callback) {
      callback.succeed();
      if (CloseOutcome.transmittable(code)) {
        end(CloseOutcome.UPSTREAM_CLOSED, code, reason == null || reason.isBlank() ? CloseOutcome.UPSTREAM_CLOSED.reason() : reason, null);
      } else {
        end(CloseOutcome.UPSTREAM_CLOSED, null, null);
      }
    }

  }
}
