package dev.kindling.activities.readiness;

import dev.kindling.host.rfb.RfbHandshake;
import dev.kindling.host.rfb.RfbSession;
import java.io.IOException;
import java.time.Duration;

/**
 * A pool VM's VNC connection through websockify, waiting at VNC authentication's challenge for the
 * password of the session that claims the VM. Connecting is the slow part of a handshake
 * (websockify starts a handler for the connection, and libvncserver waits 100 ms for a client to
 * speak first before it sends its banner), so a hand-over that finds one only answers the
 * challenge: x11vnc reads its password file when the answer arrives.
 */
final class ParkedHandshake implements AutoCloseable {
  private final String namespace;
  private final WebSocketClientConnection webSocket;
  private final RfbHandshake.VncChallenge challenge;

  ParkedHandshake(
      String namespace, WebSocketClientConnection webSocket, RfbHandshake.VncChallenge challenge) {
    this.namespace = namespace;
    this.webSocket = webSocket;
    this.challenge = challenge;
  }

  /** The namespace the connection was made in: the VM's. */
  String namespace() {
    return namespace;
  }

  /** Answers the challenge with {@code password} and completes the handshake to ServerInit. */
  VncDesktop answer(String password, Duration timeout) throws IOException {
    webSocket.setReadTimeout(timeout);
    RfbSession session =
        RfbHandshake.answer(webSocket.input(), webSocket.output(), challenge, password);
    return new VncDesktop(webSocket, session);
  }

  @Override
  public void close() {
    try {
      webSocket.close();
    } catch (IOException e) {
      // Nothing to keep: the connection is gone either way.
    }
  }
}
