package dev.kindling.proxy;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A browser that breaks the WebSocket protocol on purpose: a blocking client on a plain socket that
 * sends frames exactly as told, which Jetty's client never would (reserved opcodes, unmasked
 * frames, headers that announce more than the proxy takes).
 */
final class RawBrowser implements AutoCloseable {
  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  private RawBrowser(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
    this.out = socket.getOutputStream();
  }

  /** A frame from the proxy. */
  record Frame(int opcode, byte[] payload) {}

  /** Connects, upgrades (offering the binary subprotocol) and completes RFB as noVNC does. */
  static RawBrowser connect(URI uri) throws IOException {
    RawBrowser browser = upgradeOnly(uri);
    try {
      browser.rfbHandshake();
      return browser;
    } catch (IOException | RuntimeException e) {
      browser.close();
      throw e;
    }
  }

  /** Connects and upgrades, offering the binary subprotocol; RFB is the caller's. */
  static RawBrowser upgradeOnly(URI uri) throws IOException {
    Socket socket = new Socket(uri.getHost(), uri.getPort());
    RawBrowser browser = new RawBrowser(socket);
    try {
      socket.setSoTimeout(15_000);
      browser.upgrade(uri);
      return browser;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  private void upgrade(URI uri) throws IOException {
    String request =
        "GET "
            + uri.getRawPath()
            + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())
            + " HTTP/1.1\r\n"
            + "Host: "
            + uri.getHost()
            + ":"
            + uri.getPort()
            + "\r\n"
            + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: "
            + WebSocketFrames.newKey()
            + "\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: binary\r\n\r\n";
    out.write(request.getBytes(StandardCharsets.US_ASCII));
    out.flush();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      head.write(in.readUnsignedByte());
    }
    String response = head.toString(StandardCharsets.US_ASCII);
    if (!response.startsWith("HTTP/1.1 101")) {
      throw new IOException("upgrade refused: " + response.lines().findFirst().orElse(""));
    }
  }

  /** noVNC's side of RFB with security None; the proxy sends each of its steps as one frame. */
  private void rfbHandshake() throws IOException {
    expect(12);
    send(true, WebSocketFrames.BINARY, true, "RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
    expect(2);
    send(true, WebSocketFrames.BINARY, true, new byte[] {1});
    expect(4);
    send(true, WebSocketFrames.BINARY, true, new byte[] {1});
    next();
  }

  private void expect(int bytes) throws IOException {
    Frame frame = next();
    if (frame.opcode() != WebSocketFrames.BINARY || frame.payload().length != bytes) {
      throw new IOException(
          "expected an RFB step of " + bytes + " bytes, got opcode " + frame.opcode());
    }
  }

  /**
   * Sends one frame, masked with a fresh key when {@code masked} (as a browser's frames must be).
   */
  void send(boolean fin, int opcode, boolean masked, byte[] payload) throws IOException {
    int mask = ThreadLocalRandom.current().nextInt();
    ByteBuffer frame =
        ByteBuffer.allocate(WebSocketFrames.headerLength(payload.length, masked) + payload.length);
    WebSocketFrames.putHeader(frame, fin, opcode, masked, mask, payload.length);
    byte[] body = payload.clone();
    if (masked) {
      // Masking is the same XOR as unmasking.
      WebSocketFrames.unmask(body, body.length, mask);
    }
    out.write(frame.put(body).array());
    out.flush();
  }

  /** Sends only the header of a masked frame announcing {@code length} bytes of payload. */
  void sendHeader(boolean fin, int opcode, long length) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(WebSocketFrames.headerLength(length, true));
    WebSocketFrames.putHeader(
        header, fin, opcode, true, ThreadLocalRandom.current().nextInt(), length);
    out.write(header.array());
    out.flush();
  }

  /** The next frame the proxy sends. */
  Frame next() throws IOException {
    int first = in.readUnsignedByte();
    int second = in.readUnsignedByte();
    int length7 = second & 0x7F;
    long length = length7 < 126 ? length7 : length7 == 126 ? in.readUnsignedShort() : in.readLong();
    if ((second & 0x80) != 0) {
      throw new IOException("the proxy sent a masked frame to a browser");
    }
    byte[] payload = new byte[Math.toIntExact(length)];
    in.readFully(payload);
    return new Frame(first & 0x0F, payload);
  }

  /**
   * Reads (and drops) data until the proxy's close frame, answers it as a browser would, and
   * returns its code and reason.
   */
  TestClient.Closed awaitClose() throws IOException {
    while (true) {
      Frame frame;
      try {
        frame = next();
      } catch (EOFException e) {
        throw new AssertionError("the proxy closed the connection without a close frame", e);
      }
      if (frame.opcode() == WebSocketFrames.CLOSE) {
        int code = WebSocketFrames.closeCode(frame.payload(), frame.payload().length);
        out.write(
            WebSocketFrames.frame(
                    WebSocketFrames.CLOSE, WebSocketFrames.closePayload(code, ""), true)
                .array());
        out.flush();
        return new TestClient.Closed(
            code, WebSocketFrames.closeReason(frame.payload(), frame.payload().length));
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
