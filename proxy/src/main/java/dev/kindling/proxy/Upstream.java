package dev.kindling.proxy;

import java.net.URI;

/** Where a route's websockify listens. Production routes are always {@link NamespacedUpstream}. */
public sealed interface Upstream permits NamespacedUpstream, LoopbackUpstream {
  int port();

  /** The request path on the VM's websockify, starting with '/'. */
  String path();

  /** The URI the upgrade request carries; which socket it uses is decided by the transport. */
  URI uri();
}
