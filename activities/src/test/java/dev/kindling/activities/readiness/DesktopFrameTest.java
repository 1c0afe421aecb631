package dev.kindling.activities.readiness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.rfb.PixelFormat;
import dev.kindling.host.rfb.RfbSession;
import dev.kindling.host.rfb.ServerInit;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whether a frame shows anything, its evidence files, and one capture from a recorded server: no
 * network.
 */
class DesktopFrameTest {
  private static final int WIDTH = 1280;
  private static final int HEIGHT = 800;
  private static final int BACKGROUND = 0x0b3954;
  private static final int TEXT = 0xf4f1de;

  /**
   * A {@code width}x{@code height} frame of {@code background} with {@code content} pixels of
   * {@code colour}, row by row.
   */
  private static DesktopFrame frame(
      int width, int height, int background, int content, int colour) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, y * width + x < content ? colour : background);
      }
    }
    return new DesktopFrame(image);
  }

  @Test
  void aOneColourScreenIsBlank() {
    DesktopFrame frame = frame(WIDTH, HEIGHT, BACKGROUND, 0, TEXT);

    assertTrue(frame.blank());
    assertEquals(1, frame.distinctColours());
    assertEquals(0.0, frame.contentShare());
    assertEquals(BACKGROUND, frame.background());
    assertEquals("1 colour, 0.000 % besides #0b3954", frame.summary());
  }

  @Test
  void contentBelowTheMinimumShareIsBlankAndAtLeastItIsNot() {
    // 0.02 % of 1280x800 is 204.8 pixels.
    long threshold = (long) Math.ceil(DesktopFrame.MIN_CONTENT_SHARE * WIDTH * HEIGHT);
    DesktopFrame below = frame(WIDTH, HEIGHT, BACKGROUND, (int) threshold - 1, TEXT);
    DesktopFrame enough = frame(WIDTH, HEIGHT, BACKGROUND, (int) threshold, TEXT);

    assertEquals(2, below.distinctColours());
    assertTrue(below.contentShare() < DesktopFrame.MIN_CONTENT_SHARE, below.summary());
    assertTrue(below.blank(), "a text cursor is not content: " + below.summary());
    assertFalse(enough.blank(), enough.summary());
    assertEquals(BACKGROUND, enough.background());
    assertTrue(enough.summary().startsWith("2 colours, 0.020 % besides #0b3954"), enough.summary());
  }

  @Test
  void manyColoursCoveringNextToNothingAreBlank() {
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    // A 10x10 mouse pointer of 100 colours on black.
    for (int i = 0; i < 100; i++) {
      image.setRGB(600 + i % 10, 400 + i / 10, 0x010101 * (i + 1));
    }
    DesktopFrame frame = new DesktopFrame(image);

    assertEquals(101, frame.distinctColours());
    assertTrue(frame.blank(), frame.summary());
    assertEquals(0x000000, frame.background());
  }

  @Test
  void aTerminalWithItsPromptIsNotBlank() {
    DesktopFrame frame = frame(WIDTH, HEIGHT, BACKGROUND, 12 * WIDTH, TEXT);

    assertFalse(frame.blank(), frame.summary());
    assertEquals(12.0 / HEIGHT, frame.contentShare(), 1e-9);
  }

  @Test
  void theBackgroundIsTheMostCommonColourEvenWhenContentCoversMostOfTheScreen() {
    DesktopFrame frame = frame(100, 100, BACKGROUND, 9_000, TEXT);

    assertEquals(TEXT, frame.background());
    assertEquals(0.1, frame.contentShare(), 1e-9);
    assertFalse(frame.blank());
  }

  @Test
  void aThumbnailIsAtMostTheGivenWidthKeepsTheAspectAndCreatesItsDirectory(@TempDir Path dir)
      throws IOException {
    DesktopFrame frame = frame(WIDTH, HEIGHT, BACKGROUND, WIDTH * HEIGHT / 2, TEXT);
    Path file = dir.resolve("evidence").resolve("vm0123456789-desktop.png");

    frame.writeThumbnail(file, 320);

    BufferedImage thumbnail = ImageIO.read(file.toFile());
    assertEquals(320, thumbnail.getWidth());
    assertEquals(200, thumbnail.getHeight());
    assertEquals(TEXT, thumbnail.getRGB(160, 10) & 0xffffff, "the top half is the content");
    assertEquals(
        BACKGROUND, thumbnail.getRGB(160, 190) & 0xffffff, "the bottom half the background");
    try (Stream<Path> files = Files.list(file.getParent())) {
      assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
    }
  }

  @Test
  void aSmallFrameIsNotEnlargedAndAnEarlierThumbnailIsReplaced(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("thumb.png");
    frame(WIDTH, HEIGHT, BACKGROUND, 0, TEXT).writeThumbnail(file, 320);

    frame(200, 100, TEXT, 0, BACKGROUND).writeThumbnail(file, 320);

    BufferedImage thumbnail = ImageIO.read(file.toFile());
    assertEquals(200, thumbnail.getWidth());
    assertEquals(100, thumbnail.getHeight());
    assertEquals(TEXT, thumbnail.getRGB(0, 0) & 0xffffff);
  }

  @Test
  void aPngKeepsEveryPixel(@TempDir Path dir) throws IOException {
    DesktopFrame frame = frame(64, 48, BACKGROUND, 1000, TEXT);
    Path file = dir.resolve("screen.png");

    frame.writePng(file);

    BufferedImage read = ImageIO.read(file.toFile());
    for (int y = 0; y < 48; y++) {
      for (int x = 0; x < 64; x++) {
        assertEquals(
            frame.image().getRGB(x, y) & 0xffffff,
            read.getRGB(x, y) & 0xffffff,
            "pixel " + x + "," + y);
      }
    }
  }

  @Test
  void captureAsksForTheFormatAndPaintsEveryUpdateUntilTheWholeScreenArrived() throws IOException {
    int width = 4;
    int height = 2;
    PixelFormat serverFormat = FakeRfbServer.FORMAT;
    ServerInit init = new ServerInit(width, height, serverFormat, "recorded");
    // The server answers the first request with the top row only, the second with the bottom row.
    int[] top = {0xff0000, 0x00ff00, 0x0000ff, 0xffffff};
    int[] bottom = {0x000000, 0x000000, 0x000000, 0xffffff};
    ByteArrayOutputStream server = new ByteArrayOutputStream();
    DataOutputStream updates = new DataOutputStream(server);
    writeUpdate(updates, 0, top, RfbSession.BGR233);
    updates.writeByte(2); // a bell on the way is skipped
    writeUpdate(updates, 1, bottom, RfbSession.BGR233);
    ByteArrayOutputStream client = new ByteArrayOutputStream();
    RfbSession session =
        new RfbSession(
            new DataInputStream(new ByteArrayInputStream(server.toByteArray())), client, init);

    DesktopFrame frame = DesktopFrame.capture(session, RfbSession.BGR233);

    assertEquals(RfbSession.BGR233, session.pixelFormat());
    for (int x = 0; x < width; x++) {
      assertEquals(top[x], frame.image().getRGB(x, 0) & 0xffffff, "top " + x);
      assertEquals(bottom[x], frame.image().getRGB(x, 1) & 0xffffff, "bottom " + x);
    }
    assertEquals(5, frame.distinctColours());
    byte[] sent = client.toByteArray();
    byte[] setPixelFormat = new byte[20];
    setPixelFormat[0] = 0;
    System.arraycopy(RfbSession.BGR233.encode(), 0, setPixelFormat, 4, 16);
    assertArrayEquals(setPixelFormat, Arrays.copyOfRange(sent, 0, 20), "SetPixelFormat first");
    assertArrayEquals(
        new byte[] {2, 0, 0, 1, 0, 0, 0, 0},
        Arrays.copyOfRange(sent, 20, 28),
        "then SetEncodings Raw");
    byte[] fullRequest = {3, 0, 0, 0, 0, 0, 0, (byte) width, 0, (byte) height};
    assertArrayEquals(
        fullRequest, Arrays.copyOfRange(sent, 28, 38), "a full, non-incremental request");
    assertArrayEquals(
        fullRequest, Arrays.copyOfRange(sent, 38, 48), "asked again for what was missing");
    assertEquals(48, sent.length);
  }

  /** One FramebufferUpdate with one Raw rectangle: row {@code y} in {@code format}. */
  private static void writeUpdate(DataOutputStream out, int y, int[] row, PixelFormat format)
      throws IOException {
    out.writeByte(0);
    out.writeByte(0);
    out.writeShort(1);
    out.writeShort(0);
    out.writeShort(y);
    out.writeShort(row.length);
    out.writeShort(1);
    out.writeInt(RfbSession.ENCODING_RAW);
    byte[] pixels = new byte[row.length * format.bytesPerPixel()];
    for (int x = 0; x < row.length; x++) {
      FakeRfbServer.encode(row[x], format, pixels, x * format.bytesPerPixel());
    }
    out.write(pixels);
  }
}
