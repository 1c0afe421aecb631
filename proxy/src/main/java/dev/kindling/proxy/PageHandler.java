package dev.kindling.proxy;

import dev.kindling.proxy.RouteResolver.Resolution;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's noVNC page ({@code <prefix>/<id>/}) and the token-protected VNC password the page
 * asks for ({@code <prefix>/<id>/vnc-password}). noVNC's own files are served under {@code
 * /novnc/}.
 */
final class PageHandler extends Handler.Abstract {
  private static final Logger log = LoggerFactory.getLogger(PageHandler.class);
  private static final String TEMPLATE = load();

  private final ProxyConfig config;
  private final SessionTokens tokens;
  private final RouteResolver resolver;
  private final VncPasswords passwords;
  private final OriginPolicy origins;
  private final ExecutorService workers;

  PageHandler(
      ProxyConfig config,
      SessionTokens tokens,
      RouteResolver resolver,
      VncPasswords passwords,
      ExecutorService workers) {
    super(InvocationType.NON_BLOCKING);
    this.config = config;
    this.tokens = tokens;
    this.resolver = resolver;
    this.passwords = passwords;
    this.origins = new OriginPolicy(config.allowedOrigins());
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
      String page =
          TEMPLATE
              .replace("{{SESSION_JSON}}", HttpReplies.json(path.sessionId()))
              .replace("{{PREFIX_JSON}}", HttpReplies.json(config.pathPrefix()));
      response.getHeaders().put("Referrer-Policy", "no-referrer");
      HttpReplies.text(response, callback, 200, "text/html; charset=utf-8", page);
      return true;
    }
    if (path.tail().equals("vnc-password")) {
      workers.execute(() -> password(path.sessionId(), request, response, callback));
      return true;
    }
    return false;
  }

  private void password(String sessionId, Request request, Response response, Callback callback) {
    try {
      if (!origins.permits(
          request.getHeaders().get(HttpHeader.ORIGIN), request.getHeaders().get(HttpHeader.HOST))) {
        HttpReplies.outcome(
            response,
            callback,
            CloseOutcome.ORIGIN_REJECTED,
            CloseOutcome.ORIGIN_REJECTED.reason());
        return;
      }
      Optional<CloseOutcome> refusal =
          tokens
              .verify(sessionId, Request.extractQueryParameters(request).getValue("token"))
              .rejection();
      if (refusal.isPresent()) {
        HttpReplies.outcome(response, callback, refusal.get(), refusal.get().reason());
        return;
      }
      Resolution resolution = resolver.resolve(sessionId);
      if (!(resolution instanceof Resolution.Found found)) {
        CloseOutcome outcome =
            resolution instanceof Resolution.NotReady
                ? CloseOutcome.VM_NOT_READY
                : CloseOutcome.UNKNOWN_SESSION;
        HttpReplies.outcome(response, callback, outcome, outcome.reason());
        return;
      }
      Optional<String> password = passwords.passwordFor(found.route().vmId());
      if (password.isEmpty()) {
        HttpReplies.outcome(
            response,
            callback,
            CloseOutcome.VM_NOT_READY,
            "the VM's VNC password is not on this host");
        return;
      }
      HttpReplies.text(
          response,
          callback,
          200,
          "application/json",
          "{\"password\":" + HttpReplies.json(password.get()) + "}");
    } catch (RuntimeException e) {
      log.error("VNC password for session {} failed", sessionId, e);
      HttpReplies.outcome(
          response, callback, CloseOutcome.INTERNAL_ERROR, CloseOutcome.INTERNAL_ERROR.reason());
    }
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
