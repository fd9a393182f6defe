package dev.ext4sim.bus.trace;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * A tracepoint's fields, immutable and in the kernel's order, in two arrays with interned names: a fifth of the
 * memory of a LinkedHashMap, which matters for a buffer holding a hundred thousand events.
 */
final class CompactFields extends AbstractMap<String, Object> {
    private final String[] names;
    private final Object[] values;

    private CompactFields(String[] names, Object[] values) {
        this.names = names;
        this.values = values;
    }

    static Map<String, Object> of(Map<String, Object> fields) {
        if (fields instanceof CompactFields) {
            return fields;
        }
        String[] names = new String[fields.size()];
        Object[] values = new Object[fields.size()];
        int i = 0;
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            names[i] = e.getKey().intern();
            values[i] = e.getValue() instanceof String s ? s.intern() : e.getValue();
            i++;
        }
        return new CompactFields(names, values);
    }

    @Override
    public int size() {
        return names.length;
    }

    @Override
    public Object get(Object key) {
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(key)) {
                return values[i];
            }
        }
        return null;
    }

    @Override
    public boolean containsKey(Object key) {
        for (String n : names) {
            if (n.equals(key)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public int size() {
                return names.length;
            }

            @Override
            public Iterator<Entry<String, Object>> iterator() {
                return new Iterator<>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < names.length;
                    }

                    @Override
                    public Entry<String, Object> next() {
                        if (next >= names.length) {
                            throw new NoSuchElementException();
                        }
                        Entry<String, Object> e = new SimpleImmutableEntry<>(names[next], values[next]);
                        next++;
                        return e;
                    }
                };
            }
        };
    }
}
