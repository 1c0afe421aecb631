package dev.kindling.proxy.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/** Raises this process's open-file limit (RLIMIT_NOFILE); child processes inherit it. */
@SuppressWarnings("restricted") // setrlimit through FFM is this class's purpose
final class FileLimits {
  private static final int RLIMIT_NOFILE = 7;

  private FileLimits() {}

  /**
   * Sets soft and hard limits to {@code wanted} when allowed (root), else the soft limit to the
   * hard one; returns the soft limit.
   */
  static long raise(long wanted) throws Throwable {
    Linker linker = Linker.nativeLinker();
    MethodHandle get =
        linker.downcallHandle(
            linker.defaultLookup().find("getrlimit").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    MethodHandle set =
        linker.downcallHandle(
            linker.defaultLookup().find("setrlimit").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment limits = arena.allocate(16);
      int rc = (int) get.invokeExact(RLIMIT_NOFILE, limits);
      if (rc != 0) {
        throw new IllegalStateException("getrlimit failed");
      }
      long hard = limits.get(JAVA_LONG, 8);
      if (hard < wanted) {
        limits.set(JAVA_LONG, 0, wanted);
        limits.set(JAVA_LONG, 8, wanted);
        if ((int) set.invokeExact(RLIMIT_NOFILE, limits) == 0) {
          return wanted;
        }
      }
      limits.set(JAVA_LONG, 0, Math.min(hard, Math.max(wanted, 0)));
      int ignored = (int) set.invokeExact(RLIMIT_NOFILE, limits);
      rc = (int) get.invokeExact(RLIMIT_NOFILE, limits);
      return limits.get(JAVA_LONG, 0);
    }
  }
}
