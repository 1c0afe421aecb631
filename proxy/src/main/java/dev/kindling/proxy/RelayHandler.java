package dev.kindling.proxy;

import dev.kindling.host.rfb.RfbHandshake;
import dev.kindling.host.rfb.RfbHandshakeException;
import dev.kindling.host.rfb.RfbServerHandshake;
import dev.kindling.host.rfb.ServerInit;
import dev.kindling.proxy.RouteResolver.Resolution;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET <prefix>/<sessionId>/websockify}: checks the request, resolves the session's route,
 * connects to the VM's websockify and authenticates to its VNC server with the VM's password (read
 * on this host, never sent anywhere else), and only then upgrades the browser, offers it RFB
 * security None and hands both sockets to a relay.
 *
 * <p>Once a request is a WebSocket upgrade, every failure is reported by accepting the upgrade and
 * closing at once with the outcome's code and reason, because browsers hide a refused upgrade's
 * HTTP status behind a bare 1006. Nothing is relayed on such a connection. Requests that are not
 * upgrades get the outcome's HTTP status.
 */
final class RelayHandler extends Handler.Abstract {
  private static final Logger log = LoggerFactory.getLogger(RelayHandler.class);
  private static final String TAIL = "websockify";

  private final ProxyConfig config;
  private final SessionTokens tokens;
  private final RouteResolver resolver;
  private final UpstreamConnector connector;
  private final VncPasswords passwords;
  private final SessionViewers viewers;
  private final SessionActivity activity;
  private final ProxyMetrics metrics;
  private final SessionLimiter limiter;
  private final OriginPolicy origins;
  private final ScheduledExecutorService ticker;
  private final ExecutorService workers;
  private final Set<Relay> relays;
  private final AtomicLong connections = new AtomicLong();
  private volatile boolean shuttingDown;

  RelayHandler(
      ProxyConfig config,
      SessionTokens tokens,
      RouteResolver resolver,
      UpstreamConnector connector,
      VncPasswords passwords,
      SessionViewers viewers,
      SessionActivity activity,
      ProxyMetrics metrics,
      ScheduledExecutorService ticker,
      ExecutorService workers,
      Set<Relay> relays) {
    super(InvocationType.NON_BLOCKING);
    this.config = config;
    this.tokens = tokens;
    this.resolver = resolver;
    this.connector = connector;
    this.passwords = passwords;
    this.viewers = viewers;
    this.activity = activity;
    this.metrics = metrics;
    this.limiter =
        new SessionLimiter(
            config.sessionConnectionLimit(), ConnectionCapacity.resolve(config.maxConnections()));
    this.origins = new OriginPolicy(config.allowedOrigins());
    this.ticker = ticker;
    this.workers = workers;
    this.relays = relays;
  }

  void shutDown() {
    shuttingDown = true;
  }

  SessionLimiter limiter() {
    return limiter;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    SessionPath path = SessionPath.parse(config.pathPrefix(), Request.getPathInContext(request));
    if (path == null || !TAIL.equals(path.tail())) {
      return false;
    }
    if (!isUpgrade(request)) {
      count(
          CloseOutcome.NOT_A_WEBSOCKET,
          path.sessionId(),
          CloseOutcome.NOT_A_WEBSOCKET.reason(),
          null);
      HttpReplies.outcome(
          response, callback, CloseOutcome.NOT_A_WEBSOCKET, CloseOutcome.NOT_A_WEBSOCKET.reason());
      return true;
    }
    if (SpareDescriptorConnector.acceptedOnSpare(request)) {
      reject(
          request,
          response,
          callback,
          path.sessionId(),
          CloseOutcome.PROXY_FULL,
          "out of file descriptors",
          null);
      return true;
    }
    Optional<CloseOutcome> refusal = admission(path, request);
    if (refusal.isPresent()) {
      reject(request, response, callback, path.sessionId(), refusal.get(), null, null);
      return true;
    }
    SessionLimiter.Admission admitted = limiter.tryAcquire(path.sessionId());
    if (admitted.refusal() != null) {
      reject(
          request,
          response,
          callback,
          path.sessionId(),
          admitted.refusal(),
          admitted.detail(),
          null);
      return true;
    }
    Scope scope = SessionTokens.scopeOf(Request.extractQueryParameters(request).getValue("token"));
    workers.execute(
        () ->
            connectThenUpgrade(
                path.sessionId(), scope, request, response, callback, admitted.slot()));
    return true;
  }

  /** The checks that need no route: shutdown, session id, origin, token. */
  private Optional<CloseOutcome> admission(SessionPath path, Request request) {
    if (shuttingDown) {
      return Optional.of(CloseOutcome.PROXY_SHUTTING_DOWN);
    }
    if (!path.validId()) {
      return Optional.of(CloseOutcome.UNKNOWN_SESSION);
    }
    if (!origins.permits(
        request.getHeaders().get(HttpHeader.ORIGIN), request.getHeaders().get(HttpHeader.HOST))) {
      return Optional.of(CloseOutcome.ORIGIN_REJECTED);
    }
    String token = Request.extractQueryParameters(request).getValue("token");
    return tokens.verify(path.sessionId(), token).rejection();
  }

  private void connectThenUpgrade(
      String sessionId,
      Scope scope,
      Request request,
      Response response,
      Callback callback,
      SessionLimiter.Slot slot) {
    Target target = target(sessionId, request, response, callback, slot);
    if (target == null) {
      return;
    }
    String connectionId = Long.toString(connections.incrementAndGet());
    Relay[] holder = new Relay[1];
    Relay relay =
        new Relay(
            sessionId,
            connectionId,
            scope,
            config,
            metrics,
            ticker,
            activity,
            () -> {
              slot.release();
              relays.remove(holder[0]);
              viewers.leave(holder[0]);
            });
    holder[0] = relay;
    relays.add(relay);
    Duration timeout = config.upstreamConnectTimeout();
    long started = System.nanoTime();
    HandshakeConnection[] vm = new HandshakeConnection[1];
    CompletableFuture<Void> upstream =
        connector.connect(
            target.route().upstream(),
            (endPoint, executor, buffers) ->
                vm[0] = new HandshakeConnection(endPoint, executor, buffers, false),
            timeout);
    try {
      upstream.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
      metrics.upstreamConnected(System.nanoTime() - started);
    } catch (ExecutionException | TimeoutException e) {
      upstream.cancel(true);
      CloseOutcome outcome =
          e instanceof TimeoutException
              ? CloseOutcome.VM_UNREACHABLE
              : UpstreamConnector.classify(e);
      resolver.invalidate(sessionId);
      relay.end(
          outcome,
          UpstreamConnector.describe(e),
          outcome.blame() == CloseOutcome.Blame.PROXY ? e : null);
      acceptAndClose(request, response, callback, relay);
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      relay.end(CloseOutcome.PROXY_SHUTTING_DOWN, null, null);
      acceptAndClose(request, response, callback, relay);
      return;
    }
    ServerInit serverInit =
        authenticate(vm[0], target.password(), started + timeout.toNanos(), relay);
    if (serverInit == null) {
      vm[0].getEndPoint().close();
      acceptAndClose(request, response, callback, relay);
      return;
    }
    if (relay.isEnded()) {
      vm[0].getEndPoint().close();
      acceptAndClose(request, response, callback, relay);
      return;
    }
    if (!BrowserHandshake.acceptable(request)) {
      vm[0].getEndPoint().close();
      relay.end(
          CloseOutcome.NOT_A_WEBSOCKET, "the browser's upgrade request was not acceptable", null);
      HttpReplies.outcome(
          response, callback, CloseOutcome.NOT_A_WEBSOCKET, CloseOutcome.NOT_A_WEBSOCKET.reason());
      return;
    }
    HandshakeConnection[] browser = new HandshakeConnection[1];
    BrowserHandshake.accept(
        request,
        response,
        callback,
        (endPoint, executor, buffers) ->
            browser[0] = new HandshakeConnection(endPoint, executor, buffers, true));
    if (!offerNone(browser[0], serverInit, System.nanoTime() + timeout.toNanos(), relay)) {
      vm[0].getEndPoint().close();
      browser[0].upgradeTo(relay::browserConnection);
      return;
    }
    viewers.join(relay).ifPresent(refused -> relay.end(refused, refused.reason(), null));
    vm[0].upgradeTo(relay::upstreamConnection);
    browser[0].upgradeTo(relay::browserConnection);
  }

  /** Where a session's VM is and the VNC password its host keeps for it. */
  private record Target(Route route, String password) {}

  /** The session's route and VNC password, or null when the browser was refused. */
  private Target target(
      String sessionId,
      Request request,
      Response response,
      Callback callback,
      SessionLimiter.Slot slot) {
    CloseOutcome refusal;
    String detail;
    String reason = null;
    Throwable cause = null;
    try {
      switch (resolver.resolve(sessionId)) {
        case Resolution.Found found -> {
          Optional<String> password = passwords.passwordFor(found.route().vmId());
          if (password.isPresent()) {
            return new Target(found.route(), password.get());
          }
          refusal = CloseOutcome.VM_NOT_READY;
          detail = "the VM's VNC password is not on this host";
        }
        case Resolution.Unknown unknown -> {
          refusal = CloseOutcome.UNKNOWN_SESSION;
          detail = unknown.detail();
        }
        case Resolution.NotReady notReady -> {
          refusal = CloseOutcome.VM_NOT_READY;
          detail = notReady.detail();
        }
        case Resolution.Unroutable unroutable -> {
          refusal = CloseOutcome.VM_UNREACHABLE;
          detail = unroutable.detail();
        }
        case Resolution.Elsewhere elsewhere -> {
          refusal = CloseOutcome.SESSION_ON_ANOTHER_HOST;
          detail = null;
          reason =
              CloseOutcome.onAnotherHost(
                  elsewhere.hostId(), HttpReplies.redirectable(elsewhere.pageUrl()));
        }
      }
    } catch (RuntimeException e) {
      refusal = CloseOutcome.INTERNAL_ERROR;
      detail = "route or VNC password lookup failed";
      cause = e;
    }
    slot.release();
    refuse(
        request,
        response,
        callback,
        sessionId,
        refusal,
        reason == null ? refusal.reasonWith(detail) : reason,
        cause);
    return null;
  }

  /**
   * The VM's side of RFB, as a client with the VM's password; its ServerInit, or null when it
   * failed (the relay has ended with the reason).
   */
  private ServerInit authenticate(
      HandshakeConnection vm, String password, long deadlineNanos, Relay relay) {
    vm.deadline(deadlineNanos);
    try {
      return RfbHandshake.perform(vm.input(), vm.output(), password).serverInit();
    } catch (RfbHandshakeException e) {
      boolean refused = e.rejected() && e.step() == RfbHandshakeException.Step.SECURITY_RESULT;
      relay.end(
          refused ? CloseOutcome.VNC_AUTH_FAILED : CloseOutcome.UPSTREAM_RFB_FAILED,
          e.getMessage(),
          null);
      return null;
    }
  }

  /** The browser's side of RFB: security None and the VM's ServerInit. False when it failed. */
  private boolean offerNone(
      HandshakeConnection browser, ServerInit serverInit, long deadlineNanos, Relay relay) {
    browser.deadline(deadlineNanos);
    try {
      browser.opened().get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
      RfbServerHandshake.offerNone(browser.input(), browser.output(), serverInit);
      return true;
    } catch (RfbHandshakeException e) {
      relay.end(
          browser.peerClosed() ? CloseOutcome.BROWSER_CLOSED : CloseOutcome.BROWSER_RFB_ERROR,
          e.getMessage(),
          null);
    } catch (ExecutionException | TimeoutException e) {
      relay.end(CloseOutcome.BROWSER_CLOSED, "left before the upgrade completed", null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      relay.end(CloseOutcome.PROXY_SHUTTING_DOWN, null, null);
    }
    return false;
  }

  /** Logs and counts {@code outcome}, then tells the browser through a close frame. */
  private void reject(
      Request request,
      Response response,
      Callback callback,
      String sessionId,
      CloseOutcome outcome,
      String detail,
      Throwable cause) {
    refuse(request, response, callback, sessionId, outcome, outcome.reasonWith(detail), cause);
  }

  /**
   * Logs and counts {@code outcome}, then tells the browser {@code reason} through a close frame.
   */
  private void refuse(
      Request request,
      Response response,
      Callback callback,
      String sessionId,
      CloseOutcome outcome,
      String reason,
      Throwable cause) {
    count(outcome, sessionId, reason, cause);
    acceptAndClose(
        request,
        response,
        callback,
        Relay.refused(sessionId, config, metrics, ticker, outcome.closeCode(), reason));
  }

  private void count(CloseOutcome outcome, String sessionId, String reason, Throwable cause) {
    metrics.closed(outcome, outcome.closeCode());
    String message = "session {} refused: {} ({})";
    switch (outcome.blame()) {
      case PROXY -> log.error(message, sessionId, outcome, reason, cause);
      case UPSTREAM -> log.warn(message, sessionId, outcome, reason);
      case CLIENT, NONE -> log.info(message, sessionId, outcome, reason);
    }
  }

  /**
   * Accepts the upgrade only to send {@code ended}'s close code and reason, then closes. A request
   * that is no acceptable upgrade gets the HTTP status of the outcome with that code instead.
   */
  private void acceptAndClose(Request request, Response response, Callback callback, Relay ended) {
    if (BrowserHandshake.acceptable(request)) {
      BrowserHandshake.accept(request, response, callback, ended::browserConnection);
      return;
    }
    HttpReplies.outcome(
        response, callback, CloseOutcome.withCloseCode(ended.endCode()), ended.endReason());
  }

  private static boolean isUpgrade(Request request) {
    return HttpMethod.GET.is(request.getMethod())
        && "websocket".equalsIgnoreCase(request.getHeaders().get(HttpHeader.UPGRADE));
  }
}
