-- PostgreSQL's users reference their profile and group by one foreign key
-- from this migration on (its 0026). SQLite keeps its two: changing a
-- foreign key there means copying the users table, and its checks cost
-- little. The number keeps both engines' schemas at the same version,
-- which backups carry from one engine to the other.
SELECT 1;
