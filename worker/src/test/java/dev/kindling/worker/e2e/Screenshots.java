package dev.kindling.worker.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kindling.proxy.ProxyServer;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.IntPredicate;
import javax.imageio.ImageIO;

/** What a user sees of a session's desktop, through the proxy in Chromium, and pixel checks. */
final class Screenshots {
  /** Test artefacts: every screenshot a test takes is kept here. */
  static final Path ARTEFACTS =
      Path.of(System.getProperty("kindling.repo.root", "."), "worker", "target", "e2e");

  private Screenshots() {}

  /**
   * Opens the session's page of {@code proxy} in Chromium with a fresh token, waits for {@code
   * colour} to cover {@code share} of the desktop, saves the screenshot as {@code file} and reads
   * it.
   */
  static BufferedImage desktop(
      ProxyServer proxy, String session, Path file, int colour, double share) throws Exception {
    String url =
        proxy.baseUri().resolve(proxy.config().pagePath(session))
            + "?token="
            + proxy.tokens().mint(session);
    JsonNode verdict =
        E2e.browserScript(
            "desktop.mjs",
            List.of(
                url,
                file.toString(),
                "90000",
                String.format("%06x", colour),
                Double.toString(share)),
            Duration.ofMinutes(3));
    assertTrue(
        verdict.path("connected").asBoolean(),
        "noVNC did not show the app (screenshot " + file + "): " + verdict);
    assertEquals(1280, verdict.path("width").asInt(), verdict.toString());
    assertEquals(800, verdict.path("height").asInt(), verdict.toString());
    return ImageIO.read(file.toFile());
  }

  /** The share of pixels within 8 per channel of {@code rgb}. */
  static double share(BufferedImage image, int rgb) {
    long total = (long) image.getWidth() * image.getHeight();
    return (double)
            count(
                image,
                p ->
                    Math.abs(red(p) - red(rgb)) <= 8
                        && Math.abs(green(p) - green(rgb)) <= 8
                        && Math.abs(blue(p) - blue(rgb)) <= 8)
        / total;
  }

  static long count(BufferedImage image, IntPredicate test) {
    long n = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        if (test.test(image.getRGB(x, y) & 0xffffff)) {
          n++;
        }
      }
    }
    return n;
  }

  static int red(int rgb) {
    return (rgb >> 16) & 0xff;
  }

  static int green(int rgb) {
    return (rgb >> 8) & 0xff;
  }

  static int blue(int rgb) {
    return rgb & 0xff;
  }
}
