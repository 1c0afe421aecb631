package dev.kindling.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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
 */
final class PageHandler extends Handler.Abstract {
  private static final Logger log = LoggerFactory.getLogger(PageHandler.class);
  private static final String TEMPLATE = load();

  private final ProxyConfig config;

  PageHandler(ProxyConfig config) {
    super(InvocationType.NON_BLOCKING);
    this.config = config;
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
      String page =
          TEMPLATE
              .replace("{{SESSION_JSON}}", HttpReplies.json(path.sessionId()))
              .replace("{{PREFIX_JSON}}", HttpReplies.json(config.pathPrefix()));
      response.getHeaders().put("Referrer-Policy", "no-referrer");
      HttpReplies.text(response, callback, 200, "text/html; charset=utf-8", page);
      return true;
    }
    return false;
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
