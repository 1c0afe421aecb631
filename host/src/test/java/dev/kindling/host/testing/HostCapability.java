package dev.kindling.host.testing;

import dev.kindling.host.HostPaths;
import dev.kindling.host.TemporalCli;
import dev.kindling.host.exec.Commands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A facility a test may need, with how to tell whether this host has it. */
public enum HostCapability {
  ROOT("CAP_NET_ADMIN and CAP_SYS_ADMIN (as root) to create network namespaces and TAPs") {
    @Override
    public boolean present() {
      return EffectiveCapabilities.ofThisProcess()
          .hasAll(EffectiveCapabilities.CAP_NET_ADMIN, EffectiveCapabilities.CAP_SYS_ADMIN);
    }
  },
  IPROUTE2("iproute2's 'ip' command (apt-get install iproute2)") {
    @Override
    public boolean present() {
      return Commands.available("ip");
    }
  },
  TUN("/dev/net/tun for TAP devices") {
    @Override
    public boolean present() {
      return Files.isReadable(Path.of("/dev/net/tun"));
    }
  },
  QEMU("qemu-system-x86_64 (apt-get install qemu-system-x86 qemu-utils)") {
    @Override
    public boolean present() {
      return Commands.available("qemu-system-x86_64") && Commands.available("qemu-img");
    }
  },
  DEBOOTSTRAP("debootstrap and mkfs.ext4 (apt-get install debootstrap e2fsprogs)") {
    @Override
    public boolean present() {
      return Commands.available("debootstrap") && Commands.available("mkfs.ext4");
    }
  },
  FIRECRACKER("a 'firecracker' binary on PATH (not installable from Debian's packages)") {
    @Override
    public boolean present() {
      return Commands.available("firecracker");
    }
  },
  WEBSOCKIFY("websockify (apt-get install websockify)") {
    @Override
    public boolean present() {
      return Commands.available("websockify");
    }
  },
  CHROMIUM("chromium (apt-get install chromium)") {
    @Override
    public boolean present() {
      return Commands.available("chromium");
    }
  },
  BROWSER_E2E(
      "node with e2e/browser's packages installed (bin/setup-host runs npm ci there) and chromium") {
    @Override
    public boolean present() {
      String root = System.getProperty("kindling.repo.root", ".");
      return Commands.available("node")
          && Commands.available("chromium")
          && Files.isDirectory(Path.of(root, "e2e", "browser", "node_modules", "playwright-core"));
    }
  },
  TEMPORAL_CLI(
      "the Temporal CLI, to run its development server (bin/setup-host builds the version in"
          + " bin/temporal-cli.version into <cache>/tools/temporal-<version>/temporal; or KINDLING_TEMPORAL_CLI=/path/to/temporal,"
          + " or 'temporal' on PATH)") {
    @Override
    public boolean present() {
      return TemporalCli.find(System.getenv("KINDLING_TEMPORAL_CLI"), HostPaths.fromEnvironment())
          .isPresent();
    }
  },
  VM_TESTS_ENABLED("VM tests enabled (unset KINDLING_SKIP_VM_TESTS)") {
    @Override
    public boolean present() {
      return System.getenv("KINDLING_SKIP_VM_TESTS") == null;
    }
  };

  /** Network namespaces: everything a netns + TAP test needs. */
  public static final List<HostCapability> NETNS = List.of(ROOT, IPROUTE2, TUN);

  private final String description;

  HostCapability(String description) {
    this.description = description;
  }

  public String description() {
    return description;
  }

  public abstract boolean present();
}
