package dev.kindling.snapshot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds the Debian mirror to bootstrap from: a configured one (the worker's setting {@code
 * debian.mirror}) wins; otherwise the host's own apt configuration (deb822 {@code
 * sources.list.d/*.sources} files, then the one-line {@code sources.list}), taking the first
 * archive that serves the suite itself (not its security or updates pockets). Nothing is
 * hard-coded, so the image comes from wherever this host's packages come from.
 */
public final class DebianMirror {
  /** How an operator names a mirror: the setting and its environment variable. */
  private static final String SETTING = "debian.mirror (KINDLING_DEBIAN_MIRROR)";

  private DebianMirror() {}

  /**
   * {@code configured} when not blank, else the first archive of this host's /etc/apt that serves
   * {@code suite}.
   */
  public static String resolve(String suite, String configured) {
    return resolve(suite, configured, Path.of("/etc/apt"));
  }

  public static String resolve(String suite, String configured, Path aptDir) {
    if (configured != null && !configured.isBlank()) {
      return validated(configured.strip());
    }
    return fromApt(suite, aptDir)
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "no apt source for suite '"
                        + suite
                        + "' under "
                        + aptDir
                        + "; set "
                        + SETTING
                        + " to a Debian mirror URL"));
  }

  static Optional<String> fromApt(String suite, Path aptDir) {
    Path dir = aptDir.resolve("sources.list.d");
    List<Path> files = new ArrayList<>();
    if (Files.isDirectory(dir)) {
      try (Stream<Path> list = Files.list(dir)) {
        list.filter(p -> p.getFileName().toString().endsWith(".sources"))
            .sorted()
            .forEach(files::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    for (Path file : files) {
      Optional<String> found = fromDeb822(read(file), suite);
      if (found.isPresent()) {
        return found;
      }
    }
    List<Path> lists = new ArrayList<>();
    lists.add(aptDir.resolve("sources.list"));
    if (Files.isDirectory(dir)) {
      try (Stream<Path> list = Files.list(dir)) {
        list.filter(p -> p.getFileName().toString().endsWith(".list")).sorted().forEach(lists::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    for (Path file : lists) {
      if (Files.isRegularFile(file)) {
        Optional<String> found = fromOneLine(read(file), suite);
        if (found.isPresent()) {
          return found;
        }
      }
    }
    return Optional.empty();
  }

  /**
   * A deb822 file: stanzas separated by blank lines with {@code Types}, {@code URIs}, {@code
   * Suites}.
   */
  static Optional<String> fromDeb822(String text, String suite) {
    for (String stanza : text.split("\\n\\s*\\n")) {
      String types = field(stanza, "Types");
      String uris = field(stanza, "URIs");
      String suites = field(stanza, "Suites");
      String enabled = field(stanza, "Enabled");
      if (uris == null || suites == null || "no".equalsIgnoreCase(enabled)) {
        continue;
      }
      if (types != null && !List.of(types.split("\\s+")).contains("deb")) {
        continue;
      }
      if (List.of(suites.split("\\s+")).contains(suite)) {
        return Optional.of(validated(uris.split("\\s+")[0]));
      }
    }
    return Optional.empty();
  }

  /** One-line format: {@code deb [options] URI suite component...}. */
  static Optional<String> fromOneLine(String text, String suite) {
    for (String raw : text.split("\n")) {
      String line = raw.strip();
      if (!line.startsWith("deb ") && !line.startsWith("deb\t")) {
        continue;
      }
      line = line.substring(3).strip();
      if (line.startsWith("[")) {
        int close = line.indexOf(']');
        if (close < 0) {
          continue;
        }
        line = line.substring(close + 1).strip();
      }
      String[] words = line.split("\\s+");
      if (words.length >= 2 && words[1].equals(suite)) {
        return Optional.of(validated(words[0]));
      }
    }
    return Optional.empty();
  }

  private static String field(String stanza, String name) {
    for (String line : stanza.split("\n")) {
      String stripped = line.strip();
      if (stripped.startsWith("#")) {
        continue;
      }
      int colon = stripped.indexOf(':');
      if (colon > 0 && stripped.substring(0, colon).equalsIgnoreCase(name)) {
        return stripped.substring(colon + 1).strip();
      }
    }
    return null;
  }

  private static String validated(String uri) {
    if (!uri.matches("(https?|file)://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]+")) {
      throw new IllegalArgumentException("not a usable Debian mirror URL: " + uri);
    }
    return uri.endsWith("/") && uri.length() > 8 ? uri.substring(0, uri.length() - 1) : uri;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
