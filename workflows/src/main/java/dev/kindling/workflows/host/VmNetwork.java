package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** A VM's network: its namespace, the TAP inside it, and the addresses on either end of the TAP. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record VmNetwork(
    String namespace,
    String tap,
    String hostAddress,
    String guestAddress,
    int prefixLength,
    String guestMac) {

  public static VmNetwork standard(String vmId) {
    return new VmNetwork(
        GuestNetwork.namespaceFor(vmId),
        GuestNetwork.TAP,
        GuestNetwork.HOST_ADDRESS,
        GuestNetwork.GUEST_ADDRESS,
        GuestNetwork.PREFIX_LENGTH,
        GuestNetwork.GUEST_MAC);
  }
}
