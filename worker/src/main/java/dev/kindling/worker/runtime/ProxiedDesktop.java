package dev.kindling.worker.runtime;

import dev.kindling.activities.readiness.DesktopFrame;
import dev.kindling.activities.readiness.WebSocketClientConnection;
import dev.kindling.host.rfb.RfbHandshake;
import dev.kindling.host.rfb.RfbSession;
import dev.kindling.host.rfb.ServerInit;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * What a user's noVNC would get: a WebSocket to the proxy with a session token, the RFB handshake
 * the proxy offers (security None: the proxy authenticated to the VM with its password), and one
 * complete framebuffer in the server's own colours.
 */
public record ProxiedDesktop(ServerInit serverInit, DesktopFrame frame) {

  public static ProxiedDesktop capture(
      InetSocketAddress proxy, String wsPath, String token, Duration timeout) throws IOException {
    try (SocketChannel channel = SocketChannel.open(proxy)) {
      String path = wsPath + "?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
      WebSocketClientConnection ws =
          WebSocketClientConnection.upgrade(
              channel,
              proxy.getHostString() + ":" + proxy.getPort(),
              path,
              List.of("binary"),
              timeout);
      try (ws) {
        RfbSession session = RfbHandshake.perform(ws.input(), ws.output(), null);
        return new ProxiedDesktop(
            session.serverInit(),
            DesktopFrame.capture(session, session.serverInit().pixelFormat()));
      }
    }
  }
}
