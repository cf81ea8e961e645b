-- The back office lists orders newest first, all of them or one status at
-- a time (GET /api/store/orders).
CREATE INDEX orders_by_time ON orders (created_at_ms DESC, order_id DESC);
CREATE INDEX orders_by_status ON orders (status, created_at_ms DESC, order_id DESC);
