package dev.kindling.host.netns;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;

/**
 * The links of the calling thread's network namespace, changed through the interface ioctls that
 * {@code ip tuntap} and {@code ifconfig} use, without a process per command. Open it on a thread
 * inside the namespace ({@link NetworkNamespaces#inside}): its socket, and so every change, belongs
 * to that namespace.
 */
public final class Links implements AutoCloseable {
  private static final long SIOCGIFFLAGS = 0x8913;
  private static final long SIOCSIFFLAGS = 0x8914;
  private static final long SIOCSIFADDR = 0x8916;
  private static final long SIOCSIFNETMASK = 0x891c;
  private static final long SIOCGIFINDEX = 0x8933;
  private static final long TUNSETIFF = 0x400454caL;
  private static final long TUNSETPERSIST = 0x400454cbL;
  private static final short IFF_UP = 0x1;
  private static final short IFF_TAP = 0x0002;
  private static final short IFF_NO_PI = 0x1000;

  /** struct ifreq: a 16-byte name, then a 24-byte union (flags, index or a sockaddr). */
  private static final int IFREQ_SIZE = 40;

  private static final int IFNAMSIZ = 16;
  private static final int UNION = 16;

  private final int socket;

  private Links(int socket) {
    this.socket = socket;
  }

  /** Opens the control socket in the calling thread's namespace. */
  public static Links open() throws IOException {
    return new Links(Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0));
  }

  public boolean exists(String name) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      Libc.ioctl(socket, SIOCGIFINDEX, ifreq(arena, name), "SIOCGIFINDEX " + name);
      return true;
    } catch (Libc.ErrnoException e) {
      if (e.errno() == Libc.ENODEV) {
        return false;
      }
      throw e;
    }
  }

  /**
   * Creates a persistent TAP without packet information, as {@code ip tuntap add dev NAME mode tap}
   * does.
   */
  public void createTap(String name) throws IOException {
    int tun = Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_CLOEXEC);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment request = ifreq(arena, name);
      request.set(JAVA_SHORT, UNION, (short) (IFF_TAP | IFF_NO_PI));
      Libc.ioctl(tun, TUNSETIFF, request, "TUNSETIFF " + name);
      // The device outlives this file descriptor; the VMM attaches to it by name.
      Libc.ioctl(tun, TUNSETPERSIST, MemorySegment.ofAddress(1), "TUNSETPERSIST " + name);
    } finally {
      Libc.close(tun);
    }
  }

  /** Sets the link administratively up, keeping its other flags. */
  public void up(String name) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment request = ifreq(arena, name);
      Libc.ioctl(socket, SIOCGIFFLAGS, request, "SIOCGIFFLAGS " + name);
      request.set(JAVA_SHORT, UNION, (short) (request.get(JAVA_SHORT, UNION) | IFF_UP));
      Libc.ioctl(socket, SIOCSIFFLAGS, request, "SIOCSIFFLAGS " + name);
    }
  }

  /** Gives the link {@code address/prefixLength} as its address, replacing the one it had. */
  public void address(String name, Inet4Address address, int prefixLength) throws IOException {
    if (prefixLength < 1 || prefixLength > 32) {
      throw new IllegalArgumentException("prefix length " + prefixLength);
    }
    int mask = (int) (0xffffffffL << (32 - prefixLength));
    byte[] maskBytes = {
      (byte) (mask >>> 24), (byte) (mask >>> 16), (byte) (mask >>> 8), (byte) mask
    };
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment request = ifreq(arena, name);
      inet(request, address.getAddress());
      Libc.ioctl(
          socket, SIOCSIFADDR, request, "SIOCSIFADDR " + name + " " + address.getHostAddress());
      inet(request, maskBytes);
      Libc.ioctl(socket, SIOCSIFNETMASK, request, "SIOCSIFNETMASK " + name + " /" + prefixLength);
    }
  }

  @Override
  public void close() {
    Libc.close(socket);
  }

  private static MemorySegment ifreq(Arena arena, String name) {
    byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
    if (bytes.length == 0 || bytes.length >= IFNAMSIZ || !name.matches("[A-Za-z0-9_.-]+")) {
      throw new IllegalArgumentException("'" + name + "' is not an interface name");
    }
    MemorySegment request = arena.allocate(IFREQ_SIZE, 8);
    MemorySegment.copy(bytes, 0, request, JAVA_BYTE, 0, bytes.length);
    return request;
  }

  /**
   * Writes an AF_INET sockaddr holding {@code address} (network byte order) into the ifreq's union.
   */
  private static void inet(MemorySegment request, byte[] address) {
    request.asSlice(UNION, IFREQ_SIZE - UNION).fill((byte) 0);
    request.set(JAVA_SHORT, UNION, (short) Libc.AF_INET);
    MemorySegment.copy(address, 0, request, JAVA_BYTE, UNION + 4, 4);
  }
}
