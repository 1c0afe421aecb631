package dev.kindling.host.egress;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.List;

/** The addresses of this host's own network namespace, which no VM may reach. */
public final class HostAddresses {
  private HostAddresses() {}

  /** Every address of every interface, up or down, as the calling thread's namespace sees them. */
  public static List<InetAddress> all() {
    try {
      return NetworkInterface.networkInterfaces()
          .flatMap(NetworkInterface::inetAddresses)
          .distinct()
          .toList();
    } catch (SocketException e) {
      throw new UncheckedIOException("cannot list this host's addresses", e);
    }
  }
}
