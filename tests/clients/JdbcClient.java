// pgjdbc (Debian's libpostgresql-jdbc-java) against `vellum serve`: a PreparedStatement run more
// times than prepareThreshold (5), across pgjdbc's switch to a named server-side statement and
// binary transfer; DatabaseMetaData (getTables, getColumns); transactions with setAutoCommit(false). Every check compares
// with what PostgreSQL 15 returns. Prints "ok N" at the end.
//
// Usage: java -cp postgresql.jar:. JdbcClient jdbc:postgresql://127.0.0.1:PORT/vellum USER

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;

public class JdbcClient {
    static int checks = 0;

    static void check(Object got, Object want, String what) {
        if (got == null ? want != null : !got.equals(want)) {
            throw new AssertionError(what + ": got " + got + ", want " + want);
        }
        checks++;
    }

    public static void main(String[] args) throws Exception {
        Connection c = DriverManager.getConnection(args[0], args[1], "");
        Statement s = c.createStatement();
        s.execute("CREATE TABLE jdbc_items (id int PRIMARY KEY, big bigint, amount numeric(12,3),"
                + " name text, at timestamp, ok boolean)");
        s.execute("CREATE VIEW jdbc_names AS SELECT id, name FROM jdbc_items");

        PreparedStatement insert = c.prepareStatement("INSERT INTO jdbc_items VALUES (?, ?, ?, ?, ?, ?)");
        for (int i = 1; i <= 12; i++) {
            insert.setInt(1, i);
            insert.setLong(2, 10_000_000_000L * i);
            insert.setBigDecimal(3, new BigDecimal(i + ".125").negate());
            insert.setString(4, "name " + i);
            insert.setTimestamp(5, Timestamp.valueOf(String.format("2024-01-%02d 10:11:12.5", i)));
            insert.setBoolean(6, i % 2 == 0);
            check(insert.executeUpdate(), 1, "insert count " + i);
        }
        insert.setInt(1, 13);
        insert.setNull(2, java.sql.Types.BIGINT);
        insert.setNull(3, java.sql.Types.NUMERIC);
        insert.setNull(4, java.sql.Types.VARCHAR);
        insert.setNull(5, java.sql.Types.TIMESTAMP);
        insert.setNull(6, java.sql.Types.BOOLEAN);
        check(insert.executeUpdate(), 1, "insert of NULLs");

        // Executions 1-4 use unnamed statements and text results; from the 5th on pgjdbc uses a
        // named server-side statement and binary results: every execution must read the same.
        PreparedStatement select = c.prepareStatement(
                "SELECT id, big, amount, name, at, ok, amount * 2 FROM jdbc_items WHERE id = ?");
        for (int round = 0; round < 2; round++) {
            for (int i = 1; i <= 12; i++) {
                select.setInt(1, i);
                try (ResultSet r = select.executeQuery()) {
                    check(r.next(), true, "row " + i);
                    check(r.getInt(1), i, "int");
                    check(r.getLong(2), 10_000_000_000L * i, "bigint");
                    check(r.getBigDecimal(3), new BigDecimal("-" + i + ".125"), "numeric");
                    check(r.getString(3), "-" + i + ".125", "numeric text");
                    check(r.getString(4), "name " + i, "text");
                    check(r.getTimestamp(5), Timestamp.valueOf(String.format("2024-01-%02d 10:11:12.5", i)),
                            "timestamp");
                    check(r.getBoolean(6), i % 2 == 0, "boolean");
                    check(r.getBigDecimal(7), new BigDecimal("-" + i + ".125").multiply(BigDecimal.valueOf(2)),
                            "numeric expression");
                    check(r.next(), false, "one row " + i);
                }
            }
        }
        select.setInt(1, 13);
        try (ResultSet r = select.executeQuery()) {
            check(r.next(), true, "NULL row");
            r.getLong(2);
            check(r.wasNull(), true, "NULL bigint");
            check(r.getBigDecimal(3), null, "NULL numeric");
            check(r.getString(4), null, "NULL text");
            check(r.getTimestamp(5), null, "NULL timestamp");
            r.getBoolean(6);
            check(r.wasNull(), true, "NULL boolean");
        }
        // Parameters of every type, again past the prepare threshold.
        PreparedStatement echo = c.prepareStatement("SELECT count(*) FROM jdbc_items"
                + " WHERE big = ? AND amount = ? AND name = ? AND at = ? AND ok = ?");
        for (int i = 1; i <= 8; i++) {
            echo.setLong(1, 10_000_000_000L * i);
            echo.setBigDecimal(2, new BigDecimal("-" + i + ".125"));
            echo.setString(3, "name " + i);
            echo.setTimestamp(4, Timestamp.valueOf(String.format("2024-01-%02d 10:11:12.5", i)));
            echo.setBoolean(5, i % 2 == 0);
            try (ResultSet r = echo.executeQuery()) {
                r.next();
                check(r.getLong(1), 1L, "typed parameters " + i);
            }
        }

        DatabaseMetaData md = c.getMetaData();
        check(md.getDatabaseProductName(), "PostgreSQL", "product name");
        List<String> tables = new ArrayList<>();
        try (ResultSet t = md.getTables(null, "public", "jdbc%", new String[] {"TABLE", "VIEW"})) {
            while (t.next()) {
                tables.add(t.getString("TABLE_NAME") + ":" + t.getString("TABLE_TYPE"));
            }
        }
        check(tables.toString(), "[jdbc_items:TABLE, jdbc_names:VIEW]", "getTables");
        tables.clear();
        try (ResultSet t = md.getTables(null, null, "jdbc%", new String[] {"VIEW"})) {
            while (t.next()) {
                tables.add(t.getString("TABLE_NAME"));
            }
        }
        check(tables.toString(), "[jdbc_names]", "getTables of views");
        // getColumns numbers columns with row_number() OVER (PARTITION BY ... ORDER BY ...).
        List<String> columns = new ArrayList<>();
        try (ResultSet r = md.getColumns(null, null, "jdbc_items", "%")) {
            while (r.next()) {
                columns.add(r.getString("COLUMN_NAME") + ":" + r.getString("TYPE_NAME") + ":" + r.getInt("DATA_TYPE")
                        + ":" + r.getInt("COLUMN_SIZE") + ":" + r.getInt("DECIMAL_DIGITS") + ":"
                        + r.getInt("ORDINAL_POSITION") + ":" + r.getString("IS_NULLABLE"));
            }
        }
        check(columns.toString(), "[id:int4:4:10:0:1:NO, big:int8:-5:19:0:2:YES, amount:numeric:2:12:3:3:YES,"
                + " name:text:12:2147483647:0:4:YES, at:timestamp:93:29:6:5:YES, ok:bool:-7:1:0:6:YES]", "getColumns");
        columns.clear();
        try (ResultSet r = md.getColumns(null, "public", "jdbc_names", "na%")) {
            while (r.next()) {
                columns.add(r.getString("COLUMN_NAME") + ":" + r.getInt("ORDINAL_POSITION"));
            }
        }
        check(columns.toString(), "[name:2]", "getColumns of a view with a column pattern");

        // Transactions with autocommit off.
        c.setAutoCommit(false);
        s.executeUpdate("UPDATE jdbc_items SET name = 'rolled back' WHERE id = 1");
        c.rollback();
        s.executeUpdate("UPDATE jdbc_items SET name = 'committed' WHERE id = 2");
        c.commit();
        try {
            s.executeUpdate("INSERT INTO jdbc_items (id) VALUES (3)");
            throw new AssertionError("duplicate key accepted");
        } catch (SQLException e) {
            check(e.getSQLState(), "23505", "duplicate key SQLSTATE");
        }
        try {
            s.executeQuery("SELECT 1");
            throw new AssertionError("statement ran in an aborted transaction");
        } catch (SQLException e) {
            check(e.getSQLState(), "25P02", "aborted transaction SQLSTATE");
        }
        c.rollback();
        c.setAutoCommit(true);
        List<String> names = new ArrayList<>();
        try (ResultSet r = s.executeQuery("SELECT name FROM jdbc_items WHERE id IN (1, 2) ORDER BY id")) {
            while (r.next()) {
                names.add(r.getString(1));
            }
        }
        check(names.toString(), "[name 1, committed]", "after rollback and commit");
        c.close();
        System.out.println("ok " + checks);
    }
}
