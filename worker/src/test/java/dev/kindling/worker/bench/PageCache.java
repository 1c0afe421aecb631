package dev.kindling.worker.bench;

import dev.kindling.host.exec.Commands;
import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Drops one file's clean pages from the page cache ({@code posix_fadvise(POSIX_FADV_DONTNEED)}), so
 * a run can start cold without dropping every cache on a shared machine.
 */
@SuppressWarnings("restricted") // posix_fadvise and friends through FFM are this class's purpose
final class PageCache {
  private static final int POSIX_FADV_DONTNEED = 4;
  private static final MethodHandle FADVISE =
      Linker.nativeLinker()
          .downcallHandle(
              Linker.nativeLinker().defaultLookup().find("posix_fadvise").orElseThrow(),
              FunctionDescriptor.of(
                  ValueLayout.JAVA_INT,
                  ValueLayout.JAVA_INT,
                  ValueLayout.JAVA_LONG,
                  ValueLayout.JAVA_LONG,
                  ValueLayout.JAVA_INT));
  private static final MethodHandle OPEN =
      Linker.nativeLinker()
          .downcallHandle(
              Linker.nativeLinker().defaultLookup().find("open").orElseThrow(),
              FunctionDescriptor.of(
                  ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
  private static final MethodHandle CLOSE =
      Linker.nativeLinker()
          .downcallHandle(
              Linker.nativeLinker().defaultLookup().find("close").orElseThrow(),
              FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

  private PageCache() {}

  static void evict(Path file) throws IOException {
    try (var arena = java.lang.foreign.Arena.ofConfined()) {
      int fd = (int) OPEN.invokeExact(arena.allocateFrom(file.toString()), 0);
      if (fd < 0) {
        throw new IOException("cannot open " + file);
      }
      try {
        int result = (int) FADVISE.invokeExact(fd, 0L, 0L, POSIX_FADV_DONTNEED);
        if (result != 0) {
          throw new IOException("posix_fadvise(" + file + ") returned " + result);
        }
      } finally {
        int ignored = (int) CLOSE.invokeExact(fd);
      }
    } catch (IOException e) {
      throw e;
    } catch (Throwable e) {
      throw new IOException("evicting " + file + ": " + e, e);
    }
  }

  /** Bytes of {@code file} allocated on disk: a sparse file's data, not its length. */
  static long allocated(Path file) {
    String du = Commands.check(List.of("du", "-B1", "--", file.toString()), Duration.ofSeconds(10));
    return Long.parseLong(du.split("\\s+")[0]);
  }
}
