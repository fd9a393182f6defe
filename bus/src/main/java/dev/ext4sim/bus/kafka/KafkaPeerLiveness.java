package dev.ext4sim.bus.kafka;

import dev.ext4sim.bus.call.PeerLiveness;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;

/**
 * A service is alive when its consumer group (named after the service) has members. The answer must come within
 * the margin a caller keeps for its own reply ({@code CallContext.downstreamTimeout}), so it is asked with a
 * short timeout and "unknown" is the answer when the broker is slow.
 */
final class KafkaPeerLiveness implements PeerLiveness {
    private final Admin admin;

    KafkaPeerLiveness(Admin admin) {
        this.admin = admin;
    }

    // Asked only after a call timed out, so it may take its time: on a loaded machine 200 ms was too short and a
    // dead peer was reported as slow (ETIMEDOUT) instead of absent (EIO).
    @Override
    public Optional<Boolean> isAlive(String service) {
        try {
            ConsumerGroupDescription group = admin
                    .describeConsumerGroups(List.of(service), new DescribeConsumerGroupsOptions().timeoutMs(1500))
                    .describedGroups().get(service).get(2, TimeUnit.SECONDS);
            return Optional.of(!group.members().isEmpty());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (java.util.concurrent.ExecutionException e) {
            // A group that never existed, or was deleted: nobody has ever served, or still serves, that service.
            return e.getCause() instanceof org.apache.kafka.common.errors.GroupIdNotFoundException
                    ? Optional.of(false) : Optional.empty();
        } catch (Exception e) {
            return Optional.empty();
        }
    }
}
