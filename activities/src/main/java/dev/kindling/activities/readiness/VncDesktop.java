package dev.kindling.activities.readiness;

import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.host.rfb.RfbHandshake;
import dev.kindling.host.rfb.RfbSession;
import dev.kindling.host.rfb.ServerInit;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;

/**
 * A VNC connection to a VM's desktop through websockify, as noVNC would make it: for end-to-end
 * tests that want pixels, after readiness passed.
 */
public final class VncDesktop implements AutoCloseable {
  private static final List<String> SUBPROTOCOLS = List.of("binary");

  private final WebSocketClientConnection webSocket;
  private final RfbSession session;

  VncDesktop(WebSocketClientConnection webSocket, RfbSession session) {
    this.webSocket = webSocket;
    this.session = session;
  }

  /**
   * Connects inside the VM's namespace, upgrades offering {@code binary}, and completes the
   * handshake.
   */
  public static VncDesktop open(ProbeTarget target, Duration timeout) throws IOException {
    WebSocketClientConnection ws = connect(target, timeout);
    try {
      return new VncDesktop(
          ws, RfbHandshake.perform(ws.input(), ws.output(), target.vncPassword()));
    } catch (IOException | RuntimeException e) {
      ws.close();
      throw e;
    }
  }

  /** A WebSocket to the VM's websockify, made inside its namespace, offering {@code binary}. */
  static WebSocketClientConnection connect(ProbeTarget target, Duration timeout)
      throws IOException {
    SocketChannel channel =
        NetworkNamespaces.connect(target.namespace(), target.websockify(), timeout);
    try {
      return upgrade(channel, target, timeout);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Upgrades {@code channel}, connected to the VM's websockify, as noVNC would. */
  static WebSocketClientConnection upgrade(
      SocketChannel channel, ProbeTarget target, Duration timeout) throws IOException {
    String host = target.guestAddress() + ":" + target.websockify().getPort();
    return WebSocketClientConnection.upgrade(channel, host, "/", SUBPROTOCOLS, timeout);
  }

  public RfbSession session() {
    return session;
  }

  public ServerInit serverInit() {
    return session.serverInit();
  }

  public WebSocketClientConnection webSocket() {
    return webSocket;
  }

  /** Requests the whole framebuffer and returns the update's rectangles. */
  public List<RfbSession.Rectangle> captureFullFramebuffer() throws IOException {
    session.requestFullFramebuffer();
    return session.readFramebufferUpdate();
  }

  @Override
  public void close() throws IOException {
    webSocket.close();
  }
}
