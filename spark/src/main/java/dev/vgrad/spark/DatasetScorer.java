package dev.vgrad.spark;

import dev.vgrad.core.Tensor;
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Batch inference of a vgrad module over a {@code Dataset<Row>} (docs/SEMANTICS.md §23.1): the {@link BatchScorer}
 * computation, with the features read from named columns and the outputs appended as new columns.
 *
 * <pre>{@code
 * Dataset<Row> scored = new DatasetScorer(new BatchScorer(cnn, new int[] {1, 28, 28}, 256))
 *         .inputCol("pixels")            // array<float> or array<double>, 784 values per row
 *         .outputCol("logits")           // array<float>, the module's output row (flattened)
 *         .argmaxCol("prediction")       // optional: int, the index of the output row's maximum
 *         .score(images, weights);       // weights: BatchScorer.weightsOf(model)
 * }</pre>
 *
 * <p><b>Input.</b> Either one column of type {@code array<float>} or {@code array<double>} holding a row's
 * {@code prod(sampleShape)} values (row-major, as {@code Tensor.of(values, sampleShape)}), or one or more numeric
 * columns ({@code float, double, int, long, short, byte}) whose values, in the order named, make the row. Values are
 * converted to float32 with Java's narrowing cast (round to nearest, as PyTorch's {@code .float()}).
 *
 * <p><b>Output.</b> The input Dataset with every column and every row kept, in the same order and partitioning,
 * plus {@code outputCol} ({@code array<float>}, not null; default {@code "output"}) and, if named,
 * {@code argmaxCol} ({@code int}, not null): {@code Tensor.of(output).argmax()}, i.e. the first index of the
 * maximum of the flattened output row, with PyTorch's semantics.
 *
 * <p><b>Computation.</b> Exactly {@link BatchScorer#score}'s: the weights travel once per executor as broadcast
 * safetensors bytes, and each partition builds the module from the factory, loads them, switches to {@code eval()}
 * and forwards consecutive chunks of {@code batchSize} rows without recording. A row's output therefore has the
 * bits {@link BatchScorer#scoreLocally} gives the same feature rows in the same chunk (and, for row-wise eval
 * layers, the bits of any other chunking).
 *
 * <p><b>Errors.</b> A missing column, an unsupported column type, a mix of an array column with other input
 * columns, a numeric column count that does not match {@code sampleShape}, or an output name that already exists
 * throws {@link IllegalArgumentException} from {@link #score}, on the driver. The length of an array column and
 * null values are only known row by row: the task then throws an {@link IllegalArgumentException} naming the
 * column, the row and the shapes, which Spark reports as the cause of the failed job's {@code SparkException}.
 *
 * <p>This needs a classic (non-Connect) {@code SparkSession}: the weights are broadcast through its
 * {@code SparkContext}. Spark ML {@code Vector} columns are not read; convert them with
 * {@code org.apache.spark.ml.functions.vector_to_array} first.
 */
public final class DatasetScorer implements Serializable {
    private static final long serialVersionUID = 1L;

    private final BatchScorer scorer;
    private final List<String> inputCols;
    private final String outputCol;
    private final String argmaxCol;

    /** A Dataset scorer for {@code scorer}, reading column {@code "features"} and writing {@code "output"}. */
    public DatasetScorer(BatchScorer scorer) {
        this(Objects.requireNonNull(scorer, "scorer"), List.of("features"), "output", null);
    }

    private DatasetScorer(BatchScorer scorer, List<String> inputCols, String outputCol, String argmaxCol) {
        this.scorer = scorer;
        this.inputCols = inputCols;
        this.outputCol = outputCol;
        this.argmaxCol = argmaxCol;
    }

    /** Reads each row's features from one {@code array<float>}/{@code array<double>} (or numeric) column. */
    public DatasetScorer inputCol(String column) {
        return inputCols(column);
    }

    /** Reads each row's features from these columns, in this order (numeric columns, or one array column). */
    public DatasetScorer inputCols(String... columns) {
        if (columns.length == 0) {
            throw new IllegalArgumentException("DatasetScorer: at least one input column is needed");
        }
        for (String c : columns) {
            Objects.requireNonNull(c, "column");
        }
        return new DatasetScorer(scorer, List.of(columns), outputCol, argmaxCol);
    }

    /** Names the {@code array<float>} output column (default {@code "output"}). */
    public DatasetScorer outputCol(String column) {
        return new DatasetScorer(scorer, inputCols, Objects.requireNonNull(column, "column"), argmaxCol);
    }

    /** Also writes the {@code int} argmax of each output row to {@code column}; {@code null} for none (default). */
    public DatasetScorer argmaxCol(String column) {
        return new DatasetScorer(scorer, inputCols, outputCol, column);
    }

    /**
     * {@code data} with the output column (and the argmax column, if named) appended; lazy, like any Dataset
     * transformation.
     *
     * @throws IllegalArgumentException if a column is missing or of an unsupported type, if the numeric columns do not
     *                                  make {@code prod(sampleShape)} values, or if an output column already exists
     */
    public Dataset<Row> score(Dataset<Row> data, byte[] weights) {
        StructType schema = data.schema();
        List<String> names = Arrays.asList(schema.fieldNames());
        int[] idx = new int[inputCols.size()];
        Kind[] kinds = new Kind[idx.length];
        for (int i = 0; i < idx.length; i++) {
            String c = inputCols.get(i);
            int at = names.indexOf(c);
            if (at < 0) {
                throw new IllegalArgumentException("DatasetScorer: input column '" + c + "' does not exist; columns: "
                        + names);
            }
            idx[i] = at;
            DataType t = schema.fields()[at].dataType();
            kinds[i] = Kind.of(t);
            if (kinds[i] == null) {
                throw new IllegalArgumentException("DatasetScorer: input column '" + c + "' has type "
                        + t.simpleString() + "; expected array<float>, array<double> or a numeric type (float,"
                        + " double, int, bigint, smallint, tinyint)");
            }
        }
        int rowSize = 1;
        for (int d : scorer.sampleShape()) {
            rowSize *= d;
        }
        boolean array = kinds[0].isArray();
        if (array && idx.length > 1 || !array && Arrays.stream(kinds).anyMatch(Kind::isArray)) {
            throw new IllegalArgumentException("DatasetScorer: an array input column must be the only input column;"
                    + " got " + inputCols);
        }
        if (!array && idx.length != rowSize) {
            throw new IllegalArgumentException("DatasetScorer: " + idx.length + " numeric input columns " + inputCols
                    + " but sampleShape " + Arrays.toString(scorer.sampleShape()) + " needs " + rowSize + " values");
        }
        checkNew(names, outputCol);
        StructType out = schema.add(new StructField(outputCol, DataTypes.createArrayType(DataTypes.FloatType, false),
                false, org.apache.spark.sql.types.Metadata.empty()));
        if (argmaxCol != null) {
            if (argmaxCol.equals(outputCol)) {
                throw new IllegalArgumentException("DatasetScorer: the output and argmax columns are both '"
                        + argmaxCol + "'");
            }
            checkNew(names, argmaxCol);
            out = out.add(argmaxCol, DataTypes.IntegerType, false);
        }
        Broadcast<byte[]> b = JavaSparkContext.fromSparkContext(data.sparkSession().sparkContext())
                .broadcast(weights);
        return data.mapPartitions(new PartitionScorer(scorer, b, inputCols.toArray(new String[0]), idx, kinds,
                rowSize, argmaxCol != null), Encoders.row(out));
    }

    private static void checkNew(List<String> names, String column) {
        if (names.contains(column)) {
            throw new IllegalArgumentException("DatasetScorer: output column '" + column + "' already exists; columns: "
                    + names);
        }
    }

    /** How a column's value becomes float32 values. */
    private enum Kind {
        FLOAT_ARRAY, DOUBLE_ARRAY, FLOAT, DOUBLE, INTEGRAL;

        static Kind of(DataType t) {
            if (t instanceof ArrayType a) {
                if (a.elementType().equals(DataTypes.FloatType)) {
                    return FLOAT_ARRAY;
                }
                return a.elementType().equals(DataTypes.DoubleType) ? DOUBLE_ARRAY : null;
            }
            if (t.equals(DataTypes.FloatType)) {
                return FLOAT;
            }
            if (t.equals(DataTypes.DoubleType)) {
                return DOUBLE;
            }
            boolean integral = t.equals(DataTypes.IntegerType) || t.equals(DataTypes.LongType)
                    || t.equals(DataTypes.ShortType) || t.equals(DataTypes.ByteType);
            return integral ? INTEGRAL : null;
        }

        boolean isArray() {
            return this == FLOAT_ARRAY || this == DOUBLE_ARRAY;
        }
    }

    private static final class PartitionScorer implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final BatchScorer scorer;
        private final Broadcast<byte[]> weights;
        private final String[] cols;
        private final int[] idx;
        private final Kind[] kinds;
        private final int rowSize;
        private final boolean argmax;

        PartitionScorer(BatchScorer scorer, Broadcast<byte[]> weights, String[] cols, int[] idx, Kind[] kinds,
                        int rowSize, boolean argmax) {
            this.scorer = scorer;
            this.weights = weights;
            this.cols = cols;
            this.idx = idx;
            this.kinds = kinds;
            this.rowSize = rowSize;
            this.argmax = argmax;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            if (!rows.hasNext()) {
                return rows;
            }
            TaskContext tc = TaskContext.get();
            int partition = tc == null ? -1 : tc.partitionId();
            // the rows whose features the scorer has pulled but whose outputs it has not returned yet (at most one
            // chunk): scorePartition yields outputs in input order, so the head of the queue is the next output's row
            ArrayDeque<Row> pending = new ArrayDeque<>();
            Iterator<float[]> features = new Iterator<>() {
                private long row;

                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public float[] next() {
                    Row r = rows.next();
                    pending.add(r);
                    return features(r, row++, partition);
                }
            };
            Iterator<float[]> outputs = scorer.scorePartition(weights.value(), features);
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return outputs.hasNext();
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    float[] y = outputs.next();
                    Row r = pending.poll();
                    int n = r.length();
                    Object[] values = new Object[n + (argmax ? 2 : 1)];
                    for (int i = 0; i < n; i++) {
                        values[i] = r.get(i);
                    }
                    values[n] = y;
                    if (argmax) {
                        values[n + 1] = (int) Tensor.of(y, y.length).argmax().item();
                    }
                    return RowFactory.create(values);
                }
            };
        }

        private float[] features(Row r, long row, int partition) {
            float[] x = new float[rowSize];
            for (int i = 0; i < idx.length; i++) {
                if (r.isNullAt(idx[i])) {
                    throw new IllegalArgumentException("DatasetScorer: input column '" + cols[i] + "' is null in row "
                            + row + " of partition " + partition);
                }
                switch (kinds[i]) {
                    case FLOAT_ARRAY, DOUBLE_ARRAY -> {
                        List<Object> a = r.getList(idx[i]);
                        if (a.size() != rowSize) {
                            throw new IllegalArgumentException("DatasetScorer: input column '" + cols[i] + "' has "
                                    + a.size() + " values in row " + row + " of partition " + partition
                                    + ", but sampleShape " + Arrays.toString(scorer.sampleShape()) + " needs "
                                    + rowSize);
                        }
                        for (int j = 0; j < rowSize; j++) {
                            Object v = a.get(j);
                            if (v == null) {
                                throw new IllegalArgumentException("DatasetScorer: input column '" + cols[i]
                                        + "' has a null element at index " + j + " in row " + row + " of partition "
                                        + partition);
                            }
                            x[j] = ((Number) v).floatValue();
                        }
                    }
                    case FLOAT -> x[i] = r.getFloat(idx[i]);
                    case DOUBLE -> x[i] = (float) r.getDouble(idx[i]);
                    case INTEGRAL -> x[i] = ((Number) r.get(idx[i])).floatValue();
                }
            }
            return x;
        }
    }
}
