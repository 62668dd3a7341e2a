// Prints a .properties file as java.util.Properties (Gradle's reader of android-demo/gradle/pom.properties)
// reads it: one `key<TAB>value` line per key, sorted. scripts/test-android-consumer.sh compares it with
// scripts/lib/pom_metadata.py --properties, so the two readers of the POM's home cannot drift apart.
//   java scripts/lib/PropertiesDump.java FILE
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.TreeSet;

public class PropertiesDump {
    public static void main(String[] args) throws Exception {
        Properties properties = new Properties();
        try (Reader reader = new InputStreamReader(new FileInputStream(args[0]), StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        for (String key : new TreeSet<>(properties.stringPropertyNames())) {
            System.out.println(key + "\t" + properties.getProperty(key));
        }
    }
}
