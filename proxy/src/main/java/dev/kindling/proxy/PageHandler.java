package dev.kindling.proxy;

import dev.kindling.proxy.RouteResolver.Resolution;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's noVNC page ({@code <prefix>/<id>/}). The page holds no secret: it passes the link's
 * token to the WebSocket, and the proxy, not the browser, authenticates to the VM's VNC server.
 * noVNC's own files are served under {@code /novnc/}.
 *
 * <p>A proxy that knows its host ({@link ProxyConfig#hostId()}) first resolves the session, off the
 * I/O threads: a session whose VM lives on another host is redirected (307, keeping the link's
 * query and so its token) to its page on that host's proxy, or refused with 421 naming the host
 * when that host publishes no page URL. Any other answer, a failed lookup included, serves the
 * page, whose WebSocket then reports the session's state with a close code and reason.
 */
final class PageHandler extends Handler.Abstract {
  private static final Logger log = LoggerFactory.getLogger(PageHandler.class);
  private static final String TEMPLATE = load();

  private final ProxyConfig config;
  private final RouteResolver resolver;
  private final Executor workers;

  PageHandler(ProxyConfig config, RouteResolver resolver, Executor workers) {
    super(InvocationType.NON_BLOCKING);
    this.config = config;
    this.resolver = resolver;
    this.workers = workers;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    SessionPath path = SessionPath.parse(config.pathPrefix(), Request.getPathInContext(request));
    if (path == null || !HttpMethod.GET.is(request.getMethod())) {
      return false;
    }
    if (path.tail() == null) {
      String query = request.getHttpURI().getQuery();
      response.setStatus(302);
      response
          .getHeaders()
          .put(
              HttpHeader.LOCATION,
              config.pagePath(path.sessionId()) + (query == null ? "" : "?" + query));
      callback.succeeded();
      return true;
    }
    if (!path.validId()) {
      HttpReplies.outcome(
          response, callback, CloseOutcome.UNKNOWN_SESSION, CloseOutcome.UNKNOWN_SESSION.reason());
      return true;
    }
    if (path.tail().isEmpty()) {
      if (config.hostId() == null) {
        page(path.sessionId(), response, callback);
      } else {
        String query = request.getHttpURI().getQuery();
        workers.execute(() -> pageOrElsewhere(path.sessionId(), query, response, callback));
      }
      return true;
    }
    return false;
  }

  /** The page, unless the session's VM lives on another host. Blocks on the resolver. */
  private void pageOrElsewhere(
      String sessionId, String query, Response response, Callback callback) {
    Resolution resolution;
    try {
      resolution = resolver.resolve(sessionId);
    } catch (RuntimeException e) {
      // The page's WebSocket resolves again and reports the failure with its close code.
      log.debug("session {}: route lookup for its page failed", sessionId, e);
      resolution = null;
    }
    if (!(resolution instanceof Resolution.Elsewhere elsewhere)) {
      page(sessionId, response, callback);
      return;
    }
    CloseOutcome outcome = CloseOutcome.SESSION_ON_ANOTHER_HOST;
    String location = HttpReplies.redirectable(elsewhere.pageUrl());
    String reason = CloseOutcome.onAnotherHost(elsewhere.hostId(), location);
    if (location == null) {
      log.info("session {} page refused: {} ({})", sessionId, outcome, reason);
      HttpReplies.outcome(response, callback, outcome, reason);
      return;
    }
    log.info("session {} page redirected: {} ({})", sessionId, outcome, reason);
    HttpReplies.redirect(
        response,
        callback,
        query == null ? location : location + (location.contains("?") ? "&" : "?") + query,
        outcome,
        reason);
  }

  private void page(String sessionId, Response response, Callback callback) {
    String page =
        TEMPLATE
            .replace("{{SESSION_JSON}}", HttpReplies.json(sessionId))
            .replace("{{PREFIX_JSON}}", HttpReplies.json(config.pathPrefix()));
    response.getHeaders().put("Referrer-Policy", "no-referrer");
    HttpReplies.text(response, callback, 200, "text/html; charset=utf-8", page);
  }

  private static String load() {
    try (InputStream in = PageHandler.class.getResourceAsStream("session.html")) {
      if (in == null) {
        throw new IllegalStateException("session.html is missing from the proxy's resources");
      }
      // The close codes the page retries after come from the one table.
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .replace("{{VM_NOT_READY_CODE}}", Integer.toString(CloseOutcome.VM_NOT_READY.closeCode()))
          .replace("{{PROXY_FULL_CODE}}", Integer.toString(CloseOutcome.PROXY_FULL.closeCode()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
