package dev.kindling.proxy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SelectableChannel;
import java.util.Objects;
import org.eclipse.jetty.io.Transport;

/**
 * Plain TCP in the proxy's own namespace to one fixed address, for {@link LoopbackUpstream} routes
 * (tests and benchmarks), and a refusing variant used when a request carries no route.
 */
final class FixedAddressTransport extends Transport.TCPIP {
  /** Fails every connection: what the upstream client uses for a request no route named. */
  static final FixedAddressTransport REFUSING = new FixedAddressTransport(null, null);

  private final InetSocketAddress address;
  private final SpareDescriptor spare;

  FixedAddressTransport(InetSocketAddress address, SpareDescriptor spare) {
    this.address = address;
    this.spare = spare;
  }

  @Override
  public boolean requiresDomainNameResolution() {
    return false;
  }

  @Override
  public SocketAddress getSocketAddress() {
    return address != null ? address : new InetSocketAddress("127.0.0.1", 9);
  }

  @Override
  public SelectableChannel newSelectableChannel() throws IOException {
    if (address == null) {
      throw new IOException("refusing to connect: no route named this upstream connection");
    }
    return spare.open(super::newSelectableChannel);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof FixedAddressTransport t && Objects.equals(t.address, address);
  }

  @Override
  public int hashCode() {
    return Objects.hashCode(address);
  }

  @Override
  public String toString() {
    return address == null ? "refusing" : "tcp:" + address;
  }
}
