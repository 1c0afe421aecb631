package dev.kindling.workflows.host;

/**
 * The fixed addressing inside every VM's own network namespace. Every VM uses the same addresses,
 * so a memory snapshot restores anywhere and VMs cannot see each other: isolation comes from the
 * namespace, not from the address. These addresses exist only inside Kindling's namespaces.
 */
public final class GuestNetwork {
  public static final String TAP = "tap0";
  public static final String HOST_ADDRESS = "169.254.77.1";
  public static final String GUEST_ADDRESS = "169.254.77.2";
  public static final int PREFIX_LENGTH = 30;
  public static final String GUEST_MAC = "02:4b:44:00:00:02";
  public static final int AGENT_PORT = 8080;
  public static final int VNC_PORT = 5901;
  public static final int WEBSOCKIFY_PORT = 6080;

  /**
   * The egress proxy's port on {@link #HOST_ADDRESS}, for VMs whose session allows egress: the
   * guest's only way out.
   */
  public static final int EGRESS_PROXY_PORT = 3128;

  /** The proxy URL the guest's programs are given ({@code http_proxy} and its kin). */
  public static final String EGRESS_PROXY_URL = "http://" + HOST_ADDRESS + ":" + EGRESS_PROXY_PORT;

  /** Network namespaces Kindling owns are named with this prefix and nothing else is. */
  public static final String NAMESPACE_PREFIX = "kindling-";

  private GuestNetwork() {}

  public static String namespaceFor(String vmId) {
    return NAMESPACE_PREFIX + vmId;
  }
}
