package dev.kindling.activities.egress;

import dev.kindling.host.Printable;
import dev.kindling.host.egress.AddressDenyList;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Connects to an allowed name: resolves it once, drops every address on the deny-list, and tries
 * the rest in order. The addresses checked are the addresses connected to; nothing resolves the
 * name a second time, so a DNS answer that changes in between cannot lead anywhere unchecked.
 */
final class UpstreamConnector {
  /** Receives each socket before it connects, so that a connection cut meanwhile closes it. */
  interface Attach {
    /** Throws when the connection has been cut already. */
    void attach(Socket upstream) throws IOException;
  }

  private final AddressDenyList denyList;
  private final NameResolver resolver;
  private final int connectMillis;

  UpstreamConnector(AddressDenyList denyList, NameResolver resolver, Duration connectTimeout) {
    this.denyList = denyList;
    this.resolver = resolver;
    this.connectMillis = RequestHeadReader.millis(connectTimeout.toNanos());
  }

  /**
   * A socket connected to {@code name} on {@code port}.
   *
   * @param name the canonical name, resolved and named in the reasons
   * @param written the host as the guest wrote it, made printable, recorded with a refusal
   * @throws Refused 502 when the name does not resolve or no address answers, 403 when every
   *     address is denied
   * @throws IOException when the connection was cut while connecting
   */
  Socket connect(String name, String written, int port, Attach attach) throws Refused, IOException {
    List<InetAddress> reachable = new ArrayList<>();
    String firstDenial = null;
    for (InetAddress address : resolve(name, written, port)) {
      Optional<String> denial = denyList.refusal(address);
      if (denial.isEmpty()) {
        reachable.add(address);
      } else if (firstDenial == null) {
        firstDenial = denial.get();
      }
    }
    if (reachable.isEmpty()) {
      throw new Refused(
          403,
          written,
          port,
          name + " resolves to " + denied(firstDenial) + " and never reachable from a VM");
    }
    String failure = null;
    for (InetAddress address : reachable) {
      Socket socket = new Socket();
      attach.attach(socket);
      try {
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(address, port), connectMillis);
        return socket;
      } catch (SocketTimeoutException e) {
        socket.close();
        failure = "no answer within " + connectMillis + " ms";
      } catch (IOException e) {
        socket.close();
        failure = e.getMessage() == null ? e.toString() : Printable.of(e.getMessage());
      }
    }
    throw new Refused(
        502, written, port, name + ":" + port + " could not be reached (" + failure + ")");
  }

  private List<InetAddress> resolve(String name, String written, int port) throws Refused {
    List<InetAddress> addresses;
    try {
      addresses = resolver.resolve(name);
    } catch (UnknownHostException | RuntimeException e) {
      addresses = List.of();
    }
    if (addresses == null || addresses.isEmpty()) {
      throw new Refused(502, written, port, name + " does not resolve");
    }
    return addresses;
  }

  /** "a.b.c.d is in 10.0.0.0/8 (private)" becomes "a.b.c.d, which is in 10.0.0.0/8 (private)". */
  private static String denied(String denial) {
    int is = denial.indexOf(" is ");
    return is < 0 ? denial : denial.substring(0, is) + ", which" + denial.substring(is);
  }
}
