// node-postgres (`pg`) against `vellum serve`: parameterized queries (text and binary-typed
// values, NULL), named prepared statements, a committed and a rolled-back transaction, an
// error inside a transaction. Every check compares with what PostgreSQL 15 returns.
// Prints "ok N" at the end.
//
// Usage: node node_pg_client.js PORT USER DATABASE

const assert = require('assert');
const { Client } = require('pg');

let checks = 0;
function check(got, want, what) {
  assert.deepStrictEqual(got, want, what);
  checks++;
}

async function main() {
  const [port, user, database] = process.argv.slice(2);
  const c = new Client({ host: '127.0.0.1', port: Number(port), user, database });
  await c.connect();
  await c.query('CREATE TABLE node_items (id int PRIMARY KEY, name text, amount numeric(8,2), at timestamptz, data bytea, big bigint)');
  const at = new Date('2024-01-02T03:04:05.678Z');
  let r = await c.query('INSERT INTO node_items VALUES ($1, $2, $3, $4, $5, $6)',
    [1, "it's", '12.5', at, Buffer.from([0, 1, 255]), '9000000000']);
  check(r.rowCount, 1, 'insert count');
  await c.query('INSERT INTO node_items (id, name) VALUES ($1, $2)', [2, null]);

  r = await c.query('SELECT id, name, amount, at, data, big FROM node_items WHERE id = $1', [1]);
  check(r.rows, [{ id: 1, name: "it's", amount: '12.50', at, data: Buffer.from([0, 1, 255]), big: '9000000000' }], 'row 1');
  check(r.fields.map((f) => f.dataTypeID), [23, 25, 1700, 1184, 17, 20], 'result type OIDs');
  r = await c.query('SELECT name FROM node_items WHERE id = $1', [2]);
  check(r.rows, [{ name: null }], 'NULL text');
  r = await c.query('SELECT $1::int * 2 AS doubled, $2::text || $3::text AS joined', [21, 'a', 'b']);
  check(r.rows, [{ doubled: 42, joined: 'ab' }], 'expressions over parameters');

  // A named statement is parsed once and executed again with new values.
  for (let i = 0; i < 3; i++) {
    r = await c.query({ name: 'by_id', text: 'SELECT count(*)::int AS n FROM node_items WHERE id <= $1', values: [i] });
    check(r.rows[0].n, i, `named statement run ${i}`);
  }

  // Transactions.
  await c.query('BEGIN');
  await c.query('INSERT INTO node_items (id, name) VALUES ($1, $2)', [3, 'committed']);
  await c.query('COMMIT');
  await c.query('BEGIN');
  await c.query('INSERT INTO node_items (id, name) VALUES ($1, $2)', [4, 'rolled back']);
  await c.query('ROLLBACK');
  await c.query('BEGIN');
  await c.query('UPDATE node_items SET name = $1 WHERE id = $2', ['lost', 3]);
  await assert.rejects(c.query('INSERT INTO node_items (id) VALUES ($1)', [1]), (e) => e.code === '23505');
  await assert.rejects(c.query('SELECT 1'), (e) => e.code === '25P02');
  await c.query('ROLLBACK');
  checks += 2;
  r = await c.query('SELECT id, name FROM node_items ORDER BY id');
  check(r.rows, [{ id: 1, name: "it's" }, { id: 2, name: null }, { id: 3, name: 'committed' }], 'after transactions');
  await assert.rejects(c.query('SELECT * FROM node_missing'), (e) => e.code === '42P01');
  checks++;
  await c.end();
  console.log(`ok ${checks}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
