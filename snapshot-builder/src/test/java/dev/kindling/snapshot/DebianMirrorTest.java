package dev.kindling.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DebianMirrorTest {
  private static final String DEB822 =
      """
      Types: deb
      # a snapshot of the archive
      URIs: http://security.example/debian-security
      Suites: bookworm-security
      Components: main

      Types: deb-src
      URIs: http://source.example/debian
      Suites: bookworm
      Components: main

      Types: deb
      URIs: http://archive.example/debian/ http://second.example/debian
      Suites: bookworm bookworm-updates
      Components: main
      Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
      """;

  @Test
  void takesTheFirstBinaryArchiveServingTheSuiteFromDeb822() {
    assertEquals(
        Optional.of("http://archive.example/debian"), DebianMirror.fromDeb822(DEB822, "bookworm"));
    assertEquals(
        Optional.of("http://security.example/debian-security"),
        DebianMirror.fromDeb822(DEB822, "bookworm-security"));
    assertEquals(Optional.empty(), DebianMirror.fromDeb822(DEB822, "trixie"));
  }

  @Test
  void skipsDisabledStanzas() {
    String text =
        "Enabled: no\nTypes: deb\nURIs: http://off.example/debian\nSuites: bookworm\n\n"
            + "Types: deb\nURIs: http://on.example/debian\nSuites: bookworm\n";
    assertEquals(
        Optional.of("http://on.example/debian"), DebianMirror.fromDeb822(text, "bookworm"));
  }

  @Test
  void readsOneLineSourcesWithOptions() {
    String text =
        """
        # deb http://commented.example/debian bookworm main
        deb-src http://source.example/debian bookworm main
        deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://one.example/debian bookworm main
        deb http://two.example/debian bookworm main
        """;
    assertEquals(
        Optional.of("http://one.example/debian"), DebianMirror.fromOneLine(text, "bookworm"));
  }

  @Test
  void prefersTheConfiguredMirrorThenSourcesFilesThenSourcesList(@TempDir Path apt)
      throws Exception {
    Files.createDirectories(apt.resolve("sources.list.d"));
    Files.writeString(
        apt.resolve("sources.list"), "deb http://list.example/debian bookworm main\n");
    assertEquals("http://list.example/debian", DebianMirror.resolve("bookworm", "", apt));
    Files.writeString(apt.resolve("sources.list.d/debian.sources"), DEB822);
    assertEquals("http://archive.example/debian", DebianMirror.resolve("bookworm", "", apt));
    assertEquals(
        "http://local.example/mirror",
        DebianMirror.resolve("bookworm", "http://local.example/mirror/", apt));
  }

  @Test
  void failsWithAHintWhenNothingServesTheSuite(@TempDir Path apt) {
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> DebianMirror.resolve("bookworm", "", apt));
    assertEquals(true, e.getMessage().contains("debian.mirror"));
  }

  @Test
  void rejectsAMirrorThatIsNotAUrl() {
    assertThrows(
        IllegalArgumentException.class,
        () -> DebianMirror.resolve("bookworm", "mirror; rm -rf /", Path.of("/nonexistent")));
  }
}
