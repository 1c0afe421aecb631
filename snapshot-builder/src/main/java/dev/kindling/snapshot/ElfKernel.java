package dev.kindling.snapshot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The uncompressed ELF kernel inside a compressed x86 {@code bzImage}, which Firecracker boots
 * where QEMU takes the {@code bzImage} itself. Like the kernel's own {@code extract-vmlinux}: find
 * each compression format's magic, decompress from there with the host's tool, and keep the first
 * output that is an x86-64 ELF file (decompressors complain about the bytes after the stream; only
 * the output counts).
 */
final class ElfKernel {
  private static final byte[] ELF_X86_64 = {0x7f, 'E', 'L', 'F', 2, 1};
  private static final long TIMEOUT_SECONDS = 120;

  private record Format(byte[] magic, List<String> decompress) {}

  private static final List<Format> FORMATS =
      List.of(
          new Format(bytes(0x1f, 0x8b, 0x08), List.of("gzip", "-dc")),
          new Format(bytes(0xfd, '7', 'z', 'X', 'Z', 0x00), List.of("xz", "-dc")),
          new Format(bytes(0x28, 0xb5, 0x2f, 0xfd), List.of("zstd", "-dcq")),
          new Format(bytes('B', 'Z', 'h'), List.of("bzip2", "-dc")),
          new Format(bytes(0x5d, 0x00, 0x00, 0x00), List.of("unlzma", "-c")),
          new Format(bytes(0x02, 0x21, 0x4c, 0x18), List.of("lz4", "-dc")));

  private ElfKernel() {}

  /**
   * Writes the ELF kernel inside {@code bzImage} to {@code out}.
   *
   * @throws IllegalStateException when no known compressed stream in it yields an x86-64 ELF file
   */
  static void extract(Path bzImage, Path out) {
    try {
      byte[] image = Files.readAllBytes(bzImage);
      Path tail = Files.createTempFile(out.getParent(), ".bzimage-tail", "");
      try {
        for (Format format : FORMATS) {
          for (int at = indexOf(image, format.magic(), 0);
              at >= 0;
              at = indexOf(image, format.magic(), at + 1)) {
            Files.write(tail, Arrays.copyOfRange(image, at, image.length));
            if (decompress(format.decompress(), tail, out) && isElf(out)) {
              return;
            }
          }
        }
      } finally {
        Files.deleteIfExists(tail);
      }
      Files.deleteIfExists(out);
      throw new IllegalStateException(
          "found no compressed x86-64 ELF kernel in " + bzImage + " (tried " + names() + ")");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** True when the tool ran to its end; its exit status is not trusted (trailing bytes). */
  private static boolean decompress(List<String> command, Path in, Path out) throws IOException {
    Process process =
        new ProcessBuilder(command)
            .redirectInput(in.toFile())
            .redirectOutput(out.toFile())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return false;
      }
      return true;
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while decompressing the kernel", e);
    }
  }

  private static boolean isElf(Path file) throws IOException {
    if (Files.size(file) < ELF_X86_64.length) {
      return false;
    }
    try (var in = Files.newInputStream(file)) {
      return Arrays.equals(in.readNBytes(ELF_X86_64.length), ELF_X86_64);
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static String names() {
    return String.join(", ", FORMATS.stream().map(f -> f.decompress().getFirst()).toList());
  }

  private static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }
}
