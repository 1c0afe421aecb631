package dev.kindling.activities.readiness;

import java.io.IOException;

/** The server answered a WebSocket upgrade with something other than a valid 101 for us. */
public final class WebSocketUpgradeException extends IOException {
  public WebSocketUpgradeException(String message) {
    super(message);
  }
}
