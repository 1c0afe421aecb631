package dev.kindling.activities.readiness;

import dev.kindling.activities.netns.NetworkNamespaces;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An RFB 3.8 server with VNC authentication, listening inside a test namespace, standing in for
 * x11vnc. Like x11vnc in the golden image it does not serve until it has a password.
 */
final class FakeRfbServer implements AutoCloseable {
  static final int WIDTH = 640;
  static final int HEIGHT = 480;
  static final String NAME = "kindling-test-desktop";
  static final PixelFormat FORMAT = new PixelFormat(32, 24, false, true, 255, 255, 255, 16, 8, 0);

  enum Behaviour {
    /** A complete handshake, then Raw framebuffer updates on request. */
    SERVES,
    /** Sends the banner, then drops the connection on the first client bytes (the broken websockify of the seeds). */
    BANNER_THEN_DROP
  }

  private final ServerSocketChannel server;
  private final AtomicReference<String> password;
  private final Behaviour behaviour;
  private final SecureRandom random = new SecureRandom();

  private FakeRfbServer(ServerSocketChannel server, AtomicReference<String> password, Behaviour behaviour) {
    this.server = server;
    this.password = password;
    this.behaviour = behaviour;
  }

  static FakeRfbServer start(String namespace, InetSocketAddress address, AtomicReference<String> password, Behaviour behaviour) throws IOException {
    ServerSocketChannel channel = NetworkNamespaces.inside(namespace, () -> {
      ServerSocketChannel s = ServerSocketChannel.open();
      s.bind(address);
      return s;
    });
    FakeRfbServer fake = new FakeRfbServer(channel, password, behaviour);
    Thread.ofVirtual().name("fake-rfb-accept").start(fake::acceptLoop);
    return fake;
  }

  private void acceptLoop() {
    while (server.isOpen()) {
      try {
        SocketChannel client = server.accept();
        Thread.ofVirtual().name("fake-rfb-client").start(() -> serve(client));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(SocketChannel client) {
    try (client) {
      String expected = password.get();
      if (expected == null) {
        return;
      }
      DataInputStream in = new DataInputStream(client.socket().getInputStream());
      DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(client.socket().getOutputStream()));
      out.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] version = in.readNBytes(12);
      if (behaviour == Behaviour.BANNER_THEN_DROP || !new String(version, StandardCharsets.US_ASCII).equals("RFB 003.008\n")) {
        return;
      }
      out.write(new byte[] {1, RfbHandshake.SECURITY_VNC_AUTH});
      out.flush();
      if (in.readUnsignedByte() != RfbHandshake.SECURITY_VNC_AUTH) {
        return;
      }
      byte[] challenge = new byte[16];
      random.nextBytes(challenge);
      out.write(challenge);
      out.flush();
      byte[] response = in.readNBytes(16);
      if (!Arrays.equals(response, VncAuth.response(expected, challenge))) {
        byte[] reason = "Authentication failed".getBytes(StandardCharsets.US_ASCII);
        out.writeInt(1);
        out.writeInt(reason.length);
        out.write(reason);
        out.flush();
        return;
      }
      out.writeInt(0);
      out.flush();
      in.readUnsignedByte();
      out.writeShort(WIDTH);
      out.writeShort(HEIGHT);
      out.write(FORMAT.encode());
      byte[] name = NAME.getBytes(StandardCharsets.UTF_8);
      out.writeInt(name.length);
      out.write(name);
      out.flush();
      answerRequests(in, out);
    } catch (IOException e) {
      // The client went away; nothing to report.
    }
  }

  private static void answerRequests(DataInputStream in, DataOutputStream out) throws IOException {
    while (true) {
      int type = in.readUnsignedByte();
      switch (type) {
        case 0 -> in.skipNBytes(19);
        case 2 -> {
          in.skipNBytes(1);
          in.skipNBytes(4L * in.readUnsignedShort());
        }
        case 3 -> {
          in.skipNBytes(1);
          int x = in.readUnsignedShort();
          int y = in.readUnsignedShort();
          int w = in.readUnsignedShort();
          int h = in.readUnsignedShort();
          out.writeByte(0);
          out.writeByte(0);
          out.writeShort(1);
          out.writeShort(x);
          out.writeShort(y);
          out.writeShort(w);
          out.writeShort(h);
          out.writeInt(RfbSession.ENCODING_RAW);
          byte[] pixels = new byte[w * h * 4];
          for (int i = 0; i < w * h; i++) {
            pixels[4 * i] = (byte) 0x40; // a dim blue desktop
          }
          out.write(pixels);
          out.flush();
        }
        case 4 -> in.skipNBytes(7);
        case 5 -> in.skipNBytes(5);
        case 6 -> {
          in.skipNBytes(3);
          in.skipNBytes(Integer.toUnsignedLong(in.readInt()));
        }
        default -> {
          return;
        }
      }
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
