package dev.kindling.host.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The Linux capabilities this process may use now ({@code CapEff} in {@code /proc/self/status}).
 */
record EffectiveCapabilities(long bits) {
  static final int CAP_NET_ADMIN = 12;
  static final int CAP_SYS_ADMIN = 21;

  static EffectiveCapabilities ofThisProcess() {
    try {
      return parse(Files.readAllLines(Path.of("/proc/self/status")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static EffectiveCapabilities parse(List<String> status) {
    return status.stream()
        .filter(line -> line.startsWith("CapEff:"))
        .findFirst()
        .map(
            line ->
                new EffectiveCapabilities(
                    Long.parseUnsignedLong(line.substring("CapEff:".length()).strip(), 16)))
        .orElse(new EffectiveCapabilities(0));
  }

  boolean hasAll(int... capabilities) {
    for (int capability : capabilities) {
      if ((bits & (1L << capability)) == 0) {
        return false;
      }
    }
    return true;
  }
}
