package dev.kindling.proxy;

import dev.kindling.host.rfb.RfbClientMessages;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One browser connection relayed to one VM websockify: two {@link RelaySide}s, one per socket.
 *
 * <p>Neither side reads until both are open. What one side reads is passed to the other, and that
 * side reads again only when the write has completed. That chain is the backpressure: a side that
 * stops reading stops the other side being read, so at most one read buffer per direction is ever
 * held here. A tick checks write timeouts and idleness and pings both sides. A failure or close on
 * one side closes the other with the code and reason passed through, and every end goes through
 * {@link #end}.
 */
final class Relay {
  private static final Logger log = LoggerFactory.getLogger(Relay.class);
  private static final byte[] PING = "kindling".getBytes(StandardCharsets.US_ASCII);

  private final String sessionId;
  private final String connectionId;
  private final Scope scope;
  private final RfbClientMessages messages;
  private final ProxyConfig config;
  private final ProxyMetrics metrics;
  private final Runnable onEnd;
  private final ScheduledExecutorService ticker;
  private final SessionActivity activity;
  private long inputReported;
  private final Direction toUpstream = new Direction("to_upstream", true);
  private final Direction toBrowser = new Direction("to_browser", false);
  private final AtomicBoolean ended = new AtomicBoolean();
  private final AtomicBoolean startedOnce = new AtomicBoolean();
  private final AtomicBoolean counted = new AtomicBoolean();
  private volatile RelaySide browser;
  private volatile RelaySide upstream;
  private volatile boolean started;
  private volatile long lastDataNanos = System.nanoTime();
  private volatile long lastPingNanos = System.nanoTime();
  private volatile ScheduledFuture<?> tick;
  private volatile int endCode = CloseOutcome.PROXY_SHUTTING_DOWN.closeCode();
  private volatile String endReason = CloseOutcome.PROXY_SHUTTING_DOWN.reason();

  Relay(
      String sessionId,
      String connectionId,
      Scope scope,
      ProxyConfig config,
      ProxyMetrics metrics,
      ScheduledExecutorService ticker,
      SessionActivity activity,
      Runnable onEnd) {
    this.sessionId = sessionId;
    this.connectionId = connectionId;
    this.scope = scope;
    this.messages = new RfbClientMessages(scope == Scope.VIEW);
    this.config = config;
    this.metrics = metrics;
    this.ticker = ticker;
    this.activity = activity;
    this.onEnd = onEnd;
  }

  /**
   * A relay that has ended before it began, for a browser refused with {@code code} and {@code
   * reason} (counted and logged by whoever refused it): its browser side only sends that close
   * frame and waits for the browser's.
   */
  static Relay refused(
      String sessionId,
      ProxyConfig config,
      ProxyMetrics metrics,
      ScheduledExecutorService ticker,
      int code,
      String reason) {
    Relay relay =
        new Relay(
            sessionId,
            "refused",
            Scope.VIEW,
            config,
            metrics,
            ticker,
            SessionActivity.NONE,
            () -> {});
    relay.endCode = code;
    relay.endReason = reason;
    relay.ended.set(true);
    return relay;
  }

  /** The VM's side of the relay, for the connection to the VM once its handshake has completed. */
  Connection upstreamConnection(EndPoint endPoint, Executor executor, ByteBufferPool buffers) {
    return side(endPoint, executor, buffers, false);
  }

  /** The browser's side of the relay, for the browser's connection once the upgrade is answered. */
  Connection browserConnection(EndPoint endPoint, Executor executor, ByteBufferPool buffers) {
    return side(endPoint, executor, buffers, true);
  }

  private RelaySide side(
      EndPoint endPoint, Executor executor, ByteBufferPool buffers, boolean browser) {
    endPoint.setIdleTimeout(UpstreamConnector.jettyIdleTimeout(config).toMillis());
    // One read fills a pooled buffer (less its header area) and never exceeds the queue bound.
    int readBytes =
        (int)
            Math.min(RelayBuffers.READ_BYTES - Segments.HEADER_AREA_BYTES, config.maxQueuedBytes());
    return new RelaySide(
        endPoint,
        executor,
        this,
        browser,
        buffers,
        readBytes,
        config.maxFrameBytes(),
        browser ? messages : null);
  }

  String sessionId() {
    return sessionId;
  }

  String connectionId() {
    return connectionId;
  }

  /** What the token allowed; a control connection may since have been made view-only. */
  Scope scope() {
    return scope;
  }

  /** Keys, pointer and clipboard messages the browser has sent (passed on or dropped). */
  private long inputMessages() {
    return messages.viewOnlyRequested() ? inputReported : messages.inputMessages();
  }

  /**
   * Makes this connection view-only from its next message on; false when its messages cannot be
   * followed (it must be closed instead).
   */
  boolean makeViewOnly() {
    if (messages.lost()) {
      return false;
    }
    messages.requestViewOnly(true);
    return true;
  }

  boolean browserOpened() {
    return browser != null;
  }

  boolean started() {
    return started;
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
   * whichever sides are open. Both sides get {@code code} (a peer's own, passed through) when it
   * may be sent in a close frame, else the outcome's code.
   */
  private void end(CloseOutcome outcome, int code, String reason, String detail, Throwable cause) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    int sent = CloseOutcome.transmittable(code) ? code : outcome.closeCode();
    String text =
        CloseOutcome.fitReason(
            reason == null || reason.isBlank() ? outcome.reason() : reason, outcome.reason());
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
      case PROXY -> log.error(message, sessionId, connectionId, outcome, code, reason, why, cause);
      case UPSTREAM -> log.warn(message, sessionId, connectionId, outcome, code, reason, why);
      case CLIENT, NONE -> log.info(message, sessionId, connectionId, outcome, code, reason, why);
    }
  }

  private void close(RelaySide side, int code, String reason) {
    if (side != null) {
      side.close(code, reason, closeGraceMillis());
    }
  }

  /**
   * How long a side may take to send its close frame and get the peer's before its socket is
   * closed.
   */
  private long closeGraceMillis() {
    return Math.max(5000, config.writeTimeout().toMillis());
  }

  void schedule(Runnable action, long millis) {
    ticker.schedule(action, millis, TimeUnit.MILLISECONDS);
  }

  /** A side's connection is open: the VM's first, then the browser's, which starts the relay. */
  void opened(RelaySide side) {
    if (side.isBrowser()) {
      browser = side;
    } else {
      upstream = side;
    }
    if (ended.get()) {
      side.close(endCode, endReason, closeGraceMillis());
      return;
    }
    if (side.isBrowser()) {
      log.debug("session {} connection {} relaying", sessionId, connectionId);
      start();
    }
  }

  private void start() {
    RelaySide b = browser;
    RelaySide u = upstream;
    if (b == null || u == null || !startedOnce.compareAndSet(false, true)) {
      return;
    }
    if (counted.compareAndSet(false, true)) {
      metrics.sessionOpened();
    }
    long period =
        Math.max(
            10,
            Math.min(
                Math.min(
                    config.pingInterval().toMillis(), config.activityReportInterval().toMillis()),
                Math.min(config.idleTimeout().toMillis(), config.writeTimeout().toMillis()) / 2));
    tick = ticker.scheduleAtFixedRate(this::onTick, period, period, TimeUnit.MILLISECONDS);
    if (ended.get()) {
      tick.cancel(false);
      return;
    }
    started = true;
    u.start();
    b.start();
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
      }
      long input = inputMessages();
      if (input != inputReported) {
        inputReported = input;
        activity.input(sessionId);
      }
      if (ended.get()) {
        return;
      }
      if (now - lastPingNanos >= config.pingInterval().toNanos()) {
        lastPingNanos = now;
        browser.ping(PING);
        upstream.ping(PING);
      }
    } catch (RuntimeException e) {
      end(CloseOutcome.INTERNAL_ERROR, null, e);
    }
  }

  /**
   * Passes what {@code from} read to the other side; {@code resume} continues {@code from}'s
   * reading once the write has completed (or failed, which ends the relay). False when the relay
   * has ended and nothing was written.
   */
  boolean forward(RelaySide from, Segments segments, Callback resume) {
    RelaySide to = from.isBrowser() ? upstream : browser;
    if (ended.get() || to == null) {
      return false;
    }
    Direction direction = from.isBrowser() ? toUpstream : toBrowser;
    long bytes = segments.payloadBytes();
    direction.admit(bytes);
    lastDataNanos = System.nanoTime();
    to.output()
        .write(
            Callback.from(
                Invocable.InvocationType.NON_BLOCKING,
                () -> {
                  direction.written(bytes);
                  resume.succeeded();
                },
                failure -> {
                  direction.failed(bytes);
                  writeFailed(direction, failure);
                  resume.succeeded();
                }),
            segments.toBuffers());
    return true;
  }

  private void writeFailed(Direction direction, Throwable failure) {
    if (direction.toUpstream) {
      end(CloseOutcome.UPSTREAM_CLOSED, "write to VM failed", failure);
    } else {
      end(CloseOutcome.BROWSER_CLOSED, "write to the browser failed", failure);
    }
  }

  /** {@code side}'s peer sent a close frame. */
  void closeReceived(RelaySide side, int code, String reason) {
    if (side.isBrowser()) {
      end(CloseOutcome.BROWSER_CLOSED, code, reason, null);
    } else if (CloseOutcome.transmittable(code)) {
      end(
          CloseOutcome.UPSTREAM_CLOSED,
          code,
          reason == null || reason.isBlank() ? CloseOutcome.UPSTREAM_CLOSED.reason() : reason,
          null);
    } else {
      end(CloseOutcome.UPSTREAM_CLOSED, null, null);
    }
  }

  /** {@code side}'s peer closed its socket without a close frame. */
  void endOfStream(RelaySide side) {
    if (side.isBrowser()) {
      end(CloseOutcome.BROWSER_CLOSED, "without a close frame", null);
    } else {
      end(CloseOutcome.UPSTREAM_CLOSED, null, null);
    }
  }

  /** {@code side}'s peer broke the WebSocket protocol or sent a message over the size limit. */
  void protocolError(RelaySide side, FrameScanner.Violation violation, String detail) {
    if (!side.isBrowser()) {
      end(CloseOutcome.UPSTREAM_CLOSED, detail, null);
      return;
    }
    CloseOutcome outcome =
        switch (violation) {
          case PROTOCOL_ERROR -> CloseOutcome.BROWSER_PROTOCOL_ERROR;
          case MESSAGE_TOO_BIG -> CloseOutcome.BROWSER_MESSAGE_TOO_BIG;
          case RFB_UNREADABLE -> CloseOutcome.BROWSER_RFB_ERROR;
        };
    end(outcome, detail, null);
  }

  /** Jetty's own idle timeout, a backstop behind the tick's, which ignores pings. */
  void idle(RelaySide side) {
    end(
        CloseOutcome.IDLE_TIMEOUT,
        side.isBrowser() ? "browser connection idle" : "VM connection idle",
        null);
  }

  void failed(RelaySide side, Throwable cause) {
    if (side.isBrowser()) {
      end(CloseOutcome.BROWSER_CLOSED, "connection failed", cause);
    } else {
      end(CloseOutcome.UPSTREAM_CLOSED, "connection to VM failed", cause);
    }
  }

  /** {@code side}'s socket closed; after an end that is expected, before one it is a failure. */
  void closed(RelaySide side, Throwable cause) {
    if (!ended.get()) {
      if (cause == null) {
        endOfStream(side);
      } else {
        failed(side, cause);
      }
    }
  }

  /**
   * Bytes read from one side and not yet written to the other, and when writes this way last made
   * progress: the tick closes a relay whose writes stall for longer than the write timeout.
   */
  private final class Direction {
    private final String label;
    private final boolean toUpstream;
    private final AtomicLong inFlight = new AtomicLong();
    private volatile long lastProgressNanos;

    Direction(String label, boolean toUpstream) {
      this.label = label;
      this.toUpstream = toUpstream;
    }

    void admit(long bytes) {
      lastProgressNanos = System.nanoTime();
      inFlight.addAndGet(bytes);
      metrics.queued(bytes);
    }

    void written(long bytes) {
      lastProgressNanos = System.nanoTime();
      inFlight.addAndGet(-bytes);
      metrics.queued(-bytes);
      metrics.relayed(toUpstream, bytes);
    }

    void failed(long bytes) {
      inFlight.addAndGet(-bytes);
      metrics.queued(-bytes);
    }

    /**
     * How long writes this way have made no progress while bytes were waiting; 0 when none wait.
     */
    long stalledSince(long now) {
      return inFlight.get() == 0 ? 0 : now - lastProgressNanos;
    }

    @Override
    public String toString() {
      return label;
    }
  }
}
