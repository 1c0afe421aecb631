package dev.kindling.activities.readiness;

import dev.kindling.host.FileTrees;
import dev.kindling.host.rfb.PixelFormat;
import dev.kindling.host.rfb.RfbSession;
import dev.kindling.host.rfb.ServerInit;
import java.awt.Image;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * One complete framebuffer of a VM's desktop, as a VNC client sees it, and whether it shows
 * anything.
 *
 * <p>A frame is <em>blank</em> when it is a single colour (the seeds' black screen, or a window
 * that never painted), or when everything that differs from its most common colour covers less than
 * {@link #MIN_CONTENT_SHARE} of it: 0.02 % is about 200 pixels on 1280x800, two glyphs of a 14 px
 * font, while a text cursor or a window border alone stays below it. A terminal showing just its
 * prompt covers about ten times that.
 */
public final class DesktopFrame {
  /** The least share of pixels that must differ from the background colour. */
  public static final double MIN_CONTENT_SHARE = 0.0002;

  public static final int MIN_COLOURS = 2;

  private final BufferedImage image;
  private final int distinctColours;
  private final double contentShare;
  private final int background;

  /**
   * Counts the frame's colours once: readiness asks whether it is blank and how, at every attempt.
   */
  public DesktopFrame(BufferedImage image) {
    this.image = image;
    Map<Integer, Integer> counts = new HashMap<>();
    int[] row = new int[image.getWidth()];
    for (int y = 0; y < image.getHeight(); y++) {
      image.getRGB(0, y, row.length, 1, row, 0, row.length);
      for (int rgb : row) {
        counts.merge(rgb & 0xffffff, 1, Integer::sum);
      }
    }
    Map.Entry<Integer, Integer> most =
        counts.entrySet().stream().max(Map.Entry.comparingByValue()).orElse(null);
    long total = (long) image.getWidth() * image.getHeight();
    this.distinctColours = counts.size();
    this.background = most == null ? 0 : most.getKey();
    this.contentShare = total == 0 || most == null ? 0 : (double) (total - most.getValue()) / total;
  }

  public BufferedImage image() {
    return image;
  }

  /**
   * Asks for the whole framebuffer in {@code format} and paints every rectangle until all of it
   * arrived. Readiness asks for {@link RfbSession#BGR233}: a quarter of the bytes through
   * websockify, and colours enough to tell content from background.
   */
  public static DesktopFrame capture(RfbSession session, PixelFormat format) throws IOException {
    ServerInit init = session.serverInit();
    session.setPixelFormat(format);
    BufferedImage image =
        new BufferedImage(init.width(), init.height(), BufferedImage.TYPE_INT_RGB);
    long needed = (long) init.width() * init.height();
    long covered = 0;
    session.requestFullFramebuffer();
    while (covered < needed) {
      for (RfbSession.Rectangle r : session.readFramebufferUpdate()) {
        paint(image, r, session.pixelFormat());
        covered += (long) r.width() * r.height();
      }
      if (covered < needed) {
        session.requestFullFramebuffer();
      }
    }
    return new DesktopFrame(image);
  }

  /** Distinct colours on screen. */
  public int distinctColours() {
    return distinctColours;
  }

  /** The share of pixels that differ from the most common colour: 0 for a one-colour screen. */
  public double contentShare() {
    return contentShare;
  }

  /** The most common colour as 0xRRGGBB. */
  public int background() {
    return background;
  }

  public boolean blank() {
    return distinctColours() < MIN_COLOURS || contentShare() < MIN_CONTENT_SHARE;
  }

  /** E.g. "1 colour, 0.000 % besides #000000". */
  public String summary() {
    int colours = distinctColours();
    return String.format(
        "%d colour%s, %.3f %% besides #%06x",
        colours, colours == 1 ? "" : "s", contentShare() * 100, background());
  }

  public void writePng(Path file) throws IOException {
    write(image, file);
  }

  /** A copy at most {@code maxWidth} wide, for evidence. */
  public void writeThumbnail(Path file, int maxWidth) throws IOException {
    int width = Math.min(maxWidth, image.getWidth());
    int height = Math.max(1, image.getHeight() * width / Math.max(1, image.getWidth()));
    BufferedImage small = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    small
        .getGraphics()
        .drawImage(image.getScaledInstance(width, height, Image.SCALE_AREA_AVERAGING), 0, 0, null);
    write(small, file);
  }

  private static void write(BufferedImage image, Path file) throws IOException {
    java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
    ImageIO.write(image, "png", png);
    FileTrees.writeAtomically(file, png.toByteArray());
  }

  private static void paint(BufferedImage image, RfbSession.Rectangle r, PixelFormat format) {
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
        int green =
            scale((int) (value >> format.greenShift()) & format.greenMax(), format.greenMax());
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
