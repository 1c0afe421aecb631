package dev.kindling.host.egress;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** An address range written {@code address/prefix}, IPv4 or IPv6. */
public record Cidr(byte[] network, int prefix, String text) {
  private static final Pattern LITERAL = Pattern.compile("[0-9a-fA-F:.]+");

  /**
   * Parses {@code text}; only literal addresses (never a name to resolve).
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static Cidr parse(String text) {
    int slash = text == null ? -1 : text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("'" + text + "' is not address/prefix");
    }
    String address = text.substring(0, slash);
    if (!LITERAL.matcher(address).matches()) {
      throw new IllegalArgumentException("'" + text + "' does not start with an IP address");
    }
    byte[] bytes;
    try {
      bytes = InetAddress.getByName(address).getAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + text + "' does not start with an IP address", e);
    }
    int prefix;
    try {
      prefix = Integer.parseInt(text.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' has no prefix length", e);
    }
    if (prefix < 0 || prefix > bytes.length * 8) {
      throw new IllegalArgumentException(
          "'" + text + "': the prefix must be 0-" + bytes.length * 8);
    }
    return new Cidr(masked(bytes, prefix), prefix, text);
  }

  public boolean contains(byte[] address) {
    if (address.length != network.length) {
      return false;
    }
    byte[] candidate = masked(address, prefix);
    return java.util.Arrays.equals(candidate, network);
  }

  @Override
  public String toString() {
    return text;
  }

  private static byte[] masked(byte[] address, int prefix) {
    byte[] out = address.clone();
    for (int i = 0; i < out.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - 8 * i));
      out[i] &= (byte) (0xFF << (8 - keep));
    }
    return out;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Cidr c
        && prefix == c.prefix
        && java.util.Arrays.equals(network, c.network);
  }

  @Override
  public int hashCode() {
    return 31 * java.util.Arrays.hashCode(network) + prefix;
  }
}
