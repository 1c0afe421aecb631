package dev.kindling.worker.runtime;

import dev.kindling.activities.readiness.PixelFormat;
import dev.kindling.activities.readiness.RfbHandshake;
import dev.kindling.activities.readiness.RfbSession;
import dev.kindling.activities.readiness.ServerInit;
import dev.kindling.activities.readiness.WebSocketClientConnection;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * What a user's noVNC would get: a WebSocket to the proxy with a session token, a full RFB
 * handshake with the VM's password, and one complete framebuffer, as an image.
 */
public record ProxiedDesktop(ServerInit serverInit, BufferedImage image) {

  public static ProxiedDesktop capture(InetSocketAddress proxy, String wsPath, String token, String password, Duration timeout)
      throws IOException {
    try (SocketChannel channel = SocketChannel.open(proxy)) {
      String path = wsPath + "?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
      WebSocketClientConnection ws = WebSocketClientConnection.upgrade(
          channel, proxy.getHostString() + ":" + proxy.getPort(), path, List.of("binary"), timeout);
      try (ws) {
        RfbSession session = RfbHandshake.perform(ws.input(), ws.output(), password);
        ServerInit init = session.serverInit();
        BufferedImage image = new BufferedImage(init.width(), init.height(), BufferedImage.TYPE_INT_RGB);
        session.requestFullFramebuffer();
        long covered = 0;
        long needed = (long) init.width() * init.height();
        while (covered < needed) {
          for (RfbSession.Rectangle r : session.readFramebufferUpdate()) {
            paint(image, r, init.pixelFormat());
            covered += (long) r.width() * r.height();
          }
          if (covered < needed) {
            session.requestFullFramebuffer();
          }
        }
        return new ProxiedDesktop(init, image);
      }
    }
  }

  /** The share of pixels that differ from the most common colour: 0 for a blank screen. */
  public double nonBackgroundShare() {
    java.util.Map<Integer, Integer> counts = new java.util.HashMap<>();
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        counts.merge(image.getRGB(x, y) & 0xffffff, 1, Integer::sum);
      }
    }
    int most = counts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    long total = (long) image.getWidth() * image.getHeight();
    return total == 0 ? 0 : 1.0 - (double) most / total;
  }

  /** Distinct colours on screen; a desktop with a window or a cursor has more than one. */
  public int distinctColours() {
    java.util.Set<Integer> colours = new java.util.HashSet<>();
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        colours.add(image.getRGB(x, y) & 0xffffff);
      }
    }
    return colours.size();
  }

  public void writePng(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    ImageIO.write(image, "png", file.toFile());
  }

  private static void paint(BufferedImage image, RfbSession.Rectangle r, PixelFormat format) {
    if (r.encoding() != RfbSession.ENCODING_RAW) {
      return;
    }
    int bpp = format.bytesPerPixel();
    byte[] px = r.pixels();
    for (int row = 0; row < r.height(); row++) {
      for (int col = 0; col < r.width(); col++) {
        int offset = (row * r.width() + col) * bpp;
        long value = 0;
        for (int b = 0; b < bpp; b++) {
          int shift = format.bigEndian() ? (bpp - 1 - b) * 8 : b * 8;
          value |= (long) (px[offset + b] & 0xff) << shift;
        }
        int red = scale((int) (value >> format.redShift()) & format.redMax(), format.redMax());
        int green = scale((int) (value >> format.greenShift()) & format.greenMax(), format.greenMax());
        int blue = scale((int) (value >> format.blueShift()) & format.blueMax(), format.blueMax());
        int x = r.x() + col;
        int y = r.y() + row;
        if (x < image.getWidth() && y < image.getHeight()) {
          image.setRGB(x, y, (red << 16) | (green << 8) | blue);
        }
      }
    }
  }

  private static int scale(int value, int max) {
    return max == 0 ? 0 : value * 255 / max;
  }
}
