-- SPDX-License-Identifier: MIT OR Apache-2.0
-- A SQLite workload for the drop-in malloc test: bulk inserts, indexes,
-- joins, aggregates, updates, deletes and a VACUUM, printing results that
-- runs under two allocators must agree on.
PRAGMA cache_size = -20000;
CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT, region INTEGER);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, amount REAL, note TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
  INSERT INTO customers SELECT i, 'customer-' || printf('%06d', i), i % 17 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
  INSERT INTO orders SELECT i, (i * 7919) % 20000 + 1, (i * 31 % 1000) / 10.0,
                            substr(hex(randomblob(0)) || printf('%.*c', i % 64, 'x'), 1, 64)
  FROM n;
CREATE INDEX orders_by_customer ON orders(customer);
CREATE INDEX customers_by_region ON customers(region, name);
SELECT count(*), round(sum(amount), 1) FROM orders;
SELECT c.region, count(*), round(avg(o.amount), 3)
  FROM orders o JOIN customers c ON c.id = o.customer
  GROUP BY c.region ORDER BY c.region;
SELECT name FROM customers WHERE region = 3 ORDER BY name DESC LIMIT 5;
UPDATE orders SET amount = amount * 1.5, note = note || note WHERE id % 3 = 0;
DELETE FROM orders WHERE id % 5 = 0;
SELECT count(*), round(sum(amount), 1), sum(length(note)) FROM orders;
SELECT customer, count(*) AS n FROM orders GROUP BY customer ORDER BY n DESC, customer LIMIT 5;
SELECT group_concat(name, ',') FROM (SELECT name FROM customers ORDER BY id DESC LIMIT 20);
VACUUM;
SELECT count(*) FROM orders WHERE note LIKE '%xxxxxxxxxx%';
