package dev.kindling.workflows.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.StageTiming;
import java.util.List;

@JsonIgnoreProperties(ignoreUnknown = true)
public record GoldenImageResult(
    ImageRef image, boolean promoted, List<StageTiming> timings, int retiredVms) {}
