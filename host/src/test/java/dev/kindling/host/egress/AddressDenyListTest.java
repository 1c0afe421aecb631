package dev.kindling.host.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AddressDenyListTest {
  private static final InetAddress HOST_ADDRESS = literal("203.0.113.7");
  private final AddressDenyList list = AddressDenyList.standard(List.of(HOST_ADDRESS), List.of());

  private static InetAddress literal(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** An IPv6 address object whatever it embeds (getByName turns a mapped one into IPv4). */
  private static InetAddress v6(String text) throws Exception {
    byte[] bytes = new byte[16];
    byte[] parsed = InetAddress.getByName(text).getAddress();
    if (parsed.length == 4) {
      bytes[10] = (byte) 0xff;
      bytes[11] = (byte) 0xff;
      System.arraycopy(parsed, 0, bytes, 12, 4);
    } else {
      bytes = parsed;
    }
    return Inet6Address.getByAddress(null, bytes, -1);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "127.0.0.1",
        "127.255.0.9",
        "169.254.169.254",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.251",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fd00::1",
        "ff02::1",
        "203.0.113.7"
      })
  void deniedAddressesAreRefusedWithTheRangeNamed(String address) {
    Optional<String> why = list.refusal(literal(address));
    assertTrue(why.isPresent(), address + " was allowed");
    assertTrue(why.get().contains(" is in "), why.get());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"93.184.216.34", "172.32.0.1", "192.169.0.1", "2606:4700::1111", "8.8.8.8"})
  void publicAddressesPass(String address) {
    assertEquals(Optional.empty(), list.refusal(literal(address)));
  }

  @Test
  void ipv6FormsThatCarryADeniedIpv4AddressAreRefused() throws Exception {
    assertTrue(list.refusal(v6("127.0.0.1")).orElseThrow().contains("the IPv4 address inside it"));
    assertTrue(list.refusal(v6("169.254.169.254")).isPresent(), "IPv4-mapped metadata");
    assertTrue(list.refusal(v6("::a9fe:a9fe")).isPresent(), "IPv4-compatible 169.254.169.254");
    assertTrue(list.refusal(v6("64:ff9b::a00:1")).isPresent(), "NAT64 of 10.0.0.1");
    assertTrue(list.refusal(v6("2002:7f00:1::1")).isPresent(), "6to4 of 127.0.0.1");
    assertTrue(list.refusal(v6("203.0.113.7")).isPresent(), "this host, mapped");
    assertFalse(list.refusal(v6("93.184.216.34")).isPresent(), "a public address, mapped");
  }

  @Test
  void anExceptedRangeIsReachableAndOnlyIt() throws Exception {
    AddressDenyList loopbackAllowed =
        AddressDenyList.standard(List.of(), List.of(Cidr.parse("127.0.0.0/8")));
    assertEquals(Optional.empty(), loopbackAllowed.refusal(literal("127.0.0.1")));
    assertEquals(Optional.empty(), loopbackAllowed.refusal(v6("127.0.0.1")));
    assertTrue(
        loopbackAllowed.refusal(literal("::1")).isPresent(), "IPv6 loopback is another range");
    assertTrue(loopbackAllowed.refusal(literal("169.254.169.254")).isPresent());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "10.0.0.0", "10.0.0.0/33", "::/129", "example.com/8", "10.0.0.0/x"})
  void malformedRangesAreRefused(String text) {
    assertThrows(IllegalArgumentException.class, () -> Cidr.parse(text));
  }

  @Test
  void aRangeHoldsExactlyItsPrefix() {
    Cidr range = Cidr.parse("172.16.0.0/12");
    assertTrue(range.contains(literal("172.16.0.0").getAddress()));
    assertTrue(range.contains(literal("172.31.255.255").getAddress()));
    assertFalse(range.contains(literal("172.32.0.0").getAddress()));
    assertFalse(range.contains(literal("::1").getAddress()), "another family");
  }
}
