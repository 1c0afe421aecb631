package dev.kindling.proxy.bench;

import dev.kindling.host.rfb.VncAuth;
import dev.kindling.host.websocket.WebSocketFrames;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * The backend both relays talk to, on loopback: a WebSocket echo (what the Kindling proxy relays
 * to, as it would to a VM's websockify) and a plain TCP echo (what websockify relays to, as it
 * would to x11vnc). Both are minimal blocking loops on virtual threads, so that neither backend
 * costs more than it must: the WebSocket echo reads a frame, unmasks it eight bytes at a time and
 * writes it back unmasked, answers pings and closes.
 *
 * <p>On {@link #PATH}, where the proxy connects, the WebSocket echo first plays the VNC server's
 * side of an RFB 3.8 handshake with VNC authentication, as x11vnc behind a VM's websockify would,
 * and checks the proxy's answer against {@link BenchRfb#PASSWORD}; on {@link #PLAIN_PATH}, where
 * the benchmark measures the echo alone, it only echoes.
 */
final class EchoBackend implements AutoCloseable {
  static final String PATH = "/websockify";
  static final String PLAIN_PATH = "/echo";
  private static final byte[] VERSION = "RFB 003.008\n".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_FRAME = 8 << 20;

  /** Enough for a frame header and a small frame; larger frames get a buffer of their own. */
  private static final int SMALL_READ = 4096;

  private final ServerSocketChannel webSocket;
  private final ServerSocketChannel tcp;
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

  EchoBackend() throws IOException {
    webSocket = listen();
    tcp = listen();
    Thread.ofVirtual()
        .name("websocket-echo-accept")
        .start(() -> accept(webSocket, EchoBackend::echoWebSocket));
    Thread.ofVirtual().name("tcp-echo-accept").start(() -> accept(tcp, EchoBackend::echoTcp));
  }

  int webSocketPort() throws IOException {
    return ((InetSocketAddress) webSocket.getLocalAddress()).getPort();
  }

  int tcpPort() throws IOException {
    return ((InetSocketAddress) tcp.getLocalAddress()).getPort();
  }

  private static ServerSocketChannel listen() throws IOException {
    ServerSocketChannel channel = ServerSocketChannel.open();
    channel.bind(new InetSocketAddress("127.0.0.1", 0), 4096);
    return channel;
  }

  private void accept(ServerSocketChannel server, Consumer<SocketChannel> echo) {
    while (server.isOpen()) {
      try {
        SocketChannel channel = server.accept();
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        threads.execute(() -> echo.accept(channel));
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void echoTcp(SocketChannel channel) {
    try (channel) {
      ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
      while (channel.read(buffer) >= 0) {
        buffer.flip();
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        buffer.clear();
      }
    } catch (IOException e) {
      // The peer went away.
    }
  }

  private static void echoWebSocket(SocketChannel channel) {
    try (channel) {
      ByteBuffer in = ByteBuffer.allocateDirect(SMALL_READ).flip();
      String path = handshake(channel, in);
      if (path == null) {
        return;
      }
      if (path.equals(PATH)) {
        playVncServer(new HandshakeStream(channel, in, false));
      }
      ByteBuffer header = ByteBuffer.allocateDirect(10);
      ByteBuffer large = null;
      while (fill(channel, in, 2)) {
        int at = in.position();
        int length7 = in.get(at + 1) & 0x7F;
        int headerLength =
            (length7 < 126 ? 2 : length7 == 126 ? 4 : 10) + ((in.get(at + 1) & 0x80) != 0 ? 4 : 0);
        if (!fill(channel, in, headerLength)) {
          return;
        }
        at = in.position();
        int first = in.get(at) & 0xFF;
        long length =
            length7 < 126
                ? length7
                : length7 == 126 ? in.getShort(at + 2) & 0xFFFF : in.getLong(at + 2);
        boolean masked = (in.get(at + 1) & 0x80) != 0;
        int mask = masked ? in.getInt(at + headerLength - 4) : 0;
        in.position(at + headerLength);
        if (length > MAX_FRAME) {
          return;
        }
        int size = (int) length;
        ByteBuffer payload;
        if (size <= in.capacity()) {
          if (!fill(channel, in, size)) {
            return;
          }
          payload = in.slice(in.position(), size);
          in.position(in.position() + size);
        } else {
          if (large == null || large.capacity() < size) {
            large = ByteBuffer.allocateDirect(size);
          }
          large.clear().limit(size);
          int buffered = Math.min(size, in.remaining());
          large.put(0, in, in.position(), buffered).position(buffered);
          in.position(in.position() + buffered);
          while (large.hasRemaining()) {
            if (channel.read(large) < 0) {
              return;
            }
          }
          payload = large.flip();
        }
        if (masked) {
          Masking.xor(payload, 0, payload, 0, size, mask);
        }
        int opcode = first & 0x0F;
        if (opcode == 0x8) {
          write(channel, frameHeader(header, 0x88, size), payload);
          return;
        }
        if (opcode == 0xA) {
          continue;
        }
        write(channel, frameHeader(header, opcode == 0x9 ? 0x8A : first, size), payload);
      }
    } catch (IOException e) {
      // The peer went away.
    }
  }

  /**
   * Answers the upgrade (any path but {@link #PATH} and {@link #PLAIN_PATH} gets 404); returns the
   * path, or null when there is nothing to echo.
   */
  private static String handshake(SocketChannel channel, ByteBuffer in) throws IOException {
    int end;
    while ((end = headersEnd(in)) < 0) {
      if (in.limit() == in.capacity() || !fill(channel, in, in.remaining() + 1)) {
        return null;
      }
    }
    byte[] head = new byte[end - in.position()];
    in.get(head);
    String request = new String(head, StandardCharsets.US_ASCII);
    String key = null;
    boolean binary = false;
    for (String line : request.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Sec-WebSocket-Key")) {
        key = line.substring(colon + 1).trim();
      } else if (colon > 0
          && line.substring(0, colon).trim().equalsIgnoreCase("Sec-WebSocket-Protocol")) {
        binary |=
            java.util.Arrays.stream(line.substring(colon + 1).split(","))
                .map(String::trim)
                .anyMatch("binary"::equals);
      }
    }
    String path =
        request.startsWith("GET " + PATH + " ")
            ? PATH
            : request.startsWith("GET " + PLAIN_PATH + " ") ? PLAIN_PATH : null;
    if (path == null || key == null) {
      write(
          channel,
          ByteBuffer.wrap(
              "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII)));
      return null;
    }
    String response =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
            + WebSocketFrames.acceptFor(key)
            + "\r\n"
            + (binary ? "Sec-WebSocket-Protocol: binary\r\n" : "")
            + "\r\n";
    write(channel, ByteBuffer.wrap(response.getBytes(StandardCharsets.US_ASCII)));
    return path;
  }

  /**
   * The VNC server's side up to ServerInit. A wrong password is refused with a SecurityResult the
   * proxy reports to the client, and thrown: a benchmark that cannot authenticate measures nothing.
   */
  private static void playVncServer(HandshakeStream rfb) throws IOException {
    rfb.write(VERSION);
    requireFromProxy(Arrays.equals(rfb.read(VERSION.length), VERSION), "a version other than 3.8");
    rfb.write(new byte[] {2, 1, 2});
    requireFromProxy(rfb.read(1)[0] == 2, "a security type other than VNC authentication");
    byte[] challenge = new byte[VncAuth.CHALLENGE_LENGTH];
    ThreadLocalRandom.current().nextBytes(challenge);
    rfb.write(challenge);
    if (!Arrays.equals(
        rfb.read(VncAuth.CHALLENGE_LENGTH), VncAuth.response(BenchRfb.PASSWORD, challenge))) {
      byte[] reason = "not the benchmark's VNC password".getBytes(StandardCharsets.US_ASCII);
      rfb.write(
          ByteBuffer.allocate(8 + reason.length)
              .putInt(1)
              .putInt(reason.length)
              .put(reason)
              .array());
      throw new IllegalStateException(
          "the proxy answered the VNC challenge with another password than the benchmark's");
    }
    rfb.write(new byte[4]);
    rfb.read(1);
    rfb.write(BenchRfb.SERVER_INIT.encode());
    rfb.finish();
  }

  private static void requireFromProxy(boolean condition, String sent) {
    if (!condition) {
      throw new IllegalStateException("the proxy sent " + sent + " during the RFB handshake");
    }
  }

  private static int headersEnd(ByteBuffer in) {
    for (int i = in.position() + 3; i < in.limit(); i++) {
      if (in.get(i - 3) == '\r'
          && in.get(i - 2) == '\n'
          && in.get(i - 1) == '\r'
          && in.get(i) == '\n') {
        return i + 1;
      }
    }
    return -1;
  }

  /**
   * Reads until {@code in} (kept ready to read from) holds at least {@code need} bytes; false at
   * end of stream.
   */
  private static boolean fill(SocketChannel channel, ByteBuffer in, int need) throws IOException {
    while (in.remaining() < need) {
      in.compact();
      int n = channel.read(in);
      in.flip();
      if (n < 0) {
        return false;
      }
    }
    return true;
  }

  private static ByteBuffer frameHeader(ByteBuffer header, int first, int size) {
    header.clear().put((byte) first);
    if (size < 126) {
      header.put((byte) size);
    } else if (size <= 0xFFFF) {
      header.put((byte) 126).putShort((short) size);
    } else {
      header.put((byte) 127).putLong(size);
    }
    return header.flip();
  }

  private static void write(SocketChannel channel, ByteBuffer... buffers) throws IOException {
    long left = 0;
    for (ByteBuffer b : buffers) {
      left += b.remaining();
    }
    while (left > 0) {
      left -= channel.write(buffers);
    }
  }

  @Override
  public void close() throws Exception {
    webSocket.close();
    tcp.close();
    threads.shutdownNow();
  }
}
