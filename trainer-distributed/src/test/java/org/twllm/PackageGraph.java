package org.twllm;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Which packages the compiled classes of a module refer to, read from each class file's constant pool
 * (class entries and the type descriptors of fields, methods and generic signatures), and the cycles
 * among them. A reference is what the JVM would link, so imports that are not used do not count.
 */
final class PackageGraph {
    private static final Pattern DESCRIPTOR_TYPE = Pattern.compile("L([\\w/$]+)[;<]");

    /** package -> the packages its classes refer to (itself excluded), with one example reference each. */
    final Map<String, Map<String, String>> edges = new TreeMap<>();

    /** The graph of every class in the directories or jars holding the given classes' compiled code. */
    static PackageGraph ofModulesOf(Class<?>... anchors) throws IOException {
        PackageGraph graph = new PackageGraph();
        for (Class<?> anchor : anchors) {
            Path location;
            try {
                location = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
            } catch (URISyntaxException e) {
                throw new IOException(e);
            }
            if (Files.isDirectory(location)) {
                try (Stream<Path> files = Files.walk(location)) {
                    for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
                        graph.addClass(Files.readAllBytes(f));
                    }
                }
            } else {
                try (JarFile jar = new JarFile(location.toFile())) {
                    for (JarEntry e : (Iterable<JarEntry>) jar.stream()::iterator) {
                        if (e.getName().endsWith(".class")) {
                            try (InputStream in = jar.getInputStream(e)) {
                                graph.addClass(in.readAllBytes());
                            }
                        }
                    }
                }
            }
        }
        return graph;
    }

    /** Adds one class file's references. */
    void addClass(byte[] classFile) throws IOException {
        ClassReferences refs = ClassReferences.read(classFile);
        String from = packageOf(refs.name);
        edges.computeIfAbsent(from, k -> new TreeMap<>());
        for (String to : refs.referenced) {
            String pkg = packageOf(to);
            if (!pkg.equals(from)) {
                edges.get(from).putIfAbsent(pkg, refs.name.replace('/', '.') + " -> " + to.replace('/', '.'));
            }
        }
    }

    /** Packages (of any library) that {@code from} refers to. */
    Set<String> dependenciesOf(String from) {
        return edges.getOrDefault(from, Map.of()).keySet();
    }

    /** Every set of two or more twllm packages that reach each other (strongly connected components). */
    List<Set<String>> cycles() {
        Map<String, Set<String>> graph = new HashMap<>();
        edges.forEach((from, to) -> {
            Set<String> own = new TreeSet<>();
            to.keySet().stream().filter(edges::containsKey).forEach(own::add);
            graph.put(from, own);
        });
        return stronglyConnected(graph);
    }

    /** Tarjan's algorithm; components of one node are left out. */
    static List<Set<String>> stronglyConnected(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        List<Set<String>> out = new ArrayList<>();
        for (String start : new TreeSet<>(graph.keySet())) {
            if (!index.containsKey(start)) {
                visit(start, graph, index, low, stack, out);
            }
        }
        return out;
    }

    private static void visit(String v, Map<String, Set<String>> graph, Map<String, Integer> index, Map<String, Integer> low,
                              Deque<String> stack, List<Set<String>> out) {
        index.put(v, index.size());
        low.put(v, index.get(v));
        stack.push(v);
        for (String w : graph.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                visit(w, graph, index, low, stack, out);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (stack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                component.add(w);
            } while (!w.equals(v));
            if (component.size() > 1) {
                out.add(component);
            }
        }
    }

    private static String packageOf(String internalName) {
        int slash = internalName.lastIndexOf('/');
        return slash < 0 ? "" : internalName.substring(0, slash).replace('/', '.');
    }

    /** The class a class file defines and the classes its constant pool names. */
    private record ClassReferences(String name, Set<String> referenced) {
        static ClassReferences read(byte[] classFile) throws IOException {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile));
            if (in.readInt() != 0xCAFEBABE) {
                throw new IOException("not a class file");
            }
            in.readUnsignedShort(); // minor version
            in.readUnsignedShort(); // major version
            int count = in.readUnsignedShort();
            String[] utf8 = new String[count];
            int[] classNameIndex = new int[count];
            for (int i = 1; i < count; i++) {
                int tag = in.readUnsignedByte();
                switch (tag) {
                    case 1 -> utf8[i] = in.readUTF();
                    case 7 -> classNameIndex[i] = in.readUnsignedShort();
                    case 8, 16, 19, 20 -> in.skipBytes(2);
                    case 15 -> in.skipBytes(3);
                    case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipBytes(4);
                    case 5, 6 -> {
                        in.skipBytes(8);
                        i++; // eight-byte constants take two slots
                    }
                    default -> throw new IOException("unknown constant pool tag " + tag);
                }
            }
            in.readUnsignedShort(); // access flags
            String name = utf8[classNameIndex[in.readUnsignedShort()]];
            Set<String> referenced = new TreeSet<>();
            for (int i = 1; i < count; i++) {
                if (classNameIndex[i] != 0) {
                    String n = utf8[classNameIndex[i]];
                    addDescriptorTypes(n.startsWith("[") ? n : "L" + n + ";", referenced);
                } else if (utf8[i] != null) {
                    addDescriptorTypes(utf8[i], referenced);
                }
            }
            return new ClassReferences(name, referenced);
        }

        private static void addDescriptorTypes(String text, Set<String> out) {
            Matcher m = DESCRIPTOR_TYPE.matcher(text);
            while (m.find()) {
                out.add(m.group(1));
            }
        }
    }
}
