package dev.kindling.activities.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.workflows.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AcceleratorDetectorTest {
  @TempDir Path root;

  private void touch(String relative) throws Exception {
    Path p = root.resolve(relative);
    Files.createDirectories(p.getParent());
    Files.createFile(p);
  }

  @Test
  void noDevKvmMeansTcg() {
    AcceleratorChoice choice = new AcceleratorDetector(root).choose("auto");
    assertEquals(Accelerator.TCG, choice.accelerator());
    assertTrue(choice.reason().contains("/dev/kvm does not exist"), choice.reason());
  }

  @Test
  void kvmPvmCannotRunStockKernelsSoItIsTcg() throws Exception {
    touch("dev/kvm");
    Files.createDirectories(root.resolve("sys/module/kvm_pvm"));
    Files.createDirectories(root.resolve("sys/module/kvm"));
    AcceleratorChoice choice = new AcceleratorDetector(root).choose(null);
    assertEquals(Accelerator.TCG, choice.accelerator());
    assertTrue(choice.reason().contains("KVM-PVM"), choice.reason());
  }

  @Test
  void ordinaryKvmIsUsed() throws Exception {
    touch("dev/kvm");
    Files.createDirectories(root.resolve("sys/module/kvm_amd"));
    assertEquals(Accelerator.KVM, new AcceleratorDetector(root).choose("auto").accelerator());
  }

  @Test
  void theSettingOverridesDetection() throws Exception {
    touch("dev/kvm");
    Files.createDirectories(root.resolve("sys/module/kvm_intel"));
    assertEquals(Accelerator.TCG, new AcceleratorDetector(root).choose("TCG").accelerator());
    assertEquals(Accelerator.KVM, new AcceleratorDetector(root).choose("kvm").accelerator());
    assertThrows(InvalidInputException.class, () -> new AcceleratorDetector(root).choose("hvf"));
  }
}
