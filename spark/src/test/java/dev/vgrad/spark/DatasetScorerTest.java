package dev.vgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vgrad.core.DType;
import dev.vgrad.core.Generator;
import dev.vgrad.core.Grad;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.BatchNorm1d;
import dev.vgrad.nn.BatchNorm2d;
import dev.vgrad.nn.Conv2d;
import dev.vgrad.nn.Flatten;
import dev.vgrad.nn.Linear;
import dev.vgrad.nn.Module;
import dev.vgrad.nn.ReLU;
import dev.vgrad.nn.Sequential;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link DatasetScorer} in {@code local[2]}: a scored Dataset keeps every row, column and the order, and its outputs
 * are the bits {@link BatchScorer#scoreLocally} gives the same feature rows in one process, for several
 * partitionings and every supported input layout; bad columns fail early and clearly.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DatasetScorerTest {
    private static final int ROWS = 103;
    private static SparkSession spark;
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().config(StandaloneCluster.localConf("vgrad-dataset-test", 2, 1)).getOrCreate();
        sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** A small CNN with BatchNorm over 1×6×6 inputs and 5 outputs. */
    private static ModelFactory cnn() {
        return () -> {
            Generator g = new Generator(99);
            return new Sequential(new Conv2d(1, 4, 3, 1, 1, false, g), new BatchNorm2d(4), new ReLU(), new Flatten(),
                    new Linear(4 * 6 * 6, 5, true, g));
        };
    }

    /** An MLP over 4 features with 3 outputs. */
    private static ModelFactory mlp() {
        return () -> {
            Generator g = new Generator(7);
            return new Sequential(new Linear(4, 8, true, g), new BatchNorm1d(8), new ReLU(), new Linear(8, 3, true, g));
        };
    }

    /** The factory's model with random BatchNorm statistics, so that eval mode is visible in the outputs. */
    private static byte[] weights(ModelFactory f, long seed) {
        Module m = f.create();
        Generator g = new Generator(seed);
        try (var off = Grad.disabled()) {
            for (Tensor b : m.buffers()) {
                if (b.dtype() == DType.FLOAT32) {
                    b.copy_(Tensor.rand(g, b.shape()).add(0.5));
                }
            }
        }
        return BatchScorer.weightsOf(m);
    }

    /** A Row's external value for an array column: a Scala Seq (what Spark's Row encoder takes and returns). */
    private static Object seq(Object... values) {
        return scala.jdk.javaapi.CollectionConverters.asScala(Arrays.asList(values)).toSeq();
    }

    private static Dataset<Row> frame(List<Row> rows, StructType schema, int partitions) {
        return spark.createDataFrame(sc.parallelize(rows, partitions), schema);
    }

    private static float[] floats(Row r, int i) {
        List<Object> a = r.getList(i);
        float[] out = new float[a.size()];
        for (int j = 0; j < out.length; j++) {
            out[j] = (Float) a.get(j);
        }
        return out;
    }

    /** The first index of the maximum (the outputs here are finite). */
    private static int firstMax(float[] y) {
        int best = 0;
        for (int i = 1; i < y.length; i++) {
            if (y[i] > y[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Checks {@code scored} row by row: the input columns unchanged, in order (column 0 is the row number), then the
     * output bit-identical to {@code local} and the argmax column, if any.
     */
    private static void assertScored(List<Row> input, List<Row> scored, List<float[]> local, boolean argmax,
                                     String what) {
        assertEquals(input.size(), scored.size(), what);
        for (int i = 0; i < input.size(); i++) {
            Row in = input.get(i);
            Row out = scored.get(i);
            assertEquals(in.length() + (argmax ? 2 : 1), out.length(), what);
            for (int c = 0; c < in.length(); c++) {
                assertEquals(in.get(c), out.get(c), what + ": row " + i + " column " + c);
            }
            float[] y = floats(out, in.length());
            assertArrayEquals(local.get(i), y, what + ": row " + i);
            if (argmax) {
                assertEquals(firstMax(local.get(i)), out.getInt(in.length() + 1), what + ": argmax of row " + i);
            }
        }
    }

    @Test
    void anArrayColumnScoresBitIdenticallyToScoringLocallyForAnyPartitioning() {
        BatchScorer scorer = new BatchScorer(cnn(), new int[] {1, 6, 6}, 16);
        byte[] w = weights(cnn(), 5);
        Generator g = new Generator(11);
        List<float[]> features = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            float[] x = Tensor.randn(g, 36).toArray();
            features.add(x);
            Float[] boxed = new Float[36];
            for (int j = 0; j < 36; j++) {
                boxed[j] = x[j];
            }
            rows.add(RowFactory.create((long) i, "r" + i, seq((Object[]) boxed)));
        }
        StructType schema = new StructType().add("id", DataTypes.LongType, false)
                .add("name", DataTypes.StringType)
                .add("pixels", DataTypes.createArrayType(DataTypes.FloatType, false));
        List<float[]> local = scorer.scoreLocally(features, w);
        DatasetScorer ds = new DatasetScorer(scorer).inputCol("pixels").outputCol("logits").argmaxCol("prediction");
        for (int p : new int[] {1, 2, 5}) {
            Dataset<Row> scored = ds.score(frame(rows, schema, p), w);
            assertEquals(List.of("id", "name", "pixels", "logits", "prediction"),
                    Arrays.asList(scored.schema().fieldNames()));
            assertEquals(DataTypes.createArrayType(DataTypes.FloatType, false), scored.schema().apply("logits").dataType());
            assertEquals(DataTypes.IntegerType, scored.schema().apply("prediction").dataType());
            assertEquals(p, scored.javaRDD().getNumPartitions(), "partitioning kept");
            assertScored(rows, scored.collectAsList(), local, true, "array<float>, " + p + " partitions");
        }
        // more partitions than rows: empty partitions yield nothing, the others keep their order
        List<Row> few = rows.subList(0, 5);
        assertScored(few, ds.score(frame(few, schema, 8), w).collectAsList(), local.subList(0, 5), true,
                "5 rows in 8 partitions");
    }

    @Test
    void doubleArraysAndNumericColumnsAreNarrowedToFloatAsLocally() {
        // array<double>: each value narrowed with (float), as PyTorch's .float()
        BatchScorer cnnScorer = new BatchScorer(cnn(), new int[] {1, 6, 6}, 7);
        byte[] wc = weights(cnn(), 6);
        java.util.Random r = new java.util.Random(3);
        List<float[]> narrowed = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Double[] d = new Double[36];
            float[] f = new float[36];
            for (int j = 0; j < 36; j++) {
                d[j] = r.nextGaussian();
                f[j] = (float) (double) d[j];
            }
            narrowed.add(f);
            rows.add(RowFactory.create(i, seq((Object[]) d)));
        }
        StructType schema = new StructType().add("i", DataTypes.IntegerType, false)
                .add("features", DataTypes.createArrayType(DataTypes.DoubleType));
        assertScored(rows, new DatasetScorer(cnnScorer).score(frame(rows, schema, 3), wc).collectAsList(),
                cnnScorer.scoreLocally(narrowed, wc), false, "array<double>");

        // four numeric columns of four types, in the order named (not the schema's order)
        BatchScorer mlpScorer = new BatchScorer(mlp(), new int[] {4}, 8);
        byte[] wm = weights(mlp(), 8);
        List<float[]> vectors = new ArrayList<>();
        List<Row> numeric = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            float a = (float) r.nextGaussian();
            double b = r.nextGaussian() * 3;
            int c = r.nextInt(7) - 3;
            long d = r.nextInt(5);
            vectors.add(new float[] {(float) b, a, c, d});
            numeric.add(RowFactory.create((long) i, a, b, c, d));
        }
        StructType ns = new StructType().add("id", DataTypes.LongType, false).add("a", DataTypes.FloatType, false)
                .add("b", DataTypes.DoubleType, false).add("c", DataTypes.IntegerType, false)
                .add("d", DataTypes.LongType, false);
        DatasetScorer ds = new DatasetScorer(mlpScorer).inputCols("b", "a", "c", "d").argmaxCol("cls");
        List<float[]> local = mlpScorer.scoreLocally(vectors, wm);
        for (int p : new int[] {1, 4}) {
            assertScored(numeric, ds.score(frame(numeric, ns, p), wm).collectAsList(), local, true,
                    "numeric columns, " + p + " partitions");
        }
    }

    private static void assertRejected(Runnable r, String... parts) {
        var e = assertThrows(IllegalArgumentException.class, r::run);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' missing from: " + e.getMessage());
        }
    }

    /** The first IllegalArgumentException in {@code t}'s cause chain (Spark wraps a task's failure). */
    private static IllegalArgumentException argumentCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof IllegalArgumentException iae) {
                return iae;
            }
        }
        return null;
    }

    @Test
    void badColumnsAreRejectedNamingTheColumnAndTheShapes() {
        BatchScorer scorer = new BatchScorer(cnn(), new int[] {1, 6, 6}, 4);
        byte[] w = weights(cnn(), 1);
        DataType floats = DataTypes.createArrayType(DataTypes.FloatType);
        StructType schema = new StructType().add("id", DataTypes.LongType).add("name", DataTypes.StringType)
                .add("ints", DataTypes.createArrayType(DataTypes.IntegerType)).add("x", floats);
        Float[] ok = new Float[36];
        Arrays.fill(ok, 0.5f);
        Float[] shorter = new Float[35];
        Arrays.fill(shorter, 0.5f);
        List<Row> rows = List.of(RowFactory.create(0L, "a", seq(1), seq((Object[]) ok)),
                RowFactory.create(1L, "b", seq(1), seq((Object[]) shorter)));
        Dataset<Row> df = frame(rows, schema, 1);
        DatasetScorer ds = new DatasetScorer(scorer);

        // on the driver, before any job
        assertRejected(() -> ds.score(df, w), "'features' does not exist", "[id, name, ints, x]");
        assertRejected(() -> ds.inputCol("name").score(df, w), "'name'", "string", "array<float>");
        assertRejected(() -> ds.inputCol("ints").score(df, w), "'ints'", "array<int>");
        assertRejected(() -> ds.inputCols("x", "id").score(df, w), "only input column", "[x, id]");
        assertRejected(() -> ds.inputCols("id", "id", "id").score(df, w), "3 numeric input columns [id, id, id]",
                "sampleShape [1, 6, 6] needs 36");
        assertRejected(() -> ds.inputCol("x").outputCol("name").score(df, w), "output column 'name' already exists");
        assertRejected(() -> ds.inputCol("x").argmaxCol("id").score(df, w), "output column 'id' already exists");
        assertRejected(() -> ds.inputCol("x").outputCol("y").argmaxCol("y").score(df, w), "both 'y'");
        assertRejected(() -> ds.inputCols(), "at least one input column");

        // an array's length is only known per row: the task fails, and Spark's exception carries the cause
        Exception job = assertThrows(Exception.class, () -> ds.inputCol("x").score(df, w).collectAsList());
        IllegalArgumentException cause = argumentCause(job);
        assertNotNull(cause, () -> "no IllegalArgumentException in the cause chain of " + job);
        assertTrue(cause.getMessage().contains("input column 'x' has 35 values in row 1 of partition 0, but"
                + " sampleShape [1, 6, 6] needs 36"), cause.getMessage());

        List<Row> nulls = new ArrayList<>();
        nulls.add(RowFactory.create(0L, "a", null, null));
        Exception nullJob = assertThrows(Exception.class,
                () -> ds.inputCol("x").score(frame(nulls, schema, 1), w).collectAsList());
        IllegalArgumentException nullCause = argumentCause(nullJob);
        assertNotNull(nullCause, () -> "no IllegalArgumentException in the cause chain of " + nullJob);
        assertTrue(nullCause.getMessage().contains("input column 'x' is null in row 0 of partition 0"),
                nullCause.getMessage());
    }
}
