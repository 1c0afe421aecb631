package dev.kindling.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.exec.Commands;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bzImage is a boot stub, a compressed ELF kernel and trailing data; the extraction finds the
 * stream whatever comes before and after it (a decoy that decompresses to something that is not ELF
 * included).
 */
class ElfKernelTest {
  @TempDir Path dir;
  private final Random random = new Random(42);

  private byte[] elf() {
    byte[] body = new byte[200_000];
    random.nextBytes(body);
    byte[] header = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
    System.arraycopy(header, 0, body, 0, header.length);
    return body;
  }

  private byte[] noise(int size) {
    byte[] bytes = new byte[size];
    random.nextBytes(bytes);
    return bytes;
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  private byte[] xz(byte[] data) throws IOException {
    Path in = Files.write(dir.resolve("plain"), data);
    Commands.check(List.of("xz", "-kf", in.toString()), Duration.ofSeconds(30));
    return Files.readAllBytes(dir.resolve("plain.xz"));
  }

  private static byte[] concat(byte[]... parts) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.write(p);
    }
    return out.toByteArray();
  }

  @Test
  void extractsAnXzCompressedKernelAfterAGzipDecoy() throws IOException {
    byte[] kernel = elf();
    byte[] decoy = gzip("not a kernel".getBytes());
    Path bzImage =
        Files.write(dir.resolve("vmlinuz"), concat(noise(16_384), decoy, xz(kernel), noise(4096)));
    Path out = dir.resolve("vmlinux");
    ElfKernel.extract(bzImage, out);
    assertArrayEquals(kernel, Files.readAllBytes(out));
  }

  @Test
  void extractsAGzipCompressedKernel() throws IOException {
    byte[] kernel = elf();
    Path bzImage =
        Files.write(dir.resolve("vmlinuz"), concat(noise(9000), gzip(kernel), noise(100)));
    Path out = dir.resolve("vmlinux");
    ElfKernel.extract(bzImage, out);
    assertArrayEquals(kernel, Files.readAllBytes(out));
  }

  @Test
  void anImageWithNoCompressedKernelFailsAndLeavesNoOutput() throws IOException {
    Path bzImage = Files.write(dir.resolve("vmlinuz"), concat(noise(50_000), gzip(noise(1000))));
    Path out = dir.resolve("vmlinux");
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> ElfKernel.extract(bzImage, out));
    assertTrue(e.getMessage().contains("no compressed x86-64 ELF kernel"), e.getMessage());
    assertFalse(Files.exists(out));
    try (var files = Files.list(dir)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".bzimage")));
    }
  }
}
