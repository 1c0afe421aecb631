package dev.kindling.host.egress;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The addresses a VM's egress never reaches, whatever name led there: loopback, link-local (cloud
 * metadata lives at 169.254.169.254), private and shared ranges, multicast, reserved ranges, the
 * host's own addresses, and every IPv6 form that embeds an IPv4 address in one of those (mapped,
 * compatible, NAT64, 6to4). The operator may except ranges (tests except loopback for their own
 * server); nothing else changes the list.
 */
public final class AddressDenyList {
  private static final List<Range> STANDARD =
      List.of(
          range("0.0.0.0/8", "this network"),
          range("10.0.0.0/8", "private"),
          range("100.64.0.0/10", "shared address space"),
          range("127.0.0.0/8", "loopback"),
          range("169.254.0.0/16", "link-local (cloud metadata)"),
          range("172.16.0.0/12", "private"),
          range("192.0.0.0/24", "IETF protocol assignments"),
          range("192.168.0.0/16", "private"),
          range("198.18.0.0/15", "benchmarking"),
          range("224.0.0.0/4", "multicast"),
          range("240.0.0.0/4", "reserved"),
          range("::/128", "unspecified"),
          range("::1/128", "loopback"),
          range("100::/64", "discard"),
          range("fc00::/7", "unique local (private)"),
          range("fe80::/10", "link-local"),
          range("ff00::/8", "multicast"));

  private final List<Range> ranges;
  private final List<Cidr> excepted;

  private record Range(Cidr cidr, String why) {}

  private AddressDenyList(List<Range> ranges, List<Cidr> excepted) {
    this.ranges = List.copyOf(ranges);
    this.excepted = List.copyOf(excepted);
  }

  /**
   * The standard list plus {@code hostAddresses} (this host's own), less the operator's {@code
   * excepted} ranges.
   */
  public static AddressDenyList standard(
      Collection<InetAddress> hostAddresses, List<Cidr> excepted) {
    List<Range> ranges = new ArrayList<>(STANDARD);
    for (InetAddress address : hostAddresses) {
      int bits = address.getAddress().length * 8;
      ranges.add(
          new Range(
              Cidr.parse(address.getHostAddress().replaceFirst("%.*$", "") + "/" + bits),
              "an address of this host"));
    }
    return new AddressDenyList(ranges, excepted);
  }

  /** Why {@code address} may not be reached, or empty when it may. */
  public Optional<String> refusal(InetAddress address) {
    byte[] bytes = address.getAddress();
    byte[] embedded = embeddedIpv4(bytes);
    for (byte[] candidate : embedded == null ? List.of(bytes) : List.of(bytes, embedded)) {
      if (excepted.stream().anyMatch(c -> c.contains(candidate))) {
        continue;
      }
      for (Range range : ranges) {
        if (range.cidr().contains(candidate)) {
          return Optional.of(
              address.getHostAddress()
                  + " is in "
                  + range.cidr()
                  + " ("
                  + range.why()
                  + (candidate == embedded ? ", as the IPv4 address inside it" : "")
                  + ")");
        }
      }
    }
    return Optional.empty();
  }

  /**
   * The IPv4 address an IPv6 address carries: IPv4-mapped ({@code ::ffff:a.b.c.d}), IPv4-compatible
   * ({@code ::a.b.c.d}), NAT64 ({@code 64:ff9b::a.b.c.d}) or 6to4 ({@code 2002:aabb:ccdd::}); null
   * for any other.
   */
  static byte[] embeddedIpv4(byte[] v6) {
    if (v6.length != 16) {
      return null;
    }
    boolean firstTenZero = Arrays.equals(Arrays.copyOfRange(v6, 0, 10), new byte[10]);
    if (firstTenZero && (v6[10] & 0xFF) == 0xFF && (v6[11] & 0xFF) == 0xFF) {
      return Arrays.copyOfRange(v6, 12, 16);
    }
    if (firstTenZero && v6[10] == 0 && v6[11] == 0 && !isZeroOrOne(v6)) {
      return Arrays.copyOfRange(v6, 12, 16);
    }
    byte[] nat64 = {0, 0x64, (byte) 0xff, (byte) 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (Arrays.equals(Arrays.copyOfRange(v6, 0, 12), nat64)) {
      return Arrays.copyOfRange(v6, 12, 16);
    }
    if ((v6[0] & 0xFF) == 0x20 && (v6[1] & 0xFF) == 0x02) {
      return Arrays.copyOfRange(v6, 2, 6);
    }
    return null;
  }

  /** {@code ::} and {@code ::1} are themselves, not IPv4-compatible addresses. */
  private static boolean isZeroOrOne(byte[] v6) {
    for (int i = 12; i < 15; i++) {
      if (v6[i] != 0) {
        return false;
      }
    }
    return v6[15] == 0 || v6[15] == 1;
  }

  private static Range range(String cidr, String why) {
    return new Range(Cidr.parse(cidr), why);
  }
}
