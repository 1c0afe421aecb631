package dev.kindling.activities.readiness;

import dev.kindling.host.netns.NetworkNamespaces;
import dev.kindling.host.rfb.PixelFormat;
import dev.kindling.host.rfb.RfbHandshake;
import dev.kindling.host.rfb.RfbSession;
import dev.kindling.host.rfb.VncAuth;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An RFB 3.8 server with VNC authentication, listening inside a test namespace, standing in for
 * x11vnc. Like x11vnc in the golden image it does not serve until it has a password, and it checks
 * an answer against the password it holds when the answer arrives (-rfbauth). It honours
 * SetPixelFormat (true colour, 8, 16 or 32 bits per pixel) and answers every
 * FramebufferUpdateRequest with one Raw rectangle of the requested area, drawn from the current
 * {@link Screen} in the format the client asked for.
 */
final class FakeRfbServer implements AutoCloseable {
  static final int WIDTH = 640;
  static final int HEIGHT = 480;
  static final String NAME = "kindling-test-desktop";
  static final PixelFormat FORMAT = new PixelFormat(32, 24, false, true, 255, 255, 255, 16, 8, 0);

  /** What the desktop shows: the colour (0xRRGGBB) of each pixel. */
  @FunctionalInterface
  interface Screen {
    int rgb(int x, int y);

    /** A dim blue desktop with a light block on it (a line of text): not blank. */
    Screen CONTENT = (x, y) -> x >= 32 && x < 352 && y >= 32 && y < 64 ? 0xF4F1DE : 0x000040;

    /** One colour everywhere: a blank desktop. */
    static Screen solid(int rgb) {
      return (x, y) -> rgb;
    }
  }

  enum Behaviour {
    /** A complete handshake, then Raw framebuffer updates on request. */
    SERVES,
    /**
     * Sends the banner, then drops the connection on the first client bytes (the broken websockify
     * of the seeds).
     */
    BANNER_THEN_DROP
  }

  private final ServerSocketChannel server;
  private final AtomicReference<String> password;
  private final Behaviour behaviour;
  private final AtomicReference<Screen> screen;
  private final List<PixelFormat> formats;
  private final SecureRandom random = new SecureRandom();
  private final java.util.concurrent.atomic.AtomicInteger connections =
      new java.util.concurrent.atomic.AtomicInteger();

  private FakeRfbServer(
      ServerSocketChannel server,
      AtomicReference<String> password,
      Behaviour behaviour,
      AtomicReference<Screen> screen,
      List<PixelFormat> formats) {
    this.server = server;
    this.password = password;
    this.behaviour = behaviour;
    this.screen = screen;
    this.formats = formats;
  }

  static FakeRfbServer start(
      String namespace,
      InetSocketAddress address,
      AtomicReference<String> password,
      Behaviour behaviour)
      throws IOException {
    return start(
        namespace,
        address,
        password,
        behaviour,
        new AtomicReference<>(Screen.CONTENT),
        new java.util.ArrayList<>());
  }

  /**
   * @param screen what the desktop shows; a test may change it while clients are connected
   * @param formats every pixel format a client set with SetPixelFormat is added here (a thread-safe
   *     list)
   */
  static FakeRfbServer start(
      String namespace,
      InetSocketAddress address,
      AtomicReference<String> password,
      Behaviour behaviour,
      AtomicReference<Screen> screen,
      List<PixelFormat> formats)
      throws IOException {
    ServerSocketChannel channel =
        NetworkNamespaces.inside(
            namespace,
            () -> {
              ServerSocketChannel s = ServerSocketChannel.open();
              s.bind(address);
              return s;
            });
    FakeRfbServer fake = new FakeRfbServer(channel, password, behaviour, screen, formats);
    Thread.ofVirtual().name("fake-rfb-accept").start(fake::acceptLoop);
    return fake;
  }

  private void acceptLoop() {
    while (server.isOpen()) {
      try {
        SocketChannel client = server.accept();
        connections.incrementAndGet();
        Thread.ofVirtual().name("fake-rfb-client").start(() -> serve(client));
      } catch (IOException e) {
        return;
      }
    }
  }

  /** Connections accepted so far. */
  int connections() {
    return connections.get();
  }

  private void serve(SocketChannel client) {
    try (client) {
      if (password.get() == null) {
        return;
      }
      DataInputStream in = new DataInputStream(client.socket().getInputStream());
      DataOutputStream out =
          new DataOutputStream(new java.io.BufferedOutputStream(client.socket().getOutputStream()));
      out.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] version = in.readNBytes(12);
      if (behaviour == Behaviour.BANNER_THEN_DROP
          || !new String(version, StandardCharsets.US_ASCII).equals("RFB 003.008\n")) {
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
      if (!Arrays.equals(response, VncAuth.response(password.get(), challenge))) {
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

  private void answerRequests(DataInputStream in, DataOutputStream out) throws IOException {
    PixelFormat format = FORMAT;
    while (true) {
      int type = in.readUnsignedByte();
      switch (type) {
        case 0 -> {
          in.skipNBytes(3);
          PixelFormat asked = PixelFormat.read(in);
          if (!asked.trueColour() || !List.of(8, 16, 32).contains(asked.bitsPerPixel())) {
            return; // x11vnc would not serve a colour map either
          }
          formats.add(asked);
          format = asked;
        }
        case 2 -> {
          in.skipNBytes(1);
          in.skipNBytes(4L * in.readUnsignedShort());
        }
        case 3 -> {
          in.skipNBytes(1);
          int x = Math.min(in.readUnsignedShort(), WIDTH);
          int y = Math.min(in.readUnsignedShort(), HEIGHT);
          int w = Math.min(in.readUnsignedShort(), WIDTH - x);
          int h = Math.min(in.readUnsignedShort(), HEIGHT - y);
          out.writeByte(0);
          out.writeByte(0);
          out.writeShort(1);
          out.writeShort(x);
          out.writeShort(y);
          out.writeShort(w);
          out.writeShort(h);
          out.writeInt(RfbSession.ENCODING_RAW);
          Screen shown = screen.get();
          int bytes = format.bytesPerPixel();
          byte[] row = new byte[w * bytes];
          for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
              encode(shown.rgb(x + c, y + r), format, row, c * bytes);
            }
            out.write(row);
          }
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

  /** Writes {@code rgb} as one pixel of {@code format} at {@code offset}. */
  static void encode(int rgb, PixelFormat format, byte[] into, int offset) {
    long value =
        (long) scale((rgb >> 16) & 0xff, format.redMax()) << format.redShift()
            | (long) scale((rgb >> 8) & 0xff, format.greenMax()) << format.greenShift()
            | (long) scale(rgb & 0xff, format.blueMax()) << format.blueShift();
    int bytes = format.bytesPerPixel();
    for (int b = 0; b < bytes; b++) {
      int shift = format.bigEndian() ? (bytes - 1 - b) * 8 : b * 8;
      into[offset + b] = (byte) (value >> shift);
    }
  }

  private static int scale(int channel, int max) {
    return (int) Math.round(channel * max / 255.0);
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
