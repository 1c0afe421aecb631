package dev.kindling.activities.readiness;

import dev.kindling.host.Printable;
import dev.kindling.host.websocket.WebSocketFrames;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A minimal RFC 6455 client over a connected, blocking {@link SocketChannel}: enough to speak RFB
 * through websockify. Binary messages (with continuations) are presented as one byte stream ({@link
 * #input()}), pings are answered, and a close is answered and then reads as end of stream. Not
 * thread-safe: one thread reads and writes.
 */
public final class WebSocketClientConnection implements Closeable {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** How the server closed the WebSocket, when it did. */
  public record CloseStatus(int code, String reason) {}

  private final SocketChannel channel;
  private final Socket socket;
  private final InputStream wire;
  private final OutputStream out;
  private final String subprotocol;
  private final MessageInput input = new MessageInput();
  private CloseStatus closeStatus;
  private boolean closeSent;

  private WebSocketClientConnection(SocketChannel channel, InputStream wire, String subprotocol)
      throws IOException {
    this.channel = channel;
    this.socket = channel.socket();
    this.wire = wire;
    this.out = socket.getOutputStream();
    this.subprotocol = subprotocol;
  }

  /**
   * Sends the upgrade request for {@code path} offering {@code subprotocols} and verifies the
   * answer: status 101, {@code Upgrade: websocket}, the {@code Sec-WebSocket-Accept} derived from
   * our key, and a subprotocol we offered (or none). Throws {@link WebSocketUpgradeException}
   * otherwise. On success the connection owns {@code channel}.
   */
  public static WebSocketClientConnection upgrade(
      SocketChannel channel,
      String hostHeader,
      String path,
      List<String> subprotocols,
      Duration readTimeout)
      throws IOException {
    Socket socket = channel.socket();
    socket.setSoTimeout(timeoutMillis(readTimeout));
    byte[] nonce = new byte[16];
    RANDOM.nextBytes(nonce);
    String key = Base64.getEncoder().encodeToString(nonce);
    StringBuilder request =
        new StringBuilder()
            .append("GET ")
            .append(path)
            .append(" HTTP/1.1\r\n")
            .append("Host: ")
            .append(hostHeader)
            .append("\r\n")
            .append("Upgrade: websocket\r\n")
            .append("Connection: Upgrade\r\n")
            .append("Sec-WebSocket-Key: ")
            .append(key)
            .append("\r\n")
            .append("Sec-WebSocket-Version: 13\r\n");
    if (!subprotocols.isEmpty()) {
      request
          .append("Sec-WebSocket-Protocol: ")
          .append(String.join(", ", subprotocols))
          .append("\r\n");
    }
    request.append("\r\n");
    socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.ISO_8859_1));

    InputStream wire = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
    HttpHead head;
    try {
      head = HttpHead.read(wire);
    } catch (ProtocolException e) {
      throw new WebSocketUpgradeException("upgrade answered with " + e.getMessage());
    }
    if (head.status() != 101) {
      throw new WebSocketUpgradeException(
          "upgrade answered '" + Printable.of(head.statusLine()) + "' instead of 101");
    }
    String upgrade = head.header("upgrade");
    if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
      throw new WebSocketUpgradeException("101 without 'Upgrade: websocket' (got " + upgrade + ")");
    }
    String connection = head.header("connection");
    if (connection == null || !connection.toLowerCase(Locale.ROOT).contains("upgrade")) {
      throw new WebSocketUpgradeException(
          "101 without 'Connection: Upgrade' (got " + connection + ")");
    }
    String accept = head.header("sec-websocket-accept");
    if (!WebSocketFrames.acceptFor(key).equals(accept)) {
      throw new WebSocketUpgradeException("101 with a wrong Sec-WebSocket-Accept (" + accept + ")");
    }
    String chosen = head.header("sec-websocket-protocol");
    if (chosen != null && !subprotocols.contains(chosen)) {
      throw new WebSocketUpgradeException(
          "server chose subprotocol '" + chosen + "', which was not offered " + subprotocols);
    }
    return new WebSocketClientConnection(channel, wire, chosen);
  }

  /** The subprotocol the server selected, if any. */
  public Optional<String> subprotocol() {
    return Optional.ofNullable(subprotocol);
  }

  /** The payload of every binary message, in order, as one stream; -1 once the server closed. */
  public InputStream input() {
    return input;
  }

  /** An output stream whose every {@code write} call sends one binary message. */
  public OutputStream output() {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        sendBinary(new byte[] {(byte) b});
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        sendBinary(Arrays.copyOfRange(b, off, off + len));
      }
    };
  }

  public void sendBinary(byte[] payload) throws IOException {
    send(WebSocketFrames.BINARY, payload);
  }

  /** Bounds every blocking read from now on. */
  public void setReadTimeout(Duration timeout) throws IOException {
    socket.setSoTimeout(timeoutMillis(timeout));
  }

  /** How the server closed the WebSocket, once it has. */
  public Optional<CloseStatus> closeStatus() {
    return Optional.ofNullable(closeStatus);
  }

  /** Sends a close frame (once) and closes the TCP connection without waiting for the echo. */
  public void close(int code, String reason) throws IOException {
    try {
      if (!closeSent && channel.isOpen()) {
        closeSent = true;
        send(WebSocketFrames.CLOSE, WebSocketFrames.closePayload(code, reason));
      }
    } finally {
      channel.close();
    }
  }

  @Override
  public void close() throws IOException {
    close(1000, "");
  }

  private void send(int opcode, byte[] payload) throws IOException {
    byte[] mask = new byte[4];
    RANDOM.nextBytes(mask);
    out.write(WebSocketFrames.clientFrame(true, opcode, payload, mask));
    out.flush();
  }

  private static int timeoutMillis(Duration timeout) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
  }

  private final class MessageInput extends InputStream {
    private byte[] current = new byte[0];
    private int position;

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (position == current.length) {
        if (closeStatus != null || !nextDataFrame()) {
          return -1;
        }
      }
      int n = Math.min(len, current.length - position);
      System.arraycopy(current, position, b, off, n);
      position += n;
      return n;
    }

    /** Reads frames until one carries data; false once the server closed the WebSocket. */
    private boolean nextDataFrame() throws IOException {
      while (true) {
        WebSocketFrames.Frame frame = WebSocketFrames.read(wire);
        switch (frame.opcode()) {
          case WebSocketFrames.BINARY, WebSocketFrames.CONTINUATION -> {
            current = frame.payload();
            position = 0;
            return true;
          }
          case WebSocketFrames.PING -> send(WebSocketFrames.PONG, frame.payload());
          case WebSocketFrames.PONG -> {}
          case WebSocketFrames.CLOSE -> {
            closeStatus = parseClose(frame.payload());
            if (!closeSent) {
              closeSent = true;
              send(
                  WebSocketFrames.CLOSE,
                  frame.payload().length >= 2 ? Arrays.copyOf(frame.payload(), 2) : new byte[0]);
            }
            return false;
          }
          case WebSocketFrames.TEXT ->
              throw new ProtocolException("server sent a text message on a binary WebSocket");
          default ->
              throw new ProtocolException("server sent unknown WebSocket opcode " + frame.opcode());
        }
      }
    }

    private CloseStatus parseClose(byte[] payload) {
      if (payload.length < 2) {
        return new CloseStatus(1005, "");
      }
      int code = ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
      return new CloseStatus(
          code, new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8));
    }
  }
}
