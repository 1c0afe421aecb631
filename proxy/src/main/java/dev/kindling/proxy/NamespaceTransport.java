package dev.kindling.proxy;

import dev.kindling.host.netns.NetworkNamespaces;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SelectableChannel;
import java.util.Objects;
import org.eclipse.jetty.io.Transport;

/**
 * TCP to one fixed address from inside a VM's network namespace. The channel is created inside the
 * namespace (a socket belongs to the namespace it was created in) and then used by Jetty's selector
 * like any other. Name resolution is switched off: the transport only ever connects to the address
 * the route named, whatever the request URI says.
 */
final class NamespaceTransport extends Transport.TCPIP {
  private final String namespace;
  private final InetSocketAddress address;
  private final SpareDescriptor spare;

  NamespaceTransport(String namespace, InetSocketAddress address, SpareDescriptor spare) {
    this.namespace = Objects.requireNonNull(namespace);
    this.address = Objects.requireNonNull(address);
    this.spare = spare;
  }

  @Override
  public boolean requiresDomainNameResolution() {
    return false;
  }

  @Override
  public SocketAddress getSocketAddress() {
    return address;
  }

  @Override
  public SelectableChannel newSelectableChannel() throws IOException {
    return spare.open(() -> NetworkNamespaces.openChannel(namespace));
  }

  // Jetty keys connection pools by transport, so two routes to the same namespace and address
  // share a pool and routes to different namespaces never do.
  @Override
  public boolean equals(Object other) {
    return other instanceof NamespaceTransport t
        && t.namespace.equals(namespace)
        && t.address.equals(address);
  }

  @Override
  public int hashCode() {
    return Objects.hash(namespace, address);
  }

  @Override
  public String toString() {
    return "netns:" + namespace + "/" + address;
  }
}
