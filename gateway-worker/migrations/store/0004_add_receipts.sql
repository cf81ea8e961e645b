-- The store's signed receipt of a paid order (JSON of Signed<Receipt>),
-- written once, when the gateway's signed authorization first arrives
-- (from the pay route's answer or from the gateway's payment event).
ALTER TABLE orders ADD COLUMN receipt TEXT;
ALTER TABLE orders ADD COLUMN paid_at_ms INTEGER;

-- An event is recorded once per order, kind and reference (the
-- authorization code, the capture, the shipment ...).
CREATE UNIQUE INDEX order_events_once ON order_events (order_id, kind, detail);
