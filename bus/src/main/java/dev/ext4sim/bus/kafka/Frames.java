package dev.ext4sim.bus.kafka;

import dev.ext4sim.bus.call.Frame;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** Frames to and from Kafka records: headers become record headers, the value stays raw bytes. */
final class Frames {
    private Frames() {
    }

    static ProducerRecord<String, byte[]> toRecord(String topic, String key, Frame frame) {
        RecordHeaders headers = new RecordHeaders();
        frame.headers().forEach((name, value) -> headers.add(new RecordHeader(name, value)));
        return new ProducerRecord<>(topic, null, key, frame.value(), headers);
    }

    static Frame fromRecord(ConsumerRecord<String, byte[]> record) {
        Map<String, byte[]> headers = new LinkedHashMap<>();
        for (Header h : record.headers()) {
            headers.put(h.key(), h.value());
        }
        return new Frame(headers, record.value());
    }

    static String origin(ConsumerRecord<?, ?> record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }
}
