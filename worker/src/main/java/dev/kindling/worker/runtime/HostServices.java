package dev.kindling.worker.runtime;

import dev.kindling.activities.egress.EgressLimits;
import dev.kindling.activities.egress.EgressProxy;
import dev.kindling.activities.egress.NameResolver;
import dev.kindling.activities.image.ImageActivitiesImpl;
import dev.kindling.activities.network.Deployment;
import dev.kindling.activities.network.NetworkActivitiesImpl;
import dev.kindling.activities.network.VmEgress;
import dev.kindling.activities.network.VmmPrograms;
import dev.kindling.activities.readiness.ProbeSettings;
import dev.kindling.activities.readiness.ReadinessActivitiesImpl;
import dev.kindling.activities.readiness.VmmLiveness;
import dev.kindling.activities.vmm.FirecrackerConfig;
import dev.kindling.activities.vmm.FirecrackerVmm;
import dev.kindling.activities.vmm.Heartbeat;
import dev.kindling.activities.vmm.MachineType;
import dev.kindling.activities.vmm.QemuConfig;
import dev.kindling.activities.vmm.QemuVmm;
import dev.kindling.activities.vmm.VmProcesses;
import dev.kindling.activities.vmm.Vmm;
import dev.kindling.activities.vmm.VmmActivitiesImpl;
import dev.kindling.host.HostPaths;
import dev.kindling.host.egress.AddressDenyList;
import dev.kindling.host.egress.HostAddresses;
import dev.kindling.host.exec.Commands;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.workflows.InvalidInputException;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything a VM host runs, built once from configuration: the activity implementations for the
 * host's task queue and the pieces the CLI uses directly (image verify, cleanup).
 *
 * @param extraKernelArgs appended to every guest's kernel command line (diagnostics and tests)
 * @param egress the egress proxy of this host's VMs
 * @param meters the host's own meters (egress), which the worker's metrics endpoint serves
 */
public record HostServices(
    KindlingConfig config,
    HostPaths paths,
    Vmm vmm,
    VmProcesses processes,
    NetworkActivitiesImpl network,
    VmmActivitiesImpl vmms,
    ReadinessActivitiesImpl readiness,
    ImageActivitiesImpl images,
    String extraKernelArgs,
    VmEgress egress,
    CompositeMeterRegistry meters) {

  /** How long a VMM gets to stop on its own before it is killed. */
  public static final Duration STOP_GRACE = Duration.ofSeconds(5);

  public static HostServices create(KindlingConfig config) {
    return create(config, config.get(Setting.KERNEL_ARGS));
  }

  public static HostServices create(KindlingConfig config, String extraKernelArgs) {
    HostPaths paths = config.paths();
    Vmm vmm = vmm(config);
    VmProcesses processes = new VmProcesses(paths);
    VmmActivitiesImpl vmms = new VmmActivitiesImpl(paths, vmm, extraKernelArgs, STOP_GRACE);
    CompositeMeterRegistry meters = new CompositeMeterRegistry();
    VmEgress egress = egress(config, paths, meters);
    ReadinessActivitiesImpl readiness =
        new ReadinessActivitiesImpl(
            paths,
            vmId -> liveness(processes, vmId),
            ProbeSettings.defaults(),
            Duration.ofSeconds(config.intValue(Setting.READINESS_TIMEOUT_SECONDS)));
    return new HostServices(
        config,
        paths,
        vmm,
        processes,
        new NetworkActivitiesImpl(
            paths,
            Deployment.of(
                config.temporalTarget(),
                config.temporalNamespace(),
                Boolean.parseBoolean(config.get(Setting.TEMPORAL_EPHEMERAL))),
            egress),
        vmms,
        readiness,
        new ImageActivitiesImpl(
            paths,
            config.templatesDir(),
            config.defaultTemplate(),
            config.get(Setting.DEBIAN_MIRROR)),
        extraKernelArgs,
        egress,
        meters);
  }

  /** The egress proxy as the egress.* settings shape it, on this host's deny-list. */
  static VmEgress egress(KindlingConfig config, HostPaths paths, CompositeMeterRegistry meters) {
    EgressLimits defaults = EgressLimits.defaults();
    EgressLimits limits =
        new EgressLimits(
            config.intValue(Setting.EGRESS_MAX_CONNECTIONS),
            Duration.ofSeconds(config.intValue(Setting.EGRESS_IDLE_SECONDS)),
            defaults.headTimeout(),
            defaults.connectTimeout(),
            defaults.maxHeadBytes(),
            config.egressMaxBytes());
    AddressDenyList denyList =
        AddressDenyList.standard(HostAddresses.all(), config.egressAllowRanges());
    return new VmEgress(paths, new EgressProxy(denyList, NameResolver.SYSTEM, limits, meters));
  }

  /** The configured VMM driver, with its binary found (a typed error names what is missing). */
  static Vmm vmm(KindlingConfig config) {
    if ("firecracker".equals(config.get(Setting.VMM))) {
      String named = config.get(Setting.FIRECRACKER);
      Path binary =
          Commands.locate(named)
              .orElseThrow(
                  () ->
                      new InvalidInputException(
                          Setting.FIRECRACKER.key(),
                          "vmm.driver=firecracker needs the Firecracker binary '"
                              + named
                              + "', which is neither an executable file nor on PATH ("
                              + VmmPrograms.firecracker(named).fix()
                              + ")"));
      FirecrackerConfig defaults = FirecrackerConfig.defaults();
      return FirecrackerVmm.forHost(
          new FirecrackerConfig(binary.toString(), defaults.apiTimeout(), defaults.startTimeout()),
          Heartbeat.ofCurrentActivity());
    }
    QemuConfig qemu =
        QemuConfig.defaults()
            .withMachine(MachineType.parse(config.get(Setting.MACHINE)))
            .withAccel(config.get(Setting.ACCELERATOR));
    return QemuVmm.forHost(qemu, Heartbeat.ofCurrentActivity());
  }

  /** What preflight checks for the configured VMM driver. */
  public static VmmPrograms vmmPrograms(KindlingConfig config) {
    return "firecracker".equals(config.get(Setting.VMM))
        ? VmmPrograms.firecracker(config.get(Setting.FIRECRACKER))
        : VmmPrograms.qemu(QemuConfig.defaults().binary());
  }

  static VmmLiveness liveness(VmProcesses processes, String vmId) {
    return VmmLiveness.whileAlive(vmId, () -> processes.alive(vmId));
  }
}
