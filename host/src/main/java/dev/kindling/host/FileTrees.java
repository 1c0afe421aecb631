package dev.kindling.host;

import dev.kindling.host.exec.Commands;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Removing build trees safely: a chroot may still have /proc or /dev mounted inside it. */
public final class FileTrees {
  private static final Logger log = LoggerFactory.getLogger(FileTrees.class);

  private FileTrees() {}

  /** Mount points at or below {@code dir}, deepest first. */
  static List<Path> mountsUnder(Path dir) {
    Path root = dir.toAbsolutePath().normalize();
    List<Path> found = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
        String[] fields = line.split(" ");
        if (fields.length > 1) {
          Path mountPoint = Path.of(unescape(fields[1]));
          if (mountPoint.startsWith(root)) {
            found.add(mountPoint);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    found.sort(Comparator.comparingInt(Path::getNameCount).reversed());
    return found;
  }

  static void unmountAllUnder(Path dir) {
    for (Path mountPoint : mountsUnder(dir)) {
      log.warn("unmounting {} left behind by a build step", mountPoint);
      Commands.run(List.of("umount", "-l", mountPoint.toString()), Duration.ofSeconds(30), null);
    }
  }

  /**
   * Deletes {@code dir} recursively without following links; refuses while anything is mounted
   * below it.
   */
  public static void deleteRecursively(Path dir) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    unmountAllUnder(dir);
    if (!mountsUnder(dir).isEmpty()) {
      throw new IllegalStateException(
          "refusing to delete " + dir + ": file systems are still mounted below it");
    }
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
              if (e instanceof NoSuchFileException) {
                return FileVisitResult.CONTINUE;
              }
              throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              if (e != null && !(e instanceof NoSuchFileException)) {
                throw e;
              }
              Files.deleteIfExists(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }

  private static String unescape(String field) {
    return field
        .replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\");
  }

  /**
   * Bytes the files under {@code dir} occupy on disk, as du counts them (sparse files count what
   * they allocate); 0 when absent.
   */
  public static long size(Path dir) {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    String out =
        Commands.check(
            List.of("du", "-s", "--block-size=1", dir.toString()), Duration.ofSeconds(30));
    return Long.parseLong(out.strip().split("\\s+")[0]);
  }

  /**
   * Writes {@code bytes} to {@code target} so that readers see the old file or the whole new one
   * and a crash leaves one of them on disk: a temporary file beside it ({@code permissions}, e.g.
   * {@code rw-------}), forced to disk, renamed over it, then the directory forced.
   */
  public static void writeAtomically(Path target, byte[] bytes, String permissions)
      throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp =
        Files.createTempFile(
            dir,
            "." + target.getFileName(),
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions)));
    try {
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
        directory.force(true);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** {@link #writeAtomically(Path, byte[], String)} readable by everyone, writable by the owner. */
  public static void writeAtomically(Path target, byte[] bytes) throws IOException {
    writeAtomically(target, bytes, "rw-r--r--");
  }
}
