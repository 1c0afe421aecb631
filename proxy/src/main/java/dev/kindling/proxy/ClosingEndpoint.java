package dev.kindling.proxy;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/**
 * Accepts a browser's upgrade only to close it at once with a code and reason. Browsers hide the
 * HTTP status of a refused upgrade and report a bare 1006; a close frame is the only way to tell
 * the person in front of noVNC what went wrong.
 */
public final class ClosingEndpoint implements Session.Listener.AutoDemanding {
  private final int code;
  private final String reason;

  ClosingEndpoint(int code, String reason) {
    this.code = code;
    this.reason = reason;
  }

  @Override
  public void onWebSocketOpen(Session session) {
    session.close(code, reason, Callback.NOOP);
  }
}
