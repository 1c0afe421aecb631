package dev.kindling.snapshot;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The guest files shipped in this jar under {@code guest/}. The index {@code guest/files.txt} lists
 * them (jar resources cannot be listed portably), one {@code <octal mode> <path>} a line.
 */
public final class GuestFiles {
  private static final String ROOT = "guest/";
  private static final String INDEX = ROOT + "files.txt";

  private GuestFiles() {}

  public static List<GuestFile> load() {
    String index = new String(resource(INDEX), StandardCharsets.UTF_8);
    List<GuestFile> files = new ArrayList<>();
    for (String line : index.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      String[] parts = trimmed.split("\\s+", 2);
      if (parts.length != 2) {
        throw new IllegalStateException("bad line in " + INDEX + ": " + line);
      }
      files.add(new GuestFile(parts[1], Integer.parseInt(parts[0], 8), resource(ROOT + parts[1])));
    }
    return List.copyOf(files);
  }

  private static byte[] resource(String name) {
    try (InputStream in = GuestFiles.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(
            "missing resource " + name + " in the snapshot-builder jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
