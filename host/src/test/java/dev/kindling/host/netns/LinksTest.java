package dev.kindling.host.netns;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.exec.Commands;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import dev.kindling.host.testing.TestNamespace;
import java.net.Inet4Address;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

@RequiresHost({HostCapability.ROOT, HostCapability.IPROUTE2, HostCapability.TUN})
class LinksTest {
  private static final Inet4Address HOST = (Inet4Address) InetAddress.ofLiteral("169.254.77.1");

  @Test
  void makesAPersistentTapWithItsAddressUpInsideTheNamespaceOnly() throws Exception {
    try (TestNamespace ns = TestNamespace.create()) {
      NetworkNamespaces.inside(
          ns.name(),
          () -> {
            try (Links links = Links.open()) {
              assertFalse(links.exists("tap0"));
              links.createTap("tap0");
              assertTrue(links.exists("tap0"));
              links.address("tap0", HOST, 30);
              links.up("tap0");
            }
            return null;
          });

      String link = Commands.check("ip", "-n", ns.name(), "-d", "link", "show", "dev", "tap0");
      assertTrue(link.contains("tun type tap") && link.contains("pi off"), link);
      assertTrue(
          link.contains("persist on"), "the TAP outlives the descriptor that made it: " + link);
      assertTrue(
          link.contains("<NO-CARRIER,BROADCAST,MULTICAST,UP>"),
          "up, with no VMM attached yet: " + link);
      String address =
          Commands.check("ip", "-n", ns.name(), "-o", "-4", "address", "show", "dev", "tap0");
      assertTrue(address.contains("inet 169.254.77.1/30 "), address);
      assertFalse(
          Commands.check("ip", "-o", "link", "show").contains("tap0"),
          "nothing in the host namespace");
      assertFalse(
          Commands.check("ip", "-o", "address", "show").contains("169.254.77.1"),
          "nothing in the host namespace");
    }
  }

  @Test
  void everyStepCanBeRepeatedAndTheAddressIsReplaced() throws Exception {
    try (TestNamespace ns = TestNamespace.create()) {
      Inet4Address other = (Inet4Address) InetAddress.ofLiteral("169.254.78.5");
      NetworkNamespaces.inside(
          ns.name(),
          () -> {
            try (Links links = Links.open()) {
              links.createTap("tap0");
              links.address("tap0", other, 24);
              links.address("tap0", HOST, 30);
              links.address("tap0", HOST, 30);
              links.up("tap0");
              links.up("tap0");
              links.up("lo");
            }
            return null;
          });
      String addresses = Commands.check("ip", "-n", ns.name(), "-o", "-4", "address", "show");
      assertTrue(addresses.contains("inet 169.254.77.1/30 "), addresses);
      assertFalse(addresses.contains("169.254.78.5"), "replaced, not added: " + addresses);
      assertTrue(addresses.contains("inet 127.0.0.1/8 "), "lo is up: " + addresses);
      assertTrue(
          Commands.check("ip", "-n", ns.name(), "route", "show")
              .contains("169.254.77.0/30 dev tap0"));
    }
  }

  @Test
  void aMissingLinkFailsWithItsNameAndErrno() throws Exception {
    try (TestNamespace ns = TestNamespace.create()) {
      java.io.IOException failure =
          assertThrows(
              java.io.IOException.class,
              () ->
                  NetworkNamespaces.inside(
                      ns.name(),
                      () -> {
                        try (Links links = Links.open()) {
                          links.up("tap9");
                        }
                        return null;
                      }));
      assertTrue(
          failure.getMessage().contains("tap9") && failure.getMessage().contains("errno 19"),
          failure.getMessage());
    }
  }
}
