package dev.kindling.host.netns;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The libc calls behind Kindling's namespaces and links, through FFM. Each one that fails throws
 * {@link ErrnoException} naming the call, its argument and the errno.
 */
// Restricted FFM methods are this class's purpose; the JVM runs with
// --enable-native-access=ALL-UNNAMED.
@SuppressWarnings("restricted")
final class Libc {
  static final int EINVAL = 22;
  static final int ENODEV = 19;
  static final int CLONE_NEWNET = 0x40000000;
  static final int O_RDONLY = 0;
  static final int O_RDWR = 2;
  static final int O_CLOEXEC = 0x80000;
  static final long MS_BIND = 0x1000;
  static final long MS_REC = 0x4000;
  static final long MS_SHARED = 0x100000;
  static final int MNT_DETACH = 2;
  static final int AF_INET = 2;
  static final int SOCK_DGRAM = 2;
  static final int SOCK_CLOEXEC = 0x80000;

  private static final MemoryLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final MethodHandle OPEN;
  private static final MethodHandle CLOSE;
  private static final MethodHandle SETNS;
  private static final MethodHandle UNSHARE;
  private static final MethodHandle MOUNT;
  private static final MethodHandle UMOUNT2;
  private static final MethodHandle SOCKET;
  private static final MethodHandle IOCTL;
  private static final MethodHandle STRERROR;

  static {
    Linker linker = Linker.nativeLinker();
    SymbolLookup libc = linker.defaultLookup();
    Linker.Option errno = Linker.Option.captureCallState("errno");
    OPEN =
        linker.downcallHandle(
            libc.find("open").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
            errno);
    CLOSE =
        linker.downcallHandle(
            libc.find("close").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    SETNS =
        linker.downcallHandle(
            libc.find("setns").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT),
            errno);
    UNSHARE =
        linker.downcallHandle(
            libc.find("unshare").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT), errno);
    MOUNT =
        linker.downcallHandle(
            libc.find("mount").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS),
            errno);
    UMOUNT2 =
        linker.downcallHandle(
            libc.find("umount2").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
            errno);
    SOCKET =
        linker.downcallHandle(
            libc.find("socket").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
            errno);
    // ioctl(int, unsigned long, ...): the argument pointer is variadic.
    IOCTL =
        linker.downcallHandle(
            libc.find("ioctl").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
            errno,
            Linker.Option.firstVariadicArg(2));
    STRERROR =
        linker.downcallHandle(
            libc.find("strerror").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));
  }

  private Libc() {}

  /** A libc call that returned -1. */
  static final class ErrnoException extends IOException {
    private final int errno;

    ErrnoException(String call, int errno) {
      super(call + " failed: " + describe(errno));
      this.errno = errno;
    }

    int errno() {
      return errno;
    }
  }

  static int open(String path, int flags) throws IOException {
    return call(
        "open(" + path + ")",
        (arena, state) -> (int) OPEN.invokeExact(state, arena.allocateFrom(path), flags));
  }

  static void close(int fd) {
    try {
      int ignored = (int) CLOSE.invokeExact(fd);
    } catch (Throwable t) {
      throw new IllegalStateException("close(" + fd + ")", t);
    }
  }

  static void setns(int fd, int type, String what) throws IOException {
    call("setns(" + what + ")", (arena, state) -> (int) SETNS.invokeExact(state, fd, type));
  }

  static void unshare(int flags) throws IOException {
    call(
        "unshare(0x" + Integer.toHexString(flags) + ")",
        (arena, state) -> (int) UNSHARE.invokeExact(state, flags));
  }

  /** mount(2) with no file-system data; {@code source} and {@code type} may be empty. */
  static void mount(String source, String target, String type, long flags) throws IOException {
    call(
        "mount(" + source + ", " + target + ", 0x" + Long.toHexString(flags) + ")",
        (arena, state) ->
            (int)
                MOUNT.invokeExact(
                    state,
                    arena.allocateFrom(source),
                    arena.allocateFrom(target),
                    arena.allocateFrom(type),
                    flags,
                    MemorySegment.NULL));
  }

  static void umount2(String target, int flags) throws IOException {
    call(
        "umount2(" + target + ")",
        (arena, state) -> (int) UMOUNT2.invokeExact(state, arena.allocateFrom(target), flags));
  }

  static int socket(int domain, int type, int protocol) throws IOException {
    return call(
        "socket(" + domain + ", " + type + ")",
        (arena, state) -> (int) SOCKET.invokeExact(state, domain, type, protocol));
  }

  static void ioctl(int fd, long request, MemorySegment argument, String what) throws IOException {
    call(
        "ioctl(" + what + ")",
        (arena, state) -> (int) IOCTL.invokeExact(state, fd, request, argument));
  }

  @FunctionalInterface
  private interface NativeCall {
    int invoke(Arena arena, MemorySegment callState) throws Throwable;
  }

  /**
   * Runs {@code call} with a fresh errno capture; a negative result becomes an {@link
   * ErrnoException}.
   */
  private static int call(String what, NativeCall call) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CALL_STATE);
      int result = call.invoke(arena, state);
      if (result < 0) {
        throw new ErrnoException(what, (int) ERRNO.get(state, 0L));
      }
      return result;
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("native call " + what + " failed", t);
    }
  }

  private static String describe(int errno) {
    try {
      MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
      return text.reinterpret(256).getString(0) + " (errno " + errno + ")";
    } catch (Throwable t) {
      return "errno " + errno;
    }
  }
}
