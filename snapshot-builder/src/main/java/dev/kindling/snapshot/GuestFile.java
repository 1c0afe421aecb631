package dev.kindling.snapshot;

import java.util.HexFormat;

/**
 * A file the builder installs into the guest root filesystem.
 *
 * @param path relative to the guest's {@code /}, never absolute and never containing {@code ..}
 * @param mode POSIX permission bits, e.g. {@code 0755}
 * @param content the bytes, from the jar's {@code guest/} resources
 */
public record GuestFile(String path, int mode, byte[] content) {
  public GuestFile {
    if (path.startsWith("/")
        || java.util.Arrays.asList(path.split("/")).contains("..")
        || path.isBlank()) {
      throw new IllegalArgumentException("guest file path must be relative without '..': " + path);
    }
    content = content.clone();
  }

  @Override
  public byte[] content() {
    return content.clone();
  }

  public String sha256() {
    return HexFormat.of().formatHex(ImageRecipe.sha256(content));
  }

  @Override
  public String toString() {
    return "GuestFile["
        + path
        + " "
        + Integer.toOctalString(mode)
        + " "
        + sha256().substring(0, 12)
        + "]";
  }
}
