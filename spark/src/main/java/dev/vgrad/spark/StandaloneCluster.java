package dev.vgrad.spark;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.launcher.JavaModuleOptions;

/**
 * A Spark standalone cluster on 127.0.0.1 made of child JVMs: one Master and {@code N} Workers, started as the
 * plain Java mains {@code org.apache.spark.deploy.master.Master} and {@code ...worker.Worker} from the jars of this
 * JVM's class path (the Maven dependencies; no Spark distribution needed). {@link #close()} stops every process it
 * started, including the executors the Workers launched.
 *
 * <p>What a Worker needs, learnt the hard way: a {@code SPARK_HOME} whose {@code jars/} folder holds the Spark
 * jars (here: symbolic links to this JVM's class-path jars) and {@code SPARK_SCALA_VERSION=2.13}, else it fails with
 * "Cannot find any build directories"; {@code SPARK_LOCAL_IP}/{@code SPARK_LOCAL_HOSTNAME} set to 127.0.0.1, else
 * Spark binds a non-loopback address. Class-path <em>directories</em> (e.g. {@code target/classes} in a build)
 * are zipped into jars that {@link #conf} ships with {@code setJars}. Executors get
 * {@code --add-modules jdk.incubator.vector} in addition to Spark's own module options. A failed executor launch
 * is retried silently by the Master, so {@link #awaitExecutors} bounds the wait.
 */
public final class StandaloneCluster implements AutoCloseable {
    private static final String HOST = "127.0.0.1";

    private final Path workDir;
    private final Path sparkHome;
    private final List<String> appJars;
    private final int workers;
    private final int coresPerWorker;
    private final List<Process> processes = new ArrayList<>();
    private String masterUrl;

    private StandaloneCluster(Path workDir, int workers, int coresPerWorker) throws IOException {
        this.workDir = workDir;
        this.sparkHome = workDir.resolve("spark-home");
        this.workers = workers;
        this.coresPerWorker = coresPerWorker;
        this.appJars = new ArrayList<>();
        Path jars = Files.createDirectories(sparkHome.resolve("jars"));
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.isEmpty()) {
                continue;
            }
            Path p = Path.of(entry).toAbsolutePath();
            if (Files.isDirectory(p)) {
                Path jar = workDir.resolve("app-" + (n++) + ".jar");
                zipDirectory(p, jar);
                appJars.add(jar.toString());
            } else if (Files.isRegularFile(p) && p.toString().endsWith(".jar")) {
                Path link = jars.resolve(p.getFileName());
                if (!Files.exists(link)) {
                    Files.createSymbolicLink(link, p);
                }
            }
        }
    }

    /**
     * Starts a Master and {@code workers} Workers of {@code coresPerWorker} cores each under {@code workDir} (logs
     * in {@code workDir/*.log}) and waits until the Master accepts connections.
     *
     * @throws IllegalStateException if the Master does not come up within {@code timeout} (everything started is
     *                               stopped then)
     */
    public static StandaloneCluster start(int workers, int coresPerWorker, Path workDir, Duration timeout)
            throws IOException {
        if (workers < 1 || coresPerWorker < 1) {
            throw new IllegalArgumentException("StandaloneCluster: workers (" + workers + ") and coresPerWorker ("
                    + coresPerWorker + ") must be >= 1");
        }
        Files.createDirectories(workDir);
        StandaloneCluster c = new StandaloneCluster(workDir.toAbsolutePath(), workers, coresPerWorker);
        try {
            int port = freePort();
            c.masterUrl = "spark://" + HOST + ":" + port;
            c.launch("master", "org.apache.spark.deploy.master.Master", "--host", HOST, "--port",
                    Integer.toString(port), "--webui-port", Integer.toString(freePort()));
            c.awaitPort(port, timeout);
            for (int i = 0; i < workers; i++) {
                Path dir = Files.createDirectories(c.workDir.resolve("worker-" + i));
                c.launch("worker-" + i, "org.apache.spark.deploy.worker.Worker", "--host", HOST, "--port",
                        Integer.toString(freePort()), "--webui-port", Integer.toString(freePort()), "--cores",
                        Integer.toString(coresPerWorker), "--memory", "1g", "--work-dir", dir.toString(),
                        c.masterUrl);
            }
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** {@code spark://127.0.0.1:<port>}. */
    public String masterUrl() {
        return masterUrl;
    }

    /** The jars an application must ship with {@link SparkConf#setJars} (the zipped class-path directories). */
    public List<String> appJars() {
        return List.copyOf(appJars);
    }

    /**
     * A configuration for an application on this cluster: every executor core of every Worker, executors of 512
     * MB with the Vector API module, task retries on ({@code spark.task.maxFailures=4}), loopback driver, no UI.
     */
    public SparkConf conf(String appName) {
        return loopback(new SparkConf().setMaster(masterUrl).setAppName(appName))
                .setJars(appJars.toArray(new String[0]))
                .set("spark.executor.memory", "512m")
                .set("spark.executor.cores", Integer.toString(coresPerWorker))
                .set("spark.cores.max", Integer.toString(workers * coresPerWorker))
                .set("spark.task.maxFailures", "4")
                .set("spark.executor.extraJavaOptions", "--add-modules jdk.incubator.vector -Xss4m");
    }

    /**
     * A configuration for embedded local mode: {@code local[threads,maxFailures]} (maxFailures > 1 lets a failed task
     * be retried, which plain {@code local[N]} does not), loopback driver, no UI.
     */
    public static SparkConf localConf(String appName, int threads, int maxFailures) {
        String master = "local[" + (threads < 1 ? "*" : Integer.toString(threads)) + "," + maxFailures + "]";
        return loopback(new SparkConf().setMaster(master).setAppName(appName));
    }

    private static SparkConf loopback(SparkConf conf) {
        return conf.set("spark.driver.host", HOST)
                .set("spark.driver.bindAddress", HOST)
                .set("spark.ui.enabled", "false")
                .set("spark.ui.showConsoleProgress", "false");
    }

    /**
     * Waits until {@code sc} has every executor of this cluster ({@code workers}); a Worker that cannot launch its
     * executor makes the Master retry without end, so the wait is bounded.
     *
     * @throws IllegalStateException after {@code timeout}, naming the logs to read
     */
    public void awaitExecutors(JavaSparkContext sc, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (executors(sc) < workers) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("StandaloneCluster: " + executors(sc) + " of " + workers
                        + " executors registered within " + timeout + "; see the logs under " + workDir);
            }
            sleep(100);
        }
    }

    /** The number of live executors of {@code sc} (the driver not counted). */
    public static int executors(JavaSparkContext sc) {
        return sc.sc().statusTracker().getExecutorInfos().length - 1;
    }

    /** The pids of the executor JVMs the Workers launched (descendants of this cluster's Worker processes). */
    public List<Long> executorPids() {
        List<Long> out = new ArrayList<>();
        for (Process p : processes) {
            p.descendants().filter(ProcessHandle::isAlive).forEach(h -> out.add(h.pid()));
        }
        return out;
    }

    /** The pids of every live process this cluster started: the Master, the Workers and their executors. */
    public List<Long> pids() {
        List<Long> out = new ArrayList<>();
        for (Process p : processes) {
            if (p.isAlive()) {
                out.add(p.pid());
            }
            p.descendants().filter(ProcessHandle::isAlive).forEach(h -> out.add(h.pid()));
        }
        return out;
    }

    /** Stops every executor, Worker and the Master started by this cluster, and waits for them to exit. */
    @Override
    public void close() {
        List<ProcessHandle> all = new ArrayList<>();
        for (Process p : processes) {
            p.descendants().forEach(all::add);
            all.add(p.toHandle());
        }
        for (ProcessHandle h : all) {
            h.destroy();
        }
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        }
        processes.clear();
    }

    private void launch(String name, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-Xmx512m");
        cmd.add("-cp");
        cmd.add(sparkHome.resolve("jars") + File.separator + "*");
        for (String o : JavaModuleOptions.defaultModuleOptionArray()) {
            cmd.add(o);
        }
        cmd.add("-Dspark.master.rest.enabled=false");
        cmd.add("-Dspark.ui.enabled=false");
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(workDir.resolve(name + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_LOCAL_IP", HOST);
        env.put("SPARK_LOCAL_HOSTNAME", HOST);
        env.put("SPARK_LOG_DIR", workDir.toString());
        env.put("SPARK_WORKER_DIR", workDir.toString());
        processes.add(pb.start());
    }

    private void awaitPort(int port, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(HOST, port), 500);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("StandaloneCluster: the Master did not listen on " + HOST + ":"
                            + port + " within " + timeout + "; see " + workDir.resolve("master.log"));
                }
                for (Process p : processes) {
                    if (!p.isAlive()) {
                        throw new IllegalStateException("StandaloneCluster: a process exited with code "
                                + p.exitValue() + "; see the logs under " + workDir);
                    }
                }
                sleep(100);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return s.getLocalPort();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void zipDirectory(Path dir, Path jar) throws IOException {
        try (OutputStream os = Files.newOutputStream(jar); ZipOutputStream zip = new ZipOutputStream(os)) {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    zip.putNextEntry(new ZipEntry(dir.relativize(file).toString().replace(File.separatorChar, '/')));
                    Files.copy(file, zip);
                    zip.closeEntry();
                    return FileVisitResult.CONTINUE;
                }
            });
        }
    }

    /**
     * Command-line use (what {@code spark/bin/standalone-cluster.sh} runs): {@code StandaloneCluster WORKERS CORES
     * WORKDIR} starts the cluster, prints the Master URL, and stops everything when this JVM is stopped.
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: StandaloneCluster WORKERS CORES_PER_WORKER WORKDIR");
            System.exit(2);
        }
        StandaloneCluster c = start(Integer.parseInt(args[0]), Integer.parseInt(args[1]), Path.of(args[2]),
                Duration.ofSeconds(60));
        Runtime.getRuntime().addShutdownHook(new Thread(c::close));
        System.out.println(c.masterUrl());
        System.out.flush();
        Thread.currentThread().join();
    }
}
