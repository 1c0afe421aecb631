package dev.kindling.activities.vmm;

/** How QEMU executes guest code: hardware virtualisation or software emulation. */
public enum Accelerator {
  KVM("kvm"),
  TCG("tcg");

  private final String label;

  Accelerator(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
