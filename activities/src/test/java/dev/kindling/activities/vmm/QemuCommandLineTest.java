package dev.kindling.activities.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.workflows.InvalidInputException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class QemuCommandLineTest {
  private static final Path VM_DIR = Path.of("/run/kindling/vms/vm0123456789");

  private static VmSpec spec(String cmdline) {
    return new VmSpec(
        "vm0123456789",
        "a".repeat(64),
        VM_DIR,
        "kindling-vm0123456789",
        "tap0",
        "02:4b:44:00:00:02",
        512,
        2,
        Path.of("/cache/images/x/vmlinuz"),
        Path.of("/cache/images/x/initrd.img"),
        Path.of("/cache/images/x/rootfs.ext4"),
        cmdline);
  }

  private static String after(List<String> argv, String flag) {
    int i = argv.indexOf(flag);
    assertTrue(i >= 0, flag + " is in " + argv);
    return argv.get(i + 1);
  }

  @Test
  void startsInsideTheVmsNamespaceDaemonizedWithPidFileSerialAndQmp() {
    List<String> argv =
        QemuCommandLine.forVm(
                "qemu-system-x86_64", spec("console=ttyS0"), MachineType.PC, Accelerator.TCG)
            .build();
    assertEquals(
        List.of("ip", "netns", "exec", "kindling-vm0123456789", "qemu-system-x86_64"),
        argv.subList(0, 5));
    assertTrue(argv.contains("-daemonize"));
    assertEquals(VM_DIR.resolve("vmm.pid").toString(), after(argv, "-pidfile"));
    assertEquals("unix:" + VM_DIR.resolve("qmp.sock") + ",server=on,wait=off", after(argv, "-qmp"));
    assertEquals(
        "file,id=serial0,path=" + VM_DIR.resolve("serial.log") + ",append=on",
        after(argv, "-chardev"));
    assertEquals("chardev:serial0", after(argv, "-serial"));
    assertEquals("512", after(argv, "-m"));
    assertEquals("2", after(argv, "-smp"));
    assertFalse(argv.contains("-incoming"));
  }

  @Test
  void tcgOnPcUsesPciVirtioDevicesOnTheOverlayAndTap() {
    List<String> argv =
        QemuCommandLine.forVm(
                "qemu-system-x86_64", spec("console=ttyS0"), MachineType.PC, Accelerator.TCG)
            .tbSizeMib(64)
            .build();
    assertEquals("pc", after(argv, "-machine"));
    assertEquals("tcg,tb-size=64", after(argv, "-accel"));
    assertEquals("max", after(argv, "-cpu"));
    assertEquals(
        "file="
            + VM_DIR.resolve("overlay.qcow2")
            + ",format=qcow2,if=none,id=disk0,discard=unmap,cache=unsafe",
        after(argv, "-drive"));
    assertTrue(argv.contains("virtio-blk-pci,drive=disk0"));
    assertEquals("tap,id=net0,ifname=tap0,script=no,downscript=no", after(argv, "-netdev"));
    assertTrue(argv.contains("virtio-net-pci,netdev=net0,mac=02:4b:44:00:00:02,romfile="));
    assertEquals("console=ttyS0", after(argv, "-append"));
  }

  @Test
  void microvmUnderTcgGetsTheHostTscRateAndMmioDevices() {
    QemuCommandLine command =
        QemuCommandLine.forVm(
                "qemu-system-x86_64",
                spec("console=ttyS0 kindling.ip=169.254.77.2/30"),
                MachineType.MICROVM,
                Accelerator.TCG)
            .tscKhz(2445404);
    List<String> argv = command.build();
    assertTrue(after(argv, "-machine").startsWith("microvm,"));
    assertEquals(
        "console=ttyS0 kindling.ip=169.254.77.2/30 tsc_early_khz=2445404", after(argv, "-append"));
    assertTrue(argv.contains("virtio-blk-device,drive=disk0"));
    assertTrue(argv.contains("virtio-net-device,netdev=net0,mac=02:4b:44:00:00:02"));
  }

  @Test
  void kvmUsesTheHostCpuAndNoTscArgument() {
    List<String> argv =
        QemuCommandLine.forVm(
                "qemu-system-x86_64", spec("console=ttyS0"), MachineType.MICROVM, Accelerator.KVM)
            .tscKhz(2445404)
            .build();
    assertEquals("kvm", after(argv, "-accel"));
    assertEquals("host", after(argv, "-cpu"));
    assertEquals("console=ttyS0", after(argv, "-append"));
  }

  @Test
  void aRestoreLoadsTheMemoryStateFromItsFile() {
    List<String> argv =
        QemuCommandLine.forVm(
                "qemu-system-x86_64", spec("console=ttyS0"), MachineType.PC, Accelerator.TCG)
            .incoming(Path.of("/cache/images/x/snapshots/y/memory.state"))
            .build();
    assertEquals("exec:cat /cache/images/x/snapshots/y/memory.state", after(argv, "-incoming"));
  }

  @Test
  void refusesPathsThatWouldBreakQemuOptionsOrTheMigrationShellCommand() {
    assertThrows(InvalidInputException.class, () -> QemuCommandLine.safe(Path.of("/tmp/a,b")));
    assertThrows(InvalidInputException.class, () -> QemuCommandLine.safe(Path.of("/tmp/a b")));
    assertThrows(InvalidInputException.class, () -> QemuCommandLine.safe(Path.of("/tmp/a;rm")));
    assertThrows(InvalidInputException.class, () -> QemuCommandLine.safe(Path.of("/tmp/$(x)")));
    assertThrows(InvalidInputException.class, () -> QemuCommandLine.safe(Path.of("relative/path")));
    assertThrows(InvalidInputException.class, () -> QemuCommandLine.safe(Path.of("/tmp/../etc")));
    assertEquals(
        "/run/kindling/vms/vm0123456789/qmp.sock",
        QemuCommandLine.safe(VM_DIR.resolve("qmp.sock")));
    VmSpec commaDir =
        new VmSpec(
            "vm0123456789",
            "a".repeat(64),
            Path.of("/tmp/x,y"),
            "kindling-vm0123456789",
            "tap0",
            "02:4b:44:00:00:02",
            512,
            1,
            Path.of("/k"),
            Path.of("/i"),
            Path.of("/d"),
            "console=ttyS0");
    assertThrows(
        InvalidInputException.class,
        () -> QemuCommandLine.forVm("q", commaDir, MachineType.PC, Accelerator.TCG).build());
  }

  @Test
  void refusesBadIdentifiersBeforeAnythingRuns() {
    VmSpec badVm =
        new VmSpec(
            "../etc",
            "a".repeat(64),
            VM_DIR,
            "kindling-x",
            "tap0",
            "02:4b:44:00:00:02",
            512,
            1,
            Path.of("/k"),
            Path.of("/i"),
            Path.of("/d"),
            "c");
    assertThrows(
        InvalidInputException.class,
        () -> QemuCommandLine.forVm("q", badVm, MachineType.PC, Accelerator.TCG).build());
    VmSpec longTap =
        new VmSpec(
            "vm0123456789",
            "a".repeat(64),
            VM_DIR,
            "kindling-vm0123456789",
            "tap0123456789abcd",
            "02:4b:44:00:00:02",
            512,
            1,
            Path.of("/k"),
            Path.of("/i"),
            Path.of("/d"),
            "c");
    assertThrows(
        InvalidInputException.class,
        () -> QemuCommandLine.forVm("q", longTap, MachineType.PC, Accelerator.TCG).build());
    VmSpec badMac =
        new VmSpec(
            "vm0123456789",
            "a".repeat(64),
            VM_DIR,
            "kindling-vm0123456789",
            "tap0",
            "02:4b:44:00:00:0g",
            512,
            1,
            Path.of("/k"),
            Path.of("/i"),
            Path.of("/d"),
            "c");
    assertThrows(
        InvalidInputException.class,
        () -> QemuCommandLine.forVm("q", badMac, MachineType.PC, Accelerator.TCG).build());
    VmSpec newline = spec("console=ttyS0\ninit=/bin/sh");
    assertThrows(
        InvalidInputException.class,
        () -> QemuCommandLine.forVm("q", newline, MachineType.PC, Accelerator.TCG).build());
  }
}
