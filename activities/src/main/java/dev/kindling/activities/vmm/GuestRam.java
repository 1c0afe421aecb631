package dev.kindling.activities.vmm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A QEMU guest's RAM as the host sees it: the shared memfd backing it, copied to a sparse RAM
 * image.
 */
final class GuestRam {
  private static final int PAGE = 4096;
  private static final int CHUNK = 1 << 20;
  private static final byte[] ZERO_PAGE = new byte[PAGE];

  private GuestRam() {}

  /**
   * The open file of QEMU {@code pid} that is a memfd of {@code bytes} bytes (its guest RAM when
   * started with {@code memory-backend-memfd}), or empty when the VM's RAM is not in one.
   */
  static Optional<Path> sharedMemfd(long pid, long bytes) throws IOException {
    Path fds = Path.of("/proc", Long.toString(pid), "fd");
    try (Stream<Path> entries = Files.list(fds)) {
      for (Path fd : entries.toList()) {
        try {
          if (Files.readSymbolicLink(fd).toString().startsWith("/memfd:")
              && Files.size(fd) == bytes) {
            return Optional.of(fd);
          }
        } catch (IOException closedMeanwhile) {
          // The descriptor was closed between listing and reading it.
        }
      }
    }
    return Optional.empty();
  }

  /**
   * True when QEMU {@code pid} was started with its RAM in a memfd (see {@link
   * QemuCommandLine#sharedRam()}).
   */
  static boolean startedWithSharedRam(long pid) throws IOException {
    byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
    return new String(cmdline, java.nio.charset.StandardCharsets.UTF_8)
        .contains("memory-backend-memfd,");
  }

  /**
   * Copies {@code size} bytes of {@code source} to a new {@code target}, leaving all-zero pages as
   * holes: a guest touches far less than its RAM, and a hole reads back as zeros at no I/O cost.
   *
   * @return the bytes of data written (the non-zero pages)
   */
  static long copySparse(Path source, Path target, long size) throws IOException {
    long written = 0;
    try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
        FileChannel out =
            FileChannel.open(
                target,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-r-----")))) {
      ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
      byte[] bytes = buffer.array();
      for (long offset = 0; offset < size; offset += CHUNK) {
        buffer.clear().limit((int) Math.min(CHUNK, size - offset));
        while (buffer.hasRemaining()) {
          if (in.read(buffer, offset + buffer.position()) < 0) {
            throw new IOException(
                source + " ended at " + (offset + buffer.position()) + " of " + size + " bytes");
          }
        }
        int length = buffer.position();
        for (int page = 0; page < length; page += PAGE) {
          int end = Math.min(page + PAGE, length);
          if (Arrays.mismatch(bytes, page, end, ZERO_PAGE, 0, end - page) >= 0) {
            out.write(ByteBuffer.wrap(bytes, page, end - page), offset + page);
            written += end - page;
          }
        }
      }
      // Extending the length past the last data page leaves the rest a hole.
      if (out.size() < size) {
        out.write(ByteBuffer.wrap(new byte[1]), size - 1);
      }
      out.force(true);
    }
    return written;
  }
}
