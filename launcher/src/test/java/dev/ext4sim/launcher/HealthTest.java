package dev.ext4sim.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HealthTest {

    @Test
    void theServiceStatusIsTheOutermostOneNotTheFirstComponents() {
        String body = "{\"components\":{\"bus\":{\"details\":{\"serves\":\"ext4-service\"},\"status\":\"UP\"},"
                + "\"mount\":{\"details\":{\"waiting\":\"to mount sda1 {\\\"status\\\":\\\"UP\\\"}\"},\"status\":\"DOWN\"}},"
                + "\"groups\":[\"liveness\",\"readiness\"],\"status\":\"DOWN\"}";
        assertThat(Health.topLevelStatus(body)).contains("DOWN");
        assertThat(Health.topLevelStatus("{\"status\":\"UP\"}")).contains("UP");
        assertThat(Health.topLevelStatus("<html>")).isEmpty();
    }
}
