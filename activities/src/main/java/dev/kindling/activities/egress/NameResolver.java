package dev.kindling.activities.egress;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** Turns a host name into the addresses it stands for; the proxy asks once per request. */
@FunctionalInterface
public interface NameResolver {
  NameResolver SYSTEM = host -> List.of(InetAddress.getAllByName(host));

  List<InetAddress> resolve(String host) throws UnknownHostException;
}
