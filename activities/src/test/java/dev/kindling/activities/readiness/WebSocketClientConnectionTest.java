package dev.kindling.activities.readiness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.websocket.WebSocketFrames;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The client against a scripted server on the host's loopback. */
class WebSocketClientConnectionTest {

  /** One server-side script run against the first accepted connection. */
  @FunctionalInterface
  interface Script {
    void run(Socket socket, Map<String, String> request, String key) throws Exception;
  }

  @Test
  void deliversFragmentedBinaryAsOneStreamAnswersPingsAndEndsOnClose() throws Exception {
    CompletableFuture<List<WebSocketFrames.Frame>> seenByServer = new CompletableFuture<>();
    try (ScriptedServer server =
        ScriptedServer.start(
            (socket, request, key) -> {
              assertEquals("binary", request.get("sec-websocket-protocol"));
              OutputStream out = socket.getOutputStream();
              out.write(switching(key, "binary").getBytes(StandardCharsets.ISO_8859_1));
              out.write(
                  WebSocketFrames.serverFrame(
                      false,
                      WebSocketFrames.BINARY,
                      "RFB 003".getBytes(StandardCharsets.US_ASCII)));
              out.write(
                  WebSocketFrames.serverFrame(
                      true, WebSocketFrames.PING, "hi".getBytes(StandardCharsets.US_ASCII)));
              out.write(
                  WebSocketFrames.serverFrame(
                      true,
                      WebSocketFrames.CONTINUATION,
                      ".008\n".getBytes(StandardCharsets.US_ASCII)));
              out.write(
                  WebSocketFrames.serverFrame(
                      true,
                      WebSocketFrames.CLOSE,
                      WebSocketFrames.closePayload(1000, "Target closed")));
              out.flush();
              InputStream in = socket.getInputStream();
              seenByServer.complete(
                  List.of(
                      WebSocketFrames.read(in),
                      WebSocketFrames.read(in),
                      WebSocketFrames.read(in)));
            })) {
      try (WebSocketClientConnection ws = server.connect()) {
        assertEquals("binary", ws.subprotocol().orElseThrow());
        ws.sendBinary(new byte[] {1, 2, 3});
        assertEquals(
            "RFB 003.008\n", new String(ws.input().readNBytes(12), StandardCharsets.US_ASCII));
        assertEquals(-1, ws.input().read());
        assertEquals(
            new WebSocketClientConnection.CloseStatus(1000, "Target closed"),
            ws.closeStatus().orElseThrow());
      }
      List<WebSocketFrames.Frame> frames = seenByServer.get();
      assertEquals(WebSocketFrames.BINARY, frames.get(0).opcode());
      assertArrayEquals(new byte[] {1, 2, 3}, frames.get(0).payload());
      assertEquals(WebSocketFrames.PONG, frames.get(1).opcode());
      assertArrayEquals("hi".getBytes(StandardCharsets.US_ASCII), frames.get(1).payload());
      assertEquals(WebSocketFrames.CLOSE, frames.get(2).opcode());
    }
  }

  @Test
  void refusesAnUpgradeWithAWrongAcceptKey() throws Exception {
    try (ScriptedServer server =
        ScriptedServer.start(
            (socket, request, key) ->
                socket
                    .getOutputStream()
                    .write(
                        switching("dGhlIHNhbXBsZSBub25jZQ==", null)
                            .getBytes(StandardCharsets.ISO_8859_1)))) {
      var e = assertThrows(WebSocketUpgradeException.class, server::connect);
      assertTrue(e.getMessage().contains("Sec-WebSocket-Accept"), e.getMessage());
    }
  }

  @Test
  void refusesAPlainHttpAnswer() throws Exception {
    try (ScriptedServer server =
        ScriptedServer.start(
            (socket, request, key) ->
                socket
                    .getOutputStream()
                    .write(
                        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                            .getBytes(StandardCharsets.ISO_8859_1)))) {
      var e = assertThrows(WebSocketUpgradeException.class, server::connect);
      assertTrue(e.getMessage().contains("instead of 101"), e.getMessage());
    }
  }

  @Test
  void refusesASubprotocolThatWasNotOffered() throws Exception {
    try (ScriptedServer server =
        ScriptedServer.start(
            (socket, request, key) ->
                socket
                    .getOutputStream()
                    .write(switching(key, "base64").getBytes(StandardCharsets.ISO_8859_1)))) {
      var e = assertThrows(WebSocketUpgradeException.class, server::connect);
      assertTrue(e.getMessage().contains("base64"), e.getMessage());
    }
  }

  static String switching(String key, String protocol) {
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Accept: "
        + WebSocketFrames.acceptFor(key)
        + "\r\n"
        + (protocol == null ? "" : "Sec-WebSocket-Protocol: " + protocol + "\r\n")
        + "\r\n";
  }

  /** Accepts one connection on 127.0.0.1, reads the upgrade request and runs the script. */
  static final class ScriptedServer implements AutoCloseable {
    private final ServerSocketChannel server;
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    private ScriptedServer(ServerSocketChannel server) {
      this.server = server;
    }

    static ScriptedServer start(Script script) throws Exception {
      ServerSocketChannel channel =
          ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
      ScriptedServer scripted = new ScriptedServer(channel);
      Thread.ofVirtual()
          .start(
              () -> {
                try (SocketChannel client = channel.accept()) {
                  Map<String, String> request =
                      readRequestHeaders(client.socket().getInputStream());
                  script.run(client.socket(), request, request.get("sec-websocket-key"));
                  scripted.done.complete(null);
                } catch (Throwable t) {
                  scripted.done.completeExceptionally(t);
                }
              });
      return scripted;
    }

    /** Header names lower-cased; reads exactly up to the blank line. */
    private static Map<String, String> readRequestHeaders(InputStream in) throws Exception {
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          throw new java.io.EOFException("request ended early");
        }
        head.append((char) b);
      }
      Map<String, String> headers = new HashMap<>();
      for (String line : head.toString().split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0) {
          headers.put(
              line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
              line.substring(colon + 1).trim());
        }
      }
      return headers;
    }

    WebSocketClientConnection connect() throws Exception {
      SocketChannel channel = SocketChannel.open(server.getLocalAddress());
      try {
        return WebSocketClientConnection.upgrade(
            channel, "127.0.0.1", "/", List.of("binary"), Duration.ofSeconds(5));
      } catch (Exception e) {
        channel.close();
        throw e;
      }
    }

    @Override
    public void close() throws Exception {
      server.close();
    }
  }
}
