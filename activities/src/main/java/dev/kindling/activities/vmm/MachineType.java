package dev.kindling.activities.vmm;

import java.util.Locale;

/** QEMU machine types Kindling supports; {@code microvm} skips firmware and PCI. */
public enum MachineType {
  PC("pc", "virtio-blk-pci", "virtio-net-pci"),
  MICROVM("microvm", "virtio-blk-device", "virtio-net-device");

  private final String label;
  private final String blockDevice;
  private final String netDevice;

  MachineType(String label, String blockDevice, String netDevice) {
    this.label = label;
    this.blockDevice = blockDevice;
    this.netDevice = netDevice;
  }

  public String label() {
    return label;
  }

  String blockDevice() {
    return blockDevice;
  }

  String netDevice() {
    return netDevice;
  }

  public static MachineType parse(String value) {
    if (value == null || value.isBlank()) {
      return PC;
    }
    for (MachineType type : values()) {
      if (type.label.equals(value.strip().toLowerCase(Locale.ROOT))) {
        return type;
      }
    }
    throw new dev.kindling.workflows.InvalidInputException(
        "machine", "'" + value + "' is not one of pc, microvm");
  }
}
